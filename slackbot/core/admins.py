"""Who may curate facts: the ids in SUMMITBOT_ADMINS, plus (unless switched off) the
workspace's admins and owners as Slack's users.info reports them, cached for a few minutes."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache

logger = logging.getLogger(__name__)

CACHE_SECONDS = 300.0
CACHED_PEOPLE = 10_000

UserLookup = Callable[[str], dict[str, Any] | None]


@dataclass(frozen=True)
class Curators:
    """Who may curate: the named user ids, and whether workspace admins and owners may too."""

    user_ids: tuple[str, ...]
    workspace_admins: bool


class AdminPolicy:
    def __init__(
        self,
        admins: frozenset[str],
        lookup: UserLookup | None = None,
        *,
        workspace_admins: bool = True,
        member_of_workspace: Callable[[dict[str, Any]], bool] | None = None,
        cache_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``member_of_workspace``: whether a user's record (users.info) is of this
        workspace's own people; an admin of another organisation, in a shared channel, is
        never one of ours."""
        self.admins = admins
        self._lookup = lookup
        self._member_of_workspace = member_of_workspace
        self._workspace_admins = workspace_admins and lookup is not None
        # Who is an admin, by user id, each answer kept ``cache_seconds`` and then dropped;
        # bounded, since any member of the workspace may ask.
        self._cache: TTLCache[str, bool] = TTLCache(
            maxsize=CACHED_PEOPLE, ttl=cache_seconds, timer=clock
        )
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None

    def known(self, user_id: str) -> bool | None:
        """Whether the person may curate, when that is known without asking Slack; None
        when only Slack's users.info can say (so a request must acknowledge first)."""
        if user_id in self.admins:
            return True
        if not self._workspace_admins or self._lookup is None:
            return False
        with self._lock:
            return self._cache.get(user_id)

    def check(self, user_id: str, wait: float) -> bool | None:
        """``is_admin``, but waiting at most ``wait`` seconds for Slack; None when Slack did
        not answer in time. The lookup goes on and its answer is cached for the next try.
        For the few answers that must be given before acknowledging (a form submission)."""
        known = self.known(user_id)
        if known is not None:
            return known
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(4, thread_name_prefix="admin-check")
            executor = self._executor
        try:
            return executor.submit(self.is_admin, user_id).result(timeout=wait)
        except FutureTimeout:
            logger.warning("users.info took over %.1f s for %s", wait, user_id)
            return None

    def is_admin(self, user_id: str) -> bool:
        if user_id in self.admins:
            return True
        if not self._workspace_admins or self._lookup is None:
            return False
        with self._lock:
            cached = self._cache.get(user_id)
        if cached is not None:
            return cached
        user = self._lookup(user_id)
        if user is None:
            # Slack could not say: refuse, but do not remember the refusal.
            return False
        allowed = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        if allowed and self._member_of_workspace is not None:
            allowed = self._member_of_workspace(user)
        with self._lock:
            self._cache[user_id] = allowed
        return allowed

    def curators(self) -> Curators:
        """Who may curate, for the answer to someone who may not."""
        return Curators(tuple(sorted(self.admins)), self._workspace_admins)
