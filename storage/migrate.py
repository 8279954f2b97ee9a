"""Moving an embedded store to PostgreSQL (`summitbot migrate --to URL`).

Every record is copied as it is stored (same table, key and document) into an empty
database in one transaction, then read back and compared: the counts per table and a
SHA-256 over every record, in a canonical form, must match. Running it again on a database
that already holds the same store verifies and copies nothing; a database holding anything
else is refused, so nothing is ever overwritten or merged.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from storage.errors import StoreWriteError
from storage.postgres import DEFAULT_WORKSPACE, WRITE_LOCK, connect, upgrade
from storage.repository import FactStore

Record = tuple[str, str, dict[str, Any]]


@dataclass(frozen=True)
class Migration:
    counts: dict[str, int]
    checksum: str
    copied: bool  # False: the database already held this very store
    seconds: float


def fingerprint(records: Iterable[Record]) -> tuple[dict[str, int], str]:
    """Records per table, and a SHA-256 over every record in a canonical form (sorted keys,
    records in table and key order), so that two stores compare whatever order they list
    their records and their documents' fields in."""
    lines = sorted(
        f"{table}\t{key}\t".encode() + orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
        for table, key, doc in records
    )
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line + b"\n")
    return dict(Counter(line.split(b"\t", 1)[0].decode() for line in lines)), digest.hexdigest()


def _stored(url: str) -> list[Record]:
    with connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name, key, doc FROM records WHERE workspace = %s", (DEFAULT_WORKSPACE,)
        ).fetchall()
    return [
        (table, key, orjson.loads(doc) if isinstance(doc, str) else doc) for table, key, doc in rows
    ]


def migrate(source: FactStore, url: str) -> Migration:
    """Copies ``source`` into the database at ``url`` (its schema made or upgraded first) and
    verifies the copy; raises StoreWriteError when the database holds another store or the
    copy does not match."""
    started = time.monotonic()
    records = source.records()
    counts, checksum = fingerprint(records)
    upgrade(url)
    existing = _stored(url)
    if existing:
        if fingerprint(existing) == (counts, checksum):
            return Migration(counts, checksum, False, time.monotonic() - started)
        raise StoreWriteError(
            f"not migrated: the database already holds {len(existing):,} records of another "
            "store; migrate into an empty database (nothing was changed)"
        )
    with connect(url) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (WRITE_LOCK,))
        # COPY, not INSERTs: a store of 100,000 facts is some 200,000 records.
        with (
            conn.transaction(),
            conn.cursor() as cursor,
            cursor.copy("COPY records (table_name, key, doc, seq) FROM STDIN") as copy,
        ):
            for table, key, doc in records:
                copy.write_row((table, key, orjson.dumps(doc).decode(), 0))
        conn.execute("SELECT pg_advisory_unlock(%s)", (WRITE_LOCK,))
    copied = fingerprint(_stored(url))
    if copied != (counts, checksum):
        raise StoreWriteError(
            f"the copy in the database does not match the store ({copied[1][:12]} against "
            f"{checksum[:12]}); check the database and run the migration again"
        )
    return Migration(counts, checksum, True, time.monotonic() - started)
