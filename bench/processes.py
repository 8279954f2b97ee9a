"""Section 13: several serving processes (``summitbot serve --processes N``) on PostgreSQL.

The largest store migrated into a fresh database; uncached /whois, /chips and /summit
search (each question asked once) at 8 and 32 clients, from one process and from two,
beside the plain-WSGI floor (a WSGI app that only checks Slack's signature) run with the
same number of processes on the same waitress settings, in the same run. The processes
answer only (``--no-worker``), so no scheduled work runs beside them.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from bench import load
from bench.postgres import migrate_store, reachable
from bench.report import SECRET, Report, Server, cpu_seconds, diverse_questions, fmt
from tests.fake_slack import FakeSlack
from tests.postgres import scratch_database
from tests.slack_client import DEFAULT_USER

CLIENTS = (8, 32)


def tree_cpu_seconds(pid: int) -> float:
    """User and system CPU of a process and its children (``--processes N``'s servers)."""
    return sum(cpu_seconds(one) for one in (pid, *children(pid)))


def children(pid: int) -> list[int]:
    listed = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in listed]


def processes_section(db: Path, size: int, requests: int, *, smoke: bool = False) -> Report:
    report = Report(
        f"13. Several serving processes on PostgreSQL, {size:,} facts: uncached answers (ms)",
        [
            "command",
            "clients",
            "1 process p50 / p99 / rps",
            "2 processes p50 / p99 / rps",
            "WSGI floor, 1 process p50 / rps",
            "WSGI floor, 2 processes p50 / rps",
            "2 processes p50 / floor (2)",
            "throughput 2 / 1",
            "server CPU per request, ms (1 / 2)",
            "not answered 200 (1 / 2)",
        ],
    )
    if not reachable():
        report.notes.append("Skipped: no PostgreSQL reachable.")
        return report
    questions = diverse_questions(db.parent)
    counts = (1, 2)
    with scratch_database("summit_bench_processes") as url, FakeSlack() as fake:
        # The asker is a member Slack knows (as in sections 1 to 9): whether they are an
        # admin is asked once, then known, and a search is answered in its acknowledgement.
        fake.add_user(DEFAULT_USER)
        migrate_store(db, url)
        floors: dict[tuple[int, int], load.Load] = {}
        for count in counts:
            floor = Server(
                "bench.bare_app", fake, None, BENCH_FLOOR="wsgi", BENCH_PROCESSES=str(count)
            )
            try:
                for clients in CLIENTS:
                    floors[(count, clients)] = load.commands(
                        floor.url, SECRET, "/whois", ["samsung"], clients, requests
                    )
            finally:
                floor.stop()
        ours: dict[tuple[int, str, int], load.Load] = {}
        cpu: dict[tuple[int, str, int], float] = {}
        started: dict[int, float] = {}
        for count in counts:
            command = ("serve", "--no-worker", "--processes", str(count))
            server = Server("slackbot", fake, None, command, SUMMITBOT_DATABASE_URL=url)
            started[count] = server.healthy_after
            try:
                for asked_command, asked in questions.items():
                    for position, clients in enumerate(CLIENTS):
                        # Each run asks its own questions: none is in any answer cache.
                        start = (position * len(asked)) // len(CLIENTS)
                        texts = asked[start:] + asked[:start]
                        before = tree_cpu_seconds(server.server.pid)
                        found = load.commands(
                            server.url,
                            SECRET,
                            asked_command,
                            texts,
                            clients,
                            requests,
                            response_urls=fake.response_url,
                        )
                        used = tree_cpu_seconds(server.server.pid) - before
                        ours[(count, asked_command, clients)] = found
                        # The warm-up's 20 requests are in the CPU time too.
                        cpu[(count, asked_command, clients)] = used * 1000 / (requests + 20)
                        print(f"  {count} {asked_command} {clients}: {found}", flush=True)
            finally:
                server.stop()
    for asked_command in questions:
        for clients in CLIENTS:
            one, two = ours[(1, asked_command, clients)], ours[(2, asked_command, clients)]
            floor_one, floor_two = floors[(1, clients)], floors[(2, clients)]
            report.rows.append(
                [
                    asked_command,
                    str(clients),
                    f"{fmt(one.p50, 2)} / {fmt(one.p99)} / {fmt(one.rps, 0)}",
                    f"{fmt(two.p50, 2)} / {fmt(two.p99)} / {fmt(two.rps, 0)}",
                    f"{fmt(floor_one.p50, 2)} / {fmt(floor_one.rps, 0)}",
                    f"{fmt(floor_two.p50, 2)} / {fmt(floor_two.rps, 0)}",
                    fmt(two.p50 / floor_two.p50, 2),
                    fmt(two.rps / one.rps, 2),
                    f"{fmt(cpu[(1, asked_command, clients)], 2)} / "
                    f"{fmt(cpu[(2, asked_command, clients)], 2)}",
                    f"{one.failed} / {two.failed}",
                ]
            )
    ratios = [ours[(2, c, n)].rps / ours[(1, c, n)].rps for c in questions for n in CLIENTS]
    report.notes.append(
        f"Targets: 2 processes' p50 within 1.5x of the floor run with 2 processes; throughput "
        f"at least 1.6x of one process (median here {statistics.median(ratios):.2f}x). "
        f"Start-up to healthy: {started[1]:.1f} s with 1 process, {started[2]:.1f} s with 2."
    )
    report.notes.append(
        "Each figure is the time to Slack's acknowledgement (the answer is in it); an answer "
        "that would follow it goes to a response URL of the fake Slack. "
        "The clients (bench/load.py: requests signed before the clock starts, sent on "
        "keep-alive connections from two processes of their own) share the two cores with "
        "the servers. Questions: every name, alias and Korean name of the store's entities "
        "for /whois and /chips, distinct word pairs and triples for search. An entity's card "
        "is built once per process and then answers its other names: with two processes, "
        "each builds the cards of the entities asked of it, so more cards are built in all "
        "(the server CPU per request column)."
    )
    if smoke:
        report.notes.append("Smoke run: figures mean nothing.")
    return report
