"""The review queue's tables in the TinyDB store: feeds and their poll state, and candidates
with the keys (GUIDs, canonical links) deduplication finds them by. A part of ``FactStore``
(which provides the lock and the journaled write), kept apart because it is its own idea."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from storage.models import Candidate, Fact, Feed, Revision
from storage.tables import CANDIDATES, FACTS, FEEDS, REVISIONS, Change, TablePart


class ReviewTables(TablePart):
    """Feeds and candidates, read from memory, written through ``FactStore._write``."""

    def _init_review_tables(self) -> None:
        self._feeds: dict[str, Feed] = {}
        self._candidates: dict[str, Candidate] = {}
        # Each GUID and canonical link a candidate is known by -> its id (deduplication).
        self._candidate_keys: dict[str, str] = {}
        self._highest_candidate = 0

    def _remember_review_doc(self, table_name: str, key: str, doc: dict[str, Any]) -> None:
        if table_name == FEEDS:
            self._feeds[key] = Feed.from_doc(doc)
            return
        candidate = Candidate.from_doc(doc)
        old = self._candidates.get(key)
        if old is not None:
            self._forget_candidate_keys(old)
        self._candidates[key] = candidate
        self._highest_candidate = max(self._highest_candidate, candidate.number)
        for candidate_key in candidate.keys:
            self._candidate_keys[candidate_key] = key

    def _forget_review_doc(self, table_name: str, key: str) -> None:
        if table_name == FEEDS:
            self._feeds.pop(key, None)
            return
        gone = self._candidates.pop(key, None)
        if gone is not None:
            self._forget_candidate_keys(gone)

    def _forget_candidate_keys(self, candidate: Candidate) -> None:
        for candidate_key in candidate.keys:
            if self._candidate_keys.get(candidate_key) == candidate.id:
                del self._candidate_keys[candidate_key]

    def feeds(self) -> list[Feed]:
        with self._reads:
            return sorted(self._feeds.values(), key=lambda feed: int(feed.id))

    def feed(self, feed_id: str) -> Feed | None:
        with self._reads:
            return self._feeds.get(feed_id)

    def next_feed_id(self) -> str:
        with self._lock:
            return str(max((int(key) for key in self._feeds), default=0) + 1)

    def put_feed(self, feed: Feed) -> None:
        with self._lock:
            self._write([(FEEDS, feed.id, feed.to_doc())])

    def delete_feed(self, feed_id: str) -> None:
        with self._lock:
            self._write([(FEEDS, feed_id, None)])

    def candidate(self, candidate_id: str) -> Candidate | None:
        with self._reads:
            return self._candidates.get(candidate_id.strip().upper())

    def candidate_with_key(self, keys: Iterable[str]) -> Candidate | None:
        """The candidate known by any of these GUIDs or canonical links, if one is."""
        with self._reads:
            for key in keys:
                found = self._candidate_keys.get(key)
                if found is not None:
                    return self._candidates[found]
            return None

    def candidates(self, state: str | None = None, since: str | None = None) -> list[Candidate]:
        """Candidates (in ``state``; published at or after ``since``), newest first."""
        with self._reads:
            chosen = [
                c
                for c in self._candidates.values()
                if (state is None or c.state == state)
                and (since is None or c.published_at >= since)
            ]
        chosen.sort(key=lambda c: (c.published_at, c.number), reverse=True)
        return chosen

    def next_candidate_id(self) -> str:
        with self._lock:
            # Never reused, even after a candidate is deleted: a Slack message may name it.
            return f"C{self._highest_candidate + 1}"

    def put_candidate(self, candidate: Candidate) -> None:
        with self._lock:
            self._write([(CANDIDATES, candidate.id, candidate.to_doc())])

    def record_poll(self, feed: Feed, candidates: list[Candidate]) -> None:
        """A poll's outcome in one durable batch: the feed's validators and seen items with
        the candidates they produced, so a crash loses neither half alone."""
        with self._lock:
            changes: list[Change] = [(FEEDS, feed.id, feed.to_doc())]
            changes += [(CANDIDATES, c.id, c.to_doc()) for c in candidates]
            self._write(changes)

    def record_decision(
        self, candidate: Candidate, fact: Fact | None = None, revision: Revision | None = None
    ) -> None:
        """A decided candidate with the fact it became, in one durable batch."""
        with self._lock:
            changes: list[Change] = [(CANDIDATES, candidate.id, candidate.to_doc())]
            if fact is not None:
                changes.append((FACTS, fact.id, fact.to_doc()))
            if revision is not None:
                changes.append((REVISIONS, revision.key, revision.to_doc()))
            self._write(changes)
