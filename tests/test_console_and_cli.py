"""The summitbot command as a person runs it: console, one-shot ask, seeding, start-up errors,
and HTTP serving as a separate process (health, clean stop on SIGTERM, no token in logs)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.fake_slack import BOT_TOKEN, FakeSlack

REPO = Path(__file__).resolve().parent.parent


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SUMMITBOT_"))}
    env.pop("LOG_LEVEL", None)
    env["SUMMITBOT_DB"] = str(tmp_path / "data" / "summit.json")
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


def summitbot(
    tmp_path: Path, *args: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "slackbot", *args],
        cwd=tmp_path,
        env=clean_env(tmp_path, **env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_shell_answers_piped_commands_one_per_line_and_exits(tmp_path: Path) -> None:
    lines = "/who samsung\n/chips hbm\n\n/summit search anthropic\n/who <!channel>\n/nope\nhello\n"
    result = summitbot(tmp_path, "shell", stdin=lines)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Samsung Electronics at the MS CEO Summit 2024" in out
    assert "경계현" in out and "🔮 Expected" in out
    assert "HBM — High bandwidth memory chips" in out
    assert "$100 million" in out
    assert "Nothing matches “<!channel>”" in out
    assert out.count("Unknown command") == 2
    assert (tmp_path / "data" / "summit.json").exists(), "first start creates and seeds the store"


def test_ask_answers_one_command(tmp_path: Path) -> None:
    result = summitbot(tmp_path, "ask", "/who", "sk")
    assert result.returncode == 0, result.stderr
    assert "2 matches for “sk”" in result.stdout
    assert "SK Hynix" in result.stdout and "SK Telecom" in result.stdout


def test_run_without_credentials_starts_the_console(tmp_path: Path) -> None:
    result = summitbot(tmp_path, "run", stdin="/summit\n")
    assert result.returncode == 0, result.stderr
    assert "starting the local console" in result.stderr
    assert "MS CEO Summit 2024" in result.stdout


def test_seed_is_idempotent_and_reset_rewrites(tmp_path: Path) -> None:
    first = summitbot(tmp_path, "seed")
    assert first.returncode == 0, first.stderr
    assert re.search(r"19 entities and 19 facts written", first.stdout)
    again = summitbot(tmp_path, "seed")
    assert "0 entities and 0 facts written" in again.stdout
    reset = summitbot(tmp_path, "seed", "--reset")
    assert "19 entities and 19 facts written" in reset.stdout


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SLACK_BOT_TOKEN": "not-a-token"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_APP_TOKEN": "xoxb-wrong-kind"}, "SLACK_APP_TOKEN"),
        ({"SLACK_API_URL": "ftp://x"}, "SLACK_API_URL"),
        ({"SUMMITBOT_TZ": "Mars/Olympus"}, "SUMMITBOT_TZ"),
        ({"SUMMITBOT_ADMINS": "U123,bob"}, "SUMMITBOT_ADMINS"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ],
)
def test_a_malformed_setting_stops_start_up_with_one_line_naming_it(
    tmp_path: Path, env: dict[str, str], named: str
) -> None:
    result = summitbot(tmp_path, "ask", "/who", **env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0], result.stderr
    assert "xoxb-wrong-kind" not in result.stderr


def test_serve_without_a_signing_secret_says_what_is_missing(tmp_path: Path) -> None:
    result = summitbot(tmp_path, "serve", SLACK_BOT_TOKEN=BOT_TOKEN)
    assert result.returncode == 2
    assert "SLACK_SIGNING_SECRET is not set" in result.stderr


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SUMMITBOT_TZ=Nowhere/Land\n")
    result = summitbot(tmp_path, "ask", "/who")
    assert result.returncode == 2 and "SUMMITBOT_TZ" in result.stderr


def test_serve_is_healthy_stops_cleanly_on_sigterm_and_never_logs_a_token(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    env = clean_env(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET="secret-for-serve-test",
        SLACK_API_URL=fake_slack.api_url,
        LOG_LEVEL="DEBUG",
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "slackbot", "serve", "--host", "127.0.0.1", "--port", "0"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert server.stderr is not None
    logged: list[str] = []
    url = None
    deadline = time.monotonic() + 30
    while url is None and time.monotonic() < deadline:
        line = server.stderr.readline()
        logged.append(line)
        found = re.search(r"serving Slack at (http://[\d.:]+)/slack/events", line)
        url = found.group(1) if found else None
    assert url, "".join(logged)
    with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
        assert response.status == 200
    # A second server on the same store is refused, naming the first.
    second = summitbot(tmp_path, "ask", "/who")
    assert second.returncode == 2
    assert f"in use by process {server.pid}" in second.stderr
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=20) == 0
    logged.append(server.stderr.read())
    log = "".join(logged)
    assert "stopped" in log
    assert BOT_TOKEN not in log and "fake-bot-token" not in log
    assert fake_slack.calls_to("auth.test"), "the token was checked with Slack at start-up"
