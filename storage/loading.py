"""How the store comes up: the snapshot read (or only its small tables, when the layout and
indexes saved beside it match), the indexes restored or built from every record, the journal
replayed on top, and the fact cache warmed with what cards show first.

A part of ``FactStore`` (its methods, typed against it), kept apart because it is its own
idea, as ``Folding`` is; it builds on ``Folding``, which saves what a start reads."""

from __future__ import annotations

import contextlib
import ctypes
import logging
from typing import TYPE_CHECKING, Any

import orjson
from pyroaring import BitMap

from storage.fact_index import FactIndex
from storage.folding import Folding
from storage.index import WordIndex
from storage.tables import DOCUMENT_TABLES, FACTS, REVISIONS

if TYPE_CHECKING:
    from storage.models import Entity

logger = logging.getLogger(__name__)

# The newest facts of each entity read into the cache at start: two pages of a card (the
# store does not know which kinds a card's sections take).
WARM_PER_ENTITY = 90


def give_back_freed_memory() -> None:
    """Returns the heap freed after loading (the saved indexes' JSON, 186 MB at a million
    facts) to the system: glibc keeps freed memory for the process otherwise (37 MB of RSS
    at a million facts). Nothing happens where there is no glibc."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class Loading(Folding):
    """What of ``FactStore`` this part uses beyond ``Folding`` (set by its ``__init__``)."""

    _entities: dict[str, Entity]

    if TYPE_CHECKING:  # Applying's (declared only: a stub here would shadow it)

        def _remember(
            self, table_name: str, key: str, doc_id: int, doc: dict[str, Any]
        ) -> None: ...

    def _load(self) -> None:
        """Reads the snapshot, restores the indexes saved beside it (or builds them from
        every record, as the snapshot is read), then replays the journal."""
        saved = self._read_saved_indexes()
        history: list[tuple[int, int, str]] = []
        rekeyed = False

        def index_record(table_name: str, doc_id: int, record: Any) -> None:
            nonlocal rekeyed
            if table_name == FACTS:
                self._index_fact(record.number, record)
                rekeyed = rekeyed or doc_id != record.number
            elif table_name == REVISIONS:
                history.append((record.fact_number, doc_id, record.at))

        self._words.begin_bulk()
        laid_out = self._storage.load(saved, index_record)
        self._words.end_bulk()
        if saved is not None and not laid_out:
            logger.info(
                "built the indexes of %s from its records: the saved ones were saved for "
                "another snapshot",
                self.path,
            )
        raw = self._storage.read()
        for table_name in DOCUMENT_TABLES:
            table = raw.get(table_name, {})
            for doc_id, doc in table.items():
                self._remember(table_name, doc["key"], int(doc_id), doc)
        if (laid_out and not self._restore_saved_indexes(saved)) or (self._storage.foreign_layout):
            # (A foreign file may have been half read as a line layout first.)
            self._fresh_indexes()
            self._index_every_record()
        elif not laid_out:
            self._index.load_history(history)
        history.clear()
        if rekeyed:
            # Stores written before doc id == fact number: move each fact to its number.
            by_number = {fact.number: fact for _doc_id, fact in self._facts.scan()}
            self._facts.clear()
            self._facts.update(by_number)
        self._next_doc_id[REVISIONS] = self._revision_records.last_id() + 1
        layout = self._storage.layout
        if not laid_out and layout is not None and not rekeyed:
            # Saved now, so that the next start reads only what it needs.
            try:
                self._save_indexes(layout, self._dump_indexes())
            except OSError as error:
                logger.warning("the indexes are built again at the next start: %s", error)
        # Only the last record for a key matters, so replay the journal as one batch.
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        if self._folding_path.exists():  # a compaction that did not finish: older records
            for record in self._journal.replay(self._folding_path):
                latest[(record["table"], record["key"])] = record
        for record in self._journal.replay():
            latest[(record["table"], record["key"])] = record
        if latest:
            self._apply(list(latest.values()))
        if latest or rekeyed or self._storage.foreign_layout:
            self.compact(wait=self._snapshot_is_quick())
        self._warm_fact_cache()

    def _warm_fact_cache(self) -> None:
        """Reads the newest facts of every entity, those named most often first, while the
        cache of decoded facts has room: the facts a card shows, so that the first question
        about a company after a start reads nothing from the file (at 100,000 facts, reading
        them took an uncached /whois from 0.8 to 1.1 ms of CPU)."""
        involving = [(self._index.of_entities([e]), e) for e in self._entities]
        involving.sort(key=lambda pair: (len(pair[0]), pair[1]), reverse=True)
        wanted = BitMap()
        room = self._facts.room()
        for facts, _entity_id in involving:
            newest = facts[-WARM_PER_ENTITY:]
            if len(wanted | newest) > room:
                break
            wanted |= newest
        self._facts.warm(list(wanted))

    def _read_saved_indexes(self) -> dict[str, Any] | None:
        try:
            saved = orjson.loads(self._index_path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as error:
            if self._index_path.exists():
                logger.info("reading every record of %s: its saved indexes %s", self.path, error)
            return None
        return saved if isinstance(saved, dict) else None

    def _restore_saved_indexes(self, saved: dict[str, Any] | None) -> bool:
        """The fact and word indexes as they were at the snapshot, saved with it."""
        try:
            if saved is None:
                raise ValueError("none saved")
            self._index.restore(saved["facts"])
            self._words.restore(saved)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            logger.info("building the indexes of %s from its records: %s", self.path, error)
            return False
        return True

    def _fresh_indexes(self) -> None:
        self._index = FactIndex(self._revision_records)
        self._words = WordIndex(self._index.of_entities)
        for entity in self._entities.values():
            self._words.set_entity(entity.id, entity.all_names(), ())

    def _index_every_record(self) -> None:
        """Indexes the snapshot's records, read from its file: for a snapshot whose saved
        indexes could not be used although its layout could."""
        self._words.begin_bulk()
        for _doc_id, fact in self._facts.scan():
            self._index_fact(fact.number, fact)
        self._words.end_bulk()
        self._index.load_history(
            (revision.fact_number, doc_id, revision.at)
            for doc_id, revision in self._revision_records.scan()
        )
