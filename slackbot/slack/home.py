"""Keeping App Homes current. A home is published on its own small pool, never on a request
thread (it asks Slack which channels the person is in, and maybe whether they are an
admin), when the person opens it, and again after any change to what homes show, for
everyone who opened theirs in the last day. Changes are seen by watching the store's
version, so a change made on another replica (PostgreSQL) counts too.

Slack allows views.publish about a hundred times a minute per workspace. A burst of changes
(an import, an admin correcting five facts) would republish every open home once per
change: 40 homes and 5 changes made 200 calls in 11 s. So publishes are coalesced: a
person's home is published at most once every ``PERSON_SECONDS`` (changes meanwhile make one
more publish when that time is up), and the workspace's publishes draw on a budget of
``PUBLISHES_PER_MINUTE``; homes waiting for it are published as it refills, the ones due
first first. A board serves one workspace, so one workspace's changes never spend
another's budget."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from slackbot.core.admins import AdminPolicy
from slackbot.core.digests import DigestService
from slackbot.core.feeds import FeedService, ReviewQueue
from slackbot.core.home import home
from slackbot.core.intel import SummitIntel
from slackbot.slack.render.app_home import home_view

logger = logging.getLogger(__name__)

WATCH_SECONDS = 0.5
# users.conversations is rate-limited (Tier 3) and a person's channels change rarely: a home
# rebuilt for a change to the store reuses the list for this long.
CHANNELS_SECONDS = 300.0
REMEMBERED_PEOPLE = 10_000
# Homes opened longer ago than this are not kept current (Slack keeps showing the last one).
KEEP_SECONDS = 24 * 3600
PUBLISH_THREADS = 2
# A person's home is published at most once in this long (a change meanwhile waits for it).
PERSON_SECONDS = 3.0
# views.publish calls a minute for one workspace, under Slack's limit of about 100 even
# with a full burst spent at the start of the minute.
PUBLISHES_PER_MINUTE = 80
PUBLISH_BURST = 10


class PublishBudget:
    """A token bucket: ``per_minute`` publishes a minute, at most ``burst`` at once.

    Written here rather than taken from a rate-limiting library: it is a dozen lines, and it
    must run on the board's injectable clock so tests can tell its decisions exactly."""

    def __init__(
        self, per_minute: int, clock: Callable[[], float], burst: int | None = None
    ) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(burst if burst is not None else PUBLISH_BURST)
        self.tokens = self.capacity
        self.clock = clock
        self.at = clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass(frozen=True)
class HomeSources:
    """What a home is built from: the workspace's domain services and its readers' time
    zone. (Not the Services bundle, which holds the board: that made a circle.)"""

    intel: SummitIntel
    digests: DigestService
    admins: AdminPolicy
    review: ReviewQueue | None
    feeds: FeedService | None
    timezone: str


class HomeBoard:
    def __init__(
        self,
        client: WebClient,
        sources: HomeSources,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.sources = sources
        self.monotonic = monotonic
        self._viewers: dict[str, tuple[float, int]] = {}  # user → (opened at, page)
        # Homes waiting in the pool: a burst of changes queues each home once, and a home
        # that takes long to build (admins' desk at a million facts) never piles up.
        self._queued: set[str] = set()
        # Homes to publish and from when (coalesced: see PERSON_SECONDS), and when each
        # was last published.
        self._due: dict[str, float] = {}
        self._published: dict[str, float] = {}
        self._budget = PublishBudget(PUBLISHES_PER_MINUTE, monotonic)
        self._wake = threading.Event()
        # A person's channels as users.conversations said them, kept CHANNELS_SECONDS;
        # bounded, as everyone in the workspace may open their home once.
        self._channels: TTLCache[str, list[str]] = TTLCache(
            REMEMBERED_PEOPLE, CHANNELS_SECONDS, timer=monotonic
        )
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(PUBLISH_THREADS, thread_name_prefix="home")
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None
        self._seen = sources.intel.store.version

    def opened(self, user_id: str, page: int = 1) -> None:
        """The person opened their home (or paged it): published off this thread."""
        with self._lock:
            self._viewers[user_id] = (self.monotonic(), page)
            if page == 1:
                self._channels.pop(user_id, None)  # opening it asks Slack afresh
            if self._watcher is None:
                self._watcher = threading.Thread(target=self._watch, daemon=True, name="homes")
                self._watcher.start()
            # Opened (or paged) by the person: as soon as the budget allows.
            self._due[user_id] = min(self._due.get(user_id, math.inf), self.monotonic())
        self._wake.set()

    def refresh(self) -> None:
        """Publishes again every home opened in the last day (each at most once every
        ``PERSON_SECONDS``)."""
        now = self.monotonic()
        with self._lock:
            for user_id, (opened_at, _page) in list(self._viewers.items()):
                if now - opened_at > KEEP_SECONDS:
                    del self._viewers[user_id]
                    self._published.pop(user_id, None)
                    continue
                at = max(now, self._published.get(user_id, -math.inf) + PERSON_SECONDS)
                self._due[user_id] = min(self._due.get(user_id, math.inf), at)
        self._wake.set()

    def dispatch(self) -> int:
        """Hands the homes that are due to the pool, earliest first, while the workspace's
        budget allows; how many. The rest wait for the next look."""
        now = self.monotonic()
        sent = 0
        with self._lock:
            due = sorted((at, user) for user, at in self._due.items() if at <= now)
            for _at, user_id in due:
                if user_id in self._queued:
                    continue  # being built: it is looked at again once published
                if not self._budget.take():
                    break
                del self._due[user_id]
                self._queued.add(user_id)
                self._published[user_id] = now
                sent += 1
                self._pool.submit(self.publish, user_id)
        return sent

    def publish(self, user_id: str) -> None:
        sources = self.sources
        with self._lock:
            self._queued.discard(user_id)  # a change from now on queues it again
            page = self._viewers.get(user_id, (0.0, 1))[1]
        try:
            view = home_view(
                home(
                    sources.intel,
                    sources.digests,
                    viewer=user_id,
                    member_of=self._remembered_channels(user_id),
                    is_admin=sources.admins.is_admin(user_id),
                    review=sources.review,
                    feeds=sources.feeds,
                    page=page,
                ),
                sources.timezone,
            )
            self.client.views_publish(user_id=user_id, view=view)
        except (SlackApiError, SlackClientError, OSError) as error:
            logger.warning("App Home for %s was not published: %s", user_id, error)
        except Exception:
            logger.exception("building the App Home for %s failed", user_id)

    def _remembered_channels(self, user_id: str) -> list[str]:
        with self._lock:
            known = self._channels.get(user_id)
        if known is not None:
            return known
        found = self._channels_of(user_id)
        with self._lock:
            self._channels[user_id] = found
        return found

    def _channels_of(self, user_id: str) -> list[str]:
        """The channels the person is in (users.conversations, every page). When Slack
        cannot say, the home still comes, with the digests the person set up."""
        found: list[str] = []
        cursor = None
        for _ in range(20):  # 20 pages of 200: far beyond any one person's channels
            try:
                answer = self.client.users_conversations(
                    user=user_id,
                    types="public_channel,private_channel",
                    exclude_archived=True,
                    limit=200,
                    cursor=cursor,
                )
            except (SlackApiError, SlackClientError, OSError) as error:
                logger.warning("users.conversations failed for %s: %s", user_id, error)
                return found
            channels: list[dict[str, Any]] = answer.get("channels") or []
            found += [str(channel["id"]) for channel in channels]
            cursor = (answer.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return found

    def _watch(self) -> None:
        store = self.sources.intel.store
        while not self._stopping.is_set():
            self._wake.wait(WATCH_SECONDS)
            self._wake.clear()
            version = store.version
            if version != self._seen:
                self._seen = version
                self.refresh()
                self._wake.clear()
            self.dispatch()

    def close(self) -> None:
        self._stopping.set()
        self._wake.set()
        self._pool.shutdown(wait=False, cancel_futures=True)


class NoHomes:
    """The console's App Homes: there are none to publish (the console has no Home tab)."""

    def opened(self, user_id: str, page: int = 1) -> None:
        pass

    def publish(self, user_id: str) -> None:
        pass

    def refresh(self) -> None:
        pass

    def close(self) -> None:
        pass
