"""Issue 16, "App Home as a control panel": published on app_home_opened off the request
thread, the viewer's digests with their buttons (same permission rules as /digest), the
admins' desk, rebuilt within 2 s of a change, within Block Kit's 100 blocks with paging."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from slackbot.app import Built, build
from slackbot.config import Settings
from slackbot.core.curation import FactDraft
from slackbot.slack.ids import HOME_ASK, HOME_PAUSE, HOME_PREVIEW, HOME_SEND_NOW
from storage.api import Subscription
from storage.repository import FactStore
from tests.fake_slack import FakeSlack, ManualClock, block_kit_problems
from tests.fake_socket_mode import socket_mode_app
from tests.slack_client import SlackSender, block_actions, block_texts

READER = "U0READER"
ADMIN = "U0ADMIN"
OTHER = "U0OTHER"


@pytest.fixture(autouse=True)
def workspace(fake_slack: FakeSlack) -> None:
    for user in (READER, ADMIN, OTHER):
        fake_slack.add_user(user)
    mine = fake_slack.add_channel("C0MINE", "mine", bot_member=True)
    mine.members.add(READER)
    joined = fake_slack.add_channel("C0JOINED", "joined", bot_member=True)
    joined.members.add(READER)
    fake_slack.add_channel("C0ELSEWHERE", "elsewhere", bot_member=True)


def subscribe(store: FactStore, channel: str, by: str) -> None:
    start = "2026-01-01T00:00:00+00:00"
    store.put_subscription(
        Subscription(channel, "daily", "09:00", "UTC", since=start, created_at=start, created_by=by)
    )


def published(fake: FakeSlack, user: str, after: int = 0, timeout: float = 5) -> dict[str, Any]:
    """The newest home published for ``user`` after the first ``after`` publishes."""
    calls = fake.wait_for(
        lambda: [
            c
            for c in fake.calls_to("views.publish", ok=True)[after:]
            if c.params["user_id"] == user
        ],
        timeout=timeout,
    )
    view = calls[-1].params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["type"] == "home"
    assert block_kit_problems(view["blocks"], 100) == []
    return view


def texts(view: dict[str, Any]) -> str:
    return "\n".join(block_texts(view["blocks"]))


def buttons(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]


def open_home(slack: SlackSender, user: str) -> None:
    reply = slack.event({"type": "app_home_opened", "user": user, "tab": "home"})
    assert reply.status == 200


def click(slack: SlackSender, fake: FakeSlack, user: str, button: dict[str, Any]) -> None:
    payload = block_actions(
        user,
        {"type": "button", "action_id": button["action_id"], "value": button["value"]},
        response_url="",
        trigger_id=fake.issue_trigger(),
    )
    payload.pop("response_url")
    payload.pop("channel")
    payload["container"] = {"type": "view", "view_id": "V0HOME"}
    assert slack.interactive(payload).status == 200


def test_a_reader_sees_the_overview_ask_buttons_and_only_their_digests(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore
) -> None:
    subscribe(store, "C0MINE", READER)
    subscribe(store, "C0JOINED", OTHER)
    subscribe(store, "C0ELSEWHERE", OTHER)
    subscribe(store, READER, READER)
    subscribe(store, OTHER, OTHER)
    open_home(slack, READER)
    view = published(fake_slack, READER)
    shown = texts(view)
    assert "MS CEO Summit 2024" in shown and "Your digests" in shown
    assert "<#C0MINE>" in shown and "<#C0JOINED>" in shown and "Your personal digest" in shown
    assert "<#C0ELSEWHERE>" not in shown, "a channel the reader is not in"
    assert "Admin desk" not in shown
    by_channel: dict[str, list[str]] = {}
    for button in buttons(view):
        by_channel.setdefault(button["value"], []).append(button["action_id"])
    assert HOME_PAUSE in by_channel["C0MINE"] and HOME_PAUSE in by_channel[READER]
    assert HOME_PAUSE not in by_channel["C0JOINED"], "not theirs to pause"
    assert {HOME_SEND_NOW, HOME_PREVIEW} <= set(by_channel["C0JOINED"])
    assert OTHER not in by_channel, "someone else's personal digest"
    assert [b for b in buttons(view) if b["action_id"].startswith(HOME_ASK)]


def test_admins_get_the_desk(
    slack: SlackSender, fake_slack: FakeSlack, built: Built, store: FactStore
) -> None:
    draft = FactDraft(
        statement="Samsung and Microsoft open a joint AI lab in Suwon.",
        kind="partnership",
        entity_ids=("samsung",),
        source_url="https://news.example.com/lab",
        source_title="Example News",
    )
    fact = built.services.curator.add(draft, ADMIN)
    open_home(slack, ADMIN)
    shown = texts(published(fake_slack, ADMIN))
    assert "Admin desk" in shown and "Review queue:* 0 candidate(s) waiting" in shown
    assert f"`{fact.id}` added by <@{ADMIN}>" in shown
    # The summit's claims are still open after more than 90 days: the desk lists them.
    assert "Open claims past due" in shown and "`F8`" in shown


def test_a_change_rebuilds_an_open_home(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore
) -> None:
    """A change is seen within WATCH_SECONDS (0.5 s) and the home published again; the
    wait below is generous so that a loaded machine does not fail it (no timing is judged
    in tests: the issue's 2 s is met by the watcher's interval plus one build)."""
    from slackbot.slack.home import WATCH_SECONDS

    assert WATCH_SECONDS <= 1.0
    subscribe(store, "C0MINE", READER)
    open_home(slack, READER)
    published(fake_slack, READER)
    before = len(fake_slack.calls_to("views.publish", ok=True))
    reply = slack.command("/digest", "pause", user_id=READER, channel_id="C0MINE")
    assert reply.status == 200
    view = published(fake_slack, READER, after=before)
    assert "Paused" in texts(view)
    # users.conversations (rate-limited) was asked when the home opened, not again for it.
    assert len(fake_slack.calls_to("users.conversations")) == 1


def test_the_buttons_follow_the_digest_rules(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore
) -> None:
    subscribe(store, "C0JOINED", OTHER)
    subscribe(store, "C0MINE", READER)
    open_home(slack, READER)
    view = published(fake_slack, READER)
    pause = next(b for b in buttons(view) if b["action_id"] == HOME_PAUSE)
    assert pause["value"] == "C0MINE"
    click(slack, fake_slack, READER, pause)
    fake_slack.wait_for(lambda: (s := store.subscription("C0MINE")) is not None and s.paused)
    # Pausing someone else's digest is refused (told as a DM), as /digest refuses it.
    click(slack, fake_slack, READER, {"action_id": HOME_PAUSE, "value": "C0JOINED"})
    told = fake_slack.wait_for(
        lambda: [
            c
            for c in fake_slack.calls_to("chat.postMessage", ok=True)
            if c.response["channel"] == f"D{READER}" and "only they and" in c.params["text"]
        ]
    )
    assert told
    subscription = store.subscription("C0JOINED")
    assert subscription is not None and not subscription.paused
    before = len(fake_slack.calls_to("views.open", ok=True))
    click(slack, fake_slack, READER, {"action_id": HOME_PREVIEW, "value": "C0JOINED"})
    fake_slack.wait_for(lambda: fake_slack.calls_to("views.open", ok=True)[before:])
    ask = next(b for b in buttons(view) if b["action_id"].startswith(HOME_ASK))
    before = len(fake_slack.calls_to("views.open", ok=True))
    click(slack, fake_slack, READER, ask)
    opened = fake_slack.wait_for(lambda: fake_slack.calls_to("views.open", ok=True)[before:])
    modal = opened[0].params["view"]
    modal = json.loads(modal) if isinstance(modal, str) else modal
    assert modal["type"] == "modal" and "Samsung Electronics" in json.dumps(modal)


def test_many_digests_page_within_100_blocks(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore
) -> None:
    for number in range(30):
        channel = fake_slack.add_channel(f"C0MANY{number:02d}", f"many{number}", bot_member=True)
        channel.members.add(READER)
        subscribe(store, channel.id, READER)
    open_home(slack, READER)
    first = published(fake_slack, READER)
    assert "Page 1 of 6" in texts(first)
    more = next(b for b in buttons(first) if b["action_id"].endswith("_more"))
    before = len(fake_slack.calls_to("views.publish", ok=True))
    click(slack, fake_slack, READER, more)
    second = published(fake_slack, READER, after=before)
    assert "Page 2 of 6" in texts(second) and "<#C0MANY05>" in texts(second)


def test_opening_never_waits_on_slack_in_the_request(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    fake_slack.slow("users.conversations", 3)
    open_home(slack, READER)
    # The event was answered while Slack was still being asked: nothing published yet.
    assert not fake_slack.calls_to("views.publish")
    published(fake_slack, READER, timeout=10)


def test_app_home_over_socket_mode(
    fake_slack: FakeSlack, settings: Settings, store: FactStore
) -> None:
    subscribe(store, READER, READER)
    with socket_mode_app(fake_slack, settings, store) as slack_over_socket:
        slack_over_socket.event({"type": "app_home_opened", "user": READER, "tab": "home"})
        assert "Your personal digest" in texts(published(fake_slack, READER))


def test_a_new_proposal_updates_the_admins_queue_count(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    """Candidates do not move the store's version: proposing (and deciding) one refreshes
    the open homes itself."""
    from slackbot.slack import render
    from slackbot.slack.ids import SUGGEST_STATEMENT
    from tests.slack_client import view_submission

    open_home(slack, ADMIN)
    assert "0 candidate(s) waiting" in texts(published(fake_slack, ADMIN))
    before = len(fake_slack.calls_to("views.publish", ok=True))
    form = render.suggest_form("", {}).to_dict()
    statement = {SUGGEST_STATEMENT: "Samsung and Microsoft plan a joint HBM lab in Pyeongtaek."}
    assert slack.interactive(view_submission(form, statement, READER)).status == 200
    view = published(fake_slack, ADMIN, after=before)
    assert "1 candidate(s) waiting" in texts(view)


def test_a_burst_of_changes_publishes_each_home_once_within_slacks_limit(
    fake_slack: FakeSlack, settings: Settings, store: FactStore
) -> None:
    """40 open homes and 5 changes at once made 200 views.publish calls in 11 s; Slack
    allows about 100 a minute per workspace. Now each home is published once for the
    opening and once for the changes, and no minute sees more than Slack allows."""
    from slackbot.slack.home import PUBLISH_BURST, PUBLISHES_PER_MINUTE

    clock = ManualClock()
    built = build(settings, store, monotonic=clock)
    board = built.services.home
    assert board is not None
    users = [f"U0HOME{n:02d}" for n in range(40)]
    for user in users:
        fake_slack.add_user(user)
    sent_at: list[float] = []
    try:

        def run(seconds: int, changes_at: int | None = None) -> None:
            for second in range(seconds):
                if second == changes_at:
                    for _change in range(5):
                        board.refresh()
                sent_at.extend([clock()] * board.dispatch())
                # Each second's homes are published before the clock moves on.
                fake_slack.wait_for(
                    lambda: len(fake_slack.calls_to("views.publish")) >= len(sent_at)
                )
                clock.advance(1.0)

        for user in users:
            board.opened(user)
        run(60, changes_at=30)  # five changes while the last homes still wait to open
        run(60)
    finally:
        board.close()
    assert len(sent_at) == 80, "each home: once opened, once for the changes; none dropped"
    per_user = Counter(c.params["user_id"] for c in fake_slack.calls_to("views.publish"))
    assert set(per_user) == set(users) and set(per_user.values()) == {2}
    busiest = max(sum(1 for at in sent_at if start <= at < start + 60) for start in sent_at)
    assert busiest <= PUBLISHES_PER_MINUTE + PUBLISH_BURST <= 100
