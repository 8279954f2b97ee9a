"""Characters no stored or echoed text may carry: NUL bytes (which some tools cut text at),
lone surrogates (half of a UTF-16 pair: not Unicode, so neither JSON nor the journal can
write them) and the bidirectional controls U+202A to U+202E and U+2066 to U+2069 (which make text
display in another order than it reads, the "Trojan Source" trick).

Typed questions are cleaned quietly; what is to be stored (a form, an import line) is refused
with a message naming the character, so nobody's text is changed behind their back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

BIDI_CONTROLS = frozenset(
    {chr(code) for code in range(0x202A, 0x202F)} | {chr(code) for code in range(0x2066, 0x206A)}
)


def _problem(char: str) -> str | None:
    if char == "\x00":
        return "a NUL byte"
    if "\ud800" <= char <= "\udfff":
        return "a lone surrogate (broken Unicode)"
    if char in BIDI_CONTROLS:
        return f"a bidirectional control character (U+{ord(char):04X})"
    return None


def unsafe_character(text: str) -> str | None:
    """What the first forbidden character in ``text`` is, in words; None when it is clean."""
    if text.isascii():
        return "a NUL byte" if "\x00" in text else None
    for char in text:
        problem = _problem(char)
        if problem:
            return problem
    return None


def without_unsafe(text: str) -> str:
    """``text`` with every forbidden character removed."""
    if text.isascii() and "\x00" not in text:
        return text
    return "".join(char for char in text if _problem(char) is None)


# What a JSON text needs to carry a forbidden character: the character itself, or an escape
# (\u0000, \ud800, \u202e). A line with neither is clean whatever its values are.
_MAYBE_UNSAFE_JSON = re.compile("\\\\u|[\x00\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def json_may_be_unsafe(text: str) -> bool:
    """Whether a JSON text may hold a forbidden character in one of its values. One scan
    in C: an import checks a million lines, and walking each line's values is slower."""
    if text.isascii():
        return "\\u" in text or "\x00" in text
    return _MAYBE_UNSAFE_JSON.search(text) is not None


def strings_in(value: Any) -> Iterator[str]:
    """Every string inside a JSON value (keys included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def refusal(field: str, text: str) -> str | None:
    """The message refusing ``text`` for ``field``, or None when it may be stored."""
    problem = unsafe_character(text)
    if problem is None:
        return None
    return (
        f"The {field} contains {problem}; remove it (it is invisible or not text) and save again."
    )
