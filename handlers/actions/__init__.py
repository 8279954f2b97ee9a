"""Button clicks, menus and the form's type-ahead."""

from __future__ import annotations

import re

from slack_bolt import App

from handlers.actions import claims, entity_options, fact_menu, home, review, share
from handlers.middleware import admins_only
from slackbot.slack.ids import (
    CLAIM_ACTIONS,
    ENTITY_OPTIONS_ACTION,
    FACT_MENU_ACTION,
    HOME_ADD_FACT,
    HOME_ASK,
    HOME_PAGE,
    HOME_PAUSE,
    HOME_PREVIEW,
    HOME_RESUME,
    HOME_REVIEW,
    HOME_SEND_NOW,
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
    app.action(re.compile(f"^{HOME_ASK}_"))(home.ask)
    for action_id in (HOME_PAUSE, HOME_RESUME, HOME_SEND_NOW, HOME_PREVIEW):
        app.action(action_id)(home.digest)
    app.action(HOME_REVIEW, middleware=[admins_only("review candidates")])(home.review)
    app.action(HOME_ADD_FACT, middleware=[admins_only("add facts")])(home.add_fact)
    app.action(re.compile(f"^{HOME_PAGE}_"))(home.page)
    settling = [admins_only("settle open claims")]
    for action_id in CLAIM_ACTIONS:
        app.action(action_id, middleware=settling)(claims.settle)
