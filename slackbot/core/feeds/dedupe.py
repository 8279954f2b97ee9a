"""Near-duplicate headlines: the same story from two outlets becomes one candidate with two
sources. Titles are compared with rapidfuzz's token-set ratio after normalisation, only
against stories published within a week of each other.

Normalising is most of the work: the outlet's name is cut off ("… - Reuters"), every name
of a known company, person or product becomes that entity ("SKT" and "SK Telecom" are one
word), and hedges ("reportedly") go. What is left differs between two retellings in
wording; two different stories differ in a name or a number, which no retelling changes."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from rapidfuzz import fuzz

from storage.text import words

SIMILARITY = 90.0
WINDOW = timedelta(days=7)
# A headline is compared with the stories sharing one of its rarest words: the same story
# retold keeps its distinctive words, and common ones ("Samsung", "AI") would make every
# headline a neighbour of thousands.
RARE_WORDS = 3
# Token-set ratio calls a title contained in a longer one a perfect match ("Samsung" and
# "Samsung ships HBM to Microsoft"); two retellings share at least three quarters of their
# words, two stories about the same company far fewer.
MIN_SHARED = 0.75
HEDGES = frozenset("reportedly officially quietly finally also now just still".split())
# "… - Reuters", "… | Yonhap": the outlet's name is not part of the story.
_OUTLET_SUFFIX = re.compile(r"\s+[-|\u2013\u2014:]\s+[^-|\u2013\u2014:]{1,40}$")
# Names and numbers: capitalised words after the first, and anything with a digit.
_NAME = re.compile(r"(?<=\s)[A-Z][\w.&'-]*|\b\w*\d\w*\b")

_POSSESSIVE = re.compile(r"['\u2019]s?$")

Canonical = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Headline:
    """A headline as deduplication compares it: its words, and its names and numbers."""

    text: str
    terms: frozenset[str]
    names: frozenset[str]


def headline(title: str, canonical: Canonical = lambda text: text) -> Headline:
    story = canonical(_without_outlet(title))
    terms = [term for term in words(story) if term not in HEDGES]
    names = frozenset(_POSSESSIVE.sub("", name).casefold() for name in _NAME.findall(story))
    return Headline(" ".join(terms), frozenset(terms), names)


def _without_outlet(title: str) -> str:
    for _ in range(3):
        shorter = _OUTLET_SUFFIX.sub("", title)
        if shorter == title:
            break
        title = shorter
    return title


class NearDuplicates:
    """Headlines seen recently, by id, answering which one a new headline retells."""

    def __init__(
        self,
        canonical: Canonical = lambda text: text,
        similarity: float = SIMILARITY,
        window: timedelta = WINDOW,
    ) -> None:
        self.canonical = canonical
        self.similarity = similarity
        self.window = window
        self._titles: dict[str, tuple[Headline, datetime]] = {}
        self._postings: dict[str, list[str]] = defaultdict(list)

    def add(self, key: str, title: str | Headline, published: datetime) -> None:
        prepared = title if isinstance(title, Headline) else headline(title, self.canonical)
        self._titles[key] = (prepared, published)
        for term in prepared.terms:
            self._postings[term].append(key)

    def find(self, title: str | Headline, published: datetime) -> str | None:
        """The id of the story this headline retells, if one was added."""
        new = title if isinstance(title, Headline) else headline(title, self.canonical)
        if len(new.terms) < 2:
            return None
        rare = sorted(new.terms, key=lambda term: len(self._postings.get(term, ())))
        best: tuple[float, str] | None = None
        looked: set[str] = set()
        for term in rare[:RARE_WORDS]:
            for key in self._postings.get(term, ()):
                if key in looked:
                    continue
                looked.add(key)
                old, old_published = self._titles[key]
                if abs(old_published - published) > self.window:
                    continue
                score = self._score(new, old)
                if score is not None and (best is None or score > best[0]):
                    best = (score, key)
        return best[1] if best else None

    def _score(self, new: Headline, old: Headline) -> float | None:
        shared = len(new.terms & old.terms) / max(len(new.terms), len(old.terms))
        if shared < MIN_SHARED:
            return None
        # Each has a name or number the other lacks: two developments, not one retold.
        if (new.names - old.names) and (old.names - new.names):
            return None
        score = fuzz.token_set_ratio(new.text, old.text)
        return score if score >= self.similarity else None
