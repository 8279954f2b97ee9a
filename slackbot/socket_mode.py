"""Socket Mode: Slack pushes requests over a websocket the app opens, no public URL needed."""

from __future__ import annotations

import json
import threading
import time

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import send_response
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from slackbot.config import ConfigError
from slackbot.ingress import Ingress
from slackbot.logs import bound_request
from slackbot.telemetry import envelope_facts, observe


class _Handler(SocketModeHandler):
    """Bolt's handler, with each envelope taken by the app's ingress (the one path every
    request takes, slackbot.ingress), as over HTTP."""

    def __init__(self, ingress: Ingress, app_token: str) -> None:
        super().__init__(ingress.app, app_token)
        self._ingress = ingress

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        facts = envelope_facts(req.type, req.payload)
        began = time.perf_counter()
        with bound_request(req.envelope_id, facts.workspace, facts.surface, facts.command):
            try:
                self._handle(client, req)
            finally:
                observe(facts, time.perf_counter() - began, "acked")

    def _handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:
        started = time.time()
        response = self._ingress.socket_mode(req)
        if response.status == 200 and response.body[:1] == "{":
            # The answer is JSON already: Bolt's send_response would decode it and the
            # client encode it again.
            envelope = json.dumps(req.envelope_id)
            client.send_message(f'{{"envelope_id":{envelope},"payload":{response.body}}}')
        else:
            send_response(client, req, response, started)


def run_socket_mode(ingress: Ingress, app_token: str, stop: threading.Event) -> None:
    """Connects, serves until ``stop`` is set, then disconnects."""
    handler = _Handler(ingress, app_token)
    try:
        handler.connect()
    except SlackApiError as error:
        raise ConfigError(
            f"Slack rejected SLACK_APP_TOKEN ({error.response.get('error')}); create an "
            "app-level token with connections:write and enable Socket Mode"
        ) from None
    try:
        stop.wait()
    finally:
        handler.close()
