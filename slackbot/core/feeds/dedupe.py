"""Near-duplicate headlines: the same story from two outlets becomes one candidate with two
sources. Titles are compared with rapidfuzz's token-set ratio after normalisation, only
against stories published within a week of each other."""

from __future__ import annotations

import re
from collections import defaultdict
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
# "… - Reuters", "… | Yonhap": the outlet's name is not part of the story.
_OUTLET_SUFFIX = re.compile(r"\s+[-|\u2013\u2014:]\s+[^-|\u2013\u2014:]{1,40}$")


def normalised_words(title: str) -> list[str]:
    return words(_OUTLET_SUFFIX.sub("", title))


class NearDuplicates:
    """Headlines seen recently, by id, answering which one a new headline retells."""

    def __init__(self, similarity: float = SIMILARITY, window: timedelta = WINDOW) -> None:
        self.similarity = similarity
        self.window = window
        self._titles: dict[str, tuple[str, frozenset[str], datetime]] = {}
        self._postings: dict[str, list[str]] = defaultdict(list)

    def add(self, key: str, title: str, published: datetime) -> None:
        terms = normalised_words(title)
        self._titles[key] = (" ".join(terms), frozenset(terms), published)
        for term in set(terms):
            self._postings[term].append(key)

    def find(self, title: str, published: datetime) -> str | None:
        """The id of the story this headline retells, if one was added."""
        terms = normalised_words(title)
        distinct = set(terms)
        if len(distinct) < 2:
            return None
        text = " ".join(terms)
        rare = sorted(distinct, key=lambda term: len(self._postings.get(term, ())))[:RARE_WORDS]
        best: tuple[float, str] | None = None
        looked: set[str] = set()
        for term in rare:
            for key in self._postings.get(term, ()):
                if key in looked:
                    continue
                looked.add(key)
                other_text, other_terms, other_published = self._titles[key]
                if abs(other_published - published) > self.window:
                    continue
                shared = len(distinct & other_terms) / max(len(distinct), len(other_terms))
                if shared < MIN_SHARED:
                    continue
                score = fuzz.token_set_ratio(text, other_text)
                if score >= self.similarity and (best is None or score > best[0]):
                    best = (score, key)
        return best[1] if best else None
