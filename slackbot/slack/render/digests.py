"""Digests as posted (a message, or a headline and its thread) and a channel's digest status."""

from __future__ import annotations

import re

from slack_sdk.models.blocks import (
    Block,
    DividerBlock,
)

from slackbot.core.admins import Curators
from slackbot.core.corrections import Correction
from slackbot.core.digests import (
    PREVIEW_CHANNEL,
    Development,
    Digest,
    DigestGroup,
    DigestStatus,
    Outcome,
    is_personal,
)
from slackbot.slack.i18n import _, _n, translated
from slackbot.slack.i18n import current as current_language
from slackbot.slack.render.base import (
    MAX_MESSAGE_BLOCKS,
    STATUS_BADGES,
    Message,
    context,
    entity_label,
    escape,
    fact_date,
    header,
    mention,
    notice,
    schedule_words,
    section,
    source_link,
    when,
    who_can,
)
from slackbot.slack.render.history import status_word


def _development_line(development: Development) -> str:
    fact = development.fact
    if development.old_status is None:
        change = f":new: {_('New')} · {STATUS_BADGES.get(fact.status, fact.status)}"
    else:
        old = STATUS_BADGES.get(development.old_status, development.old_status)
        change = f"{old} → {STATUS_BADGES.get(fact.status, fact.status)}"
    reason = (
        f"\n_{_('Reason')}: {escape(fact.retraction_reason)}_"
        if fact.status == "retracted" and fact.retraction_reason
        else ""
    )
    when = f" · {escape(fact_date(fact))}" if fact.dated_on else ""
    return (
        f"{change} · `{fact.id}`{when}\n{escape(fact.statement)}{reason}\n"
        f":link: {source_link(fact)}"
    )


def development_counts(counts: dict[str, int]) -> str:
    """How many developments of each kind, in a digest's order: "3 new, 1 status change"."""
    labels = {
        "new": _("{count} new"),
        "status change": _("{count} status change"),
        "retracted": _("{count} retracted"),
    }
    return ", ".join(
        labels[label].format(count=counts[label]) for label in labels if counts.get(label)
    )


def _digest_summary(digest: Digest) -> str:
    total = len(digest.developments)
    counted = _n("{count} development", "{count} developments", total).format(count=total)
    return counted + ": " + development_counts(digest.counts())


def _digest_period(digest: Digest) -> str:
    return f"{when(digest.since, digest.timezone)} → {when(digest.until, digest.timezone)}"


def _group_name(group: DigestGroup) -> str:
    if group.company is not None:
        return group.company.name
    return _("Several companies") if group.several else _("Other")


def _group_plain(group: DigestGroup) -> str:
    name = _group_name(group)
    return f"{name}: " + "; ".join(
        f"[{development_label(d.label)}] {d.fact.statement}" for d in group.developments
    )


def development_label(label: str) -> str:
    return {"new": _("New"), "status change": _("status change"), "retracted": _("Retracted")}.get(
        label, label
    )


def _digest_footer(digest: Digest) -> Block:
    if digest.channel_id == PREVIEW_CHANNEL:
        return context(_("A preview: nothing was posted, nothing is scheduled."))
    if is_personal(digest.channel_id):
        return context(
            _("Your personal digest")
            + " · "
            + _("{status} shows it, {off} turns it off").format(
                status="`/digest me status`", off="`/digest me off`"
            )
        )
    who = (
        _("Set up by {person}").format(person=mention(digest.created_by)) + " · "
        if digest.created_by
        else ""
    )
    shows = _("{command} shows the schedule and what it tracks")
    return context(who + shows.format(command="`/digest status`"))


def digest_messages(digest: Digest) -> list[Message]:
    """The digest as one message, or, when it would not fit, a headline message and the
    details as replies in its thread. Never empty: an empty digest is not posted."""
    title_block = header(_("Summit Intel digest"))
    interrupted = ""
    if digest.interrupted:
        interrupted = "\n:warning: " + _(
            "The digest of {times} was interrupted; these may repeat."
        ).format(times=", ".join(digest.interrupted))
    summary = section(f"*{_digest_summary(digest)}*\n{_digest_period(digest)}{escape(interrupted)}")
    detail_blocks: list[tuple[DigestGroup, list[Block]]] = []
    for group in digest.groups:
        title = entity_label(group.company) if group.company else escape(_group_name(group))
        blocks: list[Block] = [section(f"*{title}*")]
        blocks += [section(_development_line(d)) for d in group.developments]
        detail_blocks.append((group, blocks))
    fallback = [f"{_('Summit Intel digest')}: {_digest_summary(digest)}{interrupted}"]
    fallback += [_group_plain(group) for group in digest.groups]
    everything = [title_block, summary] + [
        b for _group, blocks in detail_blocks for b in [DividerBlock(), *blocks]
    ]
    footer = _digest_footer(digest)
    if len(everything) < MAX_MESSAGE_BLOCKS:
        return [Message("\n".join(fallback), [*everything, footer])]
    by_company = ", ".join(
        f"{_group_name(group)} ({len(group.developments)})" for group in digest.groups
    )
    headline = Message(
        f"{_('Summit Intel digest')}: {_digest_summary(digest)}. " + _("Details in the thread."),
        [
            title_block,
            summary,
            section(f"*{_('By company')}:* {escape(by_company)}"),
            context(":thread: " + _("The details are in this message's thread.")),
            footer,
        ],
    )
    # Each reply's fallback carries its own developments: it is what a notification shows.
    replies: list[Message] = []
    current: list[Block] = []
    groups_in_current: list[DigestGroup] = []

    def close_reply() -> None:
        text = f"{_('Summit Intel digest')} ({_('continued')}): " + " · ".join(
            _group_plain(group) for group in groups_in_current
        )
        replies.append(Message(text, current))

    for group, blocks in detail_blocks:
        for block in blocks:
            if len(current) >= MAX_MESSAGE_BLOCKS:
                close_reply()
                current, groups_in_current = [], []
            current.append(block)
            if group not in groups_in_current:
                groups_in_current.append(group)
    if current:
        close_reply()
    return [headline, *replies]


def digest_status(status: DigestStatus, *, usage: bool = True) -> Message:
    """A digest's settings and how it goes; ``usage``: with every /digest form after it
    (for ``/digest status``, not for the answer to a change, which says what was saved)."""
    subscription, next_run_at = status.subscription, status.next_run
    tracked, interrupted = status.tracked, status.interrupted
    personal = is_personal(status.channel_id)
    if subscription is None:
        text = (
            _(
                "You have no personal digest. Start one with {command}: it comes to you as a DM."
            ).format(command="`/digest me daily 08:00`")
            if personal
            else _(
                "This channel has no digest. Start one with {command}, or {mine} for one of "
                "your own, as a DM."
            ).format(command="`/digest daily 09:00`", mine="`/digest me daily 08:00`")
        )
        return Message(text, [section(escape(text)), context(escape(digest_usage_text()))])
    whose = _("Your personal digest (a DM)") if personal else _("Digest for this channel")
    # Each line as (mrkdwn for the blocks, plain words for the fallback).
    zone = subscription.timezone
    if status.problem is not None:
        zone = "UTC"  # the stored one may be what is wrong
        state = _(
            "This digest cannot run: {problem}. It is skipped until {command} sets its "
            "schedule again."
        ).format(problem=translated(status.problem), command="`/digest daily 09:00`")
        state_mrkdwn = f":warning: {escape(state)}"
    elif subscription.suspended_reason:
        reason = subscription.suspended_reason
        state = _("Suspended: {reason}. Fix it (e.g. invite me back), then {command}.").format(
            reason=reason, command="`/digest resume`"
        )
        state_mrkdwn = f":warning: {escape(state)}"
    elif subscription.paused:
        state = _("Paused. {command} starts it again.").format(command="`/digest resume`")
        state_mrkdwn = f":double_vertical_bar: {escape(state)}"
    else:
        upcoming = when(next_run_at, subscription.timezone) if next_run_at else "—"
        state = _("Next digest {when}").format(when=upcoming)
        state_mrkdwn = f":calendar: {escape(state)}"
    what = ", ".join(tracked) or _("everything")
    schedule = schedule_words(subscription)
    last = last_result_words(subscription.last_result)
    since = when(subscription.since, zone)
    owner = subscription.created_by
    lines = [
        f"*{whose}:* {escape(schedule)}",
        state_mrkdwn,
        f"*{_('Tracking')}:* {escape(what)}",
        f"*{_('Last digest')}:* {escape(last)}",
        f"*{_('Next one covers changes since')}:* {escape(since)}",
    ]
    if interrupted:
        cut_off = _(
            "The digest of {times} was interrupted while posting; the next one includes its "
            "developments, which may repeat."
        ).format(times=", ".join(interrupted))
        lines.append(f":warning: {escape(cut_off)}")
    if status.several_replicas:
        posting = (
            _("replica {name} (the scheduler's leader)").format(name=status.leader)
            if status.leader
            else _("no replica leads the scheduler right now; digests wait until one does")
        )
        lines.append(f"*{_('Posted by')}:* {escape(posting)}")
    set_up = ""
    if owner:
        set_up = f"{_('Set up by')}: {mention(owner)}"
        lines.append(
            f"*{_('Set up by')}:* {mention(owner)} ({_('they and the admins can change it')})"
        )
    plain = [
        f"{whose}: {schedule}",
        state,
        f"{_('Tracking')}: {what}",
        f"{_('Last digest')}: {last}",
        f"{_('Next one covers changes since')}: {since}",
    ]
    if interrupted:
        plain.append(cut_off)
    if status.several_replicas:
        plain.append(f"{_('Posted by')}: {posting}")
    # The fallback keeps the owner's mention (shown as a name): the rest is escaped here.
    fallback = "\n".join([*(escape(line) for line in plain), *([set_up] if owner else [])])
    blocks: list[Block] = [section("\n".join(lines))]
    if usage:
        blocks.append(context(escape(digest_usage_text())))
    return Message(fallback, blocks, markup=True)


def digest_usage_text() -> str:
    note = _(
        "The time zone defaults to yours; `/digest me daily 08:00` (and `me track`, "
        "`me pause`, `me off`, …) is your own, as a DM."
    )
    return _("Usage:") + " " + DIGEST_FORMS + " " + note


# What /digest takes, as typed (commands are not translated).
DIGEST_FORMS = (
    "`/digest daily 09:00 [Asia/Seoul]`, `/digest weekdays 08:30`, "
    "`/digest weekly mon 09:00 Europe/London`, `/digest track samsung, hbm`, "
    "`/digest untrack hbm`, `/digest status`, `/digest now`, `/digest pause`, "
    "`/digest resume`, `/digest off`, `/digest preview`."
)


def not_allowed_digest(owner: str, curators: Curators) -> Message:
    """To someone who may not change a channel's digest: who can."""
    text = _(
        "This channel's digest was set up by {person}; only they and the Summit Intel admins "
        "({admins}) can change, pause or turn it off. {status} shows it; {now} posts it for "
        "anyone."
    ).format(
        person=mention(owner),
        admins=who_can(curators),
        status="`/digest status`",
        now="`/digest now`",
    )
    return Message(text, [section(text)], markup=True)


def digest_usage(problem: str) -> Message:
    return Message(problem, [section(escape(problem)), context(escape(digest_usage_text()))])


# How a digest's last result is stored (slackbot.core.digests.service writes these shapes,
# with times as "Mon 07 Dec 2026 09:00 KST"): read back to be said in the reader's language.
_STAMP = r"[A-Z][a-z]{2} \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2} \S+"
_LAST_RESULTS = (
    (re.compile(rf"^(?P<at>{_STAMP}): posted (?P<count>\d+) development\(s\)$"), "posted"),
    (
        re.compile(
            rf"^(?P<at>{_STAMP}): posted (?P<count>\d+) development\(s\), thread incomplete: "
            r"(?P<why>.*)$"
        ),
        "incomplete",
    ),
    (re.compile(rf"^(?P<at>{_STAMP}): nothing new since (?P<since>.+); nothing posted$"), "empty"),
    (
        re.compile(
            rf"^(?P<at>{_STAMP}): not posted: (?P<why>.*); gave up after (?P<tries>\d+) tries "
            rf"since (?P<first>{_STAMP})\. Its developments go into the next digest\.$"
        ),
        "gave up",
    ),
    (re.compile(rf"^(?P<at>{_STAMP}): not posted: (?P<why>.*)$"), "failed"),
    (
        re.compile(
            rf"^retrying since (?P<first>{_STAMP}), last error: (?P<why>.*); next try "
            rf"(?P<next>{_STAMP})$"
        ),
        "retrying",
    ),
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _stamp_words(stamp: str) -> str:
    """ "Mon 07 Dec 2026 09:00 KST" in the reader's language."""
    _weekday, day, month, year, clock, zone = stamp.split(" ")
    if current_language() != "ko" or month not in _MONTHS:
        return stamp
    return f"{year}년 {_MONTHS.index(month) + 1}월 {int(day)}일 {clock} {zone}"


def last_result_words(result: str | None) -> str:
    """A digest's stored last result, said in the reader's language."""
    if not result:
        return _("none yet")
    for pattern, kind in _LAST_RESULTS:
        found = pattern.match(result)
        if found is None:
            continue
        parts = {
            name: _stamp_words(value) if name in ("at", "first", "next") else value
            for name, value in found.groupdict().items()
        }
        if kind == "posted":
            count = int(parts["count"])
            words = _n("posted {count} development", "posted {count} developments", count)
            return f"{parts['at']}: " + words.format(count=count)
        if kind == "incomplete":
            count = int(parts["count"])
            words = _n("posted {count} development", "posted {count} developments", count)
            broken = _("thread incomplete: {why}").format(why=parts["why"])
            return f"{parts['at']}: " + words.format(count=count) + f", {broken}"
        if kind == "empty":
            return f"{parts['at']}: " + _("nothing new; nothing posted")
        if kind == "gave up":
            return f"{parts['at']}: " + _(
                "not posted: {why}; gave up after {tries} tries since {first}. Its developments "
                "go into the next digest."
            ).format(**parts)
        if kind == "failed":
            return f"{parts['at']}: " + _("not posted: {why}").format(why=parts["why"])
        return _("retrying since {first}, last error: {why}; next try {next}").format(**parts)
    return result


def outcome_words(outcome: Outcome) -> str:
    """What came of asking for a digest now, in the reader's language: how many
    developments were posted, since when nothing is new, or the error as Slack gave it."""
    digest = outcome.digest
    if outcome.kind == "posted" and digest is not None:
        count = len(digest.developments)
        return _n("posted {count} development", "posted {count} developments", count).format(
            count=count
        )
    if outcome.kind == "empty" and digest is not None:
        return _("nothing new since {when}").format(when=when(digest.since, digest.timezone))
    return outcome.text


def digest_preview(digest: Digest) -> Message:
    """The channel's next digest, shown only to the person who asked, before it is posted."""
    if digest.empty:
        return notice(
            _("Nothing new since {when}: the next digest would post nothing.").format(
                when=when(digest.since, digest.timezone)
            )
        )
    first, *thread = digest_messages(digest)
    note = _("Only you see this preview; nothing was posted.")
    if thread:
        note += " " + _("The digest would put {count} more message(s) in its thread.").format(
            count=len(thread)
        )
    blocks = [*first.blocks[: MAX_MESSAGE_BLOCKS - 1], context(escape(note))]
    return Message(f"{_('Preview')}: {first.text}", blocks)


def correction(correction: Correction) -> Message:
    """The reply under a digest or shared answer whose fact was retracted or changed."""
    fact = correction.fact
    if fact.status == "retracted":
        why = f" — {escape(fact.retraction_reason)}" if fact.retraction_reason else ""
        said = f"*{_('Correction')}:* " + _("{id} retracted").format(id=f"`{fact.id}`") + why
        plain = (
            f"{_('Correction')}: "
            + _("{id} retracted").format(id=fact.id)
            + (f" — {fact.retraction_reason}" if fact.retraction_reason else "")
        )
    else:
        was = STATUS_BADGES.get(correction.was, correction.was)
        now = STATUS_BADGES.get(fact.status, fact.status)
        is_now = _("{id} is now {now} (was {was})")
        said = f"*{_('Correction')}:* " + is_now.format(id=f"`{fact.id}`", now=now, was=was)
        plain = f"{_('Correction')}: " + is_now.format(
            id=fact.id, now=status_word(fact.status), was=status_word(correction.was)
        )
    return Message(
        f"{plain}: {fact.statement}",
        [
            section(f"{said}\n{escape(fact.statement)}\n:link: {source_link(fact)}"),
            context(
                _("{command} shows who changed it and why").format(
                    command=f"`/summit history {fact.id}`"
                )
            ),
        ],
    )
