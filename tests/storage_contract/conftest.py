"""The storage contract: what any backend behind ``storage.api`` must do. Each test runs once
per backend; a new backend adds itself to ``BACKENDS``.

Every test runs with two workspaces: it is handed workspace ALPHA's store, while workspace
BETA holds a store of its own beside it (seeded, with a fact, a subscription, a slot, a
feed, a candidate and a document only it has). After the test, BETA is exactly as it was,
and ALPHA, opened again, sees none of it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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


def tinydb_backend(tmp_path: Path) -> OpenWorkspaces:
    return lambda: EmbeddedWorkspaces(tmp_path / "workspaces")


def postgres_backend(request: pytest.FixtureRequest) -> OpenWorkspaces:
    url = request.getfixturevalue("postgres_url")
    return lambda: PostgresWorkspaces(url, poll_seconds=0.2)


BACKENDS = {"tinydb": "tinydb", "postgres": "postgres"}


@pytest.fixture(params=sorted(BACKENDS))
def open_workspaces(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenWorkspaces]:
    """Opens the backend's workspaces (the same ones each time it is called); all closed at
    the end."""
    make = postgres_backend(request) if request.param == "postgres" else tinydb_backend(tmp_path)
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
def open_repository(open_workspaces: OpenWorkspaces) -> Iterator[Opener]:
    """Opens workspace ALPHA's store (the same one each time it is called), with BETA's
    beside it in the same workspaces."""
    workspaces = open_workspaces()
    beta = workspaces.store(BETA)
    fill_beta(beta)
    before = fingerprint(beta)
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
