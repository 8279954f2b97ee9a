"""Socket Mode: the app opens a websocket via apps.connections.open and answers envelopes."""

from __future__ import annotations

import json

from slackbot.config import Settings
from storage.repository import FactStore
from tests.fake_slack import APP_TOKEN, FakeSlack
from tests.fake_socket_mode import socket_mode_app
from tests.slack_client import block_texts


def test_socket_mode_answers_commands_and_events(
    fake_slack: FakeSlack, settings: Settings, store: FactStore
) -> None:
    with socket_mode_app(fake_slack, settings, store) as slack_over_socket:
        opened = fake_slack.calls_to("apps.connections.open")
        assert opened and opened[0].token == APP_TOKEN
        answer = slack_over_socket("/who", "samsnug", "U0ALICE")
        assert answer["response_type"] == "ephemeral"
        assert "Samsung Electronics" in answer["text"]
        assert any("Kyung Kye-hyun" in text for text in block_texts(answer["blocks"]))
        slack_over_socket.event({"type": "app_home_opened", "user": "U0ALICE", "tab": "home"})
        publish = fake_slack.wait_for(lambda: fake_slack.calls_to("views.publish", ok=True))
        assert "MS CEO Summit 2024" in json.dumps(publish[0].params["view"])
