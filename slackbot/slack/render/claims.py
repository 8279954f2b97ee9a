"""Open claims as Slack shows them: ``/summit open`` (oldest first, with their age, and for
admins the buttons that settle each one) and the form that keeps a claim open."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DatePickerElement,
    InputBlock,
    Option,
    RadioButtonsElement,
)
from slack_sdk.models.views import View

from slackbot.core import curation
from slackbot.core.claims import ClaimState, OpenClaims
from slackbot.slack.i18n import _
from slackbot.slack.ids import (
    CLAIM_DID_NOT_HAPPEN,
    CLAIM_HAPPENED,
    CLAIM_STILL_OPEN,
    DID_NOT_HAPPEN_FORM,
    KEEP_OPEN_FORM,
    REVIEW_ON,
    SETTLE_AS,
)
from slackbot.slack.render.base import (
    MAX_MESSAGE_BLOCKS,
    Message,
    context,
    escape,
    fact_line,
    fact_plain,
    header,
    notice,
    section,
    share_button,
)
from slackbot.slack.render.forms import modal, text_input
from storage.api import Fact


def _age(state: ClaimState) -> str:
    stale = " · :hourglass: stale" if state.stale else ""
    review = f" · review on {state.claim.review_on}" if state.claim.review_on else ""
    return f"Open {state.open_days} days{stale}{review}"


def settle_buttons(claim_id: str) -> ActionsBlock:
    return ActionsBlock(
        block_id=f"claim-{claim_id}",
        elements=[
            ButtonElement(text=_("Happened"), action_id=CLAIM_HAPPENED, value=claim_id),
            ButtonElement(text=_("Did not happen"), action_id=CLAIM_DID_NOT_HAPPEN, value=claim_id),
            ButtonElement(text=_("Still open"), action_id=CLAIM_STILL_OPEN, value=claim_id),
        ],
    )


def open_claims(answer: OpenClaims, *, admin: bool = False) -> Message:
    about = f" about {answer.subject.name}" if answer.subject else ""
    asked = f"open {answer.subject.name.lower()}" if answer.subject else "open"
    if not answer.claims:
        return notice(f"No open claims{about}: every Expected fact has its outcome.")
    blocks: list[Block] = [header(f"{_('Open claims')}{about}"[:150])]
    stale = sum(1 for state in answer.claims if state.stale)
    summary = (
        f"{len(answer.claims)} Expected fact(s) with no outcome yet, oldest first; "
        f"{stale} open more than {answer.stale_days} days."
    )
    blocks.append(context(escape(summary)))
    per_claim = 2 if admin else 1
    room = (MAX_MESSAGE_BLOCKS - len(blocks) - 2) // per_claim
    shown = answer.claims[:room]
    for state in shown:
        blocks.append(section(f"{fact_line(state.claim)}\n_{_age(state)}_"))
        if admin:
            blocks.append(settle_buttons(state.claim.id))
    if len(answer.claims) > len(shown):
        more = len(answer.claims) - len(shown)
        blocks.append(context(f"…and {more} more — name a company: `/summit open samsung`"))
    if not admin:
        blocks.append(share_button("/summit", asked))
    fallback = [f"Open claims{about}: {summary}"]
    fallback += [f"{fact_plain(state.claim)} — open {state.open_days} days" for state in shown]
    return Message("\n".join(fallback[:20]), blocks)


def keep_open_form(state: ClaimState, metadata: dict[str, Any], today: date) -> View:
    """Keeps a claim open: the day to look at it again (a stale limit from today)."""
    suggested = today + timedelta(days=90)
    return modal(
        KEEP_OPEN_FORM,
        f"Keep {state.claim.id} open",
        "Keep open",
        metadata,
        [
            section(fact_line(state.claim)),
            context(escape(_age(state))),
            InputBlock(
                block_id=REVIEW_ON,
                label="Look at it again on",
                element=DatePickerElement(action_id=REVIEW_ON, initial_date=suggested.isoformat()),
            ),
            context("It is not marked stale until then."),
        ],
    )


def did_not_happen_form(claim: Fact, metadata: dict[str, Any], today: date) -> View:
    """A claim that did not come true: retracted with the reason, or kept, with a new fact
    saying so (with its source) linked as its outcome."""
    choices = {
        "retract": f"Retract {claim.id}, with the reason below",
        "record": f"Keep {claim.id}; record a fact saying it did not happen (needs a source)",
    }
    options = [Option(value=value, text=label) for value, label in choices.items()]
    return modal(
        DID_NOT_HAPPEN_FORM,
        f"{claim.id} did not happen"[:24],
        "Save",
        metadata,
        [
            section(fact_line(claim)),
            InputBlock(
                block_id=SETTLE_AS,
                label="How to record it",
                element=RadioButtonsElement(
                    action_id=SETTLE_AS, options=options, initial_option=options[0]
                ),
            ),
            text_input(
                curation.STATEMENT,
                "Why, or what happened instead",
                optional=False,
                multiline=True,
                max_length=curation.MAX_STATEMENT,
                placeholder="e.g. SK Hynix said on 20 May that no SSD deal was made",
            ),
            text_input(curation.SOURCE_URL, "Source link (to record a fact)"),
            text_input(
                curation.SOURCE_TITLE,
                "Source title",
                max_length=curation.MAX_SOURCE_TITLE,
            ),
            InputBlock(
                block_id=curation.HAPPENED_ON,
                label="When it was said",
                optional=True,
                element=DatePickerElement(
                    action_id=curation.HAPPENED_ON, initial_date=today.isoformat()
                ),
            ),
        ],
    )
