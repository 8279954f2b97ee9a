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
import os
from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage
from tinydb.table import Table


class StoreCorruptError(RuntimeError):
    """The store file exists but cannot be read as a TinyDB database."""


class StoreLockedError(RuntimeError):
    """Another process already serves this store."""


def write_atomically(path: Path, payload: bytes) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    with open(temp, "wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    # The rename itself is only durable once the directory entry is on disk.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class SnapshotStorage(Storage):
    """A TinyDB storage that reads its JSON file once and keeps the data in memory.

    ``write`` only replaces the in-memory data; ``save_snapshot`` persists it atomically.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._data: dict[str, dict[str, Any]] | None = None
        if self.path.exists():
            raw = self.path.read_bytes()
            if raw.strip():
                try:
                    self._data = orjson.loads(raw)
                except orjson.JSONDecodeError as error:
                    raise StoreCorruptError(
                        f"{self.path} is not valid JSON ({error}); restore it from a backup "
                        "or move it away to start from the seed"
                    ) from error

    def read(self) -> dict[str, dict[str, Any]] | None:
        return self._data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self._data = data

    def save_snapshot(self) -> None:
        write_atomically(self.path, orjson.dumps(self._data or {}))

    def close(self) -> None:
        pass


class Journal:
    """An append-only file of JSON lines, each fsynced before ``append`` returns."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._handle = open(self.path, "ab")  # noqa: SIM115 - held open for the store's lifetime
        self.length = 0

    def append(self, records: list[dict[str, Any]]) -> None:
        """Writes the records and fsyncs once: a batch is acknowledged as a whole."""
        self._handle.write(b"".join(orjson.dumps(record) + b"\n" for record in records))
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self.length += len(records)

    def replay(self) -> Iterator[dict[str, Any]]:
        """Yield the complete records; a torn last line (a write cut short) is skipped."""
        with open(self.path, "rb") as handle:
            for line in handle:
                if not line.endswith(b"\n"):
                    break
                try:
                    yield orjson.loads(line)
                except orjson.JSONDecodeError:
                    break

    def reset(self) -> None:
        self._handle.truncate(0)
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self.length = 0

    def close(self) -> None:
        self._handle.close()


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
    """A table's raw ``{"7": doc}`` dict seen as ``{7: doc}``, the form TinyDB's updaters use."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self._raw = raw

    def __getitem__(self, doc_id: int) -> Any:
        return self._raw[str(doc_id)]

    def __setitem__(self, doc_id: int, doc: Any) -> None:
        self._raw[str(doc_id)] = doc

    def __delitem__(self, doc_id: int) -> None:
        del self._raw[str(doc_id)]

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
        tables = self._storage.read() or {}
        raw = tables.setdefault(self.name, {})
        updater(_DocIdView(raw))  # type: ignore[arg-type]
        self._storage.write(tables)
        self.clear_cache()
