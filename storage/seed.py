"""The shipped seed (``storage/seed.json``, written from the source article): the summit's
event record, the companies, people and products it names, and its facts. Seeding adds what
is missing and never touches an admin's own records; a reset rewrites the seed's part."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from importlib import resources
from typing import Any

from storage.api import Repository, SeedReport
from storage.models import SEED_REPORTED_ON, Entity, Fact, Source


def load_seed() -> dict[str, Any]:
    seed_text = resources.files("storage").joinpath("seed.json").read_text(encoding="utf-8")
    seed: dict[str, Any] = json.loads(seed_text)
    return seed


def apply_seed(store: Repository, at: datetime, *, reset: bool = False) -> SeedReport:
    """Adds the seed's missing records to ``store``; with ``reset``, rewrites the seed part."""
    seed = load_seed()
    now = at.isoformat(timespec="seconds")
    with store.transaction():
        source = seed["source"]
        if reset or store.meta("source") is None:
            store.put_meta("source", source)
        if reset or store.meta("event") is None:
            store.put_meta("event", seed["event"])
        entities_written = facts_written = entities_removed = facts_removed = 0
        seed_entity_ids = {doc["id"] for doc in seed["entities"]}
        seed_fact_ids = {doc["id"] for doc in seed["facts"]}
        if reset:
            for fact in store.facts():
                if fact.origin == "seed" and fact.id not in seed_fact_ids:
                    store.delete_fact(fact.id)
                    facts_removed += 1
            for entity in store.entities():
                if entity.origin == "seed" and entity.id not in seed_entity_ids:
                    store.delete_entity(entity.id)
                    entities_removed += 1
        for doc in seed["entities"]:
            if reset or store.entity(doc["id"]) is None:
                store.put_entity(Entity.from_doc({**doc, "origin": "seed"}))
                entities_written += 1
        for doc in seed["facts"]:
            if reset or store.fact(doc["id"]) is None:
                fact = Fact(
                    id=doc["id"],
                    statement=doc["statement"],
                    kind=doc["kind"],
                    status=doc["status"],
                    entity_ids=tuple(doc["entities"]),
                    tags=tuple(doc["tags"]),
                    source=Source(title=source["title"], url=source.get("url")),
                    happened_on=doc.get("happened_on"),
                    reported_on=doc.get("reported_on") or SEED_REPORTED_ON,
                    added_at=now,
                    updated_at=now,
                    added_by="seed",
                    origin="seed",
                )
                existing = store.fact(fact.id)
                if existing is not None:
                    fact = replace(fact, added_at=existing.added_at)
                store.put_fact(fact)
                facts_written += 1
    return SeedReport(entities_written, facts_written, entities_removed, facts_removed)
