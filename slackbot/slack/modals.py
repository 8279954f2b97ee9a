"""Opening the forms (views.open), for every way in: /summit add and edit, the shortcuts,
the Edit and Retract menu, the review queue's Edit and Reject, Suggest a fact. An admin
check first where only admins may; what to tell the person when the form cannot open."""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from slackbot.core.claims import ClaimState
from slackbot.core.curation import FactDraft
from slackbot.slack import render
from slackbot.slack.i18n import _
from storage.api import Candidate, Fact

if TYPE_CHECKING:  # the services open forms through their surface
    from slackbot.slack.services import Services

logger = logging.getLogger(__name__)

FORM_TOO_LATE = (
    "Slack did not open the form in time; run the command again "
    "(the form has to open within 3 seconds)."
)


def open_fact_form(
    client: WebClient,
    services: Services,
    *,
    user_id: str,
    trigger_id: str,
    draft: FactDraft,
    fact: Fact | None = None,
    response_url: str | None = None,
    channel_id: str | None = None,
    note: str | None = None,
    candidate: Candidate | None = None,
    outcome_of: Fact | None = None,
) -> render.Message | None:
    """Opens the Add / Edit fact form for an admin; returns what to tell the person when it
    cannot. ``note`` leads the form (e.g. that a prefilled text was cut). With ``candidate``
    it is the review queue's Edit: saving the form approves the candidate. With
    ``outcome_of`` (an open claim) the saved fact becomes that claim's outcome."""
    if not services.admins.is_admin(user_id):
        what = "edit facts" if fact else "add facts"
        return render.not_admin(services.admins.curators(), what)
    # Where the confirmation goes once the form is saved (the response URL may expire).
    mode = "edit" if fact else "approve" if candidate else "outcome" if outcome_of else "add"
    metadata = {
        "mode": mode,
        "fact_id": fact.id if fact else None,
        "claim_id": outcome_of.id if outcome_of else None,
        "revision": fact.revision if fact else None,
        "candidate_id": candidate.id if candidate else None,
        "response_url": response_url,
        "channel_id": channel_id,
    }
    titles = {
        "edit": _("Edit {id}").format(id=fact.id) if fact else "",
        "approve": _("Approve {id}").format(id=candidate.id) if candidate else "",
        "outcome": _("Outcome of {id}").format(id=outcome_of.id) if outcome_of else "",
        "add": _("Add fact"),
    }
    if outcome_of is not None and note is None:
        note = _(
            "What came of {id}: “{statement}”? Say what happened (Confirmed or Reported); {id} "
            "then shows it as its outcome."
        ).format(id=outcome_of.id, statement=render.flat(outcome_of.statement))
    title = titles[mode]
    view = render.fact_form(
        draft,
        services.intel.entities(draft.entity_ids),
        metadata,
        title=title,
        today=services.today(),
        note=note,
    )
    return _open(client, trigger_id, view.to_dict())


def open_retract_form(
    client: WebClient, fact: Fact, *, trigger_id: str, metadata: dict[str, Any]
) -> render.Message | None:
    return _open(client, trigger_id, render.retract_form(fact, metadata).to_dict())


def open_reject_form(
    client: WebClient, candidate: Candidate, *, trigger_id: str, metadata: dict[str, Any]
) -> render.Message | None:
    return _open(client, trigger_id, render.reject_form(candidate, metadata).to_dict())


def open_keep_open_form(
    client: WebClient,
    state: ClaimState,
    *,
    trigger_id: str,
    metadata: dict[str, Any],
    today: date,
) -> render.Message | None:
    return _open(client, trigger_id, render.keep_open_form(state, metadata, today).to_dict())


def open_did_not_happen_form(
    client: WebClient, claim: Fact, *, trigger_id: str, metadata: dict[str, Any], today: date
) -> render.Message | None:
    return _open(client, trigger_id, render.did_not_happen_form(claim, metadata, today).to_dict())


def open_suggest_form(
    client: WebClient, *, trigger_id: str, metadata: dict[str, Any]
) -> render.Message | None:
    return _open(client, trigger_id, render.suggest_form("", metadata).to_dict())


def _open(client: WebClient, trigger_id: str, view: dict[str, Any]) -> render.Message | None:
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except (SlackApiError, SlackClientError, OSError) as error:
        logger.warning("views.open failed: %s", error)
        return render.notice(FORM_TOO_LATE)
    return None
