"""Keeping an open claim open to a review day (the "Still open" button's form)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from handlers.common import Submitted
from slackbot.core.curation import NotFound, Rejected
from slackbot.core.outcomes import keep_open
from slackbot.slack import render
from slackbot.slack.i18n import _, explained, translated
from slackbot.slack.ids import REVIEW_ON


def submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    form = Submitted.of(body, view, context)
    services, user_id, metadata = form.services, form.user_id, form.metadata
    day = str(form.values.get(REVIEW_ON) or "")
    try:
        kept = keep_open(services.curator, str(metadata.get("claim_id")), day, user_id)
    except Rejected as rejected:
        ack(
            response_action="errors",
            errors={REVIEW_ON: " ".join(map(translated, rejected.errors.values()))},
        )
        return
    except NotFound as missing:
        ack(response_action="errors", errors={REVIEW_ON: explained(missing)})
        return
    ack()
    asker = form.asker(client)
    stays = _("{id} stays open; it is not stale before {day}.")
    asker.tell(render.notice(stays.format(id=kept.id, day=kept.review_on)))
