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
    company: Entity | None  # None: no company, or several (``several``)
    developments: list[Development]
    # Facts naming several companies, none of them the one tracked or asked about.
    several: bool = False


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
    dated_from: str | None = None,
) -> Digest:
    """Developments (facts added, changed in status or retracted) after the subscription's
    mark and up to ``until``, for what it tracks, grouped by company. ``include_unrecorded``
    (previews) also counts facts with no history at all (the seed's) as added when they
    were; a scheduled digest never needs that, and it reads every fact.

    ``dated_from`` (an ISO day: ``/summit since``) asks by the facts' own dates instead:
    facts reported or happening on or after that day are new, whenever they were recorded,
    and of the rest only status changes recorded since the mark are listed."""
    store = intel.store
    event = store.event()
    host_id = event.host if event else None
    end = until.isoformat(timespec="microseconds")
    tracked = tracked_entity_ids(intel, subscription)
    first_status: dict[str, str | None] = {}
    if dated_from is not None:
        dated = [
            fact
            for fact in store.facts()
            if fact.day_key >= dated_from and fact.added_at <= end and fact.status != "retracted"
        ]
        dated.sort(key=lambda fact: (fact.day_key, fact.number))
        first_status.update(dict.fromkeys((fact.id for fact in dated), None))
    for revision in store.revisions_since(subscription.since):
        if revision.at > end:
            break
        if revision.fact_id in first_status:
            continue
        if revision.action in ("added", "imported") and revision.number == 1:
            if dated_from is None:
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
        key, company = _group_of(store, fact, host_id, tracked)
        companies[key] = company
        groups.setdefault(key, []).append(Development(fact, old_status, fact.status))
    ordered = sorted(
        groups,
        key=lambda key: (
            key == "",
            key == SEVERAL,
            display_order(companies[key]) if companies[key] else (),  # type: ignore[arg-type]
        ),
    )
    return Digest(
        subscription.channel_id,
        subscription.timezone,
        subscription.since,
        end,
        [DigestGroup(companies[key], groups[key], key == SEVERAL) for key in ordered],
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


# The group of facts naming several companies, none of them the one tracked or asked about
# (no company id has spaces).
SEVERAL = "several companies"


def _group_of(
    store: Repository, fact: Fact, host_id: str | None, tracked: set[str]
) -> tuple[str, Entity | None]:
    """The group a development is filed under, and its company: the one company (other
    than the host) it names; among several, the one tracked or asked about, else
    ``SEVERAL``. The host when it is alone; no company ("") when it names none."""
    companies: list[Entity] = []
    for entity_id in fact.entity_ids:
        entity = store.entity(entity_id)
        if entity is None:
            continue
        if entity.kind == "person" and entity.company_id:
            entity = store.entity(entity.company_id)
        if entity is not None and entity.kind == "company" and entity not in companies:
            companies.append(entity)
    partners = [c for c in companies if c.id != host_id]
    if len(partners) > 1:
        asked = [c for c in partners if c.id in tracked]
        if len(asked) != 1:
            return SEVERAL, None
        partners = asked
    ranked = partners or companies
    return (ranked[0].id, ranked[0]) if ranked else ("", None)
