"""What a person's App Home shows, as plain data: the overview, the digests that concern them
(those they set up, their own, and those of channels they are in) with what they may do to
each, and for admins the desk: the review queue, the latest changes, claims open past the
stale limit and failing feeds. Slack-free, so the control panel is tested without Slack."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from slackbot.core.claims import ClaimState, OpenClaims, open_claims
from slackbot.core.digests import DigestService, DigestStatus, is_personal
from slackbot.core.feeds import FeedService, ReviewQueue
from slackbot.core.intel import Overview, SummitIntel
from storage.api import Feed, Revision

DIGESTS_PER_PAGE = 5
LATEST_CHANGES = 10
STALE_SHOWN = 5
# The latest changes are looked for this far back first (a long history is not read whole).
RECENT = timedelta(days=30)


@dataclass(frozen=True)
class DigestCard:
    channel_id: str
    status: DigestStatus
    may_change: bool  # the person set it up, it is their own, or they are an admin

    @property
    def personal(self) -> bool:
        return is_personal(self.channel_id)


@dataclass(frozen=True)
class AdminDesk:
    waiting: int  # candidates in the review queue
    changes: list[Revision]  # newest first
    stale_claims: list[ClaimState]
    stale_total: int
    failing_feeds: list[Feed]


@dataclass(frozen=True)
class Home:
    viewer: str
    overview: Overview
    digests: list[DigestCard]  # this page's
    page: int
    pages: int
    desk: AdminDesk | None  # admins only


def my_digests(
    digests: DigestService, viewer: str, member_of: Iterable[str], is_admin: bool
) -> list[DigestCard]:
    """The person's own digest first, then channels' they set up or are in, by channel."""
    member = set(member_of)
    found = []
    for subscription in digests.store.subscriptions():
        channel = subscription.channel_id
        own = channel == viewer
        if not own and is_personal(channel):
            continue  # someone else's personal digest
        if own or subscription.created_by == viewer or channel in member:
            may = own or subscription.created_by in ("", viewer) or is_admin
            found.append(DigestCard(channel, digests.status(channel), may))
    return sorted(found, key=lambda card: (not card.personal, card.channel_id))


def latest_changes(intel: SummitIntel, limit: int = LATEST_CHANGES) -> list[Revision]:
    store = intel.store
    since = (intel.claims.clock() - RECENT).isoformat(timespec="microseconds")
    recent = store.revisions_since(since)
    if len(recent) < limit:
        recent = store.revisions_since("")
    return list(reversed(recent[-limit:]))


def home(
    intel: SummitIntel,
    digests: DigestService,
    *,
    viewer: str,
    member_of: Iterable[str],
    is_admin: bool,
    review: ReviewQueue | None = None,
    feeds: FeedService | None = None,
    page: int = 1,
) -> Home:
    cards = my_digests(digests, viewer, member_of, is_admin)
    pages = max(1, -(-len(cards) // DIGESTS_PER_PAGE))
    page = min(max(page, 1), pages)
    shown = cards[(page - 1) * DIGESTS_PER_PAGE : page * DIGESTS_PER_PAGE]
    desk = None
    if is_admin:
        claims = open_claims(intel.store, intel.matcher, intel.claims, "")
        assert isinstance(claims, OpenClaims)  # no words name no subject to be unclear about
        stale = [state for state in claims.claims if state.stale]
        desk = AdminDesk(
            waiting=review.pending().total if review is not None else 0,
            changes=latest_changes(intel),
            stale_claims=stale[:STALE_SHOWN],
            stale_total=len(stale),
            failing_feeds=[feed for feed in feeds.feeds() if feed.failing] if feeds else [],
        )
    return Home(viewer, intel.overview(), shown, page, pages, desk)
