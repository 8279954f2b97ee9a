"""Near-duplicate headlines: the same story from two outlets becomes one candidate with two
sources. Titles are compared with rapidfuzz's token-set ratio after normalisation, only
against stories published within a week of each other.

Normalising is most of the work: the outlet's name is cut off ("… - Reuters"), every name
of a known company, person or product becomes that entity ("SKT" and "SK Telecom" are one
word), and hedges ("reportedly") go. What is left differs between two retellings in
wording; two different stories differ in a name or a number, which no retelling changes."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from rapidfuzz import fuzz

from storage.api import words

SIMILARITY = 90.0
WINDOW = timedelta(days=7)
# Token-set ratio calls a title contained in a longer one a perfect match ("Samsung" and
# "Samsung ships HBM to Microsoft"); two retellings share at least three quarters of their
# words, two stories about the same company far fewer.
MIN_SHARED = 0.75
# Neighbours up to this many are scored as they are; more are first counted by set.
FEW = 32
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
        self._postings: dict[str, set[str]] = defaultdict(set)

    def add(self, key: str, title: str | Headline, published: datetime) -> None:
        prepared = title if isinstance(title, Headline) else headline(title, self.canonical)
        self._titles[key] = (prepared, published)
        for term in prepared.terms:
            self._postings[term].add(key)

    def rename(self, old: str, new: str) -> None:
        """A headline's id changed (a new candidate numbered when it was stored)."""
        found = self._titles.pop(old, None)
        if found is None:
            return
        self._titles[new] = found
        for term in found[0].terms:
            keys = self._postings[term]
            keys.discard(old)
            keys.add(new)

    def forget(self, key: str) -> None:
        found = self._titles.pop(key, None)
        if found is not None:
            for term in found[0].terms:
                self._postings[term].discard(key)

    def _neighbours(self, terms: frozenset[str]) -> set[str]:
        """Every headline that could share ``MIN_SHARED`` of these words, found from the
        rarest ones: a headline may lack at most a quarter of them (the misses), so it has
        every word but for the misses, and two of the (misses + 2) rarest."""
        misses = int(len(terms) * (1 - MIN_SHARED))
        postings = sorted((self._postings.get(term) or set() for term in terms), key=len)
        unseen = sum(1 for keys in postings if not keys)
        if unseen > misses:
            return set()  # too many words no headline has: it retells nothing
        postings = postings[unseen:]
        misses -= unseen
        if misses == 0:
            # Every remaining word is in the headline: intersect, smallest first.
            found = set(postings[0])
            for keys in postings[1:]:
                found &= keys
                if not found:
                    break
            return found
        # Of its (misses + 2) rarest words a headline has at least two: pairs, intersected.
        rarest = postings[: misses + 2]
        if len(rarest) < 2:
            return set(rarest[0]) if rarest else set()
        found = set()
        for number, first in enumerate(rarest):
            for second in rarest[number + 1 :]:
                found |= first & second
        if len(found) <= FEW:
            return found
        # Words that travel together ("AI data centre") can leave many: keep those with
        # enough of the words, counted with set operations rather than one by one.
        hits: Counter[str] = Counter()
        for keys in postings:
            hits.update(found & keys)
        enough = len(postings) - misses
        return {key for key, count in hits.items() if count >= enough}

    def find(self, title: str | Headline, published: datetime) -> str | None:
        """The id of the story this headline retells, if one was added."""
        new = title if isinstance(title, Headline) else headline(title, self.canonical)
        if len(new.terms) < 2:
            return None
        best: tuple[float, str] | None = None
        for key in self._neighbours(new.terms):
            old, old_published = self._titles[key]
            if abs(old_published - published) > self.window:
                continue
            score = self._score(new, old)
            if score is not None and (best is None or (score, key) > best):
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
