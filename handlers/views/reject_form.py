"""The review queue's "Reject" form: the optional reason, then the decision."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from handlers.common import Submitted, settle
from slackbot.core.curation import NotFound
from slackbot.core.feeds import AlreadyDecided
from slackbot.slack import render
from slackbot.slack.ids import REJECT_REASON
from storage.api import StoreWriteError


def submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    form = Submitted.of(body, view, context)
    services, user_id, metadata = form.services, form.user_id, form.metadata
    reason = str(form.values.get(REJECT_REASON) or "")
    try:
        decided = services.review.reject(str(metadata.get("candidate_id")), user_id, reason)
    except (AlreadyDecided, NotFound) as problem:
        ack(response_action="errors", errors={REJECT_REASON: f"{problem}; nothing was changed."})
        return
    except StoreWriteError as error:
        ack(response_action="errors", errors={REJECT_REASON: render.not_saved(error)})
        return
    ack()
    settle(services, decided, metadata.get("response_url"), bool(metadata.get("from_queue")))
