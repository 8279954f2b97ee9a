"""Bad data from a careless operator or a newer version (issue 27, items 4, 9 and 10):
imports check every field of every record, a bad row already stored is skipped and named
and never stops the app, /healthz says when scheduled work runs nowhere, exports carry a
format version, and a snapshot write cut off leaves nothing behind."""

from __future__ import annotations

import dataclasses
import json
import logging
import signal
import threading
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from slackbot.config import Settings
from slackbot.core.bulk import BulkCuration
from slackbot.core.curation import Curator
from slackbot.core.restoring import EXPORT_FORMAT
from slackbot.leading import ScheduledWork
from slackbot.scheduler import DigestScheduler, job_id
from slackbot.server import GracefulServer
from storage.api import Subscription
from storage.repository import FactStore
from tests.conftest import BOT_TOKEN
from tests.fake_slack import FakeSlack
from tests.processes import ServerProcess
from tests.slack_client import SlackSender
from tests.test_console_and_cli import clean_env

STAMP = "2024-05-14T00:00:00+00:00"
MARS = Subscription("C0MARS", "daily", "09:00", "Mars/Olympus", since=STAMP, created_at=STAMP)
EARTH = Subscription("C0EARTH", "daily", "09:00", "Asia/Seoul", since=STAMP, created_at=STAMP)


def imported(store: FactStore, *records: dict[str, Any]) -> list[tuple[int, str]]:
    lines = [json.dumps(record) for record in records]
    return BulkCuration(Curator(store)).import_lines(lines, by="test").errors


# -- 4 and 9. Imports check every field ----------------------------------------------------


def record_of(subscription: Subscription, **changes: Any) -> dict[str, Any]:
    return {"type": "subscription", **subscription.to_doc(), **changes}


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"timezone": "Mars/Olympus"}, "time zone “Mars/Olympus”"),
        ({"time": "25:00"}, "time “25:00”"),
        ({"cadence": "hourly"}, "cadence “hourly”"),
        ({"cadence": "weekly", "weekday": "someday"}, "weekday “someday”"),
        ({"channel_id": "general"}, "channel id “general”"),
        ({"since": "yesterday"}, "since “yesterday”"),
        ({"paused": "no"}, "paused is text, not true or false"),
        ({"tracked_entities": "samsung"}, "tracked_entities is text, not a list"),
        ({"colour": "blue"}, "unknown field colour"),
    ],
)
def test_an_import_refuses_a_subscription_the_digest_command_would_refuse(
    store: FactStore, changes: dict[str, Any], said: str
) -> None:
    errors = imported(store, record_of(EARTH, **changes))
    assert len(errors) == 1 and said in errors[0][1], errors
    assert store.subscriptions() == []


def test_an_import_refuses_feeds_candidates_and_revisions_it_cannot_use(
    store: FactStore,
) -> None:
    feed = {"type": "feed", "id": "1", "url": "https://news.example/rss", "name": "News"}
    candidate = {
        "type": "candidate",
        "id": "C1",
        "title": "Samsung ships HBM",
        "link": None,
        "published_at": "2024-05-14T00:00:00+00:00",
        "found_at": "2024-05-14T00:00:00+00:00",
    }
    revision = {
        "type": "revision",
        "fact_id": "F1",
        "number": 1,
        "at": "2024-05-14T00:00:00+00:00",
        "by": "U0ADMIN",
        "action": "added",
        "changes": {},
    }
    assert imported(store, feed, candidate, revision) == []
    for bad, said in [
        (feed | {"id": "feeds"}, "a feed's id is a number"),
        (feed | {"url": "file:///etc/passwd"}, "http:// or https://"),
        (feed | {"interval_minutes": 0}, "polled every 5 to"),
        (candidate | {"state": "escalated"}, "not 'escalated' (a newer Summit Intel"),
        (candidate | {"id": "X1"}, "looks like C12"),
        (candidate | {"found_at": "soon"}, "found_at is a date and time"),
        (candidate | {"sources": [{"title": "a", "url": "b", "rank": 1}]}, "unknown field rank"),
        (revision | {"fact_id": "G1"}, "fact_id looks like F12"),
        (revision | {"number": 0}, "1 or more"),
        # Found by tests/test_properties.py: a number past 64 bits cannot be stored.
        (revision | {"number": 10**30}, "not a whole number of at most 64 bits"),
        (feed | {"failures": 2**64}, "not a whole number of at most 64 bits"),
        ({"type": "fact", "statement": "x", "importance": 3}, "unknown field importance"),
        ({"type": "entity", "name": "Acme", "rating": 3}, "unknown field rating"),
    ]:
        errors = imported(store, bad)
        assert len(errors) == 1 and said in errors[0][1], (bad, errors)


def test_an_export_says_its_format_and_a_newer_one_is_refused_naming_both(
    store: FactStore, tmp_path: Path
) -> None:
    lines = list(BulkCuration(Curator(store)).export_lines())
    first = json.loads(lines[0])
    assert first["type"] == "export" and first["format"] == EXPORT_FORMAT
    newer = [json.dumps(first | {"format": EXPORT_FORMAT + 1, "made_by": "summitbot 9.0"})]
    # What a newer version might write: fields and states this one does not know.
    newer.append(json.dumps({"type": "candidate", "id": "C1", "state": "escalated"}))
    fresh = FactStore(tmp_path / "fresh.json")
    try:
        errors = BulkCuration(Curator(fresh)).import_lines(newer, by="test").errors
        assert len(errors) == 1
        assert f"format {EXPORT_FORMAT + 1}" in errors[0][1]
        assert f"reads format {EXPORT_FORMAT} and older" in errors[0][1]
        assert "summitbot 9.0" in errors[0][1]
        # Its own export goes back in whole.
        assert BulkCuration(Curator(fresh)).import_lines(lines, by="test").errors == []
        assert fresh.fact_count() == store.fact_count()
    finally:
        fresh.close()


# -- 4. A bad row already stored -----------------------------------------------------------


def test_a_bad_subscription_already_stored_is_skipped_named_and_the_rest_run(
    intel_store_with_bad_rows: FactStore, caplog: pytest.LogCaptureFixture
) -> None:
    from slackbot.core.digests import DigestService
    from slackbot.core.intel import SummitIntel

    service = DigestService(SummitIntel(intel_store_with_bad_rows), deliver=None)
    scheduler = DigestScheduler(service)
    with caplog.at_level(logging.ERROR):
        scheduler.start()
    try:
        jobs = {job.id for job in scheduler.scheduler.get_jobs()}
        assert job_id("C0EARTH") in jobs and job_id("C0MARS") not in jobs
        errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
        assert any("C0MARS" in e and "Mars/Olympus" in e for e in errors), errors
        status = service.status("C0MARS")
        assert status.problem is not None and status.next_run is None
        assert service.deliver_due("C0MARS").kind == "inactive"
    finally:
        scheduler.shutdown()


@pytest.fixture
def intel_store_with_bad_rows(store: FactStore) -> FactStore:
    store.put_subscription(MARS)
    store.put_subscription(EARTH)
    return store


def test_serve_starts_over_a_bad_stored_row_and_digest_status_says_what_fixes_it(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    secret = "bad-rows-secret"
    env = clean_env(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=secret,
        SLACK_API_URL=fake_slack.api_url,
    )
    db = Path(env["SUMMITBOT_DB"])
    with FactStore(db) as store:
        store.seed()
        store.put_subscription(MARS)
        store.put_subscription(EARTH)
    fake_slack.add_channel("C0MARS", "mars", bot_member=True)
    server = ServerProcess(env, tmp_path)
    try:
        with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as response:
            assert response.status == 200
        slack = SlackSender(server.url, secret, fake_slack)
        said = slack.command("/digest", "status", channel_id="C0MARS").joined()
        assert "This digest cannot run" in said and "Mars/Olympus" in said
        assert "/digest daily 09:00" in said
        slack.close()
    finally:
        server.stop(signal.SIGTERM, timeout=20)
    log = server.log()
    assert " ERROR " in log and "C0MARS" in log and "Traceback" not in log


def test_healthz_says_when_the_scheduler_runs_nowhere(
    settings: Settings, built: Any, tmp_path: Path
) -> None:
    services = built.services
    scheduler = DigestScheduler(services.digests, services.feeds, services.corrections)
    work = ScheduledWork(scheduler, settings)
    server = GracefulServer(built.ingress, "127.0.0.1", 0, tick_seconds=0.05, health=work.health)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        # Still 200: the process answers Slack; the body says what runs nowhere.
        with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as response:
            report = json.loads(response.read())
        assert report["scheduler"] == "stopped" and "scheduler is stopped" in report["problem"]
        work.start()
        with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as response:
            report = json.loads(response.read())
        assert report["scheduler"] == "running" and "problem" not in report
    finally:
        work.stop()
        server.stop()
        thread.join(15)


def test_healthz_says_when_no_replica_leads(
    settings: Settings, built: Any, postgres_url: str
) -> None:
    on_postgres = dataclasses.replace(settings, database_url=postgres_url)
    scheduler = DigestScheduler(built.services.digests)
    work = ScheduledWork(scheduler, on_postgres)  # not started: nobody leads
    report = work.health()
    assert report["leader"] is None and "no replica leads" in report["problem"]


# -- 10. Leftovers ---------------------------------------------------------------------------


def test_a_snapshot_write_cut_off_leaves_nothing_after_the_next_start(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with FactStore(db_path) as store:
        store.seed()
    leftover = db_path.with_name(f".{db_path.name}.tmp")
    index_leftover = db_path.with_name(f".{db_path.name}.index.tmp")
    leftover.write_bytes(b"x" * 12_000_000)
    index_leftover.write_bytes(b"partial")
    with caplog.at_level(logging.INFO), FactStore(db_path) as store:
        assert store.fact_count() > 0
    assert not leftover.exists() and not index_leftover.exists()
    assert any(".summit.json.tmp (12000000 bytes)" in r.getMessage() for r in caplog.records)


def test_a_replica_on_postgresql_leads_and_schedules_over_a_bad_stored_row(
    fake_slack: FakeSlack, postgres_url: str, tmp_path: Path
) -> None:
    # Before: the leader's start stopped at the bad time zone, and the replicas stayed up
    # with /healthz "ok" and no digest or feed poll running anywhere.
    from storage.postgres import PostgresStore
    from tests.postgres import seconds_until
    from tests.test_replicas import SECRET, health, start_replica

    with PostgresStore(postgres_url) as store:
        store.seed()
        store.put_subscription(MARS)
        store.put_subscription(EARTH)
    replica = start_replica(fake_slack, postgres_url, tmp_path / "a")
    sender = SlackSender(replica.url, SECRET, fake_slack)
    try:
        seconds_until(lambda: health(sender).get("scheduler") == "running", 15, every=0.05)
        report = health(sender)
        assert report["leader"] == report["replica"] and "problem" not in report
    finally:
        sender.close()
        replica.stop(signal.SIGTERM, timeout=20)
    log = replica.log()
    assert "C0MARS" in log and " ERROR " in log and "Traceback" not in log
