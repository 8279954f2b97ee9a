"""The App Home tab: the control panel, published (off this thread) when a person opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from handlers.common import services_of
from slackbot.slack import render


def handle(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    if event.get("tab", "home") != "home":
        return
    services = services_of(context)
    if services.home is not None:
        services.home.opened(str(event["user"]))
        return
    client.views_publish(user_id=event["user"], view=render.home(services.intel.overview()))
