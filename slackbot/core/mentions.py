"""Finding the companies, people and products a text names (a news headline, a message),
by the same names a lookup knows, and only where the name means the entity.

The text is cut into words and each run of words looked up in a table of names, so the
cost grows with the text, not with the number of names (a store of 100,000 facts knows
thousands of entities, and one regular expression of every name would try each of them at
every position). Latin names stand as whole words ("LG" is not in "LGBT", "SK hynix" not in
"SKU"); a Korean name may take a particle after it (삼성전자가, SK하이닉스는), and so may a
Latin name in Korean text (MS와); a product's name may carry its generation (HBM3E, HBM4);
short names in capitals (LG, MS, SKT) are found only in capitals ("5 ms" is a unit).

A name means the entity only where it does (see ``slackbot.core.namesakes``): the longest
name wins, so "Samsung Biologics" (a namesake) hides "Samsung"; a short abbreviation or a
name that is an ordinary word counts only with something in the text confirming it; and a
phrase an admin said is not about an entity (``Entity.not_names``) never names it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

from slackbot.core.namesakes import (
    COMMON_WORD_NAMES,
    CONFIRMING_WORDS,
    GROUP_COMPANIES,
    SHORT_ABBREVIATION,
)
from storage.api import Entity

SHOUTED_NAME_LENGTH = 4
_WORD = re.compile(r"[^\W_]+")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
# A Latin name followed by a Korean particle in one word: MS와, AI에.
_LATIN_THEN_HANGUL = re.compile(r"^([A-Za-z0-9]+)[\uac00-\ud7a3]+$")
# A product's generation after its name: HBM3E, HBM4, CXL2.
_GENERATION = re.compile(r"^([a-z]+?)\d+[a-z]?$")
# Table value of a namesake: the name is read whole and names nobody tracked.
NAMESAKE = ""

Span = tuple[int, int, str, bool]  # start, end, entity id, weak


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _key(name: str) -> tuple[str, ...]:
    return tuple(word.casefold() for word in _words(unicodedata.normalize("NFKC", name)))


class MentionFinder:
    """Which entities a text names, and the text with each name written as its entity."""

    def __init__(
        self,
        entities: list[Entity],
        *,
        namesakes: Iterable[str] = GROUP_COMPANIES,
        confirm_weak_names: bool = True,
    ) -> None:
        """``namesakes`` and ``confirm_weak_names`` are there to measure what they do (the
        benchmark's baseline matches every name plainly)."""
        self._confirm_weak_names = confirm_weak_names
        # Folded words of a name -> entity; Korean names apart (their last word may run on).
        self._names: dict[tuple[str, ...], str] = {}
        self._korean: dict[tuple[str, ...], str] = {}
        self._shouted: dict[str, str] = {}
        self._weak: set[tuple[tuple[str, ...], str]] = set()
        self._products: set[str] = set()
        self._related: dict[str, set[str]] = {}
        self._not_names: dict[str, list[tuple[str, ...]]] = {}
        # What a story is about, by company: a person stands for their company.
        self._company_of: dict[str, str] = {}
        self._longest = 1
        for entity in entities:
            if entity.kind == "product":
                self._products.add(entity.id)
            else:
                self._company_of[entity.id] = entity.company_id or entity.id
            for other in (entity.company_id, *entity.vendors):
                if other:
                    self._related.setdefault(entity.id, set()).add(other)
                    self._related.setdefault(other, set()).add(entity.id)
            not_names = [_key(phrase) for phrase in entity.not_names]
            if not_names:
                self._not_names[entity.id] = [key for key in not_names if key]
            for name in entity.all_names():
                self._add(unicodedata.normalize("NFKC", name), entity.id)
        for namesake in namesakes:
            self._add(unicodedata.normalize("NFKC", namesake), NAMESAKE)

    def _add(self, name: str, entity_id: str) -> None:
        key = tuple(word.casefold() for word in _words(name))
        if not key:
            return
        shouted = len(name) <= SHOUTED_NAME_LENGTH and name.isupper() and name.isascii()
        if shouted and len(key) == 1:
            self._shouted.setdefault(key[0].upper(), entity_id)
            if len(name) <= SHORT_ABBREVIATION:
                self._weak.add((key, entity_id))
            return
        if " ".join(key) in COMMON_WORD_NAMES:
            self._weak.add((key, entity_id))
        table = self._korean if _HANGUL.search(key[-1]) else self._names
        table.setdefault(key, entity_id)
        self._longest = max(self._longest, len(key))

    # -- finding names -----------------------------------------------------------------

    def _spans(self, text: str) -> Iterator[Span]:
        """Each name found in NFKC-normalised ``text``, left to right, the longest at each
        place (positions are in that text); a product named inside a longer name (Google
        in "Google Gemini") too. Namesakes are read and not given."""
        tokens = [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(text)]
        folded = [token.casefold() for _start, _end, token in tokens]
        position = 0
        while position < len(tokens):
            found = self._at(tokens, folded, position, self._longest)
            if found is None:
                position += 1
                continue
            length, end, entity_id, weak = found
            if entity_id != NAMESAKE:
                yield tokens[position][0], end, entity_id, weak
                inner = self._at(tokens, folded, position, length - 1) if length > 1 else None
                if inner is not None and inner[2] not in (NAMESAKE, entity_id):
                    yield tokens[position][0], inner[1], inner[2], inner[3]
            position += length

    def _at(
        self, tokens: list[tuple[int, int, str]], folded: list[str], position: int, longest: int
    ) -> tuple[int, int, str, bool] | None:
        for length in range(min(longest, len(tokens) - position), 0, -1):
            key = tuple(folded[position : position + length])
            entity_id = self._names.get(key)
            if entity_id is None:
                entity_id = self._korean.get(key)
            if entity_id is not None:
                end = tokens[position + length - 1][1]
                return length, end, entity_id, (key, entity_id) in self._weak
            last = key[-1]
            if _HANGUL.search(last):
                found = self._with_particle(tokens, position, length, key)
                if found is not None:
                    return found
            generation = _GENERATION.match(last)
            if generation is not None:
                entity_id = self._names.get((*key[:-1], generation.group(1)))
                written = tokens[position + length - 1][2]
                if entity_id is None and length == 1 and written.isupper():
                    entity_id = self._shouted.get(generation.group(1).upper())
                if entity_id in self._products:
                    # The name ends before its generation, which stays in the text.
                    base = tokens[position + length - 1][0] + len(generation.group(1))
                    return length, base, entity_id, False
        token = tokens[position][2]
        latin = _LATIN_THEN_HANGUL.match(token)
        entity_id = self._shouted.get(latin.group(1) if latin else token)
        if entity_id is not None:
            key = ((latin.group(1) if latin else token).casefold(),)
            end = tokens[position][0] + len(latin.group(1)) if latin else tokens[position][1]
            return 1, end, entity_id, (key, entity_id) in self._weak
        return None

    def _with_particle(
        self,
        tokens: list[tuple[int, int, str]],
        position: int,
        length: int,
        key: tuple[str, ...],
    ) -> tuple[int, int, str, bool] | None:
        """삼성전자가: a Korean name, then a particle; AI에: a Latin one, then a particle."""
        last = key[-1]
        latin = _LATIN_THEN_HANGUL.match(last)
        if latin is not None:
            entity_id = self._names.get((*key[:-1], latin.group(1)))
            if entity_id is not None and entity_id != NAMESAKE:
                end = tokens[position + length - 1][0] + len(latin.group(1))
                return (
                    length,
                    end,
                    entity_id,
                    ((*key[:-1], latin.group(1)), entity_id) in self._weak,
                )
        if not self._korean:
            return None
        for cut in range(len(last) - 1, 0, -1):
            entity_id = self._korean.get((*key[:-1], last[:cut]))
            if entity_id is not None:
                end = tokens[position + length - 1][0] + cut
                return length, end, entity_id, False
        return None

    # -- which names mean the entity ------------------------------------------------------

    def _meant(self, text: str) -> list[Span]:
        """The spans whose names mean their entity here."""
        spans = [span for span in self._spans(text) if not self._said_not(text, span)]
        strong = {entity_id for _s, _e, entity_id, weak in spans if not weak}
        folded = f" {' '.join(w.casefold() for w in _words(text))} "
        korean = _HANGUL.search(text) is not None
        kept = []
        for span in spans:
            _start, _end, entity_id, weak = span
            if (
                weak
                and self._confirm_weak_names
                and not self._confirmed(entity_id, text[span[0] : span[1]], strong, folded, korean)
            ):
                continue
            kept.append(span)
        return kept

    def _confirmed(
        self, entity_id: str, name: str, strong: set[str], folded: str, korean: bool
    ) -> bool:
        if entity_id in strong or self._related.get(entity_id, set()) & strong:
            return True
        words = CONFIRMING_WORDS.get(entity_id, ())
        if any(f" {' '.join(_key(word))} " in folded for word in words):
            return True
        # An abbreviation beside other names in full (MS with Samsung Electronics), or in a
        # Korean headline, where outlets write MS and LG as the names.
        return name.isupper() and (korean or bool(strong))

    def _said_not(self, text: str, span: Span) -> bool:
        """Whether the span lies in a phrase an admin said is not about its entity."""
        phrases = self._not_names.get(span[2])
        if not phrases:
            return False
        tokens = [(m.start(), m.end(), m.group(0).casefold()) for m in _WORD.finditer(text)]
        for phrase in phrases:
            for index in range(len(tokens) - len(phrase) + 1):
                if tuple(t[2] for t in tokens[index : index + len(phrase)]) != phrase:
                    continue
                start, end = tokens[index][0], tokens[index + len(phrase) - 1][1]
                if start <= span[0] and span[1] <= end:
                    return True
        return False

    def entity_ids(self, text: str) -> list[str]:
        """The entities named, in the order first named."""
        text = unicodedata.normalize("NFKC", text)
        return list(dict.fromkeys(entity_id for _s, _e, entity_id, _w in self._meant(text)))

    def names_in(self, text: str) -> list[str]:
        """Every entity a name in the text could stand for, confirmed or not: what an admin
        may say a phrase is not about."""
        text = unicodedata.normalize("NFKC", text)
        return list(dict.fromkeys(entity_id for _s, _e, entity_id, _w in self._spans(text)))

    def canonical(self, text: str) -> str:
        """The text with every name written as one word for its entity ("SKT" and "SK
        Telecom" both ENTsktelecom), for comparing headlines' words. Short and common names
        are written so too, confirmed or not: "MS ships …" retells "Microsoft ships …"
        whether or not the item says which MS it means (which entities it names is
        ``entity_ids``' question, and namesakes and phrases said not to mean an entity are
        still read as they are)."""
        text = unicodedata.normalize("NFKC", text)
        parts = []
        last = 0
        spans = [span for span in self._spans(text) if not self._said_not(text, span)]
        for start, end, entity_id, _weak in spans:
            if start < last:
                continue  # a name inside one already written (Google in "Google Gemini")
            parts += [text[last:start], "ENT" + "".join(_words(entity_id.casefold()))]
            if end < len(text) and text[end].isdigit():
                parts.append(" gen")  # HBM3E: the name, then its generation as a word
            last = end
        parts.append(text[last:])
        return "".join(parts)

    def company_of(self, entity_id: str) -> str | None:
        """The company an entity stands for in a story (a person's company); None for a
        product or an entity not known here."""
        return self._company_of.get(entity_id)

    def story_names(self, text: str) -> tuple[frozenset[str], frozenset[str]]:
        """Who a story is about and what: the companies it names (a person as their
        company) and the products, as ids, whatever language and names it uses."""
        found = self.entity_ids(text)
        companies = frozenset(self._company_of[eid] for eid in found if eid in self._company_of)
        return companies, frozenset(eid for eid in found if eid in self._products)
