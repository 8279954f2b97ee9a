"""The buttons under an open claim in ``/summit open`` (acknowledged, and checked for an
admin, by handlers.middleware): Happened opens the fact form for its outcome, Did not happen
a form that retracts it or records a fact saying so, Still open the form that sets a review
day."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from handlers.common import services_of
from slackbot.core.curation import NotFound, Rejected
from slackbot.core.outcomes import open_claim, outcome_draft
from slackbot.slack import render
from slackbot.slack.delivery import Asker
from slackbot.slack.i18n import _, explained, translated
from slackbot.slack.ids import CLAIM_DID_NOT_HAPPEN, CLAIM_HAPPENED
from slackbot.slack.modals import (
    open_did_not_happen_form,
    open_fact_form,
    open_keep_open_form,
)


def settle(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    services = services_of(context)
    asker = Asker.of(client, body)
    action = (body.get("actions") or [{}])[0]
    try:
        claim = open_claim(services.curator, str(action.get("value") or ""))
    except (Rejected, NotFound) as refused:
        reason = (
            " ".join(map(translated, refused.errors.values()))
            if isinstance(refused, Rejected)
            else explained(refused)
        )
        still = _("{command} shows the claims still open.").format(command="`/summit open`")
        asker.tell(render.notice(f"{reason} {still}"))
        return
    trigger_id = body.get("trigger_id", "")
    metadata = {
        "fact_id": claim.id,
        "claim_id": claim.id,
        "response_url": asker.response_url,
        "channel_id": asker.channel_id,
    }
    if action.get("action_id") == CLAIM_HAPPENED:
        problem = open_fact_form(
            client,
            services,
            user_id=asker.user_id,
            trigger_id=trigger_id,
            draft=outcome_draft(claim),
            response_url=asker.response_url,
            channel_id=asker.channel_id,
            outcome_of=claim,
        )
    elif action.get("action_id") == CLAIM_DID_NOT_HAPPEN:
        problem = open_did_not_happen_form(
            client,
            claim,
            trigger_id=trigger_id,
            metadata=metadata,
            today=services.intel.claims.today(),
        )
    else:
        state = services.intel.claims.state(claim)
        assert state is not None  # an open claim is Expected
        problem = open_keep_open_form(
            client,
            state,
            trigger_id=trigger_id,
            metadata=metadata,
            today=services.intel.claims.today(),
        )
    if problem is not None:
        asker.tell(problem)
