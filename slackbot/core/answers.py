"""The questions that have answers, as plain data: what /whois, /chips and /summit ask.

"Share to channel", mentions and the Messages tab rebuild an answer from its command and
words through here, so every way in gives the same answer. (Curating sub-commands such as
``/summit retract`` change things; they are not answers and are not here.)"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date

from slackbot.core.claims import OpenClaims, SubjectUnclear, open_claims
from slackbot.core.curation import Curator, History
from slackbot.core.digests import Digest, DigestService, TrackResult
from slackbot.core.intel import (
    ChipsAnswer,
    OneFact,
    Overview,
    SearchAnswer,
    SummitIntel,
    WhoAnswer,
)
from slackbot.core.timeline import DateError, Timeline, parse_date, split_since, timeline
from slackbot.core.wording import N_
from slackbot.core.words import (
    ANSWERING_COMMANDS,
    LOOKUP_ALIASES,
    LOOKUP_COMMAND,
    Asked,
    summit_words,
)
from storage.api import fact_number

SEARCH_RESULTS = 10
# Developments one /summit since answer shows; the rest are counted.
SINCE_SHOWN = 40


@dataclass(frozen=True)
class HelpWanted:
    """The help, because it was asked for or because the words were not understood."""

    unknown: str | None = None


@dataclass(frozen=True)
class FirstOfSeveral:
    """Several names asked at once (``/whois samsung, sk hynix``): the first one's answer,
    and the others, to ask next."""

    answer: WhoAnswer
    answered: str
    others: list[str]


@dataclass(frozen=True)
class NoSuchFact:
    fact_id: str


@dataclass(frozen=True)
class Usage:
    """Words a sub-command did not understand, with what to type instead: a template marked
    for translation (``N_``) and the values that fill it."""

    problem: str
    values: dict[str, str] = field(default_factory=dict)

    def text(self, translate: Callable[[str], str] = lambda template: template) -> str:
        return translate(self.problem).format(**self.values)


@dataclass(frozen=True)
class SinceAnswer:
    """What moved since a date (``/summit since``): a digest for one person, composed as a
    channel's would be, of everything or of the names given."""

    since: date
    names: str
    digest: Digest  # its first SINCE_SHOWN developments
    tracking: TrackResult
    total: int  # developments in all
    counts: dict[str, int]  # in all, by label: new, status change, retracted


Answer = (
    FirstOfSeveral
    | NoSuchFact
    | WhoAnswer
    | ChipsAnswer
    | Overview
    | SearchAnswer
    | History
    | HelpWanted
    | OneFact
    | Usage
    | SinceAnswer
    | Timeline
    | SubjectUnclear
    | OpenClaims
)


def answer(
    intel: SummitIntel,
    curator: Curator,
    command: str,
    text: str,
    *,
    digests: DigestService | None = None,
    timezone: str = "UTC",
) -> Answer:
    """The answer to ``command`` with ``text``; KeyError for a command that does not answer.
    ``digests`` composes ``/summit since``; dates are read in ``timezone``."""
    # A fact id (F9, f9, F009) asks for that one fact, wherever it is typed.
    if command in ANSWERING_COMMANDS and fact_number(text) is not None:
        found = intel.one_fact(text)
        return found if found is not None else NoSuchFact(text.strip())
    if command == LOOKUP_COMMAND or command in LOOKUP_ALIASES:
        names = [name.strip() for name in re.split(r"[,;]", text) if name.strip()]
        if len(names) > 1:
            return FirstOfSeveral(intel.who(names[0]), names[0], names[1:])
        return intel.who(text)
    if command == "/chips":
        return intel.chips(text)
    if command != "/summit":
        raise KeyError(command)
    words = summit_words(text)
    rest = words.rest
    match words.asked:
        case Asked.OVERVIEW:
            # The overview opens with the summit's date and format.
            return intel.overview()
        case Asked.HELP:
            return HelpWanted()
        case Asked.SEARCH:
            return intel.search(rest, SEARCH_RESULTS)
        case Asked.HISTORY:
            return curator.history(rest, intel.matcher.match)
        case Asked.TIMELINE:
            try:
                subject, since = split_since(rest)
            except DateError as error:
                return Usage(
                    N_("“{typed}” is not a date: write it as {form}, e.g. {example}."),
                    {
                        "typed": error.typed,
                        "form": "2024-06-01",
                        "example": "`/summit timeline samsung since 2024-05-01`",
                    },
                )
            return timeline(intel, subject, since)
        case Asked.OPEN_CLAIMS:
            return open_claims(intel.store, intel.matcher, intel.claims, rest)
        case Asked.SINCE if digests is not None:
            return since_answer(digests, rest, timezone)
        case _:
            return HelpWanted(unknown=words.text)


def since_answer(digests: DigestService, text: str, timezone: str) -> Usage | SinceAnswer:
    """``2024-06-01 [samsung, hbm]``: the day (from its midnight in ``timezone``) and
    what to follow, as ``/digest track`` takes it."""
    day, _, names = text.strip().partition(" ")
    examples = "`/summit since 2024-06-01`, `/summit since 2024-06-01 samsung, hbm`"
    if not day:
        return Usage(N_("Say from which day, e.g. {examples}."), {"examples": examples})
    try:
        since = parse_date(day)
    except DateError as error:
        return Usage(
            N_("“{typed}” is not a date: write it as {form}, e.g. {example}."),
            {"typed": error.typed, "form": "2024-06-01", "example": examples},
        )
    wanted = tuple(name.strip() for name in re.split(r"[,;]", names) if name.strip())
    digest, tracking = digests.moved_since(since, wanted, timezone)
    return SinceAnswer(
        since,
        names.strip(),
        first_developments(digest, SINCE_SHOWN),
        tracking,
        len(digest.developments),
        digest.counts(),
    )


def first_developments(digest: Digest, limit: int) -> Digest:
    """The digest cut to its first ``limit`` developments (in its own order): one answer
    shows a few dozen; rendering all of a busy year's would take seconds."""
    groups, left = [], limit
    for group in digest.groups:
        if left <= 0:
            break
        groups.append(replace(group, developments=group.developments[:left]))
        left -= len(groups[-1].developments)
    return replace(digest, groups=groups)
