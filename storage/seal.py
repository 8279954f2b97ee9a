"""The snapshot's seal: checked as the journal is, so damage is found, never loaded.

A snapshot ends with one more table, ``"_seal"``, whose one document holds the CRC-32 of
every byte before it (``covers`` bytes), and each table's doc ids with a CRC-32 of each
record's line. The file stays one plain TinyDB can open. A start that reads the snapshot
whole checks the seal: a line deleted, changed or added, or bytes after the end, refuse
the start naming what is damaged; ``summitbot repair`` (``repair_snapshot``) says what it
can restore and what it drops, keeps every record whose line is intact, and sets the
damaged file aside. A snapshot from before seals is read as it is and sealed at the next
compaction.

Why our own: TinyDB's JSON file has no integrity of its own, and the journal's per-line
checksum (``storage.journal``) cannot be used as is without leaving TinyDB's layout.
"""

from __future__ import annotations

import zlib
from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from storage.files import write_atomically
from storage.stored_records import column_from_text, column_text

SEAL_TABLE = "_seal"
SEAL_HEADER = b'"_seal":{\n'


@dataclass
class Seal:
    covers: int = 0  # the bytes before the seal table
    crc: int = 0  # their CRC-32
    # By table: its doc ids and each one's line's CRC-32, in file order.
    tables: dict[str, tuple[array[int], array[int]]] = field(default_factory=dict)

    def doc(self) -> dict[str, Any]:
        return {
            "format": 1,
            "covers": self.covers,
            "crc": self.crc,
            "tables": {
                name: {"ids": column_text(ids), "crcs": column_text(crcs)}
                for name, (ids, crcs) in self.tables.items()
            },
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Seal:
        seal = cls(int(doc["covers"]), int(doc["crc"]))
        for name, columns in doc["tables"].items():
            seal.tables[name] = (
                column_from_text(columns["ids"], "q"),
                column_from_text(columns["crcs"], "I"),
            )
        return seal


def seal_bytes(seal: Seal) -> bytes:
    """The seal table and the file's closing brace."""
    return SEAL_HEADER + b'"1":' + orjson.dumps(seal.doc()) + b"\n}\n}\n"


def line_check(entry: bytes) -> int:
    """The CRC-32 a seal keeps for a record's line (``"7":{...}``, without separators)."""
    return zlib.crc32(entry)


@dataclass
class Found:
    """A snapshot file read line by line, as far as it can be: each table's entries."""

    # By table: [(doc id, line's CRC, the document or None when unreadable)]
    tables: dict[str, list[tuple[int, int, Any]]] = field(default_factory=dict)
    unreadable: int = 0  # lines that are no record
    seal: Seal | None = None
    seal_start: int = -1
    trailing: int = 0  # bytes after the closing brace


def read_tolerantly(raw: bytes) -> Found:
    """Everything readable in a (perhaps damaged) snapshot."""
    found = Found()
    table: list[tuple[int, int, Any]] | None = None
    name = ""
    offset = 0
    closed_at = -1
    lines = raw.splitlines(keepends=True)
    for index, line in enumerate(lines):
        at, offset = offset, offset + len(line)
        text = line.rstrip(b",\n").rstrip()
        if index == 0 and text == b"{":
            continue
        if table is None:
            if text == b"}":
                closed_at = offset
                break
            if text.endswith(b":{"):
                try:
                    name = orjson.loads(text[:-2])
                except orjson.JSONDecodeError:
                    found.unreadable += 1
                    continue
                if name == SEAL_TABLE:
                    found.seal_start = at
                table = found.tables.setdefault(str(name), [])
                continue
            found.unreadable += 1
            continue
        if text == b"}":
            table = None
            continue
        if not text:
            continue
        try:
            colon = text.index(b":")
            doc_id = int(text[1 : colon - 1])
            doc = orjson.loads(text[colon + 1 :])
        except (ValueError, orjson.JSONDecodeError):
            found.unreadable += 1
            continue
        if name == SEAL_TABLE:
            try:
                found.seal = Seal.from_doc(doc)
            except (KeyError, TypeError, ValueError):
                found.unreadable += 1
            continue
        table.append((doc_id, line_check(text), doc))
    found.tables.pop(SEAL_TABLE, None)
    if closed_at >= 0:
        found.trailing = len(raw[closed_at:].strip())
    return found


def _named(table: str, doc_id: int, doc: Any = None) -> str:
    own = doc.get("id") if isinstance(doc, dict) else None
    if own is None and table == "facts":
        own = f"F{doc_id}"  # a fact's doc id is its number (storage.applying)
    return f"{table} doc {doc_id}" + (f" ({own})" if isinstance(own, str) else "")


@dataclass
class Diagnosis:
    """What damage a snapshot has, against its seal: what can be kept and what cannot."""

    kept: dict[str, list[tuple[int, Any]]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def diagnose(raw: bytes) -> Diagnosis:
    found = read_tolerantly(raw)
    result = Diagnosis()
    seal = found.seal
    for name, entries in found.tables.items():
        expected: dict[int, int] = {}
        if seal is not None and name in seal.tables:
            ids, crcs = seal.tables[name]
            expected = dict(zip(ids, crcs, strict=True))
        kept = result.kept.setdefault(name, [])
        seen = set()
        for doc_id, check, doc in entries:
            seen.add(doc_id)
            if seal is not None and expected.get(doc_id) != check:
                what = "changed" if doc_id in expected else "not in the sealed snapshot"
                result.problems.append(f"{_named(name, doc_id, doc)} is {what}")
                result.dropped.append(f"{_named(name, doc_id, doc)} ({what})")
                continue
            kept.append((doc_id, doc))
        for doc_id in expected:
            if doc_id not in seen:
                result.problems.append(f"{_named(name, doc_id)} is missing")
                result.dropped.append(f"{_named(name, doc_id)} (its line is gone)")
    if seal is not None:
        for name, (ids, _crcs) in seal.tables.items():
            if name not in found.tables and len(ids):
                result.problems.append(f"table {name} ({len(ids):,} records) is missing")
                result.dropped.append(f"table {name} ({len(ids):,} records, gone)")
    if found.unreadable:
        result.problems.append(f"{found.unreadable} line(s) are no record")
        result.dropped.append(f"{found.unreadable} unreadable line(s)")
    if found.trailing:
        result.problems.append(f"{found.trailing:,} bytes follow its end")
        result.dropped.append(f"{found.trailing:,} bytes after the end")
    if seal is None:
        result.problems.append("its seal is missing or unreadable")
    elif not result.problems and (
        found.seal_start != seal.covers or zlib.crc32(raw[: seal.covers]) != seal.crc
    ):
        result.problems.append("its bytes differ from the sealed ones (layout changed)")
    return result


def check_sealed(raw: bytes, seal: Seal | None, seal_start: int, closed_at: int) -> list[str]:
    """Nothing when the snapshot is what was sealed (or was written before seals);
    otherwise what is damaged. ``closed_at``: where the file's closing brace line ends."""
    if seal is None:
        return []
    if (
        seal_start == seal.covers
        and zlib.crc32(memoryview(raw)[: seal.covers]) == seal.crc
        and not raw[closed_at:].strip()
    ):
        return []
    return diagnose(raw).problems or ["its bytes differ from the sealed ones"]


def repair_snapshot(path: Path) -> list[str]:
    """Keeps every record whose line is intact, drops the rest, seals the result and sets
    the damaged file aside; a line for each thing done."""
    if not path.exists() or not path.stat().st_size:
        return [f"{path}: no snapshot; nothing to repair"]
    from storage.snapshot import write_plain_snapshot

    raw = path.read_bytes()
    diagnosis = diagnose(raw)
    if not diagnosis.dropped and diagnosis.problems == []:
        return [f"{path}: the snapshot is intact; nothing to repair"]
    if diagnosis.problems == ["its seal is missing or unreadable"] and not diagnosis.dropped:
        said = [f"{path}: the snapshot has no seal (written before seals); sealing it as it is"]
    else:
        kept = sum(len(entries) for entries in diagnosis.kept.values())
        said = [f"{path}: {kept:,} records are intact and restored"]
        said += [f"dropped: {what}" for what in diagnosis.dropped[:50]]
        if len(diagnosis.dropped) > 50:
            said.append(f"…and {len(diagnosis.dropped) - 50} more dropped")
        said.append("a dropped record can only come back from a backup (summitbot import)")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    aside = path.with_name(f"{path.name}.bad-{stamp}")
    write_atomically(aside, raw)
    tables = {
        name: {str(doc_id): doc for doc_id, doc in entries}
        for name, entries in diagnosis.kept.items()
    }
    write_plain_snapshot(path, tables)
    # The saved indexes describe the damaged file: rebuilt at the next start.
    path.with_name(path.name + ".index").unlink(missing_ok=True)
    said.append(f"the damaged snapshot is kept as {aside.name}")
    return said
