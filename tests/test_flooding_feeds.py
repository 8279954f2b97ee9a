"""A feed that floods: 5,000 items in one answer (issue 27, item 8). One poll proposes at
most MAX_NEW_PER_POLL; the rest wait, counted, for the polls after, and the feed list says
so. Against a real HTTP server on loopback and a real TinyDB store."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from slackbot.core.feeds import FeedService, Fetcher
from slackbot.core.feeds.recording import MAX_NEW_PER_POLL
from slackbot.core.intel import SummitIntel
from slackbot.slack.render import feed_line
from slackbot.slack.render.review import poll_done
from tests.fake_slack import DateClock
from tests.feed_server import FeedServer

START = datetime(2024, 5, 17, 9, 0, tzinfo=UTC)
WORDS = (
    "opens lab hires builds ships tests signs plans expands trains launches funds wins "
    "chips robots cloud models servers phones screens memory batteries drones cars homes "
    "Seoul Busan Austin Dublin Tokyo Paris Lima Oslo Cairo Perth Quito Riga Sofia Tunis"
).split()


def flood(count: int) -> bytes:
    chooser = random.Random(27)
    items = []
    for number in range(count):
        words = " ".join(chooser.sample(WORDS, 6))
        items.append(
            f"<item><title>Samsung Electronics {words} {number}</title>"
            f"<link>https://flood.example/{number}</link><guid>flood-{number}</guid>"
            f"<pubDate>Fri, 17 May 2024 08:00:00 +0000</pubDate></item>"
        )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Flood</title>'
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def test_a_feed_of_5000_items_proposes_a_capped_number_a_poll_and_the_rest_later(
    intel: SummitIntel, server: FeedServer
) -> None:
    fetcher = Fetcher(allow_private=True, total_timeout=20.0)
    feeds = FeedService(intel, fetcher, clock=DateClock(START))
    try:
        url = server.serve("/flood", flood(5000), etag='"v1"')
        feed = feeds.add(url, "U0ADMIN")
        first = feeds.poll([feed.id])[0]
        assert len(first.new) == MAX_NEW_PER_POLL
        stored = feeds.store.feed(feed.id)
        assert stored is not None
        assert first.held == stored.held_back == 5000 - MAX_NEW_PER_POLL - first.merged
        assert stored.etag is None  # the next fetch brings the held items, not a 304
        line = feed_line(stored, "UTC")
        assert f"{stored.held_back:,}".replace(",", "") in line.replace(",", "")
        assert "held for the next poll" in line
        assert "held for the next poll" in poll_done([first]).text

        second = feeds.poll([feed.id])[0]
        assert len(second.new) == MAX_NEW_PER_POLL
        assert not {c.id for c in first.new} & {c.id for c in second.new}
        assert len(feeds.store.candidates()) == 2 * MAX_NEW_PER_POLL
        assert server.requests_to("/flood")[1].headers.get("if-none-match") is None
    finally:
        feeds.close()
        fetcher.close()


def test_a_poll_under_the_cap_holds_nothing_back(intel: SummitIntel, server: FeedServer) -> None:
    fetcher = Fetcher(allow_private=True, total_timeout=10.0)
    feeds = FeedService(intel, fetcher, clock=DateClock(START))
    try:
        feed = feeds.add(server.serve("/few", flood(30), etag='"v1"'), "U0ADMIN")
        report = feeds.poll([feed.id])[0]
        stored = feeds.store.feed(feed.id)
        assert report.held == 0 and stored is not None and stored.held_back == 0
        assert stored.etag == '"v1"'
        assert "held" not in feed_line(stored, "UTC")
    finally:
        feeds.close()
        fetcher.close()
