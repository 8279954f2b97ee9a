""" "Share to channel": post an answer for everyone, saying who shared it."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from handlers.common import services_of
from slackbot.core.answers import ANSWERING_COMMANDS
from slackbot.slack import render
from slackbot.slack.answering import message_for
from slackbot.slack.delivery import Asker


def handle(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    asker = Asker.of(client, body)
    try:
        asked = json.loads(body["actions"][0]["value"])
        command, text = str(asked["command"]), str(asked["text"])
        if command not in ANSWERING_COMMANDS:
            raise ValueError(command)
    except (KeyError, IndexError, TypeError, ValueError):
        asker.tell(
            render.notice(
                "That button no longer works; run the command again and share the new answer."
            )
        )
        return
    services = services_of(context)
    message = render.shared(message_for(services, command, text), asker.user_id)
    ts = asker.share(message)
    if ts and asker.channel_id and services.corrections is not None:
        # Remembered, so that a retraction of a fact it shows is replied in its thread.
        shown = [f for f in map(services.curator.fact, render.fact_ids_in(message)) if f]
        services.corrections.announce(shown, asker.channel_id, ts, "share")
