"""An answer as Slack shows it: the domain's answer (``slackbot.core.answers``) rendered,
kept and encoded. Slash commands, "Share to channel", mentions and the Messages tab all
come here; a slash command's answer is kept by the words asked (``AnswerCache``) and an
entity's card by what it shows (``CardCache``), so most questions cost a lookup."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import orjson
from slack_sdk.models.blocks import Block

from slackbot.core import answers
from slackbot.core.claims import OpenClaims, SubjectUnclear
from slackbot.core.curation import History
from slackbot.core.intel import (
    ChipsAnswer,
    CompanyCard,
    FactList,
    MentionCard,
    OneFact,
    Overview,
    SearchAnswer,
)
from slackbot.core.timeline import Timeline
from slackbot.slack import i18n, render
from slackbot.slack.i18n import _
from slackbot.slack.render import Message
from slackbot.slack.render.base import PreparedBlock
from storage.api import LeastRecentlyUsed, Repository, utc_now

if TYPE_CHECKING:  # Services holds the caches below
    from slackbot.slack.services import Services


def command_answer(
    services: Services, command: str, text: str, *, admin: bool = False, key: Hashable = ()
) -> str:
    """The JSON body answering ``command text`` to the asker alone, kept while what it
    shows is unchanged. ``key``: what else the answer depends on (the asker's role)."""
    asked = (command, text.strip(), key, i18n.current())  # in Korean, another answer
    cache = services.answers
    body = cache.get(asked)
    if body is None:
        stamp = cache.stamp()
        message = message_for(services, command, text, admin=admin)
        body = ephemeral_body(message)
        cache.keep(asked, message, body, stamp)
    return body


def ephemeral_body(message: Message) -> str:
    """A slash command's answer, seen only by the asker, as the JSON body of the HTTP
    response (or Socket Mode acknowledgement). Encoded once, with orjson: Bolt's ``ack()``
    would encode the payload again with the json module on every request, a tenth of the
    CPU of a card answered afresh and all of the work of one answered from the cache."""
    return orjson.dumps({"response_type": "ephemeral", **message.to_dict()}).decode()


def render_answer(
    answer: answers.Answer,
    query: str,
    *,
    timezone: str,
    admin: bool = False,
    cards: CardCache | None = None,
) -> render.Message:
    """``cards``: entity cards already rendered for another name of the same entity."""
    if cards is not None and isinstance(answer, CompanyCard | MentionCard):
        return cards.answer(answer, query)
    if isinstance(answer, answers.FirstOfSeveral):
        others = ", ".join(f"`/whois {render.flat(name)}`" for name in answer.others)
        return render.prefixed(
            _("One name at a time: here is “{name}”; ask {others} next.").format(
                name=render.flat(answer.answered), others=others
            ),
            render.who(answer.answer, answer.answered),
        )
    if isinstance(answer, answers.NoSuchFact):
        return render.notice(
            _("There is no fact {id}.").format(id=render.flat(answer.fact_id))
            + " "
            + _("{command} finds facts by what they say.").format(
                command="`/summit search <words>`"
            )
        )
    if isinstance(answer, answers.HelpWanted):
        return render.help_message(unknown=answer.unknown)
    if isinstance(answer, ChipsAnswer):
        return render.chips(answer)
    if isinstance(answer, Overview):
        return render.overview(answer)
    if isinstance(answer, SearchAnswer):
        return render.search(answer, admin=admin)
    if isinstance(answer, History):
        return render.history(answer, timezone)
    if isinstance(answer, OneFact):
        return render.one_fact(answer)
    if isinstance(answer, answers.Usage):
        return render.usage(answer)
    if isinstance(answer, answers.SinceAnswer):
        return render.since_answer(answer)
    if isinstance(answer, Timeline):
        return render.timeline(answer)
    if isinstance(answer, SubjectUnclear):
        return render.subject_unclear(answer)
    if isinstance(answer, OpenClaims):
        return render.open_claims(answer, admin=admin)
    return render.who(answer, query)


def message_for(
    services: Services, command: str, text: str, *, admin: bool = False
) -> render.Message:
    """The answer to ``command text``; ``admin`` gives search results their fact menus."""
    found = answers.answer(
        services.intel,
        services.curator,
        command,
        text,
        digests=services.digests,
        timezone=services.timezone,
    )
    return render_answer(found, text, timezone=services.timezone, admin=admin, cards=services.cards)


# -- the caches ---------------------------------------------------------------------

# The store's version, its entities' version and the day, when an answer was built.
Stamp = tuple[int, int, date]


@dataclass(frozen=True)
class _Cached:
    body: str
    version: int
    entities_version: int
    depends_on: tuple[str, ...] | None
    dependency_versions: tuple[int, ...]
    day: date


class AnswerCache:
    """Rendered answers by what was asked, reused while what they show is unchanged.

    Building a Block Kit answer costs far more than Bolt's own handling of a request, and
    most questions repeat (/who samsung). An answer that names the entities it depends on
    (a company card) stays valid until a fact naming one of them changes, so an admin saving
    a fact about Samsung does not throw away the SK Hynix card; any other answer is valid
    until the store changes at all. Every answer is built again on a new day: how long a
    claim has been open (and whether it is stale) is part of the cards."""

    def __init__(
        self, store: Repository, size: int = 512, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._store = store
        self._clock = clock
        self._answers: LeastRecentlyUsed[Hashable, _Cached] = LeastRecentlyUsed(size)

    def _valid(self, entry: _Cached) -> bool:
        store = self._store
        if entry.day != self._clock().date():
            return False
        if entry.depends_on is None:
            return entry.version == store.version
        return (
            entry.entities_version == store.entities_version
            and store.entity_versions(entry.depends_on) == entry.dependency_versions
        )

    def get(self, key: Hashable) -> str | None:
        """The answer's JSON body, while it is still valid."""
        entry = self._answers.get(key)
        if entry is None:
            return None
        if not self._valid(entry):
            self._answers.pop(key)
            return None
        return entry.body

    def stamp(self) -> Stamp:
        """What the store and the day are before an answer is built (see ``keep``)."""
        store = self._store
        return store.version, store.entities_version, self._clock().date()

    def keep(self, key: Hashable, message: Message, body: str, stamp: Stamp) -> None:
        """Keeps an answer's JSON body, unless the store changed while it was built (since
        ``stamp``)."""
        store = self._store
        version, entities_version, day = stamp
        depends_on = message.depends_on
        versions = store.entity_versions(depends_on) if depends_on is not None else ()
        if store.version == version:
            entry = _Cached(body, version, entities_version, depends_on, versions, day)
            self._answers.put(key, entry)


Card = CompanyCard | MentionCard


def _shown(facts: FactList) -> Hashable:
    # By the records' ids too: hashing a claim state would hash every field of its facts.
    claims = tuple(
        (fact_id, id(state.claim), state.open_days, state.stale, id(state.outcome))
        for fact_id, state in facts.claims.items()
    )
    return (
        tuple(map(id, facts.facts)),
        facts.retracted_hidden,
        facts.more,
        facts.retracted_ids,
        claims,
    )


def card_key(card: Card) -> Hashable:
    """What the card shows, as a key (see ``CardCache``)."""
    if isinstance(card, CompanyCard):
        return (
            id(card.company),
            id(card.highlighted),
            tuple(map(id, card.people)),
            _shown(card.attendance),
            _shown(card.on_the_table),
            _shown(card.context),
            i18n.current(),
        )
    return (
        id(card.entity),
        tuple(map(id, card.related)),
        tuple(map(id, card.vendors)),
        _shown(card.facts),
        i18n.current(),
    )


class CardCache:
    """Entity cards kept by what they show, for every name the entity is asked by.

    ``/whois samsung``, ``/whois Samsung Electronics`` and ``/whois 삼성전자`` are three
    questions (three entries in the answer cache) and one card, and rendering a card of 45
    facts is most of the CPU of an answer computed afresh. So the card is kept, its blocks
    already turned into Slack's JSON, under a key made of what it shows: the entity, people
    and fact records themselves (immutable: a changed fact is a new record, so a changed
    card is a new key), the claim states and counts, and the reader's language. The share
    button, the one part that holds the question, is added per question
    (``render.asked_as``).

    The key holds the records' ids, and each entry holds the card and so the records: while
    an entry lives no other object can take one of those ids."""

    def __init__(self, size: int = 128) -> None:
        # No stamp to check: the key already says what the card shows. The card is kept
        # beside its rendering, so that the records its key names by id stay alive.
        self._cards: LeastRecentlyUsed[Hashable, tuple[Card, render.Message]] = LeastRecentlyUsed(
            size
        )

    def answer(self, card: Card, query: str) -> render.Message:
        """The card as the answer to ``/whois query``."""
        key = card_key(card)
        kept = self._cards.get(key)
        if kept is None:
            kept = (card, _prepared(card))
            self._cards.put(key, kept)
        return render.asked_as(kept[1], "/whois", query)


def _prepared(card: Card) -> render.Message:
    """The card rendered, its blocks already turned into Slack's JSON."""
    built = render.card(card)
    blocks: list[Block] = [PreparedBlock(block.to_dict()) for block in built.blocks]
    return render.Message(built.text, blocks, built.depends_on, built.markup)
