"""Button clicks and other block actions."""

from __future__ import annotations

from slack_bolt import App

from handlers.actions import share
from slackbot.render import SHARE_ACTION_ID


def register(app: App) -> None:
    app.action(SHARE_ACTION_ID)(share.handle)
