"""In-memory indexes from search terms to facts.

Statements and tags are indexed per fact. Entity names are indexed once per entity (a term
finds the entities it names, and so their facts), not copied into every fact that names them:
that keeps the index small and loading fast at hundreds of thousands of facts.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable

from rapidfuzz import fuzz, process

from storage.text import words

STATEMENT_WEIGHT = 1.0
ENTITY_WEIGHT = 1.5
TAG_WEIGHT = 2.0
MAX_COMPLETIONS = 50


class TermIndex:
    """term -> ids, with the sorted vocabulary for completions and typo matching."""

    def __init__(self) -> None:
        self.postings: dict[str, set[str]] = defaultdict(set)
        self._vocabulary: list[str] = []
        self._stale = False

    def add(self, key: str, terms: Iterable[str]) -> None:
        postings = self.postings
        for term in terms:
            keys = postings.get(term)
            if keys:
                keys.add(key)
            else:
                postings[term] = {key}
                self._stale = True

    def remove(self, key: str, terms: Iterable[str]) -> None:
        for term in terms:
            postings = self.postings.get(term)
            if postings is None:
                continue
            postings.discard(key)
            if not postings:
                del self.postings[term]
                self._stale = True

    def vocabulary(self) -> list[str]:
        if self._stale:
            self._vocabulary = sorted(self.postings)
            self._stale = False
        return self._vocabulary

    def expand(self, term: str) -> list[tuple[str, float]]:
        """The indexed terms a query term stands for, with how exact each is: itself, else
        its completions, else close spellings."""
        if term in self.postings:
            return [(term, 1.0)]
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
            matches = process.extract(term, vocabulary, scorer=fuzz.ratio, score_cutoff=80, limit=3)
            return [(match, 0.8) for match, _score, _index in matches]
        return []


class WordIndex:
    """Facts by the words of their statements and their tags, plus the facts of entities whose
    names hold a word (through ``facts_of_entity``)."""

    def __init__(self, facts_of_entity: Callable[[str], set[str]]) -> None:
        self.statements = TermIndex()
        self.tags = TermIndex()
        self.entity_names = TermIndex()
        self._facts_of_entity = facts_of_entity
        self._terms_of: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}

    def add(self, fact_id: str, statement: str, tags: Iterable[str]) -> None:
        self.remove(fact_id)
        statement_terms = tuple(set(words(statement)))
        tag_terms = tuple({term for tag in tags for term in words(tag)})
        self.statements.add(fact_id, statement_terms)
        self.tags.add(fact_id, tag_terms)
        self._terms_of[fact_id] = (statement_terms, tag_terms)

    def remove(self, fact_id: str) -> None:
        terms = self._terms_of.pop(fact_id, None)
        if terms is not None:
            self.statements.remove(fact_id, terms[0])
            self.tags.remove(fact_id, terms[1])

    def set_entity(self, entity_id: str, names: Iterable[str], old_names: Iterable[str]) -> None:
        self.entity_names.remove(entity_id, {t for name in old_names for t in words(name)})
        self.entity_names.add(entity_id, {t for name in names for t in words(name)})

    def term_fields(self, term: str) -> list[tuple[float, set[str]]]:
        """The facts a query term finds, as (weight, facts) from the heaviest field down."""
        fields: list[tuple[float, set[str]]] = []
        for index, weight in ((self.tags, TAG_WEIGHT), (self.entity_names, ENTITY_WEIGHT)):
            for indexed, exactness in index.expand(term):
                keys = index.postings.get(indexed, set())
                if index is self.entity_names:
                    keys = set().union(*(self._facts_of_entity(key) for key in keys))
                if keys:
                    fields.append((weight * exactness, keys))
        for indexed, exactness in self.statements.expand(term):
            keys = self.statements.postings.get(indexed, set())
            if keys:
                fields.append((STATEMENT_WEIGHT * exactness, keys))
        fields.sort(key=lambda field: -field[0])
        return fields

    def ranked_groups(
        self, query: str, exclude: set[str], limit: int | None
    ) -> tuple[list[tuple[tuple[int, float], set[str]]], set[str]]:
        """Matching facts in groups of equal (terms matched, score), best group first, and
        every fact that matches at all (``exclude`` included).

        Only set operations, which run in C, so a common word matching most of the store
        costs milliseconds, not a Python loop over every match. Facts matching every term
        come first; the partial matches are grouped only when there are too few of those."""
        per_term = [self.term_fields(term) for term in dict.fromkeys(words(query))]
        if not per_term:
            return [], set()
        unions = [set().union(*(keys for _weight, keys in fields)) for fields in per_term]
        everything = set().union(*unions)
        complete = set.intersection(*unions) - exclude
        groups = _group(complete, per_term)
        if limit is None or len(complete) < limit:
            groups += _group(everything - exclude - complete, per_term)
        groups.sort(key=lambda item: (-item[0][0], -item[0][1]))
        return groups, everything

    def sharing_rare_terms(self, text: str, count: int = 3) -> set[str]:
        """Facts sharing one of the text's ``count`` rarest statement terms: a cheap shortlist
        of possible near-duplicates, whatever the size of the store."""
        postings = self.statements.postings
        terms = [term for term in dict.fromkeys(words(text)) if term in postings]
        terms.sort(key=lambda term: len(postings[term]))
        found: set[str] = set()
        for term in terms[:count]:
            found.update(postings[term])
        return found


def _group(
    candidates: set[str], per_term: list[list[tuple[float, set[str]]]]
) -> list[tuple[tuple[int, float], set[str]]]:
    """Splits candidates by (terms matched, summed weight of each term's best field)."""
    groups: dict[tuple[int, float], set[str]] = {(0, 0.0): candidates} if candidates else {}
    for fields in per_term:
        regrouped: dict[tuple[int, float], set[str]] = defaultdict(set)
        for (matched, score), group in groups.items():
            rest = group
            for weight, keys in fields:
                hit = rest & keys
                if hit:
                    regrouped[(matched + 1, score + weight)] |= hit
                    rest = rest - hit
            if rest:
                regrouped[(matched, score)] |= rest
        groups = regrouped
    return [(key, group) for key, group in groups.items() if key[0] > 0]
