"""The storage interface: the one door into ``storage`` for everything above it.

A backend implements ``Repository`` (the embedded TinyDB store, ``storage.repository.
FactStore``, and ``storage.postgres.PostgresStore`` do) and passes the contract suite in
``tests/storage_contract/``. It returns model objects (``storage.models``: frozen) and plain
ids and numbers, never an index structure, a lock or a dict the store keeps (documents such
as ``meta()`` and ``slot()`` are copies); a caller that reads, decides and writes holds a
``transaction()``.

What callers need besides the interface (the models, the errors, how ids and names are
written) is re-exported here, so that only the wiring (``slackbot.stores``) ever imports a
backend; an import-linter contract keeps it so."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from storage.errors import (
    JournalCorruptError,
    StoreCorruptError,
    StoreLockedError,
    StoreOpenError,
    StoreWriteError,
)
from storage.ids import MAX_FACT_NUMBER, fact_id, fact_number, number_of, replica_name
from storage.lru import LeastRecentlyUsed
from storage.models import (
    CANDIDATE_STATES,
    ENTITY_KINDS,
    FACT_KINDS,
    FACT_STATUSES,
    SEED_REPORTED_ON,
    Candidate,
    Entity,
    Event,
    Fact,
    Feed,
    Revision,
    Source,
    Subscription,
    dates_before_reporting,
    first_day,
    shared_changes,
    shared_tuple,
    slot_retry_due,
)
from storage.text import compact, fold, words

__all__ = [
    "CANDIDATE_STATES",
    "ENTITY_KINDS",
    "EVENT_CLAIM_SECONDS",
    "FACT_KINDS",
    "FACT_STATUSES",
    "MAX_FACT_NUMBER",
    "NAMED_RETRACTED",
    "SEED_REPORTED_ON",
    "Candidate",
    "Entity",
    "Event",
    "Fact",
    "FactPage",
    "Feed",
    "Installations",
    "JournalCorruptError",
    "LeastRecentlyUsed",
    "Repository",
    "Revision",
    "SearchResult",
    "SeedReport",
    "Source",
    "StoreCorruptError",
    "StoreLockedError",
    "StoreOpenError",
    "StoreWriteError",
    "Subscription",
    "WorkspaceRecord",
    "Workspaces",
    "compact",
    "dates_before_reporting",
    "fact_id",
    "fact_number",
    "first_day",
    "fold",
    "number_of",
    "replica_name",
    "shared_changes",
    "shared_tuple",
    "slot_retry_due",
    "utc_now",
    "words",
]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class FactPage:
    """The newest facts of a section, how many there are, and how many were retracted."""

    facts: list[Fact]
    total: int
    retracted: int = 0
    # The ids of the first few retracted facts left out, for the note that names them.
    retracted_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchResult:
    facts: list[Fact]
    total: int
    retracted: int = 0
    retracted_ids: tuple[str, ...] = ()


# How long an event id is remembered: Slack retries a delivery three times within minutes.
EVENT_CLAIM_SECONDS = 3600

# How many retracted facts a page or a search names in its note.
NAMED_RETRACTED = 3


@dataclass(frozen=True)
class SeedReport:
    entities_written: int
    facts_written: int
    entities_removed: int = 0
    facts_removed: int = 0


@dataclass(frozen=True)
class WorkspaceRecord:
    """A workspace the app was installed in, and whether (and until when) it is gone."""

    workspace: str
    enterprise_id: str
    team_id: str
    org_wide: bool
    name: str
    installed_at: datetime
    installed_by: str
    uninstalled_at: datetime | None = None
    delete_after: datetime | None = None

    @property
    def active(self) -> bool:
        return self.uninstalled_at is None


class Installations(Protocol):
    """Where the app is installed: installation and bot documents as the Slack layer writes
    them, keyed by client id, enterprise, team and installing user (``''`` for none or for
    the latest); the OAuth flow's one-use states; and each workspace's life."""

    def save(
        self,
        kind: str,
        client_id: str,
        enterprise_id: str,
        team_id: str,
        user_id: str,
        doc: dict[str, Any],
    ) -> None: ...
    def find(
        self, kind: str, client_id: str, enterprise_id: str, team_id: str, user_id: str = ""
    ) -> dict[str, Any] | None: ...
    def delete(
        self,
        kind: str | None,
        client_id: str,
        enterprise_id: str,
        team_id: str,
        user_id: str | None = None,
    ) -> int: ...
    def issue_state(self, state: str, expires_at: datetime) -> None: ...
    def consume_state(self, state: str, now: datetime) -> bool: ...
    def installed(self, record: WorkspaceRecord) -> bool: ...
    def uninstalled(self, workspace: str, at: datetime, delete_after: datetime) -> None: ...
    def workspace(self, workspace: str) -> WorkspaceRecord | None: ...
    def workspaces(self) -> list[WorkspaceRecord]: ...
    def due_for_deletion(self, now: datetime) -> list[str]: ...
    def forget(self, workspace: str) -> None: ...
    def close(self) -> None: ...


class Workspaces(Protocol):
    """Every workspace's store: a Slack team's (or, for an org-wide install, an enterprise
    organisation's) facts, admins' state, subscriptions, feeds and candidates, kept apart
    from every other's. The caller always names the workspace, taken from a signed request
    or event, never from text a person typed; a store sees only its own workspace."""

    def store(self, workspace: str) -> Repository:
        """The workspace's store, opened on first use (empty for a new workspace)."""
        ...

    def stored(self) -> list[str]:
        """Every workspace that has anything stored."""
        ...

    def delete(self, workspace: str) -> None:
        """Deletes everything the workspace has stored."""
        ...

    # -- what the scheduled work needs to know of every workspace, without holding its
    # store (a replica holds only a working set of them)

    def every_subscription(self) -> list[tuple[str, Subscription]]:
        """Every workspace's digest subscriptions, as (workspace, subscription)."""
        ...

    def with_retries_due(self, now: str) -> set[str]:
        """The workspaces with a digest slot waiting for a retry whose pause is over at the
        ISO time ``now``."""
        ...

    def with_feeds_due(self, now: str) -> set[str]:
        """The workspaces with a feed, not paused, due to be fetched at ``now``."""
        ...

    def with_status_changes_after(self, mark: str) -> set[str]:
        """The workspaces whose meta record ``mark`` holds a ``since`` time after which a
        fact's status changed (a correction may be due in the threads that showed it)."""
        ...

    def close(self) -> None: ...


class Repository(Protocol):
    """Entities, facts and their revisions, the summit's event record, digest subscriptions
    and slots. Every write is durable when it returns, or raises ``StoreWriteError`` having
    changed nothing."""

    # Bumped on every write of what answers show (facts, entities, subscriptions …; not
    # feeds or candidates) / on every change to an entity: what answer caches check.
    version: int
    entities_version: int

    def transaction(self) -> AbstractContextManager[None]: ...
    def close(self) -> None: ...
    def __enter__(self) -> Repository: ...
    def __exit__(self, *exc: object) -> None: ...

    # -- entities and the event
    def entities(self) -> list[Entity]: ...
    def entity(self, entity_id: str) -> Entity | None: ...
    def put_entity(self, entity: Entity) -> None: ...
    def event(self) -> Event | None: ...
    def seed(self, *, reset: bool = False) -> SeedReport: ...
    def meta(self, key: str) -> dict[str, Any] | None: ...
    def put_meta(self, key: str, doc: dict[str, Any]) -> None: ...
    def delete_entity(self, entity_id: str) -> None: ...

    # -- facts
    def fact(self, fact_id: str) -> Fact | None: ...
    def facts(self) -> list[Fact]: ...
    def fact_count(self) -> int: ...
    def status_counts(self) -> Counter[str]: ...
    def next_fact_id(self) -> str: ...
    def put_fact(self, fact: Fact, revision: Revision | None = None) -> None: ...
    def delete_fact(self, fact_id: str) -> None: ...
    def add_fact(self, fact: Fact, revision: Revision | None = None) -> Fact: ...
    def put_many(
        self,
        entities: list[Entity],
        facts: list[Fact],
        revisions: list[Revision],
        progress: Callable[[str], None] | None = None,
        *,
        meta: dict[str, dict[str, Any]] | None = None,
        subscriptions: list[Subscription] | None = None,
        feeds: list[Feed] | None = None,
        candidates: list[Candidate] | None = None,
    ) -> None: ...

    # -- reading facts by what they name
    def facts_involving(self, entity_ids: Iterable[str]) -> list[Fact]: ...
    def pages_involving(
        self, entity_ids: Iterable[str], sections: list[frozenset[str] | None], limit: int
    ) -> list[FactPage]: ...
    def entity_versions(self, entity_ids: Iterable[str]) -> tuple[int, ...]: ...
    def count_involving(self, entity_id: str) -> int: ...
    def named_together(self, entity_id: str, other_id: str) -> bool: ...
    def has_tag(self, tag: str, entity_id: str | None = None) -> bool: ...
    def search_facts(
        self, query: str, limit: int | None, *, include_retracted: bool = False
    ) -> SearchResult: ...
    def similar_statements(self, statement: str, cutoff: float) -> list[tuple[Fact, float]]: ...

    # -- history
    def revisions_of(self, fact_id: str) -> list[Revision]: ...
    def revisions_since(self, since: str) -> list[Revision]: ...

    # -- digests
    def subscription(self, channel_id: str) -> Subscription | None: ...
    def subscriptions(self) -> list[Subscription]: ...
    def put_subscription(self, subscription: Subscription) -> None: ...
    def delete_subscription(self, channel_id: str) -> None: ...
    def slot(self, key: str) -> dict[str, Any] | None: ...
    def open_slots(self, channel_id: str | None = None) -> dict[str, dict[str, Any]]: ...
    def record_slot(
        self, key: str, record: dict[str, Any], subscription: Subscription | None = None
    ) -> None: ...

    # -- feeds and the review queue (candidates never appear in answers or digests)
    def feeds(self) -> list[Feed]: ...
    def feed(self, feed_id: str) -> Feed | None: ...
    def next_feed_id(self) -> str: ...
    def put_feed(self, feed: Feed) -> None: ...
    def delete_feed(self, feed_id: str) -> None: ...
    def candidate(self, candidate_id: str) -> Candidate | None: ...
    def candidate_with_key(self, keys: Iterable[str]) -> Candidate | None: ...
    def candidates(self, state: str | None = None, since: str | None = None) -> list[Candidate]: ...
    def next_candidate_id(self) -> str: ...
    def put_candidate(self, candidate: Candidate) -> None: ...
    def record_poll(self, feed: Feed, candidates: list[Candidate]) -> None: ...
    def record_decision(
        self, candidate: Candidate, fact: Fact | None = None, revision: Revision | None = None
    ) -> None: ...
    def has_fact_source(self, urls: Iterable[str]) -> bool: ...

    # -- events Slack delivers (a retry, or the same event at two replicas)
    def claim_event(self, event_id: str) -> bool:
        """True the first time an event id is claimed (within ``EVENT_CLAIM_SECONDS``);
        False for the same id again, from any thread or replica."""
        ...
