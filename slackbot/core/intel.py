"""Summit Intel's answers, as plain data: what /who, /chips and /summit say, with no Slack code.

Handlers parse a command, call one method here and hand the answer to ``slackbot.slack.render``;
the console, HTTP and Socket Mode all go through the same path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from slackbot.core.claims import DEFAULT_STALE_DAYS, ClaimBook, ClaimState
from slackbot.core.matching import EntityMatcher, display_order
from slackbot.core.memo import StampedMemo
from slackbot.core.tags import normalise_tag
from storage.api import (
    FACT_KINDS,
    Entity,
    Event,
    Fact,
    Repository,
    compact,
    first_day,
    fold,
    utc_now,
)

ATTENDANCE_KINDS = frozenset({"attendance"})
# What Microsoft and a company may do together, when a fact names both of them.
TOGETHER_KINDS = frozenset({"agenda", "hardware", "partnership", "investment", "product"})
OTHER_KINDS = frozenset(FACT_KINDS) - ATTENDANCE_KINDS
# Facts about the summit as a whole (tagged so): shown in the overview, not on every card.
SUMMIT_WIDE_TAG = "summit-wide"
STATUS_RANK = {"confirmed": 0, "reported": 1, "expected": 2, "retracted": 3}
HARDWARE_CATEGORY = "hardware"


# The most facts one section of an answer can show within Block Kit's 50 blocks.
PAGE = 45


@dataclass(frozen=True)
class FactList:
    """Facts to show (newest first), how many more there are beyond them, and how many
    retracted ones were left out."""

    facts: list[Fact]
    retracted_hidden: int = 0
    more: int = 0
    retracted_ids: tuple[str, ...] = ()  # the first few of them, to name in the note
    # Claims among the facts that are stale or settled, by fact id (see core.claims).
    claims: dict[str, ClaimState] = field(default_factory=dict)


def pages(
    store: Repository,
    entity_ids: list[str],
    sections: list[frozenset[str] | None],
    claims: ClaimBook | None = None,
) -> list[FactList]:
    return [
        FactList(
            found.facts,
            found.retracted,
            found.total - len(found.facts),
            found.retracted_ids,
            claims.states(found.facts) if claims is not None else {},
        )
        for found in store.pages_involving(entity_ids, sections, PAGE)
    ]


def by_relevance(asked: list[Entity]) -> Callable[[list[Fact]], list[Fact]]:
    """Orders facts for a question about ``asked``: facts whose statement names it first,
    then confirmed, reported, expected, then the newest dated, then by id."""
    names = [fold(name) for entity in asked for name in entity.all_names() if name.strip()]

    def key(fact: Fact) -> tuple[bool, int, int, int]:
        statement = fold(fact.statement)
        named = any(_has_words(statement, name) for name in names)
        # Newest dated first (an ordinal sorts descending negated); undated facts last.
        dated = fact.dated_on
        age = -date.fromisoformat(first_day(dated)).toordinal() if dated else 1
        return (not named, STATUS_RANK.get(fact.status, 9), age, fact.number)

    return lambda facts: sorted(facts, key=key)


def _has_words(folded_text: str, folded_phrase: str) -> bool:
    """Whether the phrase stands in the text as whole words (both already folded)."""
    return re.search(rf"(?<!\w){re.escape(folded_phrase)}(?!\w)", folded_text) is not None


@dataclass(frozen=True)
class CompanyCard:
    company: Entity
    people: list[Entity]
    attendance: FactList
    on_the_table: FactList
    context: FactList
    highlighted: Entity | None = None


@dataclass(frozen=True)
class MentionCard:
    """An entity that is not an attending company: the facts that name it."""

    entity: Entity
    related: list[Entity]
    facts: FactList
    vendors: list[Entity] = field(default_factory=list)  # a product's, by display name


def shown_facts(card: CompanyCard | MentionCard) -> int:
    """How many facts a card lists, on its pages and beyond them ("and N more")."""
    if isinstance(card, MentionCard):
        lists = [card.facts]
    else:
        lists = [card.attendance, card.on_the_table, card.context]
    return sum(len(facts.facts) + facts.more for facts in lists)


@dataclass(frozen=True)
class Ambiguous:
    query: str
    matches: list[tuple[Entity, int]]


@dataclass(frozen=True)
class NoMatch:
    query: str
    companies: list[Entity]
    others: list[Entity]


@dataclass(frozen=True)
class Roster:
    companies: list[tuple[Entity, list[Entity]]]
    mentioned: list[Entity]
    # People the event names as taking part without the host company (Bill Gates).
    also: list[Entity] = field(default_factory=list)


@dataclass(frozen=True)
class ChipPart:
    part: Entity
    vendors: list[Entity]
    facts: FactList
    # Other parts a shown fact also names, by fact id; facts shown under an earlier part.
    also: dict[str, list[str]] = field(default_factory=dict)
    see: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ChipsAnswer:
    query: str
    parts: list[ChipPart]
    unmatched: bool = False
    # A known company or person the words named, which has no hardware on the table.
    nothing_for: Entity | None = None


@dataclass(frozen=True)
class Overview:
    event: Event | None
    host: Entity | None
    host_people: list[Entity]
    companies: list[tuple[Entity, list[Entity]]]
    fact_counts: dict[str, int] = field(default_factory=dict)
    summit_wide: list[Fact] = field(default_factory=list)  # about the summit as a whole
    # The themes, each with the fact it rests on (its status goes with it), when it cites one.
    themes: list[tuple[str, Fact | None]] = field(default_factory=list)


@dataclass(frozen=True)
class SearchAnswer:
    query: str
    facts: list[Fact]
    total: int
    retracted_hidden: int = 0
    retracted_ids: tuple[str, ...] = ()
    claims: dict[str, ClaimState] = field(default_factory=dict)


@dataclass(frozen=True)
class OneFact:
    """One fact asked for by its id (``/summit F9``), with what it names and its history."""

    fact: Fact
    entities: list[Entity]
    changes: int  # revisions recorded
    claim: ClaimState | None = None  # when it is an Expected fact


WhoAnswer = CompanyCard | MentionCard | Ambiguous | NoMatch | Roster


class SummitIntel:
    """The questions Summit Intel answers, over one fact store."""

    def __init__(
        self,
        store: Repository,
        *,
        clock: Callable[[], datetime] = utc_now,
        stale_days: int = DEFAULT_STALE_DAYS,
    ) -> None:
        self.store = store
        self.claims = ClaimBook(store, clock=clock, stale_days=stale_days)
        self._matcher: EntityMatcher | None = None
        self._matcher_version = -1
        self._cards: StampedMemo[CompanyCard | MentionCard] = StampedMemo()

    @property
    def matcher(self) -> EntityMatcher:
        # Entities rarely change; rebuild the matcher only when they have.
        if self._matcher is None or self._matcher_version != self.store.entities_version:
            self._matcher_version = self.store.entities_version
            self._matcher = EntityMatcher(self.store.entities())
        return self._matcher

    def entities(self, ids: Iterable[str] | None = None) -> list[Entity]:
        """Every known entity in display order, or those of ``ids`` that exist, in order."""
        if ids is None:
            return sorted(self.store.entities(), key=display_order)
        return [entity for entity in map(self.store.entity, ids) if entity is not None]

    def entity_ids(self) -> list[str]:
        return [entity.id for entity in self.store.entities()]

    def _people_of(self, company: Entity) -> list[Entity]:
        return self.matcher.people_of(company.id)

    def _attending_companies(self) -> list[tuple[Entity, list[Entity]]]:
        event = self.store.event()
        host_id = event.host if event else None
        companies = sorted(
            (e for e in self.store.entities() if e.kind == "company" and e.attending),
            # The host first, then the visitors alphabetically.
            key=lambda company: (company.id != host_id, company.name.casefold()),
        )
        return [(company, self._people_of(company)) for company in companies]

    def one_fact(self, fact_id: str) -> OneFact | None:
        """The fact with that id (F9, f9, F009), or None when there is none."""
        fact = self.store.fact(fact_id)
        if fact is None:
            return None
        return OneFact(
            fact,
            self.entities(fact.entity_ids),
            len(self.store.revisions_of(fact.id)),
            self.claims.state(fact),
        )

    # -- /who -------------------------------------------------------------------------

    def who(self, query: str) -> WhoAnswer:
        if not query.strip():
            mentioned = [
                entity
                for entity in self.store.entities()
                if entity.kind == "company" and not entity.attending
            ]
            event = self.store.event()
            host = self.store.entity(event.host) if event else None
            also = [
                person
                for person in (map(self.store.entity, event.host_people) if event else [])
                if person is not None and (host is None or person.company_id != host.id)
            ]
            return Roster(self._attending_companies(), sorted(mentioned, key=display_order), also)
        matches = self.matcher.match(query)
        if not matches:
            everything = sorted(self.store.entities(), key=display_order)
            return NoMatch(
                query,
                [e for e in everything if e.kind == "company" and e.attending],
                [e for e in everything if not (e.kind == "company" and e.attending)],
            )
        if len(matches) > 1:
            # Each with the number its card shows: what `/whois <that name>` will list.
            return Ambiguous(
                query, [(entity, shown_facts(self.card(entity))) for entity in matches]
            )
        return self.card(matches[0])

    def card(self, entity: Entity) -> CompanyCard | MentionCard:
        """The entity's card, kept until the store changes or the day turns (see
        ``slackbot.core.memo``): every name it is asked by gets the same one."""
        return self._cards.get(entity.id, self._card_stamp, lambda: self._build_card(entity))

    def _card_stamp(self) -> tuple[int, date]:
        return self.store.version, self.claims.today()

    def _build_card(self, entity: Entity) -> CompanyCard | MentionCard:
        company = entity
        highlighted = None
        if entity.kind == "person" and entity.company_id:
            company = self.store.entity(entity.company_id) or entity
            highlighted = entity
        if company.kind == "company" and company.attending:
            return self.company_card(company, highlighted)
        (facts,) = pages(self.store, [entity.id], [None], self.claims)
        related_ids = {eid for fact in facts.facts for eid in fact.entity_ids} - {entity.id}
        related = [e for e in map(self.store.entity, related_ids) if e is not None]
        return MentionCard(
            entity, sorted(related, key=display_order), facts, self.entities(entity.vendors)
        )

    def company_card(self, company: Entity, highlighted: Entity | None = None) -> CompanyCard:
        people = self._people_of(company)
        involved = [company.id, *(person.id for person in people)]
        attendance, others = pages(
            self.store, involved, [ATTENDANCE_KINDS, OTHER_KINDS], self.claims
        )
        event = self.store.event()
        host = event.host if event else None
        together, context = [], []
        for fact in others.facts:
            if SUMMIT_WIDE_TAG in fact.tags:
                continue
            if fact.kind in TOGETHER_KINDS and host in fact.entity_ids:
                together.append(fact)
            else:
                context.append(fact)
        ranked = by_relevance([company, *people])
        return CompanyCard(
            company=company,
            people=people,
            attendance=replace(attendance, facts=ranked(attendance.facts)),
            on_the_table=FactList(
                ranked(together), others.retracted_hidden, 0, others.retracted_ids, others.claims
            ),
            context=FactList(ranked(context), 0, others.more, claims=others.claims),
            highlighted=highlighted,
        )

    # -- /chips -----------------------------------------------------------------------

    def chips(self, query: str) -> ChipsAnswer:
        """The hardware on the table. Words narrow it together: a part (``hbm``), a vendor
        or company (``samsung``), a tag; ``/chips hbm samsung`` is HBM *and* Samsung. Each
        fact is shown once, under the first part it names."""
        parts = sorted(
            (
                entity
                for entity in self.store.entities()
                if entity.kind == "product" and entity.category == HARDWARE_CATEGORY
            ),
            key=lambda part: part.name.casefold(),
        )
        chosen: list[Entity] = parts
        with_entities: list[Entity] = []
        unmatched, nothing_for = False, None
        if query.strip():
            found = self._filter_parts(parts, query)
            if found is None:
                unmatched = True
            else:
                chosen, with_entities = found
                if not chosen:
                    # A known company or person with no hardware: say so in one line.
                    nothing_for = with_entities[0] if with_entities else None
                    unmatched = nothing_for is None
                    chosen = [] if nothing_for else parts
        return ChipsAnswer(query, self._chip_parts(chosen, with_entities), unmatched, nothing_for)

    def _filter_parts(
        self, parts: list[Entity], query: str
    ) -> tuple[list[Entity], list[Entity]] | None:
        """The parts every word of ``query`` agrees on, and the non-part entities named;
        None when a word names nothing known."""
        part_ids = {part.id for part in parts}
        groups = self._name_groups(query)
        chosen = list(parts)
        named_parts: set[str] | None = None
        others: list[Entity] = []
        for matches in groups:
            if not matches:
                tag = normalise_tag(query)
                tagged = [part for part in parts if self.store.has_tag(tag, part.id)]
                if not tagged:
                    return None
                chosen = [part for part in chosen if part in tagged]
                continue
            entity = matches[0]
            if entity.id in part_ids:
                named_parts = (named_parts or set()) | {m.id for m in matches if m.id in part_ids}
                continue
            others.append(entity)
            chosen = [
                part
                for part in chosen
                if entity.id in part.vendors or self.store.named_together(entity.id, part.id)
            ]
        if named_parts is not None:
            chosen = [part for part in chosen if part.id in named_parts]
        return chosen, others

    def _name_groups(self, query: str) -> list[list[Entity]]:
        """What each name in ``query`` matches, reading the longest exact names first
        ("sk hynix samsung" is SK Hynix, then Samsung); a word that names nothing gives an
        empty group."""
        words = [word for word in re.split(r"[\s,]+", query) if word]
        groups: list[list[Entity]] = []
        start = 0
        while start < len(words):
            for end in range(len(words), start, -1):
                phrase = " ".join(words[start:end])
                matches = self.matcher.match(phrase)
                exact = [m for m in matches if compact(phrase) in map(compact, m.all_names())]
                if exact:
                    groups.append(exact)
                    start = end
                    break
            else:
                groups.append(self.matcher.match(words[start]))
                start += 1
        return groups

    def _chip_parts(self, parts: list[Entity], with_entities: list[Entity]) -> list[ChipPart]:
        """Each part's facts (only those naming ``with_entities`` too), each fact under the
        first part it names and referred to under the others."""
        shown_under: dict[str, str] = {}
        names = {part.id: part.name for part in parts}
        chips = []
        for part in parts:
            vendors = [v for v in map(self.store.entity, part.vendors) if v is not None]
            (page,) = pages(self.store, [part.id], [None], self.claims)
            ranked = by_relevance([part])(page.facts)
            facts: list[Fact] = []
            also: dict[str, list[str]] = {}
            see: list[tuple[str, str]] = []
            for fact in ranked:
                if with_entities and not all(e.id in fact.entity_ids for e in with_entities):
                    continue
                if fact.id in shown_under:
                    see.append((fact.id, shown_under[fact.id]))
                    continue
                shown_under[fact.id] = part.name
                facts.append(fact)
                others = [names[e] for e in fact.entity_ids if e in names and e != part.id]
                if others:
                    also[fact.id] = others
            chips.append(
                ChipPart(
                    part,
                    vendors,
                    FactList(
                        facts, page.retracted_hidden, page.more, page.retracted_ids, page.claims
                    ),
                    also,
                    see,
                )
            )
        return chips

    # -- /summit ----------------------------------------------------------------------

    def overview(self) -> Overview:
        event = self.store.event()
        host = self.store.entity(event.host) if event else None
        host_people = [
            person
            for person in (map(self.store.entity, event.host_people) if event else [])
            if person is not None
        ]
        counts = dict(self.store.status_counts())
        companies = [(c, p) for c, p in self._attending_companies() if host is None or c != host]
        summit_wide = [
            fact
            for fact in self.store.facts_involving([host.id] if host else [])
            if SUMMIT_WIDE_TAG in fact.tags and fact.status != "retracted"
        ]
        themes = []
        for theme in event.themes if event else ():
            cited = re.match(r"^(F\d+):\s*(.+)$", theme)
            if cited:
                themes.append((cited.group(2), self.store.fact(cited.group(1))))
            else:
                themes.append((theme, None))
        return Overview(event, host, host_people, companies, counts, summit_wide, themes)

    def search(self, query: str, limit: int) -> SearchAnswer:
        """Facts with every word first, then those with most words; a "quoted phrase" must
        appear as written (case and spacing aside)."""
        phrases = [fold(p) for p in re.findall(r'["“”]([^"“”]+)["“”]', query) if p.strip()]
        if not phrases:
            found = self.store.search_facts(query, limit)
            return SearchAnswer(
                query,
                found.facts,
                found.total,
                found.retracted,
                found.retracted_ids,
                self.claims.states(found.facts),
            )
        found = self.store.search_facts(query.replace("“", '"').replace("”", '"'), None)
        facts = [
            fact
            for fact in found.facts
            if all(_has_words(fold(fact.statement), phrase) for phrase in phrases)
        ]
        shown = facts[:limit]
        return SearchAnswer(
            query,
            shown,
            len(facts),
            found.retracted,
            found.retracted_ids,
            self.claims.states(shown),
        )
