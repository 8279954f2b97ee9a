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
    stale = f" · :hourglass: {_('stale')}" if state.stale else ""
    review = (
        " · " + _("review on {day}").format(day=state.claim.review_on)
        if state.claim.review_on
        else ""
    )
    return _("Open {days} days").format(days=state.open_days) + stale + review


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
    asked = f"open {answer.subject.name.lower()}" if answer.subject else "open"
    title = (
        _("Open claims about {name}").format(name=answer.subject.name)
        if answer.subject
        else _("Open claims")
    )
    if not answer.claims:
        if answer.subject:
            return notice(
                _("No open claims about {name}: every Expected fact has its outcome.").format(
                    name=answer.subject.name
                )
            )
        return notice(_("No open claims: every Expected fact has its outcome."))
    blocks: list[Block] = [header(title[:150])]
    stale = sum(1 for state in answer.claims if state.stale)
    summary = _(
        "{count} Expected fact(s) with no outcome yet, oldest first; {stale} open more than "
        "{days} days."
    ).format(count=len(answer.claims), stale=stale, days=answer.stale_days)
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
        blocks.append(
            context(
                _("…and {count} more — name a company: {example}").format(
                    count=more, example="`/summit open samsung`"
                )
            )
        )
    if not admin:
        blocks.append(share_button("/summit", asked))
    fallback = [f"{title}: {summary}"]
    fallback += [f"{fact_plain(state.claim)} — {_age(state)}" for state in shown]
    return Message("\n".join(fallback[:20]), blocks)


def keep_open_form(state: ClaimState, metadata: dict[str, Any], today: date) -> View:
    """Keeps a claim open: the day to look at it again (a stale limit from today)."""
    suggested = today + timedelta(days=90)
    return modal(
        KEEP_OPEN_FORM,
        _("Keep {id} open").format(id=state.claim.id),
        _("Keep open"),
        metadata,
        [
            section(fact_line(state.claim)),
            context(escape(_age(state))),
            InputBlock(
                block_id=REVIEW_ON,
                label=_("Look at it again on"),
                element=DatePickerElement(action_id=REVIEW_ON, initial_date=suggested.isoformat()),
            ),
            context(_("It is not marked stale until then.")),
        ],
    )


def did_not_happen_form(claim: Fact, metadata: dict[str, Any], today: date) -> View:
    """A claim that did not come true: retracted with the reason, or kept, with a new fact
    saying so (with its source) linked as its outcome."""
    choices = {
        "retract": _("Retract {id}, with the reason below").format(id=claim.id),
        "record": _("Keep {id}; record a fact saying it did not happen (needs a source)").format(
            id=claim.id
        ),
    }
    options = [Option(value=value, text=label) for value, label in choices.items()]
    return modal(
        DID_NOT_HAPPEN_FORM,
        _("{id} did not happen").format(id=claim.id)[:24],
        _("Save"),
        metadata,
        [
            section(fact_line(claim)),
            InputBlock(
                block_id=SETTLE_AS,
                label=_("How to record it"),
                element=RadioButtonsElement(
                    action_id=SETTLE_AS, options=options, initial_option=options[0]
                ),
            ),
            text_input(
                curation.STATEMENT,
                _("Why, or what happened instead"),
                optional=False,
                multiline=True,
                max_length=curation.MAX_STATEMENT,
                placeholder=_("e.g. {example}").format(
                    example=_("SK Hynix said on 20 May that no SSD deal was made")
                ),
            ),
            text_input(curation.SOURCE_URL, _("Source link (to record a fact)")),
            text_input(
                curation.SOURCE_TITLE,
                _("Source title"),
                max_length=curation.MAX_SOURCE_TITLE,
            ),
            InputBlock(
                block_id=curation.HAPPENED_ON,
                label=_("When it was said"),
                optional=True,
                element=DatePickerElement(
                    action_id=curation.HAPPENED_ON, initial_date=today.isoformat()
                ),
            ),
        ],
    )
