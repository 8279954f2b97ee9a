"""Every way a question arrives is handled by the same code: a slash command over HTTP (the
ingress's short-circuit, or Bolt's pipeline where the answer waits on Slack), over Socket
Mode, typed in the console, or asked in a mention gets the same answer, word for word; and
every listener takes its request whichever way it arrives."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any, Literal

import pytest

from handlers.actions import claims, entity_options, fact_menu, home, review, share
from handlers.commands import chips, digest, summit, who
from handlers.events import app_home, lifecycle, messages
from handlers.shortcuts import add_fact
from handlers.views import (
    did_not_happen_form,
    fact_form,
    keep_open_form,
    reject_form,
    retract_form,
    suggest_form,
)
from slackbot.app import Built, build
from slackbot.config import Settings
from slackbot.console import Console, blocks_to_text
from slackbot.core.words import command_for
from slackbot.slack import ids
from storage.repository import FactStore
from tests.fake_slack import FakeSlack
from tests.fake_socket_mode import SocketSender, socket_mode_app
from tests.slack_client import SlackSender, block_actions, message_action, view_submission

ADMIN = "U0ADMIN"
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
    console = Console(built.ingress, "console-secret", user_id=READER)
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


# -- every listener, each way in ---------------------------------------------------------


class HandledBy(logging.Handler):
    """The listener named on each request's log line (slackbot.telemetry, at DEBUG)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.listeners: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.listeners.append(getattr(record, "listener", ""))

    def next(self, send: Callable[..., object], *asked: Any) -> str:
        seen = len(self.listeners)
        send(*asked)
        deadline = time.monotonic() + 5
        # Over Socket Mode the line is written just after the acknowledgement is sent.
        while len(self.listeners) == seen and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(self.listeners) == seen + 1, "one log line a request"
        return self.listeners[-1]


def name_of(function: Callable[..., object]) -> str:
    return f"{function.__module__}.{function.__qualname__}"


Kind = Literal["command", "interactive", "event"]


def every_request(fake: FakeSlack) -> list[tuple[Kind, Any, Callable[..., object]]]:
    """A request for each listener the app registers, with the listener that must take it.
    Everything is asked by an admin, so no listener's admin check stops it first."""

    def click(action_id: str, value: str = "x") -> dict[str, Any]:
        return block_actions(
            ADMIN,
            {"action_id": action_id, "type": "button", "value": value},
            response_url=fake.response_url(),
            trigger_id=fake.issue_trigger(),
        )

    def submitted(callback_id: str) -> dict[str, Any]:
        view = {"type": "modal", "callback_id": callback_id, "private_metadata": "{}"}
        return view_submission(view, {}, ADMIN)

    def shortcut(callback_id: str) -> dict[str, Any]:
        return {
            "type": "shortcut",
            "callback_id": callback_id,
            "user": {"id": ADMIN},
            "team": {"id": "T0TEAM"},
            "trigger_id": fake.issue_trigger(),
        }

    asked = json.dumps({"command": "/whois", "text": "samsung"})
    suggestion = {
        **click(ids.ENTITY_OPTIONS_ACTION, "sam"),
        "type": "block_suggestion",
        "action_id": ids.ENTITY_OPTIONS_ACTION,
        "value": "sam",
    }
    requests: list[tuple[Kind, Any, Callable[..., object]]] = [
        ("command", ("/whois", "samsung"), who.handle),
        ("command", ("/who", "nadella"), who.handle),
        ("command", ("/chips", "hbm"), chips.handle),
        ("command", ("/summit", "search hbm"), summit.handle),
        ("command", ("/summit", "add"), summit.handle),  # a form: Bolt's pipeline
        ("command", ("/digest", "help"), digest.handle),
        ("interactive", click(ids.SHARE_ACTION_ID, asked), share.handle),
        ("interactive", click(ids.FACT_MENU_ACTION, "F9"), fact_menu.handle),
        ("interactive", suggestion, entity_options.handle),
        ("interactive", click(ids.REVIEW_APPROVE), review.approve),
        ("interactive", click(ids.REVIEW_EDIT), review.edit),
        ("interactive", click(ids.REVIEW_REJECT), review.reject),
        ("interactive", click(f"{ids.REVIEW_PAGE}_2", "2"), review.page),
        ("interactive", click(ids.SUGGEST_ACTION), review.suggest),
        ("interactive", click(f"{ids.HOME_ASK}_0", asked), home.ask),
        *(
            ("interactive", click(action_id, "C0GENERAL"), home.digest)
            for action_id in (ids.HOME_PAUSE, ids.HOME_RESUME, ids.HOME_SEND_NOW, ids.HOME_PREVIEW)
        ),
        ("interactive", click(ids.HOME_REVIEW), home.review),
        ("interactive", click(ids.HOME_ADD_FACT), home.add_fact),
        ("interactive", click(f"{ids.HOME_PAGE}_2", "2"), home.page),
        *(("interactive", click(action_id), claims.settle) for action_id in ids.CLAIM_ACTIONS),
        ("interactive", submitted(ids.FACT_FORM), fact_form.submit),
        ("interactive", submitted(ids.RETRACT_FORM), retract_form.submit),
        ("interactive", submitted(ids.REJECT_FORM), reject_form.submit),
        ("interactive", submitted(ids.DID_NOT_HAPPEN_FORM), did_not_happen_form.submit),
        ("interactive", submitted(ids.KEEP_OPEN_FORM), keep_open_form.submit),
        ("interactive", submitted(ids.SUGGEST_FORM), suggest_form.submit),
        ("interactive", shortcut(ids.ADD_FACT_SHORTCUT), add_fact.from_global_shortcut),
        (
            "interactive",
            message_action(
                ADMIN,
                "SK hynix ships HBM4",
                channel=("C0GENERAL", "general"),
                response_url=fake.response_url(),
                trigger_id=fake.issue_trigger(),
            ),
            add_fact.from_message,
        ),
        ("event", {"type": "app_home_opened", "user": ADMIN, "tab": "home"}, app_home.handle),
        (
            "event",
            {"type": "app_mention", "user": ADMIN, "channel": "C0GENERAL", "text": "who sk"},
            messages.on_mention,
        ),
        (
            "event",
            {"type": "message", "user": ADMIN, "channel": "D0ADMIN", "channel_type": "im"},
            messages.on_message,
        ),
        ("event", {"type": "tokens_revoked", "tokens": {"bot": []}}, lifecycle.on_tokens_revoked),
        ("event", {"type": "app_uninstalled"}, lifecycle.on_uninstalled),
    ]
    return requests


def test_every_listener_takes_its_request_whichever_way_it_arrives(
    slack: SlackSender, built: Built, fake_slack: FakeSlack, settings: Settings, store: FactStore
) -> None:
    """Each command, click, form, shortcut and event the app registers is sent over HTTP and
    over Socket Mode; the same listener takes it both ways (the commands answered from
    memory by the ingress's short-circuit, the rest by Bolt's pipeline)."""
    fake_slack.add_user(ADMIN, is_admin=True)
    requests = every_request(fake_slack)
    # Bolt keeps its listeners in a private list; read here only to find one left untested.
    registered = {listener.ack_function for listener in built.app._listeners}  # type: ignore[attr-defined]
    assert registered == {function for _kind, _request, function in requests}

    lines = HandledBy()
    log = logging.getLogger("summitbot.requests")
    level = log.level
    log.addHandler(lines)
    log.setLevel(logging.DEBUG)
    try:
        over_http = [
            lines.next(send_over_http, slack, fake_slack, kind, request)
            for kind, request, _function in requests
        ]
        with socket_mode_app(fake_slack, settings, store) as socket:
            over_socket = [
                lines.next(send_over_socket_mode, socket, kind, request)
                for kind, request, _function in requests
            ]
    finally:
        log.removeHandler(lines)
        log.setLevel(level)
    expected = [name_of(function) for _kind, _request, function in requests]
    assert over_http == expected
    assert over_socket == expected


def send_over_http(slack: SlackSender, fake: FakeSlack, kind: Kind, request: Any) -> None:
    if kind == "command":
        command, text = request
        slack.command(
            command,
            text,
            user_id=ADMIN,
            trigger_id=fake.issue_trigger(),
            response_url=fake.response_url(),
        )
    elif kind == "interactive":
        slack.interactive(request)
    else:
        slack.event(request)


def send_over_socket_mode(socket: SocketSender, kind: Kind, request: Any) -> None:
    if kind == "command":
        socket(*request, ADMIN)
    elif kind == "interactive":
        socket.socket.push("interactive", request)
    else:
        socket.event(request)
