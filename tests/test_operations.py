"""Operating Summit Intel (issue 28): /metrics after each surface is driven, JSON logs that
parse and leak nothing, /readyz following the database away and back, and serve and
worker as separate processes on one PostgreSQL posting a digest exactly once."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from prometheus_client.parser import text_string_to_metric_families

from slackbot.app import Built
from slackbot.core.feeds import FeedService, Fetcher
from slackbot.core.measures import SLOW_ACKS
from slackbot.leading import ScheduledWork
from slackbot.running import readiness
from slackbot.scheduler import DigestScheduler
from slackbot.server import GracefulServer
from slackbot.telemetry import InstalledWorkspaces, RequestFacts, metrics_page, observe
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.fake_slack import FakeSlack
from tests.postgres import channels_due_now, seconds_until
from tests.processes import WORKING, ServerProcess
from tests.slack_client import SlackSender, block_actions
from tests.tcp_proxy import TcpProxy
from tests.test_console_and_cli import clean_env

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def slack_env(tmp_path: Path, fake_slack: FakeSlack, secret: str, **extra: str) -> dict[str, str]:
    """The environment of a summitbot process that talks to the fake Slack."""
    return clean_env(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=secret,
        SLACK_API_URL=fake_slack.api_url,
        **extra,
    )


def scrape(url: str) -> Samples:
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as response:
        text = response.read().decode()
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def metered(built: Built, settings: object) -> Iterator[tuple[str, ScheduledWork]]:
    """The app served as in production with /metrics on, and its scheduled work."""
    services = built.services
    work = ScheduledWork(
        DigestScheduler(services.digests, services.feeds, services.corrections),
        settings,  # type: ignore[arg-type]
    )
    server = GracefulServer(
        built.ingress,
        "127.0.0.1",
        0,
        tick_seconds=0.05,
        health=work.health,
        metrics=metrics_page([InstalledWorkspaces(lambda: 1)]),
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    work.start()
    yield server.url, work
    work.stop()
    server.stop()
    thread.join(15)


def test_metrics_move_for_every_surface_with_bounded_labels(
    metered: tuple[str, ScheduledWork], fake_slack: FakeSlack, built: Built, server: object
) -> None:
    url, _work = metered
    before = scrape(url)
    slack = SlackSender(url, SIGNING_SECRET, fake_slack)
    fake_slack.add_channel("C0DIGEST", "digest", bot_member=True)
    try:
        assert slack.command("/whois", "samsung").status == 200
        digest = {"channel_id": "C0DIGEST", "user_id": "U0ADMIN"}
        assert slack.command("/digest", "daily 09:00", **digest).status == 200
        slack.command("/digest", "now", **digest)
        team = {"team": {"id": "T0TEAM"}, "user": {"id": "U0READER"}}
        slack.interactive(
            block_actions(
                "U0READER",
                {"action_id": "no_such_action", "block_id": "b", "type": "button", "value": "x"},
                response_url=fake_slack.response_url(),
                trigger_id="t0",
            )
        )
        slack.interactive(
            {"type": "shortcut", "callback_id": "no_such_shortcut", "trigger_id": "t1", **team}
        )
        slack.interactive(
            {
                "type": "view_submission",
                "view": {"callback_id": "no_such_view", "id": "V1", "state": {"values": {}}},
                **team,
            }
        )
        slack.event({"type": "app_home_opened", "user": "U0READER", "tab": "home"})
        fake_slack.wait_for(lambda: fake_slack.calls_to("views.publish"))
    finally:
        slack.close()
    # A poll and a review decision, through the services Slack's commands use.
    services = built.services
    assert isinstance(services.feeds, FeedService)
    services.feeds.poll([])

    def published() -> float:
        # The fake records a call as it arrives; the client counts it once the answer is
        # back: wait for the count, not for the fake.
        views = ("summitbot_web_api_calls_total", (("method", "views.publish"), ("result", "ok")))
        return scrape(url).get(views, 0.0) - before.get(views, 0.0)

    def digested() -> float:
        samples = scrape(url)
        return sum(
            v - before.get((name, labels), 0.0)
            for (name, labels), v in samples.items()
            if name == "summitbot_digests_total"
        )

    # Some are counted after the acknowledgement (in the listener's thread).
    seconds_until(lambda: published() >= 1 and digested() >= 1, 10, every=0.05)
    after = scrape(url)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    count = "summitbot_request_seconds_count"
    assert moved(count, surface="command", command="/whois") >= 1
    assert moved(count, surface="command", command="/digest") >= 2
    for surface in ("action", "shortcut", "view", "event"):
        assert moved(count, surface=surface, command="none") >= 1, surface
    assert moved("summitbot_web_api_calls_total", method="views.publish", result="ok") >= 1
    outcomes = {labels for name, labels in after if name == "summitbot_digests_total"}
    assert sum(moved("summitbot_digests_total", **dict(labels)) for labels in outcomes) >= 1
    assert moved("summitbot_store_write_seconds_count", backend="embedded") >= 1
    assert value(after, "summitbot_leader") == 1
    assert value(after, "summitbot_installed_workspaces") == 1
    # No user, channel or workspace id is ever a label value.
    ids = re.compile(r"^[UCTWGDE][A-Z0-9]{6,}$")
    for _name, labels in after:
        for _label, label_value in labels:
            assert not ids.match(label_value), (_name, labels)


def test_review_decisions_and_feed_polls_are_counted(built: Built) -> None:
    from slackbot.core.measures import CANDIDATES, FEED_POLLS, REVIEW_DECISIONS

    services = built.services
    review = services.review
    assert review is not None
    proposed = review.propose("Samsung ships HBM3E to Microsoft", "U0READER")
    before = REVIEW_DECISIONS.labels("rejected")._value.get()
    review.reject(proposed.id, "U0ADMIN", "checked: not so")
    assert REVIEW_DECISIONS.labels("rejected")._value.get() == before + 1
    polls_before = FEED_POLLS.labels("failed")._value.get()
    candidates_before = CANDIDATES._value.get()
    fetcher = Fetcher(allow_private=True, connect_timeout=1, total_timeout=2)
    feeds = FeedService(services.intel, fetcher)
    try:
        feed = feeds.add("http://127.0.0.1:9/feed.xml", "U0ADMIN")  # nothing listens there
        feeds.poll([feed.id])
    finally:
        feeds.close()
        fetcher.close()
    assert FEED_POLLS.labels("failed")._value.get() == polls_before + 1
    assert CANDIDATES._value.get() == candidates_before


# -- JSON logs ---------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_json_logs_parse_line_by_line_and_carry_no_secret_or_message_text(
    tmp_path: Path, fake_slack: FakeSlack, level: str
) -> None:
    secret = "json-logs-signing-secret"
    typed = "quokka marmalade"  # what a person typed: never in a log line
    env = slack_env(
        tmp_path,
        fake_slack,
        secret,
        SUMMITBOT_LOG_FORMAT="json",
        LOG_LEVEL=level,
    )
    server = ServerProcess(env, tmp_path)
    slack = SlackSender(server.url, secret, fake_slack)
    try:
        slack.command("/whois", typed, team_id="T0TEAM")
        slack.command("/summit", f"search {typed}")
        slack.post("command=%2Fwhois&text=x", secret="forged")  # refused, logged
    finally:
        slack.close()
        server.stop(signal.SIGTERM, timeout=20)
    lines = [line for line in server.log().splitlines() if line.strip()]
    assert lines
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    for record in records:
        assert {"time", "level", "event", "logger"} <= set(record), record
    answered = [r for r in records if r["event"] == "request answered"]
    if level == "INFO":
        # A request's own line is DEBUG (as access lines are off by default elsewhere);
        # the forged request's refusal is still logged.
        assert not answered
        assert any(r["level"] == "warning" for r in records), records
        return
    assert len(answered) >= 3
    whois = answered[0]
    assert whois["surface"] == "command" and whois["command"] == "/whois"
    assert whois["workspace"] == "T0TEAM" and re.fullmatch(r"[0-9a-f]{16}", whois["request_id"])
    assert whois["status"] == "200" and isinstance(whois["duration_ms"], float)
    text = "\n".join(lines)
    for leaked in (BOT_TOKEN, secret, "fake-bot-token", typed, "marmalade"):
        assert leaked not in text, leaked


def test_a_request_line_is_debug_unless_slow_or_failed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    facts = RequestFacts("command", "/whois", "T0TEAM")
    slow_before = SLOW_ACKS.labels("command")._value.get()
    with caplog.at_level(logging.INFO, logger="summitbot.requests"):
        observe(facts, 0.004, "200")
        assert not caplog.records  # an ordinary answer: no line at INFO
        observe(facts, 2.6, "200")  # Slack may have given up on it
        observe(facts, 0.004, "500")
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "request answered"),
        ("WARNING", "request answered"),
    ]
    assert [r.__dict__["status"] for r in caplog.records] == ["200", "500"]
    assert SLOW_ACKS.labels("command")._value.get() == slow_before + 1
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="summitbot.requests"):
        observe(facts, 0.004, "200")
    assert [(r.levelname, r.__dict__["duration_ms"]) for r in caplog.records] == [("DEBUG", 4.0)]


# -- readiness -------------------------------------------------------------------------


def get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_readyz_turns_503_when_the_database_goes_away_and_200_when_it_returns(
    tmp_path: Path, fake_slack: FakeSlack, postgres_url: str
) -> None:
    parts = urlsplit(postgres_url)
    proxy = TcpProxy((parts.hostname or "127.0.0.1", parts.port or 5432)).start()
    through = postgres_url.replace(f"{parts.hostname}:{parts.port}", f"127.0.0.1:{proxy.port}")
    env = slack_env(
        tmp_path,
        fake_slack,
        "readiness-secret",
        SUMMITBOT_DATABASE_URL=through,
    )
    server = ServerProcess(env, tmp_path)
    try:
        seconds_until(lambda: get(f"{server.url}/readyz")[0] == 200, 15, every=0.1)
        status, report = get(f"{server.url}/readyz")
        assert report["database"] == "ok" and report["role"] in ("leader", "follower")
        proxy.stop()
        status, report = get(f"{server.url}/readyz")
        assert status == 503 and "database does not answer" in str(report["problem"])
        assert get(f"{server.url}/healthz")[0] == 200  # up all the same
        proxy.start()
        seconds_until(lambda: get(f"{server.url}/readyz")[0] == 200, 15, every=0.1)
    finally:
        server.stop(signal.SIGTERM, timeout=20)
        proxy.stop()


def test_readiness_of_a_process_that_only_answers(settings: object) -> None:
    ready, report = readiness(settings, None)()  # type: ignore[arg-type]
    assert ready and report["role"] == "answers only" and report["store"] == "open"


# -- serve and worker apart -------------------------------------------------------------


def test_serve_and_a_separate_worker_post_a_digest_exactly_once(
    tmp_path: Path, fake_slack: FakeSlack, postgres_url: str
) -> None:
    news = "Worker-posted development"
    channels = ["C0WORKA", "C0WORKB"]
    channels_due_now(postgres_url, fake_slack, channels, news, "U0ADMIN")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SUMMITBOT_"))}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET="worker-secret",
        SLACK_API_URL=fake_slack.api_url,
        SUMMITBOT_DATABASE_URL=postgres_url,
    )
    (tmp_path / "serve").mkdir()
    (tmp_path / "worker").mkdir()
    serve = ServerProcess(env, tmp_path / "serve", command=("serve", "--no-worker"))
    worker = ServerProcess(env, tmp_path / "worker", command=("worker",), ready=WORKING)
    try:

        def posted() -> dict[str, int]:
            counts = dict.fromkeys(channels, 0)
            for call in fake_slack.calls_to("chat.postMessage", ok=True):
                if news in call.params.get("text", "") and call.params["channel"] in counts:
                    counts[call.params["channel"]] += 1
            return counts

        seconds_until(lambda: all(posted().values()), 30, every=0.1)
        status, report = get(f"{worker.url}/readyz")
        assert status == 200 and report["role"] == "leader" and report["scheduler"] == "running"
        status, report = get(f"{serve.url}/readyz")
        assert status == 200 and report["role"] == "answers only"
        # The worker answers no Slack request; serve answers them.
        slack = SlackSender(worker.url, "worker-secret", fake_slack)
        assert slack.command("/whois", "samsung").status == 404
        slack.close()
        slack = SlackSender(serve.url, "worker-secret", fake_slack)
        assert "Samsung Electronics" in slack.command("/whois", "samsung").joined()
        slack.close()
    finally:
        serve.stop(signal.SIGTERM, timeout=20)
        worker.stop(signal.SIGTERM, timeout=20)
    assert posted() == dict.fromkeys(channels, 1)
    assert "leads: it runs the scheduler" in worker.log()
    assert "leads" not in serve.log()


# -- several serving processes -----------------------------------------------------------


def test_several_processes_answer_on_one_port_and_metrics_add_up_across_them(
    tmp_path: Path, fake_slack: FakeSlack, postgres_url: str
) -> None:
    env = slack_env(
        tmp_path,
        fake_slack,
        "processes-secret",
        SUMMITBOT_DATABASE_URL=postgres_url,
        SUMMITBOT_METRICS="true",
    )
    server = ServerProcess(env, tmp_path, command=("serve", "--processes", "2"))
    try:
        # Both serving processes ready (each answers /readyz as itself).
        def replicas() -> set[str]:
            return {str(get(f"{server.url}/readyz")[1]["replica"]) for _ in range(20)}

        seconds_until(lambda: len(replicas()) == 2, 30, every=0.2)
        answered = 0
        for _ in range(12):
            slack = SlackSender(server.url, "processes-secret", fake_slack)  # a new connection
            assert "Samsung Electronics" in slack.command("/whois", "samsung").joined()
            slack.close()
            answered += 1
        samples = scrape(server.url)
        count = value(
            samples, "summitbot_request_seconds_count", surface="command", command="/whois"
        )
        assert count == answered  # every process's requests, whichever serves the scrape
        # The worker beside them leads; the answering processes do not.
        seconds_until(lambda: value(scrape(server.url), "summitbot_leader") == 1, 30)
    finally:
        assert server.stop(signal.SIGTERM, timeout=40) == 0
    log = server.log()
    assert "2 processes serving Slack at" in log and "Traceback" not in log


def test_several_processes_need_postgresql(tmp_path: Path) -> None:
    from tests.test_console_and_cli import summitbot

    result = summitbot(
        tmp_path,
        "serve",
        "--processes",
        "2",
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET="processes-secret",
    )
    assert result.returncode == 2 and "--processes needs PostgreSQL" in result.stderr


def test_readiness_names_a_schema_that_is_not_current(postgres_database: str) -> None:
    from slackbot.stores import database_readiness

    problem = database_readiness(postgres_database)  # a database never upgraded
    assert problem is not None and "run summitbot db upgrade" in problem


def test_several_processes_serve_their_metrics_on_the_metrics_port(
    tmp_path: Path, fake_slack: FakeSlack, postgres_url: str
) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = slack_env(
        tmp_path,
        fake_slack,
        "processes-secret",
        SUMMITBOT_DATABASE_URL=postgres_url,
        SUMMITBOT_METRICS_PORT=str(port),
    )
    server = ServerProcess(env, tmp_path, command=("serve", "--processes", "2"))
    try:
        slack = SlackSender(server.url, "processes-secret", fake_slack)
        assert slack.command("/whois", "samsung").status == 200
        slack.close()
        metrics = f"http://127.0.0.1:{port}"
        samples = scrape(metrics)
        assert (
            value(samples, "summitbot_request_seconds_count", surface="command", command="/whois")
            == 1
        )
        # The worker (a child too) leads and counts into the same files.
        seconds_until(lambda: value(scrape(metrics), "summitbot_leader") == 1, 30)
        with pytest.raises(urllib.error.HTTPError) as hidden:
            urllib.request.urlopen(f"{server.url}/metrics", timeout=5)
        assert hidden.value.code == 404  # not on Slack's port unless asked
    finally:
        assert server.stop(signal.SIGTERM, timeout=40) == 0
    log = server.log()
    assert "Traceback" not in log and "exited with" not in log
