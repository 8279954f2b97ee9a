"""/digest: scheduled digests for a channel."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from handlers.common import ack_with_answer
from slackbot import render

NOT_YET = (
    "Scheduled digests are not switched on in this version of Summit Intel yet. "
    "Meanwhile `/summit search <words>` finds the latest facts; `/summit help` lists every command."
)


def handle(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    ack_with_answer(ack, lambda: render.error(NOT_YET))
