"""What every listener needs, built once per app and handed to listeners in Bolt's context."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from slackbot.core.admins import AdminPolicy
from slackbot.core.corrections import CorrectionService
from slackbot.core.curation import Curator
from slackbot.core.digests import DigestService
from slackbot.core.feeds import FeedService, ReviewQueue
from slackbot.core.intel import SummitIntel
from slackbot.slack.answering import AnswerCache, CardCache
from slackbot.slack.home import HomeBoard, NoHomes
from slackbot.slack.reviewing import NoReviewChannel, ReviewDesk
from slackbot.slack.surface import Surface


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
    # Slack, or the console: what only one of them can do (see slackbot.slack.surface).
    surface: Surface
    # Entity cards by what they show, whatever name they were asked by.
    cards: CardCache = field(default_factory=CardCache)

    def first_delivery(self, event_id: str) -> bool:
        """Whether this is the first time Slack delivered this event (a retry, or the same
        event at another replica, is not)."""
        return self.intel.store.claim_event(event_id)

    def leave(self, reason: str) -> None:
        self.left(reason)

    def announce_waiting(self) -> None:
        """Posts the candidates waiting to be announced in the review channel, off the
        request thread (posting keeps to one message a second), and updates the admins'
        queue count on their App Homes."""
        threading.Thread(target=self.desk.post_waiting, daemon=True).start()
        self.home.refresh()

    def close(self) -> None:
        """Stops what runs beside the answers: feed polls in the background, App Homes; and
        lets the services' signals go, so that a workspace let go of is freed at once."""
        self.feeds.close()
        self.home.close()
        self.feeds.polled.disconnect_all()
        self.digests.events.disconnect_all()

    def today(self) -> str:
        """Today's date in SUMMITBOT_TZ: the form's default for when a fact happened."""
        now = self.curator.clock()
        return now.astimezone(ZoneInfo(self.timezone)).date().isoformat()
