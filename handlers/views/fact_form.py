"""Saving what an admin submits in the "Add fact" / "Edit fact" form."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from handlers.common import Submitted, settle
from slackbot.core import curation
from slackbot.core.curation import EditConflict, NotFound, Rejected
from slackbot.core.feeds import AlreadyDecided
from slackbot.core.outcomes import record_outcome
from slackbot.slack import render
from slackbot.slack.i18n import explained
from storage.api import StoreWriteError

logger = logging.getLogger(__name__)


def submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    form = Submitted.of(body, view, context)
    services, user_id, metadata = form.services, form.user_id, form.metadata
    draft = render.draft_from(form.values, lambda: services.intel.entity_ids())
    decided = None
    try:
        if metadata.get("mode") == "approve":
            decided, fact = services.review.approve(
                str(metadata.get("candidate_id")), user_id, draft
            )
            action = "approved"
        elif metadata.get("mode") == "outcome":
            fact = record_outcome(services.curator, str(metadata.get("claim_id")), draft, user_id)
            action = f"added as the outcome of {metadata.get('claim_id')}:"
        elif metadata.get("mode") == "edit":
            fact = services.curator.edit(
                str(metadata.get("fact_id")), draft, user_id, int(metadata.get("revision") or 0)
            )
            action = "saved"
        else:
            fact = services.curator.add(draft, user_id)
            action = "added"
    except Rejected as rejected:
        ack(response_action="errors", errors=render.field_errors(rejected.errors))
        return
    except EditConflict as conflict:
        ack(response_action="errors", errors={curation.STATEMENT: render.edit_conflict(conflict)})
        return
    except NotFound as missing:
        ack(response_action="errors", errors={curation.STATEMENT: explained(missing)})
        return
    except AlreadyDecided as done:
        ack(response_action="errors", errors={curation.STATEMENT: f"{done}; nothing was saved."})
        return
    except StoreWriteError as error:
        # Slack must not see an empty 500: the admin reads why, on the form, and can retry.
        logger.error("a fact was not saved: %s", error)
        ack(response_action="errors", errors={curation.STATEMENT: render.not_saved(error)})
        return
    # Stored durably above; only now does the modal close.
    ack()
    asker = form.asker(client)
    if decided is not None:
        settle(services, decided, None, from_queue=False)
    asker.tell(render.saved(fact, action))
