"""Section 10: many workspaces on one PostgreSQL database (issue 25).

``count`` workspaces installed (1,000 with 200 facts each, 200,000 facts in all) and served
by `summitbot serve` replicas in many-workspace mode (SLACK_CLIENT_ID and _SECRET, no bot
token), measured beside a one-workspace replica with the same 200,000 facts (start-up and
memory) and one with the same 200 facts (uncached `/whois` at 8 clients), in the same run:

- uncached `/whois`: each question a name of one workspace's entities, asked in that
  workspace, across every workspace;
- start-up to healthy and RSS, after start and once every workspace has answered;
- one digest due in each workspace's channel, 5% of posts answered 429, posted by the
  leader of three replicas: time, duplicates, losses, and every post with its own
  workspace's token;
- App Homes open across 100 workspaces (10 people each) while 20 changes are made in each:
  views.publish calls per workspace in any minute.
"""

from __future__ import annotations

import random
import statistics
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import psycopg
from slack_sdk.oauth.installation_store import Installation

from bench import measure
from bench.postgres import migrate_store, reachable
from bench.report import ADMIN, SECRET, Report, Server, fmt, timed_import
from bench.synth import write as write_synthetic
from slackbot.core.curation import Curator, FactDraft
from slackbot.slack.installations import SummitInstallationStore
from storage.api import WorkspaceRecord
from storage.installations import PostgresInstallations
from storage.postgres import upgrade
from storage.postgres_workspaces import PostgresWorkspaces
from storage.repository import FactStore
from storage.tables import SUBSCRIPTIONS
from tests.fake_oauth import CLIENT_ID, CLIENT_SECRET
from tests.fake_slack import FakeSlack, FakeWorkspace
from tests.postgres import digest_due, scratch_database, seconds_until, server_url
from tests.slack_client import SlackSender

FACTS_EACH = 200
# A template's channel, made each workspace's own when loaded (``load_workspaces``).
TEMPLATE_CHANNEL = "C0TEMPLATE"
DIGEST_NEWS = "Samsung and Microsoft agree a many-workspace HBM deal"


def team(number: int) -> str:
    return f"T{number:05d}"


def template_store(workdir: Path, facts: int) -> Path:
    """An embedded store of ``facts`` facts in all (the seed's and synthetic ones)."""
    folder = workdir / f"workspace-template-{facts}"
    folder.mkdir(parents=True, exist_ok=True)
    seed_facts = 19
    lines = folder / "synthetic.jsonl"
    write_synthetic(str(lines), max(facts - seed_facts, 1))
    timed_import(lines, folder / "summit.json")
    return folder / "summit.json"


def load_workspaces(url: str, template: Path, teams: list[str]) -> None:
    """Every workspace holding the template's records (COPY, as `summitbot migrate` does);
    a subscription of the template's ``TEMPLATE_CHANNEL`` becomes each workspace's own
    channel's (``C<workspace>``, as ``install_everywhere`` makes it)."""
    with FactStore(template) as store:
        records = store.records()
    encoded = [
        (table, key, orjson.dumps(doc).decode())
        for table, key, doc in records
        if not (table == SUBSCRIPTIONS and key == TEMPLATE_CHANNEL)
    ]
    subscribed = [
        doc for table, key, doc in records if (table, key) == (SUBSCRIPTIONS, TEMPLATE_CHANNEL)
    ]
    with psycopg.connect(url, autocommit=True) as conn:
        with (
            conn.transaction(),
            conn.cursor() as cursor,
            cursor.copy("COPY records (workspace, table_name, key, doc, seq) FROM STDIN") as copy,
        ):
            for workspace in teams:
                for table, key, doc in encoded:
                    copy.write_row((workspace, table, key, doc, 0))
                for subscription in subscribed:
                    channel = f"C{workspace}"
                    own = orjson.dumps({**subscription, "channel_id": channel}).decode()
                    copy.write_row((workspace, SUBSCRIPTIONS, channel, own, 0))
        conn.execute(
            "INSERT INTO workspace_heads (workspace, seq) SELECT unnest(%s::text[]), 0", (teams,)
        )


def installed_workspaces(url: str, fake: FakeSlack, template: Path, teams: list[str]) -> str:
    """A new database holding every workspace of ``teams`` with the template's records,
    each installed; returns the note of how long that took."""
    upgrade(url)
    started = time.perf_counter()
    load_workspaces(url, template, teams)
    install_everywhere(url, fake, teams)
    return (
        f"{len(teams):,} workspaces loaded and installed in {time.perf_counter() - started:.1f} s."
    )


def install_everywhere(url: str, fake: FakeSlack, teams: list[str]) -> None:
    """Each workspace installed (its installation and bot stored as Bolt's OAuth flow would),
    known to the fake Slack with its own token, a person and a channel."""
    installations = PostgresInstallations(url)
    store = SummitInstallationStore(installations, CLIENT_ID)
    now = datetime.now(UTC)
    try:
        for number, workspace in enumerate(teams):
            token = f"xoxb-{workspace.lower()}"
            fake.workspaces[workspace] = FakeWorkspace(
                workspace, f"Workspace {number}", f"U0BOT{number}", f"B0BOT{number}", tokens={token}
            )
            fake.add_channel(f"C{workspace}", "news", bot_member=True, team=workspace)
            fake.add_user(f"U{workspace}", team=workspace, is_admin=True)
            store.save(
                Installation(
                    app_id="A0SUMMIT",
                    team_id=workspace,
                    team_name=f"Workspace {number}",
                    bot_token=token,
                    bot_id=f"B0BOT{number}",
                    bot_user_id=f"U0BOT{number}",
                    bot_scopes="commands,chat:write",
                    user_id=f"U{workspace}",
                    installed_at=now.timestamp(),
                )
            )
            installations.installed(
                WorkspaceRecord(
                    workspace, "", workspace, False, f"Workspace {number}", now, f"U{workspace}"
                )
            )
    finally:
        installations.close()


def many_replica(
    fake: FakeSlack, url: str, *, held: int | None = None, worker: bool = True
) -> Server:
    """`summitbot serve` for every workspace that installs it; ``held``: its
    SUMMITBOT_WORKSPACE_CACHE (the app's default when None); ``worker`` false: it only
    answers (``--no-worker``)."""
    cache = {"SUMMITBOT_WORKSPACE_CACHE": str(held)} if held is not None else {}
    return Server(
        "slackbot",
        fake,
        None,
        ("serve",) if worker else ("serve", "--no-worker"),
        SUMMITBOT_DATABASE_URL=url,
        SLACK_BOT_TOKEN="",
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
        **cache,
    )


def whois_samsung_ms(sender: SlackSender, workspace: str) -> float:
    """``/whois samsung`` asked in ``workspace`` by its installer: the answer's time (ms),
    the answer checked to be Samsung's card."""
    started = time.perf_counter()
    reply = sender.command("/whois", "samsung", team_id=workspace, user_id=f"U{workspace}")
    took = (time.perf_counter() - started) * 1000
    assert reply.status == 200 and "Samsung" in reply.body, reply.body[:200]
    return took


def entity_names(template: Path) -> list[str]:
    """One name for each entity: asked once each, no question finds an answer or a card
    already built (another name of the same entity would find its card)."""
    with FactStore(template) as store:
        return sorted({entity.name for entity in store.entities()})


def digests_due(url: str, fake: FakeSlack, teams: list[str]) -> None:
    """Each workspace's channel with a daily digest that fell due two minutes ago and one
    development to post."""
    now = datetime.now(UTC)
    with PostgresWorkspaces(url, follow=False) as workspaces:
        for workspace in teams:
            store = workspaces.store(workspace)
            digest_due(
                store,
                [f"C{workspace}"],
                DIGEST_NEWS,
                ADMIN,
                source_url="https://news.example.com/many",
                now=now,
            )
            store.close()


def busiest_minute(times: list[float]) -> int:
    times = sorted(times)
    return max((sum(1 for t in times if start <= t < start + 60) for start in times), default=0)


def workspaces_section(
    workdir: Path, requests: int, *, smoke: bool, count: int | None = None
) -> Report:
    count = count or (20 if smoke else 1000)
    report = Report(
        f"10. Many workspaces on PostgreSQL ({count:,} workspaces x {FACTS_EACH} facts)",
        ["measure", "figure", "target"],
    )
    if not reachable():
        report.notes.append(f"Skipped: no PostgreSQL server at {server_url()}.")
        return report
    teams = [team(n) for n in range(count)]
    template = template_store(workdir, FACTS_EACH)
    big = template_store(workdir, count * FACTS_EACH)
    names = entity_names(template)
    rng = random.Random(25)
    with (
        scratch_database("summit_many") as many_url,
        scratch_database("summit_one") as one_url,
        scratch_database("summit_big") as big_url,
        FakeSlack() as fake,
    ):
        report.notes.append(installed_workspaces(many_url, fake, template, teams))
        migrate_store(template, one_url)
        migrate_store(big, big_url)
        fake.add_user("U0READER")

        # Start-up and memory: many workspaces beside one workspace of the same facts.
        one_big = Server("slackbot", fake, None, SUMMITBOT_DATABASE_URL=big_url)
        try:
            big_start, big_rss = one_big.healthy_after, one_big.rss_mb()
        finally:
            one_big.stop()
        replica = many_replica(fake, many_url)
        try:
            start, rss_started = replica.healthy_after, replica.rss_mb()
            sender = SlackSender(replica.url, SECRET)
            loaded_started = time.perf_counter()
            for workspace in teams:
                whois_samsung_ms(sender, workspace)
            every_loaded = time.perf_counter() - loaded_started
            sender.close()
            rss_loaded = replica.rss_mb()
            # Uncached /whois across every workspace, beside one workspace of 200 facts.
            # Rounds of the same size on both sides: here each (workspace, name) once, there
            # each name once in a freshly started one-workspace replica (caches cold).
            asked = [(workspace, name) for workspace in teams for name in names]
            rng.shuffle(asked)
            per_round = len(names)
            rounds = max(1, requests // per_round)
            cpu_before = replica.cpu_seconds()
            many = measure.cold_rounds(
                replica.url,
                SECRET,
                "/whois",
                [asked[n * per_round : (n + 1) * per_round] for n in range(rounds)],
                8,
            )
            many_cpu = (replica.cpu_seconds() - cpu_before) * 1000 / (rounds * per_round)
        finally:
            replica.stop()
        started_ones: list[Server] = []
        cpu_marks: list[float] = []
        alone_cpu_seconds = 0.0

        def fresh_one() -> str:
            nonlocal alone_cpu_seconds
            if started_ones:
                alone_cpu_seconds += started_ones[-1].cpu_seconds() - cpu_marks[-1]
                started_ones[-1].stop()
            server = Server("slackbot", fake, None, SUMMITBOT_DATABASE_URL=one_url)
            started_ones.append(server)
            cpu_marks.append(server.cpu_seconds())
            return server.url

        try:
            alone = measure.cold_rounds(fresh_one, SECRET, "/whois", [names] * rounds, 8)
            alone_cpu_seconds += started_ones[-1].cpu_seconds() - cpu_marks[-1]
        finally:
            started_ones[-1].stop()
        alone_cpu = alone_cpu_seconds * 1000 / (rounds * per_round)
        report.rows += [
            [
                f"uncached /whois, 8 clients, p50 / p99 (ms): {rounds} round(s) of {per_round} "
                "questions each side",
                f"{fmt(many.p50)} / {fmt(many.p99)} (one workspace of {FACTS_EACH} facts: "
                f"{fmt(alone.p50)} / {fmt(alone.p99)}; {fmt(many.p50 / alone.p50, 2)}x)",
                "p50 <= 1.2x one workspace",
            ],
            [
                "server CPU per uncached /whois (ms)",
                f"{fmt(many_cpu, 2)} (one workspace: {fmt(alone_cpu, 2)})",
                "",
            ],
            [
                "start-up to /healthz 200 (s)",
                f"{fmt(start, 2)} (one workspace of {count * FACTS_EACH:,} facts: "
                f"{fmt(big_start, 2)}; {fmt(start / big_start, 2)}x)",
                "<= 1.2x one workspace",
            ],
            [
                "RSS after start / after every workspace answered (MB)",
                f"{fmt(rss_started, 0)} / {fmt(rss_loaded, 0)} (one workspace of "
                f"{count * FACTS_EACH:,} facts: {fmt(big_rss, 0)}; "
                f"{fmt(rss_loaded / big_rss, 2)}x loaded)",
                "<= 1.2x one workspace",
            ],
            [
                "first answer of every workspace in turn, one client (s)",
                f"{fmt(every_loaded, 1)} ({fmt(every_loaded * 1000 / count, 1)} ms each)",
                "",
            ],
        ]

        # One digest in each workspace, posted by the leader of three replicas.
        digests_due(many_url, fake, teams)
        fake.rate_limit_share = 0.05
        started = time.perf_counter()
        three = [many_replica(fake, many_url) for _ in range(3)]
        try:

            def posted() -> list[Any]:
                return [
                    c
                    for c in fake.calls_to("chat.postMessage", ok=True)
                    if DIGEST_NEWS in c.params.get("text", "")
                ]

            seconds_until(lambda: len({c.params["channel"] for c in posted()}) >= count, 600, 0.2)
            seconds = time.perf_counter() - started
            time.sleep(2)  # anything late or doubled would show now
            posts = Counter(c.params["channel"] for c in posted())
            wrong_token = sum(
                1
                for c in posted()
                if c.token not in fake.workspaces[fake.channels[c.params["channel"]].team].tokens
            )
            limited = sum(1 for c in fake.calls_to("chat.postMessage") if c.status == 429)
            report.rows.append(
                [
                    f"one digest in each of {count:,} workspaces, 5% 429s, leader of 3: "
                    "time from start (s)",
                    f"{fmt(seconds, 1)} ({sum(n - 1 for n in posts.values())} duplicates, "
                    f"{count - len(posts)} lost, {wrong_token} with another workspace's "
                    f"token, {limited} 429s)",
                    "<= 120 s, 0 duplicates, 0 lost",
                ]
            )
            fake.rate_limit_share = 0.0

            # App Homes: 10 people in each of 100 workspaces open theirs; 20 changes in each.
            homes = teams[: min(100, count)]
            people = {w: [f"U{w}H{n}" for n in range(10)] for w in homes}
            for workspace, users in people.items():
                for user in users:
                    fake.add_user(user, team=workspace)
            before = len(fake.calls)
            senders = [SlackSender(server.url, SECRET) for server in three]
            for index, (workspace, users) in enumerate(people.items()):
                for user in users:
                    event = {"type": "app_home_opened", "user": user, "tab": "home"}
                    senders[index % 3].event(event, team_id=workspace)
            for each in senders:
                each.close()
            opened = sum(len(users) for users in people.values())
            seconds_until(
                lambda: (
                    len(
                        {
                            c.params["user_id"]
                            for c in fake.calls[before:]
                            if c.method == "views.publish" and c.status == 200
                        }
                    )
                    >= opened
                ),
                300,
                0.2,
            )
            changes_started = time.monotonic()
            with PostgresWorkspaces(many_url, follow=False) as workspaces:
                for change in range(20):
                    for workspace in homes:
                        Curator(workspaces.store(workspace)).add(
                            FactDraft(
                                statement=f"{measure.fresh_statement(rng)} change {change}",
                                kind="hardware",
                                status="reported",
                                entity_ids=("samsung",),
                                source_url="https://news.example.com/homes",
                            ),
                            ADMIN,
                        )
            changes_took = time.monotonic() - changes_started

            def publishes() -> int:
                return sum(1 for c in fake.calls[before:] if c.method == "views.publish")

            last, quiet_since = publishes(), time.monotonic()
            while time.monotonic() - quiet_since < 10 and time.monotonic() - changes_started < 300:
                time.sleep(0.5)
                now_count = publishes()
                if now_count != last:
                    last, quiet_since = now_count, time.monotonic()
        finally:
            for server in three:
                server.stop()
        by_workspace: dict[str, list[float]] = defaultdict(list)
        for call in fake.calls[before:]:
            if call.method == "views.publish":
                found = fake.workspace_of_token(call.token)
                by_workspace[found.team_id if found else "?"].append(call.at)
        worst = max((busiest_minute(times) for times in by_workspace.values()), default=0)
        total = sum(len(times) for times in by_workspace.values())
        report.rows.append(
            [
                f"{opened:,} App Homes open in {len(homes)} workspaces, 20 changes in each "
                f"(made in {changes_took:.0f} s): views.publish per workspace in its busiest "
                "minute",
                f"{worst} (all workspaces: {total:,} publishes, "
                f"{fmt(statistics.mean(len(t) for t in by_workspace.values()), 1)} per workspace)",
                "<= 100 (Slack's limit)",
            ]
        )
    report.notes.append(
        "Each replica is `summitbot serve` in its own process. The many-workspace replicas "
        "load a workspace's store when it is first asked for (or when the leader takes up its "
        "scheduled work); the one-workspace replicas load their store at start. The workspaces "
        "were written with COPY (as `summitbot migrate` writes one) and installed as Bolt's "
        "OAuth flow stores an installation; each has its own bot token in the fake Slack."
    )
    return report
