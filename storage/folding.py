"""When and how the store's file is rewritten: the journal folded into a new snapshot (in
the background while the store answers, retried with a growing pause when the disk fails),
a large batch written as a snapshot of its own, and a store refused when its snapshot is
gone but its other files show it was written before.

A part of ``FactStore`` (its methods, typed against it), kept apart because it is its own
idea, as ``ReviewTables`` is."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from storage.errors import StoreCorruptError, StoreWriteError
from storage.files import write_atomically
from storage.journal import describe_os_error
from storage.models import Fact, Revision
from storage.tables import FACTS, REVISIONS, Change
from storage.tinydb_glue import RecordTable, Tables

if TYPE_CHECKING:
    from pathlib import Path

    from storage.fact_index import FactIndex
    from storage.index import WordIndex
    from storage.journal import Journal
    from storage.snapshot import Layout, SnapshotStorage
    from storage.stored_records import StoredRecords

logger = logging.getLogger(__name__)

# A journal this share of the snapshot (within these bounds) is folded into it.
JOURNAL_SHARE = 8
MIN_JOURNAL_BYTES = 1 << 20
MAX_JOURNAL_BYTES = 32 << 20


class Folding:
    """What of ``FactStore`` this part uses (set by its ``__init__``)."""

    path: Path
    _lock: threading.RLock
    _reads: threading.RLock
    _storage: SnapshotStorage
    _journal: Journal
    _words: WordIndex
    _index: FactIndex
    _facts: StoredRecords
    _revision_records: StoredRecords
    _next_doc_id: dict[str, int]
    _index_path: Path
    _folding_path: Path
    _compaction: threading.Thread | None
    _compaction_error: str | None
    _compaction_failures: int
    _next_compaction_try: float
    _compact_after: int
    _compact_min_bytes: int | None
    _quick_snapshot_bytes: int

    if TYPE_CHECKING:  # Applying's (declared only: a stub here would shadow it)

        def _records_of(self, changes: list[Change]) -> list[dict[str, Any]]: ...

        def _apply(self, records: list[dict[str, Any]]) -> None: ...

        def _bump_versions(self, tables: set[str]) -> None: ...

        def _index_fact(self, number: int, fact: Fact) -> None: ...

        def _unindex_fact(self, number: int, old: Fact) -> None: ...

    def _dump_indexes(self) -> dict[str, Any]:
        """The fact and word indexes as JSON values, saved beside the snapshot they were
        taken with. Under the writers' lock."""
        return {"facts": self._index.dump(), **self._words.dump()}

    def _save_indexes(self, layout: Layout, indexes: dict[str, Any]) -> None:
        """Saves the snapshot's layout and the indexes beside it. Stamped with the snapshot
        it belongs to: after a crash between the two writes, or a snapshot changed by hand,
        the stamps differ and the next start reads every record instead."""
        saved = {"snapshot": layout.checksum, **layout.dump(), **indexes}
        write_atomically(self._index_path, orjson.dumps(saved))

    def _refuse_a_lost_snapshot(self) -> None:
        """A store that has been written before (its journal holds records, its index or a
        folding journal is there, or the snapshot file is) but whose snapshot is now empty
        or gone has lost data: it is never started afresh from the seed, which would hide
        the loss. (The lock file is no such trace: every open makes it, even one that
        wrote nothing.)"""
        snapshot_size = self.path.stat().st_size if self.path.exists() else None
        if snapshot_size:
            return
        traces = []
        for suffix in (".journal", ".index", ".journal.folding"):
            companion = self.path.with_name(self.path.name + suffix)
            if companion.exists() and (suffix != ".journal" or companion.stat().st_size):
                traces.append(companion.name)
        if snapshot_size == 0:
            traces.insert(0, f"{self.path.name} (empty)")
        if traces:
            raise StoreCorruptError(
                f"{self.path} is {'empty' if snapshot_size == 0 else 'missing'} but the store "
                f"was written before ({', '.join(traces)} found). Nothing was changed. Restore "
                f"{self.path.name} from a backup (summitbot export), or move the store's "
                "files away to start a new store from the seed."
            )

    def _snapshot_is_quick(self) -> bool:
        return self._storage.snapshot_bytes <= self._quick_snapshot_bytes

    def compact(self, *, wait: bool = True) -> None:
        """Folds the journal into an atomically replaced snapshot, with the word index saved
        beside it.

        Under the lock the store is only copied (records are immutable: milliseconds) and
        the journal handed over to ``<db>.journal.folding``; writing the copy out takes
        most of a second at 100,000 facts, so with ``wait=False`` a background thread does
        it while reads and writes go on. The folding journal is deleted only once the
        snapshot is on disk, and loading replays it first, so a crash at any point loses
        nothing."""
        with self._lock:
            running = self._compaction
            if running is not None and running.is_alive():
                if not wait:
                    return  # the journal grows a little longer meanwhile
                running.join()
            tables = self._storage.copy()
            index = self._dump_indexes()
            self._journal.hand_over(self._folding_path)
            if wait:
                self._write_compaction(tables, index)
                return
            self._compaction = threading.Thread(
                target=self._write_compaction, args=(tables, index), name="compaction"
            )
            self._compaction.start()

    def _write_compaction(self, tables: Tables, index: dict[str, Any]) -> None:
        try:
            layout = self._storage.save_snapshot(tables)
            with self._reads:
                self._storage.rebase(tables, layout)
            self._save_indexes(layout, index)
            self._folding_path.unlink()
        except OSError as error:
            # The folding journal stays and is folded in next time (or replayed at start).
            self._compaction_failed(error)
            return
        if self._compaction_error is not None:
            logger.warning("the snapshot of %s is written again", self.path)
        self._compaction_error = None
        self._compaction_failures = 0
        self._next_compaction_try = 0.0

    def _compaction_failed(self, error: OSError) -> None:
        """Logs a compaction's failure once per cause and backs off before the next try;
        saves go on into the journal meanwhile."""
        cause = describe_os_error(error)
        if cause != self._compaction_error:
            logger.error(
                "could not write the snapshot of %s (%s); saves go on into the journal and "
                "the snapshot is tried again later",
                self.path,
                cause,
            )
        self._compaction_error = cause
        self._compaction_failures += 1
        pause = min(5.0 * 2 ** (self._compaction_failures - 1), 300.0)
        self._next_compaction_try = time.monotonic() + pause

    def _journal_is_due(self) -> bool:
        if self._journal.length < self._compact_after:
            return False
        floor = self._compact_min_bytes
        if floor is None:
            snapshot_bytes = self._storage.snapshot_bytes
            floor = min(max(snapshot_bytes // JOURNAL_SHARE, MIN_JOURNAL_BYTES), MAX_JOURNAL_BYTES)
        return self._journal.size >= floor

    def _write_as_snapshot(
        self,
        changes: list[tuple[str, str, dict[str, Any] | None]],
        facts: list[Fact],
        revisions: list[Revision],
        progress: Callable[[str], None] | None,
    ) -> None:
        """Stores a large batch by writing a new snapshot that holds the store and the batch,
        then applying the batch in memory: all or nothing, as the snapshot is replaced
        atomically and memory changes only once it is on disk. The journal's records are
        in memory already, so the new snapshot holds them too and the journal starts empty.
        Facts and revisions go in as the records they are, never as documents."""
        tell = progress or (lambda _step: None)
        if self._compaction is not None:
            self._compaction.join()
        records = self._records_of(changes)
        by_number = {fact.number: fact for fact in facts}
        new_revisions: dict[str, Revision] = {}
        for revision in revisions:
            if not self._index.has_revision(revision.fact_id, revision.number):
                new_revisions[revision.key] = revision  # the last wins, as in _write
        first_revision = self._next_doc_id[REVISIONS]
        numbered = dict(enumerate(new_revisions.values(), start=first_revision))
        del new_revisions  # a key string per revision: 100 MB at a million
        self._storage.table(FACTS)
        self._storage.table(REVISIONS)
        tables = self._storage.copy()
        for record in records:
            table = tables.setdefault(record["table"], {})
            assert not isinstance(table, RecordTable)  # facts and revisions are not here
            if record["doc"] is None:
                table.pop(str(record["doc_id"]), None)
            else:
                table[str(record["doc_id"])] = {**record["doc"], "key": record["key"]}
        for name, added in ((FACTS, by_number), (REVISIONS, numbered)):
            table = tables[name]
            assert isinstance(table, RecordTable)
            table.records.update(added)
        tell(f"writing the snapshot: {len(by_number):,} facts, {len(numbered):,} revisions")
        try:
            layout = self._storage.save_snapshot(tables)
        except TypeError as error:
            raise StoreWriteError(f"not saved: text the store cannot encode ({error})") from None
        except OSError as error:
            raise StoreWriteError(f"not saved: {describe_os_error(error)}") from None
        tell("snapshot written and synced: the batch is durable")
        try:
            self._journal.hand_over(self._folding_path)
            self._folding_path.unlink()
        except OSError as error:
            # Harmless: replaying records the snapshot already holds changes nothing.
            logger.warning("could not empty the journal of %s: %s", self.path, error)
        with self._reads:
            self._apply(records)
            self._words.begin_bulk()
            for number, fact in by_number.items():
                old = self._facts.get(number)
                if old is not None:
                    self._unindex_fact(number, old)
                self._facts[number] = fact
                self._index_fact(number, fact)
            self._words.end_bulk()
            for doc_id, revision in numbered.items():
                self._revision_records[doc_id] = revision
            self._index.add_history(
                (revision.fact_number, doc_id, revision.at) for doc_id, revision in numbered.items()
            )
            self._next_doc_id[REVISIONS] = first_revision + len(numbered)
            self._bump_versions({FACTS} | {record["table"] for record in records})
            # Memory now holds what the snapshot does: its records are read from there.
            self._storage.rebase(tables, layout)
        applied = len(by_number) + len(numbered) + len(records)
        del tables, by_number, numbered  # not held while the indexes are saved
        tell(f"{applied:,} records applied in memory")
        try:
            self._save_indexes(layout, self._dump_indexes())
        except OSError as error:
            logger.warning("the indexes are built again at the next start: %s", error)
