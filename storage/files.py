"""Files the store keeps safe: written atomically (temp, fsync, rename, directory fsync),
and the process lock that keeps a second process off a store."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from storage.errors import StoreLockedError


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
    fsync_directory(path.parent)


def remove_leftovers(path: Path) -> list[tuple[str, int]]:
    """Removes the temporary files a process killed mid-write left beside the store
    (``.summit.json.tmp`` from a snapshot write, say: 12 MB after an import was killed).
    Only called with the store's process lock held, so no writer of them is alive. Returns
    what was removed, with sizes."""
    removed = []
    for leftover in path.parent.glob(f".{path.name}*.tmp"):
        with contextlib.suppress(OSError):
            size = leftover.stat().st_size
            leftover.unlink()
            removed.append((leftover.name, size))
    return removed


def fsync_directory(directory: Path) -> None:
    # The rename itself is only durable once the directory entry is on disk.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
