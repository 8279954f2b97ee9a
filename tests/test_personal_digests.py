"""Issue 16, "Personal digests": /digest me daily 08:00 [tz] (and track, pause, off with me)
sends the digest to the person as a DM from the app, with the channel digests' composition,
tracking and exactly-once rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from slackbot.app import Built
from slackbot.config import Settings
from slackbot.core.curation import FactDraft
from storage.repository import FactStore
from tests.fake_slack import DateClock, FakeSlack, block_kit_problems
from tests.fake_socket_mode import socket_mode_app
from tests.slack_client import SlackSender, block_texts

ALICE = "U0ALICE"
BOB = "U0BOB"
CHANNEL = "C0NEWS"


@pytest.fixture(autouse=True)
def workspace(fake_slack: FakeSlack) -> None:
    fake_slack.add_channel(CHANNEL, "news", bot_member=True)
    fake_slack.add_user(ALICE, tz="Asia/Seoul")
    fake_slack.add_user(BOB, tz="Europe/London")


def digest(slack: SlackSender, fake: FakeSlack, text: str, user: str = ALICE) -> str:
    """Runs /digest in the channel and returns what the person was shown."""
    watched = fake.response_url()
    reply = slack.command("/digest", text, user_id=user, channel_id=CHANNEL, response_url=watched)
    assert reply.status == 200
    if reply.body:
        return reply.joined()
    path = watched.removeprefix(fake.base)
    (post,) = fake.wait_for(lambda: [r for r in fake.response_posts if r["path"] == path])
    assert post["response_type"] == "ephemeral"
    return "\n".join([post["text"], *block_texts(post["blocks"])])


def add_fact(built: Built, clock: DateClock, statement: str, entities: tuple[str, ...]) -> None:
    clock.advance(timedelta(seconds=1))
    draft = FactDraft(
        statement=statement,
        kind="hardware",
        status="reported",
        entity_ids=entities,
        source_url=f"https://news.example.com/{abs(hash(statement))}",
        source_title="Example News",
    )
    built.services.curator.add(draft, "U0ADMIN")


def dms(fake: FakeSlack, user: str) -> list[dict[str, Any]]:
    return [
        call.params
        for call in fake.calls_to("chat.postMessage", ok=True)
        if call.response.get("channel") == f"D{user}"
    ]


def shown(params: dict[str, Any]) -> str:
    blocks = params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    assert block_kit_problems(blocks, 50) == []
    return "\n".join([params["text"], *block_texts(blocks)])


def test_a_personal_digest_comes_as_a_dm_once_per_slot(
    slack: SlackSender, fake_slack: FakeSlack, built: Built, clock: DateClock, store: FactStore
) -> None:
    clock.set(datetime(2026, 11, 24, 7, 0, tzinfo=ZoneInfo("Asia/Seoul")).astimezone(UTC))
    saved = digest(slack, fake_slack, "me daily 08:00")
    assert "Your personal digest (a DM)" in saved and "08:00" in saved
    assert "Usage:" not in saved, "what was saved, without the whole usage after it"
    assert store.subscription(ALICE) is not None, "kept under the person's id"
    assert store.subscription(CHANNEL) is None, "the channel has no digest of its own"
    add_fact(built, clock, "SK Hynix and Microsoft sign an HBM supply agreement", ("sk-hynix",))
    service = built.services.digests
    clock.set(datetime(2026, 11, 24, 8, 0, 20, tzinfo=ZoneInfo("Asia/Seoul")).astimezone(UTC))
    assert service.deliver_due(ALICE).kind == "posted"
    assert service.deliver_due(ALICE).kind == "skipped", "exactly once per slot"
    (posted,) = dms(fake_slack, ALICE)
    text = shown(posted)
    assert "SK Hynix and Microsoft sign an HBM supply agreement" in text
    assert "Your personal digest" in text and "/digest me off" in text
    assert not [
        c for c in fake_slack.calls_to("chat.postMessage") if c.params["channel"] == CHANNEL
    ]


def test_track_pause_now_and_off_with_me(
    slack: SlackSender, fake_slack: FakeSlack, built: Built, clock: DateClock, store: FactStore
) -> None:
    digest(slack, fake_slack, "me daily 08:00 UTC")
    assert "Tracking SK Hynix" in digest(slack, fake_slack, "me track sk hynix")
    clock.advance(timedelta(minutes=1))
    add_fact(built, clock, "Samsung opens an AI lab with Microsoft in Suwon", ("samsung",))
    add_fact(built, clock, "SK Hynix ships HBM3E to Microsoft's Azure", ("sk-hynix",))
    clock.advance(timedelta(minutes=1))
    assert "Posted the digest to you as a DM" in digest(slack, fake_slack, "me now")
    (posted,) = dms(fake_slack, ALICE)
    assert "SK Hynix ships HBM3E" in shown(posted) and "Suwon" not in shown(posted)
    assert "Paused" in digest(slack, fake_slack, "me pause")
    subscription = store.subscription(ALICE)
    assert subscription is not None and subscription.paused
    # Bob's /digest me is his own: he neither sees nor changes Alice's.
    assert "You have no personal digest" in digest(slack, fake_slack, "me status", user=BOB)
    assert "Your personal digest is off" in digest(slack, fake_slack, "me off")
    assert store.subscription(ALICE) is None


def test_personal_digest_status_over_socket_mode(
    fake_slack: FakeSlack, settings: Settings, store: FactStore
) -> None:
    with socket_mode_app(fake_slack, settings, store) as command:
        answer = command("/digest", "me", ALICE)
        assert "You have no personal digest" in "\n".join(block_texts(answer["blocks"]))
