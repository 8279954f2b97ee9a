"""Modal submissions; each is checked again for an admin (see handlers.middleware)."""

from __future__ import annotations

from slack_bolt import App

from handlers.middleware import admins_only
from handlers.views import fact_form, retract_form
from slackbot.core import curation
from slackbot.slack.ids import FACT_FORM, RETRACT_FORM, RETRACT_REASON


def register(app: App) -> None:
    app.view(FACT_FORM, middleware=[admins_only("save facts", curation.STATEMENT)])(
        fact_form.submit
    )
    app.view(RETRACT_FORM, middleware=[admins_only("retract facts", RETRACT_REASON)])(
        retract_form.submit
    )
