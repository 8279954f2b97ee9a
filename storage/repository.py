"""The fact store: the one API over TinyDB that the rest of Summit Intel uses.

Every method takes the store's lock, reads included: TinyDB is not thread-safe, and the
HTTP server and the scheduler call in from many threads. Reads are answered from memory
(TinyDB over ``SnapshotStorage`` plus the indexes kept here); every write is journaled
and fsynced before it is applied, so it survives a crash once the method returns.
"""

from __future__ import annotations

import bisect
import gc
import heapq
import json
import sys
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz
from tinydb import TinyDB
from tinydb.table import Document

from storage.durable import InPlaceTable, Journal, ProcessLock, SnapshotStorage
from storage.index import WordIndex
from storage.models import FACT_KINDS, Entity, Event, Fact, Revision, Source, Subscription
from storage.text import fold

ENTITIES = "entities"
FACTS = "facts"
REVISIONS = "revisions"
SUBSCRIPTIONS = "subscriptions"
SLOTS = "slots"
META = "meta"
TABLES = (ENTITIES, FACTS, REVISIONS, SUBSCRIPTIONS, SLOTS, META)
COMPACT_AFTER_WRITES = 500

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class FactPage:
    facts: list[Fact]
    total: int
    retracted: int = 0


@dataclass(frozen=True)
class SearchResult:
    facts: list[Fact]
    total: int
    retracted: int = 0


@dataclass(frozen=True)
class SeedReport:
    entities_written: int
    facts_written: int
    entities_removed: int = 0
    facts_removed: int = 0


# Values that repeat across many records (statuses, kinds, who, when, entity ids, tags):
# one shared string each instead of one per record keeps a large store far smaller.
_SHARED_FIELDS = (
    "kind",
    "status",
    "added_by",
    "origin",
    "added_at",
    "updated_at",
    "happened_on",
    "at",
    "by",
    "action",
    "fact_id",
)


def _interned(doc: dict[str, Any]) -> dict[str, Any]:
    """Replaces repeated string values of a raw document with shared ones, in place."""
    for name in _SHARED_FIELDS:
        value = doc.get(name)
        if type(value) is str:
            doc[name] = sys.intern(value)
    for name in ("entity_ids", "tags"):
        values = doc.get(name)
        if type(values) is list:
            doc[name] = [sys.intern(v) if type(v) is str else v for v in values]
    source = doc.get("source")
    if type(source) is dict and type(source.get("title")) is str:
        source["title"] = sys.intern(source["title"])
    return doc


def load_seed() -> dict[str, Any]:
    seed_text = resources.files("storage").joinpath("seed.json").read_text(encoding="utf-8")
    seed: dict[str, Any] = json.loads(seed_text)
    return seed


class FactStore:
    """Entities, facts and the summit overview, durably stored in one TinyDB file."""

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Clock = utc_now,
        compact_after: int = COMPACT_AFTER_WRITES,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._compact_after = compact_after
        self._lock = threading.RLock()
        # Callers that read, decide and write (curation) hold this across the three steps.
        self.lock = self._lock
        self._process_lock = ProcessLock(self.path.with_name(self.path.name + ".lock"))
        self._process_lock.acquire()
        try:
            # Loading makes millions of small objects and no cycles: the cyclic collector
            # would only slow it down (about 2x at 100,000 facts). Freezing afterwards keeps
            # later collections from walking the whole store again and again.
            gc.disable()
            self._storage = SnapshotStorage(self.path)
            self._db = TinyDB(storage=lambda: self._storage)
            self._db.table_class = InPlaceTable
            self._journal = Journal(self.path.with_name(self.path.name + ".journal"))
            self._doc_ids: dict[str, dict[str, int]] = defaultdict(dict)
            self._next_doc_id: dict[str, int] = defaultdict(lambda: 1)
            self._entities: dict[str, Entity] = {}
            self._facts: dict[str, Fact] = {}
            self._numbers: dict[str, int] = {}
            self._highest_number = 0
            self._retracted: set[str] = set()
            self._facts_by_entity: dict[str, set[str]] = defaultdict(set)
            # Fact numbers by (entity, kind), ascending: a card reads the newest from the end.
            self._numbers_by: dict[tuple[str, str], list[int]] = defaultdict(list)
            self._retracted_by: Counter[tuple[str, str]] = Counter()
            self._facts_by_tag: dict[str, set[str]] = defaultdict(set)
            # Bumped whenever a fact naming the entity changes: what cached answers check.
            self._entity_versions: dict[str, int] = defaultdict(int)
            self._words = WordIndex(lambda entity_id: self._facts_by_entity.get(entity_id, set()))
            self._meta: dict[str, Any] = {}
            self._revisions_by_fact: dict[str, list[Revision]] = defaultdict(list)
            self._revisions_by_time: list[Revision] = []
            self._subscriptions: dict[str, Subscription] = {}
            self._slots: dict[str, dict[str, Any]] = {}
            self.version = 0
            self.entities_version = 0
            self._load()
        except BaseException:
            self._process_lock.release()
            raise
        finally:
            gc.freeze()
            gc.enable()

    # -- life cycle ---------------------------------------------------------------

    def _load(self) -> None:
        # Straight from the storage's dict: TinyDB's Table.all() would copy every document.
        raw = self._storage.read() or {}
        for table_name in TABLES:
            for doc_id, doc in raw.get(table_name, {}).items():
                self._remember(table_name, doc["key"], int(doc_id), doc)
        # Only the last record for a key matters, so replay the journal as one batch.
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        for record in self._journal.replay():
            latest[(record["table"], record["key"])] = record
        if latest:
            self._apply(list(latest.values()))
            self.compact()

    def close(self) -> None:
        with self._lock:
            if self._journal.length:
                self.compact()
            self._journal.close()
            self._process_lock.release()

    def __enter__(self) -> FactStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def compact(self) -> None:
        """Fold the journal into an atomically replaced snapshot."""
        with self._lock:
            self._storage.save_snapshot()
            self._journal.reset()

    # -- the write path --------------------------------------------------------------

    def _write(self, changes: list[tuple[str, str, dict[str, Any] | None]]) -> None:
        """Journals (fsynced) then applies a batch of puts and deletes, all or nothing."""
        records = []
        # The last change to a key wins, as it would one at a time.
        for (table_name, key), doc in {(t, k): d for t, k, d in changes}.items():
            doc_id = self._doc_ids[table_name].get(key)
            if doc_id is None:
                if doc is None:
                    continue
                doc_id = self._next_doc_id[table_name]
                self._next_doc_id[table_name] = doc_id + 1
            records.append({"table": table_name, "key": key, "doc_id": doc_id, "doc": doc})
        if not records:
            return
        self._journal.append(records)
        self._apply(records)
        self.version += 1
        if any(record["table"] == ENTITIES for record in records):
            self.entities_version += 1
        if self._journal.length >= self._compact_after:
            self.compact()

    def _apply(self, records: list[dict[str, Any]]) -> None:
        by_table: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in records:
            by_table[record["table"]].append(record)
        for table_name, table_records in by_table.items():
            table = self._db.table(table_name)
            known = self._doc_ids[table_name]
            removed = [r for r in table_records if r["doc"] is None]
            updated = [r for r in table_records if r["doc"] is not None and r["key"] in known]
            inserted = [r for r in table_records if r["doc"] is not None and r["key"] not in known]
            if removed:
                table.remove(doc_ids=[r["doc_id"] for r in removed if r["key"] in known])
                for record in removed:
                    self._forget(table_name, record["key"])
            for record in updated:
                table.upsert(Document({**record["doc"], "key": record["key"]}, record["doc_id"]))
            if inserted:
                # One TinyDB call for all new documents: it rewrites its table dict per call.
                table.insert_multiple(
                    Document({**r["doc"], "key": r["key"]}, r["doc_id"]) for r in inserted
                )
            for record in updated + inserted:
                self._remember(table_name, record["key"], record["doc_id"], record["doc"])

    def _remember(self, table_name: str, key: str, doc_id: int, doc: dict[str, Any]) -> None:
        self._doc_ids[table_name][key] = doc_id
        self._next_doc_id[table_name] = max(self._next_doc_id[table_name], doc_id + 1)
        if table_name == ENTITIES:
            entity = Entity.from_doc(doc)
            old = self._entities.get(key)
            self._entities[key] = entity
            self._words.set_entity(key, entity.all_names(), old.all_names() if old else ())
        elif table_name == FACTS:
            self._index_fact(Fact.from_doc(_interned(doc)))
        elif table_name == REVISIONS:
            self._index_revision(Revision.from_doc(_interned(doc)))
        elif table_name == SUBSCRIPTIONS:
            self._subscriptions[key] = Subscription.from_doc(doc)
        elif table_name == SLOTS:
            self._slots[key] = doc
        else:
            self._meta[key] = doc

    def _forget(self, table_name: str, key: str) -> None:
        self._doc_ids[table_name].pop(key, None)
        if table_name == ENTITIES:
            old = self._entities.pop(key, None)
            if old is not None:
                self._words.set_entity(key, (), old.all_names())
        elif table_name == FACTS:
            self._unindex_fact(key)
        elif table_name == REVISIONS:
            pass  # revisions are history: never deleted
        elif table_name == SUBSCRIPTIONS:
            self._subscriptions.pop(key, None)
        elif table_name == SLOTS:
            self._slots.pop(key, None)
        else:
            self._meta.pop(key, None)

    def _index_fact(self, fact: Fact) -> None:
        self._unindex_fact(fact.id)
        self._facts[fact.id] = fact
        self._numbers[fact.id] = fact.number
        self._highest_number = max(self._highest_number, fact.number)
        if fact.status == "retracted":
            self._retracted.add(fact.id)
        number = self._numbers[fact.id]
        for entity_id in fact.entity_ids:
            self._facts_by_entity[entity_id].add(fact.id)
            self._entity_versions[entity_id] += 1
            numbers = self._numbers_by[(entity_id, fact.kind)]
            if not numbers or number > numbers[-1]:
                numbers.append(number)  # the usual case: facts arrive in number order
            else:
                bisect.insort(numbers, number)
            if fact.status == "retracted":
                self._retracted_by[(entity_id, fact.kind)] += 1
        for tag in fact.tags:
            self._facts_by_tag[tag].add(fact.id)
        self._words.add(fact.id, fact.statement, fact.tags)

    def _index_revision(self, revision: Revision) -> None:
        known = self._revisions_by_fact[revision.fact_id]
        if any(r.number == revision.number for r in known):
            return
        bisect.insort(known, revision, key=lambda r: r.number)
        by_time = self._revisions_by_time
        order = (revision.at, revision.fact_id, revision.number)
        if not by_time or order >= (by_time[-1].at, by_time[-1].fact_id, by_time[-1].number):
            by_time.append(revision)  # the usual case: history arrives in time order
        else:
            bisect.insort(by_time, revision, key=lambda r: (r.at, r.fact_id, r.number))

    def _unindex_fact(self, fact_id: str) -> None:
        old = self._facts.pop(fact_id, None)
        if old is None:
            return
        self._numbers.pop(fact_id, None)
        self._retracted.discard(fact_id)
        for entity_id in old.entity_ids:
            self._facts_by_entity[entity_id].discard(fact_id)
            self._entity_versions[entity_id] += 1
            numbers = self._numbers_by[(entity_id, old.kind)]
            at = bisect.bisect_left(numbers, old.number)
            if at < len(numbers) and numbers[at] == old.number:
                del numbers[at]
            if old.status == "retracted":
                self._retracted_by[(entity_id, old.kind)] -= 1
        for tag in old.tags:
            self._facts_by_tag[tag].discard(fact_id)
        self._words.remove(fact_id)

    # -- reads ---------------------------------------------------------------------

    def entities(self) -> list[Entity]:
        with self._lock:
            return list(self._entities.values())

    def entity(self, entity_id: str) -> Entity | None:
        with self._lock:
            return self._entities.get(entity_id)

    def fact(self, fact_id: str) -> Fact | None:
        with self._lock:
            return self._facts.get(fact_id.upper())

    def facts(self) -> list[Fact]:
        with self._lock:
            return sorted(self._facts.values(), key=lambda fact: fact.number)

    def fact_count(self) -> int:
        with self._lock:
            return len(self._facts)

    def facts_involving(self, entity_ids: Iterable[str]) -> list[Fact]:
        """Facts naming any of the entities, oldest first."""
        with self._lock:
            fact_ids: set[str] = set()
            for entity_id in entity_ids:
                fact_ids |= self._facts_by_entity.get(entity_id, set())
            # A C-level sort key: this runs for every card, over thousands of facts.
            ordered = sorted(fact_ids, key=self._numbers.__getitem__)
            return [self._facts[fact_id] for fact_id in ordered]

    def pages_involving(
        self, entity_ids: Iterable[str], sections: list[frozenset[str] | None], limit: int
    ) -> list[FactPage]:
        """For each section (a set of kinds, or None for all): the newest ``limit`` active
        facts naming any of the entities, how many there are, and how many retracted ones
        were left out. Reads the newest from the end of per-(entity, kind) lists, so a card
        costs about the same at a hundred facts or a hundred thousand."""
        with self._lock:
            ids = list(dict.fromkeys(entity_ids))
            return [self._page(ids, kinds or FACT_KINDS, limit) for kinds in sections]

    def _page(self, entity_ids: list[str], kinds: Iterable[str], limit: int) -> FactPage:
        keys = [(e, k) for e in entity_ids for k in kinds if self._numbers_by.get((e, k))]
        lists = [self._numbers_by[key] for key in keys]
        descending: Iterable[int] = (
            reversed(lists[0])
            if len(lists) == 1
            else heapq.merge(*map(reversed, lists), reverse=True)
        )
        newest: list[Fact] = []
        previous = None
        for number in descending:
            if len(newest) >= limit:
                break
            if number == previous:
                continue  # a fact naming two of the entities is in both their lists
            previous = number
            fact = self._facts[f"F{number}"]
            if fact.status != "retracted":
                newest.append(fact)
        total, retracted = self._count(entity_ids, keys)
        return FactPage(newest, total - retracted, retracted)

    def _count(self, entity_ids: list[str], keys: list[tuple[str, str]]) -> tuple[int, int]:
        """How many facts the lists hold together, and how many of them are retracted: the
        largest entity's lists by length and counter, the others fact by fact."""
        if not keys:
            return 0, 0
        sizes: Counter[str] = Counter()
        for entity_id, kind in keys:
            sizes[entity_id] += len(self._numbers_by[(entity_id, kind)])
        largest = sizes.most_common(1)[0][0]
        total = retracted = 0
        others: set[int] = set()
        for entity_id, kind in keys:
            if entity_id == largest:
                total += len(self._numbers_by[(entity_id, kind)])
                retracted += self._retracted_by[(entity_id, kind)]
            else:
                others.update(self._numbers_by[(entity_id, kind)])
        for number in others:
            fact = self._facts[f"F{number}"]
            if largest not in fact.entity_ids:
                total += 1
                retracted += fact.status == "retracted"
        return total, retracted

    def _newest(self, fact_ids: set[str], count: int) -> list[str]:
        """The ``count`` newest of the ids. Ids are "F" and the number, so the heap works on
        plain ints (C comparisons, no key function): twice as fast on large sets."""
        numbers = heapq.nlargest(count, map(self._numbers.__getitem__, fact_ids))
        return [f"F{number}" for number in numbers]

    def entity_versions(self, entity_ids: Iterable[str]) -> tuple[int, ...]:
        with self._lock:
            return tuple(self._entity_versions[entity_id] for entity_id in entity_ids)

    def ids_involving(self, entity_id: str) -> set[str]:
        with self._lock:
            return set(self._facts_by_entity.get(entity_id, set()))

    def ids_tagged(self, tag: str) -> set[str]:
        with self._lock:
            return set(self._facts_by_tag.get(tag, set()))

    def search(self, query: str, limit: int | None = None) -> list[Fact]:
        """Facts ranked by how many query words they match, then by weight, newest first."""
        return self.search_facts(query, limit, include_retracted=True).facts

    def search_facts(
        self, query: str, limit: int | None, *, include_retracted: bool = False
    ) -> SearchResult:
        """The best ``limit`` matches, how many match in all, and how many retracted facts
        matched but were left out."""
        with self._lock:
            exclude: set[str] = set() if include_retracted else self._retracted
            groups, everything = self._words.ranked_groups(query, exclude, limit)
            total = len(everything - exclude)
            wanted = total if limit is None else min(limit, total)
            chosen: list[str] = []
            for _key, group in groups:
                if len(chosen) >= wanted:
                    break
                chosen += self._newest(group, wanted - len(chosen))
            retracted = len(everything) - total
            return SearchResult([self._facts[f] for f in chosen], total, retracted)

    def similar_statements(self, statement: str, cutoff: float) -> list[tuple[Fact, float]]:
        """Facts whose statement reads almost the same (rapidfuzz ratio >= cutoff), best first."""
        with self._lock:
            wanted = fold(statement)
            scored = []
            for fact_id in self._words.sharing_rare_terms(statement):
                fact = self._facts[fact_id]
                score = fuzz.ratio(wanted, fold(fact.statement))
                if score >= cutoff:
                    scored.append((fact, score))
            scored.sort(key=lambda pair: -pair[1])
            return scored

    def event(self) -> Event | None:
        with self._lock:
            doc = self._meta.get("event")
            return Event.from_doc(doc) if doc else None

    # -- writes --------------------------------------------------------------------

    def next_fact_id(self) -> str:
        with self._lock:
            return f"F{self._highest_number + 1}"

    def put_entity(self, entity: Entity) -> None:
        with self._lock:
            self._write([(ENTITIES, entity.id, entity.to_doc())])

    def put_fact(self, fact: Fact, revision: Revision | None = None) -> None:
        """Stores a fact, and the revision that records the change, in one durable batch."""
        with self._lock:
            changes: list[tuple[str, str, dict[str, Any] | None]] = [
                (FACTS, fact.id, fact.to_doc())
            ]
            if revision is not None:
                changes.append((REVISIONS, revision.key, revision.to_doc()))
            self._write(changes)

    def add_fact(self, fact: Fact, revision: Revision | None = None) -> Fact:
        """Stores a new fact under the next free id (whatever id it came with)."""
        with self._lock:
            stored = replace(fact, id=self.next_fact_id())
            if revision is not None:
                revision = replace(revision, fact_id=stored.id)
            self.put_fact(stored, revision)
            return stored

    def put_many(
        self, entities: list[Entity], facts: list[Fact], revisions: list[Revision]
    ) -> None:
        """Stores a bulk import as one durable batch."""
        with self._lock:
            changes: list[tuple[str, str, dict[str, Any] | None]] = []
            changes += [(ENTITIES, entity.id, entity.to_doc()) for entity in entities]
            changes += [(FACTS, fact.id, fact.to_doc()) for fact in facts]
            changes += [(REVISIONS, rev.key, rev.to_doc()) for rev in revisions]
            self._write(changes)

    # -- digests -------------------------------------------------------------------

    def subscription(self, channel_id: str) -> Subscription | None:
        with self._lock:
            return self._subscriptions.get(channel_id)

    def subscriptions(self) -> list[Subscription]:
        with self._lock:
            return list(self._subscriptions.values())

    def put_subscription(self, subscription: Subscription) -> None:
        with self._lock:
            self._write([(SUBSCRIPTIONS, subscription.channel_id, subscription.to_doc())])

    def delete_subscription(self, channel_id: str) -> None:
        with self._lock:
            self._write([(SUBSCRIPTIONS, channel_id, None)])

    def slot(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            return self._slots.get(key)

    def record_slot(
        self, key: str, record: dict[str, Any], subscription: Subscription | None = None
    ) -> None:
        """Records a digest slot's outcome, with the subscription's new marks, in one batch."""
        with self._lock:
            changes: list[tuple[str, str, dict[str, Any] | None]] = [(SLOTS, key, record)]
            if subscription is not None:
                changes.append((SUBSCRIPTIONS, subscription.channel_id, subscription.to_doc()))
            self._write(changes)

    # -- history -------------------------------------------------------------------

    def revisions_of(self, fact_id: str) -> list[Revision]:
        with self._lock:
            return list(self._revisions_by_fact.get(fact_id.upper(), ()))

    def revisions_since(self, since: str) -> list[Revision]:
        """Every change recorded after the ISO time ``since``, oldest first."""
        with self._lock:
            start = bisect.bisect_right(
                self._revisions_by_time,
                (since, "\uffff", 1 << 62),
                key=lambda r: (r.at, r.fact_id, r.number),
            )
            return self._revisions_by_time[start:]

    def seed(self, *, reset: bool = False) -> SeedReport:
        """Add the shipped seed's missing records; with ``reset``, rewrite the seed part."""
        seed = load_seed()
        now = self._clock().isoformat(timespec="seconds")
        with self._lock:
            source = seed["source"]
            if reset or "source" not in self._meta:
                self._write([(META, "source", source)])
            if reset or "event" not in self._meta:
                self._write([(META, "event", seed["event"])])
            entities_written = facts_written = entities_removed = facts_removed = 0
            seed_entity_ids = {doc["id"] for doc in seed["entities"]}
            seed_fact_ids = {doc["id"] for doc in seed["facts"]}
            if reset:
                for fact in list(self._facts.values()):
                    if fact.origin == "seed" and fact.id not in seed_fact_ids:
                        self._write([(FACTS, fact.id, None)])
                        facts_removed += 1
                for entity in list(self._entities.values()):
                    if entity.origin == "seed" and entity.id not in seed_entity_ids:
                        self._write([(ENTITIES, entity.id, None)])
                        entities_removed += 1
            for doc in seed["entities"]:
                if reset or doc["id"] not in self._entities:
                    self.put_entity(Entity.from_doc({**doc, "origin": "seed"}))
                    entities_written += 1
            for doc in seed["facts"]:
                if reset or doc["id"] not in self._facts:
                    fact = Fact(
                        id=doc["id"],
                        statement=doc["statement"],
                        kind=doc["kind"],
                        status=doc["status"],
                        entity_ids=tuple(doc["entities"]),
                        tags=tuple(doc["tags"]),
                        source=Source(title=source["title"], url=source.get("url")),
                        happened_on=doc.get("happened_on"),
                        added_at=now,
                        updated_at=now,
                        added_by="seed",
                        origin="seed",
                    )
                    existing = self._facts.get(fact.id)
                    if existing is not None:
                        fact = replace(fact, added_at=existing.added_at)
                    self.put_fact(fact)
                    facts_written += 1
            return SeedReport(entities_written, facts_written, entities_removed, facts_removed)
