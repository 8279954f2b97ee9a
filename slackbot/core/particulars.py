"""What tells two statements or stories apart however alike their words: the numbers they
give. Amounts are compared as values, so "$2 billion", "$2bn" and "20억 달러" are one
amount and "$3 billion" another; counts, years, quarters, generations (3E, 4) and sizes
(60TB, "60-terabyte") compare as written, minus their form; a month named beside a number
("14 May", "May 2024") is a date's part."""

from __future__ import annotations

import re

_SCALES = {
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "m": 1e6,
    "mn": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "trillion": 1e12,
    "tn": 1e12,
    "만": 1e4,
    "억": 1e8,
    "조": 1e12,
}
_UNITS = {
    "%": "%",
    "percent": "%",
    "per cent": "%",
    "tb": "tb",
    "terabyte": "tb",
    "terabytes": "tb",
    "gb": "gb",
    "gigabyte": "gb",
    "gigabytes": "gb",
    "nm": "nm",
}
_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
_PARTICULAR = re.compile(
    r"(?<![\w.])(?P<number>\d+(?:[.,]\d+)*)\s*-?\s*"
    r"(?P<suffix>trillion|billion|million|thousand|per cent|percent|terabytes?|gigabytes?"
    r"|bn|tn|mn|tb|gb|nm|[mkb](?![a-z])|%|조|억|만)?"
    # A quarter, half or generation: Q1, H2, HBM3E (gen3E where the name was written apart).
    r"|(?<![\w])(?P<code>[a-z]{1,3}\d+[a-z]?)(?![\w])"
    # A month only beside a number ("14 May", "May 2024"): "may" is also a verb.
    rf"|\b(?P<month>(?:{_MONTHS})[a-z]*)\b(?=\.?\s*\d)"
    rf"|(?<=\d )(?P<month_after>(?:{_MONTHS})[a-z]*)\b",
    re.IGNORECASE,
)
# Names written as their entity (see MentionFinder.canonical) carry no particulars.
_ENTITY_WORD = re.compile(r"ENT[a-z0-9]+")


def particulars(text: str) -> frozenset[str]:
    """The numbers, amounts and dates a text gives, each in one comparable form."""
    found = set()
    for match in _PARTICULAR.finditer(_ENTITY_WORD.sub(" ", text)):
        if match.group("month") or match.group("month_after"):
            found.add((match.group("month") or match.group("month_after"))[:3].casefold())
        elif match.group("code"):
            found.add(match.group("code").casefold())
        else:
            found.add(_number(match.group("number"), (match.group("suffix") or "").casefold()))
    return frozenset(found)


def _number(digits: str, suffix: str) -> str:
    # 10,000 is ten thousand; 3,5 (a decimal comma) is three and a half.
    decimal_comma = digits.count(",") == 1 and len(digits.split(",")[1]) != 3
    value = float(digits.replace(",", ".") if decimal_comma else digits.replace(",", ""))
    if suffix in _SCALES:
        return f"{value * _SCALES[suffix]:g}"
    return f"{value:g}{_UNITS.get(suffix, '')}"
