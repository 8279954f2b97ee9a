"""How records become the store's memory: a batch of durable records (from the journal, a
write, or another replica's change) applied to TinyDB's tables and every index, under the
memory lock. Every backend that answers from memory, the PostgreSQL one too, applies
records only through here.

A part of ``FactStore`` (its methods, typed against it), kept apart because it is its own
idea, as ``Loading`` and ``Folding`` are."""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from tinydb.table import Document

from storage.ids import number_of
from storage.models import Entity, Fact
from storage.tables import (
    CANDIDATES,
    ENTITIES,
    FACTS,
    FEEDS,
    PLAIN_DOCUMENT_TABLES,
    REVIEW_TABLES,
    REVISIONS,
    SLOTS,
    SUBSCRIPTIONS,
    copy_document,
)

if TYPE_CHECKING:
    from tinydb import TinyDB

    from storage.fact_index import FactIndex
    from storage.index import WordIndex
    from storage.stored_records import StoredRecords


class Applying:
    """What of ``FactStore`` this part uses (set by its ``__init__``)."""

    _reads: threading.RLock
    _db: TinyDB
    _doc_ids: dict[str, dict[str, int]]
    _next_doc_id: dict[str, int]
    _entities: dict[str, Entity]
    _facts: StoredRecords
    _revision_records: StoredRecords
    _index: FactIndex
    _words: WordIndex
    _meta: dict[str, Any]
    version: int
    entities_version: int

    if TYPE_CHECKING:  # the other parts' (declared only: a stub here would shadow them)

        def _remember_digest_doc(self, table_name: str, key: str, doc: dict[str, Any]) -> None: ...

        def _forget_digest_doc(self, table_name: str, key: str) -> None: ...

        def _remember_review_doc(self, table_name: str, key: str, doc: dict[str, Any]) -> None: ...

        def _forget_review_doc(self, table_name: str, key: str) -> None: ...

    def _apply_records(self, records: list[dict[str, Any]]) -> None:
        """Applies durable records to memory, under the memory lock (readers wait only for
        this, never for the fsync or commit before it)."""
        if records:
            with self._reads:
                self._apply(records)
                self._bump_versions({record["table"] for record in records})

    def _bump_versions(self, tables: set[str]) -> None:
        """After a write to ``tables``: what answer caches check."""
        # Answers never show feeds or candidates: a poll leaves cached answers valid.
        if not tables <= REVIEW_TABLES:
            self.version += 1
        if ENTITIES in tables:
            self.entities_version += 1

    def _records_of(
        self, changes: list[tuple[str, str, dict[str, Any] | None]]
    ) -> list[dict[str, Any]]:
        """Changes as the records the journal keeps, each with its TinyDB doc id."""
        records = []
        # The last change to a key wins, as it would one at a time.
        for (table_name, key), doc in {(t, k): d for t, k, d in changes}.items():
            doc_id = self._doc_id(table_name, key, doc)
            if doc_id is not None:
                if doc is not None and table_name in PLAIN_DOCUMENT_TABLES:
                    doc = copy_document(doc)
                records.append({"table": table_name, "key": key, "doc_id": doc_id, "doc": doc})
        return records

    def _doc_id(self, table_name: str, key: str, doc: dict[str, Any] | None) -> int | None:
        """The TinyDB doc id a change goes to; None when there is nothing to do."""
        if table_name == FACTS:
            return number_of(key)
        if table_name == REVISIONS:
            # History is never rewritten: a revision already recorded stays as it is.
            if doc is None or self._index.has_revision(doc["fact_id"], doc["number"]):
                return None
            next_id = self._next_doc_id[REVISIONS]
            self._next_doc_id[REVISIONS] = next_id + 1
            return next_id
        known = self._doc_ids[table_name].get(key)
        if known is None and doc is not None:
            known = self._next_doc_id[table_name]
            self._next_doc_id[table_name] = known + 1
        return known

    def _is_stored(self, table_name: str, record: dict[str, Any]) -> bool:
        if table_name == FACTS:
            return record["doc_id"] in self._facts
        if table_name == REVISIONS:
            return record["doc_id"] in self._revision_records
        return record["key"] in self._doc_ids[table_name]

    def _apply(self, records: list[dict[str, Any]]) -> None:
        by_table: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in records:
            by_table[record["table"]].append(record)
        for table_name, table_records in by_table.items():
            table = self._db.table(table_name)
            old_facts: dict[int, Fact | None] = {}
            if table_name == FACTS:
                # Journals written before doc id == fact number carry other doc ids.
                for record in table_records:
                    record["doc_id"] = number_of(record["key"])
                old_facts = {r["doc_id"]: self._facts.get(r["doc_id"]) for r in table_records}
            stored = [r for r in table_records if self._is_stored(table_name, r)]
            removed = [r for r in stored if r["doc"] is None]
            updated = [r for r in stored if r["doc"] is not None]
            inserted = [
                r
                for r in table_records
                if r["doc"] is not None and not self._is_stored(table_name, r)
            ]
            if removed:
                table.remove(doc_ids=[r["doc_id"] for r in removed])
            for record in updated:
                table.upsert(Document({**record["doc"], "key": record["key"]}, record["doc_id"]))
            if inserted:
                # One TinyDB call for all new documents.
                table.insert_multiple(
                    Document({**r["doc"], "key": r["key"]}, r["doc_id"]) for r in inserted
                )
            if table_name == FACTS:
                for number, old in old_facts.items():
                    if old is not None:
                        self._unindex_fact(number, old)
                    new = self._facts.get(number)
                    if new is not None:
                        self._index_fact(number, new)
            elif table_name == REVISIONS:
                for record in inserted:
                    doc_id = record["doc_id"]
                    self._index.add_revision(doc_id, self._revision_records[doc_id])
                    # Replayed from the journal: later revisions must not reuse the doc id.
                    next_id = max(self._next_doc_id[REVISIONS], record["doc_id"] + 1)
                    self._next_doc_id[REVISIONS] = next_id
            else:
                for record in removed:
                    self._forget(table_name, record["key"])
                for record in updated + inserted:
                    self._remember(table_name, record["key"], record["doc_id"], record["doc"])

    def _remember(self, table_name: str, key: str, doc_id: int, doc: dict[str, Any]) -> None:
        # A document loaded from the snapshot carries its key, which is the store's own:
        # what meta() and slot() return is the document as it was written.
        doc = {field: value for field, value in doc.items() if field != "key"}
        self._doc_ids[table_name][key] = doc_id
        self._next_doc_id[table_name] = max(self._next_doc_id[table_name], doc_id + 1)
        if table_name == ENTITIES:
            entity = Entity.from_doc(doc)
            old = self._entities.get(key)
            self._entities[key] = entity
            self._words.set_entity(key, entity.all_names(), old.all_names() if old else ())
        elif table_name in (SUBSCRIPTIONS, SLOTS):
            self._remember_digest_doc(table_name, key, doc)
        elif table_name in (FEEDS, CANDIDATES):
            self._remember_review_doc(table_name, key, doc)
        else:
            self._meta[key] = doc

    def _forget(self, table_name: str, key: str) -> None:
        self._doc_ids[table_name].pop(key, None)
        if table_name == ENTITIES:
            old = self._entities.pop(key, None)
            if old is not None:
                self._words.set_entity(key, (), old.all_names())
        elif table_name in (SUBSCRIPTIONS, SLOTS):
            self._forget_digest_doc(table_name, key)
        elif table_name in (FEEDS, CANDIDATES):
            self._forget_review_doc(table_name, key)
        else:
            self._meta.pop(key, None)

    def _index_fact(self, number: int, fact: Fact) -> None:
        self._index.add(number, fact)
        self._words.add(number, fact.statement, fact.tags)

    def _unindex_fact(self, number: int, old: Fact) -> None:
        self._index.remove(number, old)
        self._words.remove(number, old.statement, old.tags)
