"""What every listener shares: how an answer is acknowledged, and the domain it asks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext

from slackbot import render
from slackbot.intel import SummitIntel

logger = logging.getLogger(__name__)

SOMETHING_WENT_WRONG = (
    "Sorry, something went wrong on our side and the answer could not be built. "
    "Try again in a moment; if it keeps happening, tell a Summit Intel admin."
)


def intel_of(context: BoltContext) -> SummitIntel:
    intel: SummitIntel = context["intel"]
    return intel


def ack_with_answer(ack: Ack, build: Callable[[], render.Message]) -> None:
    """Acknowledges a slash command with its answer, visible only to the person who asked."""
    try:
        message = build()
    except Exception:
        # Slack shows its own opaque error if we never ack; a clear apology is better.
        logger.exception("building an answer failed")
        message = render.error(SOMETHING_WENT_WRONG)
    ack(response_type="ephemeral", **message.to_dict())


def command_text(command: dict[str, Any]) -> str:
    text = command.get("text")
    return text if isinstance(text, str) else ""
