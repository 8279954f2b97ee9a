"""The fact store: the one API over TinyDB that the rest of Summit Intel uses.

Every method takes the store's lock, reads included: TinyDB is not thread-safe, and the
HTTP server and the scheduler call in from many threads. Reads are answered from memory
(TinyDB over ``SnapshotStorage`` plus the indexes kept here); every write is journaled
and fsynced before it is applied, so it survives a crash once the method returns.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.table import Document

from storage.durable import Journal, ProcessLock, SnapshotStorage
from storage.index import ENTITY_WEIGHT, STATEMENT_WEIGHT, TAG_WEIGHT, WordIndex
from storage.models import Entity, Event, Fact, Source

ENTITIES = "entities"
FACTS = "facts"
META = "meta"
COMPACT_AFTER_WRITES = 500
STATUS_RANK = {"confirmed": 0, "reported": 1, "expected": 2, "retracted": 3}

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SeedReport:
    entities_written: int
    facts_written: int
    entities_removed: int = 0
    facts_removed: int = 0


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
        self._process_lock = ProcessLock(self.path.with_name(self.path.name + ".lock"))
        self._process_lock.acquire()
        try:
            self._storage = SnapshotStorage(self.path)
            self._db = TinyDB(storage=lambda: self._storage)
            self._journal = Journal(self.path.with_name(self.path.name + ".journal"))
            self._doc_ids: dict[str, dict[str, int]] = defaultdict(dict)
            self._next_doc_id: dict[str, int] = defaultdict(lambda: 1)
            self._entities: dict[str, Entity] = {}
            self._facts: dict[str, Fact] = {}
            self._facts_by_entity: dict[str, set[str]] = defaultdict(set)
            self._words = WordIndex()
            self._meta: dict[str, Any] = {}
            self.version = 0
            self.entities_version = 0
            self._load()
        except BaseException:
            self._process_lock.release()
            raise

    # -- life cycle ---------------------------------------------------------------

    def _load(self) -> None:
        for table_name in (ENTITIES, FACTS, META):
            for document in self._db.table(table_name).all():
                self._remember(table_name, document["key"], document.doc_id, dict(document))
        replayed = 0
        for record in self._journal.replay():
            self._apply(record)
            replayed += 1
        if replayed:
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

    def _write(self, table_name: str, key: str, doc: dict[str, Any] | None) -> None:
        doc_id = self._doc_ids[table_name].get(key)
        if doc_id is None:
            if doc is None:
                return
            doc_id = self._next_doc_id[table_name]
        record = {"table": table_name, "key": key, "doc_id": doc_id, "doc": doc}
        self._journal.append(record)
        self._apply(record)
        self.version += 1
        if table_name == ENTITIES:
            self.entities_version += 1
        if self._journal.length >= self._compact_after:
            self.compact()

    def _apply(self, record: dict[str, Any]) -> None:
        table_name, key, doc_id, doc = (
            record["table"],
            record["key"],
            record["doc_id"],
            record["doc"],
        )
        table = self._db.table(table_name)
        if doc is None:
            table.remove(doc_ids=[doc_id])
            self._forget(table_name, key)
        else:
            table.upsert(Document({**doc, "key": key}, doc_id=doc_id))
            self._remember(table_name, key, doc_id, doc)

    def _remember(self, table_name: str, key: str, doc_id: int, doc: dict[str, Any]) -> None:
        self._doc_ids[table_name][key] = doc_id
        self._next_doc_id[table_name] = max(self._next_doc_id[table_name], doc_id + 1)
        if table_name == ENTITIES:
            self._entities[key] = Entity.from_doc(doc)
        elif table_name == FACTS:
            self._index_fact(Fact.from_doc(doc))
        else:
            self._meta[key] = doc

    def _forget(self, table_name: str, key: str) -> None:
        self._doc_ids[table_name].pop(key, None)
        if table_name == ENTITIES:
            self._entities.pop(key, None)
        elif table_name == FACTS:
            self._unindex_fact(key)
        else:
            self._meta.pop(key, None)

    def _index_fact(self, fact: Fact) -> None:
        self._unindex_fact(fact.id)
        self._facts[fact.id] = fact
        for entity_id in fact.entity_ids:
            self._facts_by_entity[entity_id].add(fact.id)
        weighted: list[tuple[str, float]] = [(fact.statement, STATEMENT_WEIGHT)]
        weighted += [(tag, TAG_WEIGHT) for tag in fact.tags]
        for entity_id in fact.entity_ids:
            entity = self._entities.get(entity_id)
            names = entity.all_names() if entity else (entity_id,)
            weighted += [(name, ENTITY_WEIGHT) for name in names]
        self._words.add(fact.id, weighted)

    def _unindex_fact(self, fact_id: str) -> None:
        old = self._facts.pop(fact_id, None)
        if old is None:
            return
        for entity_id in old.entity_ids:
            self._facts_by_entity[entity_id].discard(fact_id)
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
            return sorted((self._facts[f] for f in fact_ids), key=lambda fact: fact.number)

    def search(self, query: str, limit: int | None = None) -> list[Fact]:
        """Facts ranked by how many query words they match, then by weight and status."""
        with self._lock:
            hits = self._words.search(query)
            hits.sort(
                key=lambda hit: (
                    -hit[1],
                    -hit[2],
                    STATUS_RANK.get(self._facts[hit[0]].status, 9),
                    -self._facts[hit[0]].number,
                )
            )
            chosen = hits if limit is None else hits[:limit]
            return [self._facts[fact_id] for fact_id, _coverage, _score in chosen]

    def search_count(self, query: str) -> int:
        with self._lock:
            return len(self._words.search(query))

    def event(self) -> Event | None:
        with self._lock:
            doc = self._meta.get("event")
            return Event.from_doc(doc) if doc else None

    def default_source(self) -> Source:
        with self._lock:
            doc = self._meta.get("source") or {}
            return Source(title=doc.get("title", ""), url=doc.get("url"))

    # -- writes --------------------------------------------------------------------

    def next_fact_id(self) -> str:
        with self._lock:
            highest = max((fact.number for fact in self._facts.values()), default=0)
            return f"F{highest + 1}"

    def put_entity(self, entity: Entity) -> None:
        with self._lock:
            self._write(ENTITIES, entity.id, entity.to_doc())
            # Facts index their entities' names, so re-index those that name this one.
            for fact_id in list(self._facts_by_entity.get(entity.id, ())):
                self._index_fact(self._facts[fact_id])

    def put_fact(self, fact: Fact) -> None:
        with self._lock:
            self._write(FACTS, fact.id, fact.to_doc())

    def add_fact(self, fact: Fact) -> Fact:
        """Stores a new fact under the next free id (whatever id it came with)."""
        with self._lock:
            stored = replace(fact, id=self.next_fact_id())
            self.put_fact(stored)
            return stored

    def seed(self, *, reset: bool = False) -> SeedReport:
        """Add the shipped seed's missing records; with ``reset``, rewrite the seed part."""
        seed = load_seed()
        now = self._clock().isoformat(timespec="seconds")
        with self._lock:
            source = seed["source"]
            if reset or "source" not in self._meta:
                self._write(META, "source", source)
            if reset or "event" not in self._meta:
                self._write(META, "event", seed["event"])
            entities_written = facts_written = entities_removed = facts_removed = 0
            seed_entity_ids = {doc["id"] for doc in seed["entities"]}
            seed_fact_ids = {doc["id"] for doc in seed["facts"]}
            if reset:
                for fact in list(self._facts.values()):
                    if fact.origin == "seed" and fact.id not in seed_fact_ids:
                        self._write(FACTS, fact.id, None)
                        facts_removed += 1
                for entity in list(self._entities.values()):
                    if entity.origin == "seed" and entity.id not in seed_entity_ids:
                        self._write(ENTITIES, entity.id, None)
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
