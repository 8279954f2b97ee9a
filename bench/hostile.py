"""Section 12: hostile networks (issue 27), each beside a fair baseline in the same run.

- Slow clients: signed /whois answered by `summitbot serve` with 500 connections holding
  half a request, beside the same server with none held, and beside the plain Bolt app on
  waitress's own settings (what serve ran on before) with the same 500 held.
- Slow feeds: how long a poll keeps a healthy feed waiting when four feeds drip their
  answers a byte a second, beside the same poll with no slow feeds; and how long one
  dripping fetch is held (docs/feeds.md promises 20 s in all).
- Compressed bombs: a process's peak memory while refusing a gzip body of 10 GB, beside
  the same process reading an ordinary 5 MB feed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from dataclasses import replace
from pathlib import Path

from bench.measure import percentile
from bench.report import ROOT, SECRET, Report, Server, fmt
from slackbot.core.feeds import FeedService, Fetcher
from slackbot.core.intel import SummitIntel
from storage.repository import FactStore
from tests.fake_slack import FakeSlack
from tests.feed_server import FeedServer, document
from tests.slack_client import SlackSender

HALF_A_REQUEST = (
    b"POST /slack/events HTTP/1.1\r\nHost: summit\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 400\r\n\r\ncommand="
)


def _hold(url: str, count: int) -> list[socket.socket]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    held = []
    for _ in range(count):
        try:
            connection = socket.create_connection((host, int(port)), timeout=3)
            connection.sendall(HALF_A_REQUEST)
        except OSError:
            break  # the server stopped accepting: what the row shows
        held.append(connection)
    return held


def _answers(url: str, fake: FakeSlack, requests: int) -> tuple[list[float], int]:
    """Signed /whois one at a time, each given Slack's 3 s: latencies (ms) of those
    answered in time, and how many were not."""
    times, missed = [], 0
    for _ in range(requests):
        sender = SlackSender(url, SECRET, fake, timeout=3)
        started = time.perf_counter()
        try:
            reply = sender.command("/whois", "samsung", response_url="https://hooks.invalid/x")
            if reply.status == 200:
                times.append((time.perf_counter() - started) * 1000)
            else:
                missed += 1
        except OSError:
            missed += 1
        finally:
            sender.close()
    return times, missed


def _client_row(label: str, times: list[float], missed: int, held: int) -> list[str]:
    if not times:
        return [label, str(held), "—", "—", f"{missed} of {missed}"]
    return [
        label,
        str(held),
        fmt(percentile(times, 0.5)),
        fmt(percentile(times, 0.99)),
        f"{missed} of {len(times) + missed}",
    ]


def slow_clients(workdir: Path, requests: int, held_count: int = 500) -> Report:
    report = Report(
        "12a. Slow clients: signed /whois while connections hold half a request (ms)",
        ["server", "held", "p50", "p99", "not answered in 3 s"],
    )
    db = workdir / "hostile" / "summit.json"
    db.parent.mkdir(parents=True, exist_ok=True)
    with FactStore(db) as store:
        store.seed()
    with FakeSlack() as fake:
        serve = Server("slackbot", fake, db)
        try:
            report.rows.append(
                _client_row("summitbot serve", *_answers(serve.url, fake, requests), 0)
            )
            held = _hold(serve.url, held_count)
            try:
                times, missed = _answers(serve.url, fake, requests)
                report.rows.append(_client_row("summitbot serve", times, missed, len(held)))
            finally:
                for connection in held:
                    connection.close()
        finally:
            serve.stop()
        bare = Server("bench.bare_app", fake, None, BENCH_FLOOR="wsgi", BENCH_WAITRESS="defaults")
        try:
            held = _hold(bare.url, held_count)
            try:
                times, missed = _answers(bare.url, fake, min(requests, 10))
                report.rows.append(
                    _client_row("waitress's own settings (before)", times, missed, len(held))
                )
            finally:
                for connection in held:
                    connection.close()
        finally:
            bare.stop()
    report.notes.append(
        "Each /whois on a new connection, one at a time, with Slack's 3 s to answer. The held "
        "connections each sent headers and part of a body, then nothing. waitress's own "
        "settings (the plain WSGI floor app on them) let in 100 connections, close one only "
        "after 120 s without a byte, and wait in select(); serve now caps connections by the "
        "file limit, polls, gives a request 10 s to arrive whole and closes the idlest near "
        "the cap (slackbot/connection_guard.py)."
    )
    return report


def _healthy_wait(slow: int, drip: float, deadline: float) -> tuple[float, float]:
    """Seconds from a poll's start until the healthy feed was recorded, and the poll's
    whole time, with ``slow`` dripping feeds that failed their last poll."""
    with tempfile.TemporaryDirectory() as folder, FeedServer() as server:
        store = FactStore(Path(folder) / "summit.json")
        store.seed()
        fetcher = Fetcher(allow_private=True, total_timeout=deadline)
        feeds = FeedService(SummitIntel(store), fetcher)
        try:
            slow_feeds = [
                feeds.add(server.serve(f"/drip{n}", document("rdf.xml"), drip=drip), "U0BENCH")
                for n in range(slow)
            ]
            for feed in slow_feeds:  # as if their last poll failed
                store.put_feed(replace(feed, failures=1))
            healthy = feeds.add(server.serve("/healthy", document("rss2.xml")), "U0BENCH")
            fetcher.fetch(server.serve("/warm", document("rss2.xml")))  # httpx imported
            started = time.perf_counter()
            recorded: list[float] = []

            def watch() -> None:
                while not recorded:
                    current = store.feed(healthy.id)
                    if current is not None and current.last_result is not None:
                        recorded.append(time.perf_counter() - started)
                    time.sleep(0.005)

            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            feeds.poll()
            whole = time.perf_counter() - started
            watcher.join(5)
            return (recorded[0] if recorded else whole), whole
        finally:
            feeds.close()
            fetcher.close()
            store.close()


def _one_drip(deadline: float) -> float:
    with FeedServer() as server:
        fetcher = Fetcher(allow_private=True, total_timeout=deadline)
        try:
            started = time.perf_counter()
            fetcher.fetch(server.serve("/warm", document("rss2.xml")))  # httpx imported
            started = time.perf_counter()
            fetcher.fetch(server.serve("/drip", document("rdf.xml"), drip=1.0))
            return time.perf_counter() - started
        finally:
            fetcher.close()


def slow_feeds(deadline: float = 20.0) -> Report:
    report = Report(
        "12b. Slow feeds: a healthy feed's wait while feeds drip a byte a second (s)",
        ["poll", "healthy feed recorded after", "whole poll"],
    )
    baseline = _healthy_wait(0, 1.0, deadline)
    report.rows.append(["1 healthy feed alone", fmt(baseline[0], 2), fmt(baseline[1], 2)])
    hostile = _healthy_wait(4, 1.0, deadline)
    report.rows.append(
        ["1 healthy + 4 dripping (failed last time)", fmt(hostile[0], 2), fmt(hostile[1], 2)]
    )
    held = _one_drip(deadline)
    report.rows.append(
        ["1 dripping feed alone: fetch held for", fmt(held, 1), f"deadline {deadline:g}"]
    )
    report.notes.append(
        "Before: a server sending its headers a byte a second held a fetch for 140 s (httpx's "
        "timeouts are per read) and four such feeds held every fetch worker, delaying healthy "
        "feeds by 139 s. Now every connect, read and write ends by the fetch's 20 s deadline "
        "(slackbot/core/feeds/guarded.py), and feeds that failed last time are fetched in a "
        "lane of two of their own."
    )
    return report


def gzip_bomb(size: int) -> bytes:
    """A gzip body that inflates to ``size`` zero bytes, made in a second or two: after a
    full flush deflate's output for the same megabyte repeats exactly. The trailer's CRC
    is not the data's (a reader that stops at the cap never reaches it)."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = bytes(1 << 20)
    piece = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    body = piece * (size // len(block)) + deflate.flush()
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    return header + body + (0).to_bytes(4, "little") + (size % 2**32).to_bytes(4, "little")


_MEASURE = """
import resource, sys
import httpx
from slackbot.core.feeds import Fetcher
fetcher = Fetcher(allow_private=True, total_timeout=60)
fetcher.fetch(sys.argv[2])  # httpx imported, a connection made
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if sys.argv[3] == "httpx":
    # As fetches were read before issue 27: httpx's decoders, the cap checked per chunk.
    size, outcome = 0, "read"
    with httpx.stream("GET", sys.argv[1]) as response:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > 5 * 1024 * 1024:
                outcome = "larger than 5 MB"
                break
else:
    result = fetcher.fetch(sys.argv[1])
    outcome = result.error or "read"
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(before, after, outcome)
"""


def _peak(url: str, warm: str, reader: str) -> tuple[float, float, str]:
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, url, warm, reader],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    before, after, outcome = done.stdout.split(maxsplit=2)
    return int(before) / 1024, int(after) / 1024, outcome.strip()


def _size(count: int) -> str:
    return f"{count / 1024**3:g} GB" if count >= 1024**3 else f"{count / 1024**2:g} MB"


def compressed_bombs(inflated: int = 10 * 1024**3) -> Report:
    report = Report(
        "12c. Compressed bombs: a fetching process's peak memory (MB)",
        ["body", "on the wire", "peak before", "peak after", "grew", "outcome"],
    )
    ordinary = document("rss2.xml") * (5 * 1024 * 1024 // len(document("rss2.xml")))
    ordinary = ordinary[: 5 * 1024 * 1024 - 1]
    bomb = gzip_bomb(inflated)
    with FeedServer() as server:
        warm = server.serve("/warm", document("rss2.xml"))
        ordinary_url = server.serve("/ordinary", ordinary)
        bomb_url = server.serve("/bomb", bomb, encoded_as="gzip")
        for label, url, wire, reader in (
            ("ordinary feed, 5 MB", ordinary_url, len(ordinary), "summit"),
            (f"gzip bomb, {_size(inflated)} inflated", bomb_url, len(bomb), "summit"),
            (
                "the same bomb read by httpx's decoders (before)",
                bomb_url,
                len(bomb),
                "httpx",
            ),
        ):
            before, after, outcome = _peak(url, warm, reader)
            report.rows.append(
                [
                    label,
                    f"{wire / 1e6:.1f} MB",
                    fmt(before),
                    fmt(after),
                    fmt(after - before),
                    outcome,
                ]
            )
    report.notes.append(
        "Each in a fresh process (ru_maxrss after a first small fetch, then after the "
        "measured one). Before, httpx inflated each arriving chunk whole and the cap looked "
        "only afterwards: the 10 GB bomb cost 178 MB before it was refused. Now zlib's "
        "max_length bounds every step (slackbot/core/feeds/decoding.py)."
    )
    return report


def hostile_section(workdir: Path, requests: int, *, smoke: bool = False) -> list[Report]:
    if smoke:
        return [
            slow_clients(workdir, requests, held_count=50),
            slow_feeds(deadline=2.0),
            compressed_bombs(inflated=100 * 1024**2),
        ]
    return [slow_clients(workdir, min(requests, 200)), slow_feeds(), compressed_bombs()]
