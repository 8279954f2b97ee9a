"""The App Home tab: the control panel, published (off this thread) when a person opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext

from handlers.common import services_of


def handle(event: dict[str, Any], context: BoltContext) -> None:
    if event.get("tab", "home") != "home":
        return
    services_of(context).home.opened(str(event["user"]))
