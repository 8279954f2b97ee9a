"""Issue 16, "Time": /summit timeline and /summit since, through signed HTTP, Socket Mode and
the console, on a real store."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from slackbot.config import Settings
from slackbot.core.curation import Curator, FactDraft
from slackbot.core.intel import SummitIntel
from slackbot.core.timeline import TIMELINE_PAGE, Timeline, timeline
from slackbot.slack import render
from storage.api import Fact, Revision, Source
from storage.repository import FactStore
from tests.fake_slack import DateClock, FakeSlack, block_kit_problems
from tests.fake_socket_mode import socket_mode_app
from tests.slack_client import SlackSender, block_texts


def dated(curator: Curator, statement: str, day: str, status: str = "reported") -> str:
    draft = FactDraft(
        statement=statement,
        kind="hardware",
        status=status,
        entity_ids=("samsung", "hbm"),
        source_url=f"https://news.example.com/{day}",
        source_title=f"Example Wire {day}",
        happened_on=day,
    )
    return curator.add(draft, "U0ADMIN").id


def store_fact(
    store: FactStore, statement: str, clock: DateClock, day: str | None = None, key: str = ""
) -> None:
    """A fact about Samsung's HBM written straight to the store (no near-duplicate check:
    these statements differ only in a number), with its revision."""
    stamp = clock.now.isoformat()
    store.add_fact(
        Fact(
            id="new",
            statement=statement,
            kind="hardware",
            status="reported",
            entity_ids=("samsung", "hbm"),
            source=Source("Example Wire", f"https://news.example.com/{key or day}"),
            happened_on=day,
            added_at=stamp,
            origin="admin",
        ),
        Revision("new", 1, stamp, "U0ADMIN", "added", {"status": [None, "reported"]}),
    )


def answer_text(reply: Any) -> str:
    """The answer's blocks as text, in order (the fallback text is checked elsewhere)."""
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    assert body["text"], "every message has a plain-text fallback"
    assert block_kit_problems(body["blocks"], 50) == []
    return "\n".join(block_texts(body["blocks"]))


def test_a_timeline_lists_facts_by_month_oldest_first_with_status_and_source(
    slack: SlackSender, store: FactStore, clock: DateClock
) -> None:
    curator = Curator(store, clock)
    late = dated(curator, "Samsung ships HBM3E samples to Microsoft.", "2024-09-03", "confirmed")
    early = dated(curator, "Samsung and Microsoft discuss HBM supply.", "2024-05-20")
    shown = answer_text(slack.command("/summit", "timeline samsung"))
    # The seed's claims were reported in May 2024 (the month its article gives, counted
    # from the first): before a fact of 20 May, never "Undated".
    assert shown.index("May 2024") < shown.index("F9") < shown.index(early)
    assert shown.index(early) < shown.index("September 2024") < shown.index(late)
    assert "Undated" not in shown and "reported May 2024" in shown
    assert "Confirmed" in shown and "Example Wire 2024-09-03" in shown


def test_since_cuts_the_timeline_and_a_bad_date_says_how_to_write_one(
    slack: SlackSender, store: FactStore, clock: DateClock
) -> None:
    curator = Curator(store, clock)
    early = dated(curator, "Samsung and Microsoft discuss HBM supply.", "2024-05-20")
    late = dated(curator, "Samsung ships HBM3E samples to Microsoft.", "2024-09-03")
    shown = answer_text(slack.command("/summit", "timeline hbm since 2024-06"))
    assert late in shown and early not in shown
    assert "F9" not in shown, "the seed's facts were reported in May 2024, whenever stored"
    mid_may = answer_text(slack.command("/summit", "timeline hbm since 2024-05-15"))
    assert early in mid_may and "F9" not in mid_may
    tomorrow = (clock.now + timedelta(days=1)).date().isoformat()
    nothing = answer_text(slack.command("/summit", f"timeline hbm since {tomorrow}"))
    assert "No facts about HBM since" in nothing
    bad = answer_text(slack.command("/summit", "timeline samsung since 2024-13-40"))
    assert "is not a date" in bad and "2024-06-01" in bad
    unknown = answer_text(slack.command("/summit", "timeline zzzzqq"))
    assert "Nothing matches" in unknown
    several = answer_text(slack.command("/summit", "timeline sk"))
    assert "sk hynix" in several and "sk telecom" in several


def test_a_long_timeline_pages_forward_by_date_within_block_kit_limits(
    store: FactStore, clock: DateClock
) -> None:
    for day in range(1, 29):
        for month in (6, 7, 8):
            on = f"2024-{month:02d}-{day:02d}"
            store_fact(store, f"Samsung HBM update of {on}.", clock, on)
    intel = SummitIntel(store)
    first = timeline(intel, "samsung", None)
    assert isinstance(first, Timeline)
    assert len(first.facts) == TIMELINE_PAGE and first.later > 0
    assert first.next_since is not None
    message = render.timeline(first).to_dict()
    assert block_kit_problems(message["blocks"], 50) == []
    assert f"since {first.next_since}" in json.dumps(message)
    second = timeline(intel, "samsung", first.next_since)
    assert isinstance(second, Timeline)
    assert second.facts[0].happened_on == first.next_since.isoformat()
    days = [f.happened_on for f in first.facts + second.facts if f.happened_on]
    assert days == sorted(days)


def test_since_is_a_digest_of_what_moved_for_one_person(
    slack: SlackSender, store: FactStore, clock: DateClock
) -> None:
    # A day after the store was seeded, so the seed's facts are not news.
    clock.advance(timedelta(days=1))
    curator = Curator(store, clock)
    start = clock.now
    added = dated(curator, "Samsung and Microsoft sign an HBM supply deal.", "2024-06-10")
    curator.retract("F13", "denied by LG", "U0ADMIN")
    clock.advance(timedelta(hours=1))
    day = start.date().isoformat()
    # Since a day in 2024: what was reported or happened since, whenever it was stored,
    # and the status changes recorded since; not the seed's May 2024 claims.
    shown = answer_text(slack.command("/summit", "since 2024-06-01"))
    assert added in shown and "New" in shown and "2024-06-10" in shown
    assert "F13" in shown and "denied by LG" in shown
    assert "F9" not in shown and "F1`" not in shown
    assert "only you see this" in shown
    # Since today: the retraction recorded today, not a story dated June 2024.
    today = answer_text(slack.command("/summit", f"since {day}"))
    assert "F13" in today and added not in today
    narrowed = answer_text(slack.command("/summit", f"since {day} sk telecom"))
    assert "Nothing moved about SK Telecom" in narrowed
    later = (start + timedelta(days=2)).date().isoformat()
    assert "Nothing moved since" in answer_text(slack.command("/summit", f"since {later}"))
    assert "is not a date" in answer_text(slack.command("/summit", "since last week"))
    assert "Say from which day" in answer_text(slack.command("/summit", "since"))
    assert "I don't know" in answer_text(slack.command("/summit", f"since {day} zzzzqq"))


def test_timeline_and_since_over_socket_mode(
    fake_slack: FakeSlack, settings: Settings, store: FactStore
) -> None:
    with socket_mode_app(fake_slack, settings, store) as command:
        answer = command("/summit", "timeline hbm", "U0ALICE")
        assert "Timeline: HBM" in "\n".join(block_texts(answer["blocks"]))
        # What moved since a day is answered after the acknowledgement, by response URL.
        assert command("/summit", "since 2020-01-01", "U0ALICE") == {}
        posted = fake_slack.wait_for(lambda: fake_slack.response_posts)
        assert "Summit Intel digest" in "\n".join(block_texts(posted[0]["blocks"]))


def test_the_console_answers_timeline_and_since(tmp_path: Any) -> None:
    from tests.test_console_and_cli import summitbot

    timeline_text = summitbot(tmp_path, "ask", "/summit timeline hbm").stdout
    assert "Timeline: HBM" in timeline_text and "May 2024" in timeline_text
    since_text = summitbot(tmp_path, "ask", "/summit since 2020-01-01 samsung").stdout
    assert "Summit Intel digest" in since_text and "F9" in since_text


def test_since_on_a_busy_store_answers_after_the_acknowledgement_and_shows_the_first_40(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore, clock: DateClock
) -> None:
    """What moved since a day is composed as a digest, which reads every fact (1.4 s at
    100,000 facts): it is acknowledged at once and answered through the response URL, and
    one answer shows the first 40 developments of however many."""
    clock.advance(timedelta(days=1))
    start = clock.now.date().isoformat()
    for number in range(60):
        clock.advance(timedelta(seconds=1))
        statement = f"Samsung HBM shipment number {number} reaches Microsoft."
        store_fact(store, statement, clock, key=f"ship/{number}")
    watched = fake_slack.response_url()
    reply = slack.command("/summit", f"since {start}", response_url=watched)
    assert reply.status == 200 and not reply.body, "acknowledged at once, with nothing in it"
    path = watched.removeprefix(fake_slack.base)
    (posted,) = fake_slack.wait_for(
        lambda: [p for p in fake_slack.response_posts if p["path"] == path]
    )
    assert block_kit_problems(posted["blocks"], 50) == []
    shown = "\n".join([posted["text"], *block_texts(posted["blocks"])])
    assert "60 development(s) since" in shown and "60 new" in shown
    assert "The first 40 are shown" in shown


def test_a_timeline_of_everything_on_a_large_store_is_answered_after_the_acknowledgement(
    slack: SlackSender, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At a million facts, sorting every fact (or finding every open claim) takes longer
    than Slack's 3 seconds: above WHOLE_STORE_AT_ONCE facts those answers come by response
    URL, while a company's timeline is still answered at once."""
    from slackbot.core import words

    monkeypatch.setattr(words, "WHOLE_STORE_AT_ONCE", 10)
    for text in ("timeline", "open", "timeline since 2024-01-01"):
        watched = fake_slack.response_url()
        reply = slack.command("/summit", text, response_url=watched)
        assert reply.status == 200 and not reply.body, text
        path = watched.removeprefix(fake_slack.base)
        fake_slack.wait_for(lambda p=path: [r for r in fake_slack.response_posts if r["path"] == p])
    assert "Timeline: HBM" in answer_text(slack.command("/summit", "timeline hbm"))
