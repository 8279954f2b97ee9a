"""Text normalisation shared by the word index and entity matching."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[^\W_]+")
_STOPWORDS = frozenset(
    "a an and are as at be by for from has have in into is it its may of on or the their "
    "these this to was will with could would".split()
)


def fold(text: str) -> str:
    """Case- and width-insensitive form: NFKC, casefolded, whitespace collapsed."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.casefold().split())


def compact(text: str) -> str:
    """``fold`` with every non-alphanumeric character removed: 'SK-Hynix ' -> 'skhynix'."""
    return "".join(_WORD.findall(fold(text)))


def words(text: str) -> list[str]:
    """Search terms of a text: folded words, light plural stemming, no stop words."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return [
        word[:-1] if len(word) > 3 and word[-1] == "s" and word[-2] != "s" else word
        for word in _WORD.findall(text.casefold())
        if word not in _STOPWORDS
    ]
