"""The App Home tab: the overview and the help, published when a person opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from handlers.common import services_of
from slackbot.slack import render


def handle(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    if event.get("tab", "home") != "home":
        return
    client.views_publish(
        user_id=event["user"], view=render.home(services_of(context).intel.overview())
    )
