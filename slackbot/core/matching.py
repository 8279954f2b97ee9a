"""Resolving what a person typed to companies, people and products."""

from __future__ import annotations

import bisect
import threading

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from slackbot.core.mentions import MentionFinder
from storage.api import ENTITY_KINDS, Entity, compact, fold

MAX_QUERY_LENGTH = 200
FUZZY_CUTOFF = 75.0
# Matches scoring within this many points of the best are all shown: the query is ambiguous.
FUZZY_AMBIGUITY_MARGIN = 5.0
KIND_ORDER = {kind: order for order, kind in enumerate(ENTITY_KINDS)}
# Questions that are not a name as written (a prefix, a typo) found again without a scan.
FOUND_CACHE_SIZE = 4096


def display_order(entity: Entity) -> tuple[int, int, str]:
    """Attending before mentioned, companies before people before products, then by name."""
    return (0 if entity.attending else 1, KIND_ORDER.get(entity.kind, 9), entity.name.casefold())


class EntityMatcher:
    """Finds entities by name, alias or Korean name, forgiving case, spacing and typos."""

    def __init__(self, entities: list[Entity]) -> None:
        self._entities = {entity.id: entity for entity in entities}
        self._keys: list[tuple[str, str]] = []
        self._words: list[tuple[str, str]] = []
        self._exact: dict[str, set[str]] = {}
        self._people: dict[str, list[Entity]] = {}
        for entity in entities:
            for name in entity.all_names():
                key = compact(name)
                self._keys.append((key, entity.id))
                self._exact.setdefault(key, set()).add(entity.id)
                self._words += [(compact(word), entity.id) for word in fold(name).split()]
            if entity.kind == "person" and entity.company_id:
                self._people.setdefault(entity.company_id, []).append(entity)
        for people in self._people.values():
            people.sort(key=lambda person: person.name.casefold())
        # Sorted, so that the names (or words of names) starting with what was typed are a
        # slice found by bisection: a store of 15,000 entities has some 60,000 of them.
        self._keys.sort()
        self._words.sort()
        self._choices = [name for name, _entity_id in self._keys]
        self._found: dict[str, frozenset[str]] = {}
        self._found_lock = threading.Lock()
        self._mentions: MentionFinder | None = None

    @property
    def mentions(self) -> MentionFinder:
        if self._mentions is None:
            self._mentions = MentionFinder(list(self._entities.values()))
        return self._mentions

    def mentioned_in(self, text: str) -> list[str]:
        """The ids of the entities a text names, by the same names a lookup knows."""
        return self.mentions.entity_ids(text)

    def people_of(self, company_id: str) -> list[Entity]:
        """The people tied to a company, by name."""
        return list(self._people.get(company_id, ()))

    def match(self, query: str) -> list[Entity]:
        """Every entity the query may mean, best first; an empty list when none fits."""
        key = compact(query[:MAX_QUERY_LENGTH])
        if not key:
            return []
        found = self._exact.get(key) or self._found.get(key)
        if found is None:
            found = self._inexact(key)
            with self._found_lock:
                if len(self._found) >= FOUND_CACHE_SIZE:
                    self._found.clear()
                self._found[key] = found
        return sorted((self._entities[entity_id] for entity_id in found), key=display_order)

    def _inexact(self, key: str) -> frozenset[str]:
        found: set[str] = set()
        if len(key) >= 2:
            found = _starting_with(self._keys, key)
        if not found and len(key) >= 3:
            found = _starting_with(self._words, key)
        if not found and len(key) >= 3:
            found = self._fuzzy(key)
        return frozenset(found)

    def _fuzzy(self, key: str) -> set[str]:
        scored = process.extract(key, self._choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        if not scored:
            return self._few_edits(key)
        best = scored[0][1]
        return {
            self._keys[index][1]
            for _name, score, index in scored
            if score >= best - FUZZY_AMBIGUITY_MARGIN
        }

    def _few_edits(self, key: str) -> set[str]:
        """Names within two edits of a word of six letters or more (one for shorter): the
        ratio's cutoff misses a short name typed with two slips (``hynics`` for Hynix)."""
        allowed = 2 if len(key) >= 6 else 1
        scored = process.extract(
            key, self._choices, scorer=Levenshtein.distance, score_cutoff=allowed, limit=None
        )
        if not scored:
            return set()
        fewest = min(distance for _name, distance, _index in scored)
        return {self._keys[index][1] for _name, distance, index in scored if distance == fewest}


def _starting_with(pairs: list[tuple[str, str]], prefix: str) -> set[str]:
    """The ids paired with the names in sorted ``pairs`` that start with ``prefix``."""
    found = set()
    for name, entity_id in pairs[bisect.bisect_left(pairs, (prefix, "")) :]:
        if not name.startswith(prefix):
            break
        found.add(entity_id)
    return found
