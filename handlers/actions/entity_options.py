"""The form's type-ahead over known companies, people and products (block_suggestion)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from handlers.common import services_of
from slackbot.slack import render


def handle(ack: Ack, payload: dict[str, Any], context: BoltContext) -> None:
    intel = services_of(context).intel
    typed = str(payload.get("value") or "")
    entities = intel.matcher.match(typed) if typed.strip() else intel.entities()
    ack(options=render.entity_options(entities))
