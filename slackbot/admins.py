"""Who may curate facts: the ids in SUMMITBOT_ADMINS, plus (unless switched off) the
workspace's admins and owners as Slack's users.info reports them, cached for a few minutes."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

CACHE_SECONDS = 300.0

UserLookup = Callable[[str], dict[str, Any] | None]


class AdminPolicy:
    def __init__(
        self,
        admins: frozenset[str],
        lookup: UserLookup | None = None,
        *,
        workspace_admins: bool = True,
        cache_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.admins = admins
        self._lookup = lookup
        self._workspace_admins = workspace_admins and lookup is not None
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._cache: dict[str, tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def is_admin(self, user_id: str) -> bool:
        if user_id in self.admins:
            return True
        if not self._workspace_admins or self._lookup is None:
            return False
        now = self._clock()
        with self._lock:
            cached = self._cache.get(user_id)
        if cached is not None and now - cached[0] < self._cache_seconds:
            return cached[1]
        user = self._lookup(user_id)
        if user is None:
            # Slack could not say: refuse, but do not remember the refusal.
            return False
        allowed = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        with self._lock:
            self._cache[user_id] = (now, allowed)
        return allowed

    def who_can(self) -> str:
        """Who may curate, in words (mrkdwn), for the answer to someone who may not."""
        named = ", ".join(f"<@{admin}>" for admin in sorted(self.admins))
        parts = [named] if named else []
        if self._workspace_admins:
            parts.append("workspace admins and owners")
        return " and ".join(parts) or "nobody yet: set SUMMITBOT_ADMINS"
