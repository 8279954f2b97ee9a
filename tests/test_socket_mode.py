"""Socket Mode: the app opens a websocket via apps.connections.open and answers envelopes."""

from __future__ import annotations

import json
import threading

from slackbot.app import build_app
from slackbot.config import Settings
from slackbot.socket_mode import run_socket_mode
from storage import FactStore
from tests.fake_slack import APP_TOKEN, FakeSlack
from tests.fake_socket_mode import FakeSocketMode
from tests.slack_client import block_texts


def test_socket_mode_answers_commands_and_events(
    fake_slack: FakeSlack, settings: Settings, store: FactStore
) -> None:
    socket = FakeSocketMode().start()
    fake_slack.socket_url = socket.url
    stop = threading.Event()
    app = build_app(settings, store)
    runner = threading.Thread(target=run_socket_mode, args=(app, APP_TOKEN, stop), daemon=True)
    runner.start()
    try:
        socket.wait_connected()
        opened = fake_slack.calls_to("apps.connections.open")
        assert opened and opened[0].token == APP_TOKEN

        ack = socket.push(
            "slash_commands",
            {
                "command": "/who",
                "text": "samsnug",
                "user_id": "U0ALICE",
                "channel_id": "C0GENERAL",
                "team_id": "T0TEAM",
                "response_url": fake_slack.response_url(),
                "trigger_id": fake_slack.issue_trigger(),
            },
        )
        answer = ack["payload"]
        assert answer["response_type"] == "ephemeral"
        assert "Samsung Electronics" in answer["text"]
        assert any("Kyung Kye-hyun" in text for text in block_texts(answer["blocks"]))

        socket.push(
            "events_api",
            {
                "type": "event_callback",
                "team_id": "T0TEAM",
                "api_app_id": "A0SUMMIT",
                "event_id": "Ev1",
                "event_time": 1,
                "event": {"type": "app_home_opened", "user": "U0ALICE", "tab": "home"},
            },
        )
        publish = fake_slack.wait_for(lambda: fake_slack.calls_to("views.publish", ok=True))
        assert "MS CEO Summit 2024" in json.dumps(publish[0].params["view"])
    finally:
        stop.set()
        runner.join(timeout=10)
        socket.stop()
    assert not runner.is_alive()
