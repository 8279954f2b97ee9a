"""The review queue in Slack: a candidate as the review channel shows it (with Approve,
Edit and Reject), the same once decided, the queue, the feed list and the forms around
them. Every title and summary came from a feed or a person: all of it is escaped."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
)
from slack_sdk.models.views import View

from slackbot.core.feeds import PollReport
from slackbot.core.feeds.recording import MAX_NEW_PER_POLL
from slackbot.core.feeds.review import MAX_REASON, QueuePage
from slackbot.slack.i18n import _, _n
from slackbot.slack.ids import (
    REJECT_FORM,
    REJECT_REASON,
    REVIEW_APPROVE,
    REVIEW_EDIT,
    REVIEW_PAGE,
    REVIEW_REJECT,
    SUGGEST_FORM,
    SUGGEST_LINK,
    SUGGEST_STATEMENT,
)
from slackbot.slack.render.base import (
    MAX_SECTION_TEXT,
    Message,
    clip,
    context,
    escape,
    header,
    mention,
    notice,
    section,
    when,
)
from slackbot.slack.render.forms import modal, text_input
from slackbot.slack.render.history import status_word
from storage.api import Candidate, Entity, Feed

# More new candidates than this from one poll get one summary message, not one each.
SUMMARY_OVER = 10


_NEW_ITEMS = re.compile(r"^(\d+) new items?$")


def poll_result(result: str | None) -> str:
    """A poll's result as the feed stores it ("3 new items", "not modified", "HTTP 500"), in
    the reader's language where it has words; errors stay as the server or library said."""
    if not result:
        return _("not fetched yet")
    counted = _NEW_ITEMS.match(result)
    if counted:
        count = int(counted.group(1))
        return _n("{count} new item", "{count} new items", count).format(count=count)
    return {"not modified": _("not modified"), "failed": _("failed")}.get(result, result)


def held_words(held: int) -> str:
    """What a flooding feed's last poll left for the next one, or nothing."""
    if not held:
        return ""
    return " · " + _n(
        "{count} more item held for the next poll (at most {most} a poll)",
        "{count} more items held for the next poll (at most {most} a poll)",
        held,
    ).format(count=held, most=MAX_NEW_PER_POLL)


def feeds_usage() -> str:
    return _("{list} lists the feeds; {forms}.").format(
        list="`/summit feeds`",
        forms="`/summit feeds add URL [every 30m] [must WORDS]`, `remove ID`, `pause ID`, "
        "`resume ID`, `poll [ID]`",
    )


def _suggested(candidate: Candidate) -> str:
    kinds = {
        "attendance": _("attendance"),
        "agenda": _("agenda"),
        "hardware": _("hardware"),
        "product": _("product"),
        "investment": _("investment"),
        "partnership": _("partnership"),
        "context": _("context"),
    }
    return f"{kinds.get(candidate.kind, candidate.kind)}, {status_word(candidate.status)}"


Names = Callable[[Sequence[str]], list[Entity]]


def local_time(stamp: str | None, timezone: str) -> str:
    if not stamp:
        return _("never")
    return when(stamp, timezone)


def _link(url: str | None, text: str) -> str:
    label = escape(text).replace("|", "¦")
    if not url:
        return label
    safe = url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")
    return f"<{safe}|{label}>"


def _candidate_blocks(candidate: Candidate, names: Names, timezone: str) -> list[Block]:
    title = clip(candidate.title, 500)
    when = local_time(candidate.published_at, timezone)
    if candidate.published_guessed:
        when = f"{when} ({_('no date in the feed: when it was fetched')})"
    by = escape(candidate.outlet or _("a feed"))
    if candidate.proposed_by:
        by = _("proposed by {person}").format(person=mention(candidate.proposed_by))
    entities = ", ".join(escape(e.name) for e in names(candidate.entity_ids)) or _("none matched")
    lines = [
        f"*{_link(candidate.link, title)}*",
        f"{by} · {when}",
        f"*{_('Names')}:* {entities}",
        f"*{_('Suggested')}:* {_suggested(candidate)}",
    ]
    if candidate.summary and candidate.summary != candidate.title:
        lines.insert(1, f"> {escape(clip(candidate.summary, 500))}")
    if candidate.sources:
        others = ", ".join(_link(s.url, s.title or _("another outlet")) for s in candidate.sources)
        lines.append(f"*{_('Also reported by')}:* {others}")
    if candidate.source_for:
        another = _("Another source for {id}").format(id=f"`{candidate.source_for}`")
        lines.append(
            f":link: *{another}* — "
            + _(
                "it says this already: approving adds this outlet to it (no new fact); Edit "
                "makes a fact of its own."
            )
        )
    return [section(clip("\n".join(lines), MAX_SECTION_TEXT)), context(f"`{candidate.id}`")]


def _buttons(candidate: Candidate) -> ActionsBlock:
    return ActionsBlock(
        block_id=f"review:{candidate.id}",
        elements=[
            ButtonElement(
                text=_("Approve"), action_id=REVIEW_APPROVE, value=candidate.id, style="primary"
            ),
            ButtonElement(text=_("Edit"), action_id=REVIEW_EDIT, value=candidate.id),
            ButtonElement(
                text=_("Reject"), action_id=REVIEW_REJECT, value=candidate.id, style="danger"
            ),
        ],
    )


def _fallback(candidate: Candidate) -> str:
    return _("Review {id}").format(id=candidate.id) + f": {candidate.title}"


def review_message(candidate: Candidate, names: Names, timezone: str) -> Message:
    """A new candidate in the review channel."""
    blocks = [*_candidate_blocks(candidate, names, timezone), _buttons(candidate)]
    return Message(_fallback(candidate), blocks)


def decision_line(candidate: Candidate, timezone: str) -> str:
    when = local_time(candidate.decided_at, timezone)
    who = mention(candidate.decided_by or "")
    fact = f"`{candidate.fact_id}`"
    if candidate.state == "approved" and candidate.source_for == candidate.fact_id:
        said = _("Approved by {person} at {when} as another source for {id}")
        return ":white_check_mark: " + said.format(person=who, when=when, id=fact)
    if candidate.state == "approved":
        said = _("Approved by {person} at {when} as {id}")
        return ":white_check_mark: " + said.format(person=who, when=when, id=fact)
    reason = f": {escape(candidate.reason)}" if candidate.reason else ""
    return ":x: " + _("Rejected by {person} at {when}").format(person=who, when=when) + reason


def decided_message(candidate: Candidate, names: Names, timezone: str) -> Message:
    """The review message once decided: who decided what and when, no buttons."""
    line = decision_line(candidate, timezone)
    blocks = [*_candidate_blocks(candidate, names, timezone), section(line)]
    state = _("Approved {id}") if candidate.state == "approved" else _("Rejected {id}")
    return Message(f"{state.format(id=candidate.id)}: {candidate.title}", blocks)


def already_decided(candidate: Candidate, timezone: str) -> Message:
    text = (
        _("{id} is already decided.").format(id=candidate.id)
        + " "
        + decision_line(candidate, timezone)
    )
    return Message(text, [section(text)], markup=True)


def queue(page: QueuePage, names: Names, timezone: str) -> Message:
    if not page.total:
        return notice(
            _(
                "Nothing waits for review. New items arrive as feeds are polled ({feeds}), or "
                "anyone can suggest a fact."
            ).format(feeds="`/summit feeds`")
        )
    waiting = _("{count} waiting for review").format(count=page.total)
    blocks: list[Block] = [
        header(waiting),
        context(
            _("Newest first · page {page} of {pages}").format(page=page.page, pages=page.pages)
        ),
    ]
    for candidate in page.candidates:
        blocks += [DividerBlock(), *_candidate_blocks(candidate, names, timezone)]
        blocks.append(_buttons(candidate))
    pager = []
    if page.page > 1:
        pager.append(
            ButtonElement(
                text=_("Newer"), action_id=f"{REVIEW_PAGE}_newer", value=str(page.page - 1)
            )
        )
    if page.page < page.pages:
        pager.append(
            ButtonElement(
                text=_("Older"), action_id=f"{REVIEW_PAGE}_older", value=str(page.page + 1)
            )
        )
    if pager:
        blocks.append(ActionsBlock(block_id="review_pager", elements=pager))
    titles = "; ".join(f"{c.id}: {c.title}" for c in page.candidates)
    return Message(f"{waiting}. {titles}", blocks)


def review_summary(count: int, feeds: int) -> Message:
    text = _n(
        "{count} new items from {feeds} feed — review them with {command}.",
        "{count} new items from {feeds} feeds — review them with {command}.",
        feeds,
    ).format(count=count, feeds=feeds, command="`/summit queue`")
    button = ButtonElement(text=_("Review"), action_id=f"{REVIEW_PAGE}_open", value="1")
    return Message(text, [section(escape(text)), ActionsBlock(elements=[button])])


def feed_line(feed: Feed, timezone: str) -> str:
    state = ""
    if feed.paused:
        why = escape(feed.paused_reason or _("paused"))
        state = f" · :double_vertical_bar: {_('paused')} ({why})"
    elif feed.failing:
        failing = _("failing ({count} polls in a row)").format(count=feed.failures)
        state = f" · :warning: {failing}"
    result = escape(poll_result(feed.last_result) + held_words(feed.held_back))
    problem = f" · :warning: {escape(feed.problem)}" if feed.problem else ""
    must = f" · {_('must')}: {escape(' '.join(feed.must))}" if feed.must else ""
    next_fetch = "—" if feed.paused else local_time(feed.next_fetch_at, timezone)
    every = _("Every {minutes} min").format(minutes=feed.interval_minutes)
    last = _("last fetch {when}").format(when=local_time(feed.last_fetch_at, timezone))
    counts = _(
        "Items seen {seen} · proposed {proposed} · named nobody {dropped} · next fetch {next}"
    ).format(seen=feed.items_seen, proposed=feed.proposed, dropped=feed.dropped, next=next_fetch)
    return (
        f"*{feed.id}* · {_link(feed.url, feed.name)}{state}\n"
        f"`{escape(feed.url)}`\n"
        f"{every}{must} · {last}: {result}{problem}\n"
        f"{counts}"
    )


def feed_list(feeds: Sequence[Feed], timezone: str) -> Message:
    if not feeds:
        return notice(f"{_('No feeds yet.')} {feeds_usage()}")
    count = _n("{count} feed", "{count} feeds", len(feeds)).format(count=len(feeds))
    blocks: list[Block] = [header(count)]
    # A message holds 50 blocks: the header, a context line, and up to 47 feeds.
    for feed in feeds[:47]:
        blocks.append(section(clip(feed_line(feed, timezone), MAX_SECTION_TEXT)))
    if len(feeds) > 47:
        more = _("{count} more not shown: {command}.")
        blocks.append(context(more.format(count=len(feeds) - 47, command="`summitbot feeds list`")))
    blocks.append(context(escape(feeds_usage())))
    fallback = "; ".join(f"{f.id} {f.name}: {poll_result(f.last_result)}" for f in feeds)
    return Message(f"{count}. {fallback}", blocks)


def feed_changed(feed: Feed, what: str) -> Message:
    return notice(
        _("Feed {id} ({name})").format(id=feed.id, name=feed.name)
        + f" {what}. "
        + _("{command} lists them all.").format(command="`/summit feeds`")
    )


def poll_done(reports: Sequence[PollReport]) -> Message:
    if not reports:
        return notice(_("Nothing was polled: no feed is active (or each is being polled now)."))
    lines = [
        _("Feed {id} ({name})").format(id=r.feed.id, name=r.feed.name)
        + f": {poll_result(r.result)}{held_words(r.held)}"
        for r in reports
    ]
    new = sum(len(r.new) for r in reports)
    lines.append(
        _n(
            "{count} new candidate for review: {command}.",
            "{count} new candidates for review: {command}.",
            new,
        ).format(count=new, command="`/summit queue`")
    )
    return notice("\n".join(lines))


def feed_health(feed: Feed, failing: bool) -> Message:
    if failing:
        text = ":warning: " + _(
            "Feed {id} ({name}) failed {count} polls in a row: {result}. It is still tried, "
            "less often; {command} stops it."
        ).format(
            id=feed.id,
            name=feed.name,
            count=feed.failures,
            result=poll_result(feed.last_result),
            command=f"`/summit feeds pause {feed.id}`",
        )
    else:
        text = ":white_check_mark: " + _("Feed {id} ({name}) works again: {result}.").format(
            id=feed.id, name=feed.name, result=poll_result(feed.last_result)
        )
    return notice(text)


def reject_form(candidate: Candidate, metadata: dict[str, Any]) -> View:
    return modal(
        REJECT_FORM,
        _("Reject {id}").format(id=candidate.id),
        _("Reject"),
        metadata,
        [
            section(f"*{escape(clip(candidate.title, 500))}*"),
            text_input(
                REJECT_REASON,
                _("Why? (optional)"),
                multiline=True,
                max_length=MAX_REASON,
                optional=True,
                placeholder=_("e.g. {example}").format(example=_("a rumour; nothing new")),
            ),
        ],
    )


def suggest_form(statement: str, metadata: dict[str, Any]) -> View:
    return modal(
        SUGGEST_FORM,
        _("Suggest a fact"),
        _("Suggest"),
        metadata,
        [
            text_input(
                SUGGEST_STATEMENT,
                _("What happened?"),
                multiline=True,
                max_length=500,
                initial=statement,
                optional=False,
                placeholder=_("e.g. {example}").format(
                    example=_("SK Telecom and Microsoft agreed to …")
                ),
            ),
            text_input(
                SUGGEST_LINK,
                _("Source link (optional)"),
                max_length=2000,
                optional=True,
                placeholder="https://…",
            ),
            context(_("An admin reviews every suggestion before it reaches answers or digests.")),
        ],
    )


def proposed(candidate: Candidate) -> Message:
    return notice(
        _(
            "Thanks: your suggestion is {id} in the review queue. You'll get a DM when an admin "
            "approves or rejects it."
        ).format(id=candidate.id)
    )


def proposal_decided(candidate: Candidate, timezone: str) -> Message:
    line = decision_line(candidate, timezone)
    text = (
        _("Your suggestion “{title}” ({id})").format(
            title=escape(clip(candidate.title, 200)), id=candidate.id
        )
        + f": {line}"
    )
    return Message(text, [section(text)], markup=True)
