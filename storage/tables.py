"""The names of the store's tables, in one place for the modules that write them, and what
the parts of ``FactStore`` kept in their own modules (review and digest tables) share."""

from __future__ import annotations

import threading
from typing import Any

import orjson

# A put (a document) or a delete (None) of a table's key.
Change = tuple[str, str, dict[str, Any] | None]

ENTITIES = "entities"
FACTS = "facts"
REVISIONS = "revisions"
SUBSCRIPTIONS = "subscriptions"
SLOTS = "slots"
META = "meta"
FEEDS = "feeds"
CANDIDATES = "candidates"
# Tables kept as plain documents (facts and revisions are model records).
DOCUMENT_TABLES = (ENTITIES, SUBSCRIPTIONS, SLOTS, META, FEEDS, CANDIDATES)
# The review queue's tables: nothing an answer shows depends on them.
REVIEW_TABLES = frozenset({FEEDS, CANDIDATES})
# Tables whose documents callers hand in and read back as plain dicts (the others become
# frozen models): the store keeps its own copies of these, so that nothing a caller does to
# a dict it wrote or read changes what is stored.
PLAIN_DOCUMENT_TABLES = frozenset({SLOTS, META})


def copy_document(doc: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a JSON document; through orjson, several times faster than deepcopy."""
    copied: dict[str, Any] = orjson.loads(orjson.dumps(doc))
    return copied


class TablePart:
    """A part of ``FactStore`` with tables of its own: it reads them under the store's
    memory lock and writes them through the store's journaled write, under its writers'
    lock (see storage.repository)."""

    _lock: threading.RLock
    _reads: threading.RLock

    def _write(self, changes: list[Change]) -> None:
        raise NotImplementedError  # FactStore's journaled write
