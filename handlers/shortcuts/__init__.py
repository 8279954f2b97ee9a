"""Global and message shortcuts."""

from __future__ import annotations

from slack_bolt import App

from handlers.shortcuts import add_fact
from slackbot.slack.ids import ADD_FACT_SHORTCUT, SAVE_MESSAGE_SHORTCUT


def register(app: App) -> None:
    app.shortcut(ADD_FACT_SHORTCUT)(add_fact.from_global_shortcut)
    app.shortcut(SAVE_MESSAGE_SHORTCUT)(add_fact.from_message)
