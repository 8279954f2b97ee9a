"""The storage contract: what any backend behind ``storage.api.Repository`` must do. Each
test runs once per backend; a new backend adds itself to ``BACKENDS``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from storage.api import Repository
from storage.postgres import PostgresStore
from storage.repository import FactStore

Opener = Callable[[], Repository]


def tinydb_backend(tmp_path: Path) -> Opener:
    return lambda: FactStore(tmp_path / "summit.json")


def postgres_backend(request: pytest.FixtureRequest) -> Opener:
    url = request.getfixturevalue("postgres_url")
    return lambda: PostgresStore(url)


BACKENDS = {"tinydb": "tinydb", "postgres": "postgres"}


@pytest.fixture(params=sorted(BACKENDS))
def open_repository(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    """Opens the backend's store (the same one each time it is called)."""
    if request.param == "postgres":
        return postgres_backend(request)
    return tinydb_backend(tmp_path)


@pytest.fixture
def repository(open_repository: Opener) -> Iterator[Repository]:
    store = open_repository()
    store.seed()
    yield store
    store.close()
