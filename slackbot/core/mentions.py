"""Finding the companies, people and products a text names (a news headline, a message),
by the same names a lookup knows.

The text is cut into words and each run of words looked up in a table of names, so the
cost grows with the text, not with the number of names (a store of 100,000 facts knows
thousands of entities, and one regular expression of every name would try each of them at
every position). Latin names stand as whole words ("LG" is not in "LGBT", "SK hynix" not in
"SKU"); a Korean name may take a particle after it (삼성전자가, SK하이닉스는); short names in
capitals (LG, MS, SKT) are found only in capitals ("5 ms" is a unit)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from storage.api import Entity

SHOUTED_NAME_LENGTH = 4
_WORD = re.compile(r"[^\W_]+")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")

Span = tuple[int, int, str]  # start, end, entity id


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


class MentionFinder:
    """Which entities a text names, and the text with each name written as its entity."""

    def __init__(self, entities: list[Entity]) -> None:
        # Folded words of a name -> entity; Korean names apart (their last word may run on).
        self._names: dict[tuple[str, ...], str] = {}
        self._korean: dict[tuple[str, ...], str] = {}
        self._shouted: dict[str, str] = {}
        self._longest = 1
        for entity in entities:
            for name in entity.all_names():
                name = unicodedata.normalize("NFKC", name)
                key = tuple(word.casefold() for word in _words(name))
                if not key:
                    continue
                shouted = len(name) <= SHOUTED_NAME_LENGTH and name.isupper() and name.isascii()
                if shouted and len(key) == 1:
                    self._shouted.setdefault(key[0].upper(), entity.id)
                    continue
                table = self._korean if _HANGUL.search(key[-1]) else self._names
                table.setdefault(key, entity.id)
                self._longest = max(self._longest, len(key))

    def _spans(self, text: str) -> Iterator[Span]:
        """Each name found in NFKC-normalised ``text``, left to right, the longest at each
        place (positions are in that text)."""
        tokens = [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(text)]
        folded = [token.casefold() for _start, _end, token in tokens]
        position = 0
        while position < len(tokens):
            found = self._at(tokens, folded, position)
            if found is None:
                position += 1
                continue
            length, end, entity_id = found
            yield tokens[position][0], end, entity_id
            position += length

    def _at(
        self, tokens: list[tuple[int, int, str]], folded: list[str], position: int
    ) -> tuple[int, int, str] | None:
        for length in range(min(self._longest, len(tokens) - position), 0, -1):
            key = tuple(folded[position : position + length])
            entity_id = self._names.get(key) or self._korean.get(key)
            if entity_id is not None:
                return length, tokens[position + length - 1][1], entity_id
            last = key[-1]
            if self._korean and _HANGUL.search(last):
                # 삼성전자가: the name, then a particle.
                for cut in range(len(last) - 1, 0, -1):
                    entity_id = self._korean.get((*key[:-1], last[:cut]))
                    if entity_id is not None:
                        end = tokens[position + length - 1][0] + cut
                        return length, end, entity_id
        entity_id = self._shouted.get(tokens[position][2])
        if entity_id is not None:
            return 1, tokens[position][1], entity_id
        return None

    def entity_ids(self, text: str) -> list[str]:
        """The entities named, in the order first named."""
        text = unicodedata.normalize("NFKC", text)
        return list(dict.fromkeys(entity_id for _start, _end, entity_id in self._spans(text)))

    def canonical(self, text: str) -> str:
        """The text with every name written as one word for its entity ("SKT" and "SK
        Telecom" both ENTsktelecom), for comparing headlines."""
        text = unicodedata.normalize("NFKC", text)
        parts = []
        last = 0
        for start, end, entity_id in self._spans(text):
            parts += [text[last:start], "ENT" + "".join(_words(entity_id.casefold()))]
            last = end
        parts.append(text[last:])
        return "".join(parts)
