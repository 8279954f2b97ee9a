"""Keeping App Homes current. A home is published on its own small pool, never on a request
thread (it asks Slack which channels the person is in, and maybe whether they are an
admin), when the person opens it, and again within a second or two of any change to what
homes show, for everyone who opened theirs in the last day. Changes are seen by watching
the store's version, so a change made on another replica (PostgreSQL) counts too."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from slackbot.core.home import home
from slackbot.slack.render.app_home import home_view
from slackbot.slack.services import Services

logger = logging.getLogger(__name__)

WATCH_SECONDS = 0.5
# users.conversations is rate-limited (Tier 3) and a person's channels change rarely: a home
# rebuilt for a change to the store reuses the list for this long.
CHANNELS_SECONDS = 300.0
# Homes opened longer ago than this are not kept current (Slack keeps showing the last one).
KEEP_SECONDS = 24 * 3600
PUBLISH_THREADS = 2


class HomeBoard:
    def __init__(
        self,
        client: WebClient,
        services: Services,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.services = services
        self.monotonic = monotonic
        self._viewers: dict[str, tuple[float, int]] = {}  # user → (opened at, page)
        # Homes waiting in the pool: a burst of changes queues each home once, and a home
        # that takes long to build (admins' desk at a million facts) never piles up.
        self._queued: set[str] = set()
        self._channels: dict[str, tuple[float, list[str]]] = {}  # user → (asked at, ids)
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(PUBLISH_THREADS, thread_name_prefix="home")
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None
        self._seen = services.intel.store.version

    def opened(self, user_id: str, page: int = 1) -> None:
        """The person opened their home (or paged it): published off this thread."""
        with self._lock:
            self._viewers[user_id] = (self.monotonic(), page)
            if page == 1:
                self._channels.pop(user_id, None)  # opening it asks Slack afresh
            if self._watcher is None:
                self._watcher = threading.Thread(target=self._watch, daemon=True, name="homes")
                self._watcher.start()
        self._queue(user_id)

    def _queue(self, user_id: str) -> None:
        with self._lock:
            if user_id in self._queued:
                return
            self._queued.add(user_id)
        self._pool.submit(self.publish, user_id)

    def refresh(self) -> None:
        """Publishes again every home opened in the last day."""
        now = self.monotonic()
        with self._lock:
            for user_id, (opened_at, _page) in list(self._viewers.items()):
                if now - opened_at > KEEP_SECONDS:
                    del self._viewers[user_id]
            viewers = list(self._viewers)
        for user_id in viewers:
            self._queue(user_id)

    def publish(self, user_id: str) -> None:
        services = self.services
        with self._lock:
            self._queued.discard(user_id)  # a change from now on queues it again
            page = self._viewers.get(user_id, (0.0, 1))[1]
        try:
            view = home_view(
                home(
                    services.intel,
                    services.digests,
                    viewer=user_id,
                    member_of=self._remembered_channels(user_id),
                    is_admin=services.admins.is_admin(user_id),
                    review=services.review,
                    feeds=services.feeds,
                    page=page,
                ),
                services.timezone,
            )
            self.client.views_publish(user_id=user_id, view=view)
        except (SlackApiError, SlackClientError, OSError) as error:
            logger.warning("App Home for %s was not published: %s", user_id, error)
        except Exception:
            logger.exception("building the App Home for %s failed", user_id)

    def _remembered_channels(self, user_id: str) -> list[str]:
        now = self.monotonic()
        with self._lock:
            known = self._channels.get(user_id)
        if known is not None and now - known[0] < CHANNELS_SECONDS:
            return known[1]
        found = self._channels_of(user_id)
        with self._lock:
            self._channels[user_id] = (now, found)
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
        store = self.services.intel.store
        while not self._stopping.wait(WATCH_SECONDS):
            version = store.version
            if version != self._seen:
                self._seen = version
                self.refresh()

    def close(self) -> None:
        self._stopping.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
