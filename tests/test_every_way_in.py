"""Every way a question arrives is handled by the same code: a slash command over HTTP (the
direct path, or Bolt's where the answer waits on Slack), over Socket Mode, typed in the
console, or asked in a mention gets the same answer, word for word."""

from __future__ import annotations

import json
from typing import Any

import pytest

from slackbot.app import build
from slackbot.config import Settings
from slackbot.console import Console, blocks_to_text
from slackbot.core.words import command_for
from storage.repository import FactStore
from tests.fake_slack import FakeSlack
from tests.fake_socket_mode import socket_mode_app
from tests.slack_client import SlackSender

READER = "U0READER"  # not an admin: no menus, the same answer everywhere
ASKED = [
    ("/whois", "samsung"),
    ("/whois", "곽노정"),
    ("/whois", "sk"),
    ("/whois", "F9"),
    ("/whois", "samsung, sk hynix"),
    ("/who", "nadella"),
    ("/chips", ""),
    ("/chips", "hbm samsung"),
    ("/summit", ""),
    ("/summit", "help"),
    ("/summit", "timeline samsung"),
    ("/summit", "history F9"),
    ("/summit", "f009"),
    ("/summit", "quokka"),
]


@pytest.fixture
def over_http(slack: SlackSender) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (command, text): slack.command(command, text, user_id=READER).json()
        for command, text in ASKED
    }


def test_http_and_socket_mode_give_the_same_answers(
    over_http: dict[tuple[str, str], dict[str, Any]],
    fake_slack: FakeSlack,
    settings: Settings,
    store: FactStore,
) -> None:
    fake_slack.add_user(READER)
    with socket_mode_app(fake_slack, settings, store) as send:
        for command, text in ASKED:
            socket_answer = send(command, text, READER)
            assert socket_answer == over_http[(command, text)], (command, text)


def test_the_console_shows_the_same_answers(
    over_http: dict[tuple[str, str], dict[str, Any]], settings: Settings, store: FactStore
) -> None:
    built = build(settings, store, console_secret="console-secret")
    console = Console(built.app, "console-secret", user_id=READER)
    for command, text in ASKED:
        shown = console.ask(f"{command} {text}")
        assert shown == blocks_to_text(over_http[(command, text)]), (command, text)


def test_a_mention_asks_what_the_slash_command_asks(
    over_http: dict[tuple[str, str], dict[str, Any]], slack: SlackSender, fake_slack: FakeSlack
) -> None:
    """Answered in the mention's thread, with the blocks the command's answer has (a
    mention's answer has no share button: it is in the channel already)."""
    mention = {"type": "app_mention", "user": READER, "channel": "C0GENERAL"}
    for number, (words, asked) in enumerate(
        [
            ("who samsung", ("/whois", "samsung")),
            ("chips hbm samsung", ("/chips", "hbm samsung")),
            ("summit", ("/summit", "")),
            ("history F9", ("/summit", "history F9")),
        ]
    ):
        assert command_for(words) == asked
        ts = f"7.{number}"
        slack.event(mention | {"text": f"<@U0BOT> {words}", "ts": ts})
        posted = fake_slack.wait_for(
            lambda ts=ts: [
                c
                for c in fake_slack.calls_to("chat.postMessage")
                if c.params.get("thread_ts") == ts
            ]
        )[0]
        answer = over_http[asked]
        assert posted.params["text"] == answer["text"], words
        texts = [b for b in answer["blocks"] if b.get("type") != "actions"]
        shown = [b for b in _blocks(posted.params) if b.get("type") != "actions"]
        assert shown == texts, words


def _blocks(params: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = params.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)
