"""What the store raises, in words a person can act on. Its own module so that code above
``storage`` can catch these through ``storage.api`` without importing a backend."""

from __future__ import annotations


class StoreCorruptError(RuntimeError):
    """The store file exists but cannot be read as a TinyDB database."""


class StoreOpenError(RuntimeError):
    """The store's files cannot be opened (permissions, a read-only disk); the message says
    which and what to do."""


class StoreLockedError(RuntimeError):
    """Another process already serves this store."""


class JournalCorruptError(RuntimeError):
    """A journal line in the middle cannot be read; the message says where and what to do."""


class StoreWriteError(RuntimeError):
    """A write could not be made durable (disk full, read-only, I/O error); nothing of it
    was stored. The message says why in words a person can act on."""
