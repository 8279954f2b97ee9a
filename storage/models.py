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
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in doc.items() if key in known}
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
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in doc.items() if key in known}
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
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in doc.items() if key in known})
