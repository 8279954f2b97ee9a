"""The storage contract: what any backend behind ``storage.api`` must do. Each test runs once
per backend; a new backend adds itself to ``BACKENDS``.

Every test runs with two workspaces: it is handed workspace ALPHA's store, while workspace
BETA holds a store of its own beside it (seeded, with a fact, a subscription, a slot, a
feed, a candidate and a document only it has). After the test, BETA is exactly as it was,
and ALPHA, opened again, sees none of it.

PostgreSQL runs twice: as a replica holding every workspace, and with a working set of one
workspace (SUMMITBOT_WORKSPACE_CACHE=1) where BETA is asked for before every call the test
makes on ALPHA, so ALPHA's store is let go of and read back from the database each time
(``LetGoBetweenCalls``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest

from storage.api import (
    Candidate,
    Fact,
    Feed,
    Repository,
    Revision,
    Source,
    Subscription,
    Workspaces,
)
from storage.embedded_workspaces import EmbeddedWorkspaces
from storage.postgres_workspaces import PostgresWorkspaces

Opener = Callable[[], Repository]
OpenWorkspaces = Callable[[], Workspaces]

ALPHA, BETA = "T0ALPHA", "T0BETA"
BETA_WORD = "zebracorn"
BETA_AT = "2026-11-24T08:00:00.000000+00:00"
NOW = "2026-11-24T08:00:00.000000+00:00"


def tinydb_backend(tmp_path: Path) -> OpenWorkspaces:
    return lambda: EmbeddedWorkspaces(tmp_path / "workspaces")


def postgres_backend(request: pytest.FixtureRequest, working_set: int | None) -> OpenWorkspaces:
    url = request.getfixturevalue("postgres_url")
    return lambda: PostgresWorkspaces(url, poll_seconds=0.2, working_set=working_set)


BACKENDS = {
    "tinydb": "tinydb",
    "postgres": "postgres",
    "postgres-working-set-1": "postgres, one workspace held at a time",
}
WORKING_SET_OF_ONE = "postgres-working-set-1"


class LetGoBetweenCalls:
    """ALPHA's store as a test uses it, in workspaces holding one store at a time: before
    every call BETA is asked for, so ALPHA's store is let go of and the call goes to ALPHA's
    store read back from the database. Inside a transaction the store stays (a transaction
    is one store's, and the working set never lets go of a store in use by its own hand)."""

    def __init__(self, workspaces: Workspaces) -> None:
        self._workspaces = workspaces
        self._pinned: Repository | None = None
        self.reloads = 0

    def _current(self) -> Repository:
        if self._pinned is not None:
            return self._pinned
        self._workspaces.store(BETA)
        store = self._workspaces.store(ALPHA)
        self.reloads += 1
        return store

    @contextmanager
    def transaction(self) -> Iterator[None]:
        store = self._current()
        self._pinned = store
        try:
            with store.transaction():
                yield
        finally:
            self._pinned = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._current(), name)


@pytest.fixture(params=sorted(BACKENDS))
def open_workspaces(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenWorkspaces]:
    """Opens the backend's workspaces (the same ones each time it is called); all closed at
    the end."""
    if request.param == "tinydb":
        make = tinydb_backend(tmp_path)
    else:
        make = postgres_backend(request, 1 if request.param == WORKING_SET_OF_ONE else None)
    opened: list[Workspaces] = []

    def open_them() -> Workspaces:
        workspaces = make()
        opened.append(workspaces)
        return workspaces

    yield open_them
    for workspaces in opened:
        workspaces.close()


def fill_beta(store: Repository) -> None:
    """What only workspace BETA has."""
    store.seed()
    fact = Fact(
        store.next_fact_id(),
        f"{BETA_WORD.title()} Labs ships quartz widgets to Microsoft.",
        "context",
        "reported",
        ("samsung",),
        Source("Beta only", "https://beta.example/only"),
        tags=(BETA_WORD,),
        added_at=BETA_AT,
        updated_at=BETA_AT,
        added_by="U0BETA",
        origin="admin",
    )
    store.add_fact(fact, Revision(fact.id, 1, BETA_AT, "U0BETA", "added", {}))
    store.put_subscription(Subscription("C0BETA", "daily", "09:00", "UTC", since=BETA_AT))
    store.record_slot("C0BETA|2026-11-24T09:00", {"status": "claimed", "at": BETA_AT})
    store.put_meta("beta-only", {"posts": [{"channel": "C0BETA", "ts": "1.0"}]})
    assert store.claim_event("Ev0001")  # ALPHA's tests claim the same id: theirs to claim
    store.put_feed(Feed(store.next_feed_id(), "https://beta.example/rss", "Beta news"))
    store.put_candidate(
        Candidate(
            store.next_candidate_id(),
            "Beta-only candidate",
            "https://beta.example/story",
            published_at=BETA_AT,
            found_at=BETA_AT,
            entity_ids=("samsung",),
            keys=("guid:beta",),
        )
    )


def fingerprint(store: Repository) -> dict[tuple[str, str], bytes]:
    """Everything a workspace holds, comparable (as JSON: tuples and lists alike)."""
    records: list[tuple[str, str, dict[str, Any]]] = store.records()  # type: ignore[attr-defined]
    return {
        (table, key): orjson.dumps(doc, option=orjson.OPT_SORT_KEYS) for table, key, doc in records
    }


def assert_sees_nothing_of_beta(store: Repository) -> None:
    assert store.search_facts(BETA_WORD, None, include_retracted=True).total == 0
    assert not store.has_tag(BETA_WORD)
    assert store.subscription("C0BETA") is None
    assert store.open_slots("C0BETA") == {}
    assert store.meta("beta-only") is None
    assert all(feed.url != "https://beta.example/rss" for feed in store.feeds())
    assert all(c.title != "Beta-only candidate" for c in store.candidates())
    assert store.candidate_with_key(["guid:beta"]) is None
    assert not store.has_fact_source(["https://beta.example/only"])


@pytest.fixture
def open_repository(
    open_workspaces: OpenWorkspaces, request: pytest.FixtureRequest
) -> Iterator[Opener]:
    """Opens workspace ALPHA's store (the same one each time it is called), with BETA's
    beside it in the same workspaces."""
    workspaces = open_workspaces()
    beta = workspaces.store(BETA)
    fill_beta(beta)
    before = fingerprint(beta)
    if request.node.callspec.params.get("open_workspaces") == WORKING_SET_OF_ONE:
        let_go = LetGoBetweenCalls(workspaces)
        yield lambda: let_go
        assert let_go.reloads > 0, "every call read ALPHA back"
    else:
        yield lambda: workspaces.store(ALPHA)
    assert fingerprint(workspaces.store(BETA)) == before, "a test of ALPHA changed BETA"
    workspaces.close()
    again = open_workspaces()
    assert fingerprint(again.store(BETA)) == before
    assert_sees_nothing_of_beta(again.store(ALPHA))


@pytest.fixture
def repository(open_repository: Opener) -> Iterator[Repository]:
    store = open_repository()
    store.seed()
    yield store
    store.close()


def a_fact(
    repository: Repository, statement: str, *entities: str, tags: tuple[str, ...] = ()
) -> Fact:
    fact = Fact(
        repository.next_fact_id(),
        statement,
        "context",
        "reported",
        entities or ("samsung",),
        Source("Contract test", "https://example.com/contract"),
        tags=tags,
        added_at=NOW,
        updated_at=NOW,
        added_by="U0TEST",
        origin="admin",
    )
    return repository.add_fact(fact, Revision(fact.id, 1, NOW, "U0TEST", "added", {}))
