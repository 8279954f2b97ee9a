"""The fact store on PostgreSQL, for several replicas serving one workspace or many.

Each replica answers from memory exactly as the embedded store does (``FactStore``'s
indexes, filled from the database at start): a card or a search costs the same
microseconds, and no query leaves the process. PostgreSQL is what makes it durable and
shared:

- every row belongs to one workspace (``workspace``: a Slack team id, an enterprise id for
  an org-wide install, or ``''`` for the one workspace of a single-workspace app); a store
  (``PostgresStore``) reads and writes one workspace's rows and nothing else;
- ``records`` holds every record's latest document (what a replica loads at start);
- ``changes`` is the ordered log of writes: each replica applies its workspace's ones after
  the last it has seen, woken by ``NOTIFY summit_changes`` (the payload names the workspace)
  and, should a notification be missed, by a poll every second of ``workspace_heads``, the
  last change of each workspace;
- writers of a workspace are serialized by an advisory lock of that workspace, taken by
  ``transaction()`` and by every write. Whoever holds it first catches up with the
  workspace's log, so a read, a check and a write made under it (an admin's edit at
  revision 3, a digest slot claimed, the next fact id) see every other replica's writes:
  two admins on two replicas cannot overwrite each other, and a slot cannot be claimed
  twice. A workspace's log order is its lock's order, so no replica can skip a change that
  commits late; two workspaces never wait for each other.

A write commits its rows and its change in one transaction before it returns; memory
changes only after the commit.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import psycopg
from psycopg.types.json import Jsonb, set_json_dumps, set_json_loads
from psycopg_pool import ConnectionPool

from storage.api import EVENT_CLAIM_SECONDS, utc_now
from storage.errors import StoreOpenError, StoreWriteError
from storage.measures import timed_write
from storage.repository import RECORD_CODECS, Clock, FactStore
from storage.snapshot import SnapshotStorage

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 4
CHANNEL = "summit_changes"
# pg_advisory_lock keys: any constant of the app's own (here "summit" in ASCII, as a bigint)
# for schema upgrades; a workspace's writers take the two-key form (these first four letters,
# then the workspace's hash), a lock space of its own.
WRITE_LOCK = 0x73756D6D6974
WORKSPACE_LOCK = 0x73756D6D
# The workspace of a single-workspace app (and of every store written before workspaces).
DEFAULT_WORKSPACE = ""
POLL_SECONDS = 1.0

MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE records (
            table_name text NOT NULL,
            key text NOT NULL,
            doc jsonb NOT NULL,
            row_version bigint NOT NULL DEFAULT 1,
            seq bigint NOT NULL,
            PRIMARY KEY (table_name, key)
        )""",
        """CREATE TABLE changes (
            seq bigserial PRIMARY KEY,
            table_name text NOT NULL,
            key text NOT NULL,
            doc jsonb,
            at timestamptz NOT NULL DEFAULT now()
        )""",
    ],
    2: [
        "ALTER TABLE records ADD COLUMN workspace text NOT NULL DEFAULT ''",
        "ALTER TABLE records DROP CONSTRAINT records_pkey",
        "ALTER TABLE records ADD PRIMARY KEY (workspace, table_name, key)",
        "ALTER TABLE changes ADD COLUMN workspace text NOT NULL DEFAULT ''",
        "CREATE INDEX changes_by_workspace ON changes (workspace, seq)",
        # A workspace's last change, and its life: deleting a workspace starts a new epoch,
        # so that a replica holding the old one drops it rather than add the new life's
        # changes to it.
        """CREATE TABLE workspace_heads (
            workspace text PRIMARY KEY,
            seq bigint NOT NULL,
            epoch integer NOT NULL DEFAULT 0
        )""",
        "INSERT INTO workspace_heads SELECT workspace, max(seq) FROM changes GROUP BY workspace",
    ],
    3: [
        # Slack's installations (storage.installations): the latest of each workspace
        # (user_id ''), each installer's, and the bot's, as slack_sdk writes them.
        """CREATE TABLE slack_installations (
            client_id text NOT NULL,
            kind text NOT NULL,
            enterprise_id text NOT NULL,
            team_id text NOT NULL,
            user_id text NOT NULL,
            doc jsonb NOT NULL,
            saved_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (client_id, kind, enterprise_id, team_id, user_id)
        )""",
        "CREATE TABLE slack_oauth_states (state text PRIMARY KEY, expires_at timestamptz NOT NULL)",
        # Each workspace's life: the team (or organisation, for an org-wide install) whose
        # facts it holds, who installed it and when, and when its data is to be deleted.
        # Events Slack delivered, claimed once whichever replica gets them.
        """CREATE TABLE event_claims (
            workspace text NOT NULL,
            event_id text NOT NULL,
            claimed_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (workspace, event_id)
        )""",
        """CREATE TABLE workspaces (
            workspace text PRIMARY KEY,
            enterprise_id text NOT NULL DEFAULT '',
            team_id text NOT NULL DEFAULT '',
            org_wide boolean NOT NULL DEFAULT false,
            name text NOT NULL DEFAULT '',
            installed_at timestamptz NOT NULL,
            installed_by text NOT NULL DEFAULT '',
            uninstalled_at timestamptz,
            delete_after timestamptz
        )""",
    ],
    4: [
        # What the scheduled work asks of every workspace (storage.postgres_workspaces),
        # answered without reading every record: the few records each question is about.
        "CREATE INDEX records_subscriptions ON records (workspace) "
        "WHERE table_name = 'subscriptions'",
        "CREATE INDEX records_retrying_slots ON records (workspace, (doc->>'next_try')) "
        "WHERE table_name = 'slots' AND doc->>'status' = 'retrying'",
        "CREATE INDEX records_feeds ON records (workspace) WHERE table_name = 'feeds'",
        "CREATE INDEX records_meta_by_key ON records (key, workspace) WHERE table_name = 'meta'",
        "CREATE INDEX records_status_changes ON records (workspace, (doc->>'at')) "
        "WHERE table_name = 'revisions' AND doc->'changes' ? 'status'",
    ],
}

Change = tuple[str, str, dict[str, Any] | None]


class SchemaError(StoreOpenError):
    """The database's schema is missing or older than this code: `summitbot db upgrade`."""


def _connect_kwargs() -> dict[str, Any]:
    return {"autocommit": True}


def connect(url: str) -> psycopg.Connection[Any]:
    """A plain connection for one-off commands; an unreachable server is a StoreOpenError
    that says what to check."""
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as error:
        raise StoreOpenError(
            f"cannot reach the database at {safe_url(url)}: {first_line(error)}; check "
            "SUMMITBOT_DATABASE_URL and that PostgreSQL is running"
        ) from None


def readiness(url: str, timeout: int = 2) -> str | None:
    """None when the database answers within ``timeout`` seconds with its schema at this
    version; otherwise what is wrong, for /readyz."""
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=timeout) as conn:
            found = schema_version(conn)
    except psycopg.Error as error:
        return f"the database does not answer ({first_line(error)})"
    if found != SCHEMA_VERSION:
        return (
            f"the database schema is version {found}, this app needs {SCHEMA_VERSION}: "
            "run summitbot db upgrade"
        )
    return None


def schema_version(conn: psycopg.Connection[Any]) -> int:
    """The schema version the database is at; 0 when it has none yet."""
    exists = conn.execute("SELECT to_regclass('summit_schema') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return 0
    row = conn.execute("SELECT max(version) FROM summit_schema").fetchone()
    return int(row[0] or 0) if row else 0


def upgrade(url: str) -> tuple[int, int]:
    """Applies the migrations the database lacks, each in its own transaction, under the
    write lock (two replicas upgrading at once apply each step once). Returns the versions
    before and after."""
    with connect(url) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (WRITE_LOCK,))
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS summit_schema (version int PRIMARY KEY)")
            before = schema_version(conn)
            for version in sorted(MIGRATIONS):
                if version <= before:
                    continue
                with conn.transaction():
                    for statement in MIGRATIONS[version]:
                        conn.execute(statement)
                    conn.execute("INSERT INTO summit_schema (version) VALUES (%s)", (version,))
            return before, schema_version(conn)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (WRITE_LOCK,))


class PostgresStore(FactStore):
    """One workspace's ``FactStore`` memory, kept durable and in step across replicas by
    PostgreSQL."""

    def __init__(
        self,
        url: str,
        *,
        workspace: str = DEFAULT_WORKSPACE,
        pool: ConnectionPool | None = None,
        clock: Clock = utc_now,
        pool_size: int = 8,
        poll_seconds: float = POLL_SECONDS,
        follow: bool = True,
        lives_as_long_as_the_process: bool = True,
    ) -> None:
        """``follow``: keep applying other replicas' writes as they come (a server does; a
        one-off command, which only needs the state when it writes, need not; a store of
        ``PostgresWorkspaces`` is followed by it). ``pool``: connections shared with other
        workspaces' stores (then not closed with this one). ``lives_as_long_as_the_process``
        false: a store that will be let go of (a working set of workspaces), whose memory
        must be collected then."""
        self.url = url
        self.workspace = workspace
        self.epoch = 0  # the workspace's life it was loaded in (see workspace_heads)
        self._claims = 0
        self._clock = clock
        self._lock = threading.RLock()
        self._reads = threading.RLock()
        self._snapshot_batch = 1 << 62  # batches go through the log like any write
        self._poll_seconds = poll_seconds
        self._local = threading.local()
        self._last_seq = 0
        self._closing = threading.Event()
        self._owns_pool = pool is None
        try:
            if pool is None:
                self._check_schema()
                pool = open_pool(url, pool_size)
            self._pool = pool
            self._init_memory(SnapshotStorage(None, RECORD_CODECS))
            self._load()
            if lives_as_long_as_the_process:
                # As the embedded store does once loaded: what was loaded lives as long as
                # the process, so the cyclic collector need not walk it again at every full
                # collection (a replica holding a thousand workspaces' stores paused for
                # it). Frozen objects are never collected: a store let go of would stay.
                gc.freeze()
        except psycopg.OperationalError as error:
            raise StoreOpenError(
                f"cannot reach the database at {safe_url(url)}: {first_line(error)}; check "
                "SUMMITBOT_DATABASE_URL and that PostgreSQL is running"
            ) from None
        if follow:
            listener = threading.Thread(target=self._listen, name="summit-listen", daemon=True)
            listener.start()

    @property
    def where(self) -> str:
        """The database, for messages (no password)."""
        return safe_url(self.url)

    def _check_schema(self) -> None:
        check_schema(self.url)

    # -- loading and following other replicas ------------------------------------------

    def _load(self) -> None:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            row = conn.execute(
                "SELECT coalesce(max(seq), 0), "
                "(SELECT epoch FROM workspace_heads WHERE workspace = %s) "
                "FROM changes WHERE workspace = %s",
                (self.workspace, self.workspace),
            ).fetchone()
            last = int(row[0]) if row else 0
            self.epoch = int(row[1] or 0) if row else 0
            rows = conn.execute(
                "SELECT table_name, key, doc FROM records WHERE workspace = %s ORDER BY seq",
                (self.workspace,),
            ).fetchall()
        with self._lock:
            self._apply_changes([(table, key, doc) for table, key, doc in rows])
            self._last_seq = last

    def _apply_changes(self, changes: list[Change]) -> None:
        self._apply_records(self._records_of(changes))

    def catch_up(self, conn: psycopg.Connection[Any] | None = None) -> int:
        """Applies every change other replicas committed since the last one seen; returns
        how many. The log is read before the store's lock is taken (readers never wait on
        the network) unless ``conn`` holds the write lock, whose caller holds both."""
        if conn is None:
            with self._pool.connection() as own:
                rows = self._changes_after(own, self._last_seq)
            with self._lock:
                return self._apply_rows([row for row in rows if row[0] > self._last_seq])
        with self._lock:
            return self._apply_rows(self._changes_after(conn, self._last_seq))

    def _changes_after(self, conn: psycopg.Connection[Any], seq: int) -> list[tuple[Any, ...]]:
        return conn.execute(
            "SELECT seq, table_name, key, doc FROM changes "
            "WHERE workspace = %s AND seq > %s ORDER BY seq",
            (self.workspace, seq),
        ).fetchall()

    @property
    def last_seq(self) -> int:
        """The last change of this workspace applied here."""
        return self._last_seq

    def _apply_rows(self, rows: list[tuple[Any, ...]]) -> int:
        if rows:
            self._apply_changes([(table, key, doc) for _seq, table, key, doc in rows])
            self._last_seq = int(rows[-1][0])
        return len(rows)

    def _listen(self) -> None:
        """Catches up whenever another replica says it wrote, and every ``poll_seconds``
        anyway (a notification is lost while the connection is down)."""
        while not self._closing.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.catch_up()
                    while not self._closing.is_set():
                        for _note in conn.notifies(timeout=self._poll_seconds, stop_after=1):
                            break
                        self.catch_up()
            except psycopg.Error as error:
                if self._closing.is_set():
                    return
                logger.warning("lost the database connection (%s); retrying", first_line(error))
                self._closing.wait(self._poll_seconds)

    # -- writing ------------------------------------------------------------------------

    @property
    def _held(self) -> psycopg.Connection[Any] | None:
        """The connection holding the write lock for this thread, inside ``transaction()``."""
        return getattr(self._local, "conn", None)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside sees the latest state of every replica, and no other writer
        until it ends (the advisory lock, on a connection of its own). The store's own
        writers' lock comes first, as every write method takes it before it writes: taken
        the other way round, one thread held the database's lock and waited for the
        store's while another held the store's and waited for the database's, and every
        replica's writes stopped behind them. Readers take neither lock."""
        if self._held is not None:
            with self._lock:
                yield
            return
        try:
            with self._lock, self._pool.connection() as conn:
                lock = (WORKSPACE_LOCK, self.workspace)
                conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", lock)
                try:
                    self._local.conn = conn
                    try:
                        self.catch_up(conn)
                        yield
                    finally:
                        self._local.conn = None
                finally:
                    conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", lock)
        except psycopg.OperationalError as error:
            raise StoreWriteError(
                f"not saved: the database is unreachable ({first_line(error)})"
            ) from None

    def _write(self, changes: list[Change], progress: Callable[[str], None] | None = None) -> None:
        tell = progress or (lambda _step: None)
        with self.transaction():
            conn = self._held
            assert conn is not None
            records = self._records_of(changes)
            if not records:
                return
            workspace = self.workspace
            rows = [(r["table"], r["key"], _json(r["doc"])) for r in records]
            tell(f"writing {len(rows):,} records to the database")
            try:
                with timed_write("postgresql"), conn.transaction(), conn.cursor() as cursor:
                    cursor.executemany(
                        "INSERT INTO changes (workspace, table_name, key, doc) "
                        "VALUES (%s, %s, %s, %s) RETURNING seq",
                        [(workspace, *row) for row in rows],
                        returning=True,
                    )
                    seqs = []
                    while True:  # one result per row, in order
                        found = cursor.fetchone()
                        assert found is not None
                        seqs.append(int(found[0]))
                        if not cursor.nextset():
                            break
                    upserts = [
                        (workspace, table, key, doc, seq)
                        for (table, key, doc), seq in zip(rows, seqs, strict=True)
                        if doc is not None
                    ]
                    deletes = [(workspace, table, key) for table, key, doc in rows if doc is None]
                    if upserts:
                        cursor.executemany(
                            "INSERT INTO records (workspace, table_name, key, doc, seq) "
                            "VALUES (%s, %s, %s, %s, %s) "
                            "ON CONFLICT (workspace, table_name, key) DO UPDATE "
                            "SET doc = EXCLUDED.doc, seq = EXCLUDED.seq, "
                            "row_version = records.row_version + 1",
                            upserts,
                        )
                    if deletes:
                        cursor.executemany(
                            "DELETE FROM records "
                            "WHERE workspace = %s AND table_name = %s AND key = %s",
                            deletes,
                        )
                    cursor.execute(
                        "INSERT INTO workspace_heads (workspace, seq) VALUES (%s, %s) "
                        "ON CONFLICT (workspace) DO UPDATE SET seq = EXCLUDED.seq",
                        (workspace, seqs[-1]),
                    )
                    cursor.execute("SELECT pg_notify(%s, %s)", (CHANNEL, workspace))
            except (TypeError, psycopg.DataError) as error:
                # orjson refuses a lone surrogate, PostgreSQL a NUL: nothing was written.
                raise StoreWriteError(
                    f"not saved: text the store cannot encode ({first_line(error)})"
                ) from None
            except psycopg.OperationalError as error:
                raise StoreWriteError(
                    f"not saved: the database is unreachable ({first_line(error)})"
                ) from None
            tell(f"committed: {len(rows):,} records are durable")
            # Our own change is the newest in the log: the lock held since catching up
            # means nobody wrote in between.
            self._apply_records(records)
            self._last_seq = seqs[-1]
            tell(f"{len(rows):,} records applied to the store and its indexes")

    def claim_event(self, event_id: str) -> bool:
        """One row per event id: the first replica to insert it has it. Claims older than
        an hour go, now and then, as claims are made."""
        try:
            with self._pool.connection() as conn:
                row = conn.execute(
                    "INSERT INTO event_claims (workspace, event_id) VALUES (%s, %s) "
                    "ON CONFLICT DO NOTHING RETURNING 1",
                    (self.workspace, event_id),
                ).fetchone()
                self._claims += 1
                if self._claims % 500 == 1:
                    conn.execute(
                        "DELETE FROM event_claims "
                        "WHERE claimed_at < now() - %s * interval '1 second'",
                        (EVENT_CLAIM_SECONDS,),
                    )
        except psycopg.OperationalError as error:
            # Answering twice beats not answering: the event is handled.
            logger.warning("could not claim event %s (%s)", event_id, first_line(error))
            return True
        return row is not None

    def compact(self, *, wait: bool = True) -> None:
        """Nothing to fold: PostgreSQL is the store's only durable form."""

    @property
    def closed(self) -> bool:
        return self._closing.is_set()

    def close(self) -> None:
        self._closing.set()
        if self._owns_pool:
            self._pool.close()


def check_schema(url: str) -> None:
    """Refuses a database whose schema is not this code's, saying what to run."""
    with connect(url) as conn:
        found = schema_version(conn)
    if found < SCHEMA_VERSION:
        raise SchemaError(
            f"the database at {safe_url(url)} is at schema version {found}, this "
            f"code needs {SCHEMA_VERSION}: run `summitbot db upgrade` first"
        )
    if found > SCHEMA_VERSION:
        raise SchemaError(
            f"the database at {safe_url(url)} is at schema version {found}, newer "
            f"than this code ({SCHEMA_VERSION}): run the newer version of Summit Intel"
        )


def open_pool(url: str, size: int) -> ConnectionPool:
    return ConnectionPool(
        url,
        min_size=1,
        max_size=size,
        kwargs=_connect_kwargs(),
        configure=_configure,
        open=True,
        name="summit",
    )


def _json(doc: dict[str, Any] | None) -> Jsonb | None:
    return None if doc is None else Jsonb(doc)


def _configure(conn: psycopg.Connection[Any]) -> None:
    # orjson rather than the json module: loading a store decodes every record once.
    set_json_loads(orjson.loads, conn)
    set_json_dumps(orjson.dumps, conn)


def first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "the configured database"
    host, port, name = info.get("host", "localhost"), info.get("port", "5432"), info.get("dbname")
    return f"postgresql://{info.get('user', '')}@{host}:{port}/{name or ''}"
