"""Facts over time: what happened to a company or product (or to everyone), in the order it
happened, a page at a time; and the words ``/summit timeline`` and ``/summit since`` take.

A fact's place in time is its own date: when it happened if the source says, else when the
source reported it (a month, such as the seed article's May 2024, counts from its first
day). When it was recorded here is another matter: placing a 2024 claim on the day a store
was set up would put it in whatever month that was. Facts with no date at all (an import
that gave none) come last, as "Undated"; ``since`` counts those from the day they were
recorded."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from slackbot.core.claims import ClaimState, SubjectUnclear, facts_about
from slackbot.core.intel import SummitIntel
from storage.api import Entity, Fact, first_day

# Facts on one page of a timeline: a month's facts share a section, so this stays well
# within Block Kit's 50 blocks even when every fact falls in another month.
TIMELINE_PAGE = 40
_SINCE = re.compile(r"^(?P<subject>.*?)\s*(?:\bsince\s+(?P<since>\S+))?\s*$", re.IGNORECASE)


class DateError(ValueError):
    """A date the person typed that is not one; the message says what to type."""

    def __init__(self, typed: str) -> None:
        super().__init__(f"“{typed}” is not a date: write it as 2024-06-01")
        self.typed = typed


def parse_date(text: str) -> date:
    """2024-06-01, or a month (2024-06) meaning its first day."""
    cleaned = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}", cleaned):
            return date.fromisoformat(f"{cleaned}-01")
        return date.fromisoformat(cleaned)
    except ValueError:
        raise DateError(cleaned[:40]) from None


def split_since(text: str) -> tuple[str, date | None]:
    """``samsung since 2024-05-01`` → ("samsung", 2024-05-01); the date is optional."""
    found = _SINCE.match(text.strip())
    assert found is not None  # the pattern matches any text
    since = found.group("since")
    return found.group("subject").strip(), parse_date(since) if since else None


def fact_day(fact: Fact) -> str:
    """The ISO day a fact is placed on: its own date, else the day it was recorded."""
    return fact.day_key


def date_order(fact: Fact) -> tuple[bool, str, int]:
    """Sort key of the timeline: dated facts by day, then the undated ones, each by id."""
    dated = fact.dated_on
    return (dated is None, first_day(dated) if dated else "", fact.number)


@dataclass(frozen=True)
class Timeline:
    subject: Entity | None  # None: every fact in the store
    since: date | None
    facts: list[Fact]  # oldest first
    later: int  # facts after this page
    next_since: date | None  # where the next page starts; None when no date moves it on
    retracted: int  # retracted facts left off the line
    claims: dict[str, ClaimState] = field(default_factory=dict)  # stale or settled ones


def timeline(intel: SummitIntel, query: str, since: date | None) -> Timeline | SubjectUnclear:
    found = facts_about(intel.store, intel.matcher, query, "timeline")
    if isinstance(found, SubjectUnclear):
        return found
    subject, facts = found
    active = [fact for fact in facts if fact.status != "retracted"]
    start = since.isoformat() if since else ""
    on_the_line = sorted((fact for fact in active if fact_day(fact) >= start), key=date_order)
    page, rest = on_the_line[:TIMELINE_PAGE], on_the_line[TIMELINE_PAGE:]
    next_since = None
    if rest and rest[0].dated_on and date_order(rest[0])[1] > date_order(page[0])[1]:
        next_since = date.fromisoformat(date_order(rest[0])[1])
    retracted = len(facts) - len(active)
    claims = intel.claims.states(page)
    return Timeline(subject, since, page, len(rest), next_since, retracted, claims)
