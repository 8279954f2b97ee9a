"""Durability for TinyDB: an in-memory storage with atomic snapshots, and a write-ahead journal.

TinyDB's JSONStorage re-reads and rewrites the whole file on every operation and has no
locking, so the store keeps the database in memory (``SnapshotStorage``) and makes each
acknowledged write durable by appending it to a journal and fsyncing it first. The snapshot
is replaced atomically (temp file, fsync, rename) whenever the journal is compacted, so a
kill -9 at any moment leaves a readable snapshot plus a journal holding every acknowledged
write since it.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import itertools
import os
import zlib
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from tinydb.storages import Storage
from tinydb.table import Table


class StoreCorruptError(RuntimeError):
    """The store file exists but cannot be read as a TinyDB database."""


class StoreOpenError(RuntimeError):
    """The store's files cannot be opened (permissions, a read-only disk); the message says
    which and what to do."""


class StoreLockedError(RuntimeError):
    """Another process already serves this store."""


def write_atomically(path: Path, content: bytes | Callable[[BinaryIO], None]) -> None:
    """Writes the content (or what the callable writes) to a temp file, fsyncs it and
    renames it over ``path``."""
    temp = path.with_name(f".{path.name}.tmp")
    try:
        with open(temp, "wb") as handle:
            if isinstance(content, bytes):
                handle.write(content)
            else:
                content(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        # A half-written temporary file would keep a full disk full.
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    # The rename itself is only durable once the directory entry is on disk.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Codec:
    """How a table's records become TinyDB documents and back."""

    decode: Callable[[dict[str, Any]], Any]
    encode: Callable[[Any], dict[str, Any]]


class RecordTable(MutableMapping[str, dict[str, Any]]):
    """A raw TinyDB table (``{"7": document}``) that keeps model records, not documents.

    A large table held as TinyDB documents costs a dict per document on top of the record
    the store works with; this one keeps only the records (``records``, by int doc id),
    encodes a document when TinyDB or a snapshot asks for one and decodes what TinyDB
    writes."""

    def __init__(self, codec: Codec) -> None:
        self.codec = codec
        self.records: dict[int, Any] = {}

    def __getitem__(self, doc_id: str) -> dict[str, Any]:
        return self.codec.encode(self.records[int(doc_id)])

    def __setitem__(self, doc_id: str, doc: dict[str, Any]) -> None:
        self.records[int(doc_id)] = self.codec.decode(doc)

    def __delitem__(self, doc_id: str) -> None:
        del self.records[int(doc_id)]

    def __contains__(self, doc_id: object) -> bool:
        try:
            return int(doc_id) in self.records  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return False

    def __iter__(self) -> Iterator[str]:
        return map(str, self.records)

    def __len__(self) -> int:
        return len(self.records)

    def documents(self) -> Iterator[tuple[int, dict[str, Any]]]:
        encode = self.codec.encode
        return ((doc_id, encode(record)) for doc_id, record in self.records.items())


Tables = dict[str, "dict[str, Any] | RecordTable"]

# A snapshot is TinyDB's JSON layout, written one document per line so that it can be read
# back a line at a time (no second copy of the store in memory while loading) and stays a
# file plain TinyDB can open.
_SNAPSHOT_CHUNK = 2000


class _Checksummed:
    """Passes writes on to a file, keeping the CRC-32 and length of what went through."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self.crc = 0
        self.size = 0

    def write(self, data: bytes) -> None:
        self._handle.write(data)
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)


def _write_snapshot(out: BinaryIO, tables: Tables) -> str:
    """Writes the tables; returns the snapshot's checksum."""
    handle = _Checksummed(out)
    _write_tables(handle, tables)
    return f"{handle.size}:{handle.crc:08x}"


def _write_tables(handle: _Checksummed, tables: Tables) -> None:
    handle.write(b"{\n")
    for position, (name, table) in enumerate(tables.items()):
        handle.write(orjson.dumps(name) + b":{\n")
        documents = (
            table.documents()
            if isinstance(table, RecordTable)
            else ((int(doc_id), doc) for doc_id, doc in table.items())
        )
        separator = b""
        while chunk := list(itertools.islice(documents, _SNAPSHOT_CHUNK)):
            lines = b",\n".join(b'"%d":%s' % (doc_id, orjson.dumps(doc)) for doc_id, doc in chunk)
            handle.write(separator + lines)
            separator = b",\n"
        if separator:
            handle.write(b"\n")
        handle.write(b"},\n" if position < len(tables) - 1 else b"}\n")
    handle.write(b"}\n")


class _NotLineLayout(ValueError):
    """The file is JSON but not written a document per line (by plain TinyDB, say)."""


def _read_lines(handle: io.BytesIO, codecs: dict[str, Codec]) -> Tables:
    if handle.readline() != b"{\n":
        raise _NotLineLayout
    tables: Tables = {}
    table: dict[str, Any] | RecordTable | None = None
    for line in handle:
        if table is None:
            header = line.rstrip()
            if header == b"}":
                return tables
            if not header.endswith(b":{"):
                raise _NotLineLayout
            name = orjson.loads(header[:-2])
            table = tables[name] = RecordTable(codecs[name]) if name in codecs else {}
            continue
        entry = line.rstrip(b",\n")
        if entry == b"}" or not entry:
            if entry == b"}":
                table = None
            continue
        colon = entry.index(b":")
        doc_id = int(entry[1 : colon - 1])
        doc = orjson.loads(entry[colon + 1 :])
        if isinstance(table, RecordTable):
            table.records[doc_id] = table.codec.decode(doc)
        else:
            table[str(doc_id)] = doc
    raise _NotLineLayout  # no closing brace: cut short


def _from_json(raw: bytes, codecs: dict[str, Codec]) -> Tables:
    data = orjson.loads(raw)
    tables: Tables = {}
    for name, docs in data.items():
        if name in codecs:
            table = RecordTable(codecs[name])
            for doc_id, doc in docs.items():
                table.records[int(doc_id)] = table.codec.decode(doc)
            tables[name] = table
        else:
            tables[name] = docs
    return tables


class SnapshotStorage(Storage):
    """A TinyDB storage that reads its JSON file once and keeps the data in memory.

    Tables named in ``codecs`` are kept as ``RecordTable``s. ``write`` only replaces the
    in-memory data; ``save_snapshot`` persists it atomically."""

    def __init__(self, path: str | Path, codecs: dict[str, Codec] | None = None) -> None:
        self.path = Path(path)
        self.codecs = codecs or {}
        self._data: Tables = {}
        # Whether the file was in another layout (plain TinyDB's): the next snapshot fixes it.
        self.foreign_layout = False
        # Size and CRC-32 of the snapshot as read or last written: files derived from a
        # snapshot (the saved word index) carry it to show which snapshot they belong to.
        self.checksum = ""
        if self.path.exists() and self.path.stat().st_size:
            self._data = self._load()

    def _load(self) -> Tables:
        raw = self.path.read_bytes()
        self.checksum = f"{len(raw)}:{zlib.crc32(raw):08x}"
        try:
            return _read_lines(io.BytesIO(raw), self.codecs)
        except (_NotLineLayout, ValueError, KeyError, IndexError):
            pass
        if not raw.strip():
            return {}
        self.foreign_layout = True
        try:
            return _from_json(raw, self.codecs)
        except (orjson.JSONDecodeError, AttributeError, TypeError, KeyError) as error:
            raise StoreCorruptError(
                f"{self.path} is not a readable store ({error}); restore it from a backup "
                "or move it away to start from the seed"
            ) from error

    def copy(self) -> Tables:
        """A copy that later writes do not change: records are immutable, so a record table
        copies its dict; plain tables copy each document, which TinyDB updates in place."""
        copied: Tables = {}
        for name, table in self._data.items():
            if isinstance(table, RecordTable):
                records = RecordTable(table.codec)
                records.records = dict(table.records)
                copied[name] = records
            else:
                copied[name] = {doc_id: dict(doc) for doc_id, doc in table.items()}
        return copied

    def table(self, name: str) -> dict[str, Any] | RecordTable:
        if name not in self._data:
            self._data[name] = RecordTable(self.codecs[name]) if name in self.codecs else {}
        return self._data[name]

    def read(self) -> Tables:  # type: ignore[override]
        return self._data

    def write(self, data: Tables) -> None:  # type: ignore[override]
        self._data = data

    def save_snapshot(self, tables: Tables | None = None) -> str:
        """Writes the data (or a ``copy`` of it taken earlier) as the new snapshot; returns
        its checksum."""
        data = self._data if tables is None else tables
        written: list[str] = []
        write_atomically(self.path, lambda handle: written.append(_write_snapshot(handle, data)))
        self.checksum = written[0]
        self.foreign_layout = False
        return self.checksum

    def close(self) -> None:
        pass


class ProcessLock:
    """An exclusive lock on ``<store>.lock`` naming the process that holds it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StoreLockedError(
                f"the store {self.path.with_suffix('')} is in use by process {holder}; "
                "stop that process or set SUMMITBOT_DB to another file"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None


class _DocIdView(MutableMapping[int, Any]):
    """A table's raw ``{"7": doc}`` mapping seen as ``{7: doc}``, the form TinyDB's updaters
    use. TinyDB updates a document by changing the dict it reads; a ``RecordTable`` builds
    that dict afresh, so what was read is written back when the updater is done."""

    def __init__(self, raw: MutableMapping[str, Any]) -> None:
        self._raw = raw
        self._read: dict[int, Any] = {}

    def __getitem__(self, doc_id: int) -> Any:
        doc = self._raw[str(doc_id)]
        self._read[doc_id] = doc
        return doc

    def __setitem__(self, doc_id: int, doc: Any) -> None:
        self._read.pop(doc_id, None)
        self._raw[str(doc_id)] = doc

    def __delitem__(self, doc_id: int) -> None:
        self._read.pop(doc_id, None)
        del self._raw[str(doc_id)]

    def write_back(self) -> None:
        if isinstance(self._raw, RecordTable):
            for doc_id, doc in self._read.items():
                self._raw[str(doc_id)] = doc
        self._read.clear()

    def __contains__(self, doc_id: object) -> bool:
        return str(doc_id) in self._raw

    def __iter__(self) -> Iterator[int]:
        return (int(doc_id) for doc_id in self._raw)

    def __len__(self) -> int:
        return len(self._raw)


class InPlaceTable(Table):
    """A TinyDB table that updates the in-memory data where it lies.

    TinyDB's own ``_update_table`` copies the whole table twice (to int keys and back) on
    every write, so a write costs time in proportion to the table; with ``SnapshotStorage``
    the data is already in memory and can be changed in place, in time proportional to the
    change."""

    def _update_table(self, updater: Callable[[dict[int, Any]], None]) -> None:
        storage: SnapshotStorage = self._storage  # type: ignore[assignment]
        view = _DocIdView(storage.table(self.name))
        updater(view)  # type: ignore[arg-type]
        view.write_back()
        self.clear_cache()
