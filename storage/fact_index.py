"""What a store knows about its facts without reading them: bitmaps of fact numbers (all,
retracted, by entity and kind, by tag), how many facts cite each source link, a version per
entity, and the history in two orders (by fact, by time).

The store keeps these beside its records so that an answer reads only the facts it shows:
a card is a few bitmap unions and the newest numbers, whatever the size of the store. The
word index (storage.index) is the other half, kept apart because it is about text."""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Iterable

from pyroaring import BitMap

from storage.models import FACT_KINDS, Fact, Revision


def _revision_time(revision: Revision) -> str:
    return revision.at


class FactIndex:
    def __init__(self) -> None:
        self.all = BitMap()
        self.retracted = BitMap()
        self.highest_number = 0
        self._by_entity_kind: dict[tuple[str, str], BitMap] = defaultdict(BitMap)
        self._by_tag: dict[str, BitMap] = defaultdict(BitMap)
        # Bumped whenever a fact naming the entity changes: what cached answers check.
        self.entity_versions: dict[str, int] = defaultdict(int)
        # Source links of the facts, with how many facts cite each.
        self._source_urls: Counter[str] = Counter()
        # One revision, or a tuple in revision order: most facts have only one.
        self._revisions_by_fact: dict[str, Revision | tuple[Revision, ...]] = {}
        self._revisions_by_time: list[Revision] = []

    # -- facts ----------------------------------------------------------------------------

    def add(self, number: int, fact: Fact) -> None:
        self.all.add(number)
        if number > self.highest_number:
            self.highest_number = number
        if fact.status == "retracted":
            self.retracted.add(number)
        # Called for every fact when a store loads, hence the local names.
        versions = self.entity_versions
        by_entity_kind = self._by_entity_kind
        kind = fact.kind
        for entity_id in fact.entity_ids:
            by_entity_kind[(entity_id, kind)].add(number)
            versions[entity_id] += 1
        for tag in fact.tags:
            self._by_tag[tag].add(number)
        if fact.source.url:
            self._source_urls[fact.source.url] += 1

    def remove(self, number: int, old: Fact) -> None:
        self.all.discard(number)
        self.retracted.discard(number)
        for entity_id in old.entity_ids:
            self._by_entity_kind[(entity_id, old.kind)].discard(number)
            self.entity_versions[entity_id] += 1
        for tag in old.tags:
            self._by_tag[tag].discard(number)
        url = old.source.url
        if url:
            left = self._source_urls[url] - 1
            if left > 0:
                self._source_urls[url] = left
            else:
                del self._source_urls[url]

    def of_entities(self, entity_ids: Iterable[str], kinds: Iterable[str] = FACT_KINDS) -> BitMap:
        """The facts naming any of the entities (with one of the kinds)."""
        found = self._by_entity_kind
        kinds = tuple(kinds)
        return BitMap.union(
            BitMap(),
            *(found[key] for e in entity_ids for k in kinds if (key := (e, k)) in found),
        )

    def tagged(self, tag: str) -> BitMap | None:
        return self._by_tag.get(tag)

    def cites(self, urls: Iterable[str]) -> bool:
        """Whether any fact cites one of these links as its source."""
        return any(url in self._source_urls for url in urls)

    # -- history --------------------------------------------------------------------------

    def has_revision(self, fact_id: str, number: int) -> bool:
        known = self._revisions_by_fact.get(fact_id)
        if known is None:
            return False
        if isinstance(known, Revision):
            return known.number == number
        return any(r.number == number for r in known)

    def add_revision(self, revision: Revision) -> None:
        known = self._revisions_by_fact.get(revision.fact_id)
        if known is None:
            self._revisions_by_fact[revision.fact_id] = revision
        else:
            listed = [known] if isinstance(known, Revision) else list(known)
            if any(r.number == revision.number for r in listed):
                return
            bisect.insort(listed, revision, key=lambda r: r.number)
            self._revisions_by_fact[revision.fact_id] = tuple(listed)
        by_time = self._revisions_by_time
        if not by_time or revision.at >= by_time[-1].at:
            by_time.append(revision)  # the usual case: history arrives in time order
        else:
            bisect.insort(by_time, revision, key=_revision_time)

    def revisions_of(self, fact_id: str) -> list[Revision]:
        known = self._revisions_by_fact.get(fact_id)
        if known is None:
            return []
        return [known] if isinstance(known, Revision) else list(known)

    def revisions_since(self, since: str) -> list[Revision]:
        """Every change recorded after the ISO time ``since``, oldest first."""
        start = bisect.bisect_right(self._revisions_by_time, since, key=_revision_time)
        return self._revisions_by_time[start:]
