"""Button clicks, menus and the form's type-ahead."""

from __future__ import annotations

from slack_bolt import App

from handlers.actions import entity_options, fact_menu, share
from handlers.middleware import admins_only
from slackbot.slack.ids import ENTITY_OPTIONS_ACTION, FACT_MENU_ACTION, SHARE_ACTION_ID


def register(app: App) -> None:
    app.action(SHARE_ACTION_ID)(share.handle)
    app.action(FACT_MENU_ACTION, middleware=[admins_only("edit or retract facts")])(
        fact_menu.handle
    )
    app.options(ENTITY_OPTIONS_ACTION)(entity_options.handle)
