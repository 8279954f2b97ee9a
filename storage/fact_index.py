"""What a store knows about its facts without reading them: bitmaps of fact numbers (all,
retracted, by entity and kind, by tag), how many facts cite each source link, a version per
entity, and the history in two orders (by fact, by time).

The store keeps these beside its records so that an answer reads only the facts it shows:
a card is a few bitmap unions and the newest numbers, whatever the size of the store. The
word index (storage.index) is the other half, kept apart because it is about text."""

from __future__ import annotations

import bisect
import heapq
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from pyroaring import BitMap

from storage.ids import number_of
from storage.index import bitmap_from_text, bitmap_text
from storage.models import FACT_KINDS, Fact, Revision
from storage.stored_records import column_from_text, column_text

# Two columns of numbers: (fact numbers, revision doc ids).
Columns = tuple["array[int]", "array[int]"]


class FactIndex:
    """History is kept as revision doc ids, read from ``revisions`` (records left in the
    snapshot file until read): at a million facts, revision objects held for the index
    would be 150 MB."""

    def __init__(self, revisions: Mapping[int, Revision]) -> None:
        self.all = BitMap()
        self.retracted = BitMap()
        self._by_status: dict[str, BitMap] = {"retracted": self.retracted}
        self.highest_number = 0
        self._by_entity_kind: dict[tuple[str, str], BitMap] = defaultdict(BitMap)
        self._by_tag: dict[str, BitMap] = defaultdict(BitMap)
        # Bumped whenever a fact naming the entity changes: what cached answers check.
        self.entity_versions: dict[str, int] = defaultdict(int)
        # Source links of the facts, with how many facts cite each.
        self._source_urls: Counter[str] = Counter()
        self._revisions = revisions
        # Revisions by fact: (fact number, revision doc id) pairs in fact order as two
        # columns (16 bytes a revision), plus those added since as lists by fact number.
        self._fact_numbers = array("q")
        self._fact_revisions = array("q")
        self._added_by_fact: dict[int, list[int]] = defaultdict(list)
        # Revision doc ids in time order.
        self._by_time = array("q")

    # -- facts ----------------------------------------------------------------------------

    def add(self, number: int, fact: Fact) -> None:
        self.all.add(number)
        if number > self.highest_number:
            self.highest_number = number
        status = self._by_status.get(fact.status)
        if status is None:
            status = self._by_status[fact.status] = BitMap()
        status.add(number)
        # Called for every fact when a store loads, hence the local names.
        versions = self.entity_versions
        by_entity_kind = self._by_entity_kind
        kind = fact.kind
        for entity_id in fact.entity_ids:
            by_entity_kind[(entity_id, kind)].add(number)
            versions[entity_id] += 1
        for tag in fact.tags:
            self._by_tag[tag].add(number)
        for source in (fact.source, *fact.more_sources):
            if source.url:
                self._source_urls[source.url] += 1

    def remove(self, number: int, old: Fact) -> None:
        self.all.discard(number)
        for status in self._by_status.values():
            status.discard(number)
        for entity_id in old.entity_ids:
            self._by_entity_kind[(entity_id, old.kind)].discard(number)
            self.entity_versions[entity_id] += 1
        for tag in old.tags:
            self._by_tag[tag].discard(number)
        for source in (old.source, *old.more_sources):
            url = source.url
            if not url:
                continue
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

    def status_counts(self) -> Counter[str]:
        return Counter({status: len(found) for status, found in self._by_status.items() if found})

    def cites(self, urls: Iterable[str]) -> bool:
        """Whether any fact cites one of these links as its source."""
        return any(url in self._source_urls for url in urls)

    # -- history --------------------------------------------------------------------------

    def _revision_ids(self, fact_number: int) -> list[int]:
        numbers = self._fact_numbers
        at = bisect.bisect_left(numbers, fact_number)
        end = bisect.bisect_right(numbers, fact_number, at)
        found = list(self._fact_revisions[at:end])
        added = self._added_by_fact.get(fact_number)
        return found + added if added else found

    def has_revision(self, fact_id: str, number: int) -> bool:
        revisions = self._revisions
        return any(revisions[d].number == number for d in self._revision_ids(number_of(fact_id)))

    def add_revision(self, doc_id: int, revision: Revision) -> None:
        """Indexes a revision already stored under ``doc_id`` in ``revisions``."""
        self._added_by_fact[revision.fact_number].append(doc_id)
        by_time = self._by_time
        if not by_time or revision.at >= self._revisions[by_time[-1]].at:
            by_time.append(doc_id)  # the usual case: history arrives in time order
        else:
            bisect.insort(by_time, doc_id, key=self._revision_time)

    def _revision_time(self, doc_id: int) -> str:
        return self._revisions[doc_id].at

    def revisions_of(self, fact_id: str) -> list[Revision]:
        revisions = self._revisions
        found = [revisions[d] for d in self._revision_ids(number_of(fact_id))]
        found.sort(key=lambda revision: revision.number)
        return found

    def revisions_since(self, since: str) -> list[Revision]:
        """Every change recorded after the ISO time ``since``, oldest first."""
        start = bisect.bisect_right(self._by_time, since, key=self._revision_time)
        revisions = self._revisions
        return [revisions[d] for d in self._by_time[start:]]

    def _by_fact_columns(self, pairs: list[tuple[int, int]] | None = None) -> Columns:
        """The revisions by fact as two columns, with those added since and the sorted
        (fact number, doc id) ``pairs`` merged in."""
        added = sorted((n, d) for n, ids in self._added_by_fact.items() for d in ids)
        merging = list(heapq.merge(added, pairs or []))
        if not merging:
            return self._fact_numbers, self._fact_revisions
        numbers, ids = array("q"), array("q")
        columns = zip(self._fact_numbers, self._fact_revisions, strict=True)
        for number, doc_id in heapq.merge(columns, merging):
            numbers.append(number)
            ids.append(doc_id)
        return numbers, ids

    def load_history(self, entries: Iterable[tuple[int, int, str]]) -> None:
        """Every revision as (fact number, doc id, time), in the order they were recorded:
        the columns built at once when a store reads all its records."""
        self._fact_numbers, self._fact_revisions = array("q"), array("q")
        self._added_by_fact.clear()
        self._by_time = array("q")
        self.add_history(entries)

    def add_history(self, entries: Iterable[tuple[int, int, str]]) -> None:
        """Revisions stored in one batch (a bulk import), as ``load_history`` takes them:
        merged into the columns at once. One at a time, a million would leave a list per
        fact behind."""
        listed = list(entries)
        by_fact = sorted((number, doc_id) for number, doc_id, _at in listed)
        self._fact_numbers, self._fact_revisions = self._by_fact_columns(by_fact)
        self._added_by_fact.clear()
        # A stable sort: revisions recorded at the same time keep their order, as appending
        # them one by one would.
        by_time = sorted(listed, key=lambda entry: entry[2])
        if (
            not self._by_time
            or not by_time
            or by_time[0][2] >= self._revision_time(self._by_time[-1])
        ):
            self._by_time.extend(doc_id for _number, doc_id, _at in by_time)
            return
        for _number, doc_id, _at in by_time:  # older than history already here: rare
            bisect.insort(self._by_time, doc_id, key=self._revision_time)

    # -- saved beside the snapshot ----------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        """Everything here as JSON values (bitmaps and columns in base64). Under the writers'
        lock: nothing changes meanwhile, and what is read here is not changed."""
        numbers, ids = self._by_fact_columns()
        return {
            "all": bitmap_text(self.all),
            "highest_number": self.highest_number,
            "statuses": {status: bitmap_text(found) for status, found in self._by_status.items()},
            "by_entity_kind": [
                [entity_id, kind, bitmap_text(found)]
                for (entity_id, kind), found in self._by_entity_kind.items()
                if found
            ],
            "by_tag": {tag: bitmap_text(found) for tag, found in self._by_tag.items() if found},
            "entity_versions": dict(self.entity_versions),
            "source_urls": dict(self._source_urls),
            "fact_numbers": column_text(numbers),
            "fact_revisions": column_text(ids),
            "by_time": column_text(self._by_time),
        }

    def restore(self, dumped: dict[str, Any]) -> None:
        """Takes back what ``dump`` gave (raises ValueError, KeyError or TypeError if it is
        not that)."""
        self.all = bitmap_from_text(dumped["all"])
        self.highest_number = int(dumped["highest_number"])
        self._by_status = {
            status: bitmap_from_text(found) for status, found in dumped["statuses"].items()
        }
        self.retracted = self._by_status.setdefault("retracted", BitMap())
        self._by_entity_kind = defaultdict(BitMap)
        for entity_id, kind, found in dumped["by_entity_kind"]:
            self._by_entity_kind[(entity_id, kind)] = bitmap_from_text(found)
        self._by_tag = defaultdict(BitMap)
        for tag, found in dumped["by_tag"].items():
            self._by_tag[tag] = bitmap_from_text(found)
        self.entity_versions = defaultdict(int)
        self.entity_versions.update(dumped["entity_versions"])
        self._source_urls = Counter()
        self._source_urls.update(dumped["source_urls"])
        self._fact_numbers = column_from_text(dumped["fact_numbers"])
        self._fact_revisions = column_from_text(dumped["fact_revisions"])
        if len(self._fact_numbers) != len(self._fact_revisions):
            raise ValueError("the revision columns differ in length")
        self._added_by_fact.clear()
        self._by_time = column_from_text(dumped["by_time"])
