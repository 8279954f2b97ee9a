"""The storage interface: everything above ``storage`` uses only this.

A backend implements ``Repository`` (the embedded TinyDB store, ``storage.repository.
FactStore``, does; a PostgreSQL one can) and passes the contract suite in
``tests/storage_contract/``. It returns model objects (``storage.models``) and plain ids and
numbers, never an index structure or a lock; a caller that reads, decides and writes holds a
``transaction()``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from storage.models import Entity, Event, Fact, Revision, Subscription


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


# How many retracted facts a page or a search names in its note.
NAMED_RETRACTED = 3


@dataclass(frozen=True)
class SeedReport:
    entities_written: int
    facts_written: int
    entities_removed: int = 0
    facts_removed: int = 0


class Repository(Protocol):
    """Entities, facts and their revisions, the summit's event record, digest subscriptions
    and slots. Every write is durable when it returns, or raises ``StoreWriteError`` having
    changed nothing."""

    # Bumped on every write / on every change to an entity: what answer caches check.
    version: int
    entities_version: int

    def transaction(self) -> AbstractContextManager[None]: ...
    def close(self) -> None: ...

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
