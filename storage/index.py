"""In-memory indexes from search terms to facts.

Facts are identified here by their number (F12 -> 12) and sets of facts are roaring bitmaps
(pyroaring): a term found in half of 100,000 facts takes a few kilobytes instead of megabytes
of Python set, and intersections and unions over such sets run in microseconds. A term found
in one fact only (most of a large vocabulary) is kept as that fact's number.

Statements and tags are indexed per fact. Entity names are indexed once per entity (a term
finds the entities it names, and so their facts), not copied into every fact that names them.
"""

from __future__ import annotations

import base64
import bisect
import functools
import itertools
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from itertools import repeat
from typing import Any

from pyroaring import BitMap
from rapidfuzz import fuzz, process

from storage.text import term_set, words

STATEMENT_WEIGHT = 1.0
ENTITY_WEIGHT = 1.5
TAG_WEIGHT = 2.0
MAX_COMPLETIONS = 50
NEAR_CACHE_SIZE = 4096

Group = tuple[tuple[int, float], BitMap]


class _Vocabulary:
    """The sorted terms of an index, for completions and typo matching."""

    postings: Mapping[str, Any]

    def __init__(self) -> None:
        self._vocabulary: list[str] = []
        # The same split in two for typo matching: a word is never a close spelling of a
        # number nor a number of a word, and numbers (years, amounts, counts) can be most of
        # a large store's terms (100,000 of them in a 100,000-fact store, whose words
        # number a few hundred). Scanning them took milliseconds per new typo.
        self._spellings: tuple[list[str], list[str]] = ([], [])
        self._stale = False
        # Completions and close spellings found for terms not indexed as written: finding
        # them scans the vocabulary (about a millisecond at 100,000 facts), and the same few
        # words are asked again and again. Emptied whenever the vocabulary changes.
        self._near: dict[str, list[tuple[str, float]]] = {}

    def vocabulary(self) -> list[str]:
        if self._stale:
            ordered = sorted(self.postings)
            numbers = [term for term in ordered if term.isdigit()]
            words = [term for term in ordered if not term.isdigit()]
            self._vocabulary, self._spellings = ordered, (words, numbers)
            self._near.clear()
            self._stale = False
        return self._vocabulary

    def _term_added(self, term: str) -> None:
        """A term new to the index goes into the sorted lists where it belongs: sorting
        them all again after a save took the next search 12 ms at 100,000 facts."""
        if not self._stale:
            bisect.insort(self._vocabulary, term)
            bisect.insort(self._spellings[term.isdigit()], term)
            self._near.clear()

    def _term_removed(self, term: str) -> None:
        if not self._stale:
            for ordered in (self._vocabulary, self._spellings[term.isdigit()]):
                at = bisect.bisect_left(ordered, term)
                if at < len(ordered) and ordered[at] == term:
                    del ordered[at]
            self._near.clear()

    def _spelled_like(self, term: str) -> list[str]:
        """The terms ``term`` may be a misspelling of: numbers for a number, else words."""
        self.vocabulary()
        words, numbers = self._spellings
        return numbers if term.isdigit() else words

    def expand(self, term: str) -> list[tuple[str, float]]:
        """The indexed terms a query term stands for, with how exact each is: itself, else
        its completions, else close spellings."""
        if term in self.postings:
            return [(term, 1.0)]
        self.vocabulary()  # brought up to date, and the close spellings with it
        known = self._near.get(term)
        if known is None:
            if len(self._near) >= NEAR_CACHE_SIZE:
                self._near.clear()
            known = self._near[term] = self._near_terms(term)
        return known

    def _near_terms(self, term: str) -> list[tuple[str, float]]:
        vocabulary = self.vocabulary()
        if len(term) >= 3:
            start = bisect.bisect_left(vocabulary, term)
            completions = []
            for candidate in vocabulary[start : start + MAX_COMPLETIONS]:
                if not candidate.startswith(term):
                    break
                completions.append((candidate, 0.8))
            if completions:
                return completions
        if len(term) >= 4:
            matches = process.extract(
                term, self._spelled_like(term), scorer=fuzz.ratio, score_cutoff=80, limit=3
            )
            return [(match, 0.8) for match, _score, _index in matches]
        return []


class FactTermIndex(_Vocabulary):
    """term -> the numbers of the facts holding it: an int for one fact, else a bitmap."""

    def __init__(self) -> None:
        super().__init__()
        self.postings: dict[str, int | BitMap] = {}
        self._pending: defaultdict[str, list[int]] | None = None

    def begin_bulk(self) -> None:
        """Collects added terms in lists until ``end_bulk``: a store loading 100,000 facts
        appends to a list per term in C instead of updating a posting per term in Python."""
        self._pending = defaultdict(list)

    def end_bulk(self) -> None:
        pending, self._pending = self._pending, None
        if not pending:
            return
        postings = self.postings
        for term, numbers in pending.items():
            found = postings.get(term)
            if found is None and len(numbers) == 1:
                postings[term] = numbers[0]
            else:
                merged = BitMap(numbers)
                if isinstance(found, int):
                    merged.add(found)
                elif found is not None:
                    merged |= found
                postings[term] = merged if len(merged) > 1 else merged[0]
        self._stale = True

    def dump(self) -> dict[str, int | str]:
        """The postings as JSON values: a fact number, or a serialized bitmap in base64. In
        term order, so that sorting them again after ``restore`` is one pass (timsort finds
        them in order): a million terms took a first search a second to sort."""
        dumped: dict[str, int | str] = {}
        for term in self.vocabulary():
            found = self.postings[term]
            dumped[term] = found if isinstance(found, int) else bitmap_text(found)
        return dumped

    def restore(self, dumped: dict[str, int | str]) -> None:
        """Takes back what ``dump`` gave (raises ValueError if it is not that)."""
        for term, found in dumped.items():
            if isinstance(found, str):
                dumped[term] = bitmap_from_text(found)  # type: ignore[assignment]
            elif type(found) is not int:
                raise ValueError(f"not a posting: {found!r:.40}")
        self.postings = dumped  # type: ignore[assignment]
        self._stale = True

    def add(self, number: int, terms: Iterable[str]) -> None:
        if self._pending is not None:
            deque(map(list.append, map(self._pending.__getitem__, terms), repeat(number)), 0)
            return
        postings = self.postings
        for term in terms:
            found = postings.get(term)
            if found is None:
                postings[term] = number
                self._term_added(term)
            elif type(found) is int:
                if found != number:
                    postings[term] = BitMap((found, number))
            else:
                found.add(number)  # type: ignore[union-attr]

    def remove(self, number: int, terms: Iterable[str]) -> None:
        postings = self.postings
        for term in terms:
            found = postings.get(term)
            if found is None:
                continue
            if type(found) is int:
                if found == number:
                    del postings[term]
                    self._term_removed(term)
                continue
            found.discard(number)  # type: ignore[union-attr]
            if len(found) == 1:  # type: ignore[arg-type]
                postings[term] = found[0]  # type: ignore[index]

    def get(self, term: str) -> BitMap:
        """The facts holding the term, as a bitmap callers may read but not change."""
        found = self.postings.get(term)
        if found is None:
            return BitMap()
        return BitMap((found,)) if type(found) is int else found  # type: ignore[return-value]

    def count(self, term: str) -> int:
        found = self.postings.get(term)
        if found is None:
            return 0
        return 1 if type(found) is int else len(found)  # type: ignore[arg-type]


class NameTermIndex(_Vocabulary):
    """term -> the ids of the entities whose names hold it (a few thousand entities at most)."""

    def __init__(self) -> None:
        super().__init__()
        self.postings: dict[str, set[str]] = defaultdict(set)

    def set_names(self, entity_id: str, names: Iterable[str], old_names: Iterable[str]) -> None:
        for term in {t for name in old_names for t in words(name)}:
            ids = self.postings.get(term)
            if ids is not None:
                ids.discard(entity_id)
                if not ids:
                    del self.postings[term]
                    self._term_removed(term)
        for term in {t for name in names for t in words(name)}:
            new = term not in self.postings
            self.postings[term].add(entity_id)
            if new:
                self._term_added(term)


class WordIndex:
    """Facts by the words of their statements and their tags, plus the facts of entities whose
    names hold a word (through ``facts_of_entities``)."""

    def __init__(self, facts_of_entities: Callable[[Iterable[str]], BitMap]) -> None:
        self.statements = FactTermIndex()
        self.tags = FactTermIndex()
        self.entity_names = NameTermIndex()
        self._facts_of_entities = facts_of_entities

    def begin_bulk(self) -> None:
        self.statements.begin_bulk()
        self.tags.begin_bulk()

    def end_bulk(self) -> None:
        self.statements.end_bulk()
        self.tags.end_bulk()

    def dump(self) -> dict[str, dict[str, int | str]]:
        return {"statements": self.statements.dump(), "tags": self.tags.dump()}

    def restore(self, dumped: dict[str, dict[str, int | str]]) -> None:
        statements, tags = FactTermIndex(), FactTermIndex()
        statements.restore(dumped["statements"])
        tags.restore(dumped["tags"])
        self.statements, self.tags = statements, tags

    def add(self, number: int, statement: str, tags: tuple[str, ...]) -> None:
        self.statements.add(number, term_set(statement))
        self.tags.add(number, _tag_terms(tags))

    def remove(self, number: int, statement: str, tags: tuple[str, ...]) -> None:
        """Takes the fact's old statement and tags: its terms are worked out again rather
        than kept per fact, which would double the index."""
        self.statements.remove(number, term_set(statement))
        self.tags.remove(number, _tag_terms(tags))

    def set_entity(self, entity_id: str, names: Iterable[str], old_names: Iterable[str]) -> None:
        self.entity_names.set_names(entity_id, names, old_names)

    def term_fields(self, term: str) -> list[tuple[float, BitMap]]:
        """The facts a query term finds, as (weight, facts) from the heaviest field down."""
        fields: list[tuple[float, BitMap]] = []
        for indexed, exactness in self.tags.expand(term):
            found = self.tags.get(indexed)
            if found:
                fields.append((TAG_WEIGHT * exactness, found))
        for indexed, exactness in self.entity_names.expand(term):
            found = self._facts_of_entities(self.entity_names.postings.get(indexed, ()))
            if found:
                fields.append((ENTITY_WEIGHT * exactness, found))
        for indexed, exactness in self.statements.expand(term):
            found = self.statements.get(indexed)
            if found:
                fields.append((STATEMENT_WEIGHT * exactness, found))
        fields.sort(key=lambda field: -field[0])
        return fields

    def ranked_groups(
        self, query: str, exclude: BitMap, limit: int | None
    ) -> tuple[list[Group], BitMap]:
        """Matching facts in groups of equal (terms matched, score), best group first, and
        every fact that matches at all (``exclude`` included).

        Only bitmap operations, so a common word matching most of the store costs well
        under a millisecond. Facts matching every term come first; the partial matches are
        grouped only when there are too few of those."""
        per_term = [self.term_fields(term) for term in dict.fromkeys(words(query))]
        if not per_term:
            return [], BitMap()
        unions = [
            BitMap.union(BitMap(), *(found for _weight, found in fields)) for fields in per_term
        ]
        everything = BitMap.union(BitMap(), *unions)
        complete = BitMap.intersection(*unions) - exclude
        groups = _group(complete, per_term)
        if limit is None or len(complete) < limit:
            groups += _group(everything - exclude - complete, per_term)
        groups.sort(key=lambda item: (-item[0][0], -item[0][1]))
        return groups, everything

    def sharing_rare_terms(self, text: str, count: int = 4) -> BitMap:
        """Facts sharing two of the text's ``count`` rarest statement terms (the one, for a
        text with one): a shortlist of possible near-duplicates, whatever the size of the
        store. A statement that reads almost the same shares nearly every word, so a typo
        in one of those terms still leaves it on the list; one shared word, when the words
        are common, put a third of a large store on it."""
        statements = self.statements
        postings = statements.postings
        # Ties go by the term itself, so the same text always gets the same shortlist.
        terms = sorted(
            postings.keys() & term_set(text), key=lambda term: (statements.count(term), term)
        )
        found = [postings[term] for term in terms[:count]]
        if len(found) < 2:
            return BitMap() if not found else _as_bitmap(found[0])
        # A rare term is often in one fact, kept as a bare number: those pairs are worked
        # out without building bitmaps, which took most of a check of an import line.
        shared: set[int] = set()
        both: list[BitMap] = []
        for a, b in itertools.combinations(found, 2):
            if isinstance(a, int):
                if a == b if isinstance(b, int) else a in b:
                    shared.add(a)
            elif isinstance(b, int):
                if b in a:
                    shared.add(b)
            else:
                both.append(a & b)
        return BitMap.union(BitMap(shared), *both)


def _as_bitmap(found: int | BitMap) -> BitMap:
    return BitMap((found,)) if isinstance(found, int) else found


@functools.lru_cache(maxsize=4096)
def _tag_terms(tags: tuple[str, ...]) -> frozenset[str]:
    # Facts share a few tag lists, so their terms are worked out once per list.
    return frozenset(term for tag in tags for term in words(tag))


def bitmap_text(bitmap: BitMap) -> str:
    """A bitmap as JSON can hold it (base64 of its serialized form)."""
    return base64.b64encode(bitmap.serialize()).decode()


def bitmap_from_text(text: str) -> BitMap:
    """Takes back what ``bitmap_text`` gave."""
    return BitMap.deserialize(base64.b64decode(text))


def _group(candidates: BitMap, per_term: list[list[tuple[float, BitMap]]]) -> list[Group]:
    """Splits candidates by (terms matched, summed weight of each term's best field)."""
    groups: dict[tuple[int, float], BitMap] = {(0, 0.0): candidates} if candidates else {}
    for fields in per_term:
        regrouped: dict[tuple[int, float], BitMap] = defaultdict(BitMap)
        for (matched, score), group in groups.items():
            rest = group
            for weight, found in fields:
                hit = rest & found
                if hit:
                    regrouped[(matched + 1, score + weight)] |= hit
                    rest = rest - hit
            if rest:
                regrouped[(matched, score)] |= rest
        groups = regrouped
    return [(key, group) for key, group in groups.items() if key[0] > 0]
