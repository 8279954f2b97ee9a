"""Text normalisation shared by the word index and entity matching."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[^\W_]+")
_STOPWORDS = frozenset(
    "a an and are as at be by for from has have in into is it its may of on or the their "
    "these this to was will with could would".split()
)
# Words seen so far and their search terms; emptied when it grows past this many.
_TERM_CACHE_LIMIT = 500_000


def fold(text: str) -> str:
    """Case- and width-insensitive form: NFKC, casefolded, whitespace collapsed."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.casefold().split())


def compact(text: str) -> str:
    """``fold`` with every non-alphanumeric character removed: 'SK-Hynix ' -> 'skhynix'."""
    if text.isascii():
        return text.lower().translate(_ASCII_NOT_ALPHANUMERIC)
    return "".join(_WORD.findall(fold(text)))


class _Terms(dict[str, str]):
    """A folded word's search term: light plural stemming; "" for a stop word."""

    def __missing__(self, word: str) -> str:
        if len(self) >= _TERM_CACHE_LIMIT:
            self.clear()
        if word in _STOPWORDS:
            term = ""
        elif len(word) > 3 and word[-1] == "s" and word[-2] != "s":
            term = word[:-1]
        else:
            term = word
        self[word] = term
        return term


_terms = _Terms()


# ASCII punctuation to spaces: for ASCII text, translate and split is the same as the
# regex and a good deal faster, which counts when 100,000 statements are indexed.
_ASCII_PUNCTUATION = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})
# The same for ``compact``, which drops them (an import compacts a million statements).
_ASCII_NOT_ALPHANUMERIC = str.maketrans({chr(c): None for c in range(128) if not chr(c).isalnum()})


def _folded_words(text: str) -> list[str]:
    if text.isascii():
        return text.lower().translate(_ASCII_PUNCTUATION).split()
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def words(text: str) -> list[str]:
    """Search terms of a text in order: folded words, light plural stemming, no stop words."""
    return [term for term in map(_terms.__getitem__, _folded_words(text)) if term]


def term_set(text: str) -> set[str]:
    """The distinct search terms of a text. Indexing calls this for every statement, so the
    work stays in C: a cached term per word, mapped over the words."""
    terms = set(map(_terms.__getitem__, _folded_words(text)))
    terms.discard("")
    return terms
