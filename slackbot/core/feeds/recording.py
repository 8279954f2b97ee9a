"""A fetched feed's outcome written to the store exactly once: which items are new, which
retell a story already found, and the feed's validators and counters, all in one batch.

Feeds are recorded one at a time (deduplication looks across every feed), but the work of
deciding runs outside the store's lock, which every /whois also takes: only the final
write holds it. That write re-reads what an admin may have changed meanwhile (a candidate
decided, a feed paused or removed) and applies this poll's additions to it, so nothing an
admin did is overwritten."""

from __future__ import annotations

import bisect
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from cachetools import LRUCache

from slackbot.core.feeds.dedupe import (
    WINDOW,
    Headline,
    NearDuplicates,
    headline,
    same_development,
)
from slackbot.core.feeds.fetching import FetchResult
from slackbot.core.feeds.links import canonical_link
from slackbot.core.feeds.parsing import FeedItem
from slackbot.core.feeds.preparing import PreparedFeed, PreparedItem
from slackbot.core.intel import SummitIntel
from storage.api import Candidate, Fact, Feed, Source, fold

FAILING_AFTER = 5
MAX_BACKOFF = timedelta(hours=24)
# Keys of the items a feed served lately; feeds serve their newest few dozen.
SEEN_LIMIT = 2000
# At most this many candidates from one feed in one poll; the rest are left unseen, counted
# in ``Feed.held_back`` and proposed by the polls after (a feed that serves 5,000 items at
# once would otherwise bury every other feed's candidates in the review queue).
MAX_NEW_PER_POLL = 100
# Stored facts of an item's companies compared with it, nearest its day first.
FACT_LOOKS = 20
# Candidates found this recently are compared with new headlines (by their published
# dates, within dedupe.WINDOW of each other).
RECENT_FOUND = timedelta(days=30)
# Short GUIDs that are no URL or URN ("1", "42") are unique only within their feed.
_GLOBAL_GUID = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
# A new candidate's id until the write gives it the next free one.
_PENDING = "new:"


@dataclass
class PollReport:
    """One feed's poll: what came of it, for the person who asked and for the log."""

    feed: Feed
    result: str
    new: list[Candidate] = field(default_factory=list)
    merged: int = 0
    dropped: int = 0
    ok: bool = True
    held: int = 0  # new items left for the next poll (MAX_NEW_PER_POLL)
    became_failing: bool = False
    recovered: bool = False


@dataclass(frozen=True)
class _Retelling:
    """Another outlet's telling of a story already a candidate."""

    outlet: str
    link: str | None
    keys: tuple[str, ...]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def host_of(url: str) -> str:
    return (canonical_link(url) or url).split("/")[2] if "//" in url else url


def item_keys(item: FeedItem, feed_id: str) -> tuple[str, ...]:
    keys = []
    if item.guid:
        global_guid = _GLOBAL_GUID.match(item.guid) or len(item.guid) >= 16
        keys.append(f"guid:{item.guid}" if global_guid else f"guid:{feed_id}:{item.guid}")
    if item.link:
        keys.append(f"link:{item.link}")
    if not keys:
        keys.append(f"title:{feed_id}:{fold(item.title)}")
    return tuple(keys)


def candidate_of(
    prepared: PreparedItem,
    candidate_id: str,
    outlet: str,
    found: datetime,
    *,
    feed_id: str | None = None,
    keys: tuple[str, ...] = (),
) -> Candidate:
    """An item as a candidate; an undated item takes the time it was found, and says so."""
    item = prepared.item
    return Candidate(
        candidate_id,
        item.title,
        item.link,
        iso(item.published_at or found),
        iso(found),
        summary=item.summary,
        guid=item.guid,
        published_guessed=item.published_at is None,
        feed_id=feed_id,
        outlet=outlet,
        entity_ids=prepared.entity_ids,
        kind=prepared.kind,
        status=prepared.status,
        keys=keys,
        published_on=item.published_at.date().isoformat() if item.published_at else None,
    )


def _with_retelling(candidate: Candidate, retelling: _Retelling) -> Candidate:
    """The candidate with one more outlet telling the story (once per link)."""
    sources = list(candidate.sources)
    if retelling.link not in {candidate.link, *(source.url for source in sources)}:
        sources.append(Source(retelling.outlet, retelling.link))
    keys = tuple(dict.fromkeys([*candidate.keys, *retelling.keys]))
    return replace(candidate, sources=tuple(sources), keys=keys)


class PollRecorder:
    """Records polls for one FeedService, one feed at a time."""

    def __init__(
        self,
        intel: SummitIntel,
        clock: Callable[[], datetime],
        *,
        cpu_share: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``cpu_share``: at most this share of a core spent recording, by resting after
        each feed in proportion to the CPU it took. The serving process records with a
        quarter, so answering Slack keeps the rest; a terminal poll takes all it can."""
        self.intel = intel
        self.store = intel.store
        self.clock = clock
        self.cpu_share = cpu_share
        self._sleep = sleep
        self._lock = threading.Lock()
        # Recent headlines for near-duplicate checks, and the entity matcher they used.
        self._recent: NearDuplicates | None = None
        self._recent_matcher: object = None
        # Stored facts as headlines, by id (with the revision they were made from): an
        # item is compared with the facts of its companies and days.
        self._fact_headlines: LRUCache[str, tuple[int, Headline]] = LRUCache(maxsize=10_000)
        self._facts_by_companies: LRUCache[
            frozenset[str], tuple[tuple[int, ...], list[tuple[str, Fact]]]
        ] = LRUCache(maxsize=64)

    def record(self, feed: Feed, fetched: FetchResult, prepared: PreparedFeed | None) -> PollReport:
        with self._lock:
            started = time.thread_time()
            try:
                return self._record(feed, fetched, prepared)
            finally:
                if self.cpu_share < 1.0:
                    used = time.thread_time() - started
                    self._sleep(used * (1 / self.cpu_share - 1))

    def _record(
        self, feed: Feed, fetched: FetchResult, prepared: PreparedFeed | None
    ) -> PollReport:
        now = self.clock().astimezone(UTC)
        feed = replace(feed, last_fetch_at=iso(now))
        if fetched.moved_to and fetched.status == 200:
            feed = replace(feed, url=fetched.moved_to)
        next_fetch = iso(now + timedelta(minutes=feed.interval_minutes))
        if fetched.not_modified:
            polled = replace(feed, last_result="not modified", next_fetch_at=next_fetch)
            return self._write(PollReport(polled, "not modified"), {})
        if fetched.error or fetched.status != 200 or prepared is None:
            return self._failed(feed, fetched, now)
        parsed = prepared.parsed
        if not parsed.usable:
            return self._failed(feed, replace(fetched, error=parsed.problem), now)
        named = feed.name != host_of(feed.url) or not parsed.title
        feed = replace(
            feed,
            name=feed.name if named else parsed.title,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            problem=parsed.problem,
            next_fetch_at=next_fetch,
        )
        return self._items(feed, prepared.items, now)

    # -- outcomes -----------------------------------------------------------------------

    def _failed(self, feed: Feed, fetched: FetchResult, now: datetime) -> PollReport:
        if fetched.status is not None and fetched.status != 200:
            result = f"HTTP {fetched.status}"
        else:
            result = fetched.error or "failed"
        failures = feed.failures + 1
        # Exponential backoff: the interval doubled per failure in a row, at most a day.
        pause = min(timedelta(minutes=feed.interval_minutes) * 2 ** (failures - 1), MAX_BACKOFF)
        if fetched.retry_after is not None:
            pause = max(pause, timedelta(seconds=fetched.retry_after))
        feed = replace(
            feed,
            last_result=result,
            failures=failures,
            failing=feed.failing or failures >= FAILING_AFTER,
            next_fetch_at=iso(now + pause),
        )
        if fetched.status == 410:
            feed = replace(feed, paused=True, paused_reason="the feed is gone (HTTP 410 Gone)")
        return self._write(PollReport(feed, result, ok=False), {})

    def _recent_titles(self, now: datetime) -> NearDuplicates:
        """The headlines of the candidates found lately, kept from one poll to the next
        (built from the store once per process, when the first poll records)."""
        matcher = self.intel.matcher
        if self._recent is None or self._recent_matcher is not matcher:
            recent = NearDuplicates(matcher.mentions.canonical, story=matcher.mentions.story_names)
            found_since = iso(now - RECENT_FOUND)
            for candidate in self.store.candidates():
                if candidate.found_at >= found_since:
                    published = datetime.fromisoformat(candidate.published_at)
                    recent.add(candidate.id, candidate.title, published)
            self._recent, self._recent_matcher = recent, matcher
        return self._recent

    def _items(self, feed: Feed, items: list[PreparedItem], now: datetime) -> PollReport:
        seen = set(feed.seen)
        recent = self._recent_titles(now)
        new: dict[str, Candidate] = {}
        retellings: dict[str, list[_Retelling]] = {}
        fresh_keys: list[str] = []
        merged = dropped = counted = held = 0
        for prepared in items:
            item = prepared.item
            keys = item_keys(item, feed.id)
            if any(key in seen for key in keys):
                continue
            if len(new) >= MAX_NEW_PER_POLL:
                held += 1  # not marked seen: the next poll takes it
                continue
            fresh_keys += keys
            seen.update(keys)
            counted += 1
            if not prepared.wanted(feed.must):
                dropped += 1
                continue
            if item.link and self.store.has_fact_source([item.link]):
                continue
            published = item.published_at or now
            retelling = _Retelling(feed.name, item.link, keys)
            same = self._same_story(keys, prepared, published, new, recent)
            source_for = self._fact_of(same) if same is not None and same not in new else None
            if source_for is not None:
                same = None  # an approved story told again: offered as another source
            if same is None and source_for is None:
                source_for = self._fact_saying(prepared, published)
            if same is not None:
                merged += 1
                if same in new:
                    new[same] = _with_retelling(new[same], retelling)
                else:
                    retellings.setdefault(same, []).append(retelling)
                continue
            candidate = candidate_of(
                prepared, f"{_PENDING}{len(new)}", feed.name, now, feed_id=feed.id, keys=keys
            )
            if source_for is not None:
                candidate = replace(candidate, source_for=source_for)
            new[candidate.id] = candidate
            recent.add(candidate.id, prepared.headline, published)
        feed = replace(
            feed,
            last_result=f"{len(new)} new item{'s' if len(new) != 1 else ''}",
            items_seen=feed.items_seen + counted,
            proposed=feed.proposed + len(new),
            dropped=feed.dropped + dropped,
            held_back=held,
            seen=tuple(dict.fromkeys([*fresh_keys, *feed.seen]))[:SEEN_LIMIT],
        )
        if held:
            # The next fetch must bring the held items again, not a 304.
            feed = replace(feed, etag=None, last_modified=None)
        report = PollReport(feed, feed.last_result or "", merged=merged, dropped=dropped, held=held)
        report.new = list(new.values())
        return self._write(report, retellings)

    def _fact_of(self, candidate_id: str) -> str | None:
        """The fact an approved candidate became, while it is stored and not retracted."""
        candidate = self.store.candidate(candidate_id)
        if candidate is None or candidate.state != "approved" or not candidate.fact_id:
            return None
        fact = self.store.fact(candidate.fact_id)
        return fact.id if fact is not None and fact.status != "retracted" else None

    def _dated_facts(self, companies: frozenset[str]) -> list[tuple[str, Fact]]:
        """The facts naming these companies, by their own day; kept until a fact naming one
        of them changes (the store's entity versions), so a cycle of 200 feeds reads a
        company's facts once, not once per item."""
        ids = sorted(companies)
        stamp = self.store.entity_versions(ids)
        kept = self._facts_by_companies.get(companies)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        listed = sorted(
            (
                (fact.day_key, fact)
                for fact in self.store.facts_involving(ids)
                if fact.status != "retracted"
            ),
            key=lambda dated: dated[0],
        )
        self._facts_by_companies[companies] = (stamp, listed)
        return listed

    def _fact_saying(self, prepared: PreparedItem, published: datetime) -> str | None:
        """A stored fact reporting the same development as this item, dated within
        ``dedupe.WINDOW`` of it: the item is then another source for that fact."""
        story = prepared.headline
        if not story.companies:
            return None
        listed = self._dated_facts(story.companies)
        day = published.date()
        first = (day - timedelta(days=WINDOW.days)).isoformat()
        last = (day + timedelta(days=WINDOW.days)).isoformat()
        mentions = self.intel.matcher.mentions
        start = bisect.bisect_left(listed, first, key=lambda dated: dated[0])
        end = bisect.bisect_right(listed, last, key=lambda dated: dated[0])
        middle = bisect.bisect_left(listed, day.isoformat(), start, end, key=lambda d: d[0])
        # The facts of the item's own day first, then outwards; a busy company's hundreds
        # of facts in a week are not each compared with every item (FACT_LOOKS).
        nearest = sorted(
            range(max(start, middle - FACT_LOOKS), min(end, middle + FACT_LOOKS)),
            key=lambda at: abs(at - middle),
        )[:FACT_LOOKS]
        company_of = mentions.company_of
        for at in nearest:
            fact = listed[at][1]
            # Only a fact about the same companies can tell the same development: most
            # facts are passed over without being read as a headline.
            if {company_of(eid) for eid in fact.entity_ids} - {None} != story.companies:
                continue
            told = self._fact_headlines.get(fact.id)
            if told is None or told[0] != fact.revision:
                told = (
                    fact.revision,
                    headline(fact.statement, mentions.canonical, mentions.story_names),
                )
                self._fact_headlines[fact.id] = told
            if same_development(story, told[1]):
                return fact.id
        return None

    def _same_story(
        self,
        keys: tuple[str, ...],
        prepared: PreparedItem,
        published: datetime,
        new: dict[str, Candidate],
        recent: NearDuplicates,
    ) -> str | None:
        """The id of the candidate this item is (the same GUID or link) or retells."""
        for candidate in new.values():
            if set(keys) & set(candidate.keys):
                return candidate.id
        known = self.store.candidate_with_key(keys)
        if known is not None:
            return known.id
        return recent.find(prepared.headline, published)

    # -- the one write ----------------------------------------------------------------------

    def _write(self, report: PollReport, retellings: dict[str, list[_Retelling]]) -> PollReport:
        """Under the store's lock: the feed as an admin left it with this poll's state, the
        new candidates numbered, retellings added to candidates as they are now."""
        polled = report.feed
        with self.store.transaction():
            current = self.store.feed(polled.id)
            if current is None:  # removed while it was being polled
                return PollReport(polled, "removed", ok=False)
            feed = replace(
                polled,
                interval_minutes=current.interval_minutes,
                must=current.must,
                paused=current.paused or polled.paused,
                paused_reason=current.paused_reason or polled.paused_reason,
            )
            if report.ok:
                report.recovered = current.failing
                feed = replace(feed, failures=0, failing=False)
            else:
                report.became_failing = feed.failing and not current.failing
            first = int(self.store.next_candidate_id()[1:])
            numbered = {
                candidate.id: replace(candidate, id=f"C{first + offset}")
                for offset, candidate in enumerate(report.new)
            }
            changed = list(numbered.values())
            for candidate_id, told in retellings.items():
                candidate = self.store.candidate(candidate_id)
                if candidate is None:
                    continue
                for retelling in told:
                    candidate = _with_retelling(candidate, retelling)
                changed.append(candidate)
            try:
                self.store.record_poll(feed, changed)
            except Exception:
                # Not stored: the new headlines must not be found as stories next time.
                if self._recent is not None:
                    for pending in numbered:
                        self._recent.forget(pending)
                raise
        if self._recent is not None:
            for pending, candidate in numbered.items():
                self._recent.rename(pending, candidate.id)
        report.feed = feed
        report.new = list(numbered.values())
        return report
