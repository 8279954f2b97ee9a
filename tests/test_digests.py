"""Scheduled digests: /digest as Slack sends it, schedules across DST with a controlled clock,
exactly-once slots through restarts, rate limits and errors, against the fake Web API."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from slackbot.app import Built, build
from slackbot.config import Settings
from slackbot.core.curation import FactDraft
from slackbot.core.digests import DigestRequest, UsageError, parse_request
from slackbot.core.digests.service import DigestStatus
from slackbot.scheduler import DigestScheduler, job_id
from slackbot.slack import render
from storage.api import Subscription
from storage.repository import FactStore
from tests.fake_slack import DateClock, FakeSlack, block_kit_problems
from tests.slack_client import SlackSender

REPO = Path(__file__).resolve().parent.parent

CHANNEL = "C0NEWS"
PRIVATE = "G0SECRET"
SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture(autouse=True)
def workspace(fake_slack: FakeSlack, request: pytest.FixtureRequest) -> None:
    # /digest joins public channels itself; tests that subscribe directly start as a member.
    joined = "slack" not in request.fixturenames
    fake_slack.add_channel(CHANNEL, "news", bot_member=joined)
    fake_slack.add_channel(PRIVATE, "secret", private=True)
    fake_slack.add_user("U0ALICE", tz="Asia/Seoul")


def add_fact(built: Built, statement: str, entities: tuple[str, ...] = ("samsung",), **kw: Any):
    # A moment passes between anything and the next save, as it does with a real clock.
    clock = built.services.curator.clock
    if isinstance(clock, DateClock):
        clock.advance(timedelta(milliseconds=1))
    draft = FactDraft(
        statement=statement,
        kind=kw.pop("kind", "hardware"),
        status=kw.pop("status", "reported"),
        entity_ids=entities,
        source_url="https://news.example.com/" + str(abs(hash(statement))),
        source_title="Example News",
        tags=kw.pop("tags", ()),
    )
    return built.services.curator.add(draft, "U0ADMIN")


VOCABULARY = (
    "wafer yield packaging foundry memory stack bandwidth supply contract pilot cloud "
    "datacenter copilot assistant handset television network antenna model training "
    "inference accelerator roadmap sample order capacity investment venture license "
    "partnership prototype benchmark launch shipment tender audit"
).split()


def distinct(n: int, lead: str) -> str:
    """A statement no other n's reads like, so the near-duplicate check lets it in."""
    words = random.Random(n).sample(VOCABULARY, 9)
    return f"{lead} {n}: " + " ".join(words)


def subscribe(
    built: Built, cadence: str = "daily", time: str = "09:00", tz: str = "Asia/Seoul", **kw: Any
) -> None:
    """Subscribes CHANNEL as `/digest` would once the bot is in the channel."""
    request = DigestRequest(cadence, cadence, time, kw.get("weekday"), tz)
    built.services.digests.schedule(CHANNEL, request, tz, "U0ALICE")


def posts(fake_slack: FakeSlack) -> list[Any]:
    return fake_slack.calls_to("chat.postMessage", ok=True)


def at(clock: DateClock, zone: str, *fields: int) -> None:
    clock.set(datetime(*fields, tzinfo=ZoneInfo(zone)).astimezone(UTC))  # type: ignore[misc]


# -- parsing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", DigestRequest("status")),
        ("status", DigestRequest("status")),
        ("daily 9:05", DigestRequest("daily", "daily", "09:05")),
        (
            "DAILY 21:30 Europe/London",
            DigestRequest("daily", "daily", "21:30", None, "Europe/London"),
        ),
        ("weekdays 08:00", DigestRequest("weekdays", "weekdays", "08:00")),
        (
            "weekly Monday 09:00 America/New_York",
            DigestRequest("weekly", "weekly", "09:00", "mon", "America/New_York"),
        ),
        (
            "track samsung, hbm ,  SK하이닉스",
            DigestRequest("track", names=("samsung", "hbm", "SK하이닉스")),
        ),
        ("untrack hbm", DigestRequest("untrack", names=("hbm",))),
        ("now", DigestRequest("now")),
        ("off", DigestRequest("off")),
    ],
)
def test_parse_every_form(text: str, expected: DigestRequest) -> None:
    assert parse_request(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("daily", "HH:MM"),
        ("daily 25:00", "HH:MM"),
        ("daily 9am", "HH:MM"),
        ("weekly 09:00", "Say the day"),
        ("weekly funday 09:00", "Say the day"),
        ("daily 09:00 Mars/Olympus", "not a time zone"),
        ("track", "Say what to track"),
        ("hourly 09:00", "not something `/digest` does"),
        ("<!channel>", "not something `/digest` does"),
    ],
)
def test_bad_input_gets_the_usage_and_an_example(text: str, says: str) -> None:
    with pytest.raises(UsageError, match=says) as raised:
        parse_request(text)
    shown = str(render.digest_usage(str(raised.value)).to_dict())
    assert "/digest daily 09:00" in shown and "/digest track samsung, hbm" in shown
    assert shown.count("Usage:") == 1, "the usage is shown once"


# -- the command in Slack ---------------------------------------------------------------------


def digest(slack: SlackSender, fake_slack: FakeSlack, text: str, channel: str = CHANNEL) -> str:
    """Runs /digest and returns everything the person was shown (ack or response_url)."""
    response_url = fake_slack.response_url()
    before = len(fake_slack.response_posts)
    reply = slack.command("/digest", text, channel_id=channel, response_url=response_url)
    assert reply.status == 200
    if reply.body:
        assert reply.json()["response_type"] == "ephemeral"
        return reply.joined()
    post = fake_slack.wait_for(lambda: fake_slack.response_posts[before:] or None)[0]
    assert post["response_type"] == "ephemeral" and post["text"]
    assert block_kit_problems(post["blocks"], 50) == []
    return "\n".join([post["text"], json.dumps(post["blocks"], ensure_ascii=False)])


def test_scheduling_joins_a_public_channel_in_the_users_time_zone(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore
) -> None:
    shown = digest(slack, fake_slack, "daily 09:00")
    assert "Saved." in shown and "every day at 09:00 Asia/Seoul" in shown
    assert fake_slack.calls_to("conversations.join", ok=True)
    subscription = store.subscription(CHANNEL)
    assert subscription is not None and subscription.timezone == "Asia/Seoul"
    assert "Next digest" in shown and "KST" in shown
    explicit = digest(slack, fake_slack, "weekly fri 17:30 Europe/London")
    assert "every Fri at 17:30 Europe/London" in explicit
    weekdays = digest(slack, fake_slack, "weekdays 8:30")
    assert "every weekday at 08:30 Asia/Seoul" in weekdays


def test_a_private_channel_without_the_bot_is_not_subscribed(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore
) -> None:
    shown = digest(slack, fake_slack, "daily 09:00", channel=PRIVATE)
    assert "/invite @Summit Intel" in shown and "Nothing was changed" in shown
    assert store.subscription(PRIVATE) is None


def test_bad_digest_input_answers_with_usage(slack: SlackSender, fake_slack: FakeSlack) -> None:
    for text in ("daily 9pm", "weekly someday 10:00", "daily 09:00 Nowhere/City", "frobnicate"):
        shown = digest(slack, fake_slack, text)
        assert "/digest daily 09:00" in shown


def test_track_untrack_status_pause_resume_off(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore
) -> None:
    assert "no digest" in digest(slack, fake_slack, "")
    assert "no digest yet" in digest(slack, fake_slack, "track samsung")
    digest(slack, fake_slack, "daily 09:00")
    shown = digest(slack, fake_slack, "track samsung, hbm, 곽노정, ai services, sk, nvidia")
    assert "Tracking Samsung Electronics, HBM, Kwak Noh-jung, #ai-services" in shown
    assert "“sk” could be SK Hynix, SK Telecom" in shown
    assert "I don't know nvidia" in shown
    subscription = store.subscription(CHANNEL)
    assert subscription is not None
    assert subscription.tracked_entities == ("samsung", "hbm", "kwak-noh-jung")
    assert subscription.tracked_tags == ("ai-services",)
    assert "No longer tracking HBM" in digest(slack, fake_slack, "untrack hbm")
    status = digest(slack, fake_slack, "status")
    assert "Samsung Electronics, Kwak Noh-jung, #ai-services" in status and "HBM" not in status
    assert "Paused" in digest(slack, fake_slack, "pause")
    assert "Paused" in digest(slack, fake_slack, "")
    assert "Resumed." in digest(slack, fake_slack, "resume")
    assert "Digests for this channel are off" in digest(slack, fake_slack, "off")
    assert store.subscription(CHANNEL) is None


def test_digest_now_posts_what_moved_or_says_nothing_new(
    slack: SlackSender, fake_slack: FakeSlack, built: Built, clock: DateClock
) -> None:
    digest(slack, fake_slack, "daily 09:00")
    shown = digest(slack, fake_slack, "now")
    assert "Nothing new" in shown and posts(fake_slack) == []
    clock.advance(timedelta(minutes=5))
    add_fact(built, "Samsung <!channel> ships HBM3E samples to Microsoft", tags=("hbm",))
    clock.advance(timedelta(minutes=5))
    shown = digest(slack, fake_slack, "now")
    assert "Posted the digest here: posted 1 development." in shown
    post = posts(fake_slack)[0]
    assert post.params["channel"] == CHANNEL
    text = post.params["text"] + json.dumps(post.params["blocks"])
    assert "ships HBM3E samples" in text and "<!channel>" not in text
    assert "Samsung Electronics" in text and ":new: New" in text
    again = digest(slack, fake_slack, "now")
    assert "Nothing new" in again and len(posts(fake_slack)) == 1


# -- schedules and delivery with a controlled clock ----------------------------------------------


def test_a_daily_slot_posts_once_and_an_empty_slot_posts_nothing(
    fake_slack: FakeSlack, built: Built, clock: DateClock
) -> None:
    service = built.services.digests
    at(clock, "Asia/Seoul", 2026, 11, 24, 8, 0)
    subscribe(built)
    add_fact(built, "SK Hynix and Microsoft sign an HBM supply agreement", ("sk-hynix", "hbm"))
    at(clock, "Asia/Seoul", 2026, 11, 24, 8, 59)
    assert service.deliver_due(CHANNEL).kind == "skipped"
    at(clock, "Asia/Seoul", 2026, 11, 24, 9, 0, 20)
    assert service.deliver_due(CHANNEL).kind == "posted"
    assert service.deliver_due(CHANNEL).kind == "skipped"
    at(clock, "Asia/Seoul", 2026, 11, 24, 9, 30)
    assert service.deliver_due(CHANNEL).kind == "skipped"
    at(clock, "Asia/Seoul", 2026, 11, 25, 9, 0, 5)
    assert service.deliver_due(CHANNEL).kind == "empty"
    assert len(posts(fake_slack)) == 1
    subscription = built.services.digests.store.subscription(CHANNEL)
    assert subscription is not None and "nothing new" in (subscription.last_result or "")


def test_tracking_filters_developments(
    fake_slack: FakeSlack, built: Built, clock: DateClock
) -> None:
    at(clock, "UTC", 2026, 11, 24, 8, 0)
    subscribe(built, tz="UTC")
    result = built.services.digests.track(CHANNEL, ("samsung", "cxl"), add=True)
    assert result.added == ["Samsung Electronics", "CXL drives"]
    add_fact(built, "LG Electronics puts Copilot in its TVs", ("lg-electronics",))
    add_fact(built, "Kyung Kye-hyun meets Satya Nadella again", ("kyung-kye-hyun",), kind="context")
    add_fact(built, "Microsoft orders CXL drives in bulk", ("microsoft", "cxl"))
    at(clock, "UTC", 2026, 11, 24, 9, 1)
    outcome = built.services.digests.deliver_due(CHANNEL)
    statements = {d.fact.statement for d in outcome.digest.developments}  # type: ignore[union-attr]
    assert statements == {
        "Kyung Kye-hyun meets Satya Nadella again",
        "Microsoft orders CXL drives in bulk",
    }


def test_status_changes_and_retractions_are_developments_edits_are_not(
    fake_slack: FakeSlack, built: Built, clock: DateClock
) -> None:
    curator = built.services.curator
    at(clock, "UTC", 2026, 11, 24, 8, 0)
    subscribe(built, tz="UTC")
    clock.advance(timedelta(minutes=1))
    f9 = curator.require("F9")
    curator.edit(
        "F9",
        FactDraft.of(f9).__class__(**{**FactDraft.of(f9).__dict__, "status": "confirmed"}),
        "U0ADMIN",
        1,
    )
    curator.retract("F18", "figure disputed", "U0ADMIN")
    f10 = curator.require("F10")
    curator.edit(
        "F10",
        FactDraft.of(f10).__class__(**{**FactDraft.of(f10).__dict__, "tags": ("memory", "x")}),
        "U0ADMIN",
        1,
    )
    at(clock, "UTC", 2026, 11, 24, 9, 0, 1)
    outcome = built.services.digests.deliver_due(CHANNEL)
    assert outcome.kind == "posted"
    developments = {d.fact.id: (d.old_status, d.new_status) for d in outcome.digest.developments}  # type: ignore[union-attr]
    assert developments == {"F9": ("expected", "confirmed"), "F18": ("reported", "retracted")}
    body = json.dumps(posts(fake_slack)[0].params["blocks"])
    assert ":crystal_ball: Expected \\u2192 :white_check_mark: Confirmed" in body
    assert "figure disputed" in body


@pytest.mark.parametrize(
    ("zone", "days", "time"),
    [
        # Spring forward: 02:30 does not exist on 8 March in New York; it fires at 03:30.
        ("America/New_York", [(2026, 3, 7), (2026, 3, 8), (2026, 3, 9)], "02:30"),
        # Fall back: 01:30 happens twice on 1 November in New York; it posts once.
        ("America/New_York", [(2026, 10, 31), (2026, 11, 1), (2026, 11, 2)], "01:30"),
        ("America/New_York", [(2026, 3, 7), (2026, 3, 8), (2026, 3, 9)], "09:00"),
        ("Europe/London", [(2026, 3, 28), (2026, 3, 29), (2026, 3, 30)], "01:30"),
        ("Europe/London", [(2026, 10, 24), (2026, 10, 25), (2026, 10, 26)], "01:30"),
        ("Europe/London", [(2026, 10, 24), (2026, 10, 25), (2026, 10, 26)], "09:00"),
        ("Asia/Seoul", [(2026, 3, 7), (2026, 3, 8), (2026, 3, 9)], "09:00"),
    ],
)
def test_one_digest_a_day_across_daylight_saving_changes(
    fake_slack: FakeSlack,
    built: Built,
    clock: DateClock,
    zone: str,
    days: list[tuple[int, int, int]],
    time: str,
) -> None:
    service = built.services.digests
    first = days[0]
    at(clock, zone, first[0], first[1], first[2] - 1, 12, 0)
    subscribe(built, time=time, tz=zone)
    end = datetime(*days[-1], 23, 59, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    posted_days: list[str] = []
    n = 0
    while clock.now < end:
        local = clock.now.astimezone(ZoneInfo(zone))
        if local.hour == 0 and local.minute == 0:
            n += 1
            add_fact(built, distinct(n, f"On {local.date()} in {zone}"))
        outcome = service.deliver_due(CHANNEL)
        if outcome.kind == "posted":
            posted_days.append(local.strftime("%Y-%m-%d %H:%M %Z"))
        clock.advance(timedelta(minutes=15))
    assert len(posted_days) == 3, posted_days
    assert len({day[:10] for day in posted_days}) == 3
    assert len(posts(fake_slack)) == 3


def test_a_rate_limit_is_waited_out_and_the_digest_posts_once(
    fake_slack: FakeSlack, built: Built, clock: DateClock
) -> None:
    at(clock, "UTC", 2026, 11, 24, 8, 0)
    subscribe(built, tz="UTC")
    add_fact(built, "Samsung ships Mach-1 samples", ("samsung", "mach-1"))
    fake_slack.fail_next("chat.postMessage", 429, retry_after=1)
    at(clock, "UTC", 2026, 11, 24, 9, 0, 30)
    assert built.services.digests.deliver_due(CHANNEL).kind == "posted"
    attempts = fake_slack.calls_to("chat.postMessage")
    assert [call.status for call in attempts] == [429, 200]
    assert len(posts(fake_slack)) == 1


def test_a_5xx_storm_is_retried_with_backoff_until_slack_takes_the_digest_once(
    fake_slack: FakeSlack, built: Built, clock: DateClock, store: FactStore
) -> None:
    at(clock, "UTC", 2026, 11, 24, 8, 0)
    subscribe(built, tz="UTC")
    add_fact(built, "SK Telecom and Microsoft launch a telecom LLM", ("sk-telecom",))
    digests = built.services.digests
    # The first try meets real 503s (slack_sdk retries them, then gives up); later tries an
    # error Slack answers at once, so the test does not sit through slack_sdk's backoff.
    fake_slack.fail_next("chat.postMessage", 503, times=3)
    for _ in range(20):
        fake_slack.answer_next("chat.postMessage", {"ok": False, "error": "service_unavailable"})
    at(clock, "UTC", 2026, 11, 24, 9, 0, 30)
    assert digests.deliver_due(CHANNEL).kind == "retrying"
    assert digests.deliver_due(CHANNEL).kind == "skipped", "the scheduler's own retry owns it"
    assert digests.retry_due() == [], "not before its pause is over"
    status = store.subscription(CHANNEL)
    assert status is not None and "retrying since" in (status.last_result or "")
    assert "last error: Slack answered" in (status.last_result or "")
    # The storm goes on for a while: each retry waits longer.
    pauses = []
    for _ in range(4):
        slot = next(iter(store.open_slots(CHANNEL).values()))
        pause = datetime.fromisoformat(slot["next_try"]) - clock()
        pauses.append(pause.total_seconds())
        clock.advance(pause + timedelta(seconds=1))
        assert [o.kind for o in digests.retry_due()] == ["retrying"]
    assert pauses == sorted(pauses) and pauses[0] >= 30
    fake_slack._forced["chat.postMessage"].clear()
    clock.advance(timedelta(minutes=15))
    assert [o.kind for o in digests.retry_due()] == ["posted"]
    assert len(posts(fake_slack)) == 1 and "telecom LLM" in posts(fake_slack)[0].params["text"]
    assert digests.retry_due() == [] and store.open_slots(CHANNEL) == {}


def test_retries_survive_a_restart_and_give_up_after_the_grace_period(
    fake_slack: FakeSlack, built: Built, clock: DateClock, store: FactStore, settings: Settings
) -> None:
    at(clock, "UTC", 2026, 11, 24, 8, 0)
    subscribe(built, tz="UTC")
    add_fact(built, "SK Telecom and Microsoft launch a telecom LLM", ("sk-telecom",))
    for _ in range(30):
        fake_slack.answer_next("chat.postMessage", {"ok": False, "error": "service_unavailable"})
    at(clock, "UTC", 2026, 11, 24, 9, 0, 30)
    assert built.services.digests.deliver_due(CHANNEL).kind == "retrying"
    # A new process on the same store (a restart) picks the retry up at start-up. Its grace
    # period is half an hour here, so that giving up takes a few tries, not twenty.
    short_grace = replace(settings, digest_grace_hours=0.5)
    restarted = build(short_grace, store, clock=clock).services.digests
    clock.advance(timedelta(minutes=1))
    assert "retrying" in [o.kind for o in restarted.catch_up()]
    # Past the grace period after the slot it gives up; the next digest carries it.
    for _ in range(10):
        clock.advance(timedelta(minutes=16))
        outcomes = [o.kind for o in restarted.retry_due()]
        if outcomes == ["failed"]:
            break
    assert outcomes == ["failed"]
    subscription = store.subscription(CHANNEL)
    assert "gave up after" in (subscription.last_result or "")  # type: ignore[union-attr]
    assert posts(fake_slack) == []
    fake_slack._forced["chat.postMessage"].clear()
    at(clock, "UTC", 2026, 11, 25, 9, 0, 30)
    assert restarted.deliver_due(CHANNEL).kind == "posted"
    assert "telecom LLM" in posts(fake_slack)[0].params["text"]


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel"])
def test_a_channel_gone_or_left_suspends_the_subscription(
    slack: SlackSender,
    fake_slack: FakeSlack,
    built: Built,
    clock: DateClock,
    store: FactStore,
    error: str,
) -> None:
    at(clock, "UTC", 2026, 11, 24, 8, 0)
    subscribe(built, tz="UTC")
    add_fact(built, "LG Electronics joins the Copilot programme", ("lg-electronics",))
    if error == "channel_not_found":
        del fake_slack.channels[CHANNEL]
    else:
        fake_slack.channels[CHANNEL].members.clear()
    at(clock, "UTC", 2026, 11, 24, 9, 0, 30)
    assert built.services.digests.deliver_due(CHANNEL).kind == "suspended"
    subscription = store.subscription(CHANNEL)
    assert subscription is not None and error in (subscription.suspended_reason or "")
    status = digest(slack, fake_slack, "status")
    assert "Suspended" in status and error in status
    at(clock, "UTC", 2026, 11, 25, 9, 0, 30)
    assert built.services.digests.deliver_due(CHANNEL).kind == "inactive"


def restart(settings: Settings, store_path: Any, clock: DateClock) -> tuple[FactStore, Built]:
    store = FactStore(store_path)
    return store, build(settings, store, clock=clock)


@pytest.mark.parametrize(
    ("down_at", "up_at", "posts_on_start"),
    [
        ((8, 50), (9, 30), 1),  # down before the slot, back within grace: caught up once
        ((9, 0, 40), (9, 1), 0),  # down right after the slot was posted: not again
        ((8, 50), (16, 0), 0),  # back after the grace period: the slot is skipped
    ],
)
def test_a_restart_before_at_or_after_a_slot_posts_exactly_once(
    fake_slack: FakeSlack,
    settings: Settings,
    db_path: Any,
    clock: DateClock,
    down_at: tuple[int, ...],
    up_at: tuple[int, ...],
    posts_on_start: int,
) -> None:
    store, built = restart(settings, db_path, clock)
    store.seed()
    at(clock, "UTC", 2026, 11, 24, 8, 0)
    subscribe(built, tz="UTC")
    add_fact(built, "Microsoft signs the HBM deal with Samsung", ("samsung", "hbm"))
    at(clock, "UTC", 2026, 11, 24, *down_at)
    built.services.digests.deliver_due(CHANNEL)
    before = len(posts(fake_slack))
    store.close()
    at(clock, "UTC", 2026, 11, 24, *up_at)
    store, built = restart(settings, db_path, clock)
    built.services.digests.catch_up()
    built.services.digests.catch_up()
    assert len(posts(fake_slack)) - before == posts_on_start
    assert len(posts(fake_slack)) == 1 if posts_on_start or before else True
    # Whatever happened, the development is posted by the next day's digest at the latest.
    at(clock, "UTC", 2026, 11, 25, 9, 0, 10)
    built.services.digests.deliver_due(CHANNEL)
    assert any("HBM deal" in call.params["text"] for call in posts(fake_slack))
    store.close()


def test_a_crash_between_claiming_and_posting_never_posts_twice(
    fake_slack: FakeSlack, settings: Settings, db_path: Any, clock: DateClock
) -> None:
    store, built = restart(settings, db_path, clock)
    store.seed()
    at(clock, "UTC", 2026, 11, 24, 8, 0)
    subscribe(built, tz="UTC")
    add_fact(built, "A development whose post was cut short", ("samsung",))
    at(clock, "UTC", 2026, 11, 24, 9, 0, 10)
    store.record_slot(f"{CHANNEL}|2026-11-24T09:00", {"status": "claimed", "at": "x"})
    store.close()
    store, built = restart(settings, db_path, clock)
    built.services.digests.catch_up()
    assert posts(fake_slack) == []
    assert "Tue 24 Nov 2026 09:00 was interrupted" in digest_status_text(built)
    at(clock, "UTC", 2026, 11, 25, 9, 0, 10)
    built.services.digests.deliver_due(CHANNEL)
    posted = posts(fake_slack)[0].params["text"]
    assert "cut short" in posted
    assert "The digest of Tue 24 Nov 2026 09:00 was interrupted; these may repeat" in posted
    assert "interrupted" not in digest_status_text(built), "said once, then settled"
    store.close()


def digest_status_text(built: Built) -> str:
    from handlers.commands.digest import status

    return status(built.services, CHANNEL).text


def test_a_long_digest_posts_a_headline_and_the_details_in_its_thread(
    fake_slack: FakeSlack, built: Built, clock: DateClock
) -> None:
    at(clock, "UTC", 2026, 11, 24, 8, 0)
    subscribe(built, tz="UTC")
    companies = ["samsung", "sk-hynix", "lg-electronics", "sk-telecom"]
    for n in range(70):
        add_fact(built, distinct(n, "Partnership milestone"), (companies[n % 4],))
    at(clock, "UTC", 2026, 11, 24, 9, 0, 30)
    assert built.services.digests.deliver_due(CHANNEL).kind == "posted"
    headline, *thread = posts(fake_slack)
    assert "thread_ts" not in headline.params
    assert "70 developments: 70 new" in headline.params["text"]
    assert thread and all(call.params["thread_ts"] == headline.response["ts"] for call in thread)
    shown = "".join(json.dumps(call.params["blocks"]) for call in thread)
    assert all(f"Partnership milestone {n}:" in shown for n in range(70))
    for call in posts(fake_slack):
        assert block_kit_problems(call.params["blocks"], 50) == []


# -- the real APScheduler ----------------------------------------------------------------------


def test_the_scheduler_runs_a_job_per_subscription_in_its_time_zone(
    fake_slack: FakeSlack, built: Built, clock: DateClock, store: FactStore
) -> None:
    at(clock, "Asia/Seoul", 2026, 11, 24, 8, 0)
    subscribe(built)
    scheduler = DigestScheduler(built.services.digests)
    scheduler.start()
    try:
        job = scheduler.scheduler.get_job(job_id(CHANNEL))
        assert job is not None and str(job.trigger.timezone) == "Asia/Seoul"
        assert job.next_run_time.astimezone(SEOUL).strftime("%H:%M") == "09:00"
        built.services.digests.set_paused(CHANNEL, True)
        assert scheduler.scheduler.get_job(job_id(CHANNEL)) is None
        built.services.digests.set_paused(CHANNEL, False)
        job = scheduler.scheduler.get_job(job_id(CHANNEL))
        assert job is not None
        add_fact(built, "Samsung and Microsoft agree on Galaxy AI features", ("samsung",))
        at(clock, "Asia/Seoul", 2026, 11, 24, 9, 0, 2)
        # Fire the job now, as the trigger would at 09:00 Seoul time.
        job.modify(next_run_time=datetime.now(UTC))
        post = fake_slack.wait_for(lambda: posts(fake_slack))[0]
        assert "Galaxy AI features" in post.params["text"]
    finally:
        scheduler.shutdown()
    assert not scheduler.scheduler.running


@pytest.mark.parametrize(
    ("zone", "at", "now", "shown"),
    [
        ("America/New_York", "02:30", datetime(2027, 3, 14, 5, 0, tzinfo=UTC), "03:30 EDT"),
        ("Europe/London", "01:30", datetime(2027, 3, 28, 0, 0, tzinfo=UTC), "02:30 BST"),
        ("Asia/Seoul", "09:00", datetime(2027, 3, 14, 0, 0, tzinfo=UTC), "09:00 KST"),
    ],
)
def test_the_next_run_is_shown_as_the_local_time_it_really_happens(
    zone: str, at: str, now: datetime, shown: str
) -> None:
    from slackbot.core.digests import local, next_run
    from storage.api import Subscription

    upcoming = next_run(Subscription("C1", "daily", at, zone), now)
    assert upcoming is not None and local(upcoming, zone).endswith(shown)


def test_digest_preview_shows_the_next_digest_to_the_asker_only(
    slack: SlackSender, fake_slack: FakeSlack, built: Built, clock: DateClock
) -> None:
    at(clock, "UTC", 2026, 11, 24, 8, 0)
    subscribe(built, tz="UTC")
    add_fact(built, "SK Telecom and Microsoft launch a telecom LLM", ("sk-telecom",))
    shown = digest(slack, fake_slack, "preview")
    assert "telecom LLM" in shown and "Only you see this preview" in shown
    assert posts(fake_slack) == [], "nothing is posted"


def test_a_digest_preview_needs_no_channel_and_no_slack(tmp_path: Any) -> None:
    import subprocess
    import sys

    env = {"SUMMITBOT_DB": str(tmp_path / "summit.json"), "PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-m", "slackbot", "digest", "--preview"]
    result = subprocess.run(
        [*run, "--since", "2024-05-01", "--track", "hbm"],
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert (
        "high bandwidth memory" in result.stdout
        and "A preview: nothing was posted" in result.stdout
    )
    assert "SK Telecom" not in result.stdout, "only what is tracked"
    unknown = subprocess.run(
        [*run, "--track", "nvidia"],
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert unknown.returncode == 2 and "nvidia" in unknown.stderr


def test_digest_status_names_the_replica_that_posts_only_with_several() -> None:
    subscription = Subscription(
        CHANNEL,
        "daily",
        "09:00",
        "Asia/Seoul",
        since="2026-11-24T00:00:00+00:00",
        created_by="U0ALICE",
    )

    def shown(**replicas: Any) -> str:
        message = render.digest_status(
            DigestStatus(subscription, "tomorrow 09:00", [], [], **replicas)
        ).to_dict()
        assert block_kit_problems(message["blocks"], 50) == []
        return json.dumps(message)

    assert "Posted by" not in shown()
    assert "Posted by: replica host-a:41 (the scheduler" in shown(
        leader="host-a:41", several_replicas=True
    )
    assert "no replica leads the scheduler right now" in shown(several_replicas=True)
