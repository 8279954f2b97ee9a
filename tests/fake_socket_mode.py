"""A local Socket Mode endpoint: the fake Web API hands out its URL from
``apps.connections.open``; a test pushes envelopes and reads the app's acknowledgements."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from websockets.sync.server import ServerConnection, serve

from slackbot.app import build_ingress
from slackbot.config import Settings
from slackbot.ingress import Ingress
from slackbot.socket_mode import run_socket_mode
from storage.api import Repository
from tests.fake_slack import APP_TOKEN, FakeSlack


class FakeSocketMode:
    def __init__(self) -> None:
        self._server = serve(self._session, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._connection: ServerConnection | None = None
        self._connected = threading.Event()
        self._acks: dict[str, dict[str, Any]] = {}
        self._acked = threading.Condition()

    @property
    def url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link/?ticket=test"

    def start(self) -> FakeSocketMode:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def _session(self, connection: ServerConnection) -> None:
        self._connection = connection
        connection.send(json.dumps({"type": "hello", "num_connections": 1}))
        self._connected.set()
        for message in connection:
            data = json.loads(message)
            with self._acked:
                self._acks[data["envelope_id"]] = data
                self._acked.notify_all()

    def wait_connected(self, timeout: float = 10) -> None:
        if not self._connected.wait(timeout):
            raise AssertionError("the app never opened the Socket Mode connection")

    def push(self, kind: str, payload: dict[str, Any], timeout: float = 10) -> dict[str, Any]:
        """Sends an envelope and returns the app's acknowledgement of it."""
        assert self._connection is not None
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": 0,
            "retry_reason": "",
        }
        self._connection.send(json.dumps(envelope))
        deadline = time.monotonic() + timeout
        with self._acked:
            while envelope_id not in self._acks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no acknowledgement for the {kind} envelope")
                self._acked.wait(remaining)
            return self._acks[envelope_id]


class SocketSender:
    """Sends what Slack sends over Socket Mode: slash commands (called like a function,
    returning the acknowledgement's payload) and events."""

    def __init__(self, socket: FakeSocketMode, fake_slack: FakeSlack) -> None:
        self.socket = socket
        self.fake_slack = fake_slack

    def __call__(
        self, name: str, text: str, user_id: str, team_id: str = "T0TEAM"
    ) -> dict[str, Any]:
        envelope = {
            "command": name,
            "text": text,
            "user_id": user_id,
            "channel_id": "C0GENERAL",
            "team_id": team_id,
            "response_url": self.fake_slack.response_url(),
            "trigger_id": self.fake_slack.issue_trigger(),
        }
        payload: dict[str, Any] = self.socket.push("slash_commands", envelope).get("payload") or {}
        return payload

    def event(self, event: dict[str, Any]) -> None:
        self.socket.push(
            "events_api",
            {
                "type": "event_callback",
                "team_id": "T0TEAM",
                "api_app_id": "A0SUMMIT",
                "event_id": f"Ev{uuid.uuid4().hex[:8]}",
                "event_time": 1,
                "event": event,
            },
        )


@contextmanager
def socket_mode_app(
    fake_slack: FakeSlack,
    settings: Settings,
    store: Repository,
    ingress: Ingress | None = None,
) -> Iterator[SocketSender]:
    """The app (by default one workspace's, on ``store``) connected over Socket Mode to a
    local websocket, as `summitbot run` does with SLACK_APP_TOKEN set."""
    socket = FakeSocketMode().start()
    fake_slack.socket_url = socket.url
    stop = threading.Event()
    ingress = ingress or build_ingress(settings, store)
    runner = threading.Thread(target=run_socket_mode, args=(ingress, APP_TOKEN, stop), daemon=True)
    runner.start()
    try:
        socket.wait_connected()
        yield SocketSender(socket, fake_slack)
    finally:
        stop.set()
        runner.join(timeout=10)
        socket.stop()
    assert not runner.is_alive(), "the Socket Mode loop stops when asked"
