"""The snapshot: the whole store in TinyDB's JSON layout, one document per line, read at
start-up and replaced atomically at each compaction. Its records (facts and revisions) are
read from it when needed rather than held in memory (storage.stored_records)."""

from __future__ import annotations

import io
import itertools
import logging
import zlib
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from tinydb.storages import Storage

from storage.errors import StoreCorruptError
from storage.files import write_atomically
from storage.seal import SEAL_TABLE, Seal, check_sealed, line_check, seal_bytes
from storage.stored_records import RecordFile, column_from_text, column_text
from storage.tinydb_glue import Codec, RecordTable, Tables

logger = logging.getLogger(__name__)

# A snapshot is TinyDB's JSON layout, written one document per line so that it can be read
# back a line at a time (no second copy of the store in memory while loading) and stays a
# file plain TinyDB can open.
_SNAPSHOT_CHUNK = 2000
_CHECKSUM_BLOCK = 8 << 20


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


@dataclass
class Layout:
    """Where a snapshot's tables lie in its file: each table's lines (``regions``), and each
    record table's records by doc id (``records``: ids, offsets, lengths). Saved beside the
    snapshot, it lets a start read only the small tables and leave the records in the file."""

    checksum: str = ""
    regions: dict[str, tuple[int, int]] = field(default_factory=dict)
    records: dict[str, tuple[array[int], array[int], array[int]]] = field(default_factory=dict)

    def dump(self) -> dict[str, Any]:
        return {
            "regions": {name: list(region) for name, region in self.regions.items()},
            "records": {
                name: [column_text(column) for column in columns]
                for name, columns in self.records.items()
            },
        }

    @classmethod
    def restore(cls, checksum: str, dumped: dict[str, Any]) -> Layout:
        """Takes back what ``dump`` gave (raises ValueError, KeyError or TypeError if it is
        not that)."""
        layout = cls(checksum)
        for name, (start, end) in dumped["regions"].items():
            layout.regions[name] = (int(start), int(end))
        for name, encoded in dumped["records"].items():
            ids, offsets, lengths = (
                column_from_text(text, code)
                for code, text in zip(("q", "q", "l"), encoded, strict=True)
            )
            if not len(ids) == len(offsets) == len(lengths):
                raise ValueError(f"the columns of {name} differ in length")
            layout.records[name] = (ids, offsets, lengths)
        return layout


def _write_snapshot(out: BinaryIO, tables: Tables) -> Layout:
    """Writes the tables; returns where each lies, with the snapshot's checksum."""
    handle = _Checksummed(out)
    layout = _write_tables(handle, tables)
    layout.checksum = f"{handle.size}:{handle.crc:08x}"
    return layout


def _write_tables(handle: _Checksummed, tables: Tables) -> Layout:
    """Every table, then the seal (storage.seal) over all of it."""
    layout = Layout()
    seal = Seal()
    handle.write(b"{\n")
    for name, table in tables.items():
        if name == SEAL_TABLE:
            continue
        handle.write(orjson.dumps(name) + b":{\n")
        start = handle.size
        ids, checks = array("q"), array("I")
        if isinstance(table, RecordTable):
            layout.records[name] = _write_records(handle, table, checks)
            ids = layout.records[name][0]
        else:
            documents = ((int(doc_id), doc) for doc_id, doc in table.items())
            separator = b""
            while chunk := list(itertools.islice(documents, _SNAPSHOT_CHUNK)):
                lines = [b'"%d":%s' % (doc_id, orjson.dumps(doc)) for doc_id, doc in chunk]
                ids.extend(doc_id for doc_id, _doc in chunk)
                checks.extend(line_check(line) for line in lines)
                handle.write(separator + b",\n".join(lines))
                separator = b",\n"
            if separator:
                handle.write(b"\n")
        seal.tables[name] = (ids, checks)
        layout.regions[name] = (start, handle.size)
        handle.write(b"},\n")
    seal.covers, seal.crc = handle.size, handle.crc
    handle.write(seal_bytes(seal))
    return layout


def _write_records(
    handle: _Checksummed, table: RecordTable, checks: array[int]
) -> tuple[array[int], array[int], array[int]]:
    """A record table's lines, in doc id order; records still in the old snapshot are copied
    as they are, without decoding them. Returns where each line went; each line's check
    goes to ``checks``."""
    ids, offsets, lengths = array("q"), array("q"), array("l")
    encode = table.codec.encode
    chunk: list[bytes] = []
    position = handle.size
    for doc_id, record, document in table.records.encoded():
        if document is None:
            document = orjson.dumps(encode(record))
        line = b'"%d":%s' % (doc_id, document)
        if ids:
            chunk.append(b",\n")
            position += 2
        ids.append(doc_id)
        offsets.append(position)
        lengths.append(len(line))
        checks.append(line_check(line))
        chunk.append(line)
        position += len(line)
        if len(chunk) >= _SNAPSHOT_CHUNK:
            handle.write(b"".join(chunk))
            chunk = []
    if ids:
        chunk.append(b"\n")
    handle.write(b"".join(chunk))
    return ids, offsets, lengths


def write_plain_snapshot(path: Path, tables: dict[str, dict[str, Any]]) -> None:
    """Writes plain tables (doc id -> document) as a sealed snapshot: ``summitbot repair``
    writes what it kept this way."""

    def write(handle: BinaryIO) -> None:
        _write_snapshot(handle, dict(tables))

    write_atomically(path, write)


class _NotLineLayout(ValueError):
    """The file is JSON but not written a document per line (by plain TinyDB, say)."""


# Called with each record a full read decodes: what a store without a saved index builds
# its indexes from, so that nothing is decoded twice.
OnRecord = Callable[[str, int, Any], None]


def _parse_entry(entry: bytes) -> tuple[int, bytes]:
    colon = entry.index(b":")
    return int(entry[1 : colon - 1]), entry[colon + 1 :]


# The storage's own table of that name (made if new): the store holds on to its record tables.
MakeTable = Callable[[str], "dict[str, Any] | RecordTable"]


@dataclass
class _Sealed:
    """What reading found of the seal: the seal, where its table starts, and where the
    file's closing brace ends (bytes after it are damage)."""

    seal: Seal | None = None
    seal_start: int = -1
    closed_at: int = 0


def _read_lines(
    handle: io.BytesIO, make_table: MakeTable, path: Path, on_record: OnRecord
) -> tuple[Tables, Layout, _Sealed]:
    if handle.readline() != b"{\n":
        raise _NotLineLayout
    tables: Tables = {}
    layout = Layout()
    sealed = _Sealed()
    table: dict[str, Any] | RecordTable | None = None
    name = ""
    found: list[tuple[int, int, int]] = []
    position = handle.tell()
    start = position
    for line in handle:
        at, position = position, position + len(line)
        if table is None:
            header = line.rstrip()
            if header == b"}":
                sealed.closed_at = position
                return tables, layout, sealed
            if not header.endswith(b":{"):
                raise _NotLineLayout
            name = orjson.loads(header[:-2])
            if name == SEAL_TABLE:
                sealed.seal_start = at
                # Its own table, never the store's: read here and kept apart.
                table = {}
            else:
                table = tables[name] = make_table(name)
            start, found = position, []
            continue
        entry = line.rstrip(b",\n")
        if entry == b"}" or not entry:
            if entry == b"}":
                if name == SEAL_TABLE:
                    seal_doc = table.get("1") if isinstance(table, dict) else None
                    sealed.seal = Seal.from_doc(seal_doc) if seal_doc else None
                else:
                    layout.regions[name] = (start, at)
                if isinstance(table, RecordTable):
                    record_file = RecordFile.from_lines(path, found)
                    table.records.attach(record_file)
                    layout.records[name] = record_file.columns()
                table = None
            continue
        doc_id, document = _parse_entry(entry)
        doc = orjson.loads(document)
        if isinstance(table, RecordTable):
            on_record(name, doc_id, table.codec.decode(doc))
            found.append((doc_id, at, len(entry)))
        else:
            table[str(doc_id)] = doc
    raise _NotLineLayout  # no closing brace: cut short


def _from_json(raw: bytes, make_table: MakeTable, on_record: OnRecord) -> Tables:
    data = orjson.loads(raw)
    tables: Tables = {}
    for name, docs in data.items():
        if name == SEAL_TABLE:
            continue
        table = make_table(name)
        if isinstance(table, RecordTable):
            for doc_id, doc in docs.items():
                record = table.codec.decode(doc)
                table.records[int(doc_id)] = record
                on_record(name, int(doc_id), record)
            tables[name] = table
        else:
            tables[name] = docs
    return tables


def _ignore_record(_table: str, _doc_id: int, _record: Any) -> None:
    pass


class SnapshotStorage(Storage):
    """A TinyDB storage that reads its JSON file once and keeps the data in memory.

    Tables named in ``codecs`` are kept as ``RecordTable``s, whose records stay in the file
    until read. ``write`` only replaces the in-memory data; ``save_snapshot`` persists it
    atomically."""

    def __init__(self, path: str | Path | None, codecs: dict[str, Codec] | None = None) -> None:
        """With no ``path``, the data lives in memory only: a backend that keeps it durable
        elsewhere (PostgreSQL) fills it and never saves a snapshot. ``load`` reads the
        file."""
        self.path = Path(path) if path is not None else Path(".")
        self.codecs = codecs or {}
        self._data: Tables = {}
        # Whether the file was in another layout (plain TinyDB's): the next snapshot fixes it.
        self.foreign_layout = False
        # Size and CRC-32 of the snapshot as read or last written: files derived from a
        # snapshot (the saved indexes) carry it to show which snapshot they belong to.
        self.checksum = ""
        # Where the tables of the snapshot on disk lie; None for one in another layout.
        self.layout: Layout | None = None

    def load(self, saved: dict[str, Any] | None = None, on_record: OnRecord | None = None) -> bool:
        """Reads the snapshot, if there is one. With ``saved`` (a ``Layout.dump`` stamped
        with this snapshot's checksum) only the small tables are read: the records stay in
        the file unread and True is returned. Otherwise every record is decoded once and
        handed to ``on_record``."""
        if not (self.path.exists() and self.path.stat().st_size):
            return False
        if saved is not None:
            checksum = _file_checksum(self.path)
            if saved.get("snapshot") == checksum:
                try:
                    self._data = self._load_laid_out(Layout.restore(checksum, saved))
                    return True
                except (ValueError, KeyError, TypeError, IndexError, OSError) as error:
                    logger.info("reading every record of %s: the saved layout %s", self.path, error)
                    self._empty_tables()
        self._data = self._load_everything(on_record or _ignore_record)
        return False

    def _load_laid_out(self, layout: Layout) -> Tables:
        tables: Tables = {}
        with self.path.open("rb") as handle:
            for name, (start, end) in layout.regions.items():
                table = tables[name] = self.table(name)
                if isinstance(table, RecordTable):
                    table.records.attach(RecordFile(self.path, *layout.records[name]))
                    continue
                handle.seek(start)
                for line in handle.read(end - start).splitlines():
                    if entry := line.rstrip(b","):
                        doc_id, document = _parse_entry(entry)
                        table[str(doc_id)] = orjson.loads(document)
        self.checksum = layout.checksum
        self.layout = layout
        return tables

    def _load_everything(self, on_record: OnRecord) -> Tables:
        raw = self.path.read_bytes()
        self.checksum = f"{len(raw)}:{zlib.crc32(raw):08x}"
        try:
            tables, layout, sealed = _read_lines(io.BytesIO(raw), self.table, self.path, on_record)
        except (_NotLineLayout, ValueError, KeyError, IndexError):
            self._empty_tables()
        else:
            damage = check_sealed(raw, sealed.seal, sealed.seal_start, sealed.closed_at)
            if damage:
                shown = "; ".join(damage[:5]) + (
                    f"; and {len(damage) - 5} more" if len(damage) > 5 else ""
                )
                raise StoreCorruptError(
                    f"{self.path} is damaged: {shown}. Nothing was changed. Run `summitbot "
                    "repair` to keep every intact record (it says what it restores and what "
                    "it drops, and keeps the damaged file aside), or restore a backup."
                )
            if sealed.seal is None:
                logger.info(
                    "%s was written before snapshots were sealed: sealed at the next compaction",
                    self.path,
                )
            layout.checksum = self.checksum
            self.layout = layout
            return tables
        if not raw.strip():
            return {}
        self.foreign_layout = True
        self.layout = None
        try:
            return _from_json(raw, self.table, on_record)
        except (orjson.JSONDecodeError, AttributeError, TypeError, KeyError) as error:
            raise StoreCorruptError(
                f"{self.path} is not a readable store ({error}); restore it from a backup "
                "or move it away to start from the seed"
            ) from error

    def _empty_tables(self) -> None:
        """Empties the tables a failed read began to fill, keeping the table objects: the
        store holds on to its record tables."""
        for table in self._data.values():
            if isinstance(table, RecordTable):
                table.records.clear()
            else:
                table.clear()

    @property
    def snapshot_bytes(self) -> int:
        """The size of the snapshot as read or last written."""
        return int(self.checksum.split(":", 1)[0] or 0)

    def copy(self) -> Tables:
        """A copy that later writes do not change: a record table shares its file records
        and copies the rest (records are immutable); plain tables copy each document, which
        TinyDB updates in place."""
        copied: Tables = {}
        for name, table in self._data.items():
            if isinstance(table, RecordTable):
                records = RecordTable(table.codec)
                records.records = table.records.copy()
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

    def save_snapshot(self, tables: Tables | None = None) -> Layout:
        """Writes the data (or a ``copy`` of it taken earlier) as the new snapshot; returns
        where its tables lie, with its checksum. ``rebase`` then reads records from it."""
        data = self._data if tables is None else tables
        written: list[Layout] = []
        write_atomically(self.path, lambda handle: written.append(_write_snapshot(handle, data)))
        self.checksum = written[0].checksum
        self.foreign_layout = False
        return written[0]

    def rebase(self, written: Tables, layout: Layout) -> None:
        """``written`` (a ``copy``) is now the snapshot laid out as ``layout``: the records
        unchanged since the copy are read from the new file, and memory holds only later
        ones. Under the store's memory lock."""
        for name, columns in layout.records.items():
            table, source = self._data.get(name), written.get(name)
            if isinstance(table, RecordTable) and isinstance(source, RecordTable):
                table.records.rebase(RecordFile(self.path, *columns), source.records)
        self.layout = layout

    def close(self) -> None:
        pass


def _file_checksum(path: Path) -> str:
    """Size and CRC-32 of a file, read a block at a time: the snapshot is not held whole."""
    crc = size = 0
    with path.open("rb") as handle:
        while block := handle.read(_CHECKSUM_BLOCK):
            crc = zlib.crc32(block, crc)
            size += len(block)
    return f"{size}:{crc:08x}"
