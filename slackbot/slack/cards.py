"""Entity cards kept by what they show, for every name the entity is asked by.

``/whois samsung``, ``/whois Samsung Electronics`` and ``/whois 삼성전자`` are three questions
(three entries in the answer cache) and one card, and rendering a card of 45 facts is most of
the CPU of an answer computed afresh. So the card is kept, its blocks already turned into
Slack's JSON, under a key made of what it shows: the entity, people and fact records
themselves (immutable: a changed fact is a new record, so a changed card is a new key), the
claim states and counts, and the reader's language. The share button, the one part that
holds the question, is added per question (``render.asked_as``).

The key holds the records' ids, and each entry holds the card and so the records: while an
entry lives no other object can take one of those ids."""

from __future__ import annotations

from collections.abc import Hashable

from slack_sdk.models.blocks import Block

from slackbot.core.intel import CompanyCard, FactList, MentionCard
from slackbot.core.memo import StampedMemo
from slackbot.slack import i18n, render
from slackbot.slack.render.base import PreparedBlock

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
    """What the card shows, as a key (see the module's docstring)."""
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
    def __init__(self, size: int = 128) -> None:
        # No stamp to check: the key already says what the card shows.
        self._cards: StampedMemo[tuple[Card, render.Message]] = StampedMemo(size)

    def answer(self, card: Card, query: str) -> render.Message:
        """The card as the answer to ``/whois query``."""
        kept = self._cards.get(card_key(card), _unstamped, lambda: (card, _prepared(card)))
        return render.asked_as(kept[1], "/whois", query)


def _unstamped() -> None:
    return None


def _prepared(card: Card) -> render.Message:
    """The card rendered, its blocks already turned into Slack's JSON."""
    built = render.card(card)
    blocks: list[Block] = [PreparedBlock(block.to_dict()) for block in built.blocks]
    return render.Message(built.text, blocks, built.depends_on, built.markup)
