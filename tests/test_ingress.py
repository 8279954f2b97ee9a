"""The ingress's short-circuit for commands answered from memory (slackbot/ingress.py): it
answers what Bolt would, for signed requests only, and leaves everything else to Bolt."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import Ack, App, BoltContext, BoltResponse
from slack_bolt.kwargs_injection import build_required_kwargs
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.socket_mode.request import SocketModeRequest

from slackbot.app import Built
from slackbot.config import Settings
from slackbot.ingress import COMMON_ARGUMENTS, Ingress
from slackbot.slack.listener_runner import answers_in_request, handled_by
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
    command in it (404, so Slack shows its own error); read by the ingress, it is answered,
    whether its short-circuit answers it or Bolt does."""
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


# -- the short-circuit itself, without a server -------------------------------------------


class EveryBodysTenant:
    """A tenancy that hands every request the same (stand-in) services."""

    tenant = Tenant("T1", {"name": "services"}, WebClient())  # type: ignore[arg-type]

    def for_body(self, _body: dict[str, Any]) -> Tenant:
        return self.tenant

    def for_context(self, _context: BoltContext) -> Tenant:
        return self.tenant


def ingress_for(
    commands: dict[str, Callable[..., None]],
    on_error: Callable[[Exception, dict[str, Any]], object] = lambda _e, _b: None,
) -> tuple[Ingress, list[dict[str, Any]]]:
    """An ingress for ``commands``, and the bodies it handed to Bolt (which answers 404)."""
    app = App(signing_secret=SIGNING_SECRET, token_verification_enabled=False, token="xoxb-x")
    to_bolt: list[dict[str, Any]] = []

    def dispatch(request: BoltRequest) -> BoltResponse:
        to_bolt.append(request.body)
        return BoltResponse(status=404, body="")

    app.dispatch = dispatch  # type: ignore[method-assign]
    return Ingress(app, EveryBodysTenant(), SIGNING_SECRET, on_error, commands), to_bolt


def envelope(command: str, text: str) -> SocketModeRequest:
    return SocketModeRequest(
        type="slash_commands",
        envelope_id="e1",
        payload={"command": command, "text": text, "team_id": "T1", "user_id": "U1"},
    )


def test_a_failing_listener_is_reported_and_answered_500() -> None:
    failures: list[Exception] = []

    @answers_in_request()
    def broken(ack: Ack) -> None:
        raise RuntimeError("boom")

    ingress, _to_bolt = ingress_for(
        {"/broken": broken}, lambda error, _body: failures.append(error)
    )
    response = ingress.socket_mode(envelope("/broken", ""))

    assert response.status == 500
    assert [str(error) for error in failures] == ["boom"]
    assert handled_by().endswith("broken")


def test_marked_listeners_are_short_circuited_with_the_arguments_they_name(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def unmarked(ack: Ack) -> None:
        ack("unmarked")

    @answers_in_request()
    def wants_say(ack: Ack, say: Any, respond: Any) -> None:
        ack(f"{type(say).__name__} {type(respond).__name__}")

    @answers_in_request(lambda body, _context: body["text"] == "now")
    def sometimes(ack: Ack, context: BoltContext, command: dict[str, Any]) -> None:
        ack(f"{context['services']['name']} {command['text']}")

    @answers_in_request()
    def silent(ack: Ack) -> None:
        pass

    ingress, to_bolt = ingress_for(
        {"/unmarked": unmarked, "/say": wants_say, "/sometimes": sometimes, "/silent": silent}
    )

    assert ingress.socket_mode(envelope("/unmarked", "")).status == 404
    assert ingress.socket_mode(envelope("/say", "")).body == "Say Respond"
    assert ingress.socket_mode(envelope("/sometimes", "later")).status == 404
    assert ingress.socket_mode(envelope("/sometimes", "now")).body == "services now"
    assert [body["command"] for body in to_bolt] == ["/unmarked", "/sometimes"]
    with caplog.at_level(logging.WARNING):
        silent_response = ingress.socket_mode(envelope("/silent", ""))
    assert silent_response.status == 404
    assert "without acknowledging" in caplog.text


def test_the_common_arguments_are_those_bolt_would_build() -> None:
    """The short-circuit builds ack, body, command, payload, context, client and logger
    itself (20 µs less a request): each is what Bolt's build_required_kwargs gives."""
    seen: dict[str, Any] = {}

    @answers_in_request()
    def everything(
        ack: Ack,
        body: dict[str, Any],
        command: dict[str, Any],
        payload: dict[str, Any],
        context: BoltContext,
        client: WebClient,
        logger: logging.Logger,
    ) -> None:
        seen.update(
            ack=ack,
            body=body,
            command=command,
            payload=payload,
            context=context,
            client=client,
            logger=logger,
        )
        ack("ok")

    ingress, _to_bolt = ingress_for({"/all": everything})
    request = envelope("/all", "words")
    assert ingress.socket_mode(request).body == "ok"
    bolts = build_required_kwargs(
        logger=seen["logger"],
        required_arg_names=sorted(COMMON_ARGUMENTS),
        request=BoltRequest(
            body=request.payload, mode="socket_mode", context=dict(seen["context"])
        ),
        response=None,
        next_keys_required=False,
    )
    assert sorted(seen) == sorted(bolts) == sorted(COMMON_ARGUMENTS)
    for name in ("body", "command", "payload"):
        assert seen[name] == bolts[name] == request.payload, name
    assert seen["ack"] is bolts["ack"] is seen["context"].ack
    assert seen["client"] is bolts["client"] is EveryBodysTenant.tenant.client
    assert seen["context"]["services"] == {"name": "services"}


# -- over Socket Mode -------------------------------------------------------------------


def test_socket_mode_answers_through_the_short_circuit_too(
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
