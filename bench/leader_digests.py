"""Section 15's scheduled work: one digest due in every workspace's channel, 5% of posts
answered 429, posted by the leader of three `summitbot serve` replicas, each holding at most
SUMMITBOT_WORKSPACE_CACHE workspaces (the leader loads a workspace when its digest is due
and lets it go for the next).

Measured: the time until every channel has its digest, duplicates, losses, posts made with
another workspace's token, and Slack's limits as the fake Slack saw them: the busiest second
of any one channel (Slack allows about one post a second in a channel) and, after each 429,
how long until that channel was posted to again (never sooner than its Retry-After); and
each replica's RSS, sampled every second, at its highest."""

from __future__ import annotations

import contextlib
import itertools
import shutil
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

from bench.report import ADMIN, Server, fmt
from bench.workspaces import TEMPLATE_CHANNEL, many_replica
from storage.repository import FactStore
from tests.fake_slack import Call, FakeSlack
from tests.postgres import digest_due, seconds_until

DIGEST_NEWS = "Samsung and Microsoft agree a ten-thousand-workspace HBM deal"
REPLICAS = 3
RATE_LIMITED_SHARE = 0.05
# The longest the run may take before the benchmark gives up.
TIMEOUT_SECONDS = 3600


def digest_template(template: Path, workdir: Path) -> Path:
    """The template's records plus a daily digest in ``TEMPLATE_CHANNEL`` that fell due two
    minutes ago, and one development to post in it."""
    folder = workdir / "digest-template"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(template.parent, folder)
    with FactStore(folder / template.name) as store:
        digest_due(
            store,
            [TEMPLATE_CHANNEL],
            DIGEST_NEWS,
            ADMIN,
            source_url="https://news.example.com/ten-thousand",
        )
    return folder / template.name


class RssSampler:
    """Each replica's RSS every second, at its highest."""

    def __init__(self, replicas: list[Server]) -> None:
        self.replicas = replicas
        self.highest = [0.0] * len(replicas)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.wait(1.0):
            for n, replica in enumerate(self.replicas):
                with contextlib.suppress(OSError):  # stopped
                    self.highest[n] = max(self.highest[n], replica.rss_mb())

    def stop(self) -> list[float]:
        self._done.set()
        self._thread.join()
        return self.highest


def slack_limits(calls: list[Call]) -> tuple[int, float | None]:
    """Of chat.postMessage calls: the most any one channel got in one second, and the
    shortest wait after a 429 before that channel was posted to again (None: no 429)."""
    by_channel: dict[str, list[Call]] = defaultdict(list)
    for call in calls:
        by_channel[str(call.params.get("channel"))].append(call)
    busiest, shortest = 0, None
    for channel_calls in by_channel.values():
        times = sorted(call.at for call in channel_calls)
        busiest = max(
            busiest, max(sum(1 for t in times if start <= t < start + 1) for start in times)
        )
        ordered = sorted(channel_calls, key=lambda call: call.at)
        for limited, following in itertools.pairwise(ordered):
            if limited.status == 429:
                waited = following.at - limited.at
                shortest = waited if shortest is None else min(shortest, waited)
    return busiest, shortest


def leader_digests(fake: FakeSlack, url: str, teams: list[str], held: int) -> list[list[str]]:
    """The run; returns section 15's rows."""
    fake.rate_limit_share = RATE_LIMITED_SHARE
    started = time.perf_counter()
    replicas: list[Server] = []
    sampler = None
    try:
        for _ in range(REPLICAS):
            replicas.append(many_replica(fake, url, held=held))
        sampler = RssSampler(replicas)

        def posted() -> list[Call]:
            return [
                c
                for c in fake.calls_to("chat.postMessage", ok=True)
                if DIGEST_NEWS in c.params.get("text", "")
            ]

        seconds_until(
            lambda: len({c.params["channel"] for c in posted()}) >= len(teams), TIMEOUT_SECONDS, 1
        )
        seconds = time.perf_counter() - started
        time.sleep(5)  # anything late or doubled would show now
        highest = sampler.stop()
        after = [replica.rss_mb() for replica in replicas]
    finally:
        if sampler is not None:
            sampler.stop()
        for replica in replicas:
            replica.stop()
        fake.rate_limit_share = 0.0
    posts = Counter(c.params["channel"] for c in posted())
    wrong_token = sum(
        1
        for c in posted()
        if c.token not in fake.workspaces[fake.channels[c.params["channel"]].team].tokens
    )
    attempts = fake.calls_to("chat.postMessage")
    limited = sum(1 for c in attempts if c.status == 429)
    busiest, shortest = slack_limits(attempts)
    count = len(teams)
    return [
        [
            f"{count:,}",
            f"one digest in each workspace, {RATE_LIMITED_SHARE:.0%} 429s, leader of "
            f"{REPLICAS} replicas each holding {held}: time from start (s)",
            f"{fmt(seconds, 1)} ({sum(n - 1 for n in posts.values())} duplicates, "
            f"{count - len(posts)} lost, {wrong_token} with another workspace's token, "
            f"{limited} 429s)",
            "",
            "0 duplicates, 0 lost",
        ],
        [
            f"{count:,}",
            "Slack's limits: most posts to one channel in a second; shortest wait after a "
            "429 (Retry-After: 1) before posting there again (s)",
            f"{busiest}; {fmt(shortest, 2) if shortest is not None else 'no 429'}",
            "",
            "<= 1 a second; >= 1 s",
        ],
        [
            f"{count:,}",
            "each replica's RSS during the digests, highest / after (MB)",
            ", ".join(f"{fmt(h, 0)} / {fmt(a, 0)}" for h, a in zip(highest, after, strict=True)),
            "",
            "<= 600 MB",
        ],
    ]
