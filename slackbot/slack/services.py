"""What every listener needs, built once per app and handed to listeners in Bolt's context."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import orjson

from slackbot.core.admins import AdminPolicy
from slackbot.core.corrections import CorrectionService
from slackbot.core.curation import Curator
from slackbot.core.digests import DigestService
from slackbot.core.feeds import FeedService, ReviewQueue
from slackbot.core.intel import SummitIntel
from slackbot.slack.cards import CardCache
from slackbot.slack.home import HomeBoard, NoHomes
from slackbot.slack.render import Message
from slackbot.slack.reviewing import NoReviewChannel, ReviewDesk
from storage.api import LeastRecentlyUsed, Repository, utc_now


@dataclass(frozen=True)
class _Cached:
    body: str
    version: int
    entities_version: int
    depends_on: tuple[str, ...] | None
    dependency_versions: tuple[int, ...]
    day: date


class AnswerCache:
    """Rendered answers by what was asked, reused while what they show is unchanged.

    Building a Block Kit answer costs far more than Bolt's own handling of a request, and
    most questions repeat (/who samsung). An answer that names the entities it depends on
    (a company card) stays valid until a fact naming one of them changes, so an admin saving
    a fact about Samsung does not throw away the SK Hynix card; any other answer is valid
    until the store changes at all. Every answer is built again on a new day: how long a
    claim has been open (and whether it is stale) is part of the cards."""

    def __init__(
        self, store: Repository, size: int = 512, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._store = store
        self._clock = clock
        self._answers: LeastRecentlyUsed[Hashable, _Cached] = LeastRecentlyUsed(size)

    def _valid(self, entry: _Cached) -> bool:
        store = self._store
        if entry.day != self._clock().date():
            return False
        if entry.depends_on is None:
            return entry.version == store.version
        return (
            entry.entities_version == store.entities_version
            and store.entity_versions(entry.depends_on) == entry.dependency_versions
        )

    def get(self, key: Hashable) -> str | None:
        """The answer's JSON body, while it is still valid."""
        entry = self._answers.get(key)
        if entry is None:
            return None
        if not self._valid(entry):
            self._answers.pop(key)
            return None
        return entry.body

    def build(self, key: Hashable, build: Callable[[], Message]) -> str:
        """Builds the answer's JSON body and keeps it, unless the store changed while it
        was built."""
        store = self._store
        version, entities_version = store.version, store.entities_version
        day = self._clock().date()
        message = build()
        body = ephemeral_body(message)
        depends_on = message.depends_on
        versions = store.entity_versions(depends_on) if depends_on is not None else ()
        if store.version == version:
            entry = _Cached(body, version, entities_version, depends_on, versions, day)
            self._answers.put(key, entry)
        return body


def ephemeral_body(message: Message) -> str:
    """A slash command's answer, seen only by the asker, as the JSON body of the HTTP
    response (or Socket Mode acknowledgement). Encoded once, with orjson: Bolt's ``ack()``
    would encode the payload again with the json module on every request, a tenth of the
    CPU of a card answered afresh and all of the work of one answered from the cache."""
    return orjson.dumps({"response_type": "ephemeral", **message.to_dict()}).decode()


@dataclass(frozen=True)
class Services:
    """The domain's services, and what answering in Slack adds to them: the answer cache,
    the readers' time zone (SUMMITBOT_TZ) and whether this is the local console."""

    timezone: str
    intel: SummitIntel
    curator: Curator
    admins: AdminPolicy
    digests: DigestService
    answers: AnswerCache
    review: ReviewQueue
    feeds: FeedService
    corrections: CorrectionService
    # Posts to the review channel (the console's posts nothing: it has no channel).
    desk: ReviewDesk | NoReviewChannel
    # Publishes App Homes and keeps them current (the console has none).
    home: HomeBoard | NoHomes
    # The app was uninstalled from the workspace or its bot token revoked (the reason):
    # every digest stops; with many workspaces, the workspace is let go of too.
    left: Callable[[str], None]
    console: bool = False
    # Entity cards by what they show, whatever name they were asked by.
    cards: CardCache = field(default_factory=CardCache)

    def first_delivery(self, event_id: str) -> bool:
        """Whether this is the first time Slack delivered this event (a retry, or the same
        event at another replica, is not)."""
        return self.intel.store.claim_event(event_id)

    def leave(self, reason: str) -> None:
        self.left(reason)

    def close(self) -> None:
        """Stops what runs beside the answers: feed polls in the background, App Homes."""
        self.feeds.close()
        self.home.close()

    def today(self) -> str:
        """Today's date in SUMMITBOT_TZ: the form's default for when a fact happened."""
        now = self.curator.clock()
        return now.astimezone(ZoneInfo(self.timezone)).date().isoformat()
