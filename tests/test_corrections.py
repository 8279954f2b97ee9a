"""Issue 16, "Corrections follow the original": a retraction or status change of a fact a
digest (or a shared answer) showed is replied in that post's thread, once, in every
channel that got it; the next digest says so too."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from slackbot.app import Built
from slackbot.core.curation import FactDraft
from slackbot.scheduler import CORRECTION_JOB, DigestScheduler
from storage.repository import FactStore
from tests.fake_slack import DateClock, FakeSlack, block_kit_problems
from tests.slack_client import DEFAULT_USER, SlackSender, block_actions, block_texts

ADMIN = "U0ADMIN"
CHANNELS = ("C0NEWS", "C0DESK")


@pytest.fixture(autouse=True)
def workspace(fake_slack: FakeSlack) -> None:
    for channel in CHANNELS:
        fake_slack.add_channel(channel, channel.lower(), bot_member=True)
    fake_slack.add_channel("C0GENERAL", "general", bot_member=True)
    fake_slack.add_user(ADMIN)
    fake_slack.add_user(DEFAULT_USER)


def add(built: Built, clock: DateClock, statement: str, status: str = "reported") -> str:
    clock.advance(timedelta(seconds=1))
    draft = FactDraft(
        statement=statement,
        kind="hardware",
        status=status,
        entity_ids=("samsung", "hbm"),
        source_url=f"https://news.example.com/{abs(hash(statement))}",
        source_title="Example News",
        tags=("hbm",),
    )
    return built.services.curator.add(draft, ADMIN).id


def post_digests(
    slack: SlackSender, fake: FakeSlack, clock: DateClock, store: FactStore, fact_id: str
) -> dict[str, str]:
    """/digest now in each channel; the ts of each digest's first post, by channel, once the
    app has remembered that the post showed ``fact_id`` (it does so after Slack answers the
    post with its ts, so the fake's seeing the post is not enough)."""
    found = {}
    for channel in CHANNELS:
        clock.advance(timedelta(seconds=1))
        before = len(fake.calls_to("chat.postMessage", ok=True))
        reply = slack.command(
            "/digest", "now", channel_id=channel, response_url=fake.response_url()
        )
        assert reply.status == 200
        posted = fake.wait_for(lambda b=before: fake.calls_to("chat.postMessage", ok=True)[b:])
        ts = posted[0].response["ts"]
        fake.wait_for(lambda ts=ts: ts in json.dumps(store.meta(f"announced:{fact_id}")))
        found[channel] = ts
    return found


def replies(fake: FakeSlack, channel: str, ts: str) -> list[dict[str, Any]]:
    return [
        call.params
        for call in fake.calls_to("chat.postMessage", ok=True)
        if call.params.get("channel") == channel and call.params.get("thread_ts") == ts
    ]


def text_of(params: dict[str, Any]) -> str:
    blocks = params.get("blocks") or []
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    assert block_kit_problems(blocks, 50) == []
    return "\n".join([params["text"], *block_texts(blocks)])


def subscribe(slack: SlackSender, fake: FakeSlack) -> None:
    """A daily digest in each channel, saved (it is answered after the acknowledgement)."""
    for channel in CHANNELS:
        watched = fake.response_url()
        slack.command("/digest", "daily 09:00", channel_id=channel, response_url=watched)
        path = watched.removeprefix(fake.base)
        fake.wait_for(lambda p=path: [r for r in fake.response_posts if r["path"] == p])


def test_a_retraction_is_replied_under_every_digest_that_showed_the_fact_once(
    slack: SlackSender, fake_slack: FakeSlack, built: Built, clock: DateClock, store: FactStore
) -> None:
    subscribe(slack, fake_slack)
    clock.advance(timedelta(minutes=5))
    fact_id = add(built, clock, "Samsung ships HBM3E samples to Microsoft.")
    posted = post_digests(slack, fake_slack, clock, store, fact_id)
    corrections = built.services.corrections
    assert corrections is not None
    assert corrections.post_due() == 0, "nothing changed yet"
    clock.advance(timedelta(minutes=5))
    built.services.curator.retract(fact_id, "denied by Samsung", ADMIN)
    assert corrections.post_due() == 2
    for channel, ts in posted.items():
        (reply,) = replies(fake_slack, channel, ts)
        shown = text_of(reply)
        assert f"Correction: {fact_id} retracted — denied by Samsung" in shown
    assert corrections.post_due() == 0, "each correction is posted once"
    # The next digest says so too.
    clock.advance(timedelta(minutes=5))
    before = len(fake_slack.calls_to("chat.postMessage", ok=True))
    slack.command("/digest", "now", channel_id="C0NEWS", response_url=fake_slack.response_url())
    digest = fake_slack.wait_for(lambda: fake_slack.calls_to("chat.postMessage", ok=True)[before:])
    assert "denied by Samsung" in text_of(digest[0].params)


def test_a_status_change_is_corrected_and_a_failed_reply_is_tried_again(
    slack: SlackSender, fake_slack: FakeSlack, built: Built, clock: DateClock
) -> None:
    subscribe(slack, fake_slack)
    clock.advance(timedelta(minutes=5))
    fact_id = add(built, clock, "Samsung may supply HBM4 to Microsoft next year.", "expected")
    posted = post_digests(slack, fake_slack, clock, built.services.intel.store, fact_id)
    clock.advance(timedelta(minutes=5))
    fact = built.services.curator.fact(fact_id)
    assert fact is not None
    confirmed = FactDraft.of(fact)
    confirmed = FactDraft(**{**confirmed.__dict__, "status": "confirmed"})
    built.services.curator.edit(fact_id, confirmed, ADMIN, fact.revision)
    fake_slack.fail_next("chat.postMessage", 500, times=3)
    corrections = built.services.corrections
    assert corrections is not None
    corrections.post_due()
    clock.advance(timedelta(minutes=1))
    corrections.post_due()
    for channel, ts in posted.items():
        (reply,) = replies(fake_slack, channel, ts)
        assert f"Correction: {fact_id} is now confirmed (was expected)" in text_of(reply)


def test_a_shared_answer_gets_the_same_threaded_correction(
    slack: SlackSender, fake_slack: FakeSlack, built: Built, clock: DateClock
) -> None:
    answer = slack.command("/whois", "lg electronics").json()
    share = next(
        element
        for block in answer["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    )
    payload = block_actions(
        ADMIN,
        {"type": "button", "action_id": share["action_id"], "value": share["value"]},
        response_url=fake_slack.response_url(),
        trigger_id=fake_slack.issue_trigger(),
    )
    assert slack.interactive(payload).status == 200
    shared = fake_slack.wait_for(lambda: fake_slack.calls_to("chat.postMessage", ok=True))
    ts = shared[0].response["ts"]
    assert "F13" in text_of(shared[0].params)
    # What it showed is remembered just after Slack took the post.
    fake_slack.wait_for(lambda: built.services.curator.store.meta("announced:F13"))
    clock.advance(timedelta(minutes=5))
    built.services.curator.retract("F13", "LG denied it", ADMIN)
    corrections = built.services.corrections
    assert corrections is not None and corrections.post_due() == 1
    (reply,) = replies(fake_slack, "C0GENERAL", ts)
    assert "Correction: F13 retracted — LG denied it" in text_of(reply)


def test_the_leaders_scheduler_runs_the_corrections(built: Built) -> None:
    scheduler = DigestScheduler(
        built.services.digests, built.services.feeds, built.services.corrections
    )
    scheduler.start()
    try:
        assert scheduler.scheduler.get_job(CORRECTION_JOB) is not None
    finally:
        scheduler.shutdown()
