"""What goes into a digest: facts added, changed in status or retracted since a channel's
mark, for what it tracks, grouped by company."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from slackbot.core.intel import SummitIntel
from slackbot.core.matching import display_order
from storage.api import Entity, Fact, Repository, Subscription


@dataclass(frozen=True)
class Development:
    fact: Fact
    old_status: str | None  # None when the fact is new
    new_status: str

    @property
    def label(self) -> str:
        if self.old_status is None:
            return "new"
        if self.new_status == "retracted":
            return "retracted"
        return "status change"


@dataclass(frozen=True)
class DigestGroup:
    company: Entity | None
    developments: list[Development]


@dataclass(frozen=True)
class Digest:
    channel_id: str
    timezone: str
    since: str
    until: str
    groups: list[DigestGroup]
    created_by: str = ""  # who set the subscription up, named in the digest's footer
    # Local times of earlier digests cut off mid-post: their developments may repeat here.
    interrupted: list[str] = field(default_factory=list)

    @property
    def developments(self) -> list[Development]:
        return [d for group in self.groups for d in group.developments]

    @property
    def empty(self) -> bool:
        return not self.groups

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for development in self.developments:
            counts[development.label] = counts.get(development.label, 0) + 1
        return counts


def compose(
    intel: SummitIntel,
    subscription: Subscription,
    until: datetime,
    *,
    include_unrecorded: bool = False,
) -> Digest:
    """Developments (facts added, changed in status or retracted) after the subscription's
    mark and up to ``until``, for what it tracks, grouped by company. ``include_unrecorded``
    (previews) also counts facts with no history at all (the seed's) as added when they
    were; a scheduled digest never needs that, and it reads every fact."""
    store = intel.store
    event = store.event()
    host_id = event.host if event else None
    end = until.isoformat(timespec="microseconds")
    tracked = tracked_entity_ids(intel, subscription)
    first_status: dict[str, str | None] = {}
    for revision in store.revisions_since(subscription.since):
        if revision.at > end:
            break
        if revision.fact_id in first_status:
            continue
        if revision.action in ("added", "imported") and revision.number == 1:
            first_status[revision.fact_id] = None
        elif "status" in revision.changes:
            first_status[revision.fact_id] = revision.changes["status"][0]
    if include_unrecorded:
        for unrecorded in store.facts():
            if (
                unrecorded.id not in first_status
                and subscription.since < unrecorded.added_at <= end
                and not store.revisions_of(unrecorded.id)
            ):
                first_status[unrecorded.id] = None
    groups: dict[str, list[Development]] = {}
    companies: dict[str, Entity | None] = {}
    for fact_id, old_status in first_status.items():
        fact = store.fact(fact_id)
        if fact is None or fact.status == old_status:
            continue
        if not _is_tracked(fact, subscription, tracked):
            continue
        company = _group_company(store, fact, host_id)
        key = company.id if company else ""
        companies[key] = company
        groups.setdefault(key, []).append(Development(fact, old_status, fact.status))
    ordered = sorted(
        groups,
        key=lambda key: (
            companies[key] is None,
            display_order(companies[key]) if companies[key] else (),  # type: ignore[arg-type]
        ),
    )
    return Digest(
        subscription.channel_id,
        subscription.timezone,
        subscription.since,
        end,
        [DigestGroup(companies[key], groups[key]) for key in ordered],
        subscription.created_by,
    )


def tracked_entity_ids(intel: SummitIntel, subscription: Subscription) -> set[str]:
    """A tracked company brings its people along, as its card does."""
    tracked = set(subscription.tracked_entities)
    for entity_id in subscription.tracked_entities:
        tracked.update(person.id for person in intel.matcher.people_of(entity_id))
    return tracked


def _is_tracked(fact: Fact, subscription: Subscription, tracked: set[str]) -> bool:
    if not subscription.tracked_entities and not subscription.tracked_tags:
        return True
    return bool(tracked.intersection(fact.entity_ids)) or bool(
        set(subscription.tracked_tags).intersection(fact.tags)
    )


def _group_company(store: Repository, fact: Fact, host_id: str | None) -> Entity | None:
    companies: list[Entity] = []
    for entity_id in fact.entity_ids:
        entity = store.entity(entity_id)
        if entity is None:
            continue
        if entity.kind == "person" and entity.company_id:
            entity = store.entity(entity.company_id)
        if entity is not None and entity.kind == "company" and entity not in companies:
            companies.append(entity)
    # The host is in most facts; group by the partner unless the host is alone.
    partners = [c for c in companies if c.id != host_id]
    ranked = sorted(partners or companies, key=display_order)
    return ranked[0] if ranked else None
