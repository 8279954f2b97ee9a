""" "Share to channel": post an answer for everyone, saying who shared it."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from handlers.commands import ANSWERS
from handlers.common import services_of
from slackbot import render

logger = logging.getLogger(__name__)


def handle(ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    ack()
    try:
        asked = json.loads(body["actions"][0]["value"])
        answer = ANSWERS[asked["command"]]
        text = str(asked["text"])
    except (KeyError, IndexError, TypeError, ValueError):
        respond(
            response_type="ephemeral",
            replace_original=False,
            text="That button no longer works; run the command again and share the new answer.",
        )
        return
    message = render.shared(answer(services_of(context), text), body["user"]["id"])
    respond(response_type="in_channel", replace_original=False, **message.to_dict())
