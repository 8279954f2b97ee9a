from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from slackbot.app import Built, build
from slackbot.config import Settings
from slackbot.core.intel import SummitIntel
from slackbot.server import GracefulServer
from slackbot.slack import i18n
from storage.repository import FactStore
from tests.fake_slack import BOT_TOKEN, DateClock, FakeSlack
from tests.feed_server import FeedServer
from tests.slack_client import SlackSender

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def english_by_default() -> Iterator[None]:
    """An app built with SUMMITBOT_LANG=ko sets the process's language (one app a process in
    production); each test starts and ends in English."""
    i18n.set_default("en")
    yield
    i18n.set_default("en")


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "summit.json"


@pytest.fixture
def store(db_path: Path) -> Iterator[FactStore]:
    fact_store = FactStore(db_path)
    fact_store.seed()
    yield fact_store
    fact_store.close()


@pytest.fixture
def intel(store: FactStore) -> SummitIntel:
    return SummitIntel(store)


@pytest.fixture
def settings(fake_slack: FakeSlack, db_path: Path) -> Settings:
    return Settings(
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        api_url=fake_slack.api_url,
        db_path=db_path,
        admins=frozenset({"U0ADMIN"}),
    )


@pytest.fixture
def server() -> Iterator[FeedServer]:
    """A real HTTP server on loopback serving feed documents (tests/feed_server.py)."""
    with FeedServer() as feed_server:
        yield feed_server


@pytest.fixture
def clock() -> DateClock:
    """The app's clock: now, until a test moves it."""
    return DateClock(datetime.now(UTC))


@pytest.fixture
def built(settings: Settings, store: FactStore, clock: DateClock) -> Built:
    return build(settings, store, clock=clock)


@pytest.fixture
def served_url(built: Built) -> Iterator[str]:
    """The app served as in production (waitress in the GracefulServer loop) on a free
    loopback port."""
    # A short tick only makes the server notice the end of a test sooner.
    server = GracefulServer(built.ingress, "127.0.0.1", 0, tick_seconds=0.05)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield server.url
    server.stop()
    thread.join(timeout=15)


@pytest.fixture
def slack(served_url: str, fake_slack: FakeSlack) -> Iterator[SlackSender]:
    sender = SlackSender(served_url, SIGNING_SECRET, fake_slack)
    yield sender
    sender.close()


from tests.postgres import postgres_database, postgres_url  # noqa: E402, F401 - fixtures
