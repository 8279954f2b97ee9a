"""One story, one candidate: the same development from two outlets, in other words or in
the other language, becomes one candidate with two sources.

Two headlines published within 72 hours of each other tell one story when either
- they retell it in nearly the same words: rapidfuzz's token-set ratio after normalising
  (the outlet's name cut off, "… - Reuters"; every name of a known company, person or
  product written as that entity, so "SKT" and "SK Telecom" are one word; hedges such as
  "reportedly" gone), with no name or number in one that the other lacks; or
- they report the same development: the same companies (a person counts as their
  company), the same products or one naming fewer, the same amounts and numbers (a
  retelling in the same language may leave them out; across languages they must match,
  "$100 million" being "1억 달러"), and something more in common: a word, for two
  headlines in one language, or the kind of development, across languages.

A different counterpart (Nvidia rather than Microsoft), amount, generation or quarter, or
a week between them, keeps two headlines apart."""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from rapidfuzz import fuzz

from slackbot.core.feeds.classify import suggested_kind
from slackbot.core.particulars import particulars
from storage.api import words

SIMILARITY = 90.0
# Headlines naming the same companies compared as developments with a new one, nearest in
# time first: retellings come within hours.
STORY_LOOKS = 200
WINDOW = timedelta(hours=72)
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
# Who and what a headline is about: its companies and its products, as entity ids.
StoryNames = Callable[[str], tuple[frozenset[str], frozenset[str]]]
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
# Capitalised words that say nothing of which story it is.
_PLAIN_NAMES = frozenset(
    "ai ceo ceos llm llms mou korean korea south tech the a an in on for to with and of".split()
)
# A capitalised word, or part of a hyphenated one ("AI-powered": AI).
_CAPITALISED = re.compile(r"(?<![\w'])[A-Z][\w&]*")
# Kinds of development that can be one story told two ways: a chip launched is a product
# to one outlet and hardware to another, and "context" is what no word decided.
_KINDRED = frozenset({frozenset({"product", "hardware"})})


def _no_story(_text: str) -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(), frozenset()


@dataclass(frozen=True, slots=True)
class Headline:
    """A headline as deduplication compares it: its words, its names and numbers, and the
    development it reports (companies, products, particulars, kind, language)."""

    text: str
    terms: frozenset[str]
    names: frozenset[str]
    companies: frozenset[str] = frozenset()
    products: frozenset[str] = frozenset()
    particulars: frozenset[str] = frozenset()
    kind: str = "context"
    korean: bool = False
    # Capitalised names that are no tracked entity (Nvidia, Azure, Japan), after the first word.
    untracked: frozenset[str] = frozenset()

    @property
    def content(self) -> frozenset[str]:
        """Its words other than the names of entities."""
        return frozenset(term for term in self.terms if not term.startswith("ent"))


def headline(
    title: str, canonical: Canonical = lambda text: text, story: StoryNames = _no_story
) -> Headline:
    plain = _without_outlet(title)
    written = canonical(plain)
    terms = [term for term in words(written) if term not in HEDGES]
    names = frozenset(_POSSESSIVE.sub("", name).casefold() for name in _NAME.findall(written))
    companies, products = story(plain)
    after_first = written.split(None, 1)[1] if " " in written.strip() else ""
    untracked = frozenset(
        name.casefold()
        for name in _CAPITALISED.findall(after_first)
        if not name.startswith("ENT") and name.casefold() not in _PLAIN_NAMES
    )
    return Headline(
        " ".join(terms),
        frozenset(terms),
        names,
        companies,
        products,
        particulars(written),
        suggested_kind(plain),
        _HANGUL.search(plain) is not None,
        untracked,
    )


def same_development(new: Headline, old: Headline) -> bool:
    """Whether two headlines report one development (see the module's docstring)."""
    if not new.companies or new.companies != old.companies:
        return False
    if not (new.products <= old.products or old.products <= new.products):
        return False
    if new.korean != old.korean:
        if new.particulars != old.particulars:
            return False
        if new.kind == old.kind and new.kind != "context":
            return True
        if frozenset({new.kind, old.kind}) in _KINDRED:
            return True
        # No kind said by both: two companies together, or the same figures or products,
        # say which development it is; one company alone in two languages could be any.
        specific = len(new.companies) > 1 or bool(new.particulars) or bool(new.products)
        return "context" in (new.kind, old.kind) and specific
    if new.particulars and old.particulars and new.particulars != old.particulars:
        return False
    if new.untracked - old.untracked and old.untracked - new.untracked:
        return False
    # Something more in common than the names: the same amounts, a word, or the kind.
    return (
        bool(new.particulars and new.particulars == old.particulars)
        or bool(new.content & old.content)
        or new.kind == old.kind
    )


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
        story: StoryNames = _no_story,
    ) -> None:
        self.canonical = canonical
        self.story = story
        self.similarity = similarity
        self.window = window
        self._titles: dict[str, tuple[Headline, datetime]] = {}
        self._postings: dict[str, set[str]] = defaultdict(set)
        # Headlines by the companies they name, in order of publication: a headline is
        # compared as a development with the nearest in time only (see STORY_LOOKS).
        self._by_companies: dict[frozenset[str], list[tuple[float, str]]] = defaultdict(list)

    def _prepared(self, title: str | Headline) -> Headline:
        return title if isinstance(title, Headline) else headline(title, self.canonical, self.story)

    def add(self, key: str, title: str | Headline, published: datetime) -> None:
        prepared = self._prepared(title)
        self._titles[key] = (prepared, published)
        for term in prepared.terms:
            self._postings[term].add(key)
        if prepared.companies:
            bisect.insort(self._by_companies[prepared.companies], (published.timestamp(), key))

    def rename(self, old: str, new: str) -> None:
        """A headline's id changed (a new candidate numbered when it was stored)."""
        found = self._titles.pop(old, None)
        if found is None:
            return
        self._titles[new] = found
        for keys in (self._postings[term] for term in found[0].terms):
            keys.discard(old)
            keys.add(new)
        if self._unlist(old, found):
            bisect.insort(self._by_companies[found[0].companies], (found[1].timestamp(), new))

    def _unlist(self, key: str, found: tuple[Headline, datetime]) -> bool:
        """Takes the headline out of its companies' list; whether it was there."""
        listed = self._by_companies.get(found[0].companies) if found[0].companies else None
        if not listed:
            return False
        entry = (found[1].timestamp(), key)
        at = bisect.bisect_left(listed, entry)
        if at < len(listed) and listed[at] == entry:
            del listed[at]
            return True
        return False

    def forget(self, key: str) -> None:
        found = self._titles.pop(key, None)
        if found is not None:
            for term in found[0].terms:
                self._postings[term].discard(key)
            self._unlist(key, found)

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
        """The id of the story this headline retells, if one was added: the closest
        retelling in words, else the nearest in time reporting the same development."""
        new = self._prepared(title)
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
        if best is not None:
            return best[1]
        for key in self._nearest_in_time(new.companies, published):
            if same_development(new, self._titles[key][0]):
                return key
        return None

    def _nearest_in_time(self, companies: frozenset[str], published: datetime) -> Iterator[str]:
        """The headlines naming these companies within the window, nearest in time first,
        at most STORY_LOOKS of them: a busy company's hundreds of stories a week are not
        each compared with every new one."""
        listed = self._by_companies.get(companies) if companies else None
        if not listed:
            return
        moment, reach = published.timestamp(), self.window.total_seconds()
        right = bisect.bisect_left(listed, (moment, ""))
        left = right - 1
        for _look in range(STORY_LOOKS):
            before = moment - listed[left][0] if left >= 0 else math.inf
            after = listed[right][0] - moment if right < len(listed) else math.inf
            if min(before, after) > reach:
                return
            if before <= after:
                yield listed[left][1]
                left -= 1
            else:
                yield listed[right][1]
                right += 1

    def _score(self, new: Headline, old: Headline) -> float | None:
        if new.companies and old.companies and new.companies != old.companies:
            return None  # the same words about another company
        shared = len(new.terms & old.terms) / max(len(new.terms), len(old.terms))
        if shared < MIN_SHARED:
            return None
        # Each has a name or number the other lacks: two developments, not one retold.
        if (new.names - old.names) and (old.names - new.names):
            return None
        score = fuzz.token_set_ratio(new.text, old.text)
        return score if score >= self.similarity else None
