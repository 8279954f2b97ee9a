"""An in-memory inverted index from search terms to fact ids."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable

from rapidfuzz import fuzz, process

from storage.text import words

STATEMENT_WEIGHT = 1.0
ENTITY_WEIGHT = 1.5
TAG_WEIGHT = 2.0


class WordIndex:
    def __init__(self) -> None:
        self._postings: dict[str, dict[str, float]] = defaultdict(dict)
        self._terms_of: dict[str, set[str]] = {}
        self._vocabulary: list[str] = []
        self._vocabulary_stale = False

    def add(self, fact_id: str, weighted_texts: Iterable[tuple[str, float]]) -> None:
        self.remove(fact_id)
        terms: set[str] = set()
        for text, weight in weighted_texts:
            for term in words(text):
                postings = self._postings[term]
                if not postings:
                    self._vocabulary_stale = True
                postings[fact_id] = max(postings.get(fact_id, 0.0), weight)
                terms.add(term)
        self._terms_of[fact_id] = terms

    def remove(self, fact_id: str) -> None:
        for term in self._terms_of.pop(fact_id, ()):
            postings = self._postings[term]
            postings.pop(fact_id, None)
            if not postings:
                del self._postings[term]
                self._vocabulary_stale = True

    def _sorted_vocabulary(self) -> list[str]:
        if self._vocabulary_stale:
            self._vocabulary = sorted(self._postings)
            self._vocabulary_stale = False
        return self._vocabulary

    def _expand(self, term: str) -> list[str]:
        """The indexed terms a query term stands for: itself, else its completions, else typos."""
        if term in self._postings:
            return [term]
        vocabulary = self._sorted_vocabulary()
        if len(term) >= 3:
            start = bisect.bisect_left(vocabulary, term)
            completions = []
            for candidate in vocabulary[start : start + 50]:
                if not candidate.startswith(term):
                    break
                completions.append(candidate)
            if completions:
                return completions
        if len(term) >= 4:
            matches = process.extract(term, vocabulary, scorer=fuzz.ratio, score_cutoff=80, limit=3)
            return [match for match, _score, _index in matches]
        return []

    def sharing_rare_terms(self, text: str, count: int = 3) -> set[str]:
        """Facts sharing one of the text's ``count`` rarest indexed terms: a cheap shortlist
        of possible near-duplicates, whatever the size of the store."""
        terms = [term for term in dict.fromkeys(words(text)) if term in self._postings]
        terms.sort(key=lambda term: len(self._postings[term]))
        found: set[str] = set()
        for term in terms[:count]:
            found.update(self._postings[term])
        return found

    def search(self, query: str) -> list[tuple[str, float, float]]:
        """Fact ids with (coverage, score): the share of query terms matched, and their weight."""
        terms = list(dict.fromkeys(words(query)))
        if not terms:
            return []
        scores: dict[str, float] = defaultdict(float)
        matched: dict[str, int] = defaultdict(int)
        for term in terms:
            best: dict[str, float] = {}
            for indexed in self._expand(term):
                exactness = 1.0 if indexed == term else 0.8
                for fact_id, weight in self._postings[indexed].items():
                    best[fact_id] = max(best.get(fact_id, 0.0), weight * exactness)
            for fact_id, weight in best.items():
                scores[fact_id] += weight
                matched[fact_id] += 1
        return [
            (fact_id, matched[fact_id] / len(terms), score) for fact_id, score in scores.items()
        ]
