"""Feeds to facts through Slack as Slack sends it (signed HTTP): admins add and poll feeds,
candidates are posted to the review channel, Approve / Edit / Reject clicks decide them,
and an approved fact is in /whois and the next digest at once."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from slackbot.app import Built
from slackbot.config import Settings
from slackbot.scheduler import DigestScheduler
from slackbot.slack.ids import REVIEW_APPROVE, REVIEW_EDIT, REVIEW_REJECT
from storage.repository import FactStore
from tests.fake_slack import DateClock, FakeSlack, block_kit_problems
from tests.feed_server import FeedServer, document
from tests.slack_client import (
    SlackSender,
    block_actions,
    block_texts,
    message_action,
    opened_view,
    view_submission,
)

ADMIN = "U0ADMIN"
ALICE = "U0ALICE"
REVIEW = "C0REVIEW"
NEWS = "C0NEWS"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, feeds_allow_private=True)


@pytest.fixture(autouse=True)
def workspace(fake_slack: FakeSlack) -> None:
    fake_slack.add_user(ALICE, profile={"display_name": "alice.k"}, tz="Asia/Seoul")
    fake_slack.add_user(ADMIN, tz="Asia/Seoul")
    fake_slack.add_channel(REVIEW, "intel-review", bot_member=True)
    fake_slack.add_channel(NEWS, "ai-news", bot_member=True)


def shown(params: dict[str, Any]) -> str:
    blocks = params.get("blocks") or []
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    return "\n".join([params.get("text", ""), *block_texts(blocks)])


def summit(
    slack: SlackSender, fake: FakeSlack, text: str, *, user: str = ADMIN, channel: str = REVIEW
) -> str:
    reply = slack.command("/summit", text, user_id=user, channel_id=channel)
    assert reply.status == 200
    return reply.joined()


def review_posts(fake: FakeSlack) -> list[dict[str, Any]]:
    return [
        c.params
        for c in fake.calls_to("chat.postMessage", ok=True)
        if c.params["channel"] == REVIEW
    ]


def buttons(params: dict[str, Any]) -> dict[str, str]:
    blocks = params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    found = {}
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("type") == "button":
                found[element["action_id"]] = element["value"]
    return found


def click(
    slack: SlackSender,
    fake: FakeSlack,
    action_id: str,
    value: str,
    *,
    user: str = ADMIN,
    ephemeral: bool = False,
) -> str:
    payload = block_actions(
        user,
        {"action_id": action_id, "value": value, "type": "button"},
        response_url=fake.response_url(),
        trigger_id=fake.issue_trigger(),
    )
    payload["channel"] = {"id": REVIEW, "name": "intel-review"}
    payload["container"] = {"type": "message", "is_ephemeral": ephemeral}
    assert slack.interactive(payload).status == 200
    return payload["trigger_id"]


def poll_and_wait(slack: SlackSender, fake: FakeSlack, text: str = "feeds poll") -> str:
    response_url = fake.response_url()
    slack.command("/summit", text, user_id=ADMIN, channel_id=REVIEW, response_url=response_url)
    path = response_url.removeprefix(fake.base)
    posts = fake.wait_for(
        lambda: [p for p in fake.response_posts if p["path"] == path][1:] or None, timeout=15
    )
    return shown(posts[0])


def test_feeds_to_the_review_channel_to_facts_in_whois_and_digests(
    slack: SlackSender,
    fake_slack: FakeSlack,
    server: FeedServer,
    store: FactStore,
    clock: DateClock,
) -> None:
    wire = server.serve("/wire", document("rss2.xml"))
    assert "New candidates for review will be posted in <#C0REVIEW>" in summit(
        slack, fake_slack, "review here"
    )
    added = summit(slack, fake_slack, f"feeds add <{wire}> every 1h")
    assert "Feed 1 (127.0.0.1" in added and "every 60 min" in added
    # A channel tracking Samsung gets its digest set up before anything is approved.
    slack.command("/digest", "daily 09:00", user_id=ADMIN, channel_id=NEWS)
    slack.command("/digest", "track samsung", user_id=ADMIN, channel_id=NEWS)
    done = poll_and_wait(slack, fake_slack)
    assert "Feed 1 (Seoul Tech Wire): 2 new items" in done
    posts = fake_slack.wait_for(
        lambda: review_posts(fake_slack) if len(review_posts(fake_slack)) == 2 else None
    )
    for post in posts:
        assert block_kit_problems(post["blocks"], 50) == []
        text = shown(post)
        # Feed text reaches Slack escaped: no mention, no @channel.
        assert "<@U0ADMIN>" not in text and "<!channel>" not in text
    first = shown(posts[0])
    assert "Samsung to supply HBM chips for Microsoft's AI servers" in first
    assert "Seoul Tech Wire" in first and "Names:* Samsung Electronics, HBM, Microsoft" in first
    assert "Suggested:* hardware, expected" in first
    # Posting respects Slack's one message per second in a channel.
    calls = [
        c for c in fake_slack.calls_to("chat.postMessage", ok=True) if c.params["channel"] == REVIEW
    ]
    assert calls[1].at - calls[0].at >= 0.95
    # Candidates are in no answer yet.
    assert "HBM chips for Microsoft's AI servers" not in slack.command("/whois", "samsung").joined()

    hbm_id = buttons(posts[0])[REVIEW_APPROVE]
    clock.advance(timedelta(minutes=5))
    click(slack, fake_slack, REVIEW_APPROVE, hbm_id)
    update = fake_slack.wait_for(lambda: fake_slack.calls_to("chat.update", ok=True))[0].params
    assert (
        update["channel"] == REVIEW and fake_slack.messages[update["ts"]]["text"] == update["text"]
    )
    approved = store.candidate(hbm_id)
    assert approved is not None and approved.state == "approved" and approved.fact_id
    assert f"Approved by <@{ADMIN}>" in shown(update) and approved.fact_id in shown(update)
    assert REVIEW_APPROVE not in json.dumps(update["blocks"])  # the buttons are gone
    fact = store.fact(approved.fact_id)
    assert fact is not None and fact.source.title == "Seoul Tech Wire"
    first = store.revisions_of(fact.id)[0]
    # Plain text: who approved it is the revision's own ``by``.
    assert (first.reason, first.by) == ("approved from feed 1 (Seoul Tech Wire)", ADMIN)
    assert "HBM chips for Microsoft's AI servers" in slack.command("/whois", "samsung").joined()
    digest = slack.command("/digest", "now", user_id=ADMIN, channel_id=NEWS).joined()
    assert "Posted the digest here" in digest
    posted = [
        c.params
        for c in fake_slack.calls_to("chat.postMessage", ok=True)
        if c.params["channel"] == NEWS
    ]
    assert any(fact.id in shown(p) or "HBM chips" in shown(p) for p in posted)

    # A second click on a decided candidate says so and changes nothing.
    before = len(fake_slack.calls_to("chat.update"))
    click(slack, fake_slack, REVIEW_APPROVE, hbm_id)
    said = fake_slack.wait_for(
        lambda: [p for p in fake_slack.response_posts if "already decided" in p.get("text", "")]
    )
    assert said and len(fake_slack.calls_to("chat.update")) == before

    # Someone who is not an admin is refused on every click.
    hynix_id = buttons(posts[1])[REVIEW_REJECT]
    click(slack, fake_slack, REVIEW_REJECT, hynix_id, user=ALICE)
    fake_slack.wait_for(
        lambda: [
            p for p in fake_slack.response_posts if "Only Summit Intel admins" in p.get("text", "")
        ]
    )
    assert store.candidate(hynix_id).state == "pending"  # type: ignore[union-attr]

    # Reject with a reason, through the form.
    trigger = click(slack, fake_slack, REVIEW_REJECT, hynix_id)
    opened = fake_slack.wait_for(lambda: fake_slack.calls_to("views.open", ok=True))[-1]
    assert opened.params["trigger_id"] == trigger
    view = opened_view(opened.params)
    submitted = slack.interactive(view_submission(view, {"reject_reason": "a rumour"}, ADMIN))
    assert submitted.status == 200 and not submitted.body.strip()
    rejected = store.candidate(hynix_id)
    assert rejected is not None and rejected.state == "rejected" and rejected.reason == "a rumour"
    last_update = fake_slack.wait_for(lambda: fake_slack.calls_to("chat.update", ok=True)[1:])[-1]
    assert "Rejected by" in shown(last_update.params) and "a rumour" in shown(last_update.params)
    assert "packaging plant" not in slack.command("/whois", "sk hynix").joined()


def test_edit_approves_on_save_and_the_queue_pages_newest_first(
    slack: SlackSender, fake_slack: FakeSlack, server: FeedServer, store: FactStore
) -> None:
    summit(slack, fake_slack, "review here")
    summit(slack, fake_slack, f"feeds add {server.serve('/atom', document('atom.xml'))}")
    poll_and_wait(slack, fake_slack)
    queue = summit(slack, fake_slack, "queue")
    assert "2 waiting for review" in queue
    assert queue.index("SK Telecom and Microsoft") < queue.index("Samsung to supply HBM")
    candidate = store.candidates("pending")[0]
    click(slack, fake_slack, REVIEW_EDIT, candidate.id, ephemeral=True)
    opened = fake_slack.wait_for(lambda: fake_slack.calls_to("views.open", ok=True))[-1]
    view = opened_view(opened.params)
    assert view["title"]["text"] == f"Approve {candidate.id}"
    statement = "SK Telecom and Microsoft agreed to build Korean-language AI models together."
    reply = slack.interactive(view_submission(view, {"statement": statement}, ADMIN))
    assert reply.status == 200 and not reply.body.strip()
    decided = store.candidate(candidate.id)
    assert decided is not None and decided.state == "approved"
    fact = store.fact(decided.fact_id or "")
    assert fact is not None and fact.statement == statement and fact.kind == "partnership"
    assert statement in slack.command("/whois", "sk telecom").joined()


def test_feeds_commands_are_for_admins_and_bad_input_is_answered(
    slack: SlackSender, fake_slack: FakeSlack, server: FeedServer
) -> None:
    assert "Only Summit Intel admins" in summit(slack, fake_slack, "feeds", user=ALICE)
    assert "Only Summit Intel admins" in summit(slack, fake_slack, "queue", user=ALICE)
    assert "No feeds yet" in summit(slack, fake_slack, "feeds")
    assert "only http:// and https://" in summit(slack, fake_slack, "feeds add file:///etc/passwd")
    assert "every 30m" in summit(slack, fake_slack, "feeds add https://a.example/rss every never")
    assert "There is no feed '9'" in summit(slack, fake_slack, "feeds remove 9")
    assert "`/summit feeds add URL" in summit(slack, fake_slack, "feeds frobnicate")
    url = server.serve("/gone", status=410)
    summit(slack, fake_slack, f"feeds add {url}")
    assert "HTTP 410" in poll_and_wait(slack, fake_slack, "feeds poll 1")
    listed = summit(slack, fake_slack, "feeds")
    assert "paused (the feed is gone (HTTP 410 Gone))" in listed and "last fetch" in listed
    assert "is polled again" in summit(slack, fake_slack, "feeds resume 1")
    assert "was removed" in summit(slack, fake_slack, "feeds remove 1")
    assert "Nothing waits for review" in summit(slack, fake_slack, "queue")


def test_a_big_poll_posts_one_summary(
    slack: SlackSender, fake_slack: FakeSlack, server: FeedServer, store: FactStore
) -> None:
    items = "".join(
        f"<item><title>Samsung order {word} for Microsoft datacentre {n}</title>"
        f"<link>https://big.example/{n}</link><guid>big-{n}</guid></item>"
        for n, word in enumerate(
            "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima".split()
        )
    )
    feed = f'<rss version="2.0"><channel><title>Big</title>{items}</channel></rss>'.encode()
    summit(slack, fake_slack, "review here")
    summit(slack, fake_slack, f"feeds add {server.serve('/big', feed)}")
    assert "12 new items" in poll_and_wait(slack, fake_slack)
    posts = fake_slack.wait_for(lambda: review_posts(fake_slack))
    assert len(posts) == 1 and "12 new items from 1 feed" in posts[0]["text"]
    assert all(c.review_ts for c in store.candidates())
    # The queue pages five at a time, newest first; Older shows the next page in place.
    first = summit(slack, fake_slack, "queue")
    assert "12 waiting for review" in first and "page 1 of 3" in first
    response_url = fake_slack.response_url()
    payload = block_actions(
        ADMIN,
        {"action_id": "review_page_older", "value": "2", "type": "button"},
        response_url=response_url,
        trigger_id=fake_slack.issue_trigger(),
    )
    slack.interactive(payload)
    path = response_url.removeprefix(fake_slack.base)
    page = fake_slack.wait_for(lambda: [p for p in fake_slack.response_posts if p["path"] == path])[
        0
    ]
    assert page["replace_original"] and "page 2 of 3" in shown(page)


def test_anyone_can_propose_and_hears_of_the_decision(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore
) -> None:
    summit(slack, fake_slack, "review here")
    miss = slack.command("/whois", "naver", user_id=ALICE).json()
    suggest = [
        e
        for b in miss["blocks"]
        for e in b.get("elements", [])
        if e.get("action_id") == "suggest_fact"
    ]
    assert suggest
    payload = block_actions(
        ALICE,
        {"action_id": "suggest_fact", "value": "miss", "type": "button"},
        response_url=fake_slack.response_url(),
        trigger_id=fake_slack.issue_trigger(),
    )
    slack.interactive(payload)
    opened = fake_slack.wait_for(lambda: fake_slack.calls_to("views.open", ok=True))[-1]
    view = opened_view(opened.params)
    statement = "Samsung said it will show Microsoft its Mach-2 AI chip in June."
    reply = slack.interactive(
        view_submission(
            view,
            {"suggest_statement": statement, "suggest_link": "https://n.example/m2?utm_source=x"},
            ALICE,
        )
    )
    assert reply.status == 200 and not reply.body.strip()
    fake_slack.wait_for(
        lambda: [
            p for p in fake_slack.response_posts if "your suggestion is C1" in p.get("text", "")
        ]
    )
    candidate = store.candidate("C1")
    assert candidate is not None and candidate.proposed_by == ALICE
    assert candidate.link == "https://n.example/m2" and candidate.entity_ids == (
        "samsung",
        "microsoft",
        "mach-2",
    )
    post = fake_slack.wait_for(lambda: review_posts(fake_slack))[0]
    assert "proposed by <@U0ALICE>" in shown(post)
    assert "Mach-2 AI chip" not in slack.command("/whois", "samsung").joined()
    click(slack, fake_slack, REVIEW_APPROVE, "C1")
    dm = fake_slack.wait_for(
        lambda: [
            c
            for c in fake_slack.calls_to("chat.postMessage", ok=True)
            if c.params["channel"] == ALICE
        ]
    )[0]
    assert "Approved by <@U0ADMIN>" in dm.params["text"]
    assert "Mach-2 AI chip" in slack.command("/whois", "samsung").joined()
    # The fact's history names the proposer as a mention Slack renders (the reason held
    # Slack markup, which the history escaped: people read "&lt;@U0ALICE&gt;").
    fact_id = store.candidate("C1").fact_id  # type: ignore[union-attr]
    history = slack.command("/summit", f"history {fact_id}").joined()
    assert "approved from a proposal by <@U0ALICE>" in history, history
    assert "&lt;@" not in history
    assert store.revisions_of(fact_id)[0].reason == "approved from a proposal by @U0ALICE"


def test_a_failing_feed_is_announced_once_and_its_recovery_once(
    slack: SlackSender, fake_slack: FakeSlack, server: FeedServer
) -> None:
    summit(slack, fake_slack, "review here")
    url = server.serve("/flaky", b"down", status=500)
    summit(slack, fake_slack, f"feeds add {url}")
    for _poll in range(6):
        assert "HTTP 500" in poll_and_wait(slack, fake_slack, "feeds poll 1")
    told = [shown(p) for p in review_posts(fake_slack)]
    assert len(told) == 1 and "failed 5 polls in a row: HTTP 500" in told[0]
    assert "failing (6 polls in a row)" in summit(slack, fake_slack, "feeds")
    server.serve("/flaky", document("rdf.xml"))
    poll_and_wait(slack, fake_slack, "feeds poll 1")
    told = fake_slack.wait_for(
        lambda: [shown(p) for p in review_posts(fake_slack) if "works again" in shown(p)]
    )
    assert len(told) == 1 and "1 new item" in told[0]


def test_the_scheduler_polls_due_feeds_and_posts_what_a_crash_left_unposted(
    built: Built, fake_slack: FakeSlack, server: FeedServer, store: FactStore
) -> None:
    services = built.services
    assert services.feeds is not None and services.review is not None
    services.review.set_review_channel(REVIEW, ADMIN)
    services.feeds.add(server.serve("/wire", document("rss2.xml")), ADMIN)
    # A candidate stored by a poll that was killed before it reached Slack.
    left = services.review.propose("Samsung showed Microsoft its Mach-2 chip.", ALICE)
    scheduler = DigestScheduler(services.digests, services.feeds)
    scheduler.start()
    try:
        posts = fake_slack.wait_for(
            lambda: review_posts(fake_slack) if len(review_posts(fake_slack)) == 3 else None,
            timeout=15,
        )
    finally:
        scheduler.shutdown()
    assert any(left.id in shown(p) for p in posts)
    assert all(c.review_ts for c in store.candidates())


def test_approving_a_story_already_a_fact_says_why_and_offers_edit(
    slack: SlackSender, fake_slack: FakeSlack, built: Built, store: FactStore
) -> None:
    assert built.services.review is not None
    existing = store.fact("F1")
    assert existing is not None
    candidate = built.services.review.propose(existing.statement, ALICE)
    click(slack, fake_slack, REVIEW_APPROVE, candidate.id)
    said = fake_slack.wait_for(
        lambda: [p for p in fake_slack.response_posts if "Not approved" in p.get("text", "")]
    )
    assert "reads like F1 already" in said[0]["text"] and "Use Edit" in said[0]["text"]
    assert store.candidate(candidate.id).state == "pending"  # type: ignore[union-attr]


def test_a_non_admin_saving_a_message_proposes_it(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore
) -> None:
    fake_slack.add_channel("C0GENERAL", "general", bot_member=True)
    summit(slack, fake_slack, "review here")
    slack.interactive(
        message_action(
            ALICE,
            "LG Electronics &amp; Microsoft <https://n.example/lg|sign an AI deal>",
            channel=("C0GENERAL", "general"),
            response_url=fake_slack.response_url(),
            trigger_id=fake_slack.issue_trigger(),
        )
    )
    said = fake_slack.wait_for(
        lambda: [p for p in fake_slack.response_posts if "your suggestion is" in p.get("text", "")]
    )
    assert said and not fake_slack.calls_to("views.open")  # no form: non-admins propose
    candidate = store.candidates()[0]
    assert candidate.proposed_by == ALICE and candidate.state == "pending"
    assert candidate.title == "LG Electronics & Microsoft sign an AI deal (https://n.example/lg)"
    assert candidate.link == "https://example.slack.com/archives/C0GENERAL/p1716000000.000100"
    assert candidate.entity_ids == ("lg-electronics", "microsoft")
    post = fake_slack.wait_for(lambda: review_posts(fake_slack))[0]
    assert "proposed by <@U0ALICE>" in shown(post)


def test_the_review_channel_is_a_channel_not_a_dm(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore
) -> None:
    fake_slack.add_channel("D0ADMIN", "admin", is_im=True)
    fake_slack.add_channel("G0GROUP", "mpdm-admin", is_mpim=True, bot_member=True)
    in_dm = summit(slack, fake_slack, "review here", channel="D0ADMIN")
    assert "has to be a channel everyone reviewing is in" in in_dm
    in_group = summit(slack, fake_slack, "review here", channel="G0GROUP")
    assert "not group DMs" in in_group and "/summit review here" in in_group
    assert "/digest" not in in_dm + in_group
    assert store.meta("review_channel") is None
