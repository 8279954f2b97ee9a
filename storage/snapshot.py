"""The snapshot: the whole store in TinyDB's JSON layout, one document per line, read once
at start-up and replaced atomically at each compaction."""

from __future__ import annotations

import io
import itertools
import zlib
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from tinydb.storages import Storage

from storage.files import StoreCorruptError, write_atomically
from storage.tinydb_glue import Codec, RecordTable, Tables

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

    def __init__(self, path: str | Path | None, codecs: dict[str, Codec] | None = None) -> None:
        """With no ``path``, the data lives in memory only: a backend that keeps it durable
        elsewhere (PostgreSQL) fills it and never saves a snapshot."""
        self.path = Path(path) if path is not None else Path(".")
        self.codecs = codecs or {}
        self._data: Tables = {}
        # Whether the file was in another layout (plain TinyDB's): the next snapshot fixes it.
        self.foreign_layout = False
        # Size and CRC-32 of the snapshot as read or last written: files derived from a
        # snapshot (the saved word index) carry it to show which snapshot they belong to.
        self.checksum = ""
        if path is not None and self.path.exists() and self.path.stat().st_size:
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

    @property
    def snapshot_bytes(self) -> int:
        """The size of the snapshot as read or last written."""
        return int(self.checksum.split(":", 1)[0] or 0)

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
