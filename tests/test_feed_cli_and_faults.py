"""``summitbot feeds`` as an operator runs it, and polls killed with kill -9: a real process,
a real feed server on loopback, a real store."""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from slackbot.core.feeds import FeedService, Fetcher
from slackbot.core.intel import SummitIntel
from storage.repository import FactStore
from tests.fake_slack import BOT_TOKEN, FakeSlack
from tests.feed_server import FeedServer, document
from tests.processes import ServerProcess
from tests.slack_client import SlackSender
from tests.test_faults import FULL, env_for, figure, summitbot

SECRET = "feed-fault-signing-secret"

FEEDS = 40
ITEMS = 5
SYLLABLES = "ka lo mi nu pe ri so tu va ze".split()


def codenames() -> Iterator[str]:
    for parts in itertools.product(SYLLABLES, repeat=3):
        yield "".join(parts).capitalize()


def serve_numbered_feeds(server: FeedServer, *, feeds: int, items: int, delay: float) -> set[str]:
    """``feeds`` feeds at /f0, /f1 … of ``items`` distinct Samsung stories each; their titles."""
    names = codenames()
    expected: set[str] = set()
    for feed in range(feeds):
        entries = []
        for item in range(items):
            title = f"Samsung {next(names)} memory order {feed}x{item}"
            expected.add(title)
            entries.append(
                f"<item><title>{title}</title><link>https://f{feed}.example/{item}</link>"
                f"<guid>f{feed}-{item}</guid></item>"
            )
        body = (
            f'<rss version="2.0"><channel><title>F{feed}</title>{"".join(entries)}</channel></rss>'
        )
        # Slow enough that a poll of every feed takes a while to record.
        server.serve(f"/f{feed}", body.encode(), delay=delay)
    return expected


def test_dry_run_previews_a_loopback_feed_and_stores_nothing(
    tmp_path: Path, server: FeedServer
) -> None:
    db = tmp_path / "summit.json"
    url = server.serve("/wire", document("rss2.xml"))
    shown = summitbot(db, "feeds", "poll", "--dry-run", url)
    assert shown.returncode == 0, shown.stderr
    assert "4 items, 2 would be proposed; nothing was stored" in shown.stdout
    assert "Samsung to supply HBM chips for Microsoft's AI servers" in shown.stdout
    assert "(1 item named no known company, person or product)" in shown.stdout
    local = summitbot(
        db, "feeds", "poll", "--dry-run", str(Path("tests/feeds/euckr.xml").resolve())
    )
    assert "삼성전자, 마이크로소프트와 HBM 공급 계약 추진" in local.stdout
    with FactStore(db) as store:
        assert store.feeds() == [] and store.candidates() == []


def test_feeds_add_list_poll_remove_from_the_terminal(tmp_path: Path, server: FeedServer) -> None:
    db = tmp_path / "summit.json"
    url = server.serve("/atom", document("atom.xml"))
    refused = summitbot(db, "feeds", "add", url)
    assert refused.returncode == 2 and "SUMMITBOT_FEEDS_ALLOW_PRIVATE" in refused.stderr
    allow = {"SUMMITBOT_FEEDS_ALLOW_PRIVATE": "true"}
    added = summitbot(db, "feeds", "add", url, "every", "2h", **allow)
    assert "added feed 1" in added.stdout and "every 120 min" in added.stdout
    polled = summitbot(db, "feeds", "poll", **allow)
    assert "feed 1 (Chip Ledger): 2 new items" in polled.stdout
    listed = summitbot(db, "feeds", "list")
    assert "Chip Ledger" in listed.stdout and "proposed 2" in listed.stdout
    assert "removed" in summitbot(db, "feeds", "remove", "1").stdout
    missing = summitbot(db, "feeds", "remove", "1")
    assert missing.returncode == 2 and "There is no feed '1'" in missing.stderr


def _children_of(pid: int) -> set[int]:
    """The processes ``pid`` started that still run (Linux: /proc/PID/task/TID/children)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found |= {int(child) for child in (task / "children").read_text().split()}
    return found


def _alive(pid: int) -> bool:
    """Running, and not a zombie that only waits for its parent to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _grown_by_whole_lines(journal: Path, size: int) -> bool:
    """Whether the journal has grown past ``size`` and ends with a complete record."""
    try:
        with journal.open("rb") as opened:
            opened.seek(0, 2)
            grown = opened.tell()
            if grown <= size:
                return False
            opened.seek(grown - 1)
            return opened.read(1) == b"\n"
    except FileNotFoundError:
        return False


def _size_of(journal: Path) -> int:
    """The journal's size; -1 while a compaction hands it over (between moving it to the
    folding journal and opening the new one, no file has its name)."""
    try:
        return journal.stat().st_size
    except FileNotFoundError:
        return -1


def test_kill_9_mid_poll_neither_loses_nor_repeats_a_candidate(
    tmp_path: Path, server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "summit.json"
    expected = serve_numbered_feeds(server, feeds=FEEDS, items=ITEMS, delay=0.05)
    store = FactStore(db)
    store.seed()
    service = FeedService(SummitIntel(store), Fetcher(allow_private=True))
    for feed in range(FEEDS):
        service.add(server.url(f"/f{feed}"), "U0FAULT")
    service.close()
    store.close()
    journal = db.with_name(db.name + ".journal")
    env = env_for(db, SUMMITBOT_FEEDS_ALLOW_PRIVATE="true")
    kills = 6 if FULL else 3
    rng = random.Random(9)
    killed_mid = 0
    for _kill in range(kills):
        size = _size_of(journal)
        process = subprocess.Popen(
            [sys.executable, "-m", "slackbot", "feeds", "poll"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while _size_of(journal) == size and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.3))
        still_polling = process.poll() is None
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        killed_mid += still_polling
    finished = summitbot(db, "feeds", "poll", SUMMITBOT_FEEDS_ALLOW_PRIVATE="true")
    assert finished.returncode == 0, finished.stderr
    with FactStore(db) as reopened:
        titles = [candidate.title for candidate in reopened.candidates()]
        keys = [key for candidate in reopened.candidates() for key in candidate.keys]
    figure(
        capsys,
        f"feeds: {kills} kill -9 during polls ({killed_mid} mid-poll); "
        f"{len(set(titles))}/{len(expected)} items proposed, "
        f"{len(titles) - len(set(titles))} duplicates",
    )
    assert killed_mid >= 1
    assert sorted(titles) == sorted(expected)  # none lost, none twice
    assert len(keys) == len(set(keys))


def test_kill_9_of_the_server_mid_poll_then_restart_proposes_each_item_once(
    tmp_path: Path, server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """The serving process polls (its scheduler starts with every feed due) and is killed
    as the first polls are recorded; restarted, it polls again; every item ends up one
    candidate, and every candidate is posted to the review channel."""
    db = tmp_path / "summit.json"
    expected = serve_numbered_feeds(server, feeds=20, items=5, delay=0.05)
    store = FactStore(db)
    store.seed()
    service = FeedService(SummitIntel(store), Fetcher(allow_private=True))
    for feed in range(20):
        service.add(server.url(f"/f{feed}"), "U0FAULT")
    service.close()
    store.close()
    journal = db.with_name(db.name + ".journal")
    with FakeSlack() as fake:
        fake.add_channel("C0REVIEW", "review", bot_member=True)
        env = env_for(
            db,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=fake.api_url,
            SUMMITBOT_ADMINS="U0ADMIN",
            SUMMITBOT_FEEDS_ALLOW_PRIVATE="true",
            SUMMITBOT_REVIEW_CHANNEL="C0REVIEW",
        )
        size = journal.stat().st_size
        first = ServerProcess(env, tmp_path)
        deadline = time.monotonic() + 60
        # Killed once a poll's batch is whole in the journal: a kill in the middle of the
        # first write would leave nothing recorded before it, and this test is about a kill
        # between recorded feeds.
        while not _grown_by_whole_lines(journal, size) and time.monotonic() < deadline:
            time.sleep(0.005)
        parsing = _children_of(first.process.pid)  # its feed-parsing worker, and the like
        first.process.send_signal(signal.SIGKILL)
        first.process.wait()
        # Killed, the server cannot shut its worker pool down: each child leaves by itself.
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in parsing) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert parsing and not [pid for pid in parsing if _alive(pid)]
        with FactStore(db) as between:
            recorded_before = sum(f.last_fetch_at is not None for f in between.feeds())
        second = ServerProcess(env, tmp_path)
        sender = SlackSender(second.url, SECRET, fake)
        try:
            reply = sender.command("/summit", "feeds poll", user_id="U0ADMIN")
            assert reply.status == 200
        finally:
            sender.close()
        # SIGTERM lets the scheduler's poll finish before the server stops.
        assert second.stop(signal.SIGTERM) == 0
        posted = [c.params["text"] for c in fake.calls_to("chat.postMessage", ok=True)]
    with FactStore(db) as reopened:
        candidates = reopened.candidates()
        titles = [c.title for c in candidates]
        keys = [key for c in candidates for key in c.keys]
        unposted = [c.id for c in candidates if not c.review_ts]
    figure(
        capsys,
        f"feeds: server killed -9 after {recorded_before}/20 feeds were recorded; after the "
        f"restart {len(set(titles))}/{len(expected)} items proposed, "
        f"{len(titles) - len(set(titles))} duplicates, {len(unposted)} unposted",
    )
    assert 0 < recorded_before < 20
    assert sorted(titles) == sorted(expected)
    assert len(keys) == len(set(keys)) and unposted == []
    assert posted  # the review channel heard of them (a summary: more than ten at once)


def test_the_console_lists_polls_and_queues_feeds(tmp_path: Path, server: FeedServer) -> None:
    url = server.serve("/wire", document("rss2.xml"))
    lines = f"/summit feeds add {url}\n/summit feeds poll\n/summit queue\n/summit review here\n"
    result = subprocess.run(
        [sys.executable, "-m", "slackbot", "shell"],
        cwd=tmp_path,
        env=env_for(tmp_path / "summit.json", SUMMITBOT_FEEDS_ALLOW_PRIVATE="true"),
        input=lines,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Feed 1 (127.0.0.1" in out and "Feed 1 (Seoul Tech Wire): 2 new items" in out
    assert "2 waiting for review" in out and "Samsung to supply HBM chips" in out
    assert "in the console, `/summit queue` lists" in out or "in the console, /summit queue" in out
