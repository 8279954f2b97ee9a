"""A record table that leaves its records in the snapshot file until they are read.

Decoding every fact and revision into Python objects at start-up took 20 seconds and
1.3 KB a fact at a million facts, yet an answer reads a few dozen facts. So a record written
in the snapshot stays there, found by its doc id (sorted arrays of ids, offsets and lengths,
16 bytes a record) and decoded on demand, the most recently read kept; only the records
written since the snapshot are held as objects. A snapshot write turns those into file
records again (``rebase``).

Records are immutable, so a copy (what a snapshot is written from) shares the file part and
copies only the small in-memory part, and identity tells whether a record changed since."""

from __future__ import annotations

import base64
import bisect
import contextlib
import heapq
import mmap
import os
from array import array
from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

import orjson

from storage.lru import LeastRecentlyUsed

# Decoded file records kept for the next read, the least recently read dropped first: the
# facts answers show again and again, and the card cache (slackbot.slack.answering) knows a fact
# by its object. A table gives its own number (facts keep far more than revisions).
CACHED_RECORDS = 4096
# Records read through the map before it is let go of: the kernel maps a whole folio of the
# page cache (up to hundreds of KB) around each read.
MAPPED_READS = 16
# File records read with one pread when written next to each other.
READ_RUN = 512

_MISSING = object()


def column_text(column: array[int]) -> str:
    """A column of numbers as JSON can hold it (base64 of its bytes)."""
    return base64.b64encode(column.tobytes()).decode()


def column_from_text(text: str, code: str = "q") -> array[int]:
    """Takes back what ``column_text`` gave."""
    column = array(code)
    column.frombytes(base64.b64decode(text))
    return column


class RecordFile:
    """The records of one table in a snapshot file: doc ids in ascending order, and where
    each one's line (``"7":{...}``) lies. Never changed once made; the file is kept open so
    that a snapshot replaced since still reads as it was."""

    def __init__(
        self,
        path: Path | None = None,
        ids: array[int] | None = None,
        offsets: array[int] | None = None,
        lengths: array[int] | None = None,
    ) -> None:
        self.ids = ids if ids is not None else array("q")
        self.offsets = offsets if offsets is not None else array("q")
        self.lengths = lengths if lengths is not None else array("l")
        self._fd = os.open(path, os.O_RDONLY) if path is not None and len(self.ids) else -1
        # One record is read through a map of the file: a pread would release the GIL and,
        # with a few threads answering, wait to get it back once per fact (at 32 clients the
        # CPU per /whois doubled). Many records are copied with pread, so that copying the
        # whole file does not map all of it into this process.
        # The kernel maps up to hundreds of KB around each read, so the map is let go of
        # every few reads (the pages stay in the page cache): otherwise reading facts here
        # and there counted most of a large snapshot in this process's memory (1,000 reads
        # of a 793 MB snapshot: 606 MB).
        self._map: mmap.mmap | None = None
        self._mapped_reads = 0
        if self._fd >= 0:
            self._map = mmap.mmap(self._fd, 0, access=mmap.ACCESS_READ)
            self._map.madvise(mmap.MADV_RANDOM)

    @classmethod
    def from_lines(cls, path: Path, found: list[tuple[int, int, int]] | None = None) -> RecordFile:
        """From (doc id, offset, length) triples in any order."""
        found = sorted(found or ())
        return cls(
            path,
            array("q", (doc_id for doc_id, _o, _n in found)),
            array("q", (offset for _d, offset, _n in found)),
            array("l", (length for _d, _o, length in found)),
        )

    def __del__(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1

    def __len__(self) -> int:
        return len(self.ids)

    def position(self, doc_id: int) -> int:
        """Where the doc id is in ``ids``; -1 when the file does not hold it."""
        ids = self.ids
        at = bisect.bisect_left(ids, doc_id)
        return at if at < len(ids) and ids[at] == doc_id else -1

    def document(self, at: int) -> bytes:
        """The JSON document at a position."""
        mapped = self._map
        assert mapped is not None  # positions exist only in a file's columns
        self._mapped_reads += 1
        if self._mapped_reads >= MAPPED_READS:
            self._mapped_reads = 0
            mapped.madvise(mmap.MADV_DONTNEED)
        start = self.offsets[at]
        line = mapped[start : start + self.lengths[at]]
        return line[line.index(b":") + 1 :]

    def documents(self, positions: list[int]) -> Iterator[bytes]:
        """The JSON documents at ascending positions, lines next to each other in the file
        read together: a snapshot copies the whole file this way."""
        offsets, lengths = self.offsets, self.lengths
        start = 0
        while start < len(positions):
            end = start + 1
            first = positions[start]
            while (
                end < len(positions)
                and end - start < READ_RUN
                and offsets[positions[end]]
                == offsets[positions[end - 1]] + lengths[positions[end - 1]] + 2
            ):
                end += 1
            last = positions[end - 1]
            block = os.pread(
                self._fd, offsets[last] + lengths[last] - offsets[first], offsets[first]
            )
            for at in positions[start:end]:
                begin = offsets[at] - offsets[first]
                line = block[begin : begin + lengths[at]]
                yield line[line.index(b":") + 1 :]
            start = end

    def columns(self) -> tuple[array[int], array[int], array[int]]:
        return self.ids, self.offsets, self.lengths


class StoredRecords(MutableMapping[int, Any]):
    """Records by doc id: those of the snapshot read from its file, those written since held
    here (``_changed``), with the file records deleted since in ``_deleted``."""

    def __init__(
        self, decode: Callable[[dict[str, Any]], Any], cached: int = CACHED_RECORDS
    ) -> None:
        self._decode = decode
        self._file = RecordFile()
        self._changed: dict[int, Any] = {}
        self._deleted: set[int] = set()
        self._outside = 0  # changed records the file does not hold
        # Decoded records, the most recently read kept (a record changes only by a write,
        # which goes to ``_changed``, so nothing here is ever stale).
        self._cache: LeastRecentlyUsed[int, Any] = LeastRecentlyUsed(cached)

    # -- reads --------------------------------------------------------------------------

    def __getitem__(self, doc_id: int) -> Any:
        found = self._changed.get(doc_id, _MISSING)
        if found is not _MISSING:
            return found
        if doc_id in self._deleted:
            raise KeyError(doc_id)
        found = self._cache.get(doc_id, _MISSING)
        if found is not _MISSING:
            return found
        record_file = self._file
        at = record_file.position(doc_id)
        if at < 0:
            raise KeyError(doc_id)
        record = self._decode(orjson.loads(record_file.document(at)))
        self._cache.put(doc_id, record)
        return record

    def __contains__(self, doc_id: object) -> bool:
        if doc_id in self._changed:
            return True
        if not isinstance(doc_id, int) or doc_id in self._deleted:
            return False
        return self._file.position(doc_id) >= 0

    def __len__(self) -> int:
        return len(self._file) - len(self._deleted) + self._outside

    def __iter__(self) -> Iterator[int]:
        """Doc ids in ascending order."""
        return (doc_id for doc_id, _at, _record in self._merged())

    def warm(self, doc_ids: list[int]) -> None:
        """Decodes these records into the cache, while it has room, reading the file in
        order (the store's start, where one thread reads thousands)."""
        record_file, decode = self._file, self._decode
        wanted = sorted(
            (at, doc_id)
            for doc_id in doc_ids
            if doc_id not in self._changed
            and doc_id not in self._cache
            and doc_id not in self._deleted
            and (at := record_file.position(doc_id)) >= 0
        )[: max(self.room(), 0)]
        documents = record_file.documents([at for at, _doc_id in wanted])
        for (_at, doc_id), document in zip(wanted, documents, strict=True):
            self._cache.put(doc_id, decode(orjson.loads(document)))

    def room(self) -> int:
        """How many more decoded records the cache takes before it lets one go."""
        return self._cache.room()

    def last_id(self) -> int:
        """The highest doc id ever stored here since the snapshot (0 for none)."""
        ids = self._file.ids
        return max(ids[-1] if ids else 0, max(self._changed, default=0))

    def scan(self) -> Iterator[tuple[int, Any]]:
        """Every record, in doc id order, decoded without filling the cache: what loading
        an unindexed store or copying a store to another backend reads."""
        decode, loads = self._decode, orjson.loads
        for doc_id, record, document in self.encoded():
            yield doc_id, record if document is None else decode(loads(document))

    def _merged(self) -> Iterator[tuple[int, int, Any]]:
        """(doc id, file position or -1, held record or None) in doc id order."""
        changed, deleted = self._changed, self._deleted
        held = sorted(changed)
        from_file = (
            (doc_id, at, None)
            for at, doc_id in enumerate(self._file.ids)
            if doc_id not in changed and doc_id not in deleted
        )
        from_memory = ((doc_id, -1, changed[doc_id]) for doc_id in held)
        return heapq.merge(from_file, from_memory, key=lambda item: item[0])

    def encoded(self) -> Iterator[tuple[int, Any, bytes | None]]:
        """Every record in doc id order: (doc id, record, None) for one held in memory,
        (doc id, None, its JSON document) for one in the file, which is copied as it is."""
        batch: list[tuple[int, int, Any]] = []
        for item in self._merged():
            batch.append(item)
            if len(batch) >= READ_RUN * 4:
                yield from self._read_batch(batch)
                batch = []
        yield from self._read_batch(batch)

    def _read_batch(
        self, batch: list[tuple[int, int, Any]]
    ) -> Iterator[tuple[int, Any, bytes | None]]:
        documents = self._file.documents([at for _doc_id, at, _record in batch if at >= 0])
        for doc_id, at, record in batch:
            yield (doc_id, None, next(documents)) if at >= 0 else (doc_id, record, None)

    # -- writes (under the store's memory lock) -----------------------------------------

    def __setitem__(self, doc_id: int, record: Any) -> None:
        if doc_id not in self._changed:
            if self._file.position(doc_id) >= 0:
                self._deleted.discard(doc_id)
            else:
                self._outside += 1
        self._changed[doc_id] = record
        self._cache.pop(doc_id)

    def __delitem__(self, doc_id: int) -> None:
        in_file = self._file.position(doc_id) >= 0
        if doc_id in self._changed:
            del self._changed[doc_id]
            if in_file:
                self._deleted.add(doc_id)
            else:
                self._outside -= 1
        elif in_file and doc_id not in self._deleted:
            self._deleted.add(doc_id)
        else:
            raise KeyError(doc_id)
        self._cache.pop(doc_id)

    def attach(self, record_file: RecordFile) -> None:
        """Takes the records of a snapshot just read (the table is empty until then)."""
        self.clear()
        self._file = record_file

    def clear(self) -> None:
        self._file = RecordFile()
        self._changed, self._deleted, self._outside = {}, set(), 0
        self._cache.clear()

    def copy(self) -> StoredRecords:
        """The records as they are now; later writes to either do not show in the other."""
        copied = StoredRecords(self._decode, self._cache.maxsize)
        copied._file = self._file
        copied._changed = dict(self._changed)
        copied._deleted = set(self._deleted)
        copied._outside = self._outside
        return copied

    def rebase(self, written: RecordFile, source: StoredRecords) -> None:
        """``source`` (a ``copy`` of these records) is now in the file as ``written``: the
        records still the same since the copy are read from there; later changes stay."""
        changed: dict[int, Any] = {}
        deleted: set[int] = set()
        touched = set(self._changed) | self._deleted | set(source._changed) | source._deleted
        for doc_id in touched:
            self._cache.pop(doc_id)
            record = self._changed.get(doc_id, _MISSING)
            if record is _MISSING:
                if doc_id not in self and written.position(doc_id) >= 0:
                    deleted.add(doc_id)
            elif source._changed.get(doc_id, _MISSING) is record:
                # Now a file record. Cached while there is room, so that the object answers
                # hold stays the one the store gives.
                if self._cache.room() > 0:
                    self._cache.put(doc_id, record)
            else:
                changed[doc_id] = record
        self._outside = sum(1 for doc_id in changed if written.position(doc_id) < 0)
        self._file, self._changed, self._deleted = written, changed, deleted
