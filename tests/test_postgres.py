"""The PostgreSQL backend beyond the storage contract: what several replicas on one database
need. Every test runs against a real server (tests/postgres.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from slackbot.core.curation import Curator, EditConflict, FactDraft
from slackbot.core.digests import DigestService
from slackbot.core.digests.service import Delivery
from slackbot.core.intel import SummitIntel
from storage.api import Candidate, Feed, StoreOpenError, StoreWriteError, Subscription
from storage.migrate import fingerprint, migrate
from storage.postgres import SCHEMA_VERSION, PostgresStore, SchemaError, schema_version, upgrade
from storage.repository import FactStore
from tests.postgres import seconds_until, with_database

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def replicas(postgres_url: str) -> Iterator[tuple[PostgresStore, PostgresStore]]:
    first = PostgresStore(postgres_url, poll_seconds=0.2)
    first.seed()
    second = PostgresStore(postgres_url, poll_seconds=0.2)
    yield first, second
    first.close()
    second.close()


WORDS = (
    "wafer yield foundry memory stack bandwidth supply contract pilot cloud azure copilot "
    "laptop phone television datacenter accelerator module substrate packaging lithography "
    "etching research factory network antenna satellite robot vehicle battery"
).split()


def draft(statement: str) -> FactDraft:
    return FactDraft(
        statement=statement,
        kind="hardware",
        status="reported",
        entity_ids=("samsung",),
        source_url="https://news.example.com/replicas",
    )


def test_a_save_on_one_replica_is_seen_on_the_other_within_a_second(
    replicas: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = replicas
    assert second.fact_count() == first.fact_count() > 0, "the second loaded the seed"
    fact = Curator(first).add(draft("Samsung ships replica wafers to Microsoft"), "U0A")
    seen_after = seconds_until(lambda: second.fact(fact.id) == fact, 3)
    assert seen_after < 1.0
    assert [f.id for f in second.search("replica wafers")] == [fact.id]
    assert second.version > 0, "answer caches on the second replica see the change"


def test_two_admins_on_two_replicas_cannot_overwrite_each_other(
    replicas: tuple[PostgresStore, PostgresStore], postgres_url: str
) -> None:
    first = replicas[0]
    fact = Curator(first).add(draft("Samsung may ship HBM4 samples"), "U0A")
    # A replica that does not follow the log: only the write lock's catching up can tell it.
    with PostgresStore(postgres_url, follow=False) as second:
        assert second.fact(fact.id) == fact
        Curator(first).edit(fact.id, draft("Samsung ships HBM4 samples"), "U0A", based_on=1)
        assert second.fact(fact.id) == fact, "not heard of the edit yet"
        with pytest.raises(EditConflict):
            Curator(second).edit(fact.id, draft("Samsung will ship HBM4"), "U0B", based_on=1)
        assert second.fact(fact.id).revision == 2  # type: ignore[union-attr]
    assert first.fact(fact.id).statement == "Samsung ships HBM4 samples"  # type: ignore[union-attr]


def test_facts_added_at_once_on_two_replicas_get_distinct_ids(
    replicas: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = replicas
    added: list[str] = []
    lock = threading.Lock()

    def add_many(store: PostgresStore, who: str) -> None:
        words = WORDS[:15] if who == "U0A" else WORDS[15:]
        for n, word in enumerate(words):
            statement = f"{word.title()} line {n} qualifies {WORDS[-1 - n]} with {who}"
            fact = Curator(store).add(draft(statement), who)
            with lock:
                added.append(fact.id)

    threads = [
        threading.Thread(target=add_many, args=(s, w)) for s, w in replicas_named(first, second)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(added)) == len(added) == 30
    seconds_until(lambda: all(first.fact(i) and second.fact(i) for i in added), 3)
    assert first.fact_count() == second.fact_count()


def test_two_threads_of_one_replica_writing_two_ways_never_wait_on_each_other(
    replicas: tuple[PostgresStore, PostgresStore],
) -> None:
    """One thread writes through ``transaction()`` (a form's save, a digest slot claimed),
    another through a plain write (a subscription, a feed): the database's write lock and
    the store's own must be taken in one order, or each thread ends up holding one and
    waiting for the other, and every replica's writes stop behind it."""
    store = replicas[0]
    plain_has_the_store_lock = threading.Event()
    done: list[str] = []

    def plain_write() -> None:
        # As every put_* method does: the store's lock, then the write (here held a moment
        # longer, so that the other thread takes the database's lock in between).
        with store._lock:
            plain_has_the_store_lock.set()
            time.sleep(0.3)
            store.put_meta("plain", {"by": "a put method"})
        done.append("plain")

    def in_a_transaction() -> None:
        plain_has_the_store_lock.wait(5)
        with store.transaction():
            store.put_meta("transaction", {"by": "a transaction"})
        done.append("transaction")

    threads = [threading.Thread(target=f, daemon=True) for f in (plain_write, in_a_transaction)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(done) == ["plain", "transaction"], "the two writers deadlocked"
    assert store.meta("plain") and store.meta("transaction")


def replicas_named(first: PostgresStore, second: PostgresStore) -> list[tuple[PostgresStore, str]]:
    return [(first, "U0A"), (second, "U0B")]


def test_everything_written_is_in_the_database_and_reloads(postgres_url: str) -> None:
    with PostgresStore(postgres_url) as store:
        store.seed()
        fact = Curator(store).add(draft("Durable in PostgreSQL"), "U0A")
        count = store.fact_count()
    with psycopg.connect(postgres_url) as conn:
        row = conn.execute(
            "SELECT doc->>'statement' FROM records WHERE table_name = 'facts' AND key = %s",
            (fact.id,),
        ).fetchone()
    assert row == ("Durable in PostgreSQL",)
    with PostgresStore(postgres_url) as store:
        assert store.fact_count() == count and store.fact(fact.id) == fact


def test_a_database_without_the_schema_is_refused_with_the_command_to_run(
    postgres_database: str,
) -> None:
    url = with_database(
        postgres_database,
        str(psycopg.conninfo.conninfo_to_dict(postgres_database)["dbname"]),
        options="-c search_path=nothing_here",
    )
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS nothing_here")
    with pytest.raises(SchemaError, match="summitbot db upgrade"):
        PostgresStore(url)
    assert upgrade(url) == (0, SCHEMA_VERSION)
    assert upgrade(url) == (SCHEMA_VERSION, SCHEMA_VERSION), "safe to run again"
    with psycopg.connect(url) as conn:
        assert schema_version(conn) == SCHEMA_VERSION
    PostgresStore(url).close()


def test_an_unreachable_server_is_refused_with_what_to_check() -> None:
    url = "postgresql://postgres:secret@127.0.0.1:1/summit?connect_timeout=2"
    with pytest.raises(StoreOpenError) as refused:
        PostgresStore(url)
    message = str(refused.value)
    assert "SUMMITBOT_DATABASE_URL" in message and "secret" not in message


def test_two_leaders_at_once_post_a_digest_slot_once(postgres_url: str) -> None:
    """A leader cut off from the database may not know yet that another leads: the slot's
    claim, made under the write lock on the latest state, lets only one of them post."""
    with PostgresStore(postgres_url, follow=False) as first:
        first.seed()
        Curator(first).add(draft("Samsung opens an HBM line for Microsoft in Pyeongtaek"), "U0A")
        moment = datetime.now(UTC) + timedelta(seconds=1)
        first.put_subscription(
            Subscription(
                "C0NEWS",
                "daily",
                (moment - timedelta(minutes=5)).strftime("%H:%M"),
                "UTC",
                since="2024-01-01T00:00:00+00:00",
                created_at="2026-11-01T00:00:00+00:00",
            )
        )
        with PostgresStore(postgres_url, follow=False) as second:
            posts: list[str] = []
            gate = threading.Barrier(2)

            def deliver(_sub: Subscription, _digest: object, record_post: object) -> Delivery:
                posts.append("posted")
                record_post("1700000000.000100", 1, 1)  # type: ignore[operator]
                return Delivery(posted=True, complete=True)

            def run(store: PostgresStore, outcomes: list[str]) -> None:
                service = DigestService(SummitIntel(store), deliver, clock=lambda: moment)
                gate.wait()
                outcomes.append(service.deliver_due("C0NEWS").kind)

            outcomes: list[str] = []
            threads = [threading.Thread(target=run, args=(s, outcomes)) for s in (first, second)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    assert sorted(outcomes) == ["posted", "skipped"] and posts == ["posted"]


def run_cli(*args: str, url: str | None, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SUMMITBOT_"))}
    env.update(extra)
    if url:
        env["SUMMITBOT_DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "slackbot", *args],
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )


def test_db_upgrade_and_status_from_the_command_line(postgres_database: str) -> None:
    name = str(psycopg.conninfo.conninfo_to_dict(postgres_database)["dbname"])
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS cli_upgrade")
    url = with_database(postgres_database, name, options="-c search_path=cli_upgrade")
    refused = run_cli("export", url=url)
    assert refused.returncode == 2 and "run `summitbot db upgrade` first" in refused.stderr
    upgraded = run_cli("db", "upgrade", url=url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"from schema version 0 to {SCHEMA_VERSION}" in upgraded.stdout
    assert "nothing to do" in run_cli("db", "upgrade", url=url).stdout
    status = run_cli("db", "status", url=url)
    assert "up to date" in status.stdout and "scheduler leader: none running" in status.stdout
    exported = run_cli("export", url=url)
    assert exported.returncode == 0 and '"type": "fact"' in exported.stdout
    no_url = run_cli("db", "status", url=None)
    assert no_url.returncode == 2 and "SUMMITBOT_DATABASE_URL" in no_url.stderr


def a_full_store(path: Path) -> FactStore:
    """An embedded store with every kind of record: the seed, an admin's fact and its edit,
    a digest subscription and its slot, a feed and a candidate."""
    store = FactStore(path)
    store.seed()
    fact = Curator(store).add(draft("Samsung migrates HBM qualification to Pyeongtaek"), "U0A")
    Curator(store).edit(fact.id, draft("Samsung moves HBM qualification to Pyeongtaek"), "U0A", 1)
    subscription = Subscription("C0NEWS", "daily", "09:00", "Asia/Seoul", created_by="U0A")
    store.put_subscription(subscription)
    store.record_slot("C0NEWS|2026-11-24T09:00", {"status": "posted", "at": "2026-11-24"})
    store.put_feed(
        Feed(store.next_feed_id(), "https://news.example.com/rss", "Example", added_by="U0A")
    )
    store.put_candidate(
        Candidate(
            "C1",
            "Samsung may supply HBM4",
            "https://news.example.com/a",
            "2026-11-24",
            "2026-11-24",
        )
    )
    return store


def test_a_store_migrates_with_every_record_and_verifies(tmp_path: Path, postgres_url: str) -> None:
    with a_full_store(tmp_path / "summit.json") as source:
        moved = migrate(source, postgres_url)
        expected = fingerprint(source.records())
        tables = set(moved.counts)
        again = migrate(source, postgres_url)
        edited = next(f for f in source.facts() if f.revision == 2)
        history = source.revisions_of(edited.id)
        candidates, feeds = source.candidates(), source.feeds()
    assert moved.copied and (moved.counts, moved.checksum) == expected
    assert {"entities", "facts", "revisions", "meta", "subscriptions", "slots"} <= tables
    assert {"feeds", "candidates"} <= tables
    assert not again.copied and again.checksum == moved.checksum, "a re-run copies nothing"
    with PostgresStore(postgres_url, follow=False) as copy:
        assert fingerprint(copy.records()) == expected
        assert copy.fact(edited.id) == edited and copy.revisions_of(edited.id) == history
        assert [r.action for r in history] == ["added", "edited"]
        assert copy.candidates() == candidates and copy.feeds() == feeds
        assert copy.slot("C0NEWS|2026-11-24T09:00") == {"status": "posted", "at": "2026-11-24"}


def test_migrating_into_a_database_holding_another_store_changes_nothing(
    tmp_path: Path, postgres_url: str
) -> None:
    with PostgresStore(postgres_url, follow=False) as other:
        other.seed()
        Curator(other).add(draft("Only in the other store"), "U0B")
        before = fingerprint(other.records())
    with (
        a_full_store(tmp_path / "summit.json") as source,
        pytest.raises(StoreWriteError, match=r"already holds .* another store"),
    ):
        migrate(source, postgres_url)
    with PostgresStore(postgres_url, follow=False) as other:
        assert fingerprint(other.records()) == before


def test_migrate_from_the_command_line_then_export_and_import_on_postgresql(
    tmp_path: Path, postgres_url: str
) -> None:
    db = tmp_path / "summit.json"
    a_full_store(db).close()
    env_db = {"SUMMITBOT_DB": str(db)}
    moved = run_cli("migrate", "--to", postgres_url, url=None, **env_db)
    assert moved.returncode == 0, moved.stderr
    assert "copied" in moved.stdout and "verified: every record matches" in moved.stdout
    again = run_cli("migrate", "--to", postgres_url, url=None, **env_db)
    assert again.returncode == 0 and "nothing copied" in again.stdout
    exported = run_cli("export", url=postgres_url)
    assert exported.returncode == 0
    from_file = run_cli("export", url=None, **env_db)
    # The same records in the same order (PostgreSQL's jsonb may list a document's fields
    # in another order).
    assert [json.loads(line) for line in exported.stdout.splitlines()] == [
        json.loads(line) for line in from_file.stdout.splitlines()
    ]
    lines = tmp_path / "more.jsonl"
    record = {
        "statement": "LG Electronics pilots Copilot on its televisions",
        "entities": ["lg-electronics"],
        "status": "reported",
        "kind": "product",
        "source_url": "https://news.example.com/lg-copilot",
    }
    lines.write_text(json.dumps(record) + "\n", encoding="utf-8")
    imported = run_cli("import", str(lines), url=postgres_url)
    assert imported.returncode == 0, imported.stderr
    assert "1 facts added" in imported.stdout
    with PostgresStore(postgres_url, follow=False) as store:
        assert [f.statement for f in store.search("copilot televisions")][:1] == [
            record["statement"]
        ]
    bad = run_cli("migrate", "--to", "mysql://nope", url=None, **env_db)
    assert bad.returncode == 2 and "postgresql://" in bad.stderr


def test_many_workspaces_on_two_replicas_follow_each_workspace(postgres_url: str) -> None:
    """Two replicas, each holding workspaces ALPHA and BETA: a save in ALPHA on one shows in
    ALPHA on the other within a second and nowhere in BETA; a workspace deleted on one is
    dropped from the other's memory, and a new life of it starts empty there too."""
    from storage.postgres_workspaces import PostgresWorkspaces

    with (
        PostgresWorkspaces(postgres_url, poll_seconds=0.2) as first,
        PostgresWorkspaces(postgres_url, poll_seconds=0.2) as second,
    ):
        first.store("T0ALPHA").seed()
        first.store("T0BETA").seed()
        alpha, beta = second.store("T0ALPHA"), second.store("T0BETA")
        assert alpha.fact_count() == beta.fact_count() > 0
        fact = Curator(first.store("T0ALPHA")).add(draft("Samsung ships quokka wafers"), "U0A")
        assert seconds_until(lambda: alpha.fact(fact.id) == fact, 3) < 1.0
        assert beta.fact(fact.id) is None and beta.search_facts("quokka", None).total == 0

        first.delete("T0ALPHA")
        seconds_until(lambda: alpha.closed, 3)
        reborn = first.store("T0ALPHA")
        assert reborn.fact_count() == 0 and reborn.event() is None
        reborn.seed()
        new_life = Curator(reborn).add(draft("Samsung's first fact of a new life"), "U0A")
        assert new_life.id == fact.id  # the same id, in another life of the workspace
        again = second.store("T0ALPHA")
        assert again is not alpha
        assert again.fact(fact.id) == new_life
        assert again.search_facts("quokka", None).total == 0
        assert second.store("T0BETA") is beta and beta.fact_count() > 0


def test_a_one_workspace_database_upgrades_to_workspaces_keeping_everything(
    postgres_database: str,
) -> None:
    """A database written by the schema before workspaces (version 1) keeps every record as
    the one workspace's (``''``), readable by a single-workspace app after the upgrade."""
    from storage import postgres

    url = with_database(
        postgres_database,
        str(psycopg.conninfo.conninfo_to_dict(postgres_database)["dbname"]),
        options="-c search_path=before_workspaces",
    )
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS before_workspaces")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE summit_schema (version int PRIMARY KEY)")
        for statement in postgres.MIGRATIONS[1]:
            conn.execute(statement)
        conn.execute("INSERT INTO summit_schema VALUES (1)")
        conn.execute(
            "INSERT INTO changes (table_name, key, doc) VALUES ('meta', 'old', '{\"a\": 1}')"
        )
        conn.execute(
            "INSERT INTO records (table_name, key, doc, seq) "
            "VALUES ('meta', 'old', '{\"a\": 1}', 1)"
        )
    assert upgrade(url) == (1, SCHEMA_VERSION)
    with PostgresStore(url, follow=False) as store:
        assert store.meta("old") == {"a": 1}
        store.put_meta("new", {"b": 2})
    with PostgresStore(url, follow=False) as store:
        assert store.meta("new") == {"b": 2} and store.meta("old") == {"a": 1}
