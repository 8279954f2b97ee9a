"""Feeds to candidates, against a real HTTP server on loopback and a real TinyDB store."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from slackbot.core.bulk import BulkCuration
from slackbot.core.curation import Curator, FactDraft
from slackbot.core.feeds import AlreadyDecided, FeedService, FeedUsageError, Fetcher, ReviewQueue
from slackbot.core.feeds.classify import suggested_kind, suggested_status
from slackbot.core.feeds.dedupe import NearDuplicates
from slackbot.core.feeds.fetching import RefusedAddress, check_url, retry_after_seconds
from slackbot.core.feeds.links import canonical_link
from slackbot.core.feeds.parsing import parse_feed
from slackbot.core.intel import CompanyCard, SummitIntel
from slackbot.slack.render import feed_line
from storage.repository import FactStore
from tests.fake_slack import DateClock
from tests.feed_server import FeedServer, document

START = datetime(2024, 5, 17, 9, 0, tzinfo=UTC)


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    client = Fetcher(allow_private=True, connect_timeout=1.0, total_timeout=1.5)
    yield client
    client.close()


@pytest.fixture
def feeds(intel: SummitIntel, fetcher: Fetcher) -> Iterator[FeedService]:
    service = FeedService(intel, fetcher, clock=DateClock(START))
    yield service
    service.close()


def by_title(service: FeedService) -> dict[str, object]:
    return {c.title: c for c in service.store.candidates()}


# -- parsing ------------------------------------------------------------------------------


def test_every_format_gives_its_items() -> None:
    for name, titles in {
        "rss2.xml": 4,
        "atom.xml": 2,
        "rdf.xml": 1,
        "rss091.xml": 1,
        "euckr.xml": 2,
        "euckr-undeclared.xml": 2,
    }.items():
        parsed = parse_feed(document(name), "https://feeds.example/x")
        assert parsed.usable and parsed.problem is None, name
        assert len(parsed.items) == titles, name


def test_korean_feeds_declared_or_not_read_as_cp949() -> None:
    for name in ("euckr.xml", "euckr-undeclared.xml"):
        parsed = parse_feed(document(name), "https://yna.example/rss")
        assert parsed.title == "연합 테크"
        first = parsed.items[0]
        assert first.title == "삼성전자, 마이크로소프트와 HBM 공급 계약 추진"
        assert first.summary.endswith("똠방각하")  # a CP949-only character survives
        assert first.published_at == datetime(2024, 5, 15, 0, 0, tzinfo=UTC)


def test_html_entities_links_and_dates_are_cleaned() -> None:
    parsed = parse_feed(document("rss2.xml"), "https://wire.example/feed.xml")
    first, undated = parsed.items[0], parsed.items[1]
    assert first.title == "Samsung to supply HBM chips for Microsoft's AI servers"
    assert first.summary == "Samsung Electronics is expected to ship HBM & SSDs."
    # Relative, tracking parameters and fragment gone, host lower-cased.
    assert first.link == "https://wire.example/2024/05/samsung-hbm?id=7"
    assert first.published_at == datetime(2024, 5, 14, 17, 30, tzinfo=UTC)
    assert undated.published_at is None


def test_a_malformed_feed_still_gives_its_items_with_the_problem() -> None:
    parsed = parse_feed(document("malformed.xml"), "https://broken.example/rss")
    assert parsed.usable and "malformed feed" in (parsed.problem or "")
    assert [item.title for item in parsed.items] == [
        "Microsoft & SK Hynix talk HBM supply",
        "Samsung Galaxy AI update",
    ]
    junk = parse_feed(b"<html><body>Not a feed</body></html>", "https://a.example/")
    assert not junk.usable


def test_a_path_as_a_body_is_never_opened() -> None:
    assert not parse_feed(b"/etc/passwd", "https://a.example/").items


def test_canonical_links() -> None:
    assert (
        canonical_link("HTTPS://News.Example:443/a?utm_source=x&b=1&fbclid=z&gclid=q#frag")
        == "https://news.example/a?b=1"
    )
    assert canonical_link("../b", "https://n.example/x/y/feed") == "https://n.example/x/b"
    assert canonical_link("javascript:alert(1)") is None
    assert canonical_link("http://n.example:8080") == "http://n.example:8080/"


def test_kinds_and_statuses_are_suggested_in_english_and_korean() -> None:
    assert suggested_kind("SK Hynix to invest in HBM") == "investment"
    assert suggested_kind("Samsung ships CXL drives") == "hardware"
    assert suggested_kind("LG signs MOU with Microsoft") == "partnership"
    assert suggested_kind("SK텔레콤, 마이크로소프트와 협력") == "partnership"
    assert suggested_kind("SK하이닉스 투자 확대") == "investment"
    assert suggested_kind("Nadella visits Seoul") == "attendance"
    assert suggested_kind("Nadella speaks in Seoul") == "context"
    assert suggested_status("Samsung could supply HBM") == "expected"
    assert suggested_status("삼성전자 공급 계약 추진") == "expected"
    assert suggested_status("Samsung supplied HBM") == "reported"
    assert suggested_status("Mayor of Seoul speaks") == "reported"


def test_entities_are_matched_on_whole_words(intel: SummitIntel) -> None:
    found = intel.matcher.mentioned_in
    assert found("LGBT rights and SKU counts; 5 ms latency") == []
    assert found("LG and SK hynix sign MOU") == ["lg-electronics", "sk-hynix"]
    assert found("삼성전자가 마이크로소프트와 협력") == ["samsung", "microsoft"]


def test_near_duplicate_titles_within_a_week() -> None:
    recent = NearDuplicates()
    published = datetime(2024, 5, 15, tzinfo=UTC)
    recent.add("C1", "Samsung to supply HBM chips for Microsoft's AI servers", published)
    retold = "Samsung to supply HBM chips for Microsoft AI servers - Chip Ledger"
    assert recent.find(retold, published + timedelta(hours=3)) == "C1"
    assert recent.find(retold, published + timedelta(days=8)) is None
    assert recent.find("Samsung", published) is None
    assert recent.find("SK Hynix to supply HBM chips for Google", published) is None


def test_retellings_match_after_normalising_and_other_developments_do_not(
    intel: SummitIntel,
) -> None:
    recent = NearDuplicates(intel.matcher.mentions.canonical)
    published = datetime(2024, 5, 15, tzinfo=UTC)
    recent.add("C1", "SK Telecom signs telco AI model deal with Microsoft in Seoul", published)
    for retold in (
        "SKT signs telco AI model deal with MS in Seoul | Korea Tech Daily - Outlet 7",
        "SK Telecom reportedly signs telco AI model deal with Microsoft in Seoul",
    ):
        assert recent.find(retold, published) == "C1", retold
    # The same words with another partner or another figure: a different development.
    assert (
        recent.find("SK Telecom signs telco AI model deal with Google in Seoul", published) is None
    )
    recent.add("C2", "Samsung to invest $2 billion in HBM line", published)
    assert recent.find("Samsung to invest $3 billion in HBM line", published) is None


# -- fetching -----------------------------------------------------------------------------


def test_only_public_http_addresses_are_fetched() -> None:
    for url in (
        "http://127.0.0.1/feed",
        "http://localhost/feed",
        "http://10.1.2.3/rss",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/feed",
        "http://[::ffff:192.168.0.1]/feed",
        "http://100.64.0.1/feed",
    ):
        with pytest.raises(RefusedAddress, match="inside the network"):
            check_url(url, allow_private=False)
    for url in ("file:///etc/passwd", "ftp://a.example/feed", "gopher://x"):
        with pytest.raises(RefusedAddress, match="only http"):
            check_url(url, allow_private=True)
    check_url("http://127.0.0.1/feed", allow_private=True)
    check_url("http://93.184.216.34/feed", allow_private=False)


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = datetime(2024, 5, 17, 9, 0, tzinfo=UTC)
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("Fri, 17 May 2024 09:02:00 GMT", now) == 120.0
    assert retry_after_seconds("soon") is None


def test_a_loopback_feed_is_refused_without_the_flag(
    intel: SummitIntel, server: FeedServer
) -> None:
    url = server.serve("/rss", document("rss2.xml"))
    strict = FeedService(intel, Fetcher(allow_private=False))
    try:
        with pytest.raises(FeedUsageError, match="SUMMITBOT_FEEDS_ALLOW_PRIVATE"):
            strict.add(url, "U0ADMIN")
        assert strict.fetcher.fetch(url).error.startswith("refused")  # type: ignore[union-attr]
        assert server.requests == []
    finally:
        strict.close()


def test_validators_are_sent_back_and_304_costs_nothing(
    feeds: FeedService, server: FeedServer
) -> None:
    url = server.serve(
        "/rss", document("rss2.xml"), etag='"v1"', last_modified="Wed, 15 May 2024 10:00:00 GMT"
    )
    feed = feeds.add(url, "U0ADMIN")
    first = feeds.poll([feed.id])[0]
    assert len(first.new) == 2 and first.result == "2 new items"
    second = feeds.poll([feed.id])[0]
    assert second.result == "not modified" and second.new == []
    sent = server.requests_to("/rss")[-1].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Wed, 15 May 2024 10:00:00 GMT"
    assert sent["user-agent"].startswith("SummitIntel/")
    assert "gzip" in sent["accept-encoding"]
    assert len(feeds.store.candidates()) == 2


def test_redirects_are_followed_and_a_permanent_one_remembered(
    feeds: FeedService, server: FeedServer
) -> None:
    new_url = server.serve("/new", document("atom.xml"), gzip=True)
    old_url = server.serve("/old", status=301, headers={"Location": "/new"})
    feed = feeds.add(old_url, "U0ADMIN")
    report = feeds.poll([feed.id])[0]
    assert report.ok and len(report.new) == 2
    assert feeds.store.feed(feed.id).url == new_url  # type: ignore[union-attr]
    for hop in range(7):
        server.serve(f"/loop{hop}", status=302, headers={"Location": f"/loop{hop + 1}"})
    looping = feeds.add(server.url("/loop0"), "U0ADMIN")
    assert "more than 5 redirects" in feeds.poll([looping.id])[0].result


def test_errors_back_off_and_mark_a_feed_failing_once(
    feeds: FeedService, server: FeedServer
) -> None:
    url = server.serve("/rss", b"oops", status=500)
    feed = feeds.add(url + "", "U0ADMIN")
    clock = feeds.clock
    assert isinstance(clock, DateClock)
    waits = []
    for poll in range(1, 7):
        report = feeds.poll([feed.id])[0]
        stored = feeds.store.feed(feed.id)
        assert stored is not None and stored.failures == poll
        waits.append(datetime.fromisoformat(stored.next_fetch_at or "") - clock())
        assert report.became_failing == (poll == 5)
        assert stored.failing == (poll >= 5)
    assert waits[:3] == [timedelta(minutes=30), timedelta(minutes=60), timedelta(minutes=120)]
    server.serve("/rss", document("rss091.xml"))
    recovered = feeds.poll([feed.id])[0]
    assert recovered.recovered and not feeds.store.feed(feed.id).failing  # type: ignore[union-attr]


def test_retry_after_is_honoured_and_gone_pauses(feeds: FeedService, server: FeedServer) -> None:
    limited = feeds.add(
        server.serve("/busy", status=429, headers={"Retry-After": "7200"}), "U0ADMIN"
    )
    feeds.poll([limited.id])
    waited = datetime.fromisoformat(feeds.store.feed(limited.id).next_fetch_at)  # type: ignore[union-attr, arg-type]
    assert waited - feeds.clock() == timedelta(hours=2)
    gone = feeds.add(server.serve("/gone", status=410), "U0ADMIN")
    feeds.poll([gone.id])
    stored = feeds.store.feed(gone.id)
    assert stored is not None and stored.paused and "410" in (stored.paused_reason or "")
    assert gone.id not in [feed.id for feed in feeds.due()]


def test_a_slow_feed_delays_no_other_and_times_out(intel: SummitIntel, server: FeedServer) -> None:
    # The stalled feed is given up after 4 s: ample time for the fast one on a busy machine.
    fetcher = Fetcher(allow_private=True, connect_timeout=1.0, total_timeout=4.0)
    feeds = FeedService(intel, fetcher, clock=DateClock(START))
    stalled = feeds.add(server.serve("/stall", stall=True), "U0ADMIN")
    fast = feeds.add(server.serve("/fast", document("rdf.xml")), "U0ADMIN")
    done: list[object] = []
    worker = threading.Thread(target=lambda: done.append(feeds.poll()))
    started = time.monotonic()
    worker.start()
    feeds_store = feeds.store
    while not feeds_store.candidates() and time.monotonic() - started < 8:
        time.sleep(0.01)
    assert feeds_store.candidates() and not done  # the fast feed is in, the slow one is not
    worker.join(10)
    feeds.close()
    fetcher.close()
    assert feeds_store.feed(stalled.id).last_result == "timed out"  # type: ignore[union-attr]
    assert feeds_store.feed(fast.id).last_result == "1 new item"  # type: ignore[union-attr]


def test_at_most_four_feeds_are_fetched_at_once(feeds: FeedService, server: FeedServer) -> None:
    for number in range(10):
        # Slow enough that four are in flight together even on a busy machine.
        feeds.add(server.serve(f"/slow{number}", document("rdf.xml"), delay=0.6), "U0ADMIN")
    reports = feeds.poll()
    assert len(reports) == 10 and all(report.ok for report in reports)
    assert server.most_in_flight == 4


def test_a_malformed_feed_says_so_in_the_feed_list(feeds: FeedService, server: FeedServer) -> None:
    feed = feeds.add(server.serve("/broken", document("malformed.xml")), "U0ADMIN")
    report = feeds.poll([feed.id])[0]
    assert report.ok and len(report.new) == 2
    stored = feeds.store.feed(feed.id)
    assert stored is not None and "malformed feed" in (stored.problem or "")
    assert "malformed feed" in feed_line(stored, "Asia/Seoul")


def test_a_body_over_5_mb_is_refused(intel: SummitIntel, server: FeedServer) -> None:
    fetcher = Fetcher(allow_private=True)
    huge = b"<rss><channel>" + b"<item><title>x</title></item>" * 400_000 + b"</channel></rss>"
    assert len(huge) > 10_000_000
    try:
        assert fetcher.fetch(server.serve("/huge", huge)).error == "larger than 5 MB"
        assert fetcher.fetch(server.serve("/huge-gz", huge, gzip=True)).error == "larger than 5 MB"
    finally:
        fetcher.close()


# -- candidates ---------------------------------------------------------------------------


def test_items_become_matched_deduplicated_candidates(
    feeds: FeedService, server: FeedServer
) -> None:
    wire = feeds.add(server.serve("/wire", document("rss2.xml")), "U0ADMIN")
    ledger = feeds.add(server.serve("/ledger", document("atom.xml")), "U0ADMIN")
    korean = feeds.add(server.serve("/kr", document("euckr.xml")), "U0ADMIN")
    # The wire first, so the second outlet's HBM story is the one merged into it.
    reports = feeds.poll([wire.id]) + feeds.poll([ledger.id]) + feeds.poll([korean.id])
    # The Korean outlet reports the wire's two stories in Korean: one story, one candidate.
    assert [len(r.new) for r in reports] == [2, 1, 0]
    assert reports[1].merged == 1 and reports[2].merged == 2
    found = {c.title: c for c in feeds.store.candidates()}
    hbm = found["Samsung to supply HBM chips for Microsoft's AI servers"]
    assert [s.title for s in hbm.sources] == ["Chip Ledger", "연합 테크"]
    assert hbm.entity_ids == ("samsung", "hbm", "microsoft", "ssd")
    assert (hbm.kind, hbm.status, hbm.outlet) == ("hardware", "expected", "Seoul Tech Wire")
    hynix = found["SK Hynix plans to invest in new packaging plant"]
    assert hynix.published_guessed and hynix.published_at == START.isoformat()
    assert (hynix.kind, hynix.status) == ("investment", "expected")
    assert found["SK Telecom and Microsoft partner on Korean AI models"].kind == "partnership"
    assert [s.title for s in hynix.sources] == ["연합 테크"]
    assert "SK하이닉스, 인공지능 반도체 투자 확대" not in found
    stored_wire = feeds.store.feed(wire.id)
    assert stored_wire is not None
    # Four items: LGBT/SKU named nobody; the repeated GUID counted once.
    assert (stored_wire.items_seen, stored_wire.proposed, stored_wire.dropped) == (3, 2, 1)
    assert ledger.id != korean.id
    # Polled again with no validators to help: nothing is proposed twice.
    assert all(r.new == [] for r in feeds.poll())
    assert len(feeds.store.candidates()) == 3


def test_must_words_filter_a_feed(feeds: FeedService, server: FeedServer) -> None:
    feed = feeds.add(server.serve("/wire", document("rss2.xml")) + " every 2h must hbm", "U0ADMIN")
    assert feed.interval_minutes == 120 and feed.must == ("hbm",)
    report = feeds.poll([feed.id])[0]
    assert [c.title for c in report.new] == [
        "Samsung to supply HBM chips for Microsoft's AI servers"
    ]
    with pytest.raises(FeedUsageError, match="every 30m"):
        feeds.add(server.url("/x") + " every soon", "U0ADMIN")
    with pytest.raises(FeedUsageError, match="already feed"):
        feeds.add(server.url("/wire"), "U0ADMIN")


def test_a_link_already_cited_by_a_fact_is_not_proposed(
    feeds: FeedService, server: FeedServer, store: FactStore
) -> None:
    curator = Curator(store)
    curator.add(
        FactDraft(
            statement="RDF says Samsung showed CXL drives to Microsoft.",
            entity_ids=("samsung",),
            source_url="https://rdf.example/cxl",
        ),
        "U0ADMIN",
    )
    feed = feeds.add(server.serve("/rdf", document("rdf.xml")), "U0ADMIN")
    assert feeds.poll([feed.id])[0].new == []


def test_a_dry_run_stores_nothing(feeds: FeedService, server: FeedServer) -> None:
    preview = feeds.preview(server.serve("/wire", document("rss2.xml")))
    assert [c.title for c in preview.candidates][:1] == [
        "Samsung to supply HBM chips for Microsoft's AI servers"
    ]
    assert feeds.store.candidates() == [] and feeds.store.feeds() == []


# -- the review queue ----------------------------------------------------------------------


def test_approving_makes_a_fact_and_rejecting_keeps_it_out(
    feeds: FeedService, server: FeedServer, intel: SummitIntel, store: FactStore
) -> None:
    feed = feeds.add(server.serve("/wire", document("rss2.xml")), "U0ADMIN")
    feeds.poll([feed.id])
    queue = ReviewQueue(intel, Curator(store), clock=DateClock(START))
    waiting = queue.pending().candidates
    assert len(waiting) == 2
    # Candidates appear in no answer.
    assert intel.search("packaging plant", 10).total == 0
    hbm = next(c for c in waiting if "HBM" in c.title)
    decided, fact = queue.approve(hbm.id, "U0ADMIN")
    assert decided.state == "approved" and decided.fact_id == fact.id
    assert fact.source.url == hbm.link and fact.source.title == "Seoul Tech Wire"
    # Published "Wed, 15 May 2024 02:30:00 +0900": reported on the source's own day.
    assert fact.reported_on == "2024-05-15" and fact.happened_on is None
    assert fact.origin == "feed"
    revision = store.revisions_of(fact.id)[0]
    assert revision.reason == f"approved from feed {feed.id} (Seoul Tech Wire)"
    assert revision.by == "U0ADMIN"
    card = intel.who("samsung")
    assert isinstance(card, CompanyCard)
    shown = [card.attendance, card.on_the_table, card.context]
    assert fact.id in {f.id for page in shown for f in page.facts}
    with pytest.raises(AlreadyDecided):
        queue.approve(hbm.id, "U0OTHER")
    other = next(c for c in waiting if c.id != hbm.id)
    rejected = queue.reject(other.id, "U0ADMIN", "<b>rumour</b>")
    assert rejected.reason == "rumour" and queue.pending().total == 0
    with pytest.raises(AlreadyDecided):
        queue.reject(other.id, "U0ADMIN")
    assert intel.search("packaging plant", 10).total == 0


def test_a_backup_keeps_the_feeds_the_queue_and_the_review_channel(
    feeds: FeedService, server: FeedServer, intel: SummitIntel, store: FactStore, tmp_path: Path
) -> None:
    feeds.add(server.serve("/wire", document("rss2.xml")), "U0ADMIN")
    feeds.poll()
    queue = ReviewQueue(intel, Curator(store))
    queue.set_review_channel("C0REVIEW", "U0ADMIN")
    first = queue.pending().candidates[0]
    queue.reject(first.id, "U0ADMIN", "old news")
    lines = list(BulkCuration(Curator(store)).export_lines())
    with FactStore(tmp_path / "restored" / "summit.json") as restored:
        report = BulkCuration(Curator(restored)).import_lines(lines, "restore")
        assert report.errors == []
        assert restored.feeds() == store.feeds()
        assert restored.candidates() == store.candidates()
        assert ReviewQueue(SummitIntel(restored), Curator(restored)).review_channel() == "C0REVIEW"
        # Deduplication knows the restored candidates: polling again proposes nothing.
        again = FeedService(SummitIntel(restored), feeds.fetcher, clock=feeds.clock)
        try:
            assert all(report.new == [] for report in again.poll())
        finally:
            again.close()


def open_pipes() -> int:
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:")
    return count


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="counts descriptors in /proc")
def test_a_feed_service_holds_no_parsing_processes_or_pipes_until_it_parses(
    intel: SummitIntel,
) -> None:
    """The serving process parses in a worker process; an app that has not polled yet (every
    app built, in tests hundreds of times) must not hold that pool's pipes open."""
    before = open_pipes()
    services = [FeedService(intel, Fetcher(), parse_processes=1) for _ in range(5)]
    assert open_pipes() == before
    for service in services:
        service.close()
    assert open_pipes() == before
