"""Keeping an open claim open to a review day (the "Still open" button's form)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from handlers.common import services_of
from slackbot.core.curation import NotFound, Rejected
from slackbot.core.outcomes import keep_open
from slackbot.slack import render
from slackbot.slack.delivery import Asker
from slackbot.slack.ids import REVIEW_ON


def submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    services = services_of(context)
    user_id = body["user"]["id"]
    metadata = render.metadata_of(view)
    day = str(render.read_state(view).get(REVIEW_ON) or "")
    try:
        kept = keep_open(services.curator, str(metadata.get("claim_id")), day, user_id)
    except Rejected as rejected:
        ack(response_action="errors", errors={REVIEW_ON: " ".join(rejected.errors.values())})
        return
    except NotFound as missing:
        ack(response_action="errors", errors={REVIEW_ON: str(missing)})
        return
    ack()
    asker = Asker(client, user_id, metadata.get("channel_id"), metadata.get("response_url"))
    asker.tell(render.notice(f"{kept.id} stays open; it is not stale before {kept.review_on}."))
