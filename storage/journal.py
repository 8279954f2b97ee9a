"""The write-ahead journal: every acknowledged write, appended and fsynced before it returns.

Each batch of records is one line, ``<crc32 hex> <json list>\\n``: a batch is all there or
not at all after a crash (an import is one batch), and the checksum tells damage from a
record. Lines from journals written before checksums (a bare JSON object) are still read.

On open the journal is checked line by line:

- an unreadable *last* line is a write cut short by a crash: its bytes are set aside in
  ``<journal>.bad-<time>``, the file is cut back to the last complete batch, and a WARNING
  says so, so that later appends start on a clean line;
- an unreadable line with readable batches after it is damage, not a crash: opening fails
  with the file, the line number and what to do (``summitbot repair`` keeps every readable
  batch and sets the bad lines aside).
"""

from __future__ import annotations

import logging
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from storage.errors import JournalCorruptError, StoreWriteError
from storage.files import fsync_directory

logger = logging.getLogger(__name__)


def describe_os_error(error: OSError) -> str:
    """An OSError as what an operator should know."""
    import errno

    reasons = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is used up",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EIO: "an I/O error",
    }
    return reasons.get(error.errno or 0, error.strerror or type(error).__name__)


def encode_batch(records: list[dict[str, Any]]) -> bytes:
    payload = orjson.dumps(records)
    return b"%08x " % zlib.crc32(payload) + payload + b"\n"


def decode_line(line: bytes) -> list[dict[str, Any]]:
    """The records of one complete journal line; ValueError when it cannot be trusted."""
    if not line.endswith(b"\n"):
        raise ValueError("the line is incomplete")
    body = line[:-1]
    if body.startswith(b"{"):  # a record from before checksums
        record = orjson.loads(body)
        if not isinstance(record, dict):
            raise ValueError("not a record")
        return [record]
    checksum, _, payload = body.partition(b" ")
    if len(checksum) != 8:
        raise ValueError("no checksum")
    try:
        expected = int(checksum, 16)
    except ValueError:
        raise ValueError("no checksum") from None
    if zlib.crc32(payload) != expected:
        raise ValueError("the checksum does not match")
    records = orjson.loads(payload)
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ValueError("not a batch of records")
    return records


@dataclass
class Scan:
    """What a journal file holds: its readable batches and where reading stopped."""

    batches: list[list[dict[str, Any]]]
    good_end: int  # the byte offset after the last complete, readable batch
    size: int
    bad_lines: list[tuple[int, int, int, str]]  # (line number, start, end, why)

    @property
    def torn_tail(self) -> bool:
        """Only the end is unreadable (a crash cut a write short)."""
        return bool(self.bad_lines) and self.bad_lines[0][1] >= self.good_end


def scan(path: Path) -> Scan:
    raw = path.read_bytes() if path.exists() else b""
    batches: list[list[dict[str, Any]]] = []
    bad: list[tuple[int, int, int, str]] = []
    good_end = 0
    offset = 0
    for number, line in enumerate(raw.splitlines(keepends=True), start=1):
        start, offset = offset, offset + len(line)
        try:
            batches.append(decode_line(line))
            good_end = offset
        except (ValueError, orjson.JSONDecodeError) as error:
            bad.append((number, start, offset, str(error)))
    return Scan(batches, good_end, len(raw), bad)


def set_aside(path: Path, pieces: list[bytes]) -> Path:
    """Keeps bytes taken out of a journal in ``<journal>.bad-<time>``; returns that path."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    aside = path.with_name(f"{path.name}.bad-{stamp}")
    with open(aside, "wb") as out:
        out.write(b"".join(pieces))
        out.flush()
        os.fsync(out.fileno())
    return aside


def check(path: Path) -> Scan:
    """Reads a journal for opening: a torn tail is cut off (and kept aside), damage in the
    middle raises ``JournalCorruptError``."""
    found = scan(path)
    if not found.bad_lines:
        return found
    if not found.torn_tail:
        number, _start, _end, why = found.bad_lines[0]
        raise JournalCorruptError(
            f"{path} line {number} cannot be read ({why}) and readable records follow it. "
            "Nothing was changed. Run `summitbot repair` to keep every readable record and "
            f"move the bad bytes to {path.name}.bad-<time>, then start again."
        )
    raw = path.read_bytes()
    aside = set_aside(path, [raw[found.good_end :]])
    with open(path, "r+b") as handle:
        handle.truncate(found.good_end)
        handle.flush()
        os.fsync(handle.fileno())
    logger.warning(
        "%s ended in an incomplete write (%d bytes, %s): cut back to the last complete "
        "record; the bytes are kept in %s",
        path,
        found.size - found.good_end,
        found.bad_lines[0][3],
        aside.name,
    )
    found.size = found.good_end
    found.bad_lines = []
    return found


def repair(path: Path) -> tuple[int, int, Path | None]:
    """Rewrites a journal with every readable batch, the unreadable lines set aside.
    Returns (batches kept, lines set aside, where they went)."""
    found = scan(path)
    if not found.bad_lines:
        return len(found.batches), 0, None
    raw = path.read_bytes()
    aside = set_aside(path, [raw[start:end] for _n, start, end, _why in found.bad_lines])
    temp = path.with_name(f".{path.name}.repair")
    with open(temp, "wb") as out:
        out.write(b"".join(encode_batch(batch) for batch in found.batches))
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, path)
    return len(found.batches), len(found.bad_lines), aside


class Journal:
    """An append-only file of checksummed batches, each fsynced before ``append`` returns."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        found = check(self.path)
        self._pending = found.batches
        self._size = found.size
        self._handle = open(self.path, "ab")  # noqa: SIM115 - held open for the store's lifetime
        self.length = 0
        # After a failed append the file may hold part of it: cut back before the next one.
        self._dirty = False

    def append(self, records: list[dict[str, Any]]) -> None:
        """Writes the records as one batch and fsyncs: acknowledged as a whole, or not at
        all (``StoreWriteError``, with the file cut back to where it was)."""
        line = encode_batch(records)
        try:
            if self._dirty:
                self._handle.truncate(self._size)
                self._dirty = False
            self._handle.write(line)
            self._handle.flush()
            os.fsync(self._handle.fileno())
        except OSError as error:
            self._dirty = True
            try:
                self._handle.truncate(self._size)
                self._dirty = False
            except OSError:
                pass  # tried again before the next append
            raise StoreWriteError(f"not saved: {describe_os_error(error)}") from error
        self._size += len(line)
        self.length += len(records)

    @property
    def size(self) -> int:
        """Bytes written since it was last emptied."""
        return self._size

    def replay(self, path: Path | None = None) -> Iterator[dict[str, Any]]:
        """The records of the journal as opened (or of ``path``, a folding journal, checked
        the same way), in order."""
        batches = self._pending if path is None else check(path).batches
        for batch in batches:
            yield from batch
        if path is None:
            self._pending = []

    def reset(self) -> None:
        self._handle.truncate(0)
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._size = 0
        self._dirty = False
        self.length = 0

    def hand_over(self, folding: Path) -> None:
        """Moves every record to ``folding`` (appending if it already holds some, from a
        compaction that did not finish) and starts empty; durable before it returns. When
        it fails (OSError) the journal is as it was and still appending."""
        if folding.exists():
            with open(folding, "ab") as out:
                out.write(self.path.read_bytes())
                out.flush()
                os.fsync(out.fileno())
            self.reset()
            return
        os.replace(self.path, folding)
        try:
            handle = open(self.path, "ab")  # noqa: SIM115 - held open for the store's lifetime
            fsync_directory(self.path.parent)
        except OSError:
            # Put the journal back where it was; the old handle still writes to it.
            os.replace(folding, self.path)
            raise
        self._handle.close()
        self._handle = handle
        self._size = 0
        self._dirty = False
        self.length = 0

    def close(self) -> None:
        self._handle.close()
