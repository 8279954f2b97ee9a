"""The fact store: the one API over TinyDB that the rest of Summit Intel uses.

Reads are answered from memory (TinyDB over ``SnapshotStorage`` plus the indexes kept here,
with facts and revisions read from the snapshot file when shown);
every write is journaled and fsynced before it is applied, so it survives a crash once the
method returns. The HTTP server and the scheduler call in from many threads, and TinyDB is
not thread-safe, so two locks order them:

- ``_lock``, the writers' lock: one write (or ``transaction``) at a time, held from reading
  what it decides on until its records are applied;
- ``_reads``, the memory's lock: every read, and a write only while it applies its records
  to memory.

A reader therefore never waits for a writer's fsync (or a replica's database round trip):
with one lock, /whois while an admin saved stalled for the length of each fsync.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from pyroaring import BitMap
from rapidfuzz import fuzz
from tinydb import TinyDB

from storage.api import (
    EVENT_CLAIM_SECONDS,
    NAMED_RETRACTED,
    FactPage,
    SearchResult,
    SeedReport,
    utc_now,
)
from storage.applying import Applying
from storage.digest_tables import DigestTables
from storage.errors import StoreOpenError, StoreWriteError
from storage.fact_index import FactIndex
from storage.files import ProcessLock, remove_leftovers
from storage.ids import MAX_FACT_NUMBER, fact_number
from storage.ids import fact_id as format_fact_id
from storage.index import WordIndex
from storage.journal import Journal, describe_os_error
from storage.loading import Loading, give_back_freed_memory
from storage.measures import timed_write
from storage.models import (
    FACT_KINDS,
    Candidate,
    Entity,
    Event,
    Fact,
    Feed,
    Revision,
    Subscription,
)
from storage.review_tables import ReviewTables
from storage.seed import apply_seed
from storage.snapshot import SnapshotStorage
from storage.stored_records import StoredRecords
from storage.tables import (
    CANDIDATES,
    ENTITIES,
    FACTS,
    FEEDS,
    META,
    REVISIONS,
    SUBSCRIPTIONS,
    copy_document,
)
from storage.text import fold
from storage.tinydb_glue import Codec, InPlaceTable, RecordTable

logger = logging.getLogger(__name__)

COMPACT_AFTER_WRITES = 500
# A batch of this many facts and revisions (a bulk import) is stored by writing a new
# snapshot that holds it instead of through the journal: it reaches the disk once, not twice
# (journal, then snapshot), and no journal the size of the store is ever replayed.
SNAPSHOT_BATCH = 20_000
# A snapshot up to this size is written in well under a second: closing the store folds the
# journal into it, and opening a store with a journal does so before it returns. A larger
# one (a million facts is about 800 MB, several seconds to write) is not rewritten on the
# stop path, where the journal is durable anyway and replayed at the next start, and that
# start folds it in the background while the store already answers.
QUICK_SNAPSHOT_BYTES = 64 << 20
# Facts read under one hold of the memory lock by a read of many (storage.stored_records).
READ_BATCH = 64

Clock = Callable[[], datetime]


# Decoded facts kept in memory: the facts of the cards and searches asked lately, and the
# near-duplicate check's shortlists (about 35 MB; revisions are rarely read).
CACHED_FACTS = 65_536
FACT_CODEC = Codec(Fact.from_doc, lambda fact: {**fact.to_doc(), "key": fact.id}, CACHED_FACTS)
REVISION_CODEC = Codec(Revision.from_doc, lambda rev: {**rev.to_doc(), "key": rev.key})
RECORD_CODECS = {FACTS: FACT_CODEC, REVISIONS: REVISION_CODEC}


class FactStore(Applying, Loading, DigestTables, ReviewTables):
    """Entities, facts and the summit overview, durably stored in one TinyDB file.

    Facts and revisions, the tables that grow, are model records in the TinyDB storage
    (``RecordTable``), left in the snapshot file until read; a fact's TinyDB doc id is its
    number. The indexes here are bitmaps of fact numbers, saved beside each snapshot."""

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Clock = utc_now,
        compact_after: int = COMPACT_AFTER_WRITES,
        compact_min_bytes: int | None = None,
        snapshot_batch: int = SNAPSHOT_BATCH,
        quick_snapshot_bytes: int = QUICK_SNAPSHOT_BYTES,
    ) -> None:
        """The journal is folded into the snapshot after ``compact_after`` records once it
        holds ``compact_min_bytes`` (by default an eighth of the snapshot, between 1 and
        32 MB): rewriting a large snapshot for a few small writes would stall readers for
        nothing (a feed poll writes hundreds of small records)."""
        self.path = Path(path)
        self._clock = clock
        self._compact_after = compact_after
        self._compact_min_bytes = compact_min_bytes
        self._snapshot_batch = snapshot_batch
        self._quick_snapshot_bytes = quick_snapshot_bytes
        self._lock = threading.RLock()
        self._reads = threading.RLock()
        self._closed = False
        self._event_claims: dict[str, float] = {}
        # A failed compaction is retried after a growing pause; its error is logged once.
        self._compaction_error: str | None = None
        self._compaction_failures = 0
        self._next_compaction_try = 0.0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._refuse_a_lost_snapshot()
            new_store = not self.path.exists()
            self._process_lock = ProcessLock(self.path.with_name(self.path.name + ".lock"))
            self._process_lock.acquire()
            for name, size in remove_leftovers(self.path):
                logger.info("removed %s (%d bytes), left by a write that was cut off", name, size)
        except OSError as error:
            raise StoreOpenError(
                f"cannot open the store at {self.path}: {describe_os_error(error)}; "
                "the directory and its files must be readable and writable by this user"
            ) from None
        try:
            # Loading makes millions of small objects and no cycles: the cyclic collector
            # would only slow it down (about 2x at 100,000 facts). Freezing afterwards keeps
            # later collections from walking the whole store again and again.
            gc.disable()
            self._init_memory(SnapshotStorage(self.path, RECORD_CODECS))
            self._journal = Journal(self.path.with_name(self.path.name + ".journal"))
            self._index_path = self.path.with_name(self.path.name + ".index")
            self._folding_path = self.path.with_name(self.path.name + ".journal.folding")
            self._compaction: threading.Thread | None = None
            self._load()
            if new_store:
                # A new store gets its (empty) snapshot at once: from then on a missing
                # snapshot beside a journal always means a lost file, never a young store.
                self.compact()
        except OSError as error:
            self._process_lock.release()
            raise StoreOpenError(
                f"cannot open the store at {self.path}: {describe_os_error(error)}; "
                "the directory and its files must be readable and writable by this user"
            ) from None
        except BaseException:
            self._process_lock.release()
            raise
        finally:
            gc.freeze()
            gc.enable()
        give_back_freed_memory()

    def _init_memory(self, storage: SnapshotStorage) -> None:
        """The store in memory: TinyDB over ``storage``, and the indexes kept beside it.
        Every backend that answers from memory (the PostgreSQL one too) starts here."""
        self._storage = storage
        self._db = TinyDB(storage=lambda: self._storage)
        self._db.table_class = InPlaceTable
        self._doc_ids: dict[str, dict[str, int]] = defaultdict(dict)
        self._next_doc_id: dict[str, int] = defaultdict(lambda: 1)
        self._entities: dict[str, Entity] = {}
        self._facts: StoredRecords = self._records(FACTS)
        self._revision_records: StoredRecords = self._records(REVISIONS)
        self._index = FactIndex(self._revision_records)
        self._words = WordIndex(self._index.of_entities)
        self._meta: dict[str, Any] = {}
        self._init_digest_tables()
        self._init_review_tables()
        self.version = 0
        self.entities_version = 0

    def _records(self, table_name: str) -> StoredRecords:
        table = self._storage.table(table_name)
        assert isinstance(table, RecordTable)
        return table.records

    # -- life cycle ---------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                if self._snapshot_is_quick() and (
                    self._journal.length or self._folding_path.exists()
                ):
                    self.compact()
                elif self._compaction is not None:
                    self._compaction.join()
            except OSError as error:
                # Everything is in the journal: the next start replays it.
                self._compaction_failed(error)
            self._journal.close()
            self._process_lock.release()

    def __enter__(self) -> FactStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- the write path --------------------------------------------------------------

    def _write(
        self,
        changes: list[tuple[str, str, dict[str, Any] | None]],
        progress: Callable[[str], None] | None = None,
    ) -> None:
        """Journals (fsynced) then applies a batch of puts and deletes, all or nothing."""
        tell = progress or (lambda _step: None)
        records = self._records_of(changes)
        if not records:
            return
        tell(f"writing {len(records):,} records to the journal")
        try:
            with timed_write("embedded"):
                self._journal.append(records)
        except TypeError as error:
            # orjson refuses text it cannot encode (a lone surrogate): nothing was written.
            raise StoreWriteError(f"not saved: text the store cannot encode ({error})") from None
        tell(f"journal written and synced: {len(records):,} records are durable")
        self._apply_records(records)
        tell(f"{len(records):,} records applied to the store and its indexes")
        if self._journal_is_due() and time.monotonic() >= self._next_compaction_try:
            # The batch is durable in the journal: a compaction that fails must not make
            # the write look failed. It is retried later.
            try:
                self.compact(wait=False)
            except OSError as error:
                self._compaction_failed(error)

    # -- reads ---------------------------------------------------------------------

    def entities(self) -> list[Entity]:
        with self._reads:
            return list(self._entities.values())

    def entity(self, entity_id: str) -> Entity | None:
        with self._reads:
            return self._entities.get(entity_id)

    def fact(self, fact_id: str) -> Fact | None:
        number = fact_number(fact_id)
        with self._reads:
            return None if number is None else self._facts.get(number)

    def facts(self) -> list[Fact]:
        with self._reads:
            records = self._facts.copy()
        # Read from a copy, outside the memory lock (a million facts take seconds to decode),
        # in file order and without filling the cache of recently read facts.
        return [fact for _number, fact in records.scan()]

    def _read_facts(self, numbers: Iterable[int]) -> list[Fact]:
        """Facts by number, the memory lock taken a few dozen at a time: decoding thousands
        of facts from the file must not hold other readers up. A fact deleted meanwhile is
        left out."""
        listed = list(numbers)
        found: list[Fact] = []
        for start in range(0, len(listed), READ_BATCH):
            with self._reads:
                facts = self._facts
                found += [
                    fact
                    for number in listed[start : start + READ_BATCH]
                    if (fact := facts.get(number)) is not None
                ]
        return found

    def records(self) -> list[tuple[str, str, dict[str, Any]]]:
        """Every record as the table, key and document it is stored under: what moving a
        store to another backend copies, and compares afterwards."""
        with self._reads:
            tables = self._storage.copy()
        found = []
        for name, table in tables.items():
            documents = (
                table.documents()
                if isinstance(table, RecordTable)
                else ((int(doc_id), doc) for doc_id, doc in table.items())
            )
            for _doc_id, doc in documents:
                fields = {field: value for field, value in doc.items() if field != "key"}
                found.append((name, str(doc["key"]), fields))
        return found

    def fact_count(self) -> int:
        with self._reads:
            return len(self._index.all)

    def status_counts(self) -> Counter[str]:
        with self._reads:
            return self._index.status_counts()

    def facts_involving(self, entity_ids: Iterable[str]) -> list[Fact]:
        """Facts naming any of the entities, oldest first."""
        with self._reads:
            numbers = self._index.of_entities(entity_ids)
        return self._read_facts(numbers)

    def pages_involving(
        self, entity_ids: Iterable[str], sections: list[frozenset[str] | None], limit: int
    ) -> list[FactPage]:
        """For each section (a set of kinds, or None for all): the newest ``limit`` active
        facts naming any of the entities, how many there are, and how many retracted ones
        were left out. Bitmap unions, then the newest read from the end: a card costs
        about the same at a hundred facts or a hundred thousand."""
        with self._reads:
            ids = list(dict.fromkeys(entity_ids))
            pages = []
            for kinds in sections:
                involved = self._index.of_entities(ids, kinds or FACT_KINDS)
                active = involved - self._index.retracted
                newest = [self._facts[n] for n in reversed(active[-limit:])] if limit else []
                gone = involved & self._index.retracted
                named = tuple(format_fact_id(n) for n in list(gone)[-NAMED_RETRACTED:])
                pages.append(FactPage(newest, len(active), len(involved) - len(active), named))
            return pages

    def entity_versions(self, entity_ids: Iterable[str]) -> tuple[int, ...]:
        with self._reads:
            return tuple(self._index.entity_versions[entity_id] for entity_id in entity_ids)

    def count_involving(self, entity_id: str) -> int:
        """How many facts (retracted ones too) name the entity."""
        with self._reads:
            return len(self._index.of_entities([entity_id]))

    def named_together(self, entity_id: str, other_id: str) -> bool:
        """Whether any fact names both entities."""
        with self._reads:
            return not self._index.of_entities([entity_id]).isdisjoint(
                self._index.of_entities([other_id])
            )

    def has_tag(self, tag: str, entity_id: str | None = None) -> bool:
        """Whether any fact carries the tag (and, with ``entity_id``, names that entity)."""
        with self._reads:
            tagged = self._index.tagged(tag)
            if not tagged:
                return False
            return entity_id is None or not tagged.isdisjoint(self._index.of_entities([entity_id]))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Reads, decisions and writes made inside it see no other writer in between
        (curation reads, checks, then writes). Each write is durable on its own when it
        returns; a failed write changes nothing."""
        with self._lock:
            yield

    def search(self, query: str, limit: int | None = None) -> list[Fact]:
        """Facts ranked by how many query words they match, then by weight, newest first."""
        return self.search_facts(query, limit, include_retracted=True).facts

    def search_facts(
        self, query: str, limit: int | None, *, include_retracted: bool = False
    ) -> SearchResult:
        """The best ``limit`` matches, how many match in all, and how many retracted facts
        matched but were left out."""
        with self._reads:
            exclude = BitMap() if include_retracted else self._index.retracted
            groups, everything = self._words.ranked_groups(query, exclude, limit)
            total = len(everything - exclude)
            wanted = total if limit is None else min(limit, total)
            chosen: list[int] = []
            for _key, group in groups:
                if len(chosen) >= wanted:
                    break
                chosen += reversed(group[-(wanted - len(chosen)) :])
            retracted = len(everything) - total
            gone = (everything & self._index.retracted) if not include_retracted else BitMap()
            named = tuple(format_fact_id(n) for n in list(gone)[-NAMED_RETRACTED:])
            return SearchResult([self._facts[n] for n in chosen], total, retracted, named)

    def similar_statements(self, statement: str, cutoff: float) -> list[tuple[Fact, float]]:
        """Facts whose statement reads almost the same (rapidfuzz ratio >= cutoff), best first."""
        with self._reads:
            shortlist = self._words.sharing_rare_terms(statement)
        if not shortlist:
            return []
        wanted = fold(statement)
        scored = []
        for fact in self._read_facts(shortlist):
            # The cutoff lets rapidfuzz give up early (on lengths too far apart, first).
            score = fuzz.ratio(wanted, fold(fact.statement), score_cutoff=cutoff)
            if score >= cutoff:
                scored.append((fact, score))
        scored.sort(key=lambda pair: -pair[1])
        return scored

    def event(self) -> Event | None:
        with self._reads:
            doc = self._meta.get("event")
            return Event.from_doc(doc) if doc else None

    # -- writes --------------------------------------------------------------------

    def next_fact_id(self) -> str:
        with self._lock:
            number = self._index.highest_number + 1
            if number >= MAX_FACT_NUMBER:
                raise StoreWriteError(
                    f"not saved: every fact id up to F{MAX_FACT_NUMBER - 1} is taken"
                )
            return format_fact_id(number)

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
        self,
        entities: list[Entity],
        facts: list[Fact],
        revisions: list[Revision],
        progress: Callable[[str], None] | None = None,
        *,
        meta: dict[str, dict[str, Any]] | None = None,
        subscriptions: list[Subscription] | None = None,
        feeds: list[Feed] | None = None,
        candidates: list[Candidate] | None = None,
    ) -> None:
        """Stores a bulk import (a restored backup: with its own records, subscriptions,
        feeds and candidates)
        as one durable batch; ``progress`` hears each step."""
        with self._lock:
            changes: list[tuple[str, str, dict[str, Any] | None]] = []
            changes += [(META, key, doc) for key, doc in (meta or {}).items()]
            changes += [(ENTITIES, entity.id, entity.to_doc()) for entity in entities]
            changes += [(SUBSCRIPTIONS, s.channel_id, s.to_doc()) for s in subscriptions or []]
            changes += [(FEEDS, feed.id, feed.to_doc()) for feed in feeds or []]
            changes += [(CANDIDATES, c.id, c.to_doc()) for c in candidates or []]
            if len(facts) + len(revisions) >= self._snapshot_batch:
                self._write_as_snapshot(changes, facts, revisions, progress)
                return
            changes += [(FACTS, fact.id, fact.to_doc()) for fact in facts]
            changes += [(REVISIONS, rev.key, rev.to_doc()) for rev in revisions]
            self._write(changes, progress)

    # -- history -------------------------------------------------------------------

    def revisions_of(self, fact_id: str) -> list[Revision]:
        with self._reads:
            number = fact_number(fact_id)
            return [] if number is None else self._index.revisions_of(format_fact_id(number))

    def revisions_since(self, since: str) -> list[Revision]:
        """Every change recorded after the ISO time ``since``, oldest first."""
        with self._reads:
            return self._index.revisions_since(since)

    def seed(self, *, reset: bool = False) -> SeedReport:
        """Add the shipped seed's missing records; with ``reset``, rewrite the seed part."""
        return apply_seed(self, self._clock(), reset=reset)

    def meta(self, key: str) -> dict[str, Any] | None:
        """A record of the store's own (the seed's source, the summit's event)."""
        with self._reads:
            doc = self._meta.get(key)
        # Documents are replaced on write, never changed in place: copied outside the lock.
        return copy_document(doc) if doc is not None else None

    def put_meta(self, key: str, doc: dict[str, Any]) -> None:
        with self._lock:
            self._write([(META, key, doc)])

    def delete_fact(self, fact_id: str) -> None:
        with self._lock:
            self._write([(FACTS, fact_id, None)])

    def delete_entity(self, entity_id: str) -> None:
        with self._lock:
            self._write([(ENTITIES, entity_id, None)])

    def claim_event(self, event_id: str) -> bool:
        """Claims live in memory: the embedded store is one process's, so no other process
        can claim the same event, and writing each one to the journal would cost an fsync
        per event. A restart forgets them (Slack's retries come within minutes)."""
        now = time.monotonic()
        with self._reads:
            claims = self._event_claims
            if len(claims) > 10_000 or (claims and next(iter(claims.values())) < now):
                for key, until in list(claims.items()):
                    if until < now:
                        del claims[key]
            if claims.get(event_id, 0.0) >= now:
                return False
            claims[event_id] = now + EVENT_CLAIM_SECONDS
            return True

    def has_fact_source(self, urls: Iterable[str]) -> bool:
        """Whether any fact cites one of these links as its source."""
        with self._reads:
            return self._index.cites(urls)
