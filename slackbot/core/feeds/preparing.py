"""A fetched document made ready for the review queue: parsed, each item matched to the
entities it names, its kind and status suggested, its headline normalised for
deduplication. All of it is CPU work on text that needs nothing from the store, so the
serving process can hand it to a worker process and keep answering Slack meanwhile (the
GIL would otherwise make every /whois wait behind feedparser)."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

from slackbot.core.feeds.classify import suggested_kind, suggested_status
from slackbot.core.feeds.dedupe import Headline, headline
from slackbot.core.feeds.parsing import FeedItem, ParsedFeed, parse_feed
from slackbot.core.matching import MentionFinder
from storage.api import Entity, fold

# How often a parsing worker looks whether the process that started it is still there.
PARENT_CHECK_SECONDS = 1.0


@dataclass(frozen=True)
class PreparedItem:
    item: FeedItem
    entity_ids: tuple[str, ...]
    folded: str  # title and summary, folded: what a feed's must-words are looked for in
    kind: str
    status: str
    headline: Headline

    def wanted(self, must: tuple[str, ...]) -> bool:
        """Whether it names a known entity and has every one of a feed's must-words."""
        return bool(self.entity_ids) and all(word in self.folded for word in must)


@dataclass(frozen=True)
class PreparedFeed:
    parsed: ParsedFeed
    items: list[PreparedItem]


# The finder a worker process built last, for the entities of that store version: entities
# rarely change, and building it for every document would cost more than matching.
_finder: tuple[int, MentionFinder] | None = None


def _mentions(entities: list[Entity], version: int) -> MentionFinder:
    global _finder
    if _finder is None or _finder[0] != version:
        _finder = (version, MentionFinder(entities))
    return _finder[1]


class EntitiesWanted(LookupError):
    """The worker has not seen the store's entities at this version: send them."""


def start_parsing_worker() -> None:
    """A parsing process's initializer: parsing yields the CPU to the process serving Slack,
    and the worker leaves when that process is gone. Killed (SIGKILL, the OOM killer), the
    server cannot shut its pool down, and a worker waiting on the pool's queue would wait
    forever: the queue's pipe never reads as closed, as the worker holds its other end too."""
    with contextlib.suppress(OSError):
        os.nice(10)
    threading.Thread(
        target=_leave_with, args=(os.getppid(),), name="leave-with-parent", daemon=True
    ).start()


def _leave_with(parent: int) -> None:
    # Orphaned, a process is adopted by another (init, or a subreaper): its parent id changes.
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


def prepare(
    content: bytes,
    url: str,
    content_type: str | None,
    entities: list[Entity] | None,
    version: int,
) -> PreparedFeed:
    """``entities`` may be None when this process already has them at ``version``."""
    if entities is None:
        if _finder is None or _finder[0] != version:
            raise EntitiesWanted(version)
        finder = _finder[1]
    else:
        finder = _mentions(entities, version)
    parsed = parse_feed(content, url, content_type)
    items = []
    for item in parsed.items:
        text = f"{item.title} {item.summary}"
        items.append(
            PreparedItem(
                item,
                tuple(finder.entity_ids(text)),
                fold(text),
                suggested_kind(text),
                suggested_status(text),
                headline(item.title, finder.canonical, finder.story_names),
            )
        )
    return PreparedFeed(parsed, items)


def prepare_with(
    executor: Executor | None,
    content: bytes,
    url: str,
    content_type: str | None,
    entities: Callable[[], list[Entity]],
    version: int,
) -> PreparedFeed:
    """In ``executor`` (a process pool) when there is one, else here. The entities (a
    large store knows thousands) travel to a worker only when it has not got them yet."""

    def run(known: list[Entity] | None) -> PreparedFeed:
        if executor is None:
            return prepare(content, url, content_type, known, version)
        return executor.submit(prepare, content, url, content_type, known, version).result()

    try:
        return run(None)
    except EntitiesWanted:
        return run(entities())
