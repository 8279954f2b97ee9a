"""Slash commands."""

from __future__ import annotations

from slack_bolt import App

from handlers.commands import chips, digest, summit, who
from slackbot.core.answers import LOOKUP_ALIASES, LOOKUP_COMMAND


def register(app: App) -> None:
    for name in (LOOKUP_COMMAND, *LOOKUP_ALIASES):
        app.command(name)(who.handle)
    app.command("/chips")(chips.handle)
    app.command("/summit")(summit.handle)
    app.command("/digest")(digest.handle)
