"""Processes the fault tests kill: each prints a line for every write it has made durable,
so the test knows what was acknowledged before the kill.

    python -m tests.fault_workers save DB COUNT [PREFIX]
    python -m tests.fault_workers fanout DB API_URL ISO_TIME
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage.api import Fact, Revision, Source
from storage.repository import FactStore


def save(db: Path, count: int, prefix: str) -> None:
    """Adds ``count`` facts one write at a time, printing each id once it is durable."""
    # Compaction by record count alone, every 500 (as before the journal's size counted):
    # the kill tests land kills before, during and after compactions.
    store = FactStore(db, compact_min_bytes=0)
    if store.event() is None:
        store.seed()
    print("ready", flush=True)
    for number in range(count):
        fact_id = store.next_fact_id()
        now = datetime.now(UTC).isoformat(timespec="microseconds")
        fact = Fact(
            fact_id,
            f"{prefix} fact number {number}",
            "context",
            "reported",
            ("samsung",),
            Source("Fault test"),
            added_at=now,
            updated_at=now,
            added_by="U0FAULT",
            origin="admin",
        )
        store.put_fact(fact, Revision(fact_id, 1, now, "U0FAULT", "added", {}))
        print(f"saved {fact_id}", flush=True)
    print("done", flush=True)
    # Held open, as a serving process would be, until the test kills it.
    sys.stdin.read()


def fanout(db: Path, api_url: str, now: str) -> None:
    """Delivers every channel's due digest slot, as the scheduler does after a start."""
    from slackbot.app import make_web_client
    from slackbot.config import Settings
    from slackbot.core.digests import DigestService
    from slackbot.core.intel import SummitIntel
    from slackbot.slack.delivery import SlackDigestPoster

    settings = Settings(bot_token="xoxb-fake-bot-token", api_url=api_url, db_path=db)
    store = FactStore(db)
    moment = datetime.fromisoformat(now)
    clock = lambda: moment  # noqa: E731
    service = DigestService(
        SummitIntel(store),
        SlackDigestPoster(make_web_client(settings)),
        clock=clock,
        grace=timedelta(hours=6),
    )
    print("ready", flush=True)
    for subscription in store.subscriptions():
        outcome = service.deliver_due(subscription.channel_id)
        print(f"{subscription.channel_id} {outcome.kind}", flush=True)
    print("done", flush=True)
    store.close()


if __name__ == "__main__":
    command, db = sys.argv[1], Path(sys.argv[2])
    if command == "save":
        save(db, int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else "Fault")
    elif command == "fanout":
        fanout(db, sys.argv[3], sys.argv[4])
    else:
        raise SystemExit(f"unknown command {command}")
