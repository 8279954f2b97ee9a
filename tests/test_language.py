"""Issue 16, "Korean interface": SUMMITBOT_LANG=ko (or a Korean Slack locale where Slack
sends one) gives Korean labels, help and section names; facts stay as written. One gettext
catalogue; every English message the code marks has its Korean."""

from __future__ import annotations

import ast
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from slackbot.config import ConfigError, Settings
from slackbot.slack import i18n
from slackbot.slack.ids import HOME_ASK
from slackbot.slack.render.answers import HELP_LINES
from slackbot.slack.render.app_home import ASK
from slackbot.slack.render.base import STATUS_MEANINGS, _Badges
from storage.repository import FactStore
from tests.fake_slack import FakeSlack
from tests.fake_socket_mode import socket_mode_app
from tests.slack_client import SlackSender, block_actions, block_texts

REPO = Path(__file__).resolve().parent.parent


def marked_messages() -> set[str]:
    """Every English message the code translates: the literals passed to _() (and marked
    with N_ in the domain, to be translated where shown) and the tables whose entries are
    passed to it (help lines, statuses, the Ask buttons)."""
    found: set[str] = set()
    for path in [*(REPO / "slackbot").rglob("*.py"), *(REPO / "handlers").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "N_", "_n")
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.add(str(node.args[0].value))
                if node.func.id == "_n" and isinstance(node.args[1], ast.Constant):
                    found.add(str(node.args[1].value))
    found |= {what for _command, what in HELP_LINES}
    found |= set(STATUS_MEANINGS.values()) | {label for _e, label in _Badges.LABELS.values()}
    found |= {label for label, _command, _words in ASK}
    return found


def test_every_english_message_has_a_korean_one_and_the_catalogue_has_no_strays() -> None:
    korean = i18n.catalogue("ko")
    marked = marked_messages()
    assert len(marked) > 60
    missing = sorted(message for message in marked if not korean.get(message, "").strip())
    assert missing == [], f"add these to slackbot/slack/locale/ko.po: {missing}"
    assert sorted(set(korean) - marked) == [], "translations of messages the code no longer has"


def test_an_unknown_language_setting_says_what_to_set() -> None:
    with pytest.raises(ConfigError, match="SUMMITBOT_LANG"):
        Settings.from_env({"SUMMITBOT_LANG": "fr"})
    assert Settings.from_env({"SUMMITBOT_LANG": "KO"}).language == "ko"


def text_of(reply: Any) -> str:
    body = reply.json()
    return "\n".join([body["text"], *block_texts(body["blocks"])])


@pytest.fixture
def korean(settings: Settings) -> Settings:
    return replace(settings, language="ko")


def test_summitbot_lang_ko_translates_labels_and_keeps_facts_as_written(
    fake_slack: FakeSlack, korean: Settings, store: FactStore
) -> None:
    from slackbot.app import build
    from slackbot.server import GracefulServer
    from tests.conftest import SIGNING_SECRET

    built = build(korean, store)
    server = GracefulServer(built.ingress, "127.0.0.1", 0, tick_seconds=0.05)
    import threading

    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    slack = SlackSender(server.url, SIGNING_SECRET, fake_slack)
    try:
        help_text = text_of(slack.command("/summit", "help"))
        assert "Summit Intel 명령어" in help_text and "참석하는 모든 기업과 인물" in help_text
        card = text_of(slack.command("/whois", "samsung"))
        assert "마이크로소프트와 논의 중인 사안" in card and "전망" in card
        # Facts are quotations: as written.
        assert "Discussions with Samsung and SK Hynix may cover the supply" in card
    finally:
        slack.close()
        server.stop()
        thread.join(timeout=10)


def test_a_korean_slack_locale_gets_korean_where_slack_sends_it(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    english = text_of(slack.command("/summit", "help"))
    assert "Summit Intel commands" in english
    payload = block_actions(
        "U0ALICE",
        {
            "type": "button",
            "action_id": f"{HOME_ASK}_0",
            "value": json.dumps({"command": "/summit", "text": "help"}),
        },
        response_url=fake_slack.response_url(),
        trigger_id=fake_slack.issue_trigger(),
    )
    payload["user"]["locale"] = "ko-KR"
    assert slack.interactive(payload).status == 200
    opened = fake_slack.wait_for(lambda: fake_slack.calls_to("views.open", ok=True))
    modal = opened[0].params["view"]
    modal = json.loads(modal) if isinstance(modal, str) else modal
    assert "Summit Intel 명령어" in "\n".join(block_texts(modal["blocks"]))
    # The answer cache keeps the languages apart.
    assert "Summit Intel commands" in text_of(slack.command("/summit", "help"))


def test_korean_over_socket_mode(fake_slack: FakeSlack, korean: Settings, store: FactStore) -> None:
    with socket_mode_app(fake_slack, korean, store) as command:
        answer = command("/summit", "timeline hbm", "U0ALICE")
        assert "타임라인: HBM" in "\n".join(block_texts(answer["blocks"]))


def test_the_feed_commands_usage_errors_are_said_in_the_readers_language() -> None:
    """They were English f-strings in the domain, out of the catalogue's reach."""
    from slackbot.core.feeds import FeedUsageError
    from slackbot.core.feeds.service import parse_add, parse_interval

    problems = []
    for attempt in (lambda: parse_add(""), lambda: parse_add("https://x.test/rss quokka")):
        with pytest.raises(FeedUsageError) as caught:
            attempt()
        problems.append(caught.value)
    with pytest.raises(FeedUsageError) as caught:
        parse_interval("soon")
    problems.append(caught.value)
    english = [i18n.explained(problem) for problem in problems]
    assert english[1].startswith("I don't know “quokka” here. `/summit feeds` lists the feeds")
    i18n.set_default("ko")
    korean = [i18n.explained(problem) for problem in problems]
    assert korean[0].startswith("어떤 피드인지 알려 주세요")
    assert korean[1].startswith("여기서는 “quokka”을(를) 알 수 없습니다. `/summit feeds`는")
    assert "간격이 아닙니다" in korean[2]
    assert str(problems[1]) == english[1]  # the terminal's words: English, whole
