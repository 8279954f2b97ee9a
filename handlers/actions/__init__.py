"""Button clicks, menus and the form's type-ahead."""

from __future__ import annotations

import re

from slack_bolt import App

from handlers.actions import claims, entity_options, fact_menu, review, share
from handlers.middleware import admins_only
from slackbot.slack.ids import (
    CLAIM_ACTIONS,
    ENTITY_OPTIONS_ACTION,
    FACT_MENU_ACTION,
    REVIEW_APPROVE,
    REVIEW_EDIT,
    REVIEW_PAGE,
    REVIEW_REJECT,
    SHARE_ACTION_ID,
    SUGGEST_ACTION,
)


def register(app: App) -> None:
    app.action(SHARE_ACTION_ID)(share.handle)
    app.action(FACT_MENU_ACTION, middleware=[admins_only("edit or retract facts")])(
        fact_menu.handle
    )
    app.options(ENTITY_OPTIONS_ACTION)(entity_options.handle)
    deciding = [admins_only("review candidates")]
    app.action(REVIEW_APPROVE, middleware=deciding)(review.approve)
    app.action(REVIEW_EDIT, middleware=deciding)(review.edit)
    app.action(REVIEW_REJECT, middleware=deciding)(review.reject)
    app.action(re.compile(f"^{REVIEW_PAGE}_"), middleware=deciding)(review.page)
    app.action(SUGGEST_ACTION)(review.suggest)
    settling = [admins_only("settle open claims")]
    for action_id in CLAIM_ACTIONS:
        app.action(action_id, middleware=settling)(claims.settle)
