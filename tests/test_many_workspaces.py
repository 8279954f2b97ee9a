"""Many workspaces: the app installed from its "Add to Slack" page in two workspaces, as
browsers do, served over HTTP against a real PostgreSQL and the fake Slack with several
workspaces; nothing one workspace stores ever reaches another."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import threading
import weakref
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from slack_bolt.request import BoltRequest

from slackbot.app import BuiltForWorkspaces, build_for_workspaces
from slackbot.config import Settings
from slackbot.core.curation import FactDraft
from slackbot.server import GracefulServer
from slackbot.slack.tenants import NOT_INSTALLED
from storage.api import Subscription
from storage.installations import PostgresInstallations
from storage.postgres_workspaces import PostgresWorkspaces
from tests.conftest import SIGNING_SECRET
from tests.fake_oauth import CLIENT_ID, CLIENT_SECRET, Browser, FakeSlackWithOAuth, install
from tests.fake_slack import Call, DateClock
from tests.fake_socket_mode import socket_mode_app
from tests.slack_client import SlackSender, signed_headers

REPO = Path(__file__).resolve().parent.parent
ACME, GLOBEX, STRANGER = "T0ACME", "T0GLOBEX", "T0STRANGER"
ANNA, BORIS = "U0ANNA", "U0BORIS"  # who install the app in Acme and Globex


@dataclass
class ManyWorkspaces:
    fake: FakeSlackWithOAuth
    built: BuiltForWorkspaces
    slack: SlackSender
    browser: Browser
    url: str
    workspaces: PostgresWorkspaces
    database_url: str


@pytest.fixture
def many(postgres_url: str, request: pytest.FixtureRequest) -> Iterator[ManyWorkspaces]:
    """Served for many workspaces; ``request.param``: the retention days after an uninstall
    (0: deleted at once), or a dict of ``retention`` and ``working_set`` (how many
    workspaces the replica holds)."""
    param = getattr(request, "param", 0)
    options = param if isinstance(param, dict) else {"retention": param}
    retention, working_set = options.get("retention", 0), options.get("working_set", 200)
    with FakeSlackWithOAuth() as fake:
        fake.add_workspace(ACME, "Acme")
        fake.add_workspace(GLOBEX, "Globex")
        fake.add_workspace(STRANGER, "Stranger")
        fake.add_user(ANNA, team=ACME)
        fake.add_user(BORIS, team=GLOBEX)
        fake.add_channel("C0ACME", "acme-news", team=ACME)
        fake.add_channel("C0GLOBEX", "globex-news", team=GLOBEX)
        settings = Settings(
            signing_secret=SIGNING_SECRET,
            api_url=fake.api_url,
            database_url=postgres_url,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            uninstall_retention_days=retention,
            workspace_cache=working_set,
        )
        assert settings.many_workspaces
        installations = PostgresInstallations(postgres_url)
        with PostgresWorkspaces(
            postgres_url, poll_seconds=0.2, working_set=working_set
        ) as workspaces:
            built = build_for_workspaces(
                settings, workspaces, installations, clock=DateClock(datetime.now(UTC))
            )
            server = GracefulServer(built.ingress, "127.0.0.1", 0, tick_seconds=0.05)
            thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            sender = SlackSender(server.url, SIGNING_SECRET, fake)
            try:
                yield ManyWorkspaces(
                    fake, built, sender, Browser(server.url), server.url, workspaces, postgres_url
                )
            finally:
                sender.close()
                server.stop()
                thread.join(timeout=15)
                built.tenants.close()
        installations.close()


def installed(many: ManyWorkspaces, team: str, installer: str) -> None:
    status, page = install(many.browser, many.fake, team, installer)
    assert status == 200, page
    assert "is installed" in page


def whois(many: ManyWorkspaces, team: str, text: str, user: str = ANNA) -> str:
    reply = many.slack.command("/whois", text, team_id=team, user_id=user)
    assert reply.status == 200, reply.body
    return reply.body


def test_the_install_page_and_a_failed_install_say_what_to_do(many: ManyWorkspaces) -> None:
    status, headers, page = many.browser.get("/slack/install")
    assert status == 200 and "Add to Slack" in page and "state=" in page
    assert "slack-app-oauth-state=" in headers.get("set-cookie", "")
    # Back from Slack without the cookie (another browser): refused, and told what to do.
    status, _headers, page = Browser(many.url).get("/slack/oauth_redirect?code=x&state=y")
    assert status == 400 and "another browser" in page and "/slack/install" in page
    status, _headers, page = many.browser.get("/slack/oauth_redirect?error=access_denied")
    assert "cancelled" in page
    assert many.fake.oauth_state.exchanges == 0


def test_two_workspaces_install_and_never_see_each_others_facts(many: ManyWorkspaces) -> None:
    installed(many, ACME, ANNA)
    installed(many, GLOBEX, BORIS)
    # Each starts with the summit seed.
    assert "Samsung Electronics" in whois(many, ACME, "samsung")
    assert "Samsung Electronics" in whois(many, GLOBEX, "samsung", BORIS)

    acme = many.built.tenants.tenant(ACME)
    assert acme is not None
    fact = acme.services.curator.add(
        FactDraft(
            statement="Samsung ships quokka wafers to Acme's Microsoft team.",
            kind="hardware",
            status="reported",
            entity_ids=("samsung",),
            source_url="https://acme.example/quokka",
        ),
        ANNA,
    )
    search = many.slack.command("/summit", "search quokka", team_id=ACME, user_id=ANNA)
    assert fact.id in search.body and "quokka" in search.body
    theirs = many.slack.command("/summit", "search quokka", team_id=GLOBEX, user_id=BORIS)
    assert "No facts match" in theirs.body and "wafers" not in theirs.body
    assert "quokka" not in whois(many, GLOBEX, "samsung", BORIS)
    assert "quokka" in whois(many, ACME, "samsung")
    globex = many.built.tenants.tenant(GLOBEX)
    assert globex is not None and globex.services.intel.store.fact(fact.id) != fact

    # Digests: what moved today, as each workspace's digest would post it.
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    ours_digest, _tracking = acme.services.digests.preview_anywhere(today)
    theirs_digest, _tracking = globex.services.digests.preview_anywhere(today)
    assert fact.id in {d.fact.id for d in ours_digest.developments}
    assert all("quokka" not in d.fact.statement for d in theirs_digest.developments)

    # App Homes: the admins' desks list the latest changes, each its own workspace's.
    for team, person in ((ACME, ANNA), (GLOBEX, BORIS)):
        opened = {"type": "app_home_opened", "user": person, "tab": "home"}
        assert many.slack.event(opened, team_id=team).status == 200
    homes = {
        person: many.fake.wait_for(
            lambda person=person: [
                c
                for c in many.fake.calls_to("views.publish", ok=True)
                if c.params["user_id"] == person
            ]
        )[-1]
        for person in (ANNA, BORIS)
    }
    ours_home, theirs_home = str(homes[ANNA].params["view"]), str(homes[BORIS].params["view"])
    assert f"`{fact.id}` added" in ours_home and "14 reported" in ours_home
    assert f"`{fact.id}` added" not in theirs_home and "13 reported" in theirs_home
    assert homes[ANNA].token != homes[BORIS].token


def test_a_workspace_that_never_installed_gets_no_data(many: ManyWorkspaces) -> None:
    installed(many, ACME, ANNA)
    for command, text in (("/whois", "samsung"), ("/summit", "search hbm"), ("/summit", "add")):
        reply = many.slack.command(command, text, team_id=STRANGER)
        assert reply.status == 200 and NOT_INSTALLED in reply.body, (command, reply.body)
        assert "Samsung" not in reply.body


def test_every_web_api_call_carries_its_own_workspaces_token(many: ManyWorkspaces) -> None:
    installed(many, ACME, ANNA)
    installed(many, GLOBEX, BORIS)
    for team, user, channel in ((ACME, ANNA, "C0ACME"), (GLOBEX, BORIS, "C0GLOBEX")):
        reply = many.slack.command(
            "/digest", "daily 09:00", team_id=team, user_id=user, channel_id=channel
        )
        assert reply.status == 200 and "09:00" in reply.body, reply.body
        mention = {"type": "app_mention", "user": user, "channel": channel, "ts": "1.1"}
        reply = many.slack.event(mention | {"text": "<@U0BOT1> who samsung"}, team_id=team)
        assert reply.status == 200
    many.fake.wait_for(lambda: len(many.fake.calls_to("chat.postMessage", ok=True)) == 2)
    calls = [c for c in many.fake.calls if c.method not in ("oauth.v2.access",)]
    assert {"conversations.join", "chat.postMessage"} <= {c.method for c in calls}
    for call in calls:
        workspace = many.fake.workspace_of_token(call.token)
        assert workspace is not None, call
        channel = many.fake.channels.get(str(call.params.get("channel") or ""))
        if channel is not None:
            assert channel.team == workspace.team_id, call


def add_quokka(many: ManyWorkspaces, team: str, user: str) -> str:
    tenant = many.built.tenants.tenant(team)
    assert tenant is not None
    return tenant.services.curator.add(
        FactDraft(
            statement=f"Samsung ships quokka wafers to {team}.",
            kind="hardware",
            status="reported",
            entity_ids=("samsung",),
            source_url="https://example.com/quokka",
        ),
        user,
    ).id


def uninstall(many: ManyWorkspaces, team: str) -> None:
    reply = many.slack.event({"type": "app_uninstalled"}, team_id=team)
    assert reply.status == 200
    many.fake.revoke(team)


def test_uninstalling_with_no_retention_deletes_that_workspace_and_nothing_else(
    many: ManyWorkspaces,
) -> None:
    installed(many, ACME, ANNA)
    installed(many, GLOBEX, BORIS)
    add_quokka(many, ACME, ANNA)
    theirs = add_quokka(many, GLOBEX, BORIS)
    uninstall(many, ACME)
    many.fake.wait_for(lambda: ACME not in many.workspaces.stored())
    installations = many.built.tenants.installations
    assert installations.workspace(ACME) is None
    assert installations.find("bot", CLIENT_ID, "", ACME) is None
    assert installations.find("bot", CLIENT_ID, "", GLOBEX) is not None
    assert NOT_INSTALLED in many.slack.command("/whois", "samsung", team_id=ACME).body
    assert "quokka" in whois(many, GLOBEX, "samsung", BORIS)
    globex = many.built.tenants.tenant(GLOBEX)
    assert globex is not None and globex.services.intel.store.fact(theirs) is not None


@pytest.mark.parametrize("many", [30], indirect=True)
def test_reinstalling_within_the_retention_finds_the_workspace_as_it_was(
    many: ManyWorkspaces,
) -> None:
    installed(many, ACME, ANNA)
    fact_id = add_quokka(many, ACME, ANNA)
    uninstall(many, ACME)
    many.fake.wait_for(lambda: many.built.tenants.record(ACME) is None)
    record = many.built.tenants.installations.workspace(ACME)
    assert record is not None and record.delete_after is not None
    assert (record.delete_after - record.uninstalled_at).days == 30  # type: ignore[operator]
    assert ACME in many.workspaces.stored(), "kept for the retention days"
    assert NOT_INSTALLED in many.slack.command("/whois", "samsung", team_id=ACME).body
    installed(many, ACME, ANNA)
    assert "quokka" in whois(many, ACME, "samsung")
    tenant = many.built.tenants.tenant(ACME)
    assert tenant is not None and tenant.services.intel.store.fact(fact_id) is not None


def test_workspaces_from_the_command_line(many: ManyWorkspaces, tmp_path: Path) -> None:
    installed(many, ACME, ANNA)
    installed(many, GLOBEX, BORIS)
    add_quokka(many, ACME, ANNA)
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SUMMITBOT_DATABASE_URL": many.database_url,
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_BOT_TOKEN": "",
    }

    def summitbot(*words: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "slackbot", "workspaces", *words],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    listed = summitbot("list")
    assert listed.returncode == 0, listed.stderr
    rows = {line.split("\t")[0]: line.split("\t") for line in listed.stdout.splitlines()[1:]}
    assert set(rows) == {ACME, GLOBEX}
    assert rows[ACME][1] == "Acme" and rows[ACME][5] == "installed"
    assert int(rows[ACME][3]) == int(rows[GLOBEX][3]) + 1  # the quokka fact
    exported = summitbot("export", ACME, "acme.jsonl")
    assert exported.returncode == 0, exported.stderr
    lines = (tmp_path / "acme.jsonl").read_text().splitlines()
    assert any("quokka" in line for line in lines)
    assert summitbot("export", GLOBEX, "globex.jsonl").returncode == 0
    assert "quokka" not in (tmp_path / "globex.jsonl").read_text()
    assert summitbot("export", "T0NOBODY", "x.jsonl").returncode == 2
    refused = summitbot("purge", ACME)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert ACME in many.workspaces.stored()
    purged = summitbot("purge", ACME, "--yes")
    assert purged.returncode == 0, purged.stderr
    assert ACME not in many.workspaces.stored() and GLOBEX in many.workspaces.stored()
    assert many.built.tenants.installations.workspace(ACME) is None


def test_an_org_wide_install_answers_every_workspace_of_the_organisation_from_one_space(
    many: ManyWorkspaces,
) -> None:
    many.fake.add_workspace("T0ORGA", "Org A", enterprise_id="E0ORG")
    status, page = install(many.browser, many.fake, "T0ORGA", ANNA, org_wide=True)
    assert status == 200 and "is installed" in page, page
    fact_id = add_quokka(many, "E0ORG", ANNA)
    for team in ("T0ORGA", "T0ORGB"):
        reply = many.slack.command(
            "/summit", "search quokka", team_id=team, enterprise_id="E0ORG", org_wide=True
        )
        assert fact_id in reply.body and "quokka" in reply.body, (team, reply.body)
    alone = many.slack.command("/whois", "samsung", team_id="T0ORGC")
    assert NOT_INSTALLED in alone.body, "a team outside the organisation gets nothing"


def test_an_expiring_token_is_refreshed_and_stored_before_it_is_used(
    many: ManyWorkspaces,
) -> None:
    many.fake.oauth_state.expires_in = 60  # within the two hours before expiry: rotate
    installed(many, ACME, ANNA)
    first = set(many.fake.workspaces[ACME].tokens)
    exchanges = many.fake.oauth_state.exchanges
    mention = {"type": "app_mention", "user": ANNA, "channel": "C0ACME", "ts": "1.1"}
    many.fake.channels["C0ACME"].members.add(many.fake.workspaces[ACME].bot_user)
    assert many.slack.event(mention | {"text": "<@U0BOT1> who lg"}, team_id=ACME).status == 200
    posted = many.fake.wait_for(lambda: many.fake.calls_to("chat.postMessage", ok=True))
    assert many.fake.oauth_state.exchanges > exchanges, "refreshed"
    assert posted[0].token not in first, "posted with the new token"
    bot = many.built.tenants.installations.find("bot", CLIENT_ID, "", ACME)
    assert bot is not None and bot["bot_token"] in many.fake.workspaces[ACME].tokens


def test_the_same_event_at_two_replicas_is_answered_once(many: ManyWorkspaces) -> None:
    installed(many, ACME, ANNA)
    many.fake.channels["C0ACME"].members.add(many.fake.workspaces[ACME].bot_user)
    settings = Settings(
        signing_secret=SIGNING_SECRET,
        api_url=many.fake.api_url,
        database_url=many.database_url,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    installations = PostgresInstallations(many.database_url)
    with PostgresWorkspaces(many.database_url, poll_seconds=0.2) as workspaces:
        other = build_for_workspaces(settings, workspaces, installations)
        server = GracefulServer(other.ingress, "127.0.0.1", 0, tick_seconds=0.05)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        second = SlackSender(server.url, SIGNING_SECRET, many.fake)
        try:
            mention = {"type": "app_mention", "user": ANNA, "channel": "C0ACME", "ts": "7.1"}
            mention["text"] = "<@U0BOT1> who samsung"
            for replica in (many.slack, second, many.slack, second):
                assert replica.event(mention, team_id=ACME, event_id="Ev0TWICE").status == 200
            after = mention | {"ts": "7.2"}
            assert second.event(after, team_id=ACME, event_id="Ev0AFTER").status == 200
            many.fake.wait_for(lambda: len(many.fake.calls_to("chat.postMessage")) >= 2)
        finally:
            second.close()
            server.stop()
            thread.join(timeout=15)
            other.tenants.close()
    installations.close()
    threads = [c.params.get("thread_ts") for c in many.fake.calls_to("chat.postMessage")]
    assert sorted(threads) == ["7.1", "7.2"]


def test_many_workspaces_without_a_database_refuse_to_start_saying_why(tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "SUMMITBOT_"))
    }
    env |= {
        "PYTHONPATH": str(REPO),
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    }
    started = subprocess.run(
        [sys.executable, "-m", "slackbot", "serve", "--port", "0"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode != 0
    assert "SUMMITBOT_DATABASE_URL" in started.stderr and "Traceback" not in started.stderr


def signed_form(
    command: str, text: str, team: str, response_url: str
) -> tuple[str, dict[str, str]]:
    body = urlencode(
        {
            "team_id": team,
            "channel_id": "C0ANY",
            "user_id": ANNA,
            "command": command,
            "text": text,
            "response_url": response_url,
            "trigger_id": "t",
        }
    )
    return body, signed_headers(SIGNING_SECRET, body)


def test_the_short_circuit_and_bolt_answer_alike_in_every_workspace(
    many: ManyWorkspaces,
) -> None:
    """The same signed command, through the ingress (answered from memory where it may be)
    or by Bolt's pipeline alone, gets the same answer from the same workspace, or the same
    refusal."""
    installed(many, ACME, ANNA)
    installed(many, GLOBEX, BORIS)
    add_quokka(many, ACME, ANNA)
    ingress = many.built.ingress
    for team in (ACME, GLOBEX, STRANGER):
        for command, text in (
            ("/whois", "samsung"),
            ("/chips", "hbm"),
            ("/summit", "search quokka"),
        ):
            body, headers = signed_form(command, text, team, many.fake.response_url())
            answered = ingress.signed(body, dict(headers))
            bolt = ingress.app.dispatch(BoltRequest(body=body, headers=headers))
            if team == STRANGER:
                told = many.fake.wait_for(
                    lambda: [p for p in many.fake.response_posts if NOT_INSTALLED in str(p)]
                )
                assert told and "Samsung" not in bolt.body and "Samsung" not in answered.body
                assert answered.status == bolt.status
                continue
            assert bolt.status == answered.status == 200
            if not (bolt.body and answered.body):
                # Acknowledged, answered later: an asker whose role only Slack can tell (by
                # the second asking, Slack may have told it).
                continue
            assert json.loads(bolt.body) == json.loads(answered.body), (team, command, text)
            assert ("quokka wafers" in answered.body) == (team == ACME and text != "hbm")


def test_a_slack_connect_guest_who_is_an_admin_elsewhere_is_not_one_here(
    many: ManyWorkspaces,
) -> None:
    installed(many, ACME, ANNA)
    many.fake.add_user("U0GUEST", team=GLOBEX, is_admin=True)  # Globex's admin, in Acme
    many.fake.add_user("U0ACMEADMIN", team=ACME, is_admin=True)
    tenant = many.built.tenants.tenant(ACME)
    assert tenant is not None
    admins = tenant.services.admins
    assert admins.is_admin(ANNA), "the person who installed it"
    assert admins.is_admin("U0ACMEADMIN")
    assert not admins.is_admin("U0GUEST")
    refused = many.slack.command("/summit", "add", team_id=ACME, user_id="U0GUEST")
    assert "Only Summit Intel admins" in refused.body


def test_many_workspaces_over_socket_mode(many: ManyWorkspaces) -> None:
    """Installed from the install pages (HTTP), answered over Socket Mode: each workspace
    from its own store, a stranger refused."""
    installed(many, ACME, ANNA)
    add_quokka(many, ACME, ANNA)
    with socket_mode_app(many.fake, Settings(), None, many.built.ingress) as send:  # type: ignore[arg-type]
        ours = send("/summit", "search quokka", ANNA, team_id=ACME)
        assert "quokka" in json.dumps(ours)
        stranger = send("/whois", "samsung", ANNA, team_id=STRANGER)
    assert "Samsung" not in json.dumps(stranger)
    told = many.fake.wait_for(
        lambda: [p for p in many.fake.response_posts if NOT_INSTALLED in str(p)]
    )
    assert told


def digests_due_in_acme_and_globex(many: ManyWorkspaces) -> None:
    """Both installed, each with a channel whose daily digest fell due two minutes ago and
    a fact to post in it."""
    installed(many, ACME, ANNA)
    installed(many, GLOBEX, BORIS)
    now = datetime.now(UTC)
    due = (now - timedelta(minutes=2)).replace(second=0, microsecond=0)
    for team, channel, user in ((ACME, "C0ACME", ANNA), (GLOBEX, "C0GLOBEX", BORIS)):
        many.fake.channels[channel].members.add(many.fake.workspaces[team].bot_user)
        tenant = many.built.tenants.tenant(team)
        assert tenant is not None
        tenant.services.intel.store.put_subscription(
            Subscription(
                channel,
                "daily",
                due.strftime("%H:%M"),
                "UTC",
                # The app's clock stands still in these tests: what it saves is from then.
                since=(many.built.tenants.clock() - timedelta(seconds=1)).isoformat(),
                created_at=(now - timedelta(days=1)).isoformat(timespec="microseconds"),
                created_by=user,
            )
        )
        add_quokka(many, team, user)


@pytest.mark.parametrize("many", [{"working_set": 200}, {"working_set": 1}], indirect=True)
def test_one_scheduler_posts_each_workspaces_due_digest_once_with_its_token(
    many: ManyWorkspaces,
) -> None:
    """The leader's one APScheduler serves every workspace: a digest due in each of two
    workspaces is posted once in each, with that workspace's token, the first post answered
    429; a workspace that leaves loses its jobs. Holding one workspace at a time, the
    leader loads each when its digest is due and never holds more."""
    from slackbot.workspace_scheduling import WorkspaceScheduling

    digests_due_in_acme_and_globex(many)
    many.fake.fail_next("chat.postMessage", 429, retry_after=1)
    limit = many.built.tenants.settings.workspace_cache
    held: list[int] = []
    done = threading.Event()

    def count_held() -> None:
        while not done.wait(0.005):
            held.append(len(many.workspaces.held()))
            held.append(len(many.built.tenants.open_tenants()))

    counting = threading.Thread(target=count_held, daemon=True)
    scheduling = WorkspaceScheduling(many.built.tenants, grace_seconds=3600)
    try:
        counting.start()
        scheduling.lead()
        posts = many.fake.wait_for(
            lambda: (
                (found := many.fake.calls_to("chat.postMessage", ok=True))
                and len(found) >= 2
                and found
            ),
            timeout=20,
        )
        done.set()
        counting.join()
        assert held and max(held) <= (limit or 0)
        jobs = {job.id for job in scheduling.scheduler.get_jobs()}
        assert {f"{ACME}:digest:C0ACME", f"{GLOBEX}:digest:C0GLOBEX"} <= jobs
        # Paused and resumed where the workspace is held: its job goes and comes back at
        # once, not at the next resync.
        acme = many.built.tenants.tenant(ACME)
        assert acme is not None
        acme.services.digests.set_paused("C0ACME", True)
        assert scheduling.scheduler.get_job(f"{ACME}:digest:C0ACME") is None
        acme.services.digests.set_paused("C0ACME", False)
        assert scheduling.scheduler.get_job(f"{ACME}:digest:C0ACME") is not None
        del acme
        uninstall(many, GLOBEX)
        # The event is acknowledged before its listener has run (Bolt's own thread): the
        # leader's next sync comes after it, as it does every few seconds in the app.
        many.fake.wait_for(lambda: GLOBEX not in {r.workspace for r in many.built.tenants.active()})
        scheduling.sync()
        jobs = {job.id for job in scheduling.scheduler.get_jobs()}
        assert f"{ACME}:digest:C0ACME" in jobs
        assert not [job for job in jobs if job.startswith(GLOBEX)]
    finally:
        scheduling.shutdown()
    by_channel = Counter(post.params["channel"] for post in posts)
    assert by_channel == {"C0ACME": 1, "C0GLOBEX": 1}
    for post in posts:
        workspace = many.fake.workspace_of_token(post.token) or many.fake.workspaces[GLOBEX]
        assert many.fake.channels[post.params["channel"]].team == workspace.team_id


def test_a_workspace_installed_with_no_seed_starts_empty_and_answers(
    many: ManyWorkspaces,
) -> None:
    """SUMMITBOT_SEED=none: a new installation's store is empty, and every answer there
    says so plainly rather than failing."""
    many.built.tenants.settings = replace(many.built.tenants.settings, seed="none")
    installed(many, ACME, ANNA)
    tenant = many.built.tenants.tenant(ACME)
    assert tenant is not None
    store = tenant.services.intel.store
    assert store.event() is None and store.fact_count() == 0 and store.entities() == []
    for command, text in (("/whois", "samsung"), ("/whois", ""), ("/chips", ""), ("/summit", "")):
        reply = many.slack.command(command, text, team_id=ACME)
        assert reply.status == 200 and reply.body, (command, text)
        assert "went wrong" not in reply.body.lower(), (command, reply.body)


def led_until_globex_posts(many: ManyWorkspaces) -> list[Call]:
    """A scheduler for every workspace leads until Globex's digest is posted; returns the
    posts Slack took in Globex's channel."""
    from slackbot.workspace_scheduling import WorkspaceScheduling

    scheduling = WorkspaceScheduling(many.built.tenants, grace_seconds=3600)
    try:
        scheduling.lead()
        posted: list[Call] = many.fake.wait_for(
            lambda: [
                c
                for c in many.fake.calls_to("chat.postMessage", ok=True)
                if c.params["channel"] == "C0GLOBEX"
            ],
            timeout=20,
        )
        return posted
    finally:
        scheduling.shutdown()


def test_a_workspace_whose_token_was_revoked_holds_up_no_other(many: ManyWorkspaces) -> None:
    """Acme's token stops working (revoked, the event not yet arrived): Globex's due digest
    is posted all the same, and Acme's is refused by Slack, not posted with another token."""

    digests_due_in_acme_and_globex(many)
    many.fake.revoke(ACME)
    posted = led_until_globex_posts(many)
    assert len(posted) == 1
    refused = [c for c in many.fake.calls_to("chat.postMessage") if c.params["channel"] == "C0ACME"]
    assert all(not c.response.get("ok") for c in refused)


@pytest.mark.parametrize("many", [{"working_set": 1}], indirect=True)
def test_a_replica_holding_one_workspace_answers_each_from_its_own_store(
    many: ManyWorkspaces,
) -> None:
    """With a working set of one, each workspace's question lets the other's store and
    services go, and reads its own back from the database: every answer is still its own."""
    installed(many, ACME, ANNA)
    installed(many, GLOBEX, BORIS)
    add_quokka(many, ACME, ANNA)
    seen = []
    for _ in range(3):
        assert "quokka wafers" in whois(many, ACME, "samsung")
        acme = many.built.tenants.tenant(ACME)
        assert "quokka wafers" not in whois(many, GLOBEX, "samsung", BORIS)
        assert many.workspaces.held() == [GLOBEX]
        assert [t.workspace for t in many.built.tenants.open_tenants()] == [GLOBEX]
        seen.append(acme)
    assert len({id(tenant) for tenant in seen}) == 3, "ACME's services were built again"
    assert all(tenant is not None and tenant.services.intel.store.closed for tenant in seen)


@pytest.mark.parametrize(("worker", "held"), [(False, 3), (True, 3)])
def test_every_replica_holds_a_working_set(
    postgres_url: str, worker: bool, held: int | None
) -> None:
    """``serve --no-worker`` holds SUMMITBOT_WORKSPACE_CACHE workspaces, and so does a
    process running the scheduled work (its jobs name workspaces, not their services)."""
    from slackbot.running import serving

    settings = Settings(
        signing_secret=SIGNING_SECRET,
        api_url="http://127.0.0.1:9/api/",
        database_url=postgres_url,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        workspace_cache=3,
    )
    with serving(settings, worker=worker) as running:
        tenancy = running.ingress._tenancy  # type: ignore[attr-defined]
        assert tenancy.settings.workspace_cache == held
        assert tenancy.workspaces._working_set == held


@pytest.mark.parametrize("scheduled", [False, True])
@pytest.mark.parametrize("many", [{"working_set": 1}], indirect=True)
def test_a_workspace_let_go_of_is_freed_at_once(many: ManyWorkspaces, scheduled: bool) -> None:
    """Its services and store hold no cycle among themselves, so they are freed when the
    working set lets them go, not at the next full garbage collection: a serving process
    runs one seldom, and a replica answering 4,000 workspaces through a working set of 200
    grew to 4.4 GB waiting for it (bench section 15). So too where the scheduled work
    listens to the workspace's digests."""
    from slackbot.workspace_scheduling import WorkspaceScheduling

    installed(many, ACME, ANNA)
    installed(many, GLOBEX, BORIS)
    scheduling = WorkspaceScheduling(many.built.tenants, 3600) if scheduled else None
    whois(many, ACME, "samsung")
    if scheduling is not None:
        listened = many.built.tenants.tenant(ACME)
        assert listened is not None and listened.services.digests.events.changed.receivers
        del listened
    tenant = many.built.tenants.tenant(ACME)
    assert tenant is not None
    services, store = weakref.ref(tenant.services), weakref.ref(tenant.services.intel.store)
    del tenant
    gc.collect()
    gc.disable()
    try:
        whois(many, GLOBEX, "samsung", BORIS)
        assert services() is None and store() is None
    finally:
        gc.enable()
        if scheduling is not None:
            scheduling.shutdown()


@pytest.mark.parametrize("many", [{"working_set": 1}], indirect=True)
def test_the_periodic_looks_load_only_the_workspaces_with_work_due(
    many: ManyWorkspaces,
) -> None:
    """The leader asks the database which workspaces have a retry, a feed or a correction
    due, and loads only those: a look with nothing due anywhere loads none."""
    from slackbot.workspace_scheduling import WorkspaceScheduling

    installed(many, ACME, ANNA)
    installed(many, GLOBEX, BORIS)
    whois(many, GLOBEX, "samsung", BORIS)
    assert many.workspaces.held() == [GLOBEX]
    scheduling = WorkspaceScheduling(many.built.tenants, grace_seconds=3600)
    try:
        assert scheduling.due("retries") == set() and scheduling.due("feeds") == set()
        for look in ("retries", "feeds", "corrections"):
            scheduling.sweep(look)
        scheduling._sweeper.submit(lambda: None).result()  # the looks started are over
        assert many.workspaces.held() == [GLOBEX]
        # A slot of Acme's waiting for a retry: that look loads Acme, and only it.
        acme = many.built.tenants.tenant(ACME)
        assert acme is not None
        long_ago = (many.built.tenants.clock() - timedelta(minutes=5)).isoformat()
        acme.services.intel.store.record_slot(
            "C0ACME|2026-01-01T09:00", {"status": "retrying", "at": long_ago, "next_try": long_ago}
        )
        whois(many, GLOBEX, "samsung", BORIS)
        assert scheduling.due("retries") == {ACME}
        scheduling.sweep("retries")
        many.fake.wait_for(lambda: many.workspaces.held() == [ACME])
    finally:
        scheduling.shutdown()


@pytest.mark.parametrize("many", [{"working_set": 1}], indirect=True)
def test_a_workspace_in_use_by_scheduled_work_is_closed_only_when_the_work_is_over(
    many: ManyWorkspaces,
) -> None:
    """A digest waiting out a 429 while a hundred other workspaces are asked for: the
    working set lets its workspace go, but its services close when the digest is done."""
    installed(many, ACME, ANNA)
    installed(many, GLOBEX, BORIS)
    tenants = many.built.tenants
    with tenants.using(ACME) as acme:
        assert acme is not None
        whois(many, GLOBEX, "samsung", BORIS)
        assert [t.workspace for t in tenants.open_tenants()] == [GLOBEX]
        assert acme.services.digests.events.posted.receivers, "closed while in use"
    assert not acme.services.digests.events.posted.receivers, "never closed"
    with tenants.using(GLOBEX) as globex:
        assert globex is not None
    assert globex.services.digests.events.posted.receivers, "held, so not closed"


def test_a_subscription_stored_badly_in_one_workspace_holds_up_no_others_digest(
    many: ManyWorkspaces,
) -> None:
    """Acme's subscription has a creation time no one can read: taking the lead, the
    scheduler still catches up Globex's missed digest."""

    digests_due_in_acme_and_globex(many)
    acme = many.built.tenants.tenant(ACME)
    assert acme is not None
    store = acme.services.intel.store
    broken = store.subscription("C0ACME")
    assert broken is not None
    store.put_subscription(replace(broken, created_at="the day before yesterday"))
    del acme, store
    assert led_until_globex_posts(many)
