"""Records kept in the fact store: plain dataclasses, no storage or Slack code."""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, fields
from typing import Any

import orjson

from storage.ids import number_of

ENTITY_KINDS = ("company", "person", "product")
FACT_KINDS = ("attendance", "agenda", "hardware", "product", "investment", "partnership", "context")
FACT_STATUSES = ("confirmed", "reported", "expected", "retracted")
# When the seed's source (an article written ahead of the 14 May 2024 summit) was published:
# the month is all it gives. Stores written before facts had a reported date gain it on load.
SEED_REPORTED_ON = "2024-05"
# Facts that came from a candidate: stores from before reported dates kept the candidate's
# publication day as the day it happened, which is the day it was reported.
_PUBLISHED_ORIGINS = frozenset({"feed", "proposal"})


def first_day(value: str) -> str:
    """A day or a month (``2024-05``) as the ISO day it starts on: what dates of month
    precision are compared and ordered by."""
    return value if len(value) != 7 else f"{value}-01"


@dataclass(frozen=True, slots=True)
class Source:
    title: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Entity:
    id: str
    name: str
    kind: str
    aliases: tuple[str, ...] = ()
    korean_name: str | None = None
    attending: bool = False
    company_id: str | None = None
    role: str | None = None
    category: str | None = None
    description: str | None = None
    vendors: tuple[str, ...] = ()
    origin: str = "seed"
    # Phrases an admin said are not about this entity ("MS Society" for Microsoft): a news
    # item's words in them never name it.
    not_names: tuple[str, ...] = ()

    def all_names(self) -> tuple[str, ...]:
        names = (self.name, *self.aliases)
        return (*names, self.korean_name) if self.korean_name else names

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Entity:
        values = {key: value for key, value in doc.items() if key in _ENTITY_FIELDS}
        values["aliases"] = tuple(values.get("aliases") or ())
        values["vendors"] = tuple(values.get("vendors") or ())
        values["not_names"] = tuple(values.get("not_names") or ())
        return cls(**values)


def dates_before_reporting(origin: str, happened_on: str | None) -> tuple[str | None, str | None]:
    """(happened_on, reported_on) of a fact written before facts kept when they were
    reported: the seed's were reported in May 2024; a candidate's publication day was kept
    as the day it happened, which is the day it was reported."""
    if origin == "seed":
        return happened_on, SEED_REPORTED_ON
    if origin in _PUBLISHED_ORIGINS:
        return None, happened_on
    return happened_on, None


@dataclass(frozen=True, slots=True)
class Fact:
    id: str
    statement: str
    kind: str
    status: str
    entity_ids: tuple[str, ...]
    source: Source
    tags: tuple[str, ...] = ()
    happened_on: str | None = None
    added_at: str = ""
    updated_at: str = ""
    added_by: str = "seed"
    revision: int = 1
    origin: str = "seed"
    retraction_reason: str | None = None
    # An expected fact is an open claim until ``outcome`` names the fact that says what came
    # of it; ``review_on`` is the day an admin who kept it open wants to look at it again.
    outcome: str | None = None
    review_on: str | None = None
    # The outcome says the claim did not come true (it is kept, not retracted).
    did_not_happen: bool = False
    # When the source reported it: its publication day, or month (``2024-05``) when that is
    # all it gives. ``happened_on`` is when it happened, if the source says; ``added_at`` is
    # when it was recorded here.
    reported_on: str | None = None
    # Other outlets that reported the same development, added from the review queue.
    more_sources: tuple[Source, ...] = ()

    @property
    def number(self) -> int:
        return number_of(self.id)

    @property
    def dated_on(self) -> str | None:
        """The day (or month) the fact belongs to in time: when it happened, else when it
        was reported; None when the source gave neither."""
        return self.happened_on or self.reported_on

    @property
    def day_key(self) -> str:
        """The ISO day a fact is placed on in time, for ``since`` and timelines: its own date
        (a month counts from its first day), else the day it was recorded."""
        dated = self.happened_on or self.reported_on
        return first_day(dated) if dated else self.added_at[:10]

    def to_doc(self) -> dict[str, Any]:
        # Written out field by field: snapshots encode every fact, and asdict deep-copies.
        return {
            "id": self.id,
            "statement": self.statement,
            "kind": self.kind,
            "status": self.status,
            "entity_ids": list(self.entity_ids),
            "source": {"title": self.source.title, "url": self.source.url},
            "tags": list(self.tags),
            "happened_on": self.happened_on,
            "added_at": self.added_at,
            "updated_at": self.updated_at,
            "added_by": self.added_by,
            "revision": self.revision,
            "origin": self.origin,
            "retraction_reason": self.retraction_reason,
            "outcome": self.outcome,
            "review_on": self.review_on,
            "did_not_happen": self.did_not_happen,
            "reported_on": self.reported_on,
            "more_sources": [{"title": s.title, "url": s.url} for s in self.more_sources],
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Fact:
        # Values that repeat across many facts (kinds, statuses, who, when, entity and tag
        # lists) are shared rather than stored once per fact: a large store is far smaller.
        # Called for every fact when a store loads, hence the local names.
        get = doc.get
        intern = sys.intern
        source = get("source") or {}
        happened_on = get("happened_on")
        origin = intern(get("origin") or "seed")
        if "reported_on" in doc:
            reported_on = get("reported_on")
        else:
            happened_on, reported_on = dates_before_reporting(origin, happened_on)
        return cls(
            intern(doc["id"]),
            doc["statement"],
            intern(doc["kind"]),
            intern(doc["status"]),
            shared_tuple(get("entity_ids")),
            Source(intern(source.get("title") or ""), source.get("url")),
            shared_tuple(get("tags")),
            intern(happened_on) if happened_on else None,
            intern(get("added_at") or ""),
            intern(get("updated_at") or ""),
            intern(get("added_by") or "seed"),
            get("revision", 1),
            origin,
            get("retraction_reason"),
            get("outcome"),
            get("review_on"),
            bool(get("did_not_happen")),
            intern(reported_on) if reported_on else None,
            tuple(
                Source(intern(s.get("title") or ""), s.get("url"))
                for s in get("more_sources") or ()
            ),
        )


@dataclass(frozen=True, slots=True)
class Event:
    name: str
    date: str
    format: str
    host: str
    host_people: tuple[str, ...]
    summary: str
    themes: tuple[str, ...]

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Event:
        return cls(
            name=doc["name"],
            date=doc["date"],
            format=doc["format"],
            host=doc["host"],
            host_people=tuple(doc.get("host_people") or ()),
            summary=doc["summary"],
            themes=tuple(doc.get("themes") or ()),
        )

    def to_doc(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["host_people"] = list(self.host_people)
        doc["themes"] = list(self.themes)
        return doc


@dataclass(frozen=True, slots=True)
class Revision:
    """One change to a fact: who made it, when, and each changed field's old and new value."""

    fact_id: str
    number: int
    at: str
    by: str
    action: str
    changes: dict[str, list[Any]]
    reason: str | None = None

    @property
    def key(self) -> str:
        return f"{self.fact_id}#{self.number}"

    @property
    def fact_number(self) -> int:
        return number_of(self.fact_id)

    def to_doc(self) -> dict[str, Any]:
        return {
            "fact_id": self.fact_id,
            "number": self.number,
            "at": self.at,
            "by": self.by,
            "action": self.action,
            "changes": self.changes,
            "reason": self.reason,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Revision:
        intern = sys.intern
        return cls(
            intern(doc["fact_id"]),
            doc["number"],
            intern(doc["at"]),
            intern(doc["by"]),
            intern(doc["action"]),
            shared_changes(doc.get("changes") or {}),
            doc.get("reason"),
        )


def slot_retry_due(slot: dict[str, Any], now: str) -> bool:
    """A digest slot's record waiting for a retry whose pause is over at the ISO time
    ``now``."""
    return slot.get("status") == "retrying" and slot.get("next_try", "") <= now


@dataclass(frozen=True, slots=True)
class Subscription:
    """A channel's digest: when, in which time zone, what it tracks, and how the last went."""

    channel_id: str
    cadence: str  # daily, weekdays or weekly
    time: str  # HH:MM, local to ``timezone``
    timezone: str
    weekday: str | None = None  # mon … sun, for weekly
    tracked_entities: tuple[str, ...] = ()
    tracked_tags: tuple[str, ...] = ()
    paused: bool = False
    suspended_reason: str | None = None
    since: str = ""  # developments after this ISO time go into the next digest
    created_at: str = ""
    created_by: str = ""
    last_digest_at: str | None = None
    last_result: str | None = None

    def to_doc(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["tracked_entities"] = list(self.tracked_entities)
        doc["tracked_tags"] = list(self.tracked_tags)
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Subscription:
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in doc.items() if key in known}
        values["tracked_entities"] = tuple(values.get("tracked_entities") or ())
        values["tracked_tags"] = tuple(values.get("tracked_tags") or ())
        return cls(**values)


# Field names, looked up once: from_doc runs for every record when a large store loads.
_ENTITY_FIELDS = frozenset(f.name for f in fields(Entity))

_shared_tuples: dict[tuple[str, ...], tuple[str, ...]] = {}
_shared_changes: dict[bytes, dict[str, list[Any]]] = {}


def shared_tuple(values: list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """One tuple object for every equal list of names: thousands of facts name the same
    entities and tags."""
    if not values:
        return ()
    key = tuple(values)
    found = _shared_tuples.get(key)
    if found is None:
        found = _shared_tuples.setdefault(key, tuple(map(sys.intern, key)))
    return found


def shared_changes(changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """One dict for every equal small change (a bulk import's "status: none → reported"):
    revisions are never changed once made, so they can share it."""
    if len(changes) != 1:
        return changes
    key = orjson.dumps(changes)
    if len(key) > 80:
        return changes
    return _shared_changes.setdefault(key, changes)


@dataclass(frozen=True, slots=True)
class Feed:
    """A news feed polled for candidate developments, and how its polls have gone.

    ``etag`` and ``last_modified`` are the validators of the last answer, sent back as a
    conditional GET; ``seen`` holds the keys (GUID or canonical link) of the items the last
    polls returned, so that an item is proposed once however often it is served."""

    id: str
    url: str
    name: str
    interval_minutes: int = 30
    must: tuple[str, ...] = ()
    added_by: str = ""
    added_at: str = ""
    paused: bool = False
    paused_reason: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_fetch_at: str | None = None
    last_result: str | None = None  # "3 new items", "not modified", "HTTP 500", …
    problem: str | None = None  # a recoverable parse problem of the last answer
    next_fetch_at: str | None = None
    failures: int = 0  # polls in a row that failed
    failing: bool = False  # marked after FAILING_AFTER failures; admins were told
    items_seen: int = 0
    proposed: int = 0
    dropped: int = 0  # items that named no known company, person or product
    # New items the last poll left for the next one: a poll proposes at most
    # MAX_NEW_PER_POLL, so one flooding feed cannot bury the review queue.
    held_back: int = 0
    seen: tuple[str, ...] = ()

    def due(self, now: str) -> bool:
        """Not paused, and its next fetch (None: it was never fetched) is at the ISO time
        ``now`` or before."""
        return not self.paused and (self.next_fetch_at is None or self.next_fetch_at <= now)

    def to_doc(self) -> dict[str, Any]:
        # Field by field, not asdict: that deep-copies the thousands of seen keys.
        doc = {name: getattr(self, name) for name in _FEED_FIELDS}
        doc["must"] = list(self.must)
        doc["seen"] = list(self.seen)
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Feed:
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in doc.items() if key in known}
        values["must"] = tuple(values.get("must") or ())
        values["seen"] = tuple(values.get("seen") or ())
        return cls(**values)


CANDIDATE_STATES = ("pending", "approved", "rejected")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A development found in a feed (or proposed by a person), waiting for an admin.

    Candidates are never shown in answers or digests; an approved one becomes a fact
    (``fact_id``). ``keys`` are what deduplication knows it by: its GUIDs and canonical
    links, those of the items merged into it included."""

    id: str
    title: str
    link: str | None
    published_at: str
    found_at: str
    summary: str = ""
    guid: str | None = None
    published_guessed: bool = False  # the item had no date: ``published_at`` is the fetch
    feed_id: str | None = None
    outlet: str = ""
    entity_ids: tuple[str, ...] = ()
    kind: str = "context"
    status: str = "reported"
    sources: tuple[Source, ...] = ()  # other outlets that ran the same story
    keys: tuple[str, ...] = ()
    proposed_by: str | None = None  # a person's user id, for proposals
    state: str = "pending"
    decided_by: str | None = None
    decided_at: str | None = None
    fact_id: str | None = None
    reason: str | None = None
    review_channel: str | None = None
    review_ts: str | None = None
    # The publication day in the source's own offset (``published_at`` is UTC, for order).
    published_on: str | None = None
    # A stored fact that already says this: approving adds this source to it, no new fact.
    source_for: str | None = None

    @property
    def number(self) -> int:
        return int(self.id.lstrip("C") or 0)

    def to_doc(self) -> dict[str, Any]:
        doc = {name: getattr(self, name) for name in _CANDIDATE_FIELDS}
        doc["entity_ids"] = list(self.entity_ids)
        doc["keys"] = list(self.keys)
        doc["sources"] = [{"title": s.title, "url": s.url} for s in self.sources]
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Candidate:
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in doc.items() if key in known}
        values["entity_ids"] = tuple(values.get("entity_ids") or ())
        values["keys"] = tuple(values.get("keys") or ())
        values["sources"] = tuple(
            Source(s.get("title") or "", s.get("url")) for s in values.get("sources") or ()
        )
        return cls(**values)


_FEED_FIELDS = tuple(f.name for f in fields(Feed))
_CANDIDATE_FIELDS = tuple(f.name for f in fields(Candidate))
