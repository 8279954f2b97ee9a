"""Slack's message markup read back as plain text, for a message an admin saves as a fact.

Slack sends a message's text with its own markup: ``&amp; &lt; &gt;`` for the three
characters it reserves, ``<@U123>`` for a person, ``<#C123|name>`` for a channel,
``<https://x|label>`` for a link and ``<!here>`` for a broadcast. A stored statement is plain
words, so each becomes what a reader saw. (slack_sdk has no reader for this markup, only
builders for it; the grammar is small and documented under "Formatting text for app
surfaces".)
"""

from __future__ import annotations

import re
from collections.abc import Callable

from slackbot.core.clipping import clip

_TAG = re.compile(r"<([^<>]*)>")
_BROADCASTS = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}

UserName = Callable[[str], str | None]


def _tag_text(inner: str, user_name: UserName) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        user_id = target[1:]
        name = label or user_name(user_id)
        return f"@{name}" if name else f"@{user_id}"
    if target.startswith("#"):
        return f"#{label}" if label else "#channel"
    if target.startswith("!"):
        command = target[1:].split("^")[0]
        if command in _BROADCASTS:
            return _BROADCASTS[command]
        return label or ""
    if label and label not in (target, target.split(":", 1)[-1].lstrip("/")):
        return f"{label} ({target})"
    return target


def to_plain_text(text: str, user_name: UserName = lambda _user_id: None) -> str:
    """The words a reader saw: mentions by name, channels as #name, links as "label (url)",
    Slack's escapes undone. ``user_name`` gives a user id's display name, when known."""
    plain = _TAG.sub(lambda match: _tag_text(match.group(1), user_name), text)
    return plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def cut_at_word(text: str, limit: int) -> tuple[str, bool]:
    """``text`` within ``limit`` characters, cut at a word boundary with "…" when too long;
    and whether it was cut."""
    clipped = clip(text, limit, at_word=True)
    return clipped, clipped != text
