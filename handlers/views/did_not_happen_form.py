"""A claim that did not come true (the "Did not happen" button's form): retracted with the
reason, or kept with a new fact saying so linked as its outcome."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from handlers.common import Submitted
from slackbot.core import curation
from slackbot.core.curation import FactDraft, NotFound, Rejected
from slackbot.core.outcomes import open_claim, record_outcome
from slackbot.slack import render
from slackbot.slack.i18n import explained
from slackbot.slack.ids import SETTLE_AS
from storage.api import StoreWriteError

# The form's fields that an error can be shown on; any other error goes on the statement.
FIELDS = frozenset({curation.STATEMENT, curation.SOURCE_URL, curation.SOURCE_TITLE})


def submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    form = Submitted.of(body, view, context)
    services, user_id, metadata = form.services, form.user_id, form.metadata
    values = form.values
    claim_id = str(metadata.get("claim_id"))
    said = str(values.get(curation.STATEMENT) or "").strip()
    try:
        claim = open_claim(services.curator, claim_id)
        if values.get(SETTLE_AS) == "record":
            if not values.get(curation.SOURCE_URL):
                raise Rejected({curation.SOURCE_URL: "A fact needs its source: paste the link."})
            draft = FactDraft(
                statement=said,
                kind=claim.kind,
                status="confirmed",
                entity_ids=claim.entity_ids,
                source_url=str(values.get(curation.SOURCE_URL) or ""),
                source_title=str(values.get(curation.SOURCE_TITLE) or ""),
                happened_on=values.get(curation.HAPPENED_ON) or None,
                tags=claim.tags,
            )
            fact = record_outcome(services.curator, claim_id, draft, user_id, happened=False)
            told = render.saved(fact, f"recorded that {claim_id} did not happen:")
        else:
            if not said:
                raise Rejected({curation.STATEMENT: "Say why it did not happen."})
            told = render.saved(services.curator.retract(claim_id, said, user_id), "retracted")
    except Rejected as rejected:
        ack(response_action="errors", errors=render.field_errors(rejected.errors, FIELDS))
        return
    except NotFound as missing:
        ack(response_action="errors", errors={curation.STATEMENT: explained(missing)})
        return
    except StoreWriteError as error:
        ack(response_action="errors", errors={curation.STATEMENT: render.not_saved(error)})
        return
    ack()
    form.asker(client).tell(told)
