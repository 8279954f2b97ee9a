"""Resolving what a person typed to companies, people and products."""

from __future__ import annotations

from rapidfuzz import fuzz, process

from slackbot.core.mentions import MentionFinder
from storage.models import ENTITY_KINDS, Entity
from storage.text import compact, fold

MAX_QUERY_LENGTH = 200
FUZZY_CUTOFF = 75.0
# Matches scoring within this many points of the best are all shown: the query is ambiguous.
FUZZY_AMBIGUITY_MARGIN = 5.0
KIND_ORDER = {kind: order for order, kind in enumerate(ENTITY_KINDS)}


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
        found = set(self._exact.get(key, ()))
        if not found and len(key) >= 2:
            found = {entity_id for name, entity_id in self._keys if name.startswith(key)}
        if not found and len(key) >= 3:
            found = {entity_id for word, entity_id in self._words if word.startswith(key)}
        if not found and len(key) >= 3:
            found = self._fuzzy(key)
        return sorted((self._entities[entity_id] for entity_id in found), key=display_order)

    def _fuzzy(self, key: str) -> set[str]:
        choices = [name for name, _entity_id in self._keys]
        scored = process.extract(key, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        if not scored:
            return set()
        best = scored[0][1]
        return {
            self._keys[index][1]
            for _name, score, index in scored
            if score >= best - FUZZY_AMBIGUITY_MARGIN
        }
