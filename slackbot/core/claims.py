"""Open claims: what the summit said *may* happen (an Expected fact), followed to an outcome.

A claim stays open until an admin records what came of it: a new fact (Confirmed or
Reported) linked as its ``outcome``, or a retraction. A claim open longer than the stale
limit (SUMMITBOT_STALE_DAYS, 90 days by default) is stale, unless an admin kept it open to a
review day still ahead: every card that shows it says so, and admins see it listed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from slackbot.core.matching import EntityMatcher
from storage.api import Entity, Fact, Repository, first_day, utc_now

DEFAULT_STALE_DAYS = 90


@dataclass(frozen=True)
class ClaimState:
    claim: Fact
    open_days: int  # since it was reported (else dated, else stored)
    stale: bool
    outcome: Fact | None  # the fact saying what came of it, once recorded


def claim_day(fact: Fact, event_day: str | None = None) -> date:
    """When the claim was made: the day its source reported it (a month counts from its
    first day), else the day it is dated, else, for the seed's claims (quoted from the
    article about the summit), the summit's day, else the day it was stored. Counting a claim
    from the day it was stored would make a 2024 claim look new."""
    if fact.reported_on:
        return date.fromisoformat(first_day(fact.reported_on))
    if fact.happened_on:
        return date.fromisoformat(fact.happened_on)
    if fact.origin == "seed" and event_day:
        return date.fromisoformat(event_day)
    return date.fromisoformat(fact.added_at[:10] or "2024-05-14")


def is_open(fact: Fact) -> bool:
    return fact.status == "expected" and fact.outcome is None


class ClaimBook:
    """The state of claims as of today (by ``clock``), for the cards that show them."""

    def __init__(
        self,
        store: Repository,
        *,
        clock: Callable[[], datetime] = utc_now,
        stale_days: int = DEFAULT_STALE_DAYS,
    ) -> None:
        self.store = store
        self.clock = clock
        self.stale_days = stale_days

    def today(self) -> date:
        return self.clock().date()

    def state(self, fact: Fact, today: date | None = None) -> ClaimState | None:
        """None for a fact that is not a claim (not Expected)."""
        if fact.status != "expected":
            return None
        today = today or self.today()
        outcome = self.store.fact(fact.outcome) if fact.outcome else None
        event = self.store.event() if fact.origin == "seed" else None
        days = max((today - claim_day(fact, event.date if event else None)).days, 0)
        kept_open = fact.review_on is not None and fact.review_on > today.isoformat()
        stale = outcome is None and days > self.stale_days and not kept_open
        return ClaimState(fact, days, stale, outcome)

    def states(self, facts: Iterable[Fact]) -> dict[str, ClaimState]:
        today = self.today()
        found = {}
        for fact in facts:
            state = self.state(fact, today)
            if state is not None and (state.stale or state.outcome is not None):
                found[fact.id] = state
        return found


@dataclass(frozen=True)
class OpenClaims:
    subject: Entity | None  # None: every open claim
    claims: list[ClaimState]  # oldest first
    stale_days: int


@dataclass(frozen=True)
class SubjectUnclear:
    """The words name no entity, or several: the person picks."""

    query: str
    matches: list[Entity]
    sub_command: str  # the /summit sub-command asked, to suggest again with a name


def subject_of(
    matcher: EntityMatcher, query: str, sub_command: str
) -> tuple[Entity, list[str]] | SubjectUnclear:
    """The one entity ``query`` names, with the ids a question about it covers: a company
    brings its people along, as its card does."""
    matches = matcher.match(query)
    if len(matches) != 1:
        return SubjectUnclear(query, matches[:10], sub_command)
    subject = matches[0]
    return subject, [subject.id, *(person.id for person in matcher.people_of(subject.id))]


def facts_about(
    store: Repository, matcher: EntityMatcher, query: str, sub_command: str
) -> tuple[Entity | None, list[Fact]] | SubjectUnclear:
    """The entity ``query`` names and every fact about it (its people's too), oldest first;
    with no words, every fact in the store."""
    if not query.strip():
        return None, store.facts()
    found = subject_of(matcher, query, sub_command)
    if isinstance(found, SubjectUnclear):
        return found
    subject, involved = found
    return subject, store.facts_involving(involved)


def open_claims(
    store: Repository, matcher: EntityMatcher, book: ClaimBook, query: str
) -> OpenClaims | SubjectUnclear:
    """``/summit open [company]``: the claims nothing has settled yet, oldest first."""
    found = facts_about(store, matcher, query, "open")
    if isinstance(found, SubjectUnclear):
        return found
    subject, facts = found
    today = book.today()
    states = [book.state(fact, today) for fact in facts if is_open(fact)]
    claims = sorted(
        (state for state in states if state is not None),
        key=lambda state: (-state.open_days, state.claim.number),
    )
    return OpenClaims(subject, claims, book.stale_days)
