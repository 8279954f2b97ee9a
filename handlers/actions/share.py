""" "Share to channel": post an answer for everyone, saying who shared it."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from handlers.commands import ANSWERS
from handlers.common import Asker, services_of
from slackbot.slack import render

logger = logging.getLogger(__name__)


def handle(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    asker = Asker.of(client, body)
    try:
        asked = json.loads(body["actions"][0]["value"])
        answer = ANSWERS[asked["command"]]
        text = str(asked["text"])
    except (KeyError, IndexError, TypeError, ValueError):
        asker.tell(
            render.notice(
                "That button no longer works; run the command again and share the new answer."
            )
        )
        return
    asker.share(render.shared(answer(services_of(context), text), asker.user_id))
