"""What every listener needs, built once per app and handed to listeners in Bolt's context."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from slackbot.admins import AdminPolicy
from slackbot.config import Settings
from slackbot.curation import Curator
from slackbot.digests import DigestService
from slackbot.intel import SummitIntel


class AnswerCache:
    """Rendered answers by what was asked, valid while the store has not changed since.

    Building a Block Kit answer costs far more than Bolt's own handling of a request, and
    most questions repeat (/who samsung); any write to the store empties the cache."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._answers: OrderedDict[Hashable, Any] = OrderedDict()
        self._version = -1
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: int) -> Any | None:
        with self._lock:
            if version != self._version:
                self._answers.clear()
                self._version = version
                return None
            answer = self._answers.get(key)
            if answer is not None:
                self._answers.move_to_end(key)
            return answer

    def put(self, key: Hashable, version: int, answer: Any) -> None:
        with self._lock:
            if version != self._version:
                return
            self._answers[key] = answer
            if len(self._answers) > self._size:
                self._answers.popitem(last=False)


@dataclass(frozen=True)
class Services:
    settings: Settings
    intel: SummitIntel
    curator: Curator
    admins: AdminPolicy
    digests: DigestService
    console: bool = False
    answers: AnswerCache = field(default_factory=AnswerCache)

    def today(self) -> str:
        """Today's date in SUMMITBOT_TZ: the form's default for when a fact happened."""
        now = self.curator.clock()
        return now.astimezone(ZoneInfo(self.settings.timezone)).date().isoformat()
