"""`make bench`: Summit Intel's benchmarks, printed and written to bench/RESULTS.md.

1. Slash-command latency over HTTP (signed /who, /chips, /summit search; 1, 8 and 32
   keep-alive clients) at each store size, beside a bare Bolt app on the same server.
2. /who while an admin saves facts through the modal continuously.
3. Store operations beside plain TinyDB on its default JSONStorage.
4. Start-up time to healthy and resident memory.
5. Digest fan-out: 1,000 channels due in the same minute, 5% of posts answered 429.
6. Feeds: 200 feeds x 50 items from a loopback server (20% near-duplicates, labelled): a
   full poll cycle, deduplication precision and recall, a cycle of 304s, and /whois at the
   largest store while a cycle runs in the serving process.
7. Socket Mode: envelope to acknowledgement, for repeated and uncached questions.
11. Names and stories on hand-labelled headlines, beside plain matching
    (``--only-labelled``: this section alone, written to bench/RESULTS-labelled.md).

`python -m bench --smoke` runs all of it small (1,000 facts, few requests): `make test` does,
so the benchmarks keep working; it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench import feeds_synth, measure
from bench.big import big_section
from bench.compare import compare_section
from bench.hostile import hostile_section
from bench.labelled import labelled_section
from bench.postgres import postgres_section
from bench.processes import processes_section
from bench.report import (
    ADMIN,
    ROOT,
    SECRET,
    Report,
    Server,
    cpu_ms,
    diverse_questions,
    fmt,
    machine,
    timed_import,
)
from bench.synth import write as write_synthetic
from bench.working_set import working_set_section
from bench.workspaces import workspaces_section
from slackbot.app import LISTENER_THREADS
from slackbot.server import WORKER_THREADS
from tests.fake_slack import FakeSlack
from tests.feed_server import FeedServer
from tests.slack_client import DEFAULT_USER


def build_store(size: int, workdir: Path) -> Path:
    """A store of ``size`` synthetic facts (plus the seed), loaded with `summitbot import`."""
    folder = workdir / f"store-{size}"
    folder.mkdir(parents=True, exist_ok=True)
    lines = folder / "synthetic.jsonl"
    write_synthetic(str(lines), size)
    seconds, _peak, _written = timed_import(lines, folder / "summit.json")
    print(f"  built the {size:,}-fact store in {seconds:.1f} s", flush=True)
    return folder / "summit.json"


def copy_store(template: Path, workdir: Path, name: str) -> Path:
    folder = workdir / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    shutil.copy(template, folder / "summit.json")
    # The store as `summitbot import` left it: the snapshot and the word index saved with it.
    shutil.copy(template.with_name("summit.json.index"), folder / "summit.json.index")
    return folder / "summit.json"


COMMANDS = {
    "/who": ["samsung", "sk hynix", "곽노정", "lg", "skt", "samsnug", "nadella", "anthropic"],
    "/chips": ["", "hbm", "samsung", "cxl"],
    "/summit": ["search hbm supply", "search pangyo accelerator", "search copilot tvs"],
}


FLOORS = {
    "Bolt, default runner (the bare app)": "bolt",
    "Bolt, process_before_response=True": "bolt-before-response",
    "plain WSGI, signature check only": "wsgi",
}


Floors = dict[tuple[str, int], measure.Stats]


def floors_section(fake: FakeSlack, requests: int, clients: list[int]) -> tuple[Report, Floors]:
    report = Report(
        "1a. The floors: a constant answer on the same waitress server (ms; /whois)",
        ["floor", "clients", "p50", "p99", "req/s", "server CPU per request (ms)"],
    )
    found: Floors = {}
    for label, mode in FLOORS.items():
        bare = Server("bench.bare_app", fake, None, BENCH_FLOOR=mode)
        try:
            for count in clients:
                before = bare.cpu_seconds()
                stats = measure.http_load(bare.url, SECRET, "/whois", ["x"], count, requests)
                cpu = cpu_ms(bare, before, requests + 20)
                found[(mode, count)] = stats
                report.rows.append(
                    [
                        label,
                        str(count),
                        fmt(stats.p50, 2),
                        fmt(stats.p99, 2),
                        fmt(stats.rps, 0),
                        fmt(cpu, 2),
                    ]
                )
        finally:
            bare.stop()
    report.notes.append(
        "Each floor runs in its own process on the server settings the app uses (waitress, "
        f"{WORKER_THREADS} threads; Bolt with the app's {LISTENER_THREADS}-thread listener "
        "pool). CPU per request is the server process's user and system time over the "
        "requests it answered."
    )
    return report, found


UNCACHED_PROFILE = (
    "Slash commands answered from memory skip Bolt's pipeline: the signature is checked "
    "with slack_sdk's SignatureVerifier and the same listener is called (the ingress's "
    "short-circuit, slackbot/ingress.py). An entity's card is built once for all its names "
    "until the store changes or the day turns (slackbot/core/memo.py), and rendered once "
    "(slackbot/slack/answering.py's CardCache): the 1,500 names are about 500 entities' "
    "names, aliases and "
    "Korean names, so one question in three builds and renders a card and the others find "
    "it and add their share button. Facts stay in the snapshot file until an answer shows "
    "them (storage/stored_records.py); the store's start decodes the newest 90 facts of "
    "each entity, up to 65,536, so a card's facts are mostly decoded already, while a "
    "search's are read from the file (about 12 us a fact: 1.6 to read, 4.6 to parse, 5.7 to"
    " build). Where the server's CPU goes, per /whois at 100,000 facts and 8 clients "
    "(probes on this machine, several runs): the WSGI floor 0.19-0.23 ms; the app with its "
    "answer replaced by a constant (signature, form, dispatch) 0.25-0.30 ms; the uncached "
    "/whois 0.6-0.76 ms. The same 1,480 answers built by calling the WSGI app in one "
    "thread, without a server, take 0.24 ms each: in the server, with waitress's threads "
    "taking turns on the GIL across both cores, the same code takes about twice as long (a "
    "GIL switch interval of 1 to 50 ms and the server pinned to one core made no "
    "difference). With one GIL, p50 at 8 clients is about 8 x the CPU of a request, so 1.5x"
    " the WSGI floor needs about 0.3 ms a request, which the app's own request handling "
    "takes before any answer is built: /whois, /chips and /summit land at 1.6x to 2.9x "
    "(the floor itself moves by a third between runs). Caching "
    "cannot close it (a question whose card is kept still parses the form, matches the name"
    " and encodes the answer). What could, not measured here: more than one process "
    "answering, as the PostgreSQL replicas do, each with its own copy of the indexes; one "
    "embedded store is one process's file, and within one process every request's Python "
    "shares one GIL. At 32 clients the same queue is 32 requests deep (16 waitress threads "
    "taking turns on the GIL, the 32-thread load generator on the same two cores): p50 is "
    "about 32 x the CPU of a request, and p99 stays within about twice p50 (4 waitress "
    "threads instead of 16: p99 about the same, p50 15% higher, in a probe)."
)


def latency_section(
    sizes: list[int], stores: dict[int, Path], workdir: Path, requests: int, clients: list[int]
) -> tuple[Report, Report, Report, Report, Report]:
    latency = Report(
        "1. Slash-command latency over HTTP (ms; waitress, signed requests, keep-alive clients)",
        [
            "facts",
            "command",
            "clients",
            "p50",
            "p99",
            "req/s",
            "bare p50",
            "bare p99",
            "bare req/s",
            "p50 ratio",
        ],
    )
    writing = Report(
        "2. /who while an admin saves facts through the modal continuously (8 clients)",
        ["facts", "p50", "p99", "req/s", "saves done", "save p50", "bare p50", "p50 ratio"],
    )
    startup = Report(
        "4. Start-up to healthy and resident memory",
        [
            "facts",
            "start-up to /healthz 200 (s)",
            "RSS after start (MB)",
            "RSS after load (MB)",
            "start-up, word index rebuilt (s)",
        ],
    )
    uncached = Report(
        "1b. Questions that miss the answer cache (ms; each client asks its own share of the "
        "store's names, aliases and Korean names, or of word-pair searches)",
        [
            "facts",
            "command",
            "clients",
            "distinct questions",
            "p50",
            "p99",
            "req/s",
            "server CPU per request (ms)",
            "p50 / bare Bolt",
            "p50 / WSGI floor",
        ],
    )
    with FakeSlack() as fake:
        # The asker is known to Slack (users.info), as every real user is: whether they are
        # an admin is then cached, and /summit search answers within the acknowledgement.
        fake.add_user(DEFAULT_USER)
        floor_report, floors = floors_section(fake, requests, clients)
        bare = Server("bench.bare_app", fake, None)
        try:
            floor = {
                (command, n): measure.http_load(
                    bare.url, SECRET, command, COMMANDS[command], n, requests
                )
                for command in COMMANDS
                for n in clients
            }
        finally:
            bare.stop()
        for size in sizes:
            db = copy_store(stores[size], workdir, f"serve-{size}")
            server = Server("slackbot", fake, db)
            rss_start = server.rss_mb()
            try:
                for command in COMMANDS:
                    for n in clients:
                        ours = measure.http_load(
                            server.url, SECRET, command, COMMANDS[command], n, requests
                        )
                        base = floor[(command, n)]
                        latency.rows.append(
                            [
                                f"{size:,}",
                                command,
                                str(n),
                                fmt(ours.p50),
                                fmt(ours.p99),
                                fmt(ours.rps, 0),
                                fmt(base.p50),
                                fmt(base.p99),
                                fmt(base.rps, 0),
                                fmt(ours.p50 / base.p50, 2),
                            ]
                        )
                questions = diverse_questions(stores[size].parent)
                for command, asked in questions.items():
                    # Each run starts elsewhere in the questions: 32 clients after the 8's
                    # share, over what 1 client asked before the answer cache forgot it.
                    half = len(asked) // 2
                    starts = {1: 0, 8: half, 32: (half + requests) % max(len(asked), 1)}
                    for n in clients:
                        start = starts.get(n, 0)
                        texts = asked[start:] + asked[:start]
                        before = server.cpu_seconds()
                        stats = measure.http_load(
                            server.url,
                            SECRET,
                            command,
                            texts,
                            n,
                            requests,
                            disjoint=True,
                            response_urls=fake.response_url,
                        )
                        cpu = cpu_ms(server, before, requests + 20)
                        bolt = floors[("bolt", n)]
                        wsgi = floors[("wsgi", n)]
                        uncached.rows.append(
                            [
                                f"{size:,}",
                                command,
                                str(n),
                                f"{len(asked):,}",
                                fmt(stats.p50, 2),
                                fmt(stats.p99, 1),
                                fmt(stats.rps, 0),
                                fmt(cpu, 2),
                                fmt(stats.p50 / bolt.p50, 2),
                                fmt(stats.p50 / wsgi.p50, 2),
                            ]
                        )
                with_writes, saves = measure.http_load_while_saving(
                    server.url, SECRET, "/who", COMMANDS["/who"], 8, requests, ADMIN
                )
                base = floor[("/who", 8)]
                writing.rows.append(
                    [
                        f"{size:,}",
                        fmt(with_writes.p50),
                        fmt(with_writes.p99),
                        fmt(with_writes.rps, 0),
                        str(len(saves)),
                        fmt(statistics.median(saves)) if saves else "-",
                        fmt(base.p50),
                        fmt(with_writes.p50 / base.p50, 2),
                    ]
                )
                rss_loaded = server.rss_mb()
            finally:
                server.stop()
            cold = copy_store(stores[size], workdir, f"cold-{size}")
            cold.with_name("summit.json.index").unlink()
            rebuilding = Server("slackbot", fake, cold)
            rebuilding.stop()
            startup.rows.append(
                [
                    f"{size:,}",
                    fmt(server.healthy_after, 2),
                    fmt(rss_start, 0),
                    fmt(rss_loaded, 0),
                    fmt(rebuilding.healthy_after, 2),
                ]
            )
    latency.notes.append(
        "The bare app is slack-bolt acknowledging each command with a constant, served by the "
        "same waitress set-up; the load generator runs on the same 2-core machine. Every "
        "client opens its keep-alive connection before the clock starts (bench/measure.py), "
        "in every section: until the run of 2026-11-27 23:02 the first request of each "
        "client also made its TCP connection, 32 at once, which set p99 at 32 clients."
    )
    latency.notes.append(
        "Each client cycles through several questions (8 for /who, 4 for /chips, 3 searches). "
        "A rendered answer is reused until a fact it shows changes (slackbot.slack.services."
        "AnswerCache); searches until the store changes at all."
    )
    latency.notes.append(
        "The bare app runs Bolt's default listener runner, which waits for ack() by polling "
        "every 10 ms: the ~11 ms floor of its p50. Summit Intel answers the moment ack() is "
        "called (slackbot/slack/listener_runner.py)."
    )
    writing.notes.append(
        "The admin's saves are signed view_submission requests (the Add fact modal), each "
        "durably stored before it is acknowledged. Readers do not wait for a save's fsync: "
        "the store's writers' lock is held through it, its memory lock only while the saved "
        "records are applied (storage/repository.py)."
    )
    startup.notes.append(
        "Start-up = `summitbot serve` started until GET /healthz answers 200, on the store as "
        "`summitbot import` left it (the snapshot, and its layout and indexes saved beside "
        "it); the start decodes the newest facts of each entity into the fact cache. The "
        "last column starts the same store with the saved file deleted, so every record is "
        "read and the indexes are built again. RSS after load is taken after sections 1 and "
        "2 ran."
    )
    uncached.notes.append(
        "Summit Intel runs here with its answer cache as always; these questions are each "
        "asked once, so every answer is computed: matching, the store's pages, rendering. "
        "A store of 1,000 facts has fewer distinct names than requests, so some repeat."
    )
    uncached.notes.append(UNCACHED_PROFILE)
    return latency, floor_report, uncached, writing, startup


def store_section(sizes: list[int], stores: dict[int, Path], workdir: Path, rounds: int) -> Report:
    report = Report(
        "3. Store operations (ms per operation, median) beside plain TinyDB (JSONStorage)",
        [
            "facts",
            "operation",
            "Summit Intel p50",
            "Summit Intel p99",
            "plain TinyDB p50",
            "ratio (TinyDB / ours)",
        ],
    )
    for size in sizes:
        db = copy_store(stores[size], workdir, f"ops-{size}")
        for row in measure.store_operations(db, size, rounds):
            report.rows.append([f"{size:,}", *row])
    report.notes.append(
        "Plain TinyDB: TinyDB(path) with its default JSONStorage holding the same facts; "
        "lookup = Query().entity_ids.any([...]), search = a test over statement words, "
        "insert = table.insert, update = table.update by doc_id. Its writes are not fsynced; "
        "ours are (journal append + fsync before returning)."
    )
    return report


def fanout_section(channels: int, template: Path, workdir: Path, *, smoke: bool = False) -> Report:
    report = Report(
        "5. Digest fan-out: channels due in the same minute, 5% of posts answered 429 "
        "(Retry-After: 1)",
        [
            "channels",
            "delivered",
            "time from slot to last post (s)",
            "duplicates",
            "losses",
            "429s answered",
        ],
    )
    db = copy_store(template, workdir, "fanout")
    result = measure.fanout(db, channels, now_not_next_minute=smoke)
    report.rows.append(
        [
            f"{channels:,}",
            str(result.delivered),
            fmt(result.seconds, 1),
            str(result.duplicates),
            str(result.losses),
            str(result.rate_limited),
        ]
    )
    report.notes.append(
        "Real APScheduler (one cron job per channel), the app's WebClient with slack_sdk's "
        "retry handlers, the fake Web API on loopback."
    )
    return report


def feeds_section(template: Path, size: int, workdir: Path, *, smoke: bool) -> Report:
    feed_count, per_feed = (10, 10) if smoke else (200, 50)
    report = Report(
        f"6. Feeds: {feed_count} feeds x {per_feed} items from loopback "
        "(20% near-duplicates, labelled)",
        ["measure", "figure", "target"],
    )
    made = feeds_synth.generate(feed_count, per_feed)
    documents = feeds_synth.documents(made)
    with FeedServer() as server:
        for feed, body in documents.items():
            server.serve(f"/feed{feed}", body, etag=f'"v{feed}"')
        urls = [server.url(f"/feed{feed}") for feed in sorted(documents)]
        db = copy_store(template, workdir, "feeds")
        cycle = measure.feed_cycles(db, urls)
        report.rows += [
            ["items served", f"{len(made):,}", ""],
            ["full poll cycle (s)", fmt(cycle.first_seconds, 1), "<= 60"],
            ["candidates proposed", f"{cycle.candidates:,}", ""],
            ["stories in the labelled set", f"{len({i.story for i in made}):,}", ""],
        ]
        precision, recall, predicted, truth = feeds_synth.pair_scores(made, cycle.groups)
        report.rows += [
            ["dedupe precision (pairs)", f"{precision:.3f} ({predicted:,} pairs made)", ">= 0.95"],
            ["dedupe recall (pairs)", f"{recall:.3f} ({truth:,} true pairs)", ">= 0.95"],
            ["second cycle, every feed 304 (s)", fmt(cycle.second_seconds, 2), "<= 5"],
            ["304s answered in the second cycle", f"{cycle.not_modified}/{len(urls)}", ""],
        ]
        served = copy_store(template, workdir, "feeds-served")
        measure.add_feeds(served, urls, due=False)
        with FakeSlack() as fake:
            app = Server("slackbot", fake, served, SUMMITBOT_FEEDS_ALLOW_PRIVATE="true")
            try:
                quiet, during, seconds = measure.whois_during_poll(
                    app.url, SECRET, fake, ADMIN, COMMANDS["/who"], smoke=smoke
                )
            finally:
                app.stop()
        report.rows += [
            [
                f"/whois p50 / p99 at {size:,} facts, no poll (ms)",
                f"{fmt(quiet.p50)} / {fmt(quiet.p99)}",
                "",
            ],
            [
                f"/whois p50 / p99 at {size:,} facts while a cycle runs (ms)",
                f"{fmt(during.p50)} / {fmt(during.p99)}",
                "p99 <= 50",
            ],
            ["that cycle in the serving process (s)", fmt(seconds, 1), ""],
        ]
    report.notes.append(
        "The cycle: FeedService.poll() over every feed, 4 fetches at a time from a real HTTP "
        "server on loopback, each item matched to entities, deduplicated across feeds and "
        "written with its feed's validators in one batch, on a copy of the largest store."
    )
    report.notes.append(
        "Precision and recall count pairs of items: those put in one candidate, against "
        "those the generator labelled one story (bench/feeds_synth.py; 5% of stories are "
        "siblings that differ from another only in a partner's name)."
    )
    report.notes.append(
        "/whois while a cycle runs: 8 keep-alive clients against `summitbot serve`; an "
        "admin's signed `/summit feeds poll` starts the cycle in the server, and the load "
        "runs until the server reports the cycle done through the response URL. The baseline "
        "is the same load on the same server just before."
    )
    return report


def socket_section(template: Path, size: int, workdir: Path, requests: int) -> Report:
    report = Report(
        "7. Socket Mode: from sending an envelope to its acknowledgement (ms; /whois, one at "
        "a time)",
        ["facts", "questions", "p50", "p99", "acks/s"],
    )
    db = copy_store(template, workdir, "socket")
    names = diverse_questions(template.parent)["/whois"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SUMMITBOT_"))}
    env["PYTHONPATH"] = str(ROOT)
    with FakeSlack() as fake:
        fake.add_user(DEFAULT_USER)
        fake.add_channel("C0GENERAL", "general", bot_member=True)
        for label, texts in (
            ("repeated (8 names)", COMMANDS["/who"]),
            (f"{len(names):,} names that miss the cache", names),
        ):
            stats = measure.socket_mode_acks(db, fake, texts, requests, env)
            report.rows.append(
                [f"{size:,}", label, fmt(stats.p50, 2), fmt(stats.p99, 1), fmt(stats.rps, 0)]
            )
    report.notes.append(
        "`summitbot socket` in its own process (slack_bolt's SocketModeHandler on slack_sdk's "
        "built-in websocket client) against a local websocket endpoint; the time includes "
        "both directions over loopback and the answer built into the acknowledgement."
    )
    return report


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--smoke", action="store_true", help="everything, small and quick")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--requests", type=int, default=600, help="requests per cell")
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    parser.add_argument(
        "--big", action="store_true", help="add section 8: a million facts (make bench BIG=1)"
    )
    parser.add_argument("--big-size", type=int, default=1_000_000, help=argparse.SUPPRESS)
    parser.add_argument("--workspaces", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--only-workspaces",
        action="store_true",
        help="section 10 alone (many workspaces), written to bench/RESULTS-workspaces.md",
    )
    parser.add_argument(
        "--only-working-set",
        action="store_true",
        help="section 15 alone (a replica holding a working set of workspaces), written to "
        "bench/RESULTS-working-set.md",
    )
    parser.add_argument(
        "--only-feeds",
        action="store_true",
        help="section 6 alone (feeds, at the largest size), written to bench/RESULTS-feeds.md",
    )
    parser.add_argument(
        "--only-processes",
        action="store_true",
        help="section 13 alone (serve --processes N), written to bench/RESULTS-processes.md",
    )
    parser.add_argument(
        "--only-hostile",
        action="store_true",
        help="section 12 alone (hostile networks), written to bench/RESULTS-hostile.md",
    )
    parser.add_argument(
        "--only-labelled",
        action="store_true",
        help="section 11 alone (labelled headlines), written to bench/RESULTS-labelled.md",
    )
    parser.add_argument(
        "--traffic-minutes",
        type=float,
        default=None,
        help="section 15: minutes of steady traffic over every workspace at the largest "
        "count (default: 60 with --big, 5 otherwise, 0.2 with --smoke)",
    )
    parser.add_argument(
        "--traffic-rate",
        type=float,
        default=20,
        help="section 15: questions a second in the long traffic",
    )
    parser.add_argument(
        "--compare",
        metavar="REVISION",
        default=None,
        help="section 14 alone: this checkout beside REVISION (a git revision), same run, "
        "written to bench/RESULTS-compare.md",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="section 14: rounds of the two servers taking turns (more: less noise)",
    )
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    requests, channels, clients, rounds = args.requests, args.channels, [1, 8, 32], 200
    if args.smoke:
        sizes, requests, channels, clients, rounds = [1000], 16, 20, [1, 8], 5
    command = "python -m bench " + " ".join(sys.argv[1:])
    # Section 15: a count, and one ten times as large, to show memory does not grow.
    working_set_counts = (
        [args.workspaces]
        if args.workspaces
        else [20]
        if args.smoke
        else [1_000, 10_000]
        if args.big
        else [1_000, 4_000]
    )
    traffic_minutes = args.traffic_minutes
    if traffic_minutes is None:
        traffic_minutes = 0.2 if args.smoke else 60 if args.big else 5

    def working_set(tmp: Path) -> Report:
        return working_set_section(
            tmp,
            smoke=args.smoke,
            counts=working_set_counts,
            traffic_minutes=traffic_minutes,
            traffic_rate=args.traffic_rate,
        )

    started = datetime.now(UTC)
    largest = max(sizes)
    alone: dict[str, Callable[[Path], list[Report]]] = {
        "feeds": lambda tmp: [
            feeds_section(build_store(largest, tmp), largest, tmp, smoke=args.smoke)
        ],
        "processes": lambda tmp: [
            processes_section(build_store(largest, tmp), largest, requests, smoke=args.smoke)
        ],
        "hostile": lambda tmp: hostile_section(tmp, requests, smoke=args.smoke),
        "labelled": lambda _tmp: [labelled_section()],
        "workspaces": lambda tmp: [
            workspaces_section(tmp, requests, smoke=args.smoke, count=args.workspaces)
        ],
        "working_set": lambda tmp: [working_set(tmp)],
    }
    if args.compare:
        revision = args.compare
        section_alone(
            args.out,
            "compare",
            command,
            started,
            lambda tmp: [
                compare_section(
                    revision, build_store(largest, tmp), largest, requests, tmp, args.rounds
                )
            ],
        )
        return
    for name, measure_alone in alone.items():
        if getattr(args, f"only_{name}"):
            section_alone(args.out, name, command, started, measure_alone)
            return
    with tempfile.TemporaryDirectory(prefix="summit-bench-", dir=ROOT / "bench") as tmp:
        workdir = Path(tmp)
        print("building stores…", flush=True)
        stores = {size: build_store(size, workdir) for size in sizes}
        print("latency, writes while reading, start-up…", flush=True)
        latency, floor_report, uncached, writing, startup = latency_section(
            sizes, stores, workdir, requests, clients
        )
        print("store operations…", flush=True)
        operations = store_section(sizes, stores, workdir, rounds)
        print("digest fan-out…", flush=True)
        fanout = fanout_section(channels, stores[min(sizes)], workdir, smoke=args.smoke)
        print("feeds…", flush=True)
        feeds = feeds_section(stores[largest], largest, workdir, smoke=args.smoke)
        print("Socket Mode…", flush=True)
        socket = socket_section(stores[largest], largest, workdir, requests)
        print("PostgreSQL replicas…", flush=True)
        replicated = postgres_section(stores[largest], largest, workdir, requests, smoke=args.smoke)
        sections = [latency, floor_report, uncached, writing, operations, startup, fanout]
        sections += [feeds, socket, replicated]
        print("many workspaces…", flush=True)
        sections.append(workspaces_section(workdir, requests, smoke=args.smoke))
        print("a working set of workspaces…", flush=True)
        sections.append(working_set(workdir))
        sections.append(labelled_section())
        print("several serving processes…", flush=True)
        sections.append(processes_section(stores[largest], largest, requests, smoke=args.smoke))
        print("hostile networks…", flush=True)
        sections += hostile_section(workdir, requests, smoke=args.smoke)
        if args.big:
            print(f"a store of {args.big_size:,} facts…", flush=True)
            sections.append(big_section(args.big_size, workdir, requests))
    write_results(args.out, command, started, sections)


def section_alone(
    out: str,
    name: str,
    command: str,
    started: datetime,
    measure_alone: Callable[[Path], list[Report]],
) -> None:
    """One section by itself (``--only-NAME``), into bench/RESULTS-NAME.md unless ``--out``
    names another file."""
    if out == str(ROOT / "bench" / "RESULTS.md"):
        out = str(ROOT / "bench" / f"RESULTS-{name.replace('_', '-')}.md")
    with tempfile.TemporaryDirectory(prefix="summit-bench-", dir=ROOT / "bench") as tmp:
        sections = measure_alone(Path(tmp))
    write_results(out, command, started, sections)


def write_results(out: str, command: str, started: datetime, sections: list[Report]) -> None:
    text = (
        "# Summit Intel benchmarks\n\n"
        f"- Run: `{command.strip()}` (`make bench`), {started:%Y-%m-%d %H:%M} UTC, "
        f"{(datetime.now(UTC) - started).total_seconds():.0f} s\n"
        f"- Machine: {machine()}\n\n" + "\n".join(section.markdown() for section in sections)
    )
    print(text)
    Path(out).write_text(text, encoding="utf-8")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
