"""Modal submissions; each that changes facts is checked again for an admin (see
handlers.middleware)."""

from __future__ import annotations

from slack_bolt import App

from handlers.middleware import admins_only
from handlers.views import (
    did_not_happen_form,
    fact_form,
    keep_open_form,
    reject_form,
    retract_form,
    suggest_form,
)
from slackbot.core import curation
from slackbot.slack.ids import (
    DID_NOT_HAPPEN_FORM,
    FACT_FORM,
    KEEP_OPEN_FORM,
    REJECT_FORM,
    REJECT_REASON,
    RETRACT_FORM,
    RETRACT_REASON,
    REVIEW_ON,
    SUGGEST_FORM,
)


def register(app: App) -> None:
    app.view(FACT_FORM, middleware=[admins_only("save facts", curation.STATEMENT)])(
        fact_form.submit
    )
    app.view(RETRACT_FORM, middleware=[admins_only("retract facts", RETRACT_REASON)])(
        retract_form.submit
    )
    app.view(REJECT_FORM, middleware=[admins_only("reject candidates", REJECT_REASON)])(
        reject_form.submit
    )
    app.view(
        DID_NOT_HAPPEN_FORM, middleware=[admins_only("settle open claims", curation.STATEMENT)]
    )(did_not_happen_form.submit)
    app.view(KEEP_OPEN_FORM, middleware=[admins_only("settle open claims", REVIEW_ON)])(
        keep_open_form.submit
    )
    # Anyone may suggest a fact; an admin decides.
    app.view(SUGGEST_FORM)(suggest_form.submit)
