"""The summitbot command as a person runs it: console, one-shot ask, seeding, start-up errors,
and HTTP serving as a separate process (health, clean stop on SIGTERM, no token in logs)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.fake_slack import BOT_TOKEN, FakeSlack
from tests.processes import ServerProcess

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


def test_the_console_answers_a_command_with_payload_in_its_words(tmp_path: Path) -> None:
    """Bolt reads a form body with "payload" in it as an interactive payload (and answered
    404); the console goes through the ingress, which reads it first, as HTTP does."""
    searched = summitbot(tmp_path, "ask", "/summit search payload capacity")
    digest = summitbot(tmp_path, "ask", "/digest payload")

    assert searched.returncode == 0, searched.stderr
    assert "HTTP 404" not in searched.stdout and "payload capacity" in searched.stdout
    assert "HTTP 404" not in digest.stdout and "/digest" in digest.stdout


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
    assert re.search(r"20 entities and 19 facts written", first.stdout)
    again = summitbot(tmp_path, "seed")
    assert "0 entities and 0 facts written" in again.stdout
    reset = summitbot(tmp_path, "seed", "--reset")
    assert "20 entities and 19 facts written" in reset.stdout


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SLACK_BOT_TOKEN": "not-a-token"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_APP_TOKEN": "xoxb-wrong-kind"}, "SLACK_APP_TOKEN"),
        ({"SLACK_API_URL": "ftp://x"}, "SLACK_API_URL"),
        ({"SUMMITBOT_TZ": "Mars/Olympus"}, "SUMMITBOT_TZ"),
        ({"SUMMITBOT_ADMINS": "U123,bob"}, "SUMMITBOT_ADMINS"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"SUMMITBOT_WORKSPACE_CACHE": "0"}, "SUMMITBOT_WORKSPACE_CACHE"),
        ({"SUMMITBOT_WORKSPACE_CACHE": "lots"}, "SUMMITBOT_WORKSPACE_CACHE"),
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
    server = ServerProcess(env, tmp_path)
    with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as response:
        assert response.status == 200
    # A second server on the same store is refused, naming the first.
    second = summitbot(tmp_path, "ask", "/who")
    assert second.returncode == 2
    assert f"in use by process {server.pid}" in second.stderr
    assert server.stop(signal.SIGTERM, timeout=20) == 0
    log = server.log()
    assert "stopped" in log and "Traceback" not in log
    assert BOT_TOKEN not in log and "fake-bot-token" not in log
    assert fake_slack.calls_to("auth.test"), "the token was checked with Slack at start-up"
    # SLACK_BOT_TOKEN is in the environment and the client carries it: no Bolt warning.
    assert "will be unused" not in log and "will be ignored" not in log
    assert " WARNING " not in log, log


def test_sigterm_drains_requests_in_flight_before_stopping(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    from slackbot.core.curation import FactDraft
    from slackbot.slack import render
    from tests.slack_client import SlackSender, view_submission

    secret = "secret-for-drain-test"
    env = clean_env(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=secret,
        SLACK_API_URL=fake_slack.api_url,
    )
    fake_slack.add_user("U0SLOW")
    # Each form submission by a non-admin waits up to 1.5 s for Slack's users.info.
    fake_slack.slow("users.info", 5)
    server = ServerProcess(env, tmp_path)
    form = render.fact_form(FactDraft(), [], {"mode": "add"}, today="2024-05-14").to_dict()
    replies: list[int] = []

    def submit() -> None:
        sender = SlackSender(server.url, secret)
        try:
            replies.append(sender.interactive(view_submission(form, {}, "U0SLOW")).status)
        finally:
            sender.close()

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # the submissions are in flight, waiting on Slack
    started = time.monotonic()
    assert server.stop(signal.SIGTERM, timeout=15) == 0
    assert time.monotonic() - started < 10
    for thread in threads:
        thread.join(timeout=10)
    assert replies == [200] * 6, "every request in flight was answered"
    log = server.log()
    assert "finishing 6 request(s) in flight" in log and "Traceback" not in log


def test_import_reports_every_bad_line_by_number_and_imports_nothing(tmp_path: Path) -> None:
    lines = [
        json.dumps(
            {
                "statement": "LG Electronics adds Microsoft Copilot to its TVs.",
                "kind": "product",
                "status": "reported",
                "entities": ["LG", "microsoft"],
                "source_url": "https://news.example.com/lg-copilot",
                "tags": ["ai-services"],
            }
        ),
        "{not json",
        json.dumps({"statement": "", "entities": ["samsung"], "source_title": "x"}),
        json.dumps(
            {"statement": "Nvidia meets SK Hynix", "entities": ["nvidia"], "source_title": "x"}
        ),
        json.dumps(
            {
                "statement": "A good one",
                "entities": ["samsung"],
                "source_url": "ftp://x.example/a",
            }
        ),
        json.dumps(
            {
                "statement": "SK Telecom recently invested $100 million in AI startup Anthropic.",
                "entities": ["skt"],
                "source_title": "copy",
            }
        ),
        "",
        "[1, 2]",
    ]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n")
    result = summitbot(tmp_path, "import", str(bad))
    assert result.returncode == 1
    for number in (2, 3, 4, 5, 6, 8):
        assert f"bad.jsonl:{number}:" in result.stderr, result.stderr
    assert "bad.jsonl:1:" not in result.stderr and "bad.jsonl:7:" not in result.stderr
    assert "unknown entity 'nvidia'" in result.stderr and "F18" in result.stderr
    assert "nothing was imported" in result.stderr
    asked = summitbot(tmp_path, "ask", "/summit search copilot tvs")
    assert "No facts match" in asked.stdout

    good = tmp_path / "good.jsonl"
    good.write_text(lines[0] + "\n")
    imported = summitbot(tmp_path, "import", str(good), "--by", "U0ADMIN")
    assert imported.returncode == 0, imported.stderr
    assert "1 facts added" in imported.stdout
    assert "checked 1 of 1 lines" in imported.stderr
    # Progress while writing too, in order: journal, applied, snapshot.
    steps = ["records to the journal", "are durable", "applied to the store", "snapshot written"]
    positions = [imported.stderr.find(step) for step in steps]
    assert -1 not in positions and positions == sorted(positions), imported.stderr
    asked = summitbot(tmp_path, "ask", "/who lge")
    assert "Copilot to its TVs" in asked.stdout


def test_export_then_import_into_an_empty_store_restores_everything(tmp_path: Path) -> None:
    summitbot(tmp_path, "ask", "/summit retract F9 denied --yes")
    backup = tmp_path / "backup.jsonl"
    exported = summitbot(tmp_path, "export", str(backup))
    assert exported.returncode == 0, exported.stderr
    records = [json.loads(line) for line in backup.read_text().splitlines()]
    assert sum(r["type"] == "fact" for r in records) == 19
    assert sum(r["type"] == "entity" for r in records) == 20
    assert next(r for r in records if r.get("id") == "F9")["status"] == "retracted"
    again = summitbot(tmp_path, "import", str(backup))
    assert "0 facts added, 0 updated, 19 unchanged" in again.stdout, again.stderr
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    (elsewhere / "data").mkdir()
    restored = summitbot(elsewhere, "import", str(backup))
    assert restored.returncode == 0, restored.stderr
    shown = summitbot(elsewhere, "ask", "/summit history F9")
    assert "F9" in shown.stdout
    card = summitbot(elsewhere, "ask", "/who sk hynix")
    assert "F9 retracted — /summit history F9" in card.stdout
    kinds = {r["type"] for r in records}
    assert {"meta", "entity", "fact", "revision"} <= kinds
    # Every answer is the same in the restored store.
    questions = [
        "/summit",
        "/whois samsung",
        "/whois sk hynix",
        "/whois",
        "/chips",
        "/chips hbm",
        "/summit search hbm supply",
        "/summit history F9",
        "/summit F9",
        "/whois anthropic",
    ]
    asked = "\n".join(questions) + "\n"
    original = summitbot(tmp_path, "shell", stdin=asked).stdout
    again = summitbot(elsewhere, "shell", stdin=asked).stdout
    for shown in ("MS CEO Summit 2024", "History of F9", "Fact F9", "AI hardware on the table"):
        assert shown in original
    assert again == original


def test_console_curation_retracts_after_confirming_and_restores(tmp_path: Path) -> None:
    result = summitbot(
        tmp_path,
        "shell",
        stdin="/summit add\n/summit retract F18 wrong figure\n/summit F18\n",
    )
    assert result.returncode == 0, result.stderr
    assert "summitbot import FILE" in result.stdout
    assert "Retract F18" in result.stdout and "--yes to confirm" in result.stdout
    assert "Retracted" not in result.stdout, "nothing retracted without --yes"
    result = summitbot(
        tmp_path,
        "shell",
        stdin="/summit retract F18 wrong figure --yes\n/summit history F18\n"
        "/summit restore F18\n/summit F18\n/summit restore F18\n",
    )
    assert "Retracted F18" in result.stdout and "Reason: wrong figure" in result.stdout
    assert "status: reported → retracted" in result.stdout
    assert "Restored F18" in result.stdout and "📰 Reported · F18" in result.stdout
    assert "F18 is not retracted; nothing to restore" in result.stdout


def _subscribed_store(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from slackbot.core.curation import Curator, FactDraft
    from storage.api import Subscription
    from storage.repository import FactStore

    db = tmp_path / "data" / "summit.json"
    db.parent.mkdir(parents=True, exist_ok=True)
    with FactStore(db) as store:
        store.seed()
        start = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="microseconds")
        store.put_subscription(
            Subscription("C0NEWS", "daily", "09:00", "Asia/Seoul", since=start, created_at=start)
        )
        Curator(store).add(
            FactDraft(
                statement="Samsung and Microsoft agree an HBM3E supply deal",
                kind="hardware",
                entity_ids=("samsung", "hbm"),
                source_url="https://news.example.com/deal",
            ),
            "U0ADMIN",
        )


def test_digest_dry_run_prints_the_channels_digest_without_slack(tmp_path: Path) -> None:
    _subscribed_store(tmp_path)
    result = summitbot(tmp_path, "digest", "--channel", "C0NEWS", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "Summit Intel digest" in result.stdout
    assert "1 development: 1 new" in result.stdout
    assert "HBM3E supply deal" in result.stdout
    unknown = summitbot(tmp_path, "digest", "--channel", "C0NONE", "--dry-run")
    assert unknown.returncode == 2 and "no digest yet" in unknown.stderr
    needs_token = summitbot(tmp_path, "digest", "--channel", "C0NEWS")
    assert needs_token.returncode == 2 and "SLACK_BOT_TOKEN is not set" in needs_token.stderr


def test_digest_posts_through_the_web_api(tmp_path: Path, fake_slack: FakeSlack) -> None:
    _subscribed_store(tmp_path)
    fake_slack.add_channel("C0NEWS", "news", bot_member=True)
    result = summitbot(
        tmp_path,
        "digest",
        "--channel",
        "C0NEWS",
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_API_URL=fake_slack.api_url,
    )
    assert result.returncode == 0, result.stderr
    assert "C0NEWS: posted: posted 1 development(s)" in result.stdout
    post = fake_slack.calls_to("chat.postMessage", ok=True)[0]
    assert "HBM3E supply deal" in post.params["text"]
    again = summitbot(
        tmp_path,
        "digest",
        "--channel",
        "C0NEWS",
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_API_URL=fake_slack.api_url,
    )
    assert "empty: nothing new since" in again.stdout


def test_console_digest_explains_channels_and_offers_the_preview(tmp_path: Path) -> None:
    for text in ("/digest daily 09:00", "/digest", "/digest foo"):
        result = summitbot(tmp_path, "ask", text)
        assert (
            "Digests live in Slack" in result.stdout and "/digest me daily 08:00" in result.stdout
        )
        assert "summitbot digest --preview" in result.stdout


@pytest.mark.parametrize(
    ("command", "env", "says"),
    [
        ("serve", {"SLACK_SIGNING_SECRET": "s"}, "Slack rejected SLACK_BOT_TOKEN"),
        ("socket", {"SLACK_APP_TOKEN": "xapp-wrong"}, "Slack rejected SLACK_APP_TOKEN"),
    ],
)
def test_tokens_slack_rejects_stop_start_up_with_one_line(
    tmp_path: Path, fake_slack: FakeSlack, command: str, env: dict[str, str], says: str
) -> None:
    token = "xoxb-wrong" if command == "serve" else BOT_TOKEN
    result = summitbot(
        tmp_path,
        command,
        SLACK_BOT_TOKEN=token,
        SLACK_API_URL=fake_slack.api_url,
        **env,
    )
    assert result.returncode == 2
    assert says in result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr
    assert "xoxb-wrong" not in result.stderr and "xapp-wrong" not in result.stderr


def test_imported_fact_ids_are_normalised_and_must_fit_the_store(tmp_path: Path) -> None:
    def line(fact_id: str, statement: str) -> str:
        return json.dumps(
            {
                "id": fact_id,
                "statement": statement,
                "entities": ["samsung"],
                "source_url": "https://news.example.com/ids",
            }
        )

    too_big = tmp_path / "big.jsonl"
    too_big.write_text(line("F99999999999", "Samsung files a patent for HBM stacking") + "\n")
    refused = summitbot(tmp_path, "import", str(too_big))
    assert refused.returncode == 1
    assert "big.jsonl:1:" in refused.stderr and "fact ids look like F12" in refused.stderr
    padded = tmp_path / "padded.jsonl"
    padded.write_text(line("f0040", "Samsung files a patent for HBM stacking") + "\n")
    imported = summitbot(tmp_path, "import", str(padded), "--by", "U0ADMIN")
    assert imported.returncode == 0, imported.stderr
    asked = summitbot(tmp_path, "ask", "/summit search patent hbm stacking")
    assert "F40" in asked.stdout and "F0040" not in asked.stdout


def test_version_and_the_http_settings_are_documented(tmp_path: Path) -> None:
    from slackbot import __version__

    version = summitbot(tmp_path, "--version")
    assert version.returncode == 0 and version.stdout.strip() == f"summitbot {__version__}"
    serve_help = summitbot(tmp_path, "serve", "--help").stdout
    assert "$HOST" in serve_help and "$PORT" in serve_help
    example = (REPO / ".env.example").read_text()
    assert re.search(r"^HOST=", example, re.M) and re.search(r"^PORT=", example, re.M)
    bad_port = summitbot(tmp_path, "serve", PORT="http")
    assert bad_port.returncode == 2 and "--port" in bad_port.stderr
    assert "Traceback" not in bad_port.stderr


def test_the_console_answers_whois_and_who_alike(tmp_path: Path) -> None:
    whois = summitbot(tmp_path, "ask", "/whois samsung")
    who = summitbot(tmp_path, "ask", "/who samsung")
    assert whois.returncode == 0 and "Samsung Electronics" in whois.stdout
    assert whois.stdout == who.stdout
    help_text = summitbot(tmp_path, "ask", "/summit help").stdout
    assert "/whois samsung" in help_text and "/who " not in help_text


def test_history_reads_like_a_log_in_the_console(tmp_path: Path) -> None:
    summitbot(tmp_path, "ask", "/summit retract F9 denied by SK Hynix --yes")
    shown = summitbot(tmp_path, "ask", "/summit history F9").stdout
    assert "you retracted" in shown and "<@" not in shown
    assert shown.count("denied by SK Hynix") == 1, "one Reason line"
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", shown), "local times, not ISO strings"
    bulk = tmp_path / "one.jsonl"
    bulk.write_text(
        json.dumps(
            {
                "statement": "LG Electronics adds Copilot to its TVs.",
                "kind": "product",
                "entities": ["LG"],
                "source_title": "LG newsroom",
            }
        )
        + "\n"
    )
    assert summitbot(tmp_path, "import", str(bulk)).returncode == 0
    imported = summitbot(tmp_path, "ask", "/summit history lg electronics").stdout
    assert "imported in bulk" in imported and "import imported" not in imported


def test_serve_on_a_host_name_with_several_addresses_still_stops_cleanly(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    from slackbot.server import one_address

    assert one_address("localhost") == "127.0.0.1"
    assert one_address("0.0.0.0") == "0.0.0.0"
    env = clean_env(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET="secret-for-localhost",
        SLACK_API_URL=fake_slack.api_url,
        HOST="localhost",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "slackbot", "serve", "--port", "0"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if "serving Slack at" in line:
            break
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0


def test_a_name_with_ipv6_and_ipv4_addresses_listens_on_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket

    from slackbot import server

    both = [
        (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", 0, 0, 0)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 0)),
    ]
    monkeypatch.setattr(server.socket, "getaddrinfo", lambda *_args, **_kw: both)
    assert server.one_address("dual.example") == "127.0.0.1"


def test_an_english_process_on_the_embedded_store_loads_no_driver_it_does_not_use(
    tmp_path: Path,
) -> None:
    """Issue 14 (memory): psycopg (PostgreSQL), httpx and feedparser (feeds) and Babel (the
    Korean catalogue) cost some 40 MB resident between them; they load only when used."""
    probe = (
        "import sys\n"
        "from slackbot.app import build\n"
        "from slackbot.cli import open_store\n"
        "from slackbot.config import Settings\n"
        "settings = Settings.from_env({'SUMMITBOT_DB': sys.argv[1]})\n"
        "with open_store(settings) as store:\n"
        "    build(settings, store, console_secret='probe')\n"
        "lazy = ('psycopg', 'httpx', 'feedparser', 'babel')\n"
        "print(sorted(m for m in lazy if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path / "summit.json")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_console_shows_every_emoji_the_app_writes_as_a_symbol() -> None:
    """Each :code: the renderers write has its symbol in the console (an open claim's
    ⌛ among them), so no bare :hourglass: reaches a terminal."""
    from slackbot.console import EMOJI

    written: set[str] = set()
    for path in (REPO / "slackbot" / "slack").rglob("*.py"):
        written |= set(re.findall(r":[a-z_]+:", path.read_text(encoding="utf-8")))
    assert sorted(written - set(EMOJI)) == []


def test_the_consoles_response_urls_take_what_the_app_posts_later() -> None:
    """An answer given after the acknowledgement reaches the console through its response
    URL, as it reaches Slack's (the listeners hold no console branch for it)."""
    import json as json_module
    import urllib.request as request

    from slackbot.console import ResponseURLs

    urls = ResponseURLs()
    try:
        first, second = urls.new(), urls.new()
        assert first != second
        posted = request.urlopen(
            request.Request(
                second,
                data=json_module.dumps({"text": "later"}).encode(),
                headers={"Content-Type": "application/json"},
            ),
            timeout=5,
        )
        assert posted.read() == b"ok"  # as Slack answers a response URL
        assert urls.wait(second, 5) == {"text": "later"}
        assert urls.wait(first, 0.1) is None  # nothing came: the console does not hang
    finally:
        urls.close()
