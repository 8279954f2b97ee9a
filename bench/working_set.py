"""Section 15: a replica that only answers (``summitbot serve --no-worker``) serving many
workspaces on PostgreSQL while holding at most SUMMITBOT_WORKSPACE_CACHE of them, beside the
same replica holding every workspace (the working set as large as the count, as every
replica held them before), in the same run: start-up, memory after start and after traffic
spread over every workspace, and the first answer of a workspace not held."""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path

from bench.postgres import reachable
from bench.report import SECRET, Report, Server, fmt
from bench.workspaces import install_everywhere, load_workspaces, team, template_store
from storage.postgres import upgrade
from tests.fake_oauth import CLIENT_ID, CLIENT_SECRET
from tests.fake_slack import FakeSlack
from tests.postgres import scratch_database, server_url
from tests.slack_client import SlackSender

FACTS_EACH = 100
DEFAULT_CACHE = 200
# Passes of one question to every workspace, in a new random order each time.
PASSES = 2


def answering_replica(fake: FakeSlack, url: str, held: int) -> Server:
    return Server(
        "slackbot",
        fake,
        None,
        ("serve", "--no-worker"),
        SUMMITBOT_DATABASE_URL=url,
        SLACK_BOT_TOKEN="",
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
        SUMMITBOT_WORKSPACE_CACHE=str(held),
    )


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
                started = time.perf_counter()
                reply = sender.command(
                    "/whois", "samsung", team_id=workspace, user_id=f"U{workspace}"
                )
                times.append((time.perf_counter() - started) * 1000)
                assert reply.status == 200 and "Samsung" in reply.body, reply.body[:200]
    finally:
        sender.close()
    return times


def working_set_section(workdir: Path, *, smoke: bool, counts: list[int]) -> Report:
    held = 5 if smoke else DEFAULT_CACHE
    report = Report(
        f"15. A replica that only answers, holding {held} workspaces, on PostgreSQL "
        f"({FACTS_EACH} facts each)",
        ["workspaces", "measure", f"holding {held}", "holding every workspace", "target"],
    )
    if not reachable():
        report.notes.append(f"Skipped: no PostgreSQL server at {server_url()}.")
        return report
    template = template_store(workdir, FACTS_EACH)
    for count in counts:
        teams = [team(n) for n in range(count)]
        with scratch_database("summit_working_set") as url, FakeSlack() as fake:
            upgrade(url)
            started = time.perf_counter()
            load_workspaces(url, template, teams)
            install_everywhere(url, fake, teams)
            report.notes.append(
                f"{count:,} workspaces loaded and installed in "
                f"{time.perf_counter() - started:.1f} s."
            )
            found = {}
            for name, size in (("bounded", held), ("all", count)):
                replica = answering_replica(fake, url, size)
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
    report.notes.append(
        f"`summitbot serve --no-worker` with SUMMITBOT_WORKSPACE_CACHE={held}, then the same "
        "with the cache as large as the count, one after the other on one database; each "
        f"workspace asked `/whois samsung` {PASSES} times in random orders. "
        "`python -m bench --only-working-set` (`--workspaces N` for one count)."
    )
    return report
