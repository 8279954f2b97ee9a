"""Socket Mode: Slack pushes requests over a websocket the app opens, no public URL needed."""

from __future__ import annotations

import threading

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.errors import SlackApiError

from slackbot.config import ConfigError


def run_socket_mode(app: App, app_token: str, stop: threading.Event) -> None:
    """Connects, serves until ``stop`` is set, then disconnects."""
    handler = SocketModeHandler(app, app_token)
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
