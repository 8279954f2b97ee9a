"""What kind of development an item is, and how sure its wording is: a suggestion for the
reviewing admin, who can change both."""

from __future__ import annotations

import re

# First match wins: an investment in HBM capacity is an investment before it is hardware, a
# visit to the summit is attendance whatever it is about, and a product launched is a
# product even when it is a chip.
KIND_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "investment",
        (
            "invest",
            "investment",
            "invests",
            "funding",
            "stake",
            "spend",
            "spends",
            "capex",
            "plant",
            "factory",
            "fab",
            "breaks ground",
            "build",
            "builds",
            "acquire",
            "acquires",
            "acquisition",
            "pledges",
            "투자",
            "증설",
            "공장",
            "인수",
        ),
    ),
    (
        "attendance",
        ("summit", "attend", "attends", "visit", "visits", "closed-door", "회동", "방한", "참석"),
    ),
    (
        "product",
        (
            "launch",
            "launches",
            "unveil",
            "unveils",
            "release",
            "releases",
            "comes to",
            "come to",
            "rolls out",
            "roll out",
            "bring",
            "brings",
            "출시",
            "탑재",
            "신제품",
            "선보",
        ),
    ),
    (
        "hardware",
        (
            "hbm",
            "ssd",
            "ssds",
            "cxl",
            "chip",
            "chips",
            "semiconductor",
            "memory",
            "dram",
            "nand",
            "accelerator",
            "mass production",
            "반도체",
            "메모리",
            "양산",
        ),
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
            "deal",
            "co-develop",
            "joint",
            "join forces",
            "team up",
            "teams up",
            "cooperate",
            "협력",
            "계약",
            "제휴",
            "협약",
            "합작",
            "동맹",
        ),
    ),
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
    # A generation may follow: HBM3E, CXL2.
    return re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z])", text) is not None


def suggested_kind(text: str) -> str:
    folded = text.casefold()
    for kind, words in KIND_WORDS:
        if any(_has(folded, word) for word in words):
            return kind
    return "context"


def suggested_status(text: str) -> str:
    folded = text.casefold()
    return "expected" if any(_has(folded, word) for word in EXPECTED_WORDS) else "reported"
