"""What kind of development an item is, and how sure its wording is: a suggestion for the
reviewing admin, who can change both."""

from __future__ import annotations

import re

# First match wins: an investment in HBM capacity is an investment before it is hardware.
KIND_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("investment", ("invest", "investment", "invests", "funding", "stake", "투자")),
    (
        "hardware",
        ("hbm", "ssd", "ssds", "cxl", "chip", "chips", "semiconductor", "memory", "dram", "반도체"),
    ),
    (
        "partnership",
        (
            "partner",
            "partners",
            "partnership",
            "mou",
            "agreement",
            "alliance",
            "collaboration",
            "협력",
            "계약",
            "제휴",
            "협약",
        ),
    ),
    ("product", ("launch", "launches", "unveil", "unveils", "release", "출시")),
)
# Words that make a development expected rather than reported.
EXPECTED_WORDS = (
    "may",
    "might",
    "could",
    "plan",
    "plans",
    "planned",
    "expected",
    "expects",
    "reportedly considering",
    "considering",
    "검토",
    "추진",
    "예정",
)


def _has(text: str, word: str) -> bool:
    if not word.isascii():
        # Korean words take particles and endings: 투자를, 협력하기로.
        return word in text
    return re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", text) is not None


def suggested_kind(text: str) -> str:
    folded = text.casefold()
    for kind, words in KIND_WORDS:
        if any(_has(folded, word) for word in words):
            return kind
    return "context"


def suggested_status(text: str) -> str:
    folded = text.casefold()
    return "expected" if any(_has(folded, word) for word in EXPECTED_WORDS) else "reported"
