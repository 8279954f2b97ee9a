"""Section 15's long run: questions spread over every workspace at a steady rate for many
minutes (an hour with ``--traffic-minutes 60``), to three replicas that only answer, each
holding at most SUMMITBOT_WORKSPACE_CACHE workspaces: each replica's RSS after start, every
minute, and at the end, and the answers' times. A replica whose memory grew with the
workspaces it has served (rather than with the ones it holds) would show it here."""

from __future__ import annotations

import random
import statistics
import threading
import time

from bench.leader_digests import RssSampler
from bench.report import SECRET, Server, fmt
from bench.workspaces import many_replica, whois_samsung_ms
from tests.fake_slack import FakeSlack
from tests.slack_client import SlackSender

REPLICAS = 3
CLIENTS = 4


def _ask(
    urls: list[str], teams: list[str], rate: float, until: float, seed: int, times: list[float]
) -> None:
    """Client number ``seed`` of ``CLIENTS``: a /whois in a random workspace every
    ``1/rate`` seconds, at the replicas in turn, until ``until`` (monotonic). The clients
    are spread over the interval and start at different replicas: started together, they
    asked one replica four questions at the same instant, every time."""
    rng = random.Random(seed)
    senders = [SlackSender(url, SECRET) for url in urls]
    due = time.monotonic() + seed / (rate * CLIENTS)
    try:
        n = seed
        while (now := time.monotonic()) < until:
            if due > now:
                time.sleep(due - now)
            due += 1 / rate
            workspace = rng.choice(teams)
            times.append(whois_samsung_ms(senders[n % len(senders)], workspace))
            n += 1
    finally:
        for sender in senders:
            sender.close()


def long_traffic(
    fake: FakeSlack, url: str, teams: list[str], held: int, minutes: float, rate: float
) -> tuple[list[list[str]], str]:
    """The run; returns section 15's rows and a note of each replica's RSS minute by
    minute."""
    replicas: list[Server] = []
    try:
        for _ in range(REPLICAS):
            replicas.append(many_replica(fake, url, held=held, worker=False))
        after_start = [replica.rss_mb() for replica in replicas]
        sampler = RssSampler(replicas)
        timeline: list[list[float]] = []
        times: list[float] = []
        until = time.monotonic() + minutes * 60
        clients = [
            threading.Thread(
                target=_ask,
                args=([r.url for r in replicas], teams, rate / CLIENTS, until, n, times),
            )
            for n in range(CLIENTS)
        ]
        for client in clients:
            client.start()
        while (left := until - time.monotonic()) > 0:
            time.sleep(min(60.0, left))
            timeline.append([replica.rss_mb() for replica in replicas])
        for client in clients:
            client.join()
        highest = sampler.stop()
        after = [replica.rss_mb() for replica in replicas]
    finally:
        for replica in replicas:
            replica.stop()
    cuts = statistics.quantiles(times, n=100)
    count = len(teams)
    rows = [
        [
            f"{count:,}",
            f"{len(times):,} questions over {fmt(minutes, 1)} min ({fmt(rate, 0)} a second, "
            f"random workspaces) to {REPLICAS} replicas: each replica's RSS after start / "
            "highest / at the end (MB)",
            "; ".join(
                f"{fmt(a, 0)} / {fmt(h, 0)} / {fmt(e, 0)}"
                for a, h, e in zip(after_start, highest, after, strict=True)
            ),
            "",
            "<= 400 MB after start, <= 600 MB after an hour",
        ],
        [
            f"{count:,}",
            f"the same questions: answer p50 / p99 (ms), {CLIENTS} clients at once, most "
            "answers a first one after a cold start",
            f"{fmt(cuts[49], 1)} / {fmt(cuts[98], 1)}",
            "",
            "",
        ],
    ]
    note = (
        f"RSS (MB) of the {REPLICAS} replicas, minute by minute, at {count:,} workspaces: "
        + "; ".join(
            f"{n + 1}: " + "/".join(fmt(mb, 0) for mb in minute)
            for n, minute in enumerate(timeline)
        )
        + "."
    )
    return rows, note
