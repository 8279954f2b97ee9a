"""Slash commands."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App

from handlers.commands import chips, digest, summit, who
from slackbot.core.answers import LOOKUP_ALIASES, LOOKUP_COMMAND

# Each command's listener. The ingress (slackbot/ingress.py) reads this too: those marked
# ``answers_in_request`` may be answered without Bolt's pipeline.
COMMANDS: dict[str, Callable[..., None]] = {
    **{name: who.handle for name in (LOOKUP_COMMAND, *LOOKUP_ALIASES)},
    "/chips": chips.handle,
    "/summit": summit.handle,
    "/digest": digest.handle,
}


def register(app: App) -> None:
    for name, listener in COMMANDS.items():
        app.command(name)(listener)
