"""Keeping waitress answering while clients hold connections open on purpose.

waitress reads each request whole before a worker thread sees it, so half-sent requests
cost no threads; what they cost is connections. Its defaults let 100 connections in at
once (then it stops accepting), close a connection only after 120 s without a byte, and
wait in select(), which cannot watch a descriptor numbered past 1,024. So 110 clients that
send half a request and wait stopped the app answering anything for two minutes.

waitress has no deadline for reading one request, nor a cap that drops the idlest, so
``ConnectionGuard`` adds both, run from the serving loop between its ticks (the loop's own
thread, the only one that may touch channels):

- a request (headers and body) must arrive within ``REQUEST_SECONDS`` of its first byte;
- a connection with nothing in flight is closed after ``IDLE_SECONDS``;
- past ``SOFT_LIMIT`` of the connection cap, the connections idle longest are closed first,
  so a client that sends its request now is accepted, whoever holds the rest.
Slack sends a request in one go and never holds a connection idle between them for long,
so none of this ever touches Slack's own requests.
"""

from __future__ import annotations

import logging
import resource
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

REQUEST_SECONDS = 10.0
IDLE_SECONDS = 30
MOST_CONNECTIONS = 2000
SOFT_LIMIT = 0.9  # of the connection cap: where the idlest start being closed
SWEEP_SECONDS = 0.5


def connection_cap() -> int:
    """As many connections as the process may open files for, keeping some for the store,
    the database pool and the log, up to ``MOST_CONNECTIONS``."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MOST_CONNECTIONS
    return max(50, min(MOST_CONNECTIONS, soft - 100))


def waitress_settings() -> dict[str, Any]:
    """The waitress adjustments the guard relies on."""
    return {
        "connection_limit": connection_cap(),
        # poll(), not select(): select() fails on a descriptor numbered past 1,024.
        "asyncore_use_poll": True,
        "channel_timeout": IDLE_SECONDS,
        "cleanup_interval": IDLE_SECONDS,
    }


class ConnectionGuard:
    """Closes connections that take too long to send a request, and the idlest ones when
    the server nears its connection cap. ``sweep`` is called from the serving loop."""

    def __init__(
        self,
        cap: int,
        *,
        request_seconds: float = REQUEST_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cap = cap
        self.request_seconds = request_seconds
        self._clock = clock
        self._next_sweep = 0.0
        # When each request being read was first seen partly read, by the parser's id.
        self._reading_since: dict[int, float] = {}
        self.closed_slow = 0
        self.closed_idle = 0

    def sweep(self, channels: dict[Any, Any]) -> None:
        now = self._clock()
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_SECONDS
        reading: dict[int, float] = {}
        for channel in list(channels.values()):
            parser = getattr(channel, "request", None)
            if parser is None or channel.will_close:
                continue
            since = self._reading_since.get(id(parser), now)
            if now - since > self.request_seconds:
                channel.will_close = True
                self.closed_slow += 1
                continue
            reading[id(parser)] = since
        self._reading_since = reading
        if len(channels) > self.cap * SOFT_LIMIT:
            self._close_idlest(channels, int(self.cap * SOFT_LIMIT * 0.9))

    def _close_idlest(self, channels: dict[Any, Any], keep: int) -> None:
        quiet = sorted(
            (
                channel
                for channel in channels.values()
                if not channel.will_close and not channel.requests and not channel.total_outbufs_len
            ),
            key=lambda channel: channel.last_activity,
        )
        excess = len(channels) - keep
        for channel in quiet[:excess]:
            channel.will_close = True
            self.closed_idle += 1
        if excess > 0:
            logger.warning(
                "%d connections open, near the cap of %d: closed the %d idle longest",
                len(channels),
                self.cap,
                min(excess, len(quiet)),
            )
