"""Modal submissions."""

from __future__ import annotations

from slack_bolt import App

from handlers.views import fact_form, retract_form
from slackbot.slack.ids import FACT_FORM, RETRACT_FORM


def register(app: App) -> None:
    app.view(FACT_FORM)(fact_form.submit)
    app.view(RETRACT_FORM)(retract_form.submit)
