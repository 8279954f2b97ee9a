"""The one way in: every request Slack sends, over HTTP or Socket Mode, and every line typed
in the console comes to an ``Ingress`` and takes the same path from there.

The path is Bolt's (``App.dispatch``: its signature check, authorization, the app's
middleware, the listener), with one short-circuit, documented here and nowhere else.

**The short-circuit.** A slash command whose listener is marked ``answers_in_request`` (see
``slackbot.slack.listener_runner``), and whose mark accepts the request, is answered by
calling that same listener here rather than through Bolt's pipeline. For a command answered
from the store (``/whois samsung``) the pipeline (a BoltRequest and its context, five
middleware and the listener each called through keyword-argument injection, the listener
matching, the runner) costs more CPU than finding and rendering the answer: 0.73 ms a
request against 0.37 ms for waitress and the signature check alone (bench/RESULTS.md,
section 1a). What the short-circuit does in its place:

- Slack's signature is checked with slack_sdk's ``SignatureVerifier``, as Bolt's
  RequestVerification does (Socket Mode has none to check: the websocket is the app's own);
- the form is read as Bolt reads it (``parse_qsl``, the last value of a field winning);
- the workspace comes from what Slack signed (``Tenancy.for_body``), as the app's
  middleware takes it from Bolt's context, and the asker's language is set as it sets it;
- the listener is called with the arguments it names, built as Bolt builds them
  (``_arguments``: the common ones directly, any other by Bolt's ``build_required_kwargs``),
  and the app's error handler hears what it raises, as Bolt's runner does.

What it leaves out of Bolt's pipeline does nothing for such a request: the SSL check and
URL verification are for other bodies, the self-event filter for events, and the
authorization middleware checks the bot token with auth.test, which an answer from the
store does not use. Anything else (an unsigned or stale request, another command, a form to
open, an asker whose role only Slack can tell, a workspace the app is not installed in) goes
to Bolt, so both give the same answer or the same refusal; ``tests/test_every_way_in.py``
sends every command, click and form each way and checks the same listener answered.

A command that goes to Bolt is handed the form as read here: Bolt takes any form body with
"payload" anywhere in it for an interactive payload and then finds no command in it (so
"/digest payload" went unanswered)."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import Ack, App, BoltContext, BoltResponse
from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.kwargs_injection import build_required_kwargs
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import build_context
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.request import SocketModeRequest

from slackbot.slack import i18n
from slackbot.slack.ids import EVENTS_PATH
from slackbot.slack.listener_runner import InRequest, handled, in_request_rule
from slackbot.slack.tenants import Tenancy

logger = logging.getLogger(__name__)

Headers = dict[str, str | Sequence[str]]
ErrorHandler = Callable[[Exception, dict[str, Any]], object]
# Slack's headers, as Bolt's WSGI adapter and the console name them.
TIMESTAMP, SIGNATURE = "x-slack-request-timestamp", "x-slack-signature"
# The arguments built here without Bolt's help, as Bolt builds them for a slash command
# (tests/test_ingress.py compares them with build_required_kwargs); a listener naming any
# other gets all of its arguments from build_required_kwargs, which costs 20 µs more.
COMMON_ARGUMENTS = frozenset({"ack", "body", "command", "payload", "context", "client", "logger"})


@dataclass(frozen=True)
class _Listener:
    function: Callable[..., None]
    accepts: InRequest
    arguments: tuple[str, ...]


class Ingress(SlackRequestHandler):
    """Bolt's WSGI handler (the install pages' GETs and the POSTs to ``EVENTS_PATH``) with
    the short-circuit, and the same for Socket Mode's envelopes and the console's lines.

    ``commands``: each slash command's listener, as the app registered it with Bolt; those
    marked ``answers_in_request`` may be short-circuited. ``tenancy``: the workspaces,
    each with its services and Web API client."""

    def __init__(
        self,
        app: App,
        tenancy: Tenancy,
        signing_secret: str,
        on_error: ErrorHandler,
        commands: Mapping[str, Callable[..., None]],
    ) -> None:
        super().__init__(app, path=EVENTS_PATH)
        self._tenancy = tenancy
        # Without a secret (commands that never serve Slack) nothing can be verified here.
        self._verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self._on_error = on_error
        self._from_memory = {
            name: _Listener(function, accepts, tuple(inspect.signature(function).parameters))
            for name, function in commands.items()
            if (accepts := in_request_rule(function)) is not None
        }

    # -- the ways in ----------------------------------------------------------------------

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        """A POST to ``EVENTS_PATH`` (Bolt's WSGI handler calls this)."""
        environ = request.environ
        return self._signed(
            request.get_body(),
            environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"),
            environ.get("HTTP_X_SLACK_SIGNATURE"),
            # Every header, read from the whole environ only for Bolt: for a command
            # answered from memory that read was a twentieth of the request's CPU.
            request.get_headers,
            request.query_string,
        )

    def signed(self, text: str, headers: Headers) -> BoltResponse:
        """A body signed with the app's secret, as the console brings it."""
        stamp, signature = headers.get(TIMESTAMP), headers.get(SIGNATURE)
        return self._signed(
            text,
            stamp if isinstance(stamp, str) else None,
            signature if isinstance(signature, str) else None,
            lambda: headers,
        )

    def _signed(
        self,
        text: str,
        stamp: str | None,
        signature: str | None,
        headers: Callable[[], Headers],
        query: str = "",
    ) -> BoltResponse:
        handled.set("")
        command = self._verified_command(text, stamp, signature)
        if command is None:
            return self.app.dispatch(BoltRequest(body=text, query=query, headers=headers()))
        answered = self._short_circuit(command)
        if answered is not None:
            return answered
        request = BoltRequest(body=text, query=query, headers=headers())
        request.body = command
        request.context = build_context(BoltContext(), command)
        return self.app.dispatch(request)

    def socket_mode(self, envelope: SocketModeRequest) -> BoltResponse:
        """An envelope pushed over Socket Mode (its payload is what HTTP's body would be)."""
        handled.set("")
        if envelope.type == "slash_commands":
            answered = self._short_circuit(envelope.payload)
            if answered is not None:
                return answered
        response: BoltResponse = run_bolt_app(self.app, envelope)
        return response

    # -- the short-circuit ----------------------------------------------------------------

    def _verified_command(
        self, text: str, stamp: str | None, signature: str | None
    ) -> dict[str, Any] | None:
        """The form of a slash command whose signature holds; None for anything else
        (Bolt checks the signature of everything else, and logs a refusal)."""
        if "command=" not in text or self._verifier is None:
            return None
        if stamp is None or signature is None:
            return None
        if not self._verifier.is_valid(text, stamp, signature):
            return None
        body = dict(parse_qsl(text, keep_blank_values=True))
        if "payload" in body or "command" not in body:
            return None  # an interactive payload
        return body

    def _short_circuit(self, body: dict[str, Any]) -> BoltResponse | None:
        """The listener's answer to a command it may answer here; None sends it to Bolt."""
        listener = self._from_memory.get(body.get("command"))  # type: ignore[arg-type]
        if listener is None:
            return None
        tenant = self._tenancy.for_body(body)
        if tenant is None:
            return None
        context = BoltContext(
            services=tenant.services,
            client=tenant.client,
            logger=logger,
            team_id=body.get("team_id"),
            user_id=body.get("user_id"),
            channel_id=body.get("channel_id"),
            ack=Ack(),
        )
        if not listener.accepts(body, context):
            return None
        i18n.use_for(body)
        handled.set(listener.function)
        ack: Ack = context.ack
        try:
            listener.function(**_arguments(listener, body, context))
        except Exception as error:
            # As Bolt does: the app's error handler, then a 500 unless it had acknowledged.
            self._on_error(error, body)
            return ack.response or BoltResponse(status=500, body="")
        if ack.response is None:
            logger.warning("%s finished without acknowledging", body.get("command"))
            return BoltResponse(status=404, body="")
        return ack.response


def _arguments(listener: _Listener, body: dict[str, Any], context: BoltContext) -> dict[str, Any]:
    """The listener's arguments, as Bolt's ``build_required_kwargs`` gives them."""
    if COMMON_ARGUMENTS.issuperset(listener.arguments):
        common = {
            "ack": context.ack,
            "body": body,
            "command": body,
            "payload": body,
            "context": context,
            "client": context.client,
            "logger": logger,
        }
        return {name: common[name] for name in listener.arguments}
    request = BoltRequest(body=body, mode="socket_mode", context=dict(context))
    return build_required_kwargs(
        logger=logger,
        required_arg_names=list(listener.arguments),
        request=request,
        response=None,
        this_func=listener.function,
        next_keys_required=False,
    )
