"""Socket Mode: Slack pushes requests over a websocket the app opens, no public URL needed."""

from __future__ import annotations

import threading

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler


def run_socket_mode(app: App, app_token: str, stop: threading.Event) -> None:
    """Connects, serves until ``stop`` is set, then disconnects."""
    handler = SocketModeHandler(app, app_token)
    handler.connect()
    try:
        stop.wait()
    finally:
        handler.close()
