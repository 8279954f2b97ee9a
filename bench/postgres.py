"""Section 9: several replicas on one PostgreSQL database (when a server is reachable).

`summitbot migrate` of the largest store into a fresh database; `/who` over HTTP on one
replica beside the bare Bolt app, alone and while an admin saves on another replica; how
long a save takes to show on another replica; how long the scheduler's leadership takes to
move after `kill -9` of the leader; and a digest fan-out driven by the leader of three.
"""

from __future__ import annotations

import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from functools import partial
from pathlib import Path

import psycopg

from bench import measure
from bench.report import ADMIN, ROOT, SECRET, Report, Server, fmt
from slackbot.core.curation import FactDraft
from slackbot.slack import render
from tests.fake_slack import FakeSlack
from tests.postgres import channels_due_now, scratch_database, seconds_until, server_url
from tests.slack_client import DEFAULT_USER, SlackSender, view_submission

WHO = ["samsung", "sk hynix", "곽노정", "lg", "skt", "samsnug", "nadella", "anthropic"]
FAN_OUT_NEWS = "Samsung and Microsoft agree a replicated fan-out HBM deal"


def reachable() -> bool:
    try:
        psycopg.connect(server_url(), autocommit=True, connect_timeout=3).close()
    except psycopg.OperationalError:
        return False
    return True


def migrate_store(db: Path, url: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SUMMITBOT_"))}
    env.update(SUMMITBOT_DB=str(db), PYTHONPATH=str(ROOT))
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "slackbot", "migrate", "--to", url],
        env=env,
        cwd=db.parent,
        check=True,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - started


def replica(fake: FakeSlack, url: str) -> Server:
    return Server("slackbot", fake, None, SUMMITBOT_DATABASE_URL=url)


def health(server: Server) -> dict[str, object]:
    sender = SlackSender(server.url, SECRET)
    try:
        return dict(json.loads(sender.get("/healthz").body))
    finally:
        sender.close()


def leads(server: Server, name: str) -> bool:
    return health(server)["leader"] == name


def save_then_seen(save_url: str, read_url: str, rounds: int) -> list[float]:
    """Milliseconds from a save acknowledged on one replica until another replica's
    `/summit search` finds it."""
    view = render.fact_form(FactDraft(), [], {"mode": "add"}, today="2024-05-14").to_dict()
    saver, reader = SlackSender(save_url, SECRET), SlackSender(read_url, SECRET)
    rng = random.Random(9)
    seen: list[float] = []
    try:
        for number in range(rounds):
            token = f"replicated{number}q{rng.randrange(10**6)}"
            values = {
                "entities": ["samsung"],
                "statement": f"{measure.fresh_statement(rng)} {token}",
                "status": "reported",
                "kind": "hardware",
                "source_url": "https://news.example.com/replicated",
            }
            reply = saver.interactive(view_submission(view, values, ADMIN))
            if reply.status != 200 or reply.body:
                raise RuntimeError(f"a save failed: {reply.body[:200]}")
            started = time.perf_counter()
            while token not in reader.command("/summit", f"search {token}").body:
                time.sleep(0.002)
            seen.append((time.perf_counter() - started) * 1000)
    finally:
        saver.close()
        reader.close()
    return seen


def postgres_section(
    template: Path, size: int, workdir: Path, requests: int, *, smoke: bool
) -> Report:
    report = Report(
        f"9. Several replicas on PostgreSQL ({size:,} facts)", ["measure", "figure", "target"]
    )
    if not reachable():
        report.notes.append(f"Skipped: no PostgreSQL server at {server_url()}.")
        return report
    db = workdir / "pg-source" / "summit.json"
    db.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", ".index"):
        db.with_name(db.name + suffix).write_bytes(
            template.with_name(template.name + suffix).read_bytes()
        )
    with scratch_database("summit_bench") as url, FakeSlack() as fake:
        fake.add_user(DEFAULT_USER)
        report.rows.append(
            ["`summitbot migrate` into an empty database (s)", fmt(migrate_store(db, url), 1), ""]
        )
        bare = Server("bench.bare_app", fake, None)
        try:
            base = measure.http_load(bare.url, SECRET, "/who", WHO, 8, requests)
        finally:
            bare.stop()
        first = replica(fake, url)
        second = replica(fake, url)
        replicas = [first, second]
        try:
            report.rows.append(
                ["replica start-up to /healthz 200 (s)", fmt(first.healthy_after, 2), ""]
            )
            alone = measure.http_load(first.url, SECRET, "/who", WHO, 8, requests)
            report.rows.append(
                [
                    "/who, 8 clients, one replica: p50 / p99 (ms)",
                    f"{fmt(alone.p50)} / {fmt(alone.p99)} (bare Bolt {fmt(base.p50)}: "
                    f"{fmt(alone.p50 / base.p50, 2)}x)",
                    "p50 <= 1.3x bare Bolt, p99 <= 50",
                ]
            )
            saving, saves = measure.http_load_while_saving(
                first.url, SECRET, "/who", WHO, 8, requests, ADMIN, save_url=second.url
            )
            report.rows.append(
                [
                    "/who on replica 1 while an admin saves on replica 2: p50 / p99 (ms)",
                    f"{fmt(saving.p50)} / {fmt(saving.p99)} ({len(saves)} saves, "
                    f"p50 {fmt(statistics.median(saves)) if saves else '-'} ms)",
                    "p99 <= 50",
                ]
            )
            seen = save_then_seen(second.url, first.url, 10 if smoke else 100)
            report.rows.append(
                [
                    "save on replica 2 -> found on replica 1: p50 / p99 (ms)",
                    f"{fmt(statistics.median(seen))} / {fmt(measure.percentile(seen, 0.99))}",
                    "within 1 s",
                ]
            )
            takeovers = []
            for _round in range(1 if smoke else 5):
                leader = str(health(replicas[0])["leader"])
                dead = next(r for r in replicas if str(health(r)["replica"]) == leader)
                survivor = next(r for r in replicas if r is not dead)
                name = str(health(survivor)["replica"])
                dead.server.stop(signal.SIGKILL)
                takeovers.append(seconds_until(partial(leads, survivor, name), 30, every=0.05))
                replicas = [survivor, replica(fake, url)]
            report.rows.append(
                [
                    "leadership moved after kill -9 of the leader: median (s)",
                    f"{fmt(statistics.median(takeovers), 2)} (of {len(takeovers)})",
                    "<= 15",
                ]
            )
        finally:
            for server in replicas:
                server.stop()
        channels = 50 if smoke else 1000
        channels_due_now(url, fake, [f"C{n:05d}" for n in range(channels)], FAN_OUT_NEWS, ADMIN)
        fake.rate_limit_share = 0.05
        started = time.perf_counter()
        three = [replica(fake, url) for _ in range(3)]
        try:

            def delivered() -> int:
                return len(
                    {
                        c.params["channel"]
                        for c in fake.calls_to("chat.postMessage", ok=True)
                        if FAN_OUT_NEWS in c.params.get("text", "")
                    }
                )

            seconds_until(lambda: delivered() >= channels, 300, every=0.2)
            seconds = time.perf_counter() - started
            time.sleep(2)  # anything late or doubled would show now
        finally:
            for server in three:
                server.stop()
        posts = Counter(
            c.params["channel"]
            for c in fake.calls_to("chat.postMessage", ok=True)
            if FAN_OUT_NEWS in c.params.get("text", "")
        )
        limited = sum(1 for c in fake.calls_to("chat.postMessage") if c.status == 429)
        report.rows.append(
            [
                f"fan-out to {channels:,} channels by the leader of 3 replicas, 5% 429s: "
                "time from start (s)",
                f"{fmt(seconds, 1)} ({sum(n - 1 for n in posts.values())} duplicates, "
                f"{channels - len(posts)} losses, {limited} 429s)",
                "0 duplicates, 0 losses",
            ]
        )
    report.notes.append(
        "Each replica is `summitbot serve` in its own process on one PostgreSQL 15 database "
        "on this machine, answering from memory and following the others' writes through "
        "LISTEN/NOTIFY; the bare Bolt app is measured in the same run. The fan-out time runs "
        "from starting the three replicas (one becomes leader and posts the slot they find "
        "due) to the last channel's post."
    )
    return report
