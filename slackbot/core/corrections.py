"""Corrections that follow the original: when a fact a digest (or a shared answer) put in
front of a channel is retracted or changes status, a reply goes into that post's thread,
where the people who read it will see it ("Correction: F12 retracted — reason").

Every post that shows facts is remembered per fact (``announced:F12``: channel, ts, and the
status it showed). A job on the scheduler's leader looks at the facts whose status changed
since it last looked and replies under each post that showed another status. A reply is
claimed in the store before it is posted, as a digest slot is: a crash between the two
loses that one reply rather than ever posting it twice."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from storage.api import Fact, Repository, utc_now

logger = logging.getLogger(__name__)

ANNOUNCED = "announced:"
MARK = "corrections-mark"
# Posts remembered per fact; a fact shown in more channels than this corrects the newest.
MAX_POSTS_PER_FACT = 200
OVERLAP = timedelta(minutes=1)


@dataclass(frozen=True)
class Correction:
    fact: Fact
    was: str  # the status the post showed
    channel: str
    ts: str  # the post to reply under (a digest's headline)
    via: str  # "digest" or "share"


# Posts the correction in the thread; True once Slack took it.
PostCorrection = Callable[[Correction], bool]


class CorrectionService:
    def __init__(
        self,
        store: Repository,
        post: PostCorrection | None,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.post = post
        self.clock = clock

    def announce(self, facts: Iterable[Fact], channel: str, ts: str, via: str) -> None:
        """Remembers that the post ``ts`` in ``channel`` showed these facts as they are now."""
        with self.store.transaction():
            meta: dict[str, dict[str, Any]] = {}
            for fact in facts:
                key = ANNOUNCED + fact.id
                doc = meta.get(key) or self.store.meta(key) or {"posts": []}
                posts = [p for p in doc["posts"] if (p["channel"], p["ts"]) != (channel, ts)]
                posts.append({"channel": channel, "ts": ts, "status": fact.status, "via": via})
                meta[key] = {"posts": posts[-MAX_POSTS_PER_FACT:]}
            if meta and self.store.meta(MARK) is None:
                # Corrections start with the first post remembered: nothing before it needs one.
                meta[MARK] = {"since": self.clock().isoformat(timespec="microseconds")}
            if meta:
                self.store.put_many([], [], [], meta=meta)

    def due(self, since: str) -> list[Correction]:
        """Posts showing a status their fact no longer has (changed after ``since``), not
        yet corrected to the status it has now."""
        changed = dict.fromkeys(
            revision.fact_id
            for revision in self.store.revisions_since(since)
            if "status" in revision.changes
        )
        found = []
        for fact_id in changed:
            fact = self.store.fact(fact_id)
            doc = self.store.meta(ANNOUNCED + fact_id)
            if fact is None or doc is None:
                continue
            for post in doc["posts"]:
                if post["status"] != fact.status and post.get("corrected") != fact.status:
                    found.append(
                        Correction(fact, post["status"], post["channel"], post["ts"], post["via"])
                    )
        return found

    def _mark(self, correction: Correction, corrected: str | None) -> None:
        key = ANNOUNCED + correction.fact.id
        with self.store.transaction():
            doc = self.store.meta(key) or {"posts": []}
            for post in doc["posts"]:
                if (post["channel"], post["ts"]) == (correction.channel, correction.ts):
                    post["corrected"] = corrected
            self.store.put_meta(key, doc)

    def post_due(self) -> int:
        """Posts every correction due; returns how many Slack took. Run by the scheduler's
        leader every minute."""
        if self.post is None:
            return 0
        marked = self.store.meta(MARK)
        if marked is None:
            return 0  # nothing was ever announced
        # Looked at again from a minute before this run: a save stamped just before it but
        # written after it read the history is not missed (a post corrected stays so).
        started = (self.clock() - OVERLAP).isoformat(timespec="microseconds")
        posted, failed = 0, 0
        for correction in self.due(str(marked["since"])):
            self._mark(correction, correction.fact.status)  # claimed before posting
            if self.post(correction):
                posted += 1
            else:
                self._mark(correction, None)  # Slack refused it: tried again next time
                failed += 1
        if not failed:
            self.store.put_meta(MARK, {"since": started})
        return posted
