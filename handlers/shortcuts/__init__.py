"""Global and message shortcuts."""

from __future__ import annotations

from slack_bolt import App

from handlers.shortcuts import add_fact

ADD_FACT = "add_summit_fact"
SAVE_MESSAGE = "save_as_summit_fact"


def register(app: App) -> None:
    app.shortcut(ADD_FACT)(add_fact.from_global_shortcut)
    app.shortcut(SAVE_MESSAGE)(add_fact.from_message)
