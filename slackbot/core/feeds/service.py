"""Feeds and their polling: which feeds there are, when each is due, fetching them, and
previews of what a feed would give.

Fetches run on a pool of at most ``FETCH_WORKERS`` threads, so a slow feed holds up no
other; documents are parsed there or in a worker process (``preparing``), and what they
bring is recorded one feed at a time (``recording``), each in one batch."""

from __future__ import annotations

import logging
import multiprocessing
import re
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from slackbot.core.feeds.fetching import Fetcher, FetchResult, RefusedAddress
from slackbot.core.feeds.links import canonical_link
from slackbot.core.feeds.preparing import prepare_with, start_parsing_worker
from slackbot.core.feeds.recording import (
    PollRecorder,
    PollReport,
    candidate_of,
    host_of,
    iso,
    item_keys,
)
from slackbot.core.intel import SummitIntel
from slackbot.core.measures import CANDIDATES, FEED_POLLS
from slackbot.core.signals import Signal
from slackbot.core.wording import N_, said
from storage.api import Candidate, Feed, fold, utc_now

logger = logging.getLogger(__name__)

FETCH_WORKERS = 4
# Feeds whose last poll failed (a timeout most often) are fetched in a lane of their own,
# so a few slow or dead servers never hold the workers healthy feeds wait for.
FAILING_FETCH_WORKERS = 2
DEFAULT_INTERVAL = 30  # minutes
MIN_INTERVAL = 5
MAX_INTERVAL = 7 * 24 * 60
MAX_MUST_WORDS = 10

USAGE = N_(
    "`/summit feeds` lists the feeds; `/summit feeds add URL [every 30m] [must WORDS]`, "
    "`remove ID`, `pause ID`, `resume ID`, `poll [ID]`."
)


class FeedUsageError(ValueError):
    """What the admin typed cannot be done; the message says what to do instead. Each
    argument is a sentence (``said``), translated where it is shown."""

    def __str__(self) -> str:
        return " ".join(map(str, self.args))


@dataclass(frozen=True)
class FeedRequest:
    url: str
    interval: int = DEFAULT_INTERVAL
    must: tuple[str, ...] = ()


def poll_label(report: PollReport) -> str:
    """A poll's result as a bounded label."""
    if not report.ok:
        return "failed"
    return "not_modified" if report.result == "not modified" else "fetched"


def parse_interval(text: str) -> int:
    """'30m', '2h', '1d', '45' (minutes) -> minutes."""
    match = re.fullmatch(r"(\d{1,5})\s*(m|min|mins|minutes?|h|hours?|d|days?)?", text.strip())
    if not match:
        raise FeedUsageError(
            said(
                N_("“{typed}” is not an interval; write it like {examples}."),
                typed=text,
                examples="`every 30m`, `2h`",
            )
        )
    number = int(match.group(1))
    unit = (match.group(2) or "m")[0]
    minutes = number * {"m": 1, "h": 60, "d": 1440}[unit]
    if not MIN_INTERVAL <= minutes <= MAX_INTERVAL:
        raise FeedUsageError(
            said(
                N_("Poll between every {least} minutes and once a week; {typed} is outside that."),
                least=MIN_INTERVAL,
                typed=text,
            )
        )
    return minutes


def parse_add(text: str) -> FeedRequest:
    """``<url> [every 30m] [must <words>]``."""
    parts = text.split()
    if not parts:
        raise FeedUsageError(
            said(
                N_("Say which feed: {example}."),
                example="`/summit feeds add https://example.com/rss`",
            )
        )
    # Slack writes links as <https://…> or <https://…|label>.
    url = parts[0].strip("<>").split("|", 1)[0]
    rest = parts[1:]
    interval = DEFAULT_INTERVAL
    must: tuple[str, ...] = ()
    while rest:
        word = rest.pop(0).lower()
        if word == "every" and rest:
            interval = parse_interval(rest.pop(0))
        elif word == "must" and rest:
            must = tuple(dict.fromkeys(fold(w) for w in rest))
            rest = []
        else:
            raise FeedUsageError(said(N_("I don't know “{word}” here."), word=word), said(USAGE))
    if len(must) > MAX_MUST_WORDS:
        raise FeedUsageError(said(N_("Up to {most} must-words."), most=MAX_MUST_WORDS))
    return FeedRequest(url, interval, must)


@dataclass(frozen=True)
class Preview:
    """What a feed would give, stored nowhere (``feeds poll --dry-run``)."""

    result: str
    candidates: list[Candidate]
    dropped: int


class FeedService:
    """Feeds, polls and the candidates they give. Thread-safe."""

    def __init__(
        self,
        intel: SummitIntel,
        fetcher: Fetcher,
        *,
        clock: Callable[[], datetime] = utc_now,
        workers: int = FETCH_WORKERS,
        parse_processes: int = 0,
        record_cpu_share: float = 1.0,
        polled: Signal[[list[PollReport]]] | None = None,
    ) -> None:
        """``parse_processes``: worker processes that parse and match fetched documents
        (the serving process uses one, so polling leaves it free to answer); 0 parses in
        the fetching thread. ``record_cpu_share``: see ``PollRecorder``."""
        self.intel = intel
        self.store = intel.store
        self.fetcher = fetcher
        self.clock = clock
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="feed-fetch")
        self._failing_lane = ThreadPoolExecutor(
            FAILING_FETCH_WORKERS, thread_name_prefix="feed-fetch-failing"
        )
        # Polls in the background (asked for in Slack): never on a request thread.
        self._background = ThreadPoolExecutor(1, thread_name_prefix="feed-poll")
        # Made at the first parse (see _parser_pool): a pool holds pipes from the start.
        self._parse_processes = parse_processes
        self._parsers: Executor | None = None
        self._parsers_guard = threading.Lock()
        # Turning what a fetch brought into candidates, one feed at a time.
        # The clock itself, not a method of this service: the recorder held the service
        # that holds it, a cycle only a full garbage collection frees (a workspace let go of
        # stayed in memory until one ran).
        self._recorder = PollRecorder(
            intel, lambda: clock().astimezone(UTC), cpu_share=record_cpu_share
        )
        self._polling: set[str] = set()
        self._polling_guard = threading.Lock()
        # Told about every poll cycle's new candidates and feeds that fail or recover (the
        # review channel, App Homes): connected by the composition root.
        self.polled = polled if polled is not None else Signal()

    def close(self) -> None:
        self._background.shutdown(wait=True, cancel_futures=True)
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._failing_lane.shutdown(wait=True, cancel_futures=True)
        with self._parsers_guard:
            if self._parsers is not None:
                self._parsers.shutdown(wait=True, cancel_futures=True)
                self._parsers = None

    def _parser_pool(self) -> Executor | None:
        """The parsing processes, started when first needed: an app that never polls (and
        every app a test builds) holds no pool and none of its pipes."""
        if not self._parse_processes:
            return None
        with self._parsers_guard:
            if self._parsers is None:
                # Spawned, not forked: forking a process that runs threads can copy a
                # held lock.
                self._parsers = ProcessPoolExecutor(
                    self._parse_processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=start_parsing_worker,
                )
            return self._parsers

    def _now(self) -> datetime:
        return self.clock().astimezone(UTC)

    # -- the feed list ----------------------------------------------------------------

    def feeds(self) -> list[Feed]:
        return self.store.feeds()

    def require(self, feed_id: str) -> Feed:
        feed = self.store.feed(feed_id.strip().lstrip("#"))
        if feed is None:
            known = ", ".join(f.id for f in self.store.feeds())
            if not known:
                raise FeedUsageError(
                    said(
                        N_("There is no feed {feed}; none has been added yet."), feed=repr(feed_id)
                    )
                )
            raise FeedUsageError(
                said(
                    N_("There is no feed {feed} (feeds: {known})."), feed=repr(feed_id), known=known
                )
            )
        return feed

    def add(self, text: str, by: str) -> Feed:
        request = parse_add(text)
        try:
            self.fetcher.check(request.url)
        except RefusedAddress as refused:
            raise FeedUsageError(
                said(N_("That feed can't be added: {why}."), why=refused)
            ) from None
        canonical = canonical_link(request.url) or request.url
        with self.store.transaction():
            for feed in self.store.feeds():
                if canonical_link(feed.url) == canonical:
                    raise FeedUsageError(
                        said(
                            N_("That feed is already feed {id} ({name})."),
                            id=feed.id,
                            name=feed.name,
                        )
                    )
            now = iso(self._now())
            feed = Feed(
                self.store.next_feed_id(),
                request.url,
                name=host_of(request.url),
                interval_minutes=request.interval,
                must=request.must,
                added_by=by,
                added_at=now,
                next_fetch_at=now,
            )
            self.store.put_feed(feed)
        return feed

    def remove(self, feed_id: str) -> Feed:
        with self.store.transaction():
            feed = self.require(feed_id)
            self.store.delete_feed(feed.id)
        return feed

    def pause(self, feed_id: str, reason: str = "paused by an admin") -> Feed:
        with self.store.transaction():
            feed = replace(self.require(feed_id), paused=True, paused_reason=reason)
            self.store.put_feed(feed)
        return feed

    def resume(self, feed_id: str) -> Feed:
        with self.store.transaction():
            feed = replace(
                self.require(feed_id),
                paused=False,
                paused_reason=None,
                failures=0,
                next_fetch_at=iso(self._now()),
            )
            self.store.put_feed(feed)
        return feed

    # -- polling ----------------------------------------------------------------------

    def due(self) -> list[Feed]:
        now = iso(self._now())
        return [feed for feed in self.store.feeds() if feed.due(now)]

    def poll_due(self) -> list[PollReport]:
        """The scheduler's job: every feed that is due."""
        return self.poll([feed.id for feed in self.due()])

    def poll(self, feed_ids: Iterable[str] | None = None) -> list[PollReport]:
        """Fetches the feeds (all that are not paused when none are named) now."""
        if feed_ids is None:
            feeds = [feed for feed in self.store.feeds() if not feed.paused]
        else:
            feeds = [self.require(feed_id) for feed_id in feed_ids]
        with self._polling_guard:
            feeds = [feed for feed in feeds if feed.id not in self._polling]
            self._polling.update(feed.id for feed in feeds)
        try:
            futures = [
                (self._failing_lane if feed.failures else self._pool).submit(
                    self._fetch_and_record, feed
                )
                for feed in feeds
            ]
            reports = [future.result() for future in futures]
        finally:
            with self._polling_guard:
                self._polling.difference_update(feed.id for feed in feeds)
        for report in reports:
            FEED_POLLS.labels(poll_label(report)).inc()
            CANDIDATES.inc(len(report.new))
        try:
            # Also with no reports: candidates a crash left unposted are posted then.
            self.polled(reports)
        except Exception:  # the poll is stored; telling Slack is retried next cycle
            logger.exception("telling the review channel about a poll failed")
        return reports

    def poll_in_background(
        self, feed_ids: Iterable[str] | None, then: Callable[[list[PollReport]], object]
    ) -> None:
        ids = None if feed_ids is None else list(feed_ids)

        def run() -> None:
            try:
                reports = self.poll(ids)
            except Exception:
                # Logged with its traceback; the person hears that nothing was polled.
                logger.exception("a poll asked for in Slack failed")
                reports = []
            then(reports)

        self._background.submit(run)

    def _fetch_and_record(self, feed: Feed) -> PollReport:
        try:
            fetched = self.fetcher.fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified)
            prepared = None
            if fetched.status == 200 and not fetched.error:
                # Parsed and matched before taking the recording lock: feeds parse in
                # parallel, only the store's part is one at a time.
                prepared = prepare_with(
                    self._parser_pool(),
                    fetched.content,
                    fetched.url,
                    fetched.content_type,
                    self.store.entities,
                    self.store.entities_version,
                )
        except Exception as error:  # one feed's surprise must not stop the others
            logger.exception("fetching feed %s failed", feed.id)
            fetched = FetchResult(None, feed.url, error=f"failed ({type(error).__name__})")
        return self._recorder.record(feed, fetched, prepared)

    # -- previews -------------------------------------------------------------------------

    def preview(self, url: str, must: tuple[str, ...] = ()) -> Preview:
        """The candidates a feed would give now, stored nowhere."""
        try:
            self.fetcher.check(url)
        except RefusedAddress as refused:
            raise FeedUsageError(said(N_("That feed can't be read: {why}."), why=refused)) from None
        fetched = self.fetcher.fetch(url)
        if fetched.error or fetched.status != 200:
            return Preview(fetched.error or f"HTTP {fetched.status}", [], 0)
        return self.preview_document(fetched.content, fetched.url, fetched.content_type, must)

    def preview_document(
        self, content: bytes, url: str, content_type: str | None = None, must: tuple[str, ...] = ()
    ) -> Preview:
        prepared = prepare_with(
            None, content, url, content_type, self.store.entities, self.store.entities_version
        )
        parsed = prepared.parsed
        if not parsed.usable:
            return Preview(parsed.problem or "unreadable", [], 0)
        now = self._now()
        chosen = []
        dropped = 0
        seen: set[str] = set()
        for number, ready in enumerate(prepared.items, start=1):
            keys = item_keys(ready.item, "preview")
            if seen.intersection(keys):
                continue  # the same GUID or link again: one candidate, as a poll makes
            seen.update(keys)
            if not ready.wanted(must):
                dropped += 1
                continue
            chosen.append(
                candidate_of(ready, f"preview-{number}", parsed.title or host_of(url), now)
            )
        result = f"{len(parsed.items)} items, {len(chosen)} would be proposed"
        if parsed.problem:
            result += f" ({parsed.problem})"
        return Preview(result, chosen, dropped)
