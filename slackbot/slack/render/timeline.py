"""Answers about time: ``/summit timeline`` (facts in date order, a section per month) and
``/summit since`` (what moved since a day, composed as a digest, for one person)."""

from __future__ import annotations

from datetime import date

from slack_sdk.models.blocks import Block

from slackbot.core.answers import SinceAnswer, Usage
from slackbot.core.claims import SubjectUnclear
from slackbot.core.timeline import Timeline
from slackbot.slack.i18n import _
from slackbot.slack.render.base import (
    MAX_MESSAGE_BLOCKS,
    MAX_SECTION_TEXT,
    Message,
    context,
    echo,
    escape,
    fact_date,
    fact_line,
    fact_plain,
    flat,
    header,
    legend,
    month_name,
    notice,
    section,
    share_button,
)
from slackbot.slack.render.digests import development_counts, digest_messages
from storage.api import first_day


def _command(subject: str, since: date | None) -> str:
    words = " ".join(part for part in (subject, f"since {since}" if since else "") if part)
    return f"/summit timeline {words}".rstrip()


def timeline(answer: Timeline) -> Message:
    subject = answer.subject
    title = f"{_('Timeline')}: {subject.name if subject else _('every fact')}"
    asked = _command(subject.name.lower() if subject else "", answer.since)
    if not answer.facts:
        if subject and answer.since:
            empty = _("No facts about {name} since {day} yet;").format(
                name=subject.name, day=answer.since
            )
        elif subject:
            empty = _("No facts about {name} yet;").format(name=subject.name)
        elif answer.since:
            empty = _("No facts since {day} yet;").format(day=answer.since)
        else:
            empty = _("No facts yet;")
        every = _("{command} shows every fact.").format(command="`/summit timeline`")
        return notice(f"{empty} {every}")
    blocks: list[Block] = [header(title)]
    dated = [first_day(fact.dated_on) for fact in answer.facts if fact.dated_on]
    span = _("{count} fact(s)").format(count=len(answer.facts))
    if dated:
        span += f", {dated[0]} → {dated[-1]}, " + _("oldest first")
    if len(dated) < len(answer.facts):
        span += "; " + _("{count} undated, last").format(count=len(answer.facts) - len(dated))
    if answer.retracted:
        left_out = _("{count} retracted left out").format(count=answer.retracted)
        span += f" · {left_out} (`/summit history <id>`)"
    blocks.append(context(escape(span)))
    by_month: dict[str, list[str]] = {}
    for fact in answer.facts:
        month = month_name(fact.dated_on) if fact.dated_on else _("Undated")
        by_month.setdefault(month, []).append(fact_line(fact, claim=answer.claims.get(fact.id)))
    for month, lines in by_month.items():
        # One section per month while it fits Slack's 3,000 characters, then another.
        chunk = f"*{month}*"
        for line in lines:
            if len(chunk) + len(line) + 2 > MAX_SECTION_TEXT:
                blocks.append(section(chunk))
                chunk = f"*{month}* ({_('continued')})"
            chunk += f"\n\n{line}"
        blocks.append(section(chunk))
    if answer.later:
        more = _("…and {count} later fact(s)").format(count=answer.later)
        if answer.next_since:
            more += f" — `{_command(subject.name.lower() if subject else '', answer.next_since)}`"
        else:
            more += " — " + _("narrow it to a company or product: {example}").format(
                example="`/summit timeline samsung`"
            )
        blocks.append(context(escape(more)))
    blocks.append(context(legend(answer.facts)))
    blocks = blocks[: MAX_MESSAGE_BLOCKS - 1]
    blocks.append(share_button("/summit", asked.removeprefix("/summit ")))
    fallback = [f"{title} ({span}):"] + [
        f"{fact_date(fact) or _('Undated')} {fact_plain(fact)}" for fact in answer.facts[:20]
    ]
    depends_on = None  # any fact may fall on the line, so any change renews it
    return Message("\n".join(fallback), blocks, depends_on)


def subject_unclear(answer: SubjectUnclear) -> Message:
    asked = f"/summit {answer.sub_command}"
    if not answer.matches:
        return notice(
            _("Nothing matches “{query}”.").format(query=flat(answer.query))
            + " "
            + _(
                "Name a company or product, e.g. {examples}; {alone} alone covers every fact."
            ).format(examples=f"`{asked} samsung`, `{asked} hbm`", alone=f"`{asked}`")
        )
    options = ", ".join(f"`{asked} {escape(m.name.lower())}`" for m in answer.matches)
    several = _("“{query}” could be several")
    return Message(
        several.format(query=flat(answer.query)) + ": " + ", ".join(m.name for m in answer.matches),
        [section(several.format(query=echo(answer.query)) + f" — {_('pick one:')} {options}")],
    )


def since(answer: SinceAnswer) -> Message:
    tracking = answer.tracking
    problems = [_("I don't know “{name}”").format(name=flat(name)) for name in tracking.unknown]
    problems += [
        _("“{name}” could be {matches}").format(name=flat(name), matches=", ".join(matches))
        for name, matches in tracking.ambiguous
    ]
    if problems:
        return notice(
            "; ".join(problems)
            + ". "
            + _("Name a company, person, product or tag, e.g. {example}.").format(
                example=f"`/summit since {answer.since} samsung, hbm`"
            )
        )
    named = ", ".join(tracking.added)
    if answer.digest.empty:
        if named:
            return notice(
                _("Nothing moved about {names} since {day}.").format(names=named, day=answer.since)
            )
        return notice(_("Nothing moved since {day}.").format(day=answer.since))
    first, *thread = digest_messages(answer.digest)
    # The headline's title and summary, then every development shown (a long digest puts
    # them in its thread; here they go together).
    details = [b for r in thread for b in r.blocks] if thread else first.blocks[2:-1]
    counts = development_counts(answer.counts)
    if named:
        moved = _("{count} development(s) about {names} since {day}").format(
            count=answer.total, names=named, day=answer.since
        )
    else:
        moved = _("{count} development(s) since {day}").format(count=answer.total, day=answer.since)
    summary = f"*{moved}:* {counts}"
    note = _("As a digest would say it; only you see this.")
    if answer.total > len(answer.digest.developments):
        note += " " + _(
            "The first {count} are shown: name a company or tag to narrow it, e.g. {example}."
        ).format(
            count=len(answer.digest.developments),
            example=f"`/summit since {answer.since} samsung`",
        )
    blocks: list[Block] = [first.blocks[0], section(escape(summary)), *details]
    blocks = blocks[: MAX_MESSAGE_BLOCKS - 2]
    blocks.append(context(escape(note)))
    words = f"since {answer.since} {answer.names}".strip()
    blocks.append(share_button("/summit", words))
    fallback = f"{moved}: {counts}"
    return Message(fallback, blocks)


def usage(answer: Usage) -> Message:
    return notice(answer.text(_))
