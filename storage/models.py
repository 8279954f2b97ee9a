"""Records kept in the fact store: plain dataclasses, no storage or Slack code."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

ENTITY_KINDS = ("company", "person", "product")
FACT_KINDS = ("attendance", "agenda", "hardware", "product", "investment", "partnership", "context")
FACT_STATUSES = ("confirmed", "reported", "expected", "retracted")


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
        return cls(**values)


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

    @property
    def number(self) -> int:
        return int(self.id[1:])

    def to_doc(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["entity_ids"] = list(self.entity_ids)
        doc["tags"] = list(self.tags)
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Fact:
        values = {key: value for key, value in doc.items() if key in _FACT_FIELDS}
        values["entity_ids"] = tuple(values.get("entity_ids") or ())
        values["tags"] = tuple(values.get("tags") or ())
        source = values.get("source") or {}
        values["source"] = Source(title=source.get("title") or "", url=source.get("url"))
        return cls(**values)


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

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Revision:
        return cls(**{key: value for key, value in doc.items() if key in _REVISION_FIELDS})


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
_FACT_FIELDS = frozenset(f.name for f in fields(Fact))
_REVISION_FIELDS = frozenset(f.name for f in fields(Revision))
