"""Slash commands."""

from __future__ import annotations

from slack_bolt import App

from handlers.commands import chips, digest, summit, who
from slackbot.core.answers import LOOKUP_ALIASES, LOOKUP_COMMAND
from slackbot.slack import direct


def register(app: App) -> None:
    # Through direct.command, the commands answered from memory also skip Bolt's pipeline.
    for name in (LOOKUP_COMMAND, *LOOKUP_ALIASES):
        direct.command(app, name, who.handle)
    direct.command(app, "/chips", chips.handle)
    direct.command(app, "/summit", summit.handle)
    app.command("/digest")(digest.handle)
