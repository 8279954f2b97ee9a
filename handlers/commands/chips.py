"""/chips [part or vendor]"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from handlers.common import ack_with_answer, command_text, services_of
from slackbot.slack.answering import command_answer
from slackbot.slack.listener_runner import answers_in_request


@answers_in_request()
def handle(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    services, text = services_of(context), command_text(command)
    ack_with_answer(ack, lambda: command_answer(services, "/chips", text))
