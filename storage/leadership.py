"""Which replica runs the scheduler: the one holding a PostgreSQL advisory lock.

A session-level advisory lock lives as long as the connection that took it, so a leader that
dies (``kill -9``) or loses its connection lets go at once, with no lease to expire; the
other replicas try again every few seconds and one of them takes over. The lock's holder is
found in ``pg_locks`` (its connection's ``application_name`` names the replica), so asking
who leads needs no table of its own.

Two leaders at once can still happen for a moment (a leader cut off from the database does
not know it yet); what keeps a digest slot from being posted twice is that claiming it is a
write under the store's write lock, made on the latest state (``storage.postgres``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import psycopg

from storage.ids import replica_name

logger = logging.getLogger(__name__)

# pg_advisory_lock key of the scheduler's leader ("leader" in ASCII, as a bigint).
LEADER_LOCK = 0x6C6561646572
RETRY_SECONDS = 3.0


def current_leader(conn: psycopg.Connection[Any]) -> str | None:
    """The name of the replica holding the leader lock, if any does."""
    row = conn.execute(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND l.classid = %s AND l.objid = %s AND l.objsubid = 1",
        (LEADER_LOCK >> 32, LEADER_LOCK & 0xFFFFFFFF),
    ).fetchone()
    return str(row[0]).removeprefix("summitbot ") if row else None


class Leadership:
    """Tries for the leader lock until it has it, then keeps its connection alive: calls
    ``on_gain`` when this replica becomes the leader and ``on_loss`` when it stops being
    one (its connection broke)."""

    def __init__(
        self,
        url: str,
        on_gain: Callable[[], None],
        on_loss: Callable[[], None],
        *,
        retry_seconds: float = RETRY_SECONDS,
        name: str | None = None,
    ) -> None:
        self.url = url
        self.name = name or replica_name()
        self._on_gain = on_gain
        self._on_loss = on_loss
        self._retry = retry_seconds
        self._stop = threading.Event()
        self.leading = threading.Event()
        self._thread = threading.Thread(target=self._run, name="leadership", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():  # never started: nothing to wait for
            self._thread.join(timeout=self._retry + 5)

    def leader(self) -> str | None:
        """Who leads now, as the database sees it (None when nobody does or it is
        unreachable)."""
        try:
            with psycopg.connect(self.url, autocommit=True, connect_timeout=3) as conn:
                return current_leader(conn)
        except psycopg.Error:
            return None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    self.url,
                    autocommit=True,
                    connect_timeout=5,
                    application_name=f"summitbot {self.name}"[:63],
                    # A leader whose network dies is noticed by the server within ~15 s.
                    keepalives=1,
                    keepalives_idle=5,
                    keepalives_interval=2,
                    keepalives_count=3,
                ) as conn:
                    self._hold(conn)
            except psycopg.Error as error:
                logger.warning("leader election: %s", str(error).strip().splitlines()[0])
            finally:
                if self.leading.is_set():
                    self.leading.clear()
                    logger.warning("this replica (%s) no longer leads", self.name)
                    self._on_loss()
            self._stop.wait(self._retry)

    def _hold(self, conn: psycopg.Connection[Any]) -> None:
        while not self._stop.is_set():
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (LEADER_LOCK,)).fetchone()
            if row and row[0]:
                break
            self._stop.wait(self._retry)
        else:
            return
        self.leading.set()
        logger.info("this replica (%s) leads: it runs the scheduler", self.name)
        self._on_gain()
        # Holding: a query now and then notices a broken connection.
        while not self._stop.wait(self._retry):
            conn.execute("SELECT 1")
        conn.execute("SELECT pg_advisory_unlock(%s)", (LEADER_LOCK,))
