"""The measurements behind `python -m bench`."""

from __future__ import annotations

import itertools
import random
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tinydb import Query, TinyDB

from slackbot.app import build
from slackbot.config import Settings
from slackbot.core.curation import FactDraft
from slackbot.core.digests import DigestRequest
from slackbot.core.feeds import FeedService, Fetcher
from slackbot.core.intel import SummitIntel
from slackbot.scheduler import DigestScheduler
from slackbot.slack import render
from storage.api import Revision, utc_now
from storage.repository import FactStore
from tests.fake_slack import BOT_TOKEN, FakeSlack
from tests.slack_client import SlackSender, view_submission

WORDS = (
    "wafer yield packaging foundry memory stack bandwidth supply contract pilot cloud "
    "datacenter copilot assistant handset television network antenna model training "
    "inference accelerator roadmap sample order capacity investment venture license "
    "partnership prototype benchmark launch shipment tender audit zebra quokka lemur"
).split()


def fresh_statement(rng: random.Random) -> str:
    return "Benchmark development: " + " ".join(rng.sample(WORDS, 14))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# A question, or a question and the workspace (team id) it is asked in.
Asked = str | tuple[str, str]


@dataclass(frozen=True)
class Stats:
    p50: float
    p99: float
    rps: float
    failed: int = 0  # requests not answered 200 (with ``allow_errors``)


def _run_clients(
    url: str,
    secret: str,
    command: str,
    texts: Sequence[Asked],
    clients: int,
    total: int,
    until: threading.Event | None = None,
    disjoint: bool = False,
    kept: list[float] | None = None,
    response_urls: Callable[[], str] | None = None,
    allow_errors: bool = False,
) -> Stats:
    """``total`` requests from ``clients`` keep-alive clients; with ``until``, as many as
    they make until it is set. ``disjoint``: each client asks its own share of ``texts``
    (so no answer is asked for twice, while there are enough texts). A text may name the
    workspace it is asked in: ``(team, text)``."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    per_client = max(total // clients, 1)
    # Every client connects first and all start together: the figures are of requests on
    # open keep-alive connections, as Slack sends them, not of 32 TCP handshakes at once.
    ready = threading.Barrier(clients + 1)

    def client(number: int) -> None:
        sender = SlackSender(url, secret)
        try:
            sender.get("/healthz")
        except OSError as error:
            errors.append(f"could not connect: {error}")
            return
        finally:
            ready.wait()
        if disjoint:
            mine_to_ask = texts[number::clients] or texts
            cycle = itertools.cycle(mine_to_ask)
        else:
            cycle = itertools.cycle([*texts[number % len(texts) :], *texts[: number % len(texts)]])
        mine = []
        rounds = itertools.count() if until is not None else range(per_client)
        try:
            for _ in rounds:
                if until is not None and until.is_set():
                    break
                asked = next(cycle)
                team, text = asked if isinstance(asked, tuple) else ("T0TEAM", asked)
                started = time.perf_counter()
                answer_to = response_urls() if response_urls else None
                reply = sender.command(command, text, team_id=team, response_url=answer_to)
                mine.append((time.perf_counter() - started) * 1000)
                if reply.status != 200:
                    errors.append(f"{reply.status}: {reply.body[:80]}")
        finally:
            sender.close()
        with lock:
            latencies.extend(mine)
            if kept is not None:
                kept.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors and not allow_errors:
        raise RuntimeError(f"{len(errors)} requests failed, e.g. {errors[0]}")
    return Stats(
        statistics.median(latencies),
        percentile(latencies, 0.99),
        (len(latencies) - len(errors)) / elapsed,
        len(errors),
    )


def http_load(
    url: str,
    secret: str,
    command: str,
    texts: Sequence[Asked],
    clients: int,
    total: int,
    *,
    disjoint: bool = False,
    response_urls: Callable[[], str] | None = None,
    allow_errors: bool = False,
) -> Stats:
    """``response_urls``: a new response URL for each request (the fake Slack's), so that
    answers posted after the acknowledgement reach something that answers at once.
    ``allow_errors``: requests not answered 200 are counted (``Stats.failed``), not raised."""
    if disjoint:
        # Warmed up with other questions than the measured ones.
        _run_clients(
            url, secret, command, texts[-20:], 1, min(20, total), response_urls=response_urls
        )
        return _run_clients(
            url,
            secret,
            command,
            texts[:-20],
            clients,
            total,
            disjoint=True,
            response_urls=response_urls,
            allow_errors=allow_errors,
        )
    warm = min(20, total)
    _run_clients(url, secret, command, texts, 1, warm, response_urls=response_urls)
    return _run_clients(url, secret, command, texts, clients, total, response_urls=response_urls)


def cold_rounds(
    url: str | Callable[[], str],
    secret: str,
    command: str,
    rounds: list[Sequence[Asked]],
    clients: int,
) -> Stats:
    """Each round's questions asked once each by ``clients`` clients, every answer built
    afresh; the latencies of all rounds together. ``url``: a server, or a function that
    starts a fresh one for each round (its caches cold) and returns its URL."""
    latencies: list[float] = []
    elapsed = 0.0
    for questions in rounds:
        served = url() if callable(url) else url
        started = time.perf_counter()
        _run_clients(
            served,
            secret,
            command,
            questions,
            clients,
            len(questions),
            disjoint=True,
            kept=latencies,
        )
        elapsed += time.perf_counter() - started
    return Stats(
        statistics.median(latencies), percentile(latencies, 0.99), len(latencies) / elapsed
    )


def http_load_until(
    url: str, secret: str, command: str, texts: list[str], clients: int, until: threading.Event
) -> Stats:
    """The load, for as long as something else runs (until ``until`` is set)."""
    return _run_clients(url, secret, command, texts, clients, 0, until)


def http_load_while_saving(
    url: str,
    secret: str,
    command: str,
    texts: list[str],
    clients: int,
    total: int,
    admin: str,
    save_url: str | None = None,
) -> tuple[Stats, list[float]]:
    """The load, while an admin saves facts through the modal back to back (on
    ``save_url``, another replica, when given)."""
    view = render.fact_form(FactDraft(), [], {"mode": "add"}, today="2024-05-14").to_dict()
    saves: list[float] = []
    done = threading.Event()
    problems: list[str] = []

    def admin_saving() -> None:
        rng = random.Random(7)
        sender = SlackSender(save_url or url, secret)
        try:
            while not done.is_set():
                values = {
                    "entities": ["samsung", "hbm"],
                    "statement": fresh_statement(rng),
                    "status": "reported",
                    "kind": "hardware",
                    "source_url": "https://news.example.com/bench",
                }
                started = time.perf_counter()
                reply = sender.interactive(view_submission(view, values, admin))
                saves.append((time.perf_counter() - started) * 1000)
                if reply.status != 200 or reply.body:
                    problems.append(reply.body[:200])
        finally:
            sender.close()

    writer = threading.Thread(target=admin_saving)
    writer.start()
    try:
        stats = _run_clients(url, secret, command, texts, clients, total)
    finally:
        done.set()
        writer.join()
    if problems:
        raise RuntimeError(f"{len(problems)} saves failed, e.g. {problems[0]}")
    return stats, saves


def _timed(operation: object, rounds: int) -> list[float]:
    times = []
    for n in range(rounds):
        started = time.perf_counter()
        operation(n)  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return times


def store_operations(db: Path, size: int, rounds: int) -> list[list[str]]:
    """Lookup, search, insert and update: ours and plain TinyDB's, on the same facts."""
    entities = ["samsung", "sk-hynix", "lg-electronics", "sk-telecom", "co-1", "co-2", "co-3"]
    queries = [
        "hbm supply",
        "pangyo accelerator",
        "copilot television",
        "cxl memory",
        "samsung hbm4",
        "investor event",
        "qualification testing",
    ]
    rng = random.Random(size)
    with FactStore(db, compact_after=10**9) as store:
        docs = [fact.to_doc() for fact in store.facts()]
        existing = store.facts()[-1]

        def revision(fact_id: str, number: int) -> Revision:
            return Revision(fact_id, number, utc_now().isoformat(), "bench", "edited", {})

        def insert(n: int) -> None:
            fact = replace(existing, id="new", statement=fresh_statement(rng), revision=1)
            store.add_fact(fact, revision("new", 1))

        def update(n: int) -> None:
            current = store.fact(existing.id)
            assert current is not None
            changed = replace(
                current, statement=fresh_statement(rng), revision=current.revision + 1
            )
            store.put_fact(changed, revision(current.id, changed.revision))

        ours = {
            "lookup by entity": _timed(lambda n: store.facts_involving([entities[n % 7]]), rounds),
            "word search (top 10)": _timed(
                lambda n: store.search_facts(queries[n % 7], 10), rounds
            ),
            "durable insert": _timed(insert, rounds),
            "durable update": _timed(update, rounds),
        }
    plain_path = db.with_name("plain-tinydb.json")
    plain = TinyDB(plain_path)
    table = plain.table("facts")
    table.insert_multiple(docs)
    plain_rounds = max(3, min(rounds, 20_000 // size))
    fact = Query()

    def plain_lookup(n: int) -> None:
        table.clear_cache()  # a different query each time, as users ask different things
        table.search(fact.entity_ids.any([entities[n % 7]]))

    def plain_search(n: int) -> None:
        table.clear_cache()
        terms = queries[n % 7].split()
        table.search(fact.statement.test(lambda s: all(t in s.lower() for t in terms)))

    def plain_insert(n: int) -> None:
        table.insert({**docs[-1], "id": f"P{n}", "statement": fresh_statement(rng)})

    def plain_update(n: int) -> None:
        table.update({"statement": fresh_statement(rng)}, doc_ids=[1])

    theirs = {
        "lookup by entity": _timed(plain_lookup, plain_rounds),
        "word search (top 10)": _timed(plain_search, plain_rounds),
        "durable insert": _timed(plain_insert, plain_rounds),
        "durable update": _timed(plain_update, plain_rounds),
    }
    plain.close()
    rows = []
    for name, times in ours.items():
        mine, other = statistics.median(times), statistics.median(theirs[name])
        rows.append(
            [
                name,
                f"{mine:.3f}",
                f"{percentile(times, 0.99):.3f}",
                f"{other:.1f}",
                f"{other / mine:,.0f}x",
            ]
        )
    return rows


@dataclass(frozen=True)
class Fanout:
    delivered: int
    seconds: float
    duplicates: int
    losses: int
    rate_limited: int


def fanout(db: Path, channels: int, *, now_not_next_minute: bool = False) -> Fanout:
    """Every channel subscribed to the same minute; one new development for all of them.
    ``now_not_next_minute`` (the smoke run) fires the real scheduler's jobs at once, with the
    service's clock set just past the slot, instead of waiting for the next minute."""
    with FakeSlack() as fake:
        fake.rate_limit_share = 0.05
        ids = [f"C{n:05d}" for n in range(channels)]
        for channel in ids:
            fake.add_channel(channel, channel.lower(), bot_member=True)
        settings = Settings(
            bot_token=BOT_TOKEN, signing_secret="x", api_url=fake.api_url, db_path=db
        )
        with FactStore(db) as store:
            built = build(settings, store)
            service = built.services.digests
            now = datetime.now(UTC)
            slot = (now + timedelta(minutes=2 if now.second > 45 else 1)).replace(
                second=0, microsecond=0
            )
            request = DigestRequest("daily", "daily", slot.strftime("%H:%M"))
            for channel in ids:
                service.schedule(channel, request, "UTC", "U0BENCH")
            time.sleep(0.01)
            built.services.curator.add(
                FactDraft(
                    statement="Samsung and Microsoft agree a fan-out benchmark HBM deal",
                    kind="hardware",
                    entity_ids=("samsung", "hbm"),
                    source_url="https://news.example.com/fanout",
                ),
                "U0BENCH",
            )
            scheduler = DigestScheduler(service)
            scheduler.start()
            if now_not_next_minute:
                just_past_slot = slot + timedelta(seconds=1)
                service.clock = lambda: just_past_slot
                for job in scheduler.scheduler.get_jobs():
                    if job.id.startswith("digest:"):
                        job.modify(next_run_time=datetime.now(UTC))
                slot = datetime.now(UTC) - timedelta(seconds=1)
            try:
                deadline = slot + timedelta(seconds=300)
                while datetime.now(UTC) < deadline:
                    posted = Counter(
                        call.params["channel"]
                        for call in fake.calls_to("chat.postMessage", ok=True)
                    )
                    if len(posted) >= channels and datetime.now(UTC) > slot:
                        break
                    time.sleep(0.2)
                finished = datetime.now(UTC)
                time.sleep(2)  # anything late or doubled would show now
            finally:
                scheduler.shutdown()
        posted = Counter(
            call.params["channel"] for call in fake.calls_to("chat.postMessage", ok=True)
        )
        limited = sum(1 for call in fake.calls_to("chat.postMessage") if call.status == 429)
    return Fanout(
        delivered=len(posted),
        seconds=(finished - slot).total_seconds(),
        duplicates=sum(count - 1 for count in posted.values() if count > 1),
        losses=channels - len(posted),
        rate_limited=limited,
    )


# -- feeds ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedCycles:
    first_seconds: float
    second_seconds: float
    candidates: int
    groups: list[list[str]]  # the item links each candidate stands for
    not_modified: int


def add_feeds(db: Path, urls: list[str], *, due: bool = True) -> None:
    """The feeds added as an admin would; with ``due`` off, not due for a day (so a server
    started on the store polls them only when asked)."""
    store = FactStore(db)
    service = FeedService(SummitIntel(store), Fetcher(allow_private=True))
    try:
        for url in urls:
            feed = service.add(url, "U0BENCH")
            if not due:
                later = (utc_now() + timedelta(days=1)).isoformat()
                store.put_feed(replace(feed, next_fetch_at=later))
    finally:
        service.close()
        store.close()


def feed_cycles(db: Path, urls: list[str]) -> FeedCycles:
    """Two full poll cycles over every feed: the first gets every item, the second 304s."""
    add_feeds(db, urls)
    store = FactStore(db)
    fetcher = Fetcher(allow_private=True)
    service = FeedService(SummitIntel(store), fetcher)
    try:
        started = time.perf_counter()
        service.poll()
        first = time.perf_counter() - started
        started = time.perf_counter()
        second = service.poll()
        second_seconds = time.perf_counter() - started
        candidates = store.candidates()
        groups = [
            [key.removeprefix("link:") for key in c.keys if key.startswith("link:")]
            for c in candidates
        ]
        not_modified = sum(report.result == "not modified" for report in second)
        return FeedCycles(first, second_seconds, len(candidates), groups, not_modified)
    finally:
        service.close()
        fetcher.close()
        store.close()


def whois_during_poll(
    url: str, secret: str, fake: FakeSlack, admin: str, texts: list[str], *, smoke: bool
) -> tuple[Stats, Stats, float]:
    """/whois with no poll, then /whois while the server polls every feed (started by an
    admin's /summit feeds poll); and how long that poll took."""
    quiet = http_load(url, secret, "/whois", texts, 8, 40 if smoke else 800)
    done = threading.Event()
    loaded: list[Stats] = []
    load = threading.Thread(
        target=lambda: loaded.append(http_load_until(url, secret, "/whois", texts, 8, done))
    )
    load.start()
    sender = SlackSender(url, secret)
    response_url = fake.response_url()
    path = response_url.removeprefix(fake.base)
    started = time.perf_counter()
    try:
        sender.command("/summit", "feeds poll", user_id=admin, response_url=response_url)
        # The first post says the poll started; the second, what came of it.
        fake.wait_for(lambda: len([p for p in fake.response_posts if p["path"] == path]) >= 2, 600)
        seconds = time.perf_counter() - started
    finally:
        done.set()
        load.join()
        sender.close()
    return quiet, loaded[0], seconds


# -- Socket Mode --------------------------------------------------------------------------


def socket_mode_acks(
    db: Path, fake: FakeSlack, texts: list[str], count: int, env: dict[str, str]
) -> Stats:
    """``summitbot socket`` as a separate process on the store, connected to a local Socket
    Mode endpoint: the time from sending a /whois envelope to receiving its acknowledgement
    (with the answer in it), one envelope at a time."""
    import subprocess
    import sys

    from tests.fake_slack import APP_TOKEN
    from tests.fake_socket_mode import FakeSocketMode

    socket = FakeSocketMode().start()
    fake.socket_url = socket.url
    process = subprocess.Popen(
        [sys.executable, "-m", "slackbot", "socket"],
        env={
            **env,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_API_URL": fake.api_url,
            "SUMMITBOT_DB": str(db),
            "LOG_LEVEL": "WARNING",
        },
        cwd=db.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        socket.wait_connected(60)
        latencies = []
        for number in range(count + 20):
            started = time.perf_counter()
            socket.push(
                "slash_commands",
                {
                    "command": "/whois",
                    "text": texts[number % len(texts)],
                    "user_id": "U0ALICE",
                    "channel_id": "C0GENERAL",
                    "team_id": "T0TEAM",
                    "response_url": fake.response_url(),
                    "trigger_id": fake.issue_trigger(),
                },
            )
            if number >= 20:  # the first ones warm up
                latencies.append((time.perf_counter() - started) * 1000)
        elapsed = sum(latencies) / 1000
        return Stats(statistics.median(latencies), percentile(latencies, 0.99), count / elapsed)
    finally:
        process.terminate()
        process.wait(30)
        socket.stop()
