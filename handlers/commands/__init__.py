"""Slash commands. ``ANSWERS`` maps each answering command to the function that answers it,
so a shared answer can be built again exactly as it was asked."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App

from handlers.commands import chips, digest, summit, who
from slackbot.slack import render
from slackbot.slack.manifest import LOOKUP_ALIASES, LOOKUP_COMMAND
from slackbot.slack.services import Services

ANSWERS: dict[str, Callable[[Services, str], render.Message]] = {
    LOOKUP_COMMAND: who.answer,
    **dict.fromkeys(LOOKUP_ALIASES, who.answer),
    "/chips": chips.answer,
    "/summit": summit.answer,
}


def register(app: App) -> None:
    for name in (LOOKUP_COMMAND, *LOOKUP_ALIASES):
        app.command(name)(who.handle)
    app.command("/chips")(chips.handle)
    app.command("/summit")(summit.handle)
    app.command("/digest")(digest.handle)
