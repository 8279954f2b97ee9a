"""Slash commands answered from memory, without Bolt's pipeline.

For a command answered from the store (``/whois samsung``), Bolt's own handling of the
request (a BoltRequest and its context, five middleware and the listener each called through
keyword-argument injection, the listener matching and the runner) costs more CPU than finding
and rendering the answer: 0.73 ms a request, against 0.37 ms for waitress and the signature
check alone (bench/RESULTS.md, section 1a). This path does for such a request what that
pipeline does, and no more:

- Slack's signature is checked with slack_sdk's SignatureVerifier, as Bolt's
  RequestVerification does (Socket Mode has none to check: the websocket is the app's own);
- the form is read as Bolt reads it (``parse_qsl``, the last value of a field winning);
- the asker's language is set, as the app's middleware does (``i18n.use_for``);
- the very listener Bolt would run is called with the arguments it names, and its ``ack``.

Only listeners marked ``answers_in_request`` come here, and only for the requests their rule
accepts; anything else (an unsigned or stale request, another command, a form to open, an
asker whose role only Slack can tell) goes to Bolt untouched. What this path leaves out of
Bolt's pipeline does nothing for such a request: the SSL check and URL verification are for
other bodies, the self-event filter for events, and the authorization middleware checks the
bot token with auth.test, which an answer from the store does not use."""

from __future__ import annotations

import inspect
import io
import logging
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import Ack, App, BoltContext, BoltResponse
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import build_context
from slack_sdk.signature import SignatureVerifier

from slackbot.slack import i18n
from slackbot.slack.listener_runner import InRequest, in_request_rule
from slackbot.slack.tenants import Tenancy

logger = logging.getLogger(__name__)

FORM = "application/x-www-form-urlencoded"
# The arguments a listener on this path may name (Bolt offers more: a listener that names
# another is left to Bolt).
OFFERED = frozenset({"ack", "body", "command", "payload", "context", "client", "logger"})

StartResponse = Callable[..., Any]
ErrorHandler = Callable[[Exception, dict[str, Any]], object]


@dataclass(frozen=True)
class _Listener:
    function: Callable[..., None]
    accepts: InRequest
    arguments: tuple[str, ...]


class DirectCommands:
    """The app's commands that may be answered without Bolt's pipeline, with what their
    listeners need: the workspaces (each with its services, as the app's middleware puts
    them in Bolt's context, and its Web API client), the signing secret and the app's error
    handler.

    A request from a workspace the tenancy does not know goes to Bolt, whose authorization
    and the app's middleware refuse it: both ways give the same answer or the same refusal."""

    def __init__(
        self,
        app: App,
        tenancy: Tenancy,
        signing_secret: str,
        on_error: ErrorHandler,
    ) -> None:
        self._app = app
        self._tenancy = tenancy
        # Without a secret (commands that never serve Slack) nothing can be verified here.
        self._verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self._on_error = on_error
        self._listeners: dict[str, _Listener] = {}

    def add(self, command: str, function: Callable[..., None]) -> None:
        """Takes ``function`` for ``command`` if it is marked ``answers_in_request`` and
        names only arguments this path offers; otherwise Bolt alone runs it."""
        accepts = in_request_rule(function)
        arguments = tuple(inspect.signature(function).parameters)
        if accepts is not None and OFFERED.issuperset(arguments):
            self._listeners[command] = _Listener(function, accepts, arguments)

    def answer(self, body: dict[str, Any]) -> BoltResponse | None:
        """The response to a slash command's (verified) body, or None when it is Bolt's."""
        listener = self._listeners.get(body.get("command"))  # type: ignore[arg-type]
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
        )
        if not listener.accepts(body, context):
            return None
        i18n.use_for(body)
        ack = Ack()
        offered = {
            "ack": ack,
            "body": body,
            "command": body,
            "payload": body,
            "context": context,
            "client": tenant.client,
            "logger": logger,
        }
        try:
            listener.function(**{name: offered[name] for name in listener.arguments})
        except Exception as error:
            # As Bolt does: the app's error handler, then a 500 unless it had acknowledged.
            self._on_error(error, body)
            return ack.response or BoltResponse(status=500, body="")
        if ack.response is None:
            logger.warning("%s finished without acknowledging", body.get("command"))
            return BoltResponse(status=404, body="")
        return ack.response

    # -- over HTTP ----------------------------------------------------------------------

    def wsgi(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes] | None:
        """Answers a signed slash command; otherwise returns None with the request body put
        back for Bolt's adapter to read."""
        if environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower() != FORM:
            return None
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw: bytes = environ["wsgi.input"].read(length)
        response = self._answer_form(raw, environ)
        if response is None:
            environ["wsgi.input"] = io.BytesIO(raw)
            environ["CONTENT_LENGTH"] = str(len(raw))
            return None
        encoded = response.body.encode()
        headers = [(name, values[0]) for name, values in response.headers.items()]
        headers.append(("Content-Length", str(len(encoded))))
        status = HTTPStatus(response.status)
        start_response(f"{status.value} {status.phrase}", headers)
        return [encoded]

    def _answer_form(self, raw: bytes, environ: dict[str, Any]) -> BoltResponse | None:
        try:
            text = raw.decode()
        except UnicodeDecodeError:
            return None
        return self.answer_signed(
            text,
            environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"),
            environ.get("HTTP_X_SLACK_SIGNATURE"),
        )

    def answer_signed(
        self, text: str, timestamp: str | None, signature: str | None
    ) -> BoltResponse | None:
        """The response to a signed form body (HTTP, or the console): answered here, or by
        Bolt for a command whose text Bolt would misread; None leaves the body to Bolt."""
        if "command=" not in text:
            return None  # not a slash command: Bolt checks its signature
        if self._verifier is None or not self._verifier.is_valid(text, timestamp, signature):
            return None  # Bolt refuses it, and logs why
        body = dict(parse_qsl(text, keep_blank_values=True))
        if "payload" in body or "command" not in body:
            return None  # an interactive payload
        answered = self.answer(body)
        if answered is None and "payload" in text:
            # Bolt takes any form body with "payload" in it for an interactive payload and
            # then finds no command in it ("/digest payload" went unanswered): Bolt is
            # handed the command as read here.
            headers: dict[str, str | Sequence[str]] = {
                "x-slack-request-timestamp": str(timestamp),
                "x-slack-signature": str(signature),
            }
            request = BoltRequest(body=text, headers=headers)
            request.body = body
            request.context = build_context(BoltContext(), body)
            return self._app.dispatch(request)
        return answered


_PATHS: weakref.WeakKeyDictionary[App, DirectCommands] = weakref.WeakKeyDictionary()


def attach(app: App, direct: DirectCommands) -> None:
    """Makes ``direct`` the app's path for commands answered from memory: ``command``
    registers listeners on it, and the HTTP server and Socket Mode handler find it."""
    _PATHS[app] = direct


def of(app: App) -> DirectCommands | None:
    return _PATHS.get(app)


def command(app: App, name: str, function: Callable[..., None]) -> None:
    """Registers a slash command's listener with Bolt and, where the app has one, with its
    direct path (which takes it if it is marked ``answers_in_request``)."""
    app.command(name)(function)
    direct = of(app)
    if direct is not None:
        direct.add(name, function)
