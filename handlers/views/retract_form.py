"""The "Retract" modal opened from a fact's menu."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from handlers.common import Submitted
from slackbot.core.curation import NotFound, Rejected
from slackbot.slack import render
from slackbot.slack.i18n import explained, translated
from slackbot.slack.ids import RETRACT_REASON
from storage.api import StoreWriteError


def submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    form = Submitted.of(body, view, context)
    services, user_id, metadata = form.services, form.user_id, form.metadata
    reason = form.values.get(RETRACT_REASON) or ""
    try:
        fact = services.curator.retract(str(metadata.get("fact_id")), str(reason), user_id)
    except Rejected as rejected:
        ack(
            response_action="errors",
            errors={RETRACT_REASON: " ".join(map(translated, rejected.errors.values()))},
        )
        return
    except NotFound as missing:
        ack(response_action="errors", errors={RETRACT_REASON: explained(missing)})
        return
    except StoreWriteError as error:
        ack(response_action="errors", errors={RETRACT_REASON: render.not_saved(error)})
        return
    ack()
    form.asker(client).tell(render.saved(fact, "retracted"))
