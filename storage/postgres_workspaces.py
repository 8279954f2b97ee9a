"""Many workspaces on one PostgreSQL database: each workspace's store opened when it is
first asked for, all of them sharing one connection pool and one follower.

A replica holds in memory only the workspaces it serves now: at most ``working_set`` stores
(SUMMITBOT_WORKSPACE_CACHE), the least recently asked for let go of (closed, its memory
freed, no longer followed) when another must be opened, and read again from the database
when it is next asked for. What must hold across replicas (slots, the leader, candidates'
states) is in the database already, so a store let go of loses nothing.

A replica serving many workspaces cannot give each store a connection of its own to listen
on: the follower here listens once, catches up the workspace a notification names, and
every ``poll_seconds`` compares ``workspace_heads`` with what each open store has applied
(a notification is lost while its connection is down). A workspace deleted on another
replica (its epoch moved on) is dropped from memory here."""

from __future__ import annotations

import logging
import threading
import time

import psycopg

from storage.api import LeastRecentlyUsed, Subscription, utc_now
from storage.postgres import (
    CHANNEL,
    POLL_SECONDS,
    WORKSPACE_LOCK,
    PostgresStore,
    check_schema,
    first_line,
    open_pool,
)
from storage.repository import Clock

logger = logging.getLogger(__name__)


class PostgresWorkspaces:
    """Every workspace's store on the database at ``url`` (``storage.api.Workspaces``)."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 8,
        poll_seconds: float = POLL_SECONDS,
        follow: bool = True,
        clock: Clock = utc_now,
        working_set: int | None = None,
    ) -> None:
        """``working_set``: how many workspaces' stores are held at most (None: all)."""
        check_schema(url)
        self.url = url
        self._clock = clock
        self._poll_seconds = poll_seconds
        self._pool = open_pool(url, pool_size)
        self._working_set = working_set
        self._stores: LeastRecentlyUsed[str, PostgresStore] = LeastRecentlyUsed(working_set)
        self._opening: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._follower: threading.Thread | None = None
        if follow:
            self._follower = threading.Thread(
                target=self._follow, name="summit-follow", daemon=True
            )
            self._follower.start()

    def store(self, workspace: str) -> PostgresStore:
        """The workspace's store, loaded on first use (empty for a new workspace). A store
        let go of (closed) when the working set was full is loaded again: hold on to the
        workspace, not to its store."""
        with self._lock:
            store = self._stores.get(workspace)
            if store is not None and not store.closed:
                return store
            opening = self._opening.setdefault(workspace, threading.Lock())
        # Loading one workspace never holds up requests for the others.
        with opening:
            with self._lock:
                store = self._stores.peek(workspace)
            if store is None or store.closed:
                store = PostgresStore(
                    self.url,
                    workspace=workspace,
                    pool=self._pool,
                    follow=False,
                    clock=self._clock,
                    lives_as_long_as_the_process=self._working_set is None,
                )
                with self._lock:
                    let_go = self._stores.put(workspace, store)
                    for old_workspace, _old in let_go:
                        self._opening.pop(old_workspace, None)
                for old_workspace, old in let_go:
                    old.close()
                    logger.debug("let go of workspace %s (working set full)", old_workspace)
            return store

    def held(self) -> list[str]:
        """The workspaces whose stores are in memory, least recently asked for first."""
        with self._lock:
            return [ws for ws, store in self._stores.items() if not store.closed]

    def stored(self) -> list[str]:
        """Every workspace that has anything stored."""
        with self._pool.connection() as conn:
            rows = conn.execute("SELECT DISTINCT workspace FROM records ORDER BY 1").fetchall()
        return [str(row[0]) for row in rows]

    # -- what the scheduled work asks of every workspace: one query each, on the partial
    # indexes of schema version 4, so that no workspace is loaded to be asked. Each WHERE
    # says in SQL what the models say in Python (slot_retry_due, Feed.due); the storage
    # contract suite checks the two agree.

    def _workspaces(self, query: str, *params: object) -> set[str]:
        with self._pool.connection() as conn:
            return {str(row[0]) for row in conn.execute(query, params).fetchall()}

    def every_subscription(self) -> list[tuple[str, Subscription]]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT workspace, doc FROM records WHERE table_name = 'subscriptions'"
            ).fetchall()
        return [(str(workspace), Subscription.from_doc(doc)) for workspace, doc in rows]

    def with_retries_due(self, now: str) -> set[str]:
        return self._workspaces(
            "SELECT DISTINCT workspace FROM records "
            "WHERE table_name = 'slots' AND doc->>'status' = 'retrying' "
            "AND coalesce(doc->>'next_try', '') <= %s",
            now,
        )

    def with_feeds_due(self, now: str) -> set[str]:
        return self._workspaces(
            "SELECT DISTINCT workspace FROM records WHERE table_name = 'feeds' "
            "AND coalesce(doc->>'paused', 'false') <> 'true' "
            "AND coalesce(doc->>'next_fetch_at', '') <= %s",
            now,
        )

    def with_status_changes_after(self, mark: str) -> set[str]:
        return self._workspaces(
            "SELECT marked.workspace FROM records marked "
            "WHERE marked.table_name = 'meta' AND marked.key = %s AND EXISTS ("
            "  SELECT 1 FROM records revision WHERE revision.workspace = marked.workspace "
            "  AND revision.table_name = 'revisions' AND revision.doc->'changes' ? 'status' "
            "  AND revision.doc->>'at' > marked.doc->>'since')",
            mark,
        )

    def delete(self, workspace: str) -> None:
        """Deletes everything of the workspace, here and (within a poll) on every replica."""
        with self._lock:
            store = self._stores.pop(workspace)
        if store is not None:
            store.close()
        lock = (WORKSPACE_LOCK, workspace)
        with self._pool.connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", lock)
            try:
                with conn.transaction():
                    conn.execute("DELETE FROM records WHERE workspace = %s", (workspace,))
                    conn.execute("DELETE FROM changes WHERE workspace = %s", (workspace,))
                    conn.execute("DELETE FROM event_claims WHERE workspace = %s", (workspace,))
                    conn.execute(
                        "INSERT INTO workspace_heads (workspace, seq, epoch) VALUES (%s, 0, 1) "
                        "ON CONFLICT (workspace) DO UPDATE "
                        "SET seq = 0, epoch = workspace_heads.epoch + 1",
                        (workspace,),
                    )
                    conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, workspace))
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", lock)

    def close(self) -> None:
        self._closing.set()
        with self._lock:
            stores = [store for _workspace, store in self._stores.items()]
            self._stores.clear()
        for store in stores:
            store.close()
        if self._follower is not None:
            self._follower.join(timeout=self._poll_seconds + 5)
        self._pool.close()

    def __enter__(self) -> PostgresWorkspaces:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- following other replicas ------------------------------------------------------

    def _open(self) -> dict[str, PostgresStore]:
        with self._lock:
            return {ws: store for ws, store in self._stores.items() if not store.closed}

    def _catch_up(self, workspace: str) -> None:
        store = self._open().get(workspace)
        if store is not None:
            self._compare_heads({workspace: store})

    def _compare_heads(self, stores: dict[str, PostgresStore]) -> None:
        """Catches up every store behind its workspace's head; drops those whose workspace
        was deleted since they were loaded."""
        if not stores:
            return
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT workspace, seq, epoch FROM workspace_heads WHERE workspace = ANY(%s)",
                (list(stores),),
            ).fetchall()
        for workspace, seq, epoch in rows:
            store = stores[workspace]
            if int(epoch) != store.epoch:
                with self._lock:
                    if self._stores.peek(workspace) is store:
                        self._stores.pop(workspace)
                store.close()
            elif int(seq) > store.last_seq:
                store.catch_up()

    def _follow(self) -> None:
        while not self._closing.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._compare_heads(self._open())
                    next_poll = time.monotonic() + self._poll_seconds
                    while not self._closing.is_set():
                        wait = max(0.0, next_poll - time.monotonic())
                        for note in conn.notifies(timeout=wait, stop_after=1):
                            self._catch_up(note.payload)
                        if time.monotonic() >= next_poll:
                            self._compare_heads(self._open())
                            next_poll = time.monotonic() + self._poll_seconds
            except psycopg.Error as error:
                if self._closing.is_set():
                    return
                logger.warning("lost the database connection (%s); retrying", first_line(error))
                self._closing.wait(self._poll_seconds)
