"""The review queue: candidates wait here until an admin approves one (it becomes a fact)
or rejects it. Anyone may propose a candidate; only admins decide (the Slack layer checks
who is an admin on every click)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from slackbot.core.curation import MAX_STATEMENT, Curator, FactDraft, NotFound
from slackbot.core.feeds.cleaning import MAX_SUMMARY, MAX_TITLE, plain_text
from slackbot.core.feeds.links import canonical_link
from slackbot.core.feeds.recording import host_of
from slackbot.core.intel import SummitIntel
from slackbot.core.measures import REVIEW_DECISIONS
from slackbot.core.wording import N_, said
from storage.api import Candidate, Entity, Fact, Source, fold, utc_now

REVIEW_CHANNEL_KEY = "review_channel"
QUEUE_PAGE = 5
MAX_REASON = 300


class NotAbout(ValueError):
    """A "not about" that cannot be recorded as given; the message says what to give."""


def _example_phrase(title: str) -> str:
    return " ".join(title.split()[:2]) or "the words"


class AlreadyDecided(RuntimeError):
    """A second click on a decided candidate."""

    def __init__(self, candidate: Candidate) -> None:
        super().__init__(f"{candidate.id} was already {candidate.state}")
        self.candidate = candidate


@dataclass(frozen=True)
class QueuePage:
    candidates: list[Candidate]
    page: int
    pages: int
    total: int


class ReviewQueue:
    """Pending candidates and the decisions on them."""

    def __init__(
        self,
        intel: SummitIntel,
        curator: Curator,
        *,
        clock: Callable[[], datetime] = utc_now,
        configured_channel: str | None = None,
        timezone: str = "UTC",
    ) -> None:
        self.intel = intel
        self.store = intel.store
        self.curator = curator
        self.clock = clock
        self.configured_channel = configured_channel
        self.timezone = timezone

    def _stamp(self) -> str:
        return self.clock().astimezone(UTC).isoformat()

    # -- where candidates are reviewed -------------------------------------------------

    def review_channel(self) -> str | None:
        """The channel an admin chose with ``/summit review here``, else
        SUMMITBOT_REVIEW_CHANNEL."""
        chosen = self.store.meta(REVIEW_CHANNEL_KEY)
        if chosen and chosen.get("channel_id"):
            return str(chosen["channel_id"])
        return self.configured_channel

    def set_review_channel(self, channel_id: str, by: str) -> None:
        self.store.put_meta(
            REVIEW_CHANNEL_KEY, {"channel_id": channel_id, "by": by, "at": self._stamp()}
        )

    # -- reading ----------------------------------------------------------------------

    def candidate(self, candidate_id: str) -> Candidate:
        found = self.store.candidate(candidate_id)
        if found is None:
            raise NotFound(said(N_("There is no candidate {id}."), id=repr(candidate_id)))
        return found

    def pending(self, page: int = 1, per_page: int = QUEUE_PAGE) -> QueuePage:
        waiting = self.store.candidates("pending")
        pages = max(1, -(-len(waiting) // per_page))
        page = min(max(page, 1), pages)
        start = (page - 1) * per_page
        return QueuePage(waiting[start : start + per_page], page, pages, len(waiting))

    def unposted(self) -> list[Candidate]:
        """Pending candidates not yet posted to the review channel, oldest first."""
        waiting = [c for c in self.store.candidates("pending") if c.review_ts is None]
        return sorted(waiting, key=lambda c: c.number)

    def mark_posted(self, candidates: list[Candidate], channel_id: str, ts: str) -> None:
        """Records where candidates were posted for review, in one write."""
        with self.store.transaction():
            posted = [
                replace(self.store.candidate(c.id) or c, review_channel=channel_id, review_ts=ts)
                for c in candidates
            ]
            self.store.put_many([], [], [], candidates=posted)

    # -- deciding ----------------------------------------------------------------------

    def draft_for(self, candidate: Candidate) -> FactDraft:
        """The fact an approval stores, as the form shows it to edit."""
        statement = candidate.title
        if candidate.proposed_by and candidate.summary:
            statement = candidate.summary
        # The publication day as the source dated it, in its own offset: an item published
        # "Mon, 10 Jun 2024 08:00 +0900" was reported on 10 June, wherever the reader is.
        reported_on = candidate.published_on
        if reported_on is None:  # a candidate from before the source's own day was kept
            published = datetime.fromisoformat(candidate.published_at)
            reported_on = published.astimezone(ZoneInfo(self.timezone)).date().isoformat()
        return FactDraft(
            statement=statement[:MAX_STATEMENT],
            kind=candidate.kind,
            status=candidate.status,
            entity_ids=candidate.entity_ids,
            source_url=candidate.link or "",
            source_title=candidate.outlet or "",
            reported_on=reported_on,
        )

    def _pending(self, candidate_id: str) -> Candidate:
        candidate = self.candidate(candidate_id)
        if candidate.state != "pending":
            raise AlreadyDecided(candidate)
        return candidate

    def approve(
        self, candidate_id: str, by: str, draft: FactDraft | None = None
    ) -> tuple[Candidate, Fact]:
        """Stores the candidate as a fact (as ``draft`` when the admin edited it), with a
        revision saying where it came from; raises ``Rejected`` for a draft with errors."""
        with self.store.transaction():
            candidate = self._pending(candidate_id)
            where = self._origin(candidate)
            decided: list[Candidate] = []

            def settle(fact: Fact) -> Candidate:
                decided.append(
                    replace(
                        candidate,
                        state="approved",
                        decided_by=by,
                        decided_at=self._stamp(),
                        fact_id=fact.id,
                    )
                )
                return decided[0]

            if candidate.source_for and draft is None:
                fact = self.curator.add_source(
                    candidate.source_for,
                    Source(candidate.outlet or host_of(candidate.link or ""), candidate.link),
                    by,
                    reason=f"another source, approved from {where}",
                    settle=settle,
                )
                REVIEW_DECISIONS.labels("source_added").inc()
                return decided[0], fact
            fact = self.curator.add(
                draft or self.draft_for(candidate),
                by,
                reason=f"approved from {where}",
                origin="feed" if candidate.feed_id else "proposal",
                settle=settle,
            )
            REVIEW_DECISIONS.labels("approved").inc()
            return decided[0], fact

    def reject(self, candidate_id: str, by: str, reason: str = "") -> Candidate:
        with self.store.transaction():
            candidate = replace(
                self._pending(candidate_id),
                state="rejected",
                decided_by=by,
                decided_at=self._stamp(),
                reason=plain_text(reason, MAX_REASON) or None,
            )
            self.store.record_decision(candidate)
            REVIEW_DECISIONS.labels("rejected").inc()
            return candidate

    def not_about(self, candidate_id: str, entity_ref: str, phrase: str, by: str) -> Candidate:
        """An admin says the candidate's ``phrase`` does not mean ``entity_ref`` ("MS
        Society" is not Microsoft): the phrase is kept with the entity, so no item is
        matched to it by those words again, and the candidate no longer names it; a
        candidate left naming nobody is rejected. ``NotAbout`` says what is wrong."""
        phrase = " ".join(phrase.split())[:MAX_TITLE]
        with self.store.transaction():
            candidate = self._pending(candidate_id)
            entity = self._named_entity(candidate, entity_ref)
            text = f"{candidate.title} {candidate.summary}"
            if not phrase or fold(phrase) not in fold(text):
                raise NotAbout(
                    said(
                        N_(
                            "Give the words of {id} that do not mean {name}, as written, e.g. "
                            "{example}."
                        ),
                        id=candidate.id,
                        name=entity.name,
                        example=f"`/summit notabout {candidate.id} {entity.name.lower()}: "
                        f"{_example_phrase(candidate.title)}`",
                    )
                )
            if entity.id not in self.intel.matcher.mentions.names_in(phrase):
                raise NotAbout(
                    said(
                        N_("“{phrase}” does not name {name}; nothing to change."),
                        phrase=phrase,
                        name=entity.name,
                    )
                )
            if phrase not in entity.not_names:
                self.store.put_entity(replace(entity, not_names=(*entity.not_names, phrase)))
            remaining = tuple(eid for eid in candidate.entity_ids if eid != entity.id)
            changes: dict[str, object] = {"entity_ids": remaining}
            if not remaining:
                changes.update(
                    state="rejected",
                    decided_by=by,
                    decided_at=self._stamp(),
                    reason=plain_text(f"not about {entity.name} (“{phrase}”)", MAX_REASON),
                )
                updated = replace(candidate, **changes)  # type: ignore[arg-type]
                self.store.record_decision(updated)
            else:
                updated = replace(candidate, **changes)  # type: ignore[arg-type]
                self.store.put_many([], [], [], candidates=[updated])
            REVIEW_DECISIONS.labels("not_about").inc()
            return updated

    def _named_entity(self, candidate: Candidate, entity_ref: str) -> Entity:
        named = [self.store.entity(eid) for eid in candidate.entity_ids]
        choices = [entity for entity in named if entity is not None]
        wanted = {entity.id for entity in self.intel.matcher.match(entity_ref)}
        found = [entity for entity in choices if entity.id in wanted]
        if not found:
            names = ", ".join(entity.name for entity in choices) or "nobody"
            raise NotAbout(
                said(
                    N_("{id} names {names}; say which of them it is not about."),
                    id=candidate.id,
                    names=names,
                )
            )
        return found[0]

    def _origin(self, candidate: Candidate) -> str:
        if candidate.proposed_by:
            # A person as their user id, marked with @: the Slack layer shows a mention.
            return f"a proposal by @{candidate.proposed_by}"
        feed = self.store.feed(candidate.feed_id or "")
        return f"feed {feed.id} ({feed.name})" if feed else (candidate.outlet or "a feed")

    # -- proposing ----------------------------------------------------------------------

    def propose(
        self, statement: str, by: str, *, link: str | None = None, source_title: str = ""
    ) -> Candidate:
        """Anyone's suggestion, queued for an admin with the proposer's name."""
        text = plain_text(statement, MAX_SUMMARY)
        if not text:
            raise ValueError(said(N_("Write what happened: the statement is empty.")))
        now = self._stamp()
        canonical = canonical_link(link)
        with self.store.transaction():
            candidate = Candidate(
                self.store.next_candidate_id(),
                plain_text(statement, MAX_TITLE),
                canonical,
                now,
                now,
                summary=text,
                outlet=plain_text(source_title, 100) or "a proposal",
                entity_ids=tuple(self.intel.matcher.mentioned_in(text)),
                keys=(f"link:{canonical}",) if canonical else (),
                proposed_by=by,
            )
            self.store.put_candidate(candidate)
        return candidate
