"""/whois [company or person] (and /who, where Slack or the console sends it)"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from handlers.common import ack_with_answer, command_text, services_of
from slackbot.slack import render
from slackbot.slack.manifest import LOOKUP_COMMAND
from slackbot.slack.services import Services


def answer(services: Services, text: str) -> render.Message:
    return render.who(services.intel.who(text), text)


def handle(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    services, text = services_of(context), command_text(command)
    ack_with_answer(
        ack, lambda: answer(services, text), services=services, asked=(LOOKUP_COMMAND, text.strip())
    )
