"""The direct path for commands answered from memory (slackbot/slack/direct.py): it answers
what Bolt would, for signed requests only, and leaves everything else to Bolt."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import Ack, App, BoltContext
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient

from slackbot.app import Built
from slackbot.config import Settings
from slackbot.slack import direct
from slackbot.slack.listener_runner import answers_in_request
from slackbot.slack.tenants import Tenant
from storage.repository import FactStore
from tests.conftest import SIGNING_SECRET
from tests.fake_slack import FakeSlack
from tests.fake_socket_mode import socket_mode_app
from tests.slack_client import SlackSender, signed_headers


@pytest.fixture
def bolt_dispatches(built: Built, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The bodies of the requests that reached Bolt's pipeline."""
    seen: list[dict[str, Any]] = []
    dispatch = built.app.dispatch

    def counted(request: BoltRequest) -> Any:
        seen.append(request.body)
        return dispatch(request)

    monkeypatch.setattr(built.app, "dispatch", counted)
    return seen


def command_body(command: str, text: str, user_id: str = "U0READER") -> str:
    return urlencode(
        {
            "team_id": "T0TEAM",
            "channel_id": "C0GENERAL",
            "user_id": user_id,
            "command": command,
            "text": text,
            "response_url": "https://hooks.invalid/commands/1",
            "trigger_id": "trigger-unused",
        }
    )


def bolt_answer(built: Built, body: str) -> dict[str, Any]:
    """What Bolt's own pipeline answers to the same signed request."""
    response = built.app.dispatch(
        BoltRequest(body=body, headers=signed_headers(SIGNING_SECRET, body))
    )
    assert response.status == 200, response.body
    answer: dict[str, Any] = json.loads(response.body)
    return answer


@pytest.mark.parametrize(
    ("command", "text"),
    [("/whois", "samsung"), ("/chips", "hbm"), ("/summit", ""), ("/whois", "nobody known")],
)
def test_answers_what_bolt_would_without_its_pipeline(
    slack: SlackSender, built: Built, bolt_dispatches: list[dict[str, Any]], command: str, text: str
) -> None:
    body = command_body(command, text)
    reply = slack.post(body)

    assert reply.status == 200
    assert bolt_dispatches == []
    built.services.answers._answers.clear()  # Bolt computes it afresh too
    assert reply.json() == bolt_answer(built, body)


def test_unsigned_stale_and_forged_requests_go_to_bolt_which_refuses_them(
    slack: SlackSender, bolt_dispatches: list[dict[str, Any]]
) -> None:
    body = command_body("/whois", "samsung")

    assert slack.post(body, signed=False).status == 401
    assert slack.post(body, timestamp=int(time.time()) - 3600).status == 401
    assert slack.post(body, secret="not-the-signing-secret").status == 401
    assert len(bolt_dispatches) == 3


def test_commands_that_wait_on_slack_go_to_bolt(
    slack: SlackSender, fake_slack: FakeSlack, bolt_dispatches: list[dict[str, Any]]
) -> None:
    # An admin's /summit add opens a form; whether U0READER is an admin only Slack can say.
    slack.command(
        "/summit",
        "add",
        user_id="U0ADMIN",
        trigger_id=fake_slack.issue_trigger(),
        response_url=fake_slack.response_url(),
    )
    fake_slack.add_user("U0READER")
    answered = slack.command("/summit", "search hbm", user_id="U0READER")

    assert [body["text"] for body in bolt_dispatches] == ["add", "search hbm"]
    assert fake_slack.calls_to("views.open", ok=True)
    assert "HBM" in answered.joined()


def test_interactive_payloads_and_events_go_to_bolt(
    slack: SlackSender, bolt_dispatches: list[dict[str, Any]]
) -> None:
    slack.event({"type": "app_home_opened", "user": "U0READER", "tab": "about"})
    slack.interactive({"type": "block_actions", "user": {"id": "U0READER"}, "actions": []})

    assert len(bolt_dispatches) == 2


def test_a_command_containing_payload_is_answered(
    slack: SlackSender, fake_slack: FakeSlack, bolt_dispatches: list[dict[str, Any]]
) -> None:
    """Bolt reads any form body with "payload" in it as an interactive payload and finds no
    command in it (404, so Slack shows its own error); read here, it is answered, whether
    the direct path answers it or Bolt does."""
    fake_slack.add_user("U0READER")
    searched = slack.command("/summit", "search payload capacity", user_id="U0READER")
    digest = slack.command("/digest", "payload")

    assert searched.status == 200 and "payload capacity" in searched.joined()
    assert digest.status == 200 and "/digest" in digest.joined()
    # The search went to Bolt (only Slack knew the reader's role), and so did /digest.
    assert [body.get("text") for body in bolt_dispatches] == ["search payload capacity", "payload"]


def test_answers_the_lookup_as_bolt_does_after_a_fact_changes(
    slack: SlackSender, built: Built
) -> None:
    before = slack.command("/whois", "samsung").joined()
    fact = next(f for f in built.services.intel.store.facts() if "samsung" in f.entity_ids)
    built.services.curator.retract(fact.id, "U0ADMIN", "test")

    after = slack.command("/whois", "samsung").joined()

    assert fact.id in before
    assert after != before


# -- the path itself, without a server ---------------------------------------------------


class EveryBodysTenant:
    """A tenancy that hands every request the same (stand-in) services."""

    tenant = Tenant("T1", {"name": "services"}, WebClient())  # type: ignore[arg-type]

    def for_body(self, _body: dict[str, Any]) -> Tenant:
        return self.tenant

    def for_context(self, _context: BoltContext) -> Tenant:
        return self.tenant


def direct_path(
    on_error: Callable[[Exception, dict[str, Any]], object] = lambda _e, _b: None,
) -> direct.DirectCommands:
    app = App(signing_secret=SIGNING_SECRET, token_verification_enabled=False, token="xoxb-x")
    return direct.DirectCommands(app, EveryBodysTenant(), SIGNING_SECRET, on_error)


def test_a_failing_listener_is_reported_and_answered_500() -> None:
    failures: list[Exception] = []
    path = direct_path(lambda error, _body: failures.append(error))

    @answers_in_request()
    def broken(ack: Ack) -> None:
        raise RuntimeError("boom")

    path.add("/broken", broken)
    response = path.answer({"command": "/broken", "text": ""})

    assert response is not None and response.status == 500
    assert [str(error) for error in failures] == ["boom"]


def test_only_marked_listeners_naming_offered_arguments_are_taken(
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = direct_path()

    def unmarked(ack: Ack) -> None:
        ack("unmarked")

    @answers_in_request()
    def wants_say(ack: Ack, say: Any) -> None:
        ack("say")

    @answers_in_request(lambda body, _context: body["text"] == "now")
    def sometimes(ack: Ack, context: BoltContext, command: dict[str, Any]) -> None:
        ack(f"{context['services']['name']} {command['text']}")

    @answers_in_request()
    def silent(ack: Ack) -> None:
        pass

    for name, listener in [
        ("/unmarked", unmarked),
        ("/say", wants_say),
        ("/sometimes", sometimes),
        ("/silent", silent),
    ]:
        path.add(name, listener)

    assert path.answer({"command": "/unmarked", "text": ""}) is None
    assert path.answer({"command": "/say", "text": ""}) is None
    assert path.answer({"command": "/sometimes", "text": "later"}) is None
    answered = path.answer({"command": "/sometimes", "text": "now"})
    assert answered is not None and answered.body == "services now"
    with caplog.at_level(logging.WARNING):
        silent_response = path.answer({"command": "/silent", "text": ""})
    assert silent_response is not None and silent_response.status == 404
    assert "without acknowledging" in caplog.text


# -- over Socket Mode -------------------------------------------------------------------


def test_socket_mode_answers_through_the_direct_path_too(
    fake_slack: FakeSlack, settings: Settings, store: FactStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    dispatched: list[dict[str, Any]] = []
    dispatch = App.dispatch

    def counted(app: App, request: BoltRequest) -> Any:
        dispatched.append(request.body)
        return dispatch(app, request)

    monkeypatch.setattr(App, "dispatch", counted)
    with socket_mode_app(fake_slack, settings, store) as send:
        card = send("/whois", "samsung", "U0READER")
        form = send("/summit", "add", "U0ADMIN")

    assert "Samsung" in json.dumps(card) and card["response_type"] == "ephemeral"
    assert [body.get("text") for body in dispatched] == ["add"]
    assert form == {}  # acknowledged empty; the form opens through views.open
    assert fake_slack.calls_to("views.open", ok=True)
