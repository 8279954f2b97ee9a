"""Answers' pieces kept while what they were built from is unchanged.

The answer cache (``slackbot.slack.services``) keeps whole answers by the words asked;
``/whois samsung``, ``/whois 삼성전자`` and ``/whois Samsung Electronics`` are three entries
there and one company card here. Reading a card's pages of facts, their claims and their
order is most of what a card asked by a new name costs, so the card is kept by its entity,
stamped with the store's version and the day (how long a claim has been open is part of a
card): any write, or midnight, and it is built again."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from storage.api import LeastRecentlyUsed

Value = TypeVar("Value")

# Cards kept: the entities asked about in the last few minutes. A card holds up to 135
# facts, most of them the ones the store keeps decoded anyway (the newest of each entity).
DEFAULT_SIZE = 256


class StampedMemo(Generic[Value]):
    """Values by key, each kept with the stamp it was built under and given back only
    under that same stamp; the least recently used go first."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._kept: LeastRecentlyUsed[Hashable, tuple[Hashable, Value]] = LeastRecentlyUsed(size)

    def get(
        self, key: Hashable, stamp: Callable[[], Hashable], build: Callable[[], Value]
    ) -> Value:
        """The value kept for ``key`` if ``stamp()`` is what it was built under; else
        ``build()``, kept unless the stamp moved while it was built (a write landed)."""
        before = stamp()
        kept = self._kept.get(key)
        if kept is not None and kept[0] == before:
            return kept[1]
        value = build()
        if stamp() == before:
            self._kept.put(key, (before, value))
        return value

    def __len__(self) -> int:
        return len(self._kept)
