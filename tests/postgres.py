"""A real PostgreSQL for the tests that need one: each test run (each xdist worker) creates a
database of its own and drops it at the end; each test gets a fresh schema in it.

The server is SUMMITBOT_TEST_DATABASE_URL, else the local one on 127.0.0.1:5432 (user
postgres). Without one the tests are skipped with one line, except under CI=true, where
they must run: there an unreachable server fails the run."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from slackbot.core.curation import Curator, FactDraft
from storage.api import Repository, Subscription
from storage.postgres import PostgresStore, upgrade
from tests.fake_slack import FakeSlack

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
SKIPPED = "PostgreSQL tests skipped: no server at SUMMITBOT_TEST_DATABASE_URL or 127.0.0.1:5432"


def server_url() -> str:
    return os.environ.get("SUMMITBOT_TEST_DATABASE_URL") or DEFAULT_SERVER


def with_database(url: str, name: str, **params: str) -> str:
    """``url`` on another database (with query parameters such as ``options``), as the
    postgresql:// URL that SUMMITBOT_DATABASE_URL takes."""
    info = conninfo_to_dict(url)
    user = quote(str(info.get("user") or "postgres"), safe="")
    password = info.get("password")
    login = f"{user}:{quote(str(password), safe='')}" if password else user
    host, port = info.get("host") or "127.0.0.1", info.get("port") or "5432"
    query = f"?{urlencode(params, quote_via=quote)}" if params else ""
    return f"postgresql://{login}@{host}:{port}/{quote(name, safe='')}{query}"


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """The URL of a database made for this run, dropped when it ends."""
    admin = server_url()
    try:
        psycopg.connect(admin, autocommit=True, connect_timeout=3).close()
    except psycopg.OperationalError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs PostgreSQL for these tests: {error}")
        pytest.skip(SKIPPED)
    with scratch_database("summit_test") as url:
        yield url


@contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """A new database on the server (its URL), dropped afterwards."""
    admin = server_url()
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(admin, name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """A fresh, upgraded schema in the run's database, as a URL whose connections use it."""
    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    info = conninfo_to_dict(postgres_database)
    url = with_database(postgres_database, str(info["dbname"]), options=f"-c search_path={schema}")
    upgrade(url)
    return url


def seconds_until(condition: Callable[[], object], limit: float, every: float = 0.01) -> float:
    """How long ``condition`` took to hold (asked ``every`` seconds); fails after ``limit``."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if condition():
            return time.monotonic() - started
        time.sleep(every)
    raise AssertionError(f"not within {limit} s")


def channels_due_now(
    url: str, fake_slack: FakeSlack, channels: list[str], news: str, admin: str
) -> datetime:
    """``channels`` whose daily digest fell due two minutes ago, each with one development
    to post (``news``): whichever replica leads posts them all as its scheduler starts
    (the missed-slot catch-up). Returns when the slot fell due."""
    with PostgresStore(url, follow=False) as store:
        store.seed()
        for channel in channels:
            fake_slack.add_channel(channel, channel.lower(), bot_member=True)
        return digest_due(
            store, channels, news, admin, ("samsung", "hbm"), "https://news.example.com/due-now"
        )


def digest_due(
    store: Repository,
    channels: list[str],
    news: str,
    admin: str,
    entity_ids: tuple[str, ...] = ("samsung",),
    source_url: str = "https://news.example.com/due-now",
    now: datetime | None = None,
) -> datetime:
    """In ``store``: ``channels`` whose daily digest fell due two minutes before ``now``
    (this moment when None), and one development to post in them (``news``). Returns when
    the slot fell due."""
    now = now or datetime.now(UTC)
    due_at = (now - timedelta(minutes=2)).replace(second=0, microsecond=0)
    # Set up yesterday (so today's slot is theirs), covering only what comes from now on:
    # the store's facts and any saves made before are older.
    created = (now - timedelta(days=1)).isoformat(timespec="microseconds")
    since = now.isoformat(timespec="microseconds")
    for channel in channels:
        store.put_subscription(
            Subscription(
                channel,
                "daily",
                due_at.strftime("%H:%M"),
                "UTC",
                since=since,
                created_at=created,
                created_by=admin,
            )
        )
    draft = FactDraft(
        statement=news,
        kind="hardware",
        status="reported",
        entity_ids=entity_ids,
        source_url=source_url,
    )
    Curator(store).add(draft, admin)
    return due_at
