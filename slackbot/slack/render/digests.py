"""Digests as posted (a message, or a headline and its thread) and a channel's digest status."""

from __future__ import annotations

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
    describe_schedule,
    is_personal,
    local,
)
from slackbot.slack.i18n import _
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
    section,
    source_link,
    who_can,
)


def _development_line(development: Development) -> str:
    fact = development.fact
    if development.old_status is None:
        change = f":new: {_('New')} · {STATUS_BADGES.get(fact.status, fact.status)}"
    else:
        old = STATUS_BADGES.get(development.old_status, development.old_status)
        change = f"{old} → {STATUS_BADGES.get(fact.status, fact.status)}"
    reason = (
        f"\n_Reason: {escape(fact.retraction_reason)}_"
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
    return ", ".join(
        f"{counts[label]} {label}"
        for label in ("new", "status change", "retracted")
        if counts.get(label)
    )


def _digest_summary(digest: Digest) -> str:
    total = len(digest.developments)
    return f"{total} development{'s' if total != 1 else ''}: " + development_counts(digest.counts())


def _digest_period(digest: Digest) -> str:
    return f"{local(digest.since, digest.timezone)} → {local(digest.until, digest.timezone)}"


def _group_name(group: DigestGroup) -> str:
    if group.company is not None:
        return group.company.name
    return _("Several companies") if group.several else _("Other")


def _group_plain(group: DigestGroup) -> str:
    name = _group_name(group)
    return f"{name}: " + "; ".join(f"[{d.label}] {d.fact.statement}" for d in group.developments)


def _digest_footer(digest: Digest) -> Block:
    if digest.channel_id == PREVIEW_CHANNEL:
        return context("A preview: nothing was posted, nothing is scheduled.")
    if is_personal(digest.channel_id):
        return context("Your personal digest · `/digest me status` shows it, `/digest me off`")
    who = f"Set up by {mention(digest.created_by)} · " if digest.created_by else ""
    return context(f"{who}`/digest status` shows the schedule and what it tracks")


def digest_messages(digest: Digest) -> list[Message]:
    """The digest as one message, or, when it would not fit, a headline message and the
    details as replies in its thread. Never empty: an empty digest is not posted."""
    title_block = header(_("Summit Intel digest"))
    interrupted = ""
    if digest.interrupted:
        interrupted = (
            f"\n:warning: The digest of {', '.join(digest.interrupted)} was interrupted; "
            "these may repeat."
        )
    summary = section(f"*{_digest_summary(digest)}*\n{_digest_period(digest)}{escape(interrupted)}")
    detail_blocks: list[tuple[DigestGroup, list[Block]]] = []
    for group in digest.groups:
        title = entity_label(group.company) if group.company else escape(_group_name(group))
        blocks: list[Block] = [section(f"*{title}*")]
        blocks += [section(_development_line(d)) for d in group.developments]
        detail_blocks.append((group, blocks))
    fallback = [f"Summit Intel digest: {_digest_summary(digest)}{interrupted}"]
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
        f"Summit Intel digest: {_digest_summary(digest)}. Details in the thread.",
        [
            title_block,
            summary,
            section(f"*By company:* {escape(by_company)}"),
            context(":thread: The details are in this message's thread."),
            footer,
        ],
    )
    # Each reply's fallback carries its own developments: it is what a notification shows.
    replies: list[Message] = []
    current: list[Block] = []
    groups_in_current: list[DigestGroup] = []

    def close_reply() -> None:
        text = "Summit Intel digest, continued: " + " · ".join(
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
            "You have no personal digest. Start one with `/digest me daily 08:00`: it comes "
            "to you as a DM."
            if personal
            else "This channel has no digest. Start one with `/digest daily 09:00`, or "
            "`/digest me daily 08:00` for one of your own, as a DM."
        )
        return Message(text, [section(escape(text)), context(escape(DIGEST_USAGE))])
    whose = "Your personal digest (a DM)" if personal else "Digest for this channel"
    # Each line as (mrkdwn for the blocks, plain words for the fallback).
    if subscription.suspended_reason:
        reason = subscription.suspended_reason
        state = f"Suspended: {reason}. Fix it (e.g. invite me back), then `/digest resume`."
        state_mrkdwn = f":warning: {escape(state)}"
    elif subscription.paused:
        state = "Paused. `/digest resume` starts it again."
        state_mrkdwn = f":double_vertical_bar: {escape(state)}"
    else:
        state = f"Next digest {next_run_at or '—'}"
        state_mrkdwn = f":calendar: {escape(state)}"
    what = ", ".join(tracked) or "everything"
    schedule = describe_schedule(subscription)
    last = subscription.last_result or "none yet"
    since = local(subscription.since, subscription.timezone)
    owner = subscription.created_by
    lines = [
        f"*{whose}:* {escape(schedule)}",
        state_mrkdwn,
        f"*Tracking:* {escape(what)}",
        f"*Last digest:* {escape(last)}",
        f"*Next one covers changes since:* {escape(since)}",
    ]
    if interrupted:
        cut_off = (
            f"The digest of {', '.join(interrupted)} was interrupted while posting; the next "
            "one includes its developments, which may repeat."
        )
        lines.append(f":warning: {escape(cut_off)}")
    if status.several_replicas:
        posting = (
            f"replica {status.leader} (the scheduler's leader)"
            if status.leader
            else "no replica leads the scheduler right now; digests wait until one does"
        )
        lines.append(f"*Posted by:* {escape(posting)}")
    if owner:
        lines.append(f"*Set up by:* {mention(owner)} (they and the admins can change it)")
    plain = [
        f"{whose}: {schedule}",
        state,
        f"Tracking: {what}",
        f"Last digest: {last}",
        f"Next one covers changes since: {since}",
    ]
    if interrupted:
        plain.append(f"The digest of {', '.join(interrupted)} was interrupted while posting.")
    if status.several_replicas:
        plain.append(f"Posted by: {posting}")
    if owner:
        plain.append(f"Set up by: {mention(owner)}")
    # The fallback keeps the owner's mention (shown as a name): the rest is escaped here.
    fallback = "\n".join(line if line.startswith("Set up by") else escape(line) for line in plain)
    blocks: list[Block] = [section("\n".join(lines))]
    if usage:
        blocks.append(context(escape(DIGEST_USAGE)))
    return Message(fallback, blocks, markup=True)


DIGEST_USAGE = (
    "Usage: `/digest daily 09:00 [Asia/Seoul]`, `/digest weekdays 08:30`, "
    "`/digest weekly mon 09:00 Europe/London`, `/digest track samsung, hbm`, "
    "`/digest untrack hbm`, `/digest status`, `/digest now`, `/digest pause`, "
    "`/digest resume`, `/digest off`, `/digest preview`. The time zone defaults to yours. "
    "`/digest me daily 08:00` (and `me track`, `me pause`, `me off`, …) is your own, as a DM."
)


def not_allowed_digest(owner: str, curators: Curators) -> Message:
    """To someone who may not change a channel's digest: who can."""
    text = (
        f"This channel's digest was set up by {mention(owner)}; only they and the Summit "
        f"Intel admins ({who_can(curators)}) can change, pause or turn it off. "
        "`/digest status` shows it; `/digest now` posts it for anyone."
    )
    return Message(text, [section(text)], markup=True)


def digest_usage(problem: str) -> Message:
    return Message(problem, [section(escape(problem)), context(escape(DIGEST_USAGE))])


def digest_preview(digest: Digest) -> Message:
    """The channel's next digest, shown only to the person who asked, before it is posted."""
    if digest.empty:
        return notice(
            f"Nothing new since {local(digest.since, digest.timezone)}: the next digest "
            "would post nothing."
        )
    first, *thread = digest_messages(digest)
    note = "Only you see this preview; nothing was posted."
    if thread:
        note += f" The digest would put {len(thread)} more message(s) in its thread."
    blocks = [*first.blocks[: MAX_MESSAGE_BLOCKS - 1], context(escape(note))]
    return Message(f"Preview: {first.text}", blocks)


def correction(correction: Correction) -> Message:
    """The reply under a digest or shared answer whose fact was retracted or changed."""
    fact = correction.fact
    if fact.status == "retracted":
        why = f" — {escape(fact.retraction_reason)}" if fact.retraction_reason else ""
        said = f"*Correction:* `{fact.id}` retracted{why}"
        plain = f"Correction: {fact.id} retracted" + (
            f" — {fact.retraction_reason}" if fact.retraction_reason else ""
        )
    else:
        was = STATUS_BADGES.get(correction.was, correction.was)
        now = STATUS_BADGES.get(fact.status, fact.status)
        said = f"*Correction:* `{fact.id}` is now {now} (was {was})"
        plain = f"Correction: {fact.id} is now {fact.status} (was {correction.was})"
    return Message(
        f"{plain}: {fact.statement}",
        [
            section(f"{said}\n{escape(fact.statement)}\n:link: {source_link(fact)}"),
            context(f"`/summit history {fact.id}` shows who changed it and why"),
        ],
    )
