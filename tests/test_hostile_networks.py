"""Feeds fetched from networks that lie and servers that misbehave on purpose (issue 27):
DNS answers that change between the check and the connection, proxies in the environment,
servers that send one byte at a time, and compressed bombs. Against a real HTTP server on
loopback; the only thing faked is the resolver's answer, which is the attacker's part."""

from __future__ import annotations

import gzip
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from slackbot.core.feeds import FeedService, Fetcher
from slackbot.core.feeds.decoding import TooLarge, decoded
from slackbot.core.intel import SummitIntel
from tests.fake_slack import DateClock
from tests.feed_server import FeedServer, document

START = datetime(2024, 5, 17, 9, 0, tzinfo=UTC)
PUBLIC = "93.184.216.34"  # a global address; nothing here ever connects to it


@pytest.fixture
def lying_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Names under .test answer what the test lists, one answer per lookup (the last one
    repeats): the rebinding attacker's DNS server. Other names resolve as usual."""
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host in answers:
            queue = answers[host]
            address = queue.pop(0) if len(queue) > 1 else queue[0]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 80)))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture
def strict() -> Iterator[Fetcher]:
    fetcher = Fetcher(allow_private=False, connect_timeout=0.5, total_timeout=1.5)
    yield fetcher
    fetcher.close()


# -- 1. DNS rebinding and proxies -----------------------------------------------------------


def test_a_name_that_rebinds_to_loopback_after_the_check_is_never_fetched(
    lying_dns: dict[str, list[str]], server: FeedServer, strict: Fetcher
) -> None:
    server.serve("/feed.xml", document("rss2.xml"))
    port = server.base.rsplit(":", 1)[1]
    # Public for the check, loopback for every lookup after it.
    lying_dns["rebind.test"] = [PUBLIC, "127.0.0.1"]
    result = strict.fetch(f"http://rebind.test:{port}/feed.xml")
    assert result.status is None
    assert result.error is not None and result.error.startswith("refused: rebind.test resolves")
    assert "127.0.0.1" in result.error
    assert server.requests == []


def test_a_redirect_to_a_name_that_rebinds_is_never_followed_to_loopback(
    lying_dns: dict[str, list[str]], server: FeedServer
) -> None:
    port = server.base.rsplit(":", 1)[1]
    server.serve("/feed.xml", document("rss2.xml"))
    lying_dns["start.test"] = ["127.0.0.1"]
    lying_dns["rebind.test"] = [PUBLIC, "127.0.0.1"]
    server.serve("/moved", status=302, headers={"Location": f"http://rebind.test:{port}/feed.xml"})
    # The first hop is allowed by resolving to a public address only for the check; then
    # the redirect's host rebinds.
    lying_dns["start.test"] = [PUBLIC, "127.0.0.1"]
    fetcher = Fetcher(allow_private=False, connect_timeout=0.5, total_timeout=1.5)
    try:
        result = fetcher.fetch(f"http://start.test:{port}/moved")
    finally:
        fetcher.close()
    assert result.error is not None and result.error.startswith("refused: ")
    assert server.requests_to("/feed.xml") == []


def test_proxy_variables_in_the_environment_are_ignored(
    lying_dns: dict[str, list[str]],
    server: FeedServer,
    strict: Fetcher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A proxy on loopback would otherwise fetch for us whatever the check allowed.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, server.base)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    # Public for the check; were the proxy used, it would be the one to resolve it.
    lying_dns["outlet.test"] = [PUBLIC, "127.0.0.1"]
    server.serve("http://outlet.test/feed.xml", document("rss2.xml"))
    result = strict.fetch("http://outlet.test/feed.xml")
    assert result.error is not None and result.error.startswith("refused: ")
    assert server.requests == []


def test_the_proxy_the_operator_names_is_used(
    lying_dns: dict[str, list[str]], server: FeedServer
) -> None:
    lying_dns["outlet.test"] = [PUBLIC]
    server.serve("http://outlet.test/feed.xml", document("rss2.xml"))
    fetcher = Fetcher(allow_private=False, proxy=server.base, total_timeout=3.0)
    try:
        result = fetcher.fetch("http://outlet.test/feed.xml")
    finally:
        fetcher.close()
    assert result.status == 200 and result.error is None
    assert [seen.path for seen in server.requests] == ["http://outlet.test/feed.xml"]


def test_the_pinning_backend_is_the_one_httpx_connects_with(server: FeedServer) -> None:
    # The fetcher gives httpcore its network backend through an attribute httpx does not
    # document; if a new httpx stops reading it, connections are no longer checked.
    from slackbot.core.feeds.guarded import GuardedBackend

    asked: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return [PUBLIC] if len(asked) == 1 else ["127.0.0.1"]

    fetcher = Fetcher(allow_private=False, resolve=resolve, total_timeout=2.0)
    try:
        pool = fetcher._client._transport._pool  # type: ignore[attr-defined]
        assert isinstance(pool._network_backend, GuardedBackend)
        server.serve("/feed.xml", document("rss2.xml"))
        port = server.base.rsplit(":", 1)[1]
        result = fetcher.fetch(f"http://feeds.test:{port}/feed.xml")
    finally:
        fetcher.close()
    assert asked == ["feeds.test", "feeds.test"]  # the check, then the connection
    assert result.error is not None and result.error.startswith("refused: ")
    assert server.requests == []


# -- 2. Slow feeds --------------------------------------------------------------------------


def test_a_server_that_drips_its_headers_is_given_up_at_the_deadline(server: FeedServer) -> None:
    # 0.3 s a byte: the headers alone would take some 20 s, the body a minute more. Each
    # read gets a byte well within httpx's read timeout, so only a whole-fetch deadline
    # can end it.
    url = server.serve("/drip", document("rdf.xml"), drip=0.3)
    fetcher = Fetcher(allow_private=True, connect_timeout=1.0, total_timeout=1.5)
    try:
        result = fetcher.fetch(url)
    finally:
        fetcher.close()
    assert result.status is None and result.error == "timed out"
    # It gave up within the deadline: before the status line and headers were through.
    assert server.dripped["/drip"] < 40


def test_feeds_that_failed_last_time_never_hold_the_workers_healthy_feeds_need(
    intel: SummitIntel, server: FeedServer
) -> None:
    fetcher = Fetcher(allow_private=True, connect_timeout=1.0, total_timeout=2.0)
    feeds = FeedService(intel, fetcher, clock=DateClock(START))
    slow = [
        feeds.add(server.serve(f"/drip{number}", document("rdf.xml"), drip=0.5), "U0ADMIN")
        for number in range(6)
    ]
    try:
        first = feeds.poll()
        assert [report.feed.id for report in first if report.result == "timed out"] == [
            feed.id for feed in slow
        ]
        healthy = feeds.add(server.serve("/healthy", document("rss2.xml")), "U0ADMIN")
        done: list[object] = []
        worker = threading.Thread(target=lambda: done.append(feeds.poll()))
        worker.start()
        stored = feeds.store
        while stored.feed(healthy.id).last_result is None and worker.is_alive():  # type: ignore[union-attr]
            time.sleep(0.01)
        # The healthy feed was fetched and recorded before any of the six slow ones (in
        # their own lane of two) had finished its second poll.
        assert stored.feed(healthy.id).last_result is not None  # type: ignore[union-attr]
        assert [stored.feed(feed.id).failures for feed in slow] == [1] * 6  # type: ignore[union-attr]
        assert not done
        worker.join(30)
    finally:
        feeds.close()
        fetcher.close()
    assert stored.feed(healthy.id).failures == 0  # type: ignore[union-attr]


# -- 7. Compressed bombs --------------------------------------------------------------------


def gzip_of_zeros(size: int) -> bytes:
    """A gzip body that inflates to ``size`` zero bytes, made without holding them."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(1024 * 1024)
    parts = [squeeze.compress(block) for _ in range(size // len(block))]
    parts.append(squeeze.flush())
    return b"".join(parts)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return gzip_of_zeros(1024 * 1024 * 1024)  # 1 GB inflated, about 1 MB on the wire


def test_a_gzip_bomb_is_refused_with_memory_near_the_cap(server: FeedServer, bomb: bytes) -> None:
    url = server.serve("/bomb", bomb, encoded_as="gzip")
    fetcher = Fetcher(allow_private=True, total_timeout=10.0)
    try:
        fetcher.fetch(server.serve("/warm", document("rss2.xml")))  # httpx imported before
        tracemalloc.start()
        result = fetcher.fetch(url)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        fetcher.close()
    assert result.error == "larger than 5 MB"
    # The cap is 5 MB; the body is gathered once and joined once.
    assert peak < 16 * 1024 * 1024, f"{peak / 1e6:.0f} MB"


def test_gzip_and_deflate_bodies_are_read_whole(server: FeedServer) -> None:
    body = document("rss2.xml")
    two_members = gzip.compress(body[:100]) + gzip.compress(body[100:])
    raw_deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    fetcher = Fetcher(allow_private=True, total_timeout=3.0)
    try:
        for path, encoded, encoding in [
            ("/gz", gzip.compress(body), "gzip"),
            ("/members", two_members, "gzip"),
            ("/trailing", gzip.compress(body) + b"\0\0junk", "gzip"),
            ("/zlib", zlib.compress(body), "deflate"),
            ("/raw", raw_deflate.compress(body) + raw_deflate.flush(), "deflate"),
        ]:
            result = fetcher.fetch(server.serve(path, encoded, encoded_as=encoding))
            assert (path, result.error, result.content) == (path, None, body)
        damaged = fetcher.fetch(
            server.serve("/damaged", b"\x1f\x8b" + bytes(40), encoded_as="gzip")
        )
        assert damaged.error is not None and "damaged" in damaged.error
        odd = fetcher.fetch(server.serve("/br", b"abc", encoded_as="br"))
        assert odd.error == "sent in an encoding we did not ask for (br)"
    finally:
        fetcher.close()


def test_a_body_of_exactly_the_cap_is_read_and_one_byte_more_is_not() -> None:
    cap = 1000
    assert b"".join(decoded([gzip.compress(b"a" * cap)], "gzip", cap)) == b"a" * cap
    with pytest.raises(TooLarge):
        b"".join(decoded([gzip.compress(b"a" * (cap + 1))], "gzip", cap))
    with pytest.raises(TooLarge):
        b"".join(decoded([b"a" * 600, b"a" * 401], None, cap))
