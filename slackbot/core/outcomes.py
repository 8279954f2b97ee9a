"""Settling open claims: an admin records what came of one (a new fact linked as its
outcome: that it happened, or a fact saying it did not), or keeps it open to a review day.
Retracting a claim that did not happen is the curator's ordinary retraction. Each change
is one batch with its revisions, so a claim is never linked to a fact that was not stored."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from slackbot.core.claims import is_open
from slackbot.core.curation import STATUS, Curator, FactDraft, Rejected, diff
from slackbot.core.wording import N_, said
from storage.api import Fact, Revision

# What can settle a claim: something that happened (or was reported to), not another claim.
OUTCOME_STATUSES = ("confirmed", "reported")
# A review day further out than this is a typo more often than a plan.
MAX_REVIEW_DAYS = 3 * 365


def open_claim(curator: Curator, claim_id: str) -> Fact:
    claim = curator.require(claim_id)
    if claim.status != "expected":
        raise Rejected(
            {STATUS: said(N_("{id} is not an Expected claim: nothing to settle."), id=claim.id)}
        )
    if not is_open(claim):
        raise Rejected(
            {
                STATUS: said(
                    N_("{id} already has its outcome, {outcome}."),
                    id=claim.id,
                    outcome=claim.outcome,
                )
            }
        )
    return claim


def outcome_draft(claim: Fact) -> FactDraft:
    """The form an admin fills in for what happened: the claim's companies, kind and tags,
    Confirmed, and the statement left for them to write."""
    return FactDraft(
        statement="",
        kind=claim.kind,
        status="confirmed",
        entity_ids=claim.entity_ids,
        tags=claim.tags,
    )


def record_outcome(
    curator: Curator, claim_id: str, draft: FactDraft, by: str, *, happened: bool = True
) -> Fact:
    """Stores the fact ``draft`` describes and links it to the claim as its outcome (with
    ``happened`` False: a fact saying the claim did not come true); raises ``Rejected`` with
    field errors (the claim settled meanwhile, a draft that is itself a claim). Returns the
    new fact."""
    store = curator.store
    with store.transaction():
        claim = open_claim(curator, claim_id)
        if draft.status not in OUTCOME_STATUSES:
            raise Rejected(
                {STATUS: said(N_("An outcome is Confirmed or Reported: it says what happened."))}
            )
        errors = curator.validate(draft)
        if errors:
            raise Rejected(errors)
        entity_ids, new_entity = curator.entities_for(draft)
        now = curator.now_stamp()
        fact = replace(
            curator.fact_from_draft(draft, store.next_fact_id(), entity_ids),
            added_at=now,
            updated_at=now,
            added_by=by,
            origin="admin",
        )
        settled = replace(
            claim,
            outcome=fact.id,
            did_not_happen=not happened,
            revision=claim.revision + 1,
            updated_at=now,
        )
        revisions = [
            Revision(fact.id, 1, now, by, "added", diff(None, fact), f"outcome of {claim.id}"),
            Revision(claim.id, settled.revision, now, by, "edited", diff(claim, settled)),
        ]
        store.put_many([new_entity] if new_entity else [], [fact, settled], revisions)
        return fact


def keep_open(curator: Curator, claim_id: str, review_on: str, by: str) -> Fact:
    """Keeps the claim open, to be looked at again on ``review_on`` (an ISO day ahead)."""
    store = curator.store
    with store.transaction():
        claim = open_claim(curator, claim_id)
        today = curator.clock().date()
        try:
            day = date.fromisoformat(review_on.strip())
        except ValueError:
            raise Rejected(
                {"review_on": said(N_("Pick a day, e.g. {example}."), example="2025-01-31")}
            ) from None
        if day <= today:
            raise Rejected({"review_on": said(N_("Pick a day after today."))})
        if (day - today).days > MAX_REVIEW_DAYS:
            raise Rejected({"review_on": said(N_("Pick a day within three years."))})
        now = curator.now_stamp()
        kept = replace(
            claim, review_on=day.isoformat(), revision=claim.revision + 1, updated_at=now
        )
        revision = Revision(claim.id, kept.revision, now, by, "edited", diff(claim, kept))
        store.put_fact(kept, revision)
        return kept
