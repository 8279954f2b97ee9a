"""Issue 26, "Trust over time": each fact's three dates (reported, happened, recorded) used
for what they mean, feeds in any encoding dated in their own offset, the form's duplicate
check that tells different numbers and names apart, and digests that file a fact naming
several companies where it belongs. Through signed HTTP, a real store, and feeds served on
loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from slackbot.core.curation import Curator, FactDraft
from slackbot.core.feeds import FeedService, Fetcher, ReviewQueue
from slackbot.core.feeds.parsing import parse_feed
from slackbot.core.intel import SummitIntel
from storage.api import Fact
from storage.repository import FactStore
from tests.fake_slack import DateClock, FakeSlack, block_kit_problems
from tests.feed_server import FeedServer, document
from tests.slack_client import SlackSender, block_texts

SEOUL_MORNING = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Seoul Morning Wire</title><link>https://smw.example/</link>
<item>
  <title>Samsung and Microsoft sign an HBM3E supply deal</title>
  <link>https://smw.example/2024/06/10/samsung-hbm3e</link>
  <guid isPermaLink="false">smw-0610</guid>
  <pubDate>Mon, 10 Jun 2024 08:00:00 +0900</pubDate>
  <description>Samsung Electronics will supply HBM3E to Microsoft.</description>
</item>
</channel></rss>
"""


@pytest.fixture
def feeds(store: FactStore, clock: DateClock) -> Iterator[FeedService]:
    fetcher = Fetcher(allow_private=True, connect_timeout=1.0, total_timeout=3.0)
    service = FeedService(SummitIntel(store), fetcher, clock=clock)
    yield service
    service.close()
    fetcher.close()


def answer_text(reply: Any) -> str:
    body = reply.json()
    assert body["response_type"] == "ephemeral" and body["text"]
    assert block_kit_problems(body["blocks"], 50) == []
    return "\n".join(block_texts(body["blocks"]))


def since(slack: SlackSender, fake_slack: FakeSlack, words: str) -> str:
    """/summit since is answered after the acknowledgement when it is slow; either way, the
    answer's text."""
    watched = fake_slack.response_url()
    reply = slack.command("/summit", f"since {words}", response_url=watched)
    if reply.body:
        return answer_text(reply)
    path = watched.removeprefix(fake_slack.base)
    (posted,) = fake_slack.wait_for(
        lambda: [p for p in fake_slack.response_posts if p["path"] == path]
    )
    return "\n".join([posted["text"], *block_texts(posted["blocks"])])


# -- dates ---------------------------------------------------------------------------------


def test_since_on_a_fresh_store_leaves_out_the_articles_claims_reported_in_may_2024(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    """The defect: "19 development(s) since 2024-06-01: 19 new", because since read when
    the seed was stored."""
    after = since(slack, fake_slack, "2024-06-01")
    assert "Nothing moved since" in after
    before = since(slack, fake_slack, "2024-05-01")
    assert "19 development(s)" in before and "F9" in before


def test_the_seed_is_reported_in_may_2024_on_timelines_cards_and_claims(
    slack: SlackSender, store: FactStore, clock: DateClock
) -> None:
    assert {fact.reported_on for fact in store.facts()} == {"2024-05"}
    shown = answer_text(slack.command("/summit", "timeline"))
    assert "Undated" not in shown and "*May 2024*" in shown
    assert "reported May 2024" in shown
    later = answer_text(slack.command("/summit", "timeline since 2024-05-15"))
    assert "No facts since 2024-05-15" in later, "the date is no longer ignored"
    # An open claim's age counts from its report (the first of May 2024).
    age = (clock.now.date() - date(2024, 5, 1)).days
    assert f"open {age} days" in answer_text(slack.command("/summit", "F9"))


def test_a_feed_story_is_dated_by_its_publication_day_in_the_sources_own_offset(
    slack: SlackSender,
    fake_slack: FakeSlack,
    feeds: FeedService,
    server: FeedServer,
    store: FactStore,
    clock: DateClock,
) -> None:
    """08:00 on 10 June in Seoul is 23:00 on 9 June in UTC: the story was reported on 10
    June. Approved two years later, it still shows since June 2024 and not since July."""
    parsed = parse_feed(SEOUL_MORNING.encode(), "https://smw.example/rss")
    assert parsed.items[0].published_at is not None
    assert parsed.items[0].published_at.date() == date(2024, 6, 10)
    feed = feeds.add(server.serve("/smw", SEOUL_MORNING.encode()), "U0ADMIN")
    (report,) = feeds.poll([feed.id])
    (candidate,) = report.new
    assert candidate.published_on == "2024-06-10"
    queue = ReviewQueue(SummitIntel(store), Curator(store, clock), clock=clock)
    _decided, fact = queue.approve(candidate.id, "U0ADMIN")
    assert (fact.reported_on, fact.happened_on) == ("2024-06-10", None)
    assert fact.added_at[:4] == str(clock.now.year)
    june = since(slack, fake_slack, "2024-06-01")
    assert fact.id in june and "reported 2024-06-10" in june
    assert fact.id not in since(slack, fake_slack, "2024-07-01")
    assert fact.id in since(slack, fake_slack, "2024-06-10")


def test_a_digest_still_covers_what_was_recorded_and_shows_each_facts_own_date(
    store: FactStore, clock: DateClock
) -> None:
    from slackbot.core.digests import DigestService
    from slackbot.slack import render
    from storage.api import Subscription

    intel = SummitIntel(store)
    digests = DigestService(intel, None, clock=clock)
    stamp = clock.now.isoformat(timespec="microseconds")
    store.put_subscription(
        Subscription("C0NEWS", "daily", "09:00", "UTC", since=stamp, created_at=stamp)
    )
    clock.advance(timedelta(minutes=1))
    draft = FactDraft(
        statement="SK Hynix ships 12-layer HBM3E samples to Microsoft.",
        kind="hardware",
        entity_ids=("sk-hynix", "hbm"),
        source_title="Busan Tech Daily",
        reported_on="2024-06-11",
        happened_on="2024-06-07",
    )
    fact = Curator(store, clock).add(draft, "U0ADMIN")
    clock.advance(timedelta(minutes=1))
    digest = digests.preview("C0NEWS")
    assert [d.fact.id for d in digest.developments] == [fact.id], "recorded since the last"
    text = json.dumps([m.to_dict() for m in render.digest_messages(digest)])
    assert "2024-06-07" in text, "the day it happened, as the source says"


def test_stores_and_exports_from_before_reported_dates_gain_them_on_load(
    tmp_path: Path,
) -> None:
    seed_doc = {
        "id": "F3",
        "statement": "Bill Gates will meet the executives.",
        "kind": "attendance",
        "status": "reported",
        "entity_ids": ["bill-gates"],
        "source": {"title": "Article", "url": None},
        "origin": "seed",
    }
    feed_doc = {**seed_doc, "id": "F30", "origin": "feed", "happened_on": "2024-06-10"}
    admin_doc = {**seed_doc, "id": "F31", "origin": "admin", "happened_on": "2024-06-12"}
    seed, from_feed, by_admin = map(Fact.from_doc, (seed_doc, feed_doc, admin_doc))
    assert (seed.reported_on, seed.happened_on) == ("2024-05", None)
    assert (from_feed.reported_on, from_feed.happened_on) == ("2024-06-10", None)
    assert (by_admin.reported_on, by_admin.happened_on) == (None, "2024-06-12")
    assert Fact.from_doc(seed.to_doc()) == seed, "a new store's facts keep what they say"


def test_an_export_from_before_reported_dates_imports_every_fact_with_them(
    tmp_path: Path,
) -> None:
    from tests.test_console_and_cli import summitbot

    exported = summitbot(tmp_path, "export")
    assert exported.returncode == 0, exported.stderr
    old_lines = []
    for line in exported.stdout.splitlines():
        record = json.loads(line)
        if record.get("type", "fact") == "fact":
            record.pop("reported_on", None)
        old_lines.append(json.dumps(record))
    old = tmp_path / "old-export.jsonl"
    old.write_text("\n".join(old_lines) + "\n")
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    imported = summitbot(fresh, "import", str(old))
    assert imported.returncode == 0, imported.stderr
    again = summitbot(fresh, "export")
    facts = [json.loads(line) for line in again.stdout.splitlines()]
    facts = [f for f in facts if f.get("type", "fact") == "fact" and "statement" in f]
    assert len(facts) == 19
    assert {f["reported_on"] for f in facts} == {"2024-05"}


# -- feeds in any encoding -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "outlet", "title"),
    [
        ("utf16-bom.xml", "Busan Tech Daily", "SK Hynix ships 12-layer HBM3E samples"),
        ("utf16be-bom.xml", "Busan Tech Daily", "SK Hynix ships 12-layer HBM3E samples"),
        ("utf32-bom.xml", "Busan Tech Weekly", "SK Hynix ships 12-layer HBM3E samples"),
        ("latin1-undeclared.xml", "Société Tech Hebdo", "LG Electronics dévoile des téléviseurs"),
    ],
)
def test_a_feed_in_utf16_utf32_or_undeclared_latin1_is_read_without_a_false_warning(
    feeds: FeedService, server: FeedServer, name: str, outlet: str, title: str
) -> None:
    feed = feeds.add(server.serve(f"/{name}", document(name)), "U0ADMIN")
    (report,) = feeds.poll([feed.id])
    stored = feeds.store.feed(feed.id)
    assert stored is not None and stored.problem is None, stored.problem if stored else None
    (candidate,) = report.new
    assert candidate.title.startswith(title) and candidate.outlet == outlet
    assert "Ã" not in candidate.title and "\ufffd" not in candidate.title


# -- the form's duplicate check --------------------------------------------------------------


def test_different_amounts_dates_or_names_are_different_facts_and_a_near_copy_is_refused(
    store: FactStore, clock: DateClock
) -> None:
    curator = Curator(store, clock)

    def draft(statement: str, **more: Any) -> FactDraft:
        return FactDraft(
            statement=statement,
            kind="investment",
            entity_ids=("samsung",),
            source_title="Example Wire",
            **more,
        )

    stored = curator.add(draft("Samsung will invest $2 billion in HBM packaging in Korea."), "U0A")
    for different in (
        "Samsung will invest $3 billion in HBM packaging in Korea.",
        "Samsung will invest $2 million in HBM packaging in Korea.",
        "SK Hynix will invest $2 billion in HBM packaging in Korea.",
        "Samsung will invest $2 billion in HBM packaging in Korea by 2026.",
    ):
        assert curator.validate(draft(different)) == {}, different
    near = curator.validate(draft("Samsung will invest $2 billion in HBM packaging in Korea!"))
    assert stored.id in near["statement"] and "It is a different fact" in near["statement"]
    # The same amount written another way is the same fact.
    assert stored.id in curator.validate(
        draft("Samsung will invest $2bn in HBM packaging in Korea.")
    ).get("statement", "")
    anyway = draft("Samsung will invest $2 billion in HBM packaging in Korea!", different_fact=True)
    assert curator.validate(anyway) == {}
    # "may" is a verb, not the month: wording alone does not make a different fact.
    maybe = curator.validate(draft("Samsung may invest $2 billion in HBM packaging in Korea."))
    assert stored.id in maybe.get("statement", "")


def test_the_form_saves_a_fact_that_reads_like_another_when_the_admin_ticks_it(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore
) -> None:
    from slackbot.core import curation
    from tests.test_curation import GOOD, open_form, submit

    fake_slack.add_user("U0ADMIN", is_admin=False)
    copy = {
        **GOOD,
        curation.ENTITIES: ["sk-telecom"],
        curation.STATEMENT: "SK Telecom recently invested $100 million in AI startup Anthropic!",
    }
    view, _url = open_form(slack, fake_slack)
    refused = submit(slack, view, copy).json()
    assert refused["response_action"] == "errors"
    assert "It is a different fact" in refused["errors"][curation.STATEMENT]
    before = store.fact_count()
    view, _url = open_form(slack, fake_slack)
    saved = submit(slack, view, {**copy, curation.DIFFERENT_FACT: ["yes"]})
    assert saved.status == 200 and saved.body == ""
    assert store.fact_count() == before + 1


# -- where a fact naming several companies goes ----------------------------------------------


def test_a_fact_naming_several_companies_goes_under_the_one_asked_about_or_several(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    asked = since(slack, fake_slack, "2024-05-01 samsung, hbm")
    # F1 names all four companies: asked about Samsung, it is filed under Samsung.
    assert "*LG Electronics*" not in asked
    assert asked.index("*Samsung Electronics") < asked.index("`F1`")
    everything = since(slack, fake_slack, "2024-05-01")
    assert everything.index("*Several companies*") < everything.index("`F1`")


def test_a_candidate_dated_without_its_source_day_falls_back_to_the_readers_zone(
    store: FactStore,
) -> None:
    """Candidates stored before the source's own day was kept are dated as before."""
    from storage.api import Candidate

    intel = SummitIntel(store)
    queue = ReviewQueue(intel, Curator(store), clock=DateClock(datetime(2024, 6, 1, tzinfo=UTC)))
    old = Candidate("C1", "Samsung HBM news", None, "2024-06-09T23:00:00+00:00", "")
    assert queue.draft_for(old).reported_on == "2024-06-09"
