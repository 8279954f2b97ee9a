"""What a real workspace does to the app, as Slack sends it (signed HTTP): mentions and DMs,
a slow Slack, expired response URLs, Slack markup, long names, digests in the wrong places,
who may change a digest, and the app being uninstalled."""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from slackbot.app import Built
from slackbot.scheduler import DigestScheduler
from slackbot.slack import render
from slackbot.slack.markup import cut_at_word, to_plain_text
from storage.api import Entity, Fact, Source
from storage.repository import FactStore
from tests.fake_slack import BOT_USER, DateClock, FakeSlack, block_kit_problems, option_problems
from tests.slack_client import (
    DEFAULT_CHANNEL,
    SlackSender,
    block_actions,
    block_texts,
    message_action,
    opened_view,
    view_submission,
)

ALICE = "U0ALICE"
BOB = "U0BOB"
ADMIN = "U0ADMIN"


@pytest.fixture(autouse=True)
def workspace(fake_slack: FakeSlack) -> None:
    fake_slack.add_user(ALICE, profile={"display_name": "alice.k"}, tz="Asia/Seoul")
    fake_slack.add_user(BOB, profile={"display_name": "Bob Lee"}, tz="Europe/London")
    fake_slack.add_user(ADMIN)
    fake_slack.add_channel(DEFAULT_CHANNEL, "general", bot_member=True)


def shown(call_params: dict[str, Any]) -> str:
    blocks = call_params.get("blocks") or []
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    return "\n".join([call_params.get("text", ""), *block_texts(blocks)])


# -- mentions and the Messages tab -------------------------------------------------------------


def mention(slack: SlackSender, text: str, ts: str, **extra: Any) -> None:
    event = {"type": "app_mention", "user": ALICE, "text": text, "ts": ts, **extra}
    assert slack.event({"channel": DEFAULT_CHANNEL, **event}).status == 200


def replies_in(fake: FakeSlack, thread_ts: str) -> list[dict[str, Any]]:
    return [
        call.params
        for call in fake.calls_to("chat.postMessage", ok=True)
        if call.params.get("thread_ts") == thread_ts
    ]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("<@U0BOT> who samsung", "Samsung Electronics at the MS CEO Summit 2024"),
        ("<@U0BOT> whois 곽노정", "Kwak Noh-jung"),
        ("<@U0BOT> chips hbm", "HBM"),
        ("<@U0BOT>   search hbm supply", "match “hbm supply”"),
        ("<@U0BOT> help", "Summit Intel commands"),
        ("<@U0BOT> what is this", "I don't know “what is this”"),
        ("<@U0BOT>", "Summit Intel commands"),
        ("<@U0BOT> digest daily 09:00", "/digest"),
    ],
)
def test_a_mention_is_answered_in_its_thread(
    slack: SlackSender, fake_slack: FakeSlack, words: str, expected: str
) -> None:
    mention(slack, words, "1716000000.000100")
    reply = fake_slack.wait_for(lambda: replies_in(fake_slack, "1716000000.000100"))[0]
    assert expected in shown(reply)
    assert reply["channel"] == DEFAULT_CHANNEL
    assert block_kit_problems(reply.get("blocks"), 50) == []
    assert "share_answer" not in json.dumps(reply.get("blocks")), "no share button in a thread"


def test_a_mention_inside_a_thread_answers_in_that_thread(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    mention(slack, "<@U0BOT> who sk hynix", "1716000000.000300", thread_ts="1716000000.000001")
    reply = fake_slack.wait_for(lambda: replies_in(fake_slack, "1716000000.000001"))[0]
    assert "SK Hynix" in shown(reply)


def test_words_in_the_messages_tab_are_answered_there(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    fake_slack.add_channel("D0ALICE", "alice", is_im=True)
    message = {"type": "message", "channel": "D0ALICE", "channel_type": "im", "user": ALICE}
    slack.event({**message, "text": "chips hbm", "ts": "1716000001.000100"})
    posted = fake_slack.wait_for(
        lambda: [c.params for c in fake_slack.calls_to("chat.postMessage", ok=True)]
    )[0]
    assert posted["channel"] == "D0ALICE" and not posted.get("thread_ts")
    assert "HBM" in shown(posted)


def test_the_bots_own_and_other_bots_messages_are_not_answered(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    fake_slack.add_channel("D0ALICE", "alice", is_im=True)
    base = {"type": "message", "channel": "D0ALICE", "channel_type": "im", "text": "who lg"}
    slack.event({**base, "user": BOT_USER, "ts": "1.1"})
    slack.event({**base, "bot_id": "B0OTHER", "user": "U0OTHERBOT", "ts": "1.2"})
    slack.event({**base, "subtype": "message_changed", "ts": "1.3"})
    slack.event({**base, "channel_type": "channel", "user": ALICE, "ts": "1.4"})
    mention(slack, "<@U0BOT> who lg", "1.5", bot_id="B0OTHER")
    # One real question last: once it is answered, the others were long since handled.
    slack.event({**base, "user": ALICE, "text": "who samsung", "ts": "1.6"})
    fake_slack.wait_for(lambda: fake_slack.calls_to("chat.postMessage", ok=True))
    time.sleep(0.2)
    posts = fake_slack.calls_to("chat.postMessage")
    assert len(posts) == 1 and "Samsung" in shown(posts[0].params)


# -- acknowledge first -------------------------------------------------------------------------


def timed(send: Any) -> float:
    started = time.monotonic()
    reply = send()
    assert reply.status == 200, reply.body
    return time.monotonic() - started


def test_every_command_and_payload_is_acknowledged_within_3_s_while_users_info_is_slow(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore
) -> None:
    fake_slack.slow("users.info", 5)

    def command(text: str) -> Any:
        command_name, _, rest = text.partition(" ")
        return lambda: slack.command(
            command_name,
            rest,
            user_id=ALICE,
            response_url=fake_slack.response_url(),
            trigger_id=fake_slack.issue_trigger(),
        )

    sends = {
        text: command(text)
        for text in (
            "/whois samsung",
            "/who samsung",
            "/chips hbm",
            "/summit",
            "/summit help",
            "/summit search hbm",
            "/summit history F9",
            "/summit retract F9 wrong",
            "/summit add",
            "/summit edit F9",
            "/digest",
            "/digest daily 09:00",
            "/digest track hbm",
            "/digest now",
            "/digest pause",
            "/digest off",
            "/digest nonsense",
        )
    }
    share = {"action_id": "share_answer", "value": json.dumps({"command": "/whois", "text": "lg"})}
    menu = {"action_id": "fact_menu", "selected_option": {"value": "edit:F9"}}
    for name, action in (("share", share), ("fact menu", menu)):
        payload = block_actions(
            ALICE,
            action,
            response_url=fake_slack.response_url(),
            trigger_id=fake_slack.issue_trigger(),
        )
        sends[name] = lambda payload=payload: slack.interactive(payload)
    form = render.fact_form(curation_draft(), [], {"mode": "add"}, today="2024-05-14")
    retract = render.retract_form(store.fact("F9"), {"fact_id": "F9"})  # type: ignore[arg-type]
    for name, view in (("fact form", form), ("retract form", retract)):
        submitted = view_submission(view.to_dict(), {}, ALICE)
        sends[name] = lambda submitted=submitted: slack.interactive(submitted)
    sends["type-ahead"] = lambda: slack.interactive(
        {"type": "block_suggestion", "user": {"id": ALICE}, "team": {"id": "T0TEAM"}}
        | {"action_id": "entities", "value": "s"}
    )
    for callback, kind in (("add_summit_fact", "shortcut"), ("save_as_summit_fact", "message")):
        shortcut = {
            "type": "shortcut" if kind == "shortcut" else "message_action",
            "callback_id": callback,
            "user": {"id": ALICE},
            "team": {"id": "T0TEAM"},
            "channel": {"id": DEFAULT_CHANNEL, "name": "general"},
            "message": {"ts": "1.1", "text": "<@U0BOB> says so"},
            "trigger_id": fake_slack.issue_trigger(),
            "response_url": fake_slack.response_url(),
        }
        sends[callback] = lambda shortcut=shortcut: slack.interactive(shortcut)
    sends["mention"] = lambda: slack.event(
        {"type": "app_mention", "user": ALICE, "text": "<@U0BOT> who lg", "ts": "9.1"}
        | {"channel": DEFAULT_CHANNEL}
    )
    slowest = {name: timed(send) for name, send in sends.items()}
    assert max(slowest.values()) < 3.0, sorted(slowest.items(), key=lambda kv: -kv[1])[:3]
    # What needed Slack arrives after the acknowledgement: the search's answer, for one.
    assert fake_slack.wait_for(
        lambda: [p for p in fake_slack.response_posts if "match “hbm”" in shown(p)], timeout=15
    )
    # Let the other answers that waited on Slack finish before the fake Slack goes away.
    fake_slack.wait_for(lambda: fake_slack.in_flight == 0, timeout=15)
    time.sleep(0.5)


def curation_draft() -> Any:
    from slackbot.core.curation import FactDraft

    return FactDraft(statement="Samsung and Microsoft agree on HBM.", kind="hardware")


def test_answers_from_the_store_are_computed_in_the_request_thread_and_the_rest_pooled(
    slack: SlackSender, fake_slack: FakeSlack, built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14: an answer computed in-process is not handed to the listener pool and back;
    one that waits on Slack after acknowledging (users.info, a form) still is."""
    fake_slack.slow("users.info", 5)
    pool = built.app.listener_runner.listener_executor
    pooled: list[str] = []
    submit = pool.submit

    def counting_submit(function: Any, *args: Any, **kwargs: Any) -> Any:
        pooled.append(getattr(function, "__qualname__", str(function)))
        return submit(function, *args, **kwargs)

    monkeypatch.setattr(pool, "submit", counting_submit)
    for text in ("/whois samsung", "/who lg", "/chips hbm", "/summit", "/summit history F9"):
        name, _, rest = text.partition(" ")
        assert timed(lambda n=name, r=rest: slack.command(n, r, user_id=ALICE)) < 3.0
    assert pooled == [], "computed answers ran in the request thread"
    # ALICE's role is unknown until Slack's (slow) users.info answers: acknowledged at once,
    # the search itself answered from the pool through the response URL.
    watched = fake_slack.response_url()
    assert (
        timed(lambda: slack.command("/summit", "search hbm", user_id=ALICE, response_url=watched))
        < 3.0
    )
    assert pooled, "an answer waiting on Slack went to the listener pool"
    fake_slack.wait_for(lambda: fake_slack.in_flight == 0, timeout=15)


def test_a_form_submission_when_slack_cannot_confirm_the_admin_in_time_saves_nothing(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore
) -> None:
    fake_slack.slow("users.info", 5)
    facts_before = len(store.search("agree on hbm", 10))
    draft = curation_draft()
    form = render.fact_form(draft, [], {"mode": "add"}, today="2024-05-14").to_dict()
    reply = slack.interactive(view_submission(form, {"entities": ["samsung"]}, ALICE))
    assert reply.json()["response_action"] == "errors"
    assert "Submit again in a moment" in json.dumps(reply.json())
    assert len(store.search("agree on hbm", 10)) == facts_before


# -- confirmations that outlive the response URL --------------------------------------------------


def open_add_form(slack: SlackSender, fake: FakeSlack, channel: str) -> tuple[dict[str, Any], str]:
    response_url = fake.response_url()
    slack.command(
        "/summit",
        "add",
        user_id=ADMIN,
        channel_id=channel,
        trigger_id=fake.issue_trigger(),
        response_url=response_url,
    )
    call = fake.wait_for(lambda: fake.calls_to("views.open", ok=True))[0]
    return opened_view(call.params), response_url


def save(slack: SlackSender, view: dict[str, Any], statement: str) -> None:
    values = {"entities": ["lg-electronics"], "statement": statement}
    values |= {"status": "reported", "kind": "context", "source_title": "LG newsroom"}
    reply = slack.interactive(view_submission(view, values, ADMIN))
    assert reply.status == 200 and not reply.body.strip(), reply.body


def test_an_expired_response_url_falls_back_to_an_ephemeral_message(
    slack: SlackSender, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    view, response_url = open_add_form(slack, fake_slack, DEFAULT_CHANNEL)
    fake_slack.expire(response_url)  # the admin left the form open for over 30 minutes
    with caplog.at_level(logging.INFO, logger="slackbot.slack.delivery"):
        save(slack, view, "LG Electronics names a new AI lead for its Microsoft work.")
        ephemeral = fake_slack.wait_for(lambda: fake_slack.calls_to("chat.postEphemeral", ok=True))[
            0
        ]
        fake_slack.wait_for(lambda: "expired_url" in caplog.text)
    assert ephemeral.params["user"] == ADMIN and ephemeral.params["channel"] == DEFAULT_CHANNEL
    assert "Added `F" in shown(ephemeral.params)


def test_with_no_channel_to_fall_back_to_the_confirmation_comes_as_a_dm(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    fake_slack.add_channel("C0SECRET", "secret", private=True)  # the bot is not in it
    view, response_url = open_add_form(slack, fake_slack, "C0SECRET")
    fake_slack.expire(response_url)
    save(slack, view, "LG Electronics opens an AI lab with Microsoft in Seoul.")
    dm = fake_slack.wait_for(
        lambda: [
            c
            for c in fake_slack.calls_to("chat.postMessage", ok=True)
            if c.params["channel"] == ADMIN
        ]
    )[0]
    assert "Added `F" in shown(dm.params)


def test_an_answer_that_cannot_be_delivered_at_all_is_logged_as_a_warning(
    slack: SlackSender, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    response_url = fake_slack.response_url()
    fake_slack.expire(response_url)
    payload = block_actions(
        "U0GHOST",
        {"action_id": "fact_menu", "selected_option": {"value": "edit:F9"}},
        response_url=response_url,
        trigger_id=fake_slack.issue_trigger(),
    )
    payload["channel"] = {"id": "C0GONE"}
    with caplog.at_level(logging.WARNING, logger="slackbot.slack.delivery"):
        assert slack.interactive(payload).status == 200
        fake_slack.wait_for(lambda: "could not deliver" in caplog.text)
    record = next(r for r in caplog.records if "could not deliver" in r.getMessage())
    assert record.levelno == logging.WARNING and "expired_url" in record.getMessage()


def test_a_response_url_works_five_times_then_answers_used_url(fake_slack: FakeSlack) -> None:
    from slackbot.slack.delivery import post_to_response_url

    url = fake_slack.response_url()
    message = {"text": "hello"}
    assert [post_to_response_url(url, message) for _ in range(5)] == [None] * 5
    assert "used_url" in (post_to_response_url(url, message) or "")


# -- text from Slack and to Slack -----------------------------------------------------------------


def test_slack_markup_is_read_back_as_the_words_a_reader_saw() -> None:
    names = {"U0BOB": "Bob Lee"}.get
    text = (
        "<@U0BOB> says AT&amp;T &lt;3 <#C0NEWS|news> — <https://x.example/a?b=1|the report>, "
        "<https://y.example/> <mailto:a@b.example|a@b.example> <!here> <@U0NOBODY>"
    )
    assert to_plain_text(text, names) == (
        "@Bob Lee says AT&T <3 #news — the report (https://x.example/a?b=1), "
        "https://y.example/ mailto:a@b.example @here @U0NOBODY"
    )
    cut, was_cut = cut_at_word("word " * 300, 1000)
    assert was_cut and len(cut) <= 1000 and cut.endswith("word…")
    assert cut_at_word("short", 1000) == ("short", False)


def test_saving_a_message_prefills_plain_text_and_says_when_it_was_cut(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    def save_message(text: str) -> dict[str, Any]:
        before = len(fake_slack.calls_to("views.open", ok=True))
        slack.interactive(
            message_action(
                ADMIN,
                text,
                channel=(DEFAULT_CHANNEL, "general"),
                response_url=fake_slack.response_url(),
                trigger_id=fake_slack.issue_trigger(),
            )
        )
        calls = fake_slack.wait_for(
            lambda: fake_slack.calls_to("views.open", ok=True)[before:] or None
        )
        return opened_view(calls[0].params)

    view = save_message("<@U0BOB>: SK &amp; Microsoft <https://n.example/s|sign an MOU>")
    statement = next(b for b in view["blocks"] if b.get("block_id") == "statement")
    assert statement["element"]["initial_value"] == (
        "@Bob Lee: SK & Microsoft sign an MOU (https://n.example/s)"
    )
    assert "was cut" not in json.dumps(view)
    long_view = save_message("Samsung and Microsoft talk HBM. " * 60)
    statement = next(b for b in long_view["blocks"] if b.get("block_id") == "statement")
    prefilled = statement["element"]["initial_value"]
    assert len(prefilled) <= 1000 and prefilled.endswith("…") and " HB…" not in prefilled
    assert "was cut" in json.dumps(long_view)


def test_fallback_text_is_escaped_exactly_once(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore
) -> None:
    store.put_entity(Entity(id="at-t", name="AT&T", kind="company"))
    slack.command("/digest", "daily 09:00", user_id=ALICE)
    tracked = slack.command("/digest", "track at&t", user_id=ALICE).json()
    assert "AT&amp;T" in tracked["text"] and "&amp;amp;" not in tracked["text"]
    refused = slack.command("/summit", "retract F9 wrong", user_id=BOB).json()
    assert "<@U0ADMIN>" in refused["text"] and "&lt;@" not in refused["text"]
    status = slack.command("/digest", "status", user_id=BOB).json()
    assert "Set up by: <@U0ALICE>" in status["text"] and "&lt;@" not in status["text"]


def test_history_shows_local_times_and_people_by_name(slack: SlackSender) -> None:
    slack.command("/summit", "retract F9 denied", user_id=ADMIN)
    history = slack.command("/summit", "history F9")
    text = history.joined()
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", text), text
    assert re.search(r"\w{3} \d\d \w{3} \d{4} \d\d:\d\d UTC", text)
    assert "<@U0ADMIN> retracted" in text


def test_a_long_digest_thread_reply_carries_its_own_content_in_the_fallback(
    store: FactStore,
) -> None:
    from slackbot.core.digests import Development, Digest, DigestGroup

    facts = [
        Fact(f"F{n}", f"Development number {n}", "context", "reported", (), Source("Example"))
        for n in range(100, 160)
    ]
    groups = [DigestGroup(None, [Development(fact, None, "reported") for fact in facts])]
    digest = Digest("C0", "UTC", "2024-05-01T00:00:00+00:00", "2024-05-20T00:00:00+00:00", groups)
    _headline, *replies = render.digest_messages(digest)
    assert replies
    for reply in replies:
        payload = reply.to_dict()
        shown_ids = re.findall(r"`(F\d+)`", json.dumps(payload["blocks"]))
        assert all(f"Development number {fid[1:]}" in payload["text"] for fid in shown_ids)


# -- long names --------------------------------------------------------------------------------


@pytest.fixture
def long_named(store: FactStore) -> Entity:
    """A company an older version let in with a 240-character name (and id)."""
    entity = Entity(id="x" * 240, name="Very Long Name " * 16, kind="company")
    store.put_entity(entity)
    store.put_fact(
        Fact(
            id="F900",
            statement="The long-named company partners with Microsoft.",
            kind="partnership",
            status="reported",
            entity_ids=(entity.id,),
            source=Source("Example", "https://example.com/long"),
        )
    )
    return entity


def test_the_type_ahead_stays_within_slacks_option_limits(
    slack: SlackSender, long_named: Entity
) -> None:
    for typed in ("very long", ""):
        reply = slack.interactive(
            {"type": "block_suggestion", "user": {"id": ADMIN}, "team": {"id": "T0TEAM"}}
            | {"action_id": "entities"}
            | {"value": typed, "block_id": "entities"}
        )
        assert reply.status == 200, reply.body
        options = reply.json()["options"]
        assert options and all(option_problems(option) == [] for option in options)


def test_editing_a_fact_about_a_long_named_company_opens_and_saves(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore, long_named: Entity
) -> None:
    slack.command(
        "/summit",
        "edit F900",
        user_id=ADMIN,
        trigger_id=fake_slack.issue_trigger(),
        response_url=fake_slack.response_url(),
    )
    call = fake_slack.wait_for(lambda: fake_slack.calls_to("views.open", ok=True))[0]
    view = opened_view(call.params)
    values = {"statement": "The long-named company signs a deal with Microsoft."}
    reply = slack.interactive(view_submission(view, values, ADMIN))
    assert reply.status == 200 and not reply.body.strip(), reply.body
    saved = store.fact("F900")
    assert saved is not None and saved.entity_ids == (long_named.id,)
    assert "signs a deal" in saved.statement


def test_new_names_over_100_characters_are_refused(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    view, _url = open_add_form(slack, fake_slack, DEFAULT_CHANNEL)
    values = {
        "statement": "A new company joins the talks.",
        "status": "reported",
        "kind": "context",
        "source_title": "Example",
        "new_entity_name": "N" * 101,
    }
    reply = slack.interactive(view_submission(view, values, ADMIN))
    assert reply.json()["response_action"] == "errors"
    assert "100 characters" in reply.json()["errors"]["new_entity_name"]


# -- digests: where, and who may change them --------------------------------------------------


def test_a_digest_in_a_dm_or_a_group_dm_says_digests_go_to_channels(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    fake_slack.add_channel("D0ALICE", "alice", is_im=True)
    fake_slack.add_channel("G0GROUP", "mpdm-alice--bob-1", is_mpim=True, bot_member=True)
    in_dm = slack.command("/digest", "daily 09:00", user_id=ALICE, channel_id="D0ALICE").joined()
    assert "not to direct messages" in in_dm and "/invite" not in in_dm
    in_group = slack.command("/digest", "daily 09:00", user_id=ALICE, channel_id="G0GROUP")
    assert "not group DMs" in in_group.joined() and "/invite" not in in_group.joined()


def test_only_the_creator_and_admins_change_a_channels_digest(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore, clock: DateClock
) -> None:
    assert "Saved." in slack.command("/digest", "daily 09:00", user_id=ALICE).joined()
    for attempt in ("pause", "off", "track hbm", "weekly mon 10:00", "resume"):
        refused = slack.command("/digest", attempt, user_id=BOB).joined()
        assert "set up by" in refused and "<@U0ALICE>" in refused, attempt
    subscription = store.subscription(DEFAULT_CHANNEL)
    assert subscription is not None and not subscription.paused
    assert subscription.tracked_tags == () and subscription.cadence == "daily"
    assert "Paused." in slack.command("/digest", "pause", user_id=ADMIN).joined()
    assert "Resumed." in slack.command("/digest", "resume", user_id=ALICE).joined()
    assert "Set up by" in slack.command("/digest", "status", user_id=BOB).joined()
    # Anyone may ask for the digest now, and it names who set it up.
    clock.advance(timedelta(minutes=5))
    slack.command("/summit", "retract F9 denied", user_id=ADMIN)
    clock.advance(timedelta(minutes=5))
    assert slack.command("/digest", "now", user_id=BOB).status == 200
    post = fake_slack.wait_for(lambda: fake_slack.calls_to("chat.postMessage", ok=True))[0]
    assert "Set up by <@U0ALICE>" in shown(post.params)


def test_uninstalling_stops_every_digest_job_and_posts_nothing_after(
    slack: SlackSender, fake_slack: FakeSlack, built: Built, caplog: pytest.LogCaptureFixture
) -> None:
    scheduler = DigestScheduler(built.services.digests)
    scheduler.start()
    try:
        slack.command("/digest", "daily 09:00", user_id=ALICE)
        fake_slack.wait_for(scheduler.scheduler.get_jobs)
        with caplog.at_level(logging.WARNING):
            slack.event({"type": "app_uninstalled"})
            fake_slack.wait_for(lambda: not scheduler.scheduler.get_jobs())
        assert "stopping every digest job: the app was uninstalled" in caplog.text
        assert built.services.digests.post_now(DEFAULT_CHANNEL).kind == "inactive"
        assert fake_slack.calls_to("chat.postMessage") == []
    finally:
        scheduler.shutdown()


def test_a_revoked_bot_token_stops_digests_too(slack: SlackSender, built: Built) -> None:
    slack.event({"type": "tokens_revoked", "tokens": {"oauth": ["U0ALICE"]}})
    time.sleep(0.2)
    assert built.services.digests.halted is None, "user tokens are not the app's"
    slack.event({"type": "tokens_revoked", "tokens": {"bot": ["U0BOT"]}})
    deadline = time.monotonic() + 5
    while built.services.digests.halted is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert built.services.digests.halted == "the bot token was revoked"


# -- input hygiene and Slack's limits ----------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        ("Samsung \ud800 and Microsoft agree.", "lone surrogate"),
        ("Samsung \u0000 and Microsoft agree.", "NUL byte"),
        ("Samsung \u202e and Microsoft agree.", "bidirectional control character (U+202E)"),
        ("Samsung \u2066 and Microsoft agree.", "bidirectional control character (U+2066)"),
    ],
)
def test_invisible_or_broken_characters_in_a_form_get_a_field_error(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore, statement: str, named: str
) -> None:
    view, _url = open_add_form(slack, fake_slack, DEFAULT_CHANNEL)
    values = {"entities": ["samsung"], "statement": statement, "status": "reported"}
    values |= {"kind": "context", "source_title": "Example"}
    before = store.fact_count()
    reply = slack.interactive(view_submission(view, values, ADMIN))
    assert reply.status == 200, "never an empty 500"
    assert named in reply.json()["errors"]["statement"]
    assert store.fact_count() == before


def test_invisible_characters_in_a_question_are_dropped_and_it_is_answered(
    slack: SlackSender,
) -> None:
    for text in ("sam\u202esung", "sam\u0000sung", "samsung\u2069"):
        answer = slack.command("/whois", text).json()
        assert answer["blocks"][0]["text"]["text"].startswith("Samsung Electronics")
        assert "\u202e" not in json.dumps(answer, ensure_ascii=False)


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("source_title", "t" * 301, "300 characters"),
        ("source_url", "https://example.com/" + "a" * 1990, "2,000 characters"),
        ("source_url", "https://example.com/a b", "no spaces"),
        ("source_url", "https://example.com/a\tb", "no spaces"),
        ("source_url", "javascript:alert(1)", "http://"),
    ],
)
def test_source_links_and_titles_stay_within_limits(
    slack: SlackSender, fake_slack: FakeSlack, field: str, value: str, error: str
) -> None:
    view, _url = open_add_form(slack, fake_slack, DEFAULT_CHANNEL)
    values = {"entities": ["samsung"], "statement": "Samsung signs with Microsoft."}
    values |= {"status": "reported", "kind": "context", "source_title": "Example", field: value}
    reply = slack.interactive(view_submission(view, values, ADMIN))
    assert error in json.dumps(reply.json()["errors"])


def test_editing_a_fact_with_an_over_long_stored_source_opens_within_slacks_limits(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore
) -> None:
    """An older version stored a 400-character title: the form still opens."""
    old = store.fact("F9")
    assert old is not None
    store.put_fact(replace(old, source=Source("T" * 400, "https://example.com/" + "u" * 2100)))
    slack.command(
        "/summit",
        "edit F9",
        user_id=ADMIN,
        trigger_id=fake_slack.issue_trigger(),
        response_url=fake_slack.response_url(),
    )
    call = fake_slack.wait_for(lambda: fake_slack.calls_to("views.open"))[0]
    assert call.response["ok"], call.response


def test_clipping_never_leaves_a_link_open() -> None:
    fact_text = "x" * 2990 + " <https://example.com/long|the source>"
    clipped = render.clip(fact_text, 3000)
    assert len(clipped) <= 3000 and clipped.endswith("…")
    assert clipped.count("<") == clipped.count(">")
