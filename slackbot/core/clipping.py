"""The one way text is cut to fit: within ``limit`` characters, ending in "…"."""

from __future__ import annotations

ELLIPSIS = "…"


def clip(text: str, limit: int, *, at_word: bool = False, keep_before: str = "") -> str:
    """``text`` if it fits, else cut to end in "…" within ``limit`` characters. ``at_word``
    cuts at the last space (when that keeps at least half); ``keep_before`` names characters
    that must not be left open: a cut after an unclosed one goes before it instead (Slack's
    ``<url|title>`` links)."""
    if len(text) <= limit:
        return text
    head = text[: limit - len(ELLIPSIS)]
    if keep_before:
        opener, closer = keep_before[0], keep_before[1]
        opened = head.rfind(opener)
        if opened > head.rfind(closer):
            head = head[:opened]
    if at_word:
        space = head.rfind(" ")
        if space >= limit // 2:
            head = head[:space]
        head = head.rstrip()
    return head + ELLIPSIS
