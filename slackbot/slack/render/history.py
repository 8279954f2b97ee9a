"""A fact's (or an entity's) change history."""

from __future__ import annotations

from typing import Any

from slackbot.core.curation import History
from slackbot.core.digests import local
from slackbot.slack.render.base import (
    Builder,
    Message,
    clip,
    context,
    escape,
    mention,
    section,
)


def _change_line(name: str, change: list[Any]) -> str:
    def shown(value: Any) -> str:
        if value in (None, "", []):
            return "—"
        if isinstance(value, dict):
            value = value.get("url") or value.get("title") or "—"
        if isinstance(value, list):
            value = ", ".join(str(item) for item in value)
        return escape(clip(str(value), 200))

    old, new = change
    if old is None:
        return f"{name.replace('_', ' ')}: {shown(new)}"
    return f"{name.replace('_', ' ')}: {shown(old)} → {shown(new)}"


def _when(stamp: str, timezone: str) -> str:
    """A stored ISO time as the reader's local time, e.g. 'Wed 25 Nov 2026 18:01 KST'."""
    try:
        return local(stamp, timezone)
    except ValueError:
        return stamp


BULK_IMPORT = "import"


def _done_by(by: str, action: str) -> str:
    """'<@U0ADMIN> retracted'; a bulk import without a person reads 'imported in bulk'."""
    if by == BULK_IMPORT:
        return f"{action} in bulk" if action == "imported" else f"{action} by a bulk import"
    return f"{mention(by)} {action}"


def _plain_done_by(by: str, action: str) -> str:
    if by == BULK_IMPORT:
        return f"{action} in bulk" if action == "imported" else f"{action} by a bulk import"
    return f"{by} {action}"


def history(answer: History, timezone: str = "UTC") -> Message:
    if not answer.found:
        text = "Nothing to show: give a fact id (like F12) or a company, person or product."
        return Message(text, [section(text)])
    builder = Builder(reserve=0)
    builder.add(section(f"*History of {escape(answer.title)}*"))
    if not answer.revisions:
        seeded = [f for f in answer.facts.values() if f.origin == "seed"]
        note = "No changes recorded"
        if seeded:
            note += "; seeded from the source article"
        builder.add(context(note + "."))
    shown_revisions = answer.revisions[: max(builder.room() - 1, 0)]
    for revision in shown_revisions:
        reason = revision.reason or (revision.changes.get("retraction_reason") or [None, None])[1]
        changes = "\n".join(
            f"• {_change_line(name, change)}"
            for name, change in revision.changes.items()
            # The reason has its own line, once.
            if name != "retraction_reason"
        )
        reason_line = f"\nReason: {escape(str(reason))}" if reason else ""
        builder.add(
            section(
                f"`{revision.fact_id}` r{revision.number} · "
                f"{escape(_when(revision.at, timezone))} · "
                f"{_done_by(revision.by, revision.action)}\n{changes}{reason_line}"
            )
        )
    left_out = len(answer.revisions) - len(shown_revisions)
    if left_out:
        builder.add(context(f"…and {left_out} older changes — narrow it with a fact id"))
    fallback = [f"History of {answer.title}: {len(answer.revisions)} change(s)."]
    fallback += [
        f"{r.fact_id} r{r.number} {_when(r.at, timezone)} {_plain_done_by(r.by, r.action)}: "
        + ", ".join(name.replace("_", " ") for name in r.changes)
        for r in answer.revisions[:20]
    ]
    return Message("\n".join(fallback), builder.blocks)
