"""Section 15: replicas serving many workspaces on PostgreSQL while each holds at most
SUMMITBOT_WORKSPACE_CACHE of them. A replica that only answers (``summitbot serve
--no-worker``) beside the same replica holding every workspace (the working set as large as
the count, as every replica held them before), in the same run: start-up, memory after start
and after traffic spread over every workspace, and the first answer of a workspace not held.
Then the leader of three replicas posting a digest in every workspace
(``bench.leader_digests``), steady traffic over every workspace for many minutes
(``bench.long_traffic``), and answering from SQL instead (``bench.sql_answers``)."""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path

from bench import measure
from bench.leader_digests import digest_template, leader_digests
from bench.long_traffic import long_traffic
from bench.postgres import migrate_store, reachable
from bench.report import SECRET, Report, Server, fmt
from bench.sql_answers import answers_from_sql
from bench.workspaces import (
    entity_names,
    installed_workspaces,
    many_replica,
    team,
    template_store,
    whois_samsung_ms,
)
from storage.postgres_workspaces import PostgresWorkspaces
from tests.fake_slack import FakeSlack
from tests.postgres import scratch_database, server_url
from tests.slack_client import SlackSender
from tests.storage_contract.conftest import a_fact

FACTS_EACH = 100
DEFAULT_CACHE = 200
# Passes of one question to every workspace, in a new random order each time.
PASSES = 2
# Uncached answers in workspaces held (asked once before): this many workspaces (at most
# three quarters of the working set), rounds of one question for each template entity.
WARM_WORKSPACES, WARM_ROUNDS = 150, 10
# Writes whose time to reach the replicas holding their workspace is measured, and how
# many replicas answer.
WRITES, REPLICAS = 20, 3


def spread_traffic(url: str, teams: list[str], seed: int) -> list[float]:
    """One /whois to every workspace, ``PASSES`` times in random orders; each answer's time
    (ms). With a working set smaller than the count, almost every question finds its
    workspace let go of: each is a first answer after a cold start."""
    rng = random.Random(seed)
    sender = SlackSender(url, SECRET)
    times = []
    try:
        for _ in range(PASSES):
            order = list(teams)
            rng.shuffle(order)
            for workspace in order:
                times.append(whois_samsung_ms(sender, workspace))
    finally:
        sender.close()
    return times


def uncached_in_held_workspaces(
    url: str, warm: list[str], names: list[str], rounds: int
) -> measure.Stats:
    """Uncached /whois at 8 clients, in workspaces the replica holds (``warm``, fewer than
    its working set): each asked once first (loaded), then every (workspace, name) at most
    once."""
    sender = SlackSender(url, SECRET)
    try:
        for workspace in warm:
            whois_samsung_ms(sender, workspace)
    finally:
        sender.close()
    asked = [(workspace, name) for workspace in warm for name in names if name != "Samsung"]
    random.Random(30).shuffle(asked)
    per_round = len(names)
    return measure.cold_rounds(
        url,
        SECRET,
        "/whois",
        [asked[n * per_round : (n + 1) * per_round] for n in range(rounds)],
        8,
    )


def uncached_in_one_workspace(
    fake: FakeSlack, url: str, names: list[str], rounds: int
) -> measure.Stats:
    """The same at 8 clients from a one-workspace replica of the same facts, each round in a
    freshly started one (its caches cold)."""
    started: list[Server] = []

    def fresh() -> str:
        if started:
            started[-1].stop()
        started.append(
            Server("slackbot", fake, None, ("serve", "--no-worker"), SUMMITBOT_DATABASE_URL=url)
        )
        return started[-1].url

    try:
        return measure.cold_rounds(fresh, SECRET, "/whois", [names] * rounds, 8)
    finally:
        if started:
            started[-1].stop()


def write_reaches(url: str, replicas: list[str], teams: list[str]) -> list[float]:
    """For each of ``WRITES`` workspaces that every replica holds: a fact written to the
    database (as another replica's admin would), and the seconds until every replica
    answers with it."""
    senders = [SlackSender(replica, SECRET) for replica in replicas]
    took = []
    try:
        chosen = teams[:WRITES]
        for sender in senders:
            for workspace in chosen:
                whois_samsung_ms(sender, workspace)
        with PostgresWorkspaces(url, follow=False, working_set=1) as writer:
            for workspace in chosen:
                store = writer.store(workspace)
                statement = f"Propagation check in {workspace}: Samsung signs."
                fact = a_fact(store, statement)
                written = time.perf_counter()
                for sender in senders:
                    while (
                        statement
                        not in sender.command(
                            "/summit", fact.id, team_id=workspace, user_id=f"U{workspace}"
                        ).body
                    ):
                        if time.perf_counter() - written > 10:
                            raise AssertionError(f"{fact.id} in {workspace} never arrived")
                        time.sleep(0.01)
                took.append(time.perf_counter() - written)
    finally:
        for sender in senders:
            sender.close()
    return took


def working_set_section(
    workdir: Path,
    *,
    smoke: bool,
    counts: list[int],
    traffic_minutes: float = 0,
    traffic_rate: float = 20,
) -> Report:
    held = 5 if smoke else DEFAULT_CACHE
    report = Report(
        f"15. Replicas holding {held} workspaces each, on PostgreSQL ({FACTS_EACH} facts in "
        "each workspace)",
        ["workspaces", "measure", f"holding {held}", "holding every workspace", "target"],
    )
    if not reachable():
        report.notes.append(f"Skipped: no PostgreSQL server at {server_url()}.")
        return report
    template = template_store(workdir, FACTS_EACH)
    names = entity_names(template)
    sql: list[list[str]] = []
    rounds = 2 if smoke else WARM_ROUNDS
    for index, count in enumerate(counts):
        teams = [team(n) for n in range(count)]
        with scratch_database("summit_working_set") as url, FakeSlack() as fake:
            due = digest_template(template, workdir)
            report.notes.append(installed_workspaces(url, fake, due, teams))
            if index == 0:
                # Uncached answers beside one workspace of the same facts, and a write's way
                # to three replicas holding its workspace: once, at the first count.
                with scratch_database("summit_one_workspace") as one_url:
                    migrate_store(due, one_url)  # the same records as each workspace
                    alone = uncached_in_one_workspace(fake, one_url, names, rounds)
                replicas = [
                    many_replica(fake, url, held=held, worker=False) for _ in range(REPLICAS)
                ]
                try:
                    warm = teams[: min(WARM_WORKSPACES, held * 3 // 4)]
                    many = uncached_in_held_workspaces(replicas[0].url, warm, names, rounds)
                    reached = write_reaches(url, [r.url for r in replicas], teams)
                finally:
                    for replica in replicas:
                        replica.stop()
                sql = answers_from_sql(url, warm, names, rounds, many)
                report.rows += [
                    [
                        f"{count:,}",
                        f"uncached /whois in held workspaces, 8 clients, p50 / p99 (ms), "
                        f"{rounds} rounds of {len(names)}",
                        f"{fmt(many.p50, 1)} / {fmt(many.p99, 1)}",
                        f"one workspace of {FACTS_EACH} facts: {fmt(alone.p50, 1)} / "
                        f"{fmt(alone.p99, 1)} ({fmt(many.p50 / alone.p50, 2)}x p50)",
                        "p50 <= 1.2x one workspace",
                    ],
                    [
                        f"{count:,}",
                        f"a write seen by all {REPLICAS} replicas holding its workspace, "
                        f"{len(reached)} writes: median / max (s)",
                        f"{fmt(statistics.median(reached), 2)} / {fmt(max(reached), 2)}",
                        "",
                        "<= 1 s",
                    ],
                ]
            found = {}
            for name, size in (("bounded", held), ("all", count)):
                replica = many_replica(fake, url, held=size, worker=False)
                try:
                    start, rss_started = replica.healthy_after, replica.rss_mb()
                    times = spread_traffic(replica.url, teams, seed=count)
                    found[name] = (start, rss_started, replica.rss_mb(), times)
                finally:
                    replica.stop()
            bounded, every = found["bounded"], found["all"]

            def quantiles(times: list[float]) -> str:
                cuts = statistics.quantiles(times, n=100)
                return f"{fmt(cuts[49], 1)} / {fmt(cuts[98], 1)}"

            report.rows += [
                [
                    f"{count:,}",
                    "start-up to /healthz 200 (s)",
                    fmt(bounded[0], 2),
                    fmt(every[0], 2),
                    "<= 5 s",
                ],
                [f"{count:,}", "RSS after start (MB)", fmt(bounded[1], 0), fmt(every[1], 0), ""],
                [
                    f"{count:,}",
                    f"RSS after {PASSES} questions to every workspace (MB)",
                    fmt(bounded[2], 0),
                    fmt(every[2], 0),
                    "<= 600 MB, not growing with the count",
                ],
                [
                    f"{count:,}",
                    "answer p50 / p99 (ms), one client, the workspace mostly not held",
                    quantiles(bounded[3]),
                    quantiles(every[3]) + " (held after its first)",
                    "first answer <= 100 ms p99",
                ],
            ]
            report.rows += leader_digests(fake, url, teams, held)
            if traffic_minutes and index == len(counts) - 1:
                rows, note = long_traffic(fake, url, teams, held, traffic_minutes, traffic_rate)
                report.rows += rows
                report.notes.append(note)
    report.rows += sql
    report.notes.append(
        f"`summitbot serve --no-worker` with SUMMITBOT_WORKSPACE_CACHE={held}, then the same "
        "with the cache as large as the count, one after the other on one database; each "
        f"workspace asked `/whois samsung` {PASSES} times in random orders. "
        "`python -m bench --only-working-set` (`--workspaces N` for one count)."
    )
    return report
