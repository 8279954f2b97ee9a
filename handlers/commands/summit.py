"""/summit [help | search <words>]"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from handlers.common import ack_with_answer, command_text, intel_of
from slackbot import render
from slackbot.intel import SummitIntel

SEARCH_RESULTS = 10


def answer(intel: SummitIntel, text: str) -> render.Message:
    sub_command, _, rest = text.strip().partition(" ")
    match sub_command.lower():
        case "":
            return render.overview(intel.overview())
        case "help" | "?":
            return render.help_message()
        case "search" | "find":
            return render.search(intel.search(rest.strip(), SEARCH_RESULTS))
        case _:
            return render.help_message(unknown=text.strip())


def handle(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    ack_with_answer(ack, lambda: answer(intel_of(context), command_text(command)))
