"""Curating the fact store: validated adds, edits and retractions with history, and bulk
import and export. Plain Python: the modal, the console and ``summitbot import`` share it."""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from slackbot.core.clipping import clip
from slackbot.core.hygiene import refusal
from slackbot.core.matching import display_order
from slackbot.core.particulars import particulars
from slackbot.core.tags import normalise_tag
from slackbot.core.wording import N_, said
from storage.api import (
    ENTITY_KINDS,
    FACT_KINDS,
    Candidate,
    Entity,
    Fact,
    Repository,
    Revision,
    Source,
    compact,
    first_day,
    utc_now,
    words,
)

# Field names: also the block and action ids of the modal's inputs, so errors land on them.
ENTITIES = "entities"
NEW_ENTITY_NAME = "new_entity_name"
NEW_ENTITY_KIND = "new_entity_kind"
NEW_ENTITY_ALIASES = "new_entity_aliases"
NEW_ENTITY_KOREAN = "new_entity_korean"
KIND = "kind"
STATEMENT = "statement"
STATUS = "status"
SOURCE_URL = "source_url"
SOURCE_TITLE = "source_title"
HAPPENED_ON = "happened_on"
REPORTED_ON = "reported_on"
DIFFERENT_FACT = "different_fact"
TAGS = "tags"

MAX_STATEMENT = 1000
MAX_SOURCE_TITLE = 300
MAX_SOURCE_URL = 2000
# A name has to fit Slack's places for it: option texts, headers (150) and option values (150,
# where an entity's id, made from its name, travels).
MAX_ENTITY_NAME = 100
MAX_TAGS = 10
MAX_TAG_LENGTH = 30
DUPLICATE_CUTOFF = 90.0
EDITABLE_STATUSES = ("confirmed", "reported", "expected")
NEW_ENTITY_KINDS = ENTITY_KINDS
# The last calendar day to begin anywhere on Earth is UTC+14: a date after that is the future.
EARLIEST_ZONE_AHEAD = timedelta(hours=14)
TRACKED_FIELDS = (
    "statement",
    "kind",
    "status",
    "entity_ids",
    "source",
    "happened_on",
    "reported_on",
    "tags",
    "retraction_reason",
    "outcome",
    "review_on",
    "did_not_happen",
    "more_sources",
)


@dataclass(frozen=True)
class NewEntity:
    name: str
    kind: str = "company"
    aliases: tuple[str, ...] = ()
    korean_name: str | None = None


@dataclass(frozen=True)
class FactDraft:
    """What an admin typed into the form, before it is checked."""

    statement: str = ""
    kind: str = "context"
    status: str = "reported"
    entity_ids: tuple[str, ...] = ()
    new_entity: NewEntity | None = None
    source_url: str = ""
    source_title: str = ""
    happened_on: str | None = None
    tags: tuple[str, ...] = ()
    # The source's publication day (or month, 2024-05).
    reported_on: str | None = None
    # The admin says it is a different fact from the stored one it reads like.
    different_fact: bool = False

    @classmethod
    def of(cls, fact: Fact) -> FactDraft:
        return cls(
            statement=fact.statement,
            kind=fact.kind,
            status=fact.status if fact.status in EDITABLE_STATUSES else "reported",
            entity_ids=fact.entity_ids,
            source_url=fact.source.url or "",
            source_title=fact.source.title,
            happened_on=fact.happened_on,
            tags=fact.tags,
            reported_on=fact.reported_on,
        )


class Rejected(ValueError):
    """The draft has errors, by field name."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {error}" for name, error in errors.items()))
        self.errors = errors


class NotFound(LookupError):
    pass


class EditConflict(RuntimeError):
    """The fact changed since the admin opened it."""

    def __init__(self, current: Fact, latest: Revision | None) -> None:
        who = f" by {latest.by} at {latest.at}" if latest else ""
        super().__init__(f"{current.id} was changed{who} since you opened it")
        self.current = current
        self.latest = latest


@dataclass(frozen=True)
class History:
    title: str
    revisions: list[Revision]
    facts: dict[str, Fact]
    found: bool = True


def parse_tags(text: str) -> tuple[str, ...]:
    """'HBM, AI services' -> ('hbm', 'ai-services')"""
    # An import's lines name the same few lists again and again: short ones are kept.
    return _parse_short_tags(text) if len(text) <= 200 else _parse_tags(text)


@functools.lru_cache(maxsize=4096)
def _parse_short_tags(text: str) -> tuple[str, ...]:
    return _parse_tags(text)


def _parse_tags(text: str) -> tuple[str, ...]:
    tags = []
    for raw in re.split(r"[,;\n]", text):
        tag = normalise_tag(raw)
        if tag and tag not in tags:
            tags.append(tag)
    return tuple(tags)


def parse_list(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in re.split(r"[,;\n]", text) if item.strip())


def slug(name: str) -> str:
    slug = re.sub(r"[^\w]+", "-", name.casefold()).strip("-")[:MAX_ENTITY_NAME]
    return slug.strip("-") or "entity"


def name_problem(names: Iterable[str]) -> str | None:
    for name in names:
        if len(name.strip()) > MAX_ENTITY_NAME:
            return (
                f"Keep names to {MAX_ENTITY_NAME} characters; "
                f"“{name.strip()[:40]}…” has {len(name.strip())}."
            )
    return None


def _value(fact: Fact, name: str) -> Any:
    value = getattr(fact, name)
    if isinstance(value, Source):
        return {"title": value.title, "url": value.url}
    if isinstance(value, tuple):
        return [{"title": v.title, "url": v.url} if isinstance(v, Source) else v for v in value]
    return value


def diff(old: Fact | None, new: Fact) -> dict[str, list[Any]]:
    return {
        name: [_value(old, name) if old else None, _value(new, name)]
        for name in TRACKED_FIELDS
        if old is None or _value(old, name) != _value(new, name)
        if old is not None or _value(new, name) not in (None, [], "")
    }


class Curator:
    """Adds, edits and retracts facts with validation and history."""

    def __init__(self, store: Repository, clock: Callable[[], datetime] = utc_now) -> None:
        self.store = store
        self.clock = clock

    def now_stamp(self) -> str:
        # Microseconds, so that "changed after the last digest" never ties with it.
        return self.clock().astimezone(UTC).isoformat(timespec="microseconds")

    def fact(self, fact_id: str) -> Fact | None:
        """The fact with that id (F9, f9 and F009 alike), retracted or not."""
        return self.store.fact(fact_id)

    def latest_possible_date(self) -> date:
        return (self.clock().astimezone(UTC) + EARLIEST_ZONE_AHEAD).date()

    # -- checking a draft -----------------------------------------------------------

    def validate(
        self,
        draft: FactDraft,
        editing: str | None = None,
        pending: Mapping[str, Fact] | None = None,
        pending_entities: Container[str] = (),
    ) -> dict[str, str]:
        """Field errors of a draft. An import passes what its earlier lines add: ``pending``
        facts by their compacted statement, and ``pending_entities`` ids."""
        errors: dict[str, str] = {}
        statement = draft.statement.strip()
        if not statement:
            errors[STATEMENT] = said(N_("Write the statement: what happened or was said."))
        elif len(statement) > MAX_STATEMENT:
            errors[STATEMENT] = said(
                N_("Keep it to {limit} characters; this one has {count}."),
                limit=f"{MAX_STATEMENT:,}",
                count=f"{len(statement):,}",
            )
        if draft.kind not in FACT_KINDS:
            errors[KIND] = said(N_("Pick a kind: {kinds}."), kinds=", ".join(FACT_KINDS))
        if draft.status not in EDITABLE_STATUSES:
            errors[STATUS] = said(N_("Pick a status: confirmed, reported or expected."))
        url = draft.source_url.strip()
        if url:
            parts = urlsplit(url) if url.isprintable() else None
            if len(url) > MAX_SOURCE_URL:
                errors[SOURCE_URL] = said(
                    N_("Keep the link to {limit} characters."), limit=f"{MAX_SOURCE_URL:,}"
                )
            elif (
                parts is None
                or parts.scheme not in ("http", "https")
                or not parts.netloc
                or any(ch.isspace() for ch in url)
            ):
                errors[SOURCE_URL] = said(
                    N_("Use a web link that starts with http:// or https://, with no spaces.")
                )
        elif not draft.source_title.strip():
            errors[SOURCE_URL] = said(N_("Give the source: a link, a title, or both."))
        if len(draft.source_title.strip()) > MAX_SOURCE_TITLE:
            errors[SOURCE_TITLE] = said(
                N_("Keep the source title to {limit} characters."), limit=MAX_SOURCE_TITLE
            )
        for name, label, text in (
            (STATEMENT, "statement", draft.statement),
            (SOURCE_URL, "link", draft.source_url),
            (SOURCE_TITLE, "source title", draft.source_title),
            (TAGS, "tags", " ".join(draft.tags)),
            (HAPPENED_ON, "date", draft.happened_on or ""),
            (REPORTED_ON, "date", draft.reported_on or ""),
        ):
            refused = refusal(label, text)
            if refused:
                errors[name] = refused
        for name, value, what in (
            (HAPPENED_ON, draft.happened_on, "it happened"),
            (REPORTED_ON, draft.reported_on, "the source reported it"),
        ):
            problem = self._date_problem(value, what, month_allowed=name == REPORTED_ON)
            if problem and name not in errors:
                errors[name] = problem
        unknown = [
            eid
            for eid in draft.entity_ids
            if self.store.entity(eid) is None and eid not in pending_entities
        ]
        if unknown:
            errors[ENTITIES] = said(
                N_("Unknown: {names}. Pick from the list."), names=", ".join(unknown)
            )
        elif not draft.entity_ids and draft.new_entity is None:
            errors[ENTITIES] = said(
                N_("Pick at least one company, person or product, or name a new one.")
            )
        if draft.new_entity is not None:
            errors.update(self._new_entity_errors(draft.new_entity))
        if len(draft.tags) > MAX_TAGS or any(len(tag) > MAX_TAG_LENGTH for tag in draft.tags):
            errors[TAGS] = said(
                N_("Up to {count} tags of at most {limit} characters each."),
                count=MAX_TAGS,
                limit=MAX_TAG_LENGTH,
            )
        if STATEMENT not in errors:
            duplicate = None
            if not draft.different_fact:
                duplicate = self._stored_duplicate_of(statement, editing)
            earlier = pending.get(compact(statement)) if pending and not duplicate else None
            if duplicate is not None:
                errors[STATEMENT] = said(
                    N_(
                        "This reads like {id} already: “{statement}”. Edit it instead with "
                        "{command}, or tick “It is a different fact” to save it anyway."
                    ),
                    id=duplicate.id,
                    statement=clip(duplicate.statement, 120),
                    command=f"/summit edit {duplicate.id}",
                )
            elif earlier is not None:
                # A fact of the same import file, not stored yet: there is nothing to edit.
                errors[STATEMENT] = (
                    "An earlier line of the file says this already: "
                    f"“{clip(earlier.statement, 120)}”. Keep one of the two."
                )
        return errors

    def _new_entity_errors(self, new: NewEntity) -> dict[str, str]:
        if not new.name.strip():
            return {NEW_ENTITY_NAME: said(N_("Give the new company or person a name."))}
        for name, label, text in (
            (NEW_ENTITY_NAME, "name", new.name),
            (NEW_ENTITY_ALIASES, "other names", " ".join(new.aliases)),
            (NEW_ENTITY_KOREAN, "Korean name", new.korean_name or ""),
            (NEW_ENTITY_KIND, "kind", new.kind),
        ):
            refused = refusal(label, text)
            if refused:
                return {name: refused}
        too_long = name_problem([new.name, *new.aliases, new.korean_name or ""])
        if too_long:
            field = NEW_ENTITY_NAME if len(new.name.strip()) > MAX_ENTITY_NAME else None
            return {field or NEW_ENTITY_ALIASES: too_long}
        if new.kind not in NEW_ENTITY_KINDS:
            return {NEW_ENTITY_KIND: said(N_("Pick company, person or product."))}
        wanted = {compact(name) for name in (new.name, *new.aliases) if compact(name)}
        for entity in self.store.entities():
            if wanted & {compact(name) for name in entity.all_names()}:
                return {
                    NEW_ENTITY_NAME: said(
                        N_("{name} already exists; pick it in the list above."), name=entity.name
                    )
                }
        return {}

    def _date_problem(self, value: str | None, what: str, *, month_allowed: bool) -> str | None:
        if not value:
            return None
        try:
            if month_allowed and re.fullmatch(r"\d{4}-\d{2}", value):
                day = date.fromisoformat(f"{value}-01")
            else:
                day = date.fromisoformat(value)
        except ValueError:
            if month_allowed:
                return said(
                    N_("Use a date like {day} or a month like {month}."),
                    day="2024-05-14",
                    month="2024-05",
                )
            return said(N_("Use a date like {day}."), day="2024-05-14")
        if day > self.latest_possible_date():
            return said(N_("That date is in the future; pick the day {what}."), what=what)
        return None

    def _stored_duplicate_of(self, statement: str, editing: str | None) -> Fact | None:
        for fact, _score in self.store.similar_statements(statement, DUPLICATE_CUTOFF):
            if fact.id == editing or fact.status == "retracted":
                continue
            # Other numbers, amounts or dates: another fact however alike the rest reads.
            if particulars(statement) != particulars(fact.statement):
                continue
            if self._named_in(statement) != self._named_in(fact.statement):
                continue
            return fact
        return None

    def _named_in(self, statement: str) -> frozenset[str]:
        """The entities a statement names, by any of their names as whole words: "Samsung
        will supply HBM" and "SK Hynix will supply HBM" read alike but are different facts.
        (Only run on the few stored statements that read like a draft.)"""
        text = f" {' '.join(words(statement))} "
        return frozenset(
            entity.id
            for entity in self.store.entities()
            if any(
                f" {' '.join(words(name))} " in text for name in entity.all_names() if words(name)
            )
        )

    # -- changes ----------------------------------------------------------------------

    def entities_for(self, draft: FactDraft) -> tuple[tuple[str, ...], Entity | None]:
        new = draft.new_entity
        if new is None:
            return draft.entity_ids, None
        entity_id = slug(new.name)
        while self.store.entity(entity_id) is not None:
            entity_id += "-x"
        company_id = None
        if new.kind == "person":
            companies = [self.store.entity(eid) for eid in draft.entity_ids]
            company_id = next((e.id for e in companies if e and e.kind == "company"), None)
        entity = Entity(
            id=entity_id,
            name=new.name.strip(),
            kind=new.kind,
            aliases=new.aliases,
            korean_name=new.korean_name or None,
            attending=False,
            company_id=company_id,
            origin="admin",
        )
        return (*draft.entity_ids, entity.id), entity

    def fact_from_draft(
        self, draft: FactDraft, fact_id: str, entity_ids: tuple[str, ...], **fields: Any
    ) -> Fact:
        """The fact a checked draft describes. ``fields`` set the rest (who added it and
        when, its history): an import sets them all, and builds each of a million facts
        once rather than building it and then a changed copy."""
        url = draft.source_url.strip() or None
        # Shared: many facts cite the same source (a newsroom, a filing).
        title = sys.intern(draft.source_title.strip() or (urlsplit(url).netloc if url else ""))
        values: dict[str, Any] = {
            "id": fact_id,
            "statement": draft.statement.strip(),
            "kind": draft.kind,
            "status": draft.status,
            "entity_ids": entity_ids,
            "source": Source(title, url),
            "tags": draft.tags,
            "happened_on": draft.happened_on or None,
            "reported_on": draft.reported_on or None,
        }
        values.update(fields)
        return Fact(**values)

    def add(
        self,
        draft: FactDraft,
        by: str,
        *,
        reason: str | None = None,
        origin: str = "admin",
        settle: Callable[[Fact], Candidate] | None = None,
    ) -> Fact:
        """Checks and durably stores a new fact; raises ``Rejected`` with field errors.
        ``settle`` turns the stored fact into the decided candidate it came from, which is
        written in the same batch (an approval is never half done)."""
        with self.store.transaction():
            errors = self.validate(draft)
            if errors:
                raise Rejected(errors)
            entity_ids, new_entity = self.entities_for(draft)
            if new_entity is not None:
                self.store.put_entity(new_entity)
            now = self.now_stamp()
            fact = replace(
                self.fact_from_draft(draft, "new", entity_ids),
                added_at=now,
                updated_at=now,
                added_by=by,
                origin=origin,
            )
            revision = Revision("new", 1, now, by, "added", diff(None, fact), reason)
            if settle is None:
                return self.store.add_fact(fact, revision)
            fact = replace(fact, id=self.store.next_fact_id())
            revision = replace(revision, fact_id=fact.id)
            self.store.record_decision(settle(fact), fact, revision)
            return fact

    def edit(self, fact_id: str, draft: FactDraft, by: str, based_on: int) -> Fact:
        """Stores a new revision of a fact opened at revision ``based_on``."""
        with self.store.transaction():
            current = self.require(fact_id)
            if current.revision != based_on:
                revisions = self.store.revisions_of(current.id)
                raise EditConflict(current, revisions[-1] if revisions else None)
            errors = self.validate(draft, editing=current.id)
            if errors:
                raise Rejected(errors)
            if (
                current.reported_on
                and len(current.reported_on) == len("2024-05")
                and draft.reported_on == first_day(current.reported_on)
            ):
                # A date picker can only say a day: the month the source gave stays.
                draft = replace(draft, reported_on=current.reported_on)
            entity_ids, new_entity = self.entities_for(draft)
            updated = replace(
                self.fact_from_draft(draft, current.id, entity_ids),
                added_at=current.added_at,
                added_by=current.added_by,
                origin=current.origin,
            )
            changes = diff(current, updated)
            if not changes:
                return current
            if new_entity is not None:
                self.store.put_entity(new_entity)
            now = self.now_stamp()
            updated = replace(updated, revision=current.revision + 1, updated_at=now)
            revision = Revision(current.id, updated.revision, now, by, "edited", changes)
            self.store.put_fact(updated, revision)
            return updated

    def add_source(
        self,
        fact_id: str,
        source: Source,
        by: str,
        *,
        reason: str | None = None,
        settle: Callable[[Fact], Candidate] | None = None,
    ) -> Fact:
        """Another outlet reports what a fact says: its source is added to the fact, with a
        revision (``settle``: the candidate it came from, decided in the same write)."""
        with self.store.transaction():
            current = self.require(fact_id)
            known = {(s.url, s.title) for s in (current.source, *current.more_sources)}
            if (source.url, source.title) in known:
                updated = current
            else:
                now = self.now_stamp()
                updated = replace(
                    current,
                    more_sources=(*current.more_sources, source),
                    revision=current.revision + 1,
                    updated_at=now,
                )
            if updated is current:
                if settle is not None:
                    self.store.record_decision(settle(current))
                return current
            revision = Revision(
                current.id, updated.revision, now, by, "sourced", diff(current, updated), reason
            )
            if settle is None:
                self.store.put_fact(updated, revision)
            else:
                self.store.record_decision(settle(updated), updated, revision)
            return updated

    def retract(self, fact_id: str, reason: str, by: str) -> Fact:
        with self.store.transaction():
            current = self.require(fact_id)
            if current.status == "retracted":
                raise Rejected({STATUS: said(N_("{id} is already retracted."), id=current.id)})
            now = self.now_stamp()
            why = reason.strip()[:MAX_STATEMENT] or None
            updated = replace(
                current,
                status="retracted",
                retraction_reason=why,
                revision=current.revision + 1,
                updated_at=now,
            )
            revision = Revision(
                current.id, updated.revision, now, by, "retracted", diff(current, updated), why
            )
            self.store.put_fact(updated, revision)
            return updated

    def restore(self, fact_id: str, by: str) -> Fact:
        """Undoes a retraction: the fact gets back the status it had, with a revision."""
        with self.store.transaction():
            current = self.require(fact_id)
            if current.status != "retracted":
                raise Rejected(
                    {STATUS: said(N_("{id} is not retracted; nothing to restore."), id=current.id)}
                )
            before = "reported"
            for revision in reversed(self.store.revisions_of(current.id)):
                change = revision.changes.get("status")
                if change and change[1] == "retracted" and change[0] in EDITABLE_STATUSES:
                    before = change[0]
                    break
            now = self.now_stamp()
            updated = replace(
                current,
                status=before,
                retraction_reason=None,
                revision=current.revision + 1,
                updated_at=now,
            )
            revision = Revision(
                current.id, updated.revision, now, by, "restored", diff(current, updated)
            )
            self.store.put_fact(updated, revision)
            return updated

    def require(self, fact_id: str) -> Fact:
        fact = self.store.fact(fact_id.strip())
        if fact is None:
            raise NotFound(
                said(
                    N_("There is no fact {id}; ids look like {example}."),
                    id=repr(fact_id.strip()[:20]),
                    example="F12",
                )
            )
        return fact

    # -- history ----------------------------------------------------------------------

    def history(self, query: str, matcher_match: Callable[[str], list[Entity]]) -> History:
        query = query.strip()
        fact = self.store.fact(query) if re.fullmatch(r"[Ff]\d+", query) else None
        if fact is not None:
            return History(fact.id, self.store.revisions_of(fact.id), {fact.id: fact})
        matches = matcher_match(query) if query else []
        if not matches:
            return History(query, [], {}, found=False)
        entity = sorted(matches, key=display_order)[0]
        facts = {f.id: f for f in self.store.facts_involving([entity.id])}
        revisions = [r for fid in facts for r in self.store.revisions_of(fid)]
        revisions.sort(key=lambda r: r.at, reverse=True)
        return History(entity.name, revisions, facts)
