"""Bulk curation: ``summitbot import`` and ``export``, JSON Lines in and out. An import checks
every line with the form's rules, then stores everything in one durable batch, or nothing if
any line is bad."""

from __future__ import annotations

import json
import sys
from array import array
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import orjson

from slackbot import __version__
from slackbot.core import restoring
from slackbot.core.curation import (
    ENTITIES,
    HAPPENED_ON,
    MAX_ENTITY_NAME,
    NEW_ENTITY_KINDS,
    REPORTED_ON,
    TAGS,
    Curator,
    FactDraft,
    Rejected,
    diff,
    name_problem,
    parse_list,
    parse_tags,
    slug,
)
from slackbot.core.feeds.review import REVIEW_CHANNEL_KEY
from slackbot.core.hygiene import json_may_be_unsafe, strings_in, unsafe_character
from storage.api import (
    MAX_FACT_NUMBER,
    Candidate,
    Entity,
    Fact,
    Feed,
    Revision,
    StoreWriteError,
    Subscription,
    compact,
    dates_before_reporting,
    fact_number,
    number_of,
    shared_changes,
    shared_tuple,
)
from storage.api import fact_id as make_fact_id

# An imported fact's id stops here: the numbers above (up to MAX_FACT_NUMBER) stay free
# for the facts added after the import, so no id in a file can stop new saves.
MAX_GIVEN_FACT_NUMBER = 899_999_999

# The store's own records a backup carries (the review channel an admin chose included).
META_KEYS = ("source", "event", REVIEW_CHANNEL_KEY)


@dataclass
class ImportReport:
    errors: list[tuple[int, str]] = field(default_factory=list)
    entities: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0


class BulkCuration:
    """Imports and exports through a ``Curator``'s checks."""

    def __init__(self, curator: Curator) -> None:
        self.curator = curator
        self.store = curator.store

    def export_lines(self) -> Iterator[str]:
        """JSON Lines, every kind of record: the store's own (the seed's source, the summit's
        event), every entity, every fact, every revision, every digest subscription, every feed
        and every candidate of the review queue. Imported
        into an empty store, it gives the same answers."""
        yield json.dumps(
            {
                "type": "export",
                "format": restoring.EXPORT_FORMAT,
                "made_by": f"summitbot {__version__}",
            }
        )
        for key in META_KEYS:
            doc = self.store.meta(key)
            if doc is not None:
                yield json.dumps({"type": "meta", "key": key, "doc": doc}, ensure_ascii=False)
        for entity in sorted(self.store.entities(), key=lambda e: e.id):
            yield json.dumps({"type": "entity", **entity.to_doc()}, ensure_ascii=False)
        for fact in self.store.facts():
            yield json.dumps({"type": "fact", **fact.to_doc()}, ensure_ascii=False)
        for revision in self.store.revisions_since(""):
            yield json.dumps({"type": "revision", **revision.to_doc()}, ensure_ascii=False)
        for subscription in self.store.subscriptions():
            yield json.dumps({"type": "subscription", **subscription.to_doc()}, ensure_ascii=False)
        for feed in self.store.feeds():
            yield json.dumps({"type": "feed", **feed.to_doc()}, ensure_ascii=False)
        for candidate in sorted(self.store.candidates(), key=lambda c: c.number):
            yield json.dumps({"type": "candidate", **candidate.to_doc()}, ensure_ascii=False)

    def import_lines(
        self,
        lines: Iterable[str],
        by: str,
        progress: Callable[[int], None] | None = None,
        writing: Callable[[str], None] | None = None,
    ) -> ImportReport:
        """Checks every line (``progress`` hears each line number), then stores them all in
        one durable batch (``writing`` hears each step), or nothing if any line is bad."""
        report = ImportReport()
        entities: dict[str, Entity] = {}
        facts: list[Fact] = []
        by_statement = _Statements()
        revisions: list[Revision] = []
        # A backup's own history, records and subscriptions, restored as they were.
        kept_revisions: list[Revision] = []
        meta: dict[str, dict[str, Any]] = {}
        subscriptions: list[Subscription] = []
        feeds: list[Feed] = []
        candidates: list[Candidate] = []
        # A backup's records of these kinds are restored as they are.
        # Each checked field by field first (slackbot.core.restoring).
        restored: dict[str, tuple[list[Any], Callable[[dict[str, Any]], Any]]] = {
            "revision": (kept_revisions, restoring.revision),
            "subscription": (subscriptions, restoring.subscription),
            "feed": (feeds, restoring.feed),
            "candidate": (candidates, restoring.candidate),
        }
        now = self.curator.now_stamp()
        with self.store.transaction():
            names = _NameIndex(self.store.entities())
            numbering = _Numbering(number_of(self.store.next_fact_id()))
            for number, line in enumerate(lines, start=1):
                if progress is not None:
                    progress(number)
                if not line.strip():
                    continue
                try:
                    record = _parse_line(line)
                    if not isinstance(record, dict):
                        raise ValueError("each line must be a JSON object")
                    for text in strings_in(record) if json_may_be_unsafe(line) else ():
                        problem = unsafe_character(text)
                        if problem:
                            raise Rejected({"text": f"a value contains {problem}"})
                    kind = record.get("type")
                    if kind == "export":
                        newer = _newer_format(record)
                        if newer:
                            report.errors = [(number, newer)]
                            break  # nothing else in it can be read right
                        continue
                    if kind == "meta":
                        key, doc = record.get("key"), record.get("doc")
                        if key not in META_KEYS or not isinstance(doc, dict):
                            raise Rejected({"meta": f"a meta record is one of {META_KEYS}"})
                        meta[str(key)] = doc
                        continue
                    if kind in restored:
                        kept, from_doc = restored[kind]
                        kept.append(from_doc(record))
                        continue
                    if kind == "entity":
                        entity = self._entity_from_record(record, names, entities)
                        entities[entity.id] = entity
                        names.add(entity)
                        continue
                    given_id = _given_fact_id(record)
                    fact, revision = self._fact_from_record(
                        record,
                        given_id or numbering.provisional_id(),
                        names,
                        by_statement,
                        entities,
                        by,
                        now,
                    )
                except Rejected as rejected:
                    report.errors.append((number, str(rejected)))
                    continue
                except (ValueError, TypeError, KeyError, AttributeError) as error:
                    report.errors.append((number, f"not a valid record: {error}"))
                    continue
                if fact is None:
                    report.unchanged += 1
                    continue
                if given_id is None:
                    numbering.took(len(facts))
                    report.added += 1
                elif self.store.fact(given_id) is None:
                    numbering.given(number_of(given_id))
                    report.added += 1
                else:
                    report.updated += 1
                facts.append(fact)
                by_statement[compact(fact.statement)] = fact
                revisions.append(revision)
            report.entities = len(entities)
            by_statement.clear()  # no longer needed: every line is checked
            if not report.errors:
                numbering.settle(facts, revisions)
                # A backup's own revisions come last: they replace the "imported" ones.
                self.store.put_many(
                    list(entities.values()),
                    facts,
                    revisions + kept_revisions,
                    writing,
                    meta=meta,
                    subscriptions=subscriptions,
                    feeds=feeds,
                    candidates=candidates,
                )
        return report

    def _entity_from_record(
        self, record: dict[str, Any], names: _NameIndex, pending: dict[str, Entity]
    ) -> Entity:
        restoring.check_entity_fields(record)
        name = str(record.get("name") or "").strip()
        kind = record.get("kind", "company")
        if not name:
            raise Rejected({"name": "an entity needs a name"})
        aliases = record.get("aliases") or []
        names_given = [name, *(aliases if isinstance(aliases, list) else [])]
        too_long = name_problem(str(item) for item in names_given)
        if too_long:
            raise Rejected({"name": too_long})
        if record.get("id") is not None and len(str(record["id"])) > MAX_ENTITY_NAME:
            raise Rejected({"id": f"an entity id has at most {MAX_ENTITY_NAME} characters"})
        if kind not in NEW_ENTITY_KINDS:
            raise Rejected({"kind": f"an entity's kind is one of {', '.join(NEW_ENTITY_KINDS)}"})
        entity_id = str(record.get("id") or slug(name))
        existing = self.store.entity(entity_id) or pending.get(entity_id)
        fields = {k: v for k, v in record.items() if k != "type"}
        entity = Entity.from_doc({"origin": "admin", **fields, "id": entity_id, "kind": kind})
        if existing is None:
            clash = names.find(entity.all_names())
            if clash is not None and clash != entity_id:
                raise Rejected({"name": f"{name!r} is already the name of {clash}"})
        return entity

    def _fact_from_record(
        self,
        record: dict[str, Any],
        fact_id: str,
        names: _NameIndex,
        pending: Mapping[str, Fact],
        pending_entities: Container[str],
        by: str,
        now: str,
    ) -> tuple[Fact | None, Revision]:
        restoring.check_fact_fields(record)
        source = record.get("source") or {}
        if not isinstance(source, dict):
            raise Rejected({"source": 'source is an object: {"url": "https://…", "title": "…"}'})
        entity_refs = record.get("entity_ids", record.get("entities", []))
        if isinstance(entity_refs, str):
            entity_refs = parse_list(entity_refs)
        if not isinstance(entity_refs, list):
            raise Rejected({ENTITIES: "entities are a list of names or ids, or one string"})
        entity_ids = []
        for ref in entity_refs:
            entity_id = names.find([str(ref)])
            if entity_id is None:
                raise Rejected({ENTITIES: f"unknown entity {str(ref)[:40]!r}"})
            entity_ids.append(entity_id)
        tags = record.get("tags", [])
        if not isinstance(tags, (list, str)):
            raise Rejected({TAGS: "tags are a list of words, or one comma-separated string"})
        happened_on = record.get("happened_on")
        if happened_on is not None and not isinstance(happened_on, str):
            raise Rejected({HAPPENED_ON: "happened_on is a date like 2024-05-14"})
        reported_on = record.get("reported_on")
        if reported_on is not None and not isinstance(reported_on, str):
            raise Rejected({REPORTED_ON: "reported_on is a date like 2024-05-14 or a month"})
        if "reported_on" not in record:  # an export from before facts kept it
            happened_on, reported_on = dates_before_reporting(
                str(record.get("origin") or "admin"), happened_on or None
            )
        status = str(record.get("status", "reported"))
        draft = FactDraft(
            statement=str(record.get("statement", "")),
            kind=str(record.get("kind", "context")),
            # A restored backup may hold retracted facts: check the rest as an active fact.
            status="reported" if status == "retracted" else status,
            entity_ids=tuple(entity_ids),
            source_url=str(record.get("source_url", source.get("url")) or ""),
            source_title=str(record.get("source_title", source.get("title")) or ""),
            happened_on=happened_on or None,
            reported_on=reported_on or None,
            tags=parse_tags(tags)
            if isinstance(tags, str)
            else parse_tags(",".join(map(str, tags))),
        )
        existing = self.store.fact(fact_id)
        errors = self.curator.validate(
            draft, editing=fact_id, pending=pending, pending_entities=pending_entities
        )
        if errors:
            raise Rejected(errors)
        # Values that repeat across lines are shared, as a store's own facts share them: an
        # import holds every fact of the file until it stores them (a million at once).
        intern = sys.intern
        fact = self.curator.fact_from_draft(
            draft,
            fact_id,
            shared_tuple(tuple(entity_ids)),
            kind=intern(draft.kind),
            status=intern(status),
            tags=shared_tuple(draft.tags),
            happened_on=intern(draft.happened_on) if draft.happened_on else None,
            reported_on=intern(draft.reported_on) if draft.reported_on else None,
            retraction_reason=record.get("retraction_reason"),
            outcome=_fact_id_or_none(record.get("outcome")),
            review_on=_day_or_none(record.get("review_on")),
            did_not_happen=record.get("did_not_happen") is True,
            added_at=intern(str(record.get("added_at") or now)),
            updated_at=now,
            added_by=intern(str(record.get("added_by") or by)),
            origin=intern(str(record.get("origin") or "admin")),
            revision=int(record.get("revision") or 1),
        )
        if existing is not None:
            changes = diff(existing, fact)
            if not changes:
                return None, Revision(existing.id, existing.revision, now, by, "imported", {})
            fact = replace(
                fact,
                revision=existing.revision + 1,
                added_at=existing.added_at,
                added_by=existing.added_by,
            )
            return fact, Revision(fact.id, fact.revision, now, by, "imported", changes)
        # The fact itself holds the rest; bulk imports keep their history small.
        imported = shared_changes({"status": [None, fact.status]})
        return fact, Revision(fact.id, fact.revision, now, by, "imported", imported)


class _Statements(Mapping[str, Fact]):
    """The facts of the file so far, by compacted statement, for the duplicate check. Kept
    by the statement's hash, the fact then compared: a million compacted statements would
    take a couple of hundred megabytes, their hashes a tenth of that."""

    def __init__(self) -> None:
        self._by_hash: dict[int, list[Fact]] = {}

    def __setitem__(self, statement: str, fact: Fact) -> None:
        kept = self._by_hash.setdefault(hash(statement), [])
        kept[:] = [other for other in kept if compact(other.statement) != statement]
        kept.append(fact)

    def __getitem__(self, statement: str) -> Fact:
        for fact in self._by_hash.get(hash(statement), ()):
            if compact(fact.statement) == statement:
                return fact
        raise KeyError(statement)

    def __iter__(self) -> Iterator[str]:
        return (compact(fact.statement) for kept in self._by_hash.values() for fact in kept)

    def __len__(self) -> int:
        return sum(len(kept) for kept in self._by_hash.values())

    def __bool__(self) -> bool:
        return bool(self._by_hash)  # asked once a line: not a count of everything

    def clear(self) -> None:
        self._by_hash.clear()


def _parse_line(line: str) -> Any:
    """One import line as JSON: orjson for speed (a million lines), else the standard
    parser, which takes what orjson refuses (a lone surrogate, a huge number) so that the
    checks after it can say exactly what is wrong."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)


class _NameIndex:
    """Entity ids by id and by every compacted name, for resolving names in imports."""

    def __init__(self, entities: Iterable[Entity]) -> None:
        self._ids: dict[str, str] = {}
        for entity in entities:
            self.add(entity)

    def add(self, entity: Entity) -> None:
        self._ids[compact(entity.id)] = entity.id
        for name in entity.all_names():
            self._ids.setdefault(compact(name), entity.id)

    def find(self, names: Iterable[str]) -> str | None:
        for name in names:
            found = self._ids.get(compact(name))
            if found is not None:
                return found
        return None


def _fact_id_or_none(value: object) -> str | None:
    """An imported claim's outcome: kept when it is a fact id, else dropped."""
    number = fact_number(value) if isinstance(value, str) else None
    return make_fact_id(number) if number is not None else None


def _day_or_none(value: object) -> str | None:
    """An imported review date: kept when it is an ISO day, else dropped."""
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return None


def _newer_format(record: dict[str, Any]) -> str | None:
    """Why an export's format cannot be read here, or None."""
    given = record.get("format")
    if not isinstance(given, int) or isinstance(given, bool) or given < 1:
        return "an export line's format is a number"
    if given > restoring.EXPORT_FORMAT:
        return (
            f"this export is format {given}, made by a newer Summit Intel "
            f"({str(record.get('made_by') or 'unknown')[:40]}); this one (summitbot "
            f"{__version__}) reads format {restoring.EXPORT_FORMAT} and older: upgrade it, "
            "then import the file again"
        )
    return None


def _given_fact_id(record: dict[str, Any]) -> str | None:
    """The id a line gives its fact, as the store spells it; None for a new fact."""
    given = str(record.get("id") or "").strip().upper() or None
    if given is None:
        return None
    # The number is the fact's place in the store's indexes: F007 is F7, and it has to
    # leave room for the facts added after it (see MAX_FACT_NUMBER).
    number = fact_number(given)
    if not number:
        raise Rejected({"id": f"fact ids look like F12, not {given[:20]!r}"})
    if number > MAX_GIVEN_FACT_NUMBER:
        raise Rejected(
            {
                "id": f"an imported fact's id goes up to F{MAX_GIVEN_FACT_NUMBER}, not "
                f"{given[:20]!r} (the ids above are kept for the facts added after it); "
                "leave the id out and the fact gets the next one"
            }
        )
    return make_fact_id(number)


class _Numbering:
    """Ids for an import's new facts: after every id in use, in the store or in the file.

    Each new fact takes the next id after the store's as its line is read, so a fact is
    built once (a million of them, in a bulk import). Only a file that names ids of its own
    past the store's can have given one that a new fact took: then the new facts are
    numbered again after the highest, once the whole file is read."""

    def __init__(self, first_free: int) -> None:
        self._first_free = first_free
        self._next = first_free
        self._highest_given = 0
        # Where the new facts are in the batch, for numbering them again.
        self._new_positions = array("q")

    def provisional_id(self) -> str:
        return make_fact_id(self._next)

    def took(self, position: int) -> None:
        """The new fact at ``position`` of the batch kept the provisional id."""
        self._next += 1
        self._new_positions.append(position)

    def given(self, number: int) -> None:
        """The file gave a new fact this number."""
        self._highest_given = max(self._highest_given, number)

    def settle(self, facts: list[Fact], revisions: list[Revision]) -> None:
        """Numbers the new facts again (in place) if the file gave one of their ids."""
        after = max(self._first_free - 1, self._highest_given)
        if after + len(self._new_positions) >= MAX_FACT_NUMBER:
            raise StoreWriteError(
                f"not imported: the new facts would need ids past F{MAX_FACT_NUMBER - 1}"
            )
        if self._highest_given < self._first_free:
            return
        for number, position in enumerate(self._new_positions, start=after + 1):
            facts[position] = replace(facts[position], id=make_fact_id(number))
            revisions[position] = replace(revisions[position], fact_id=facts[position].id)
