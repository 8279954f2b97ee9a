"""What every listener needs, built once per app and handed to listeners in Bolt's context."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from slackbot.admins import AdminPolicy
from slackbot.config import Settings
from slackbot.curation import Curator
from slackbot.digests import DigestService
from slackbot.intel import SummitIntel


@dataclass(frozen=True)
class Services:
    settings: Settings
    intel: SummitIntel
    curator: Curator
    admins: AdminPolicy
    digests: DigestService
    console: bool = False

    def today(self) -> str:
        """Today's date in SUMMITBOT_TZ: the form's default for when a fact happened."""
        now = self.curator.clock()
        return now.astimezone(ZoneInfo(self.settings.timezone)).date().isoformat()
