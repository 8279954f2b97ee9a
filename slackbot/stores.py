"""The wiring of storage: the one module above ``storage`` that picks, opens and maintains a
backend (the embedded TinyDB store or PostgreSQL). Everything else is handed a
``storage.api.Repository`` and never learns which it is; an import-linter contract keeps it
so.

PostgreSQL's driver (psycopg with libpq, about 20 MB resident) is imported only by the
functions that need it: the embedded store is the default, and a process serving it never
touches PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from slackbot.config import Settings
from storage.api import Installations, Repository, Workspaces
from storage.files import write_atomically
from storage.journal import repair as repair_journal
from storage.repository import FactStore

if TYPE_CHECKING:
    from storage.migrate import Migration

logger = logging.getLogger("summitbot")

__all__ = [
    "DatabaseStatus",
    "Leadership",
    "database_status",
    "leadership",
    "migrate_embedded",
    "open_store",
    "open_workspaces",
    "repair_journals",
    "upgrade_database",
    "write_atomically",
]


def open_store(settings: Settings, *, seed: bool = True, follow: bool = False) -> Repository:
    """The store: PostgreSQL at SUMMITBOT_DATABASE_URL, else the embedded one at
    SUMMITBOT_DB; seeded from the shipped seed the first time (unless ``seed`` is off: a
    backup being restored brings its own). ``follow``: a server keeps applying the writes of
    other replicas as they come."""
    store: Repository
    if settings.database_url:
        from storage.postgres import PostgresStore

        postgres = PostgresStore(settings.database_url, follow=follow)
        store, where = postgres, postgres.where
    else:
        store, where = FactStore(settings.db_path), str(settings.db_path)
    if seed and store.event() is None:
        report = store.seed()
        logger.info(
            "seeded %s with %d entities and %d facts",
            where,
            report.entities_written,
            report.facts_written,
        )
    return store


@contextmanager
def open_workspaces(settings: Settings) -> Iterator[tuple[Workspaces, Installations]]:
    """Every workspace's store and the installations, on PostgreSQL (many workspaces need
    it; the settings refuse to start without it)."""
    assert settings.database_url, "many workspaces need SUMMITBOT_DATABASE_URL"
    from storage.installations import PostgresInstallations
    from storage.postgres_workspaces import PostgresWorkspaces

    installations = PostgresInstallations(settings.database_url)
    try:
        with PostgresWorkspaces(
            settings.database_url, working_set=settings.workspace_cache
        ) as workspaces:
            yield workspaces, installations
    finally:
        installations.close()


def repair_journals(db_path: Path) -> list[str]:
    """Keeps every intact record of the embedded store's snapshot (storage.seal) and every
    readable record of its journals, and sets what is damaged aside; a line for each file
    saying what was restored and what was dropped."""
    from storage.seal import repair_snapshot

    said = repair_snapshot(db_path)
    for journal in (
        db_path.with_name(db_path.name + ".journal"),
        db_path.with_name(db_path.name + ".journal.folding"),
    ):
        if not journal.exists():
            continue
        kept, bad, aside = repair_journal(journal)
        if bad:
            said.append(
                f"{journal}: kept {kept:,} readable record batches; {bad} unreadable line(s) "
                f"moved to {aside}"
            )
        else:
            said.append(
                f"{journal}: every record is readable ({kept:,} batches); nothing to repair"
            )
    return said


def upgrade_database(url: str) -> tuple[int, int]:
    """Applies the schema migrations the database lacks; the versions before and after."""
    from storage import postgres

    return postgres.upgrade(url)


@dataclass(frozen=True)
class DatabaseStatus:
    found: int
    latest: int
    leader: str | None


def database_status(url: str) -> DatabaseStatus:
    from storage import postgres
    from storage.leadership import current_leader

    with postgres.connect(url) as conn:
        found = postgres.schema_version(conn)
        leader = current_leader(conn)
    return DatabaseStatus(found, postgres.SCHEMA_VERSION, leader)


def database_readiness(url: str) -> str | None:
    """None when the database answers with its schema current; else why not (/readyz)."""
    from storage import postgres

    return postgres.readiness(url)


def safe_url(url: str) -> str:
    """The database URL without its password, for messages."""
    from storage import postgres

    return postgres.safe_url(url)


def migrate_embedded(path: Path, url: str) -> Migration:
    """Copies the embedded store at ``path`` into the PostgreSQL database at ``url``."""
    from storage.migrate import migrate

    with FactStore(path) as store:
        return migrate(store, url)


class Leadership(Protocol):
    """Who runs the scheduler among replicas (``storage.leadership.Leadership``)."""

    leading: Any

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def leader(self) -> str | None: ...


def leadership(
    settings: Settings, on_gain: Callable[[], None], on_loss: Callable[[], None], name: str
) -> Leadership | None:
    """The leader election among replicas on PostgreSQL; None on the embedded store, whose
    one process always runs the scheduler."""
    if not settings.database_url:
        return None
    from storage.leadership import Leadership as PostgresLeadership

    return PostgresLeadership(settings.database_url, on_gain, on_loss, name=name)
