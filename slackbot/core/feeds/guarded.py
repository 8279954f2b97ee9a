"""The network under httpx for feed fetches: every connection goes to an address that was
checked when it was made, and no fetch outlives its deadline.

Why our own httpcore network backend: httpx checks nothing about addresses, and its
timeouts are per read, so a server that sends one byte a second is never "slow" to it.
Checking a host and then letting httpx resolve it again leaves a gap a DNS answer can change
in (rebinding: a public address for the check, 127.0.0.1 for the connection); resolving
once, here, and connecting to the very address checked closes it. The deadline is per
fetch, not per connection (connections are kept alive between fetches), so it travels in a
context variable that ``Fetcher.fetch`` sets for the thread doing the fetch.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any

import httpcore

from slackbot.core.feeds.fetching import Resolver, refuse_inside, system_resolve

_deadline: ContextVar[float | None] = ContextVar("feed_fetch_deadline", default=None)


@contextlib.contextmanager
def deadline(at: float) -> Iterator[None]:
    """Every connect, read and write of this thread's fetch ends by ``at`` (monotonic)."""
    token = _deadline.set(at)
    try:
        yield
    finally:
        _deadline.reset(token)


def _within(timeout: float | None, timed_out: type[Exception]) -> float | None:
    """The timeout to give one socket operation: httpx's, cut to what the fetch has left."""
    at = _deadline.get()
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise timed_out("the fetch's deadline passed")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A connection whose every operation ends by the fetch's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _within(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _within(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        wrapped = self._stream.start_tls(
            ssl_context, server_hostname, _within(timeout, httpcore.ConnectTimeout)
        )
        return DeadlineStream(wrapped)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class GuardedBackend(httpcore.SyncBackend):
    """Connects only to addresses resolved and checked here (``pin``), within the deadline.

    With a proxy the connection goes to the proxy the operator named, which resolves the
    feed's host itself: ``pin`` is then off and the host was checked before the fetch."""

    def __init__(self, *, pin: bool, resolve: Resolver = system_resolve) -> None:
        self.pin = pin
        self.resolve = resolve

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self.resolve(host, port) if self.pin else [host]
        if self.pin:
            refuse_inside(host, addresses)
        failure: Exception | None = None
        for address in addresses:
            try:
                stream = super().connect_tcp(
                    address,
                    port,
                    _within(timeout, httpcore.ConnectTimeout),
                    local_address,
                    socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
                continue
            return DeadlineStream(stream)
        raise failure or httpcore.ConnectError(f"{host} has no address")
