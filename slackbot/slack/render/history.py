"""A fact's (or an entity's) change history."""

from __future__ import annotations

from typing import Any

from slackbot.core.curation import History
from slackbot.slack.i18n import _
from slackbot.slack.render.base import (
    Builder,
    Message,
    clip,
    context,
    escape,
    mention,
    section,
    when,
    with_mentions,
)


def status_word(status: str) -> str:
    """A status as a history line writes it: "expected", or its Korean."""
    return {
        "confirmed": _("confirmed"),
        "reported": _("reported"),
        "expected": _("expected"),
        "retracted": _("retracted"),
    }.get(status, status)


def field_name(name: str) -> str:
    """A fact's field as a history line names it."""
    return {
        "statement": _("statement"),
        "kind": _("kind"),
        "status": _("status"),
        "entity_ids": _("names"),
        "source": _("source"),
        "happened_on": _("happened on"),
        "reported_on": _("reported on"),
        "tags": _("tags"),
        "retraction_reason": _("retraction reason"),
        "outcome": _("outcome"),
        "review_on": _("review on"),
        "did_not_happen": _("did not happen"),
        "more_sources": _("more sources"),
    }.get(name, name.replace("_", " "))


def action_word(action: str) -> str:
    """What a revision did, in the reader's language."""
    return {
        "added": _("added"),
        "imported": _("imported"),
        "edited": _("edited"),
        "retracted": _("retracted"),
        "restored": _("restored"),
        "sourced": _("added a source"),
        "settled": _("settled"),
        "kept open": _("kept open"),
    }.get(action, action)


def _change_line(name: str, change: list[Any]) -> str:
    def shown(value: Any) -> str:
        if value in (None, "", []):
            return "—"
        if name == "status" and isinstance(value, str):
            return status_word(value)
        if isinstance(value, dict):
            value = value.get("url") or value.get("title") or "—"
        if isinstance(value, list):
            value = ", ".join(str(item) for item in value)
        return escape(clip(str(value), 200))

    old, new = change
    if old is None:
        return f"{field_name(name)}: {shown(new)}"
    return f"{field_name(name)}: {shown(old)} → {shown(new)}"


def _when(stamp: str, timezone: str) -> str:
    """A stored ISO time as the reader's local time, e.g. 'Wed 25 Nov 2026 18:01 KST'."""
    try:
        return when(stamp, timezone)
    except ValueError:
        return stamp


BULK_IMPORT = "import"


def _done_by(by: str, action: str) -> str:
    """'<@U0ADMIN> retracted'; a bulk import without a person reads 'imported in bulk'."""
    if by == BULK_IMPORT:
        return _bulk(action)
    return f"{mention(by)} {action_word(action)}"


def _bulk(action: str) -> str:
    if action == "imported":
        return _("imported in bulk")
    return _("{action} by a bulk import").format(action=action_word(action))


def _plain_done_by(by: str, action: str) -> str:
    if by == BULK_IMPORT:
        return _bulk(action)
    return f"{by} {action_word(action)}"


def history(answer: History, timezone: str = "UTC") -> Message:
    if not answer.found:
        text = _("Nothing to show: give a fact id (like {id}) or a company, person or product.")
        text = text.format(id="F12")
        return Message(text, [section(text)])
    builder = Builder(reserve=0)
    title = _("History of {name}")
    builder.add(section(f"*{title.format(name=escape(answer.title))}*"))
    if not answer.revisions:
        seeded = [f for f in answer.facts.values() if f.origin == "seed"]
        note = _("No changes recorded")
        if seeded:
            note += "; " + _("seeded from the source article")
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
        reason_line = f"\n{_('Reason')}: {with_mentions(str(reason))}" if reason else ""
        builder.add(
            section(
                f"`{revision.fact_id}` r{revision.number} · "
                f"{escape(_when(revision.at, timezone))} · "
                f"{_done_by(revision.by, revision.action)}\n{changes}{reason_line}"
            )
        )
    left_out = len(answer.revisions) - len(shown_revisions)
    if left_out:
        older = _("…and {count} older changes — narrow it with a fact id")
        builder.add(context(older.format(count=left_out)))
    changes = _("{count} change(s) recorded").format(count=len(answer.revisions))
    fallback = [f"{title.format(name=answer.title)}: {changes}."]
    fallback += [
        f"{r.fact_id} r{r.number} {_when(r.at, timezone)} {_plain_done_by(r.by, r.action)}: "
        + ", ".join(field_name(name) for name in r.changes)
        for r in answer.revisions[:20]
    ]
    return Message("\n".join(fallback), builder.blocks)
