"""Many workspaces on one PostgreSQL database: each workspace's store opened when it is
first asked for, all of them sharing one connection pool and one follower.

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

from storage.api import utc_now
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
    ) -> None:
        check_schema(url)
        self.url = url
        self._clock = clock
        self._poll_seconds = poll_seconds
        self._pool = open_pool(url, pool_size)
        self._stores: dict[str, PostgresStore] = {}
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
        """The workspace's store, loaded on first use (empty for a new workspace)."""
        with self._lock:
            store = self._stores.get(workspace)
            if store is not None and not store.closed:
                return store
            opening = self._opening.setdefault(workspace, threading.Lock())
        # Loading one workspace never holds up requests for the others.
        with opening:
            with self._lock:
                store = self._stores.get(workspace)
            if store is None or store.closed:
                store = PostgresStore(
                    self.url, workspace=workspace, pool=self._pool, follow=False, clock=self._clock
                )
                with self._lock:
                    self._stores[workspace] = store
            return store

    def stored(self) -> list[str]:
        """Every workspace that has anything stored."""
        with self._pool.connection() as conn:
            rows = conn.execute("SELECT DISTINCT workspace FROM records ORDER BY 1").fetchall()
        return [str(row[0]) for row in rows]

    def delete(self, workspace: str) -> None:
        """Deletes everything of the workspace, here and (within a poll) on every replica."""
        with self._lock:
            store = self._stores.pop(workspace, None)
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
            stores = list(self._stores.values())
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
                    if self._stores.get(workspace) is store:
                        del self._stores[workspace]
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
