"""The review queue in Slack: a candidate as the review channel shows it (with Approve,
Edit and Reject), the same once decided, the queue, the feed list and the forms around
them. Every title and summary came from a feed or a person: all of it is escaped."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
)
from slack_sdk.models.views import View

from slackbot.core.feeds import PollReport
from slackbot.core.feeds.review import MAX_REASON, QueuePage
from slackbot.core.feeds.service import USAGE as FEEDS_USAGE
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
)
from slackbot.slack.render.forms import modal, text_input
from storage.api import Candidate, Entity, Feed

# More new candidates than this from one poll get one summary message, not one each.
SUMMARY_OVER = 10
KIND_LABELS = {
    "investment": "investment",
    "hardware": "hardware",
    "partnership": "partnership",
    "product": "product",
    "context": "context",
}

Names = Callable[[Sequence[str]], list[Entity]]


def local_time(stamp: str | None, timezone: str) -> str:
    if not stamp:
        return "never"
    moment = datetime.fromisoformat(stamp).astimezone(ZoneInfo(timezone))
    return moment.strftime("%Y-%m-%d %H:%M %Z")


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
        when = f"{when} (no date in the feed: when it was fetched)"
    by = escape(candidate.outlet or "a feed")
    if candidate.proposed_by:
        by = f"proposed by {mention(candidate.proposed_by)}"
    entities = ", ".join(escape(e.name) for e in names(candidate.entity_ids)) or "none matched"
    lines = [
        f"*{_link(candidate.link, title)}*",
        f"{by} · {when}",
        f"*Names:* {entities}",
        f"*Suggested:* {KIND_LABELS.get(candidate.kind, candidate.kind)}, {candidate.status}",
    ]
    if candidate.summary and candidate.summary != candidate.title:
        lines.insert(1, f"> {escape(clip(candidate.summary, 500))}")
    if candidate.sources:
        others = ", ".join(_link(s.url, s.title or "another outlet") for s in candidate.sources)
        lines.append(f"*Also reported by:* {others}")
    if candidate.source_for:
        lines.append(
            f":link: *Another source for `{candidate.source_for}`*, which says this already: "
            "approving adds this outlet to it (no new fact); Edit makes a fact of its own."
        )
    return [section(clip("\n".join(lines), MAX_SECTION_TEXT)), context(f"`{candidate.id}`")]


def _buttons(candidate: Candidate) -> ActionsBlock:
    return ActionsBlock(
        block_id=f"review:{candidate.id}",
        elements=[
            ButtonElement(
                text="Approve", action_id=REVIEW_APPROVE, value=candidate.id, style="primary"
            ),
            ButtonElement(text="Edit", action_id=REVIEW_EDIT, value=candidate.id),
            ButtonElement(
                text="Reject", action_id=REVIEW_REJECT, value=candidate.id, style="danger"
            ),
        ],
    )


def _fallback(candidate: Candidate) -> str:
    return f"Review {candidate.id}: {candidate.title}"


def review_message(candidate: Candidate, names: Names, timezone: str) -> Message:
    """A new candidate in the review channel."""
    blocks = [*_candidate_blocks(candidate, names, timezone), _buttons(candidate)]
    return Message(_fallback(candidate), blocks)


def decision_line(candidate: Candidate, timezone: str) -> str:
    when = local_time(candidate.decided_at, timezone)
    who = mention(candidate.decided_by or "")
    if candidate.state == "approved" and candidate.source_for == candidate.fact_id:
        return (
            f":white_check_mark: Approved by {who} at {when} as another source for "
            f"`{candidate.fact_id}`"
        )
    if candidate.state == "approved":
        return f":white_check_mark: Approved by {who} at {when} as `{candidate.fact_id}`"
    reason = f": {escape(candidate.reason)}" if candidate.reason else ""
    return f":x: Rejected by {who} at {when}{reason}"


def decided_message(candidate: Candidate, names: Names, timezone: str) -> Message:
    """The review message once decided: who decided what and when, no buttons."""
    line = decision_line(candidate, timezone)
    blocks = [*_candidate_blocks(candidate, names, timezone), section(line)]
    state = "Approved" if candidate.state == "approved" else "Rejected"
    return Message(f"{state} {candidate.id}: {candidate.title}", blocks)


def already_decided(candidate: Candidate, timezone: str) -> Message:
    text = f"{candidate.id} is already decided. {decision_line(candidate, timezone)}"
    return Message(text, [section(text)], markup=True)


def queue(page: QueuePage, names: Names, timezone: str) -> Message:
    if not page.total:
        return notice(
            "Nothing waits for review. New items arrive as feeds are polled "
            "(`/summit feeds`), or anyone can suggest a fact."
        )
    blocks: list[Block] = [
        header(f"{page.total} waiting for review"),
        context(f"Newest first · page {page.page} of {page.pages}"),
    ]
    for candidate in page.candidates:
        blocks += [DividerBlock(), *_candidate_blocks(candidate, names, timezone)]
        blocks.append(_buttons(candidate))
    pager = []
    if page.page > 1:
        pager.append(
            ButtonElement(text="Newer", action_id=f"{REVIEW_PAGE}_newer", value=str(page.page - 1))
        )
    if page.page < page.pages:
        pager.append(
            ButtonElement(text="Older", action_id=f"{REVIEW_PAGE}_older", value=str(page.page + 1))
        )
    if pager:
        blocks.append(ActionsBlock(block_id="review_pager", elements=pager))
    titles = "; ".join(f"{c.id}: {c.title}" for c in page.candidates)
    return Message(f"{page.total} waiting for review. {titles}", blocks)


def review_summary(count: int, feeds: int) -> Message:
    text = (
        f"{count} new items from {feeds} feed{'s' if feeds != 1 else ''} — review them with "
        "`/summit queue`."
    )
    button = ButtonElement(text="Review", action_id=f"{REVIEW_PAGE}_open", value="1")
    return Message(text, [section(escape(text)), ActionsBlock(elements=[button])])


def feed_line(feed: Feed, timezone: str) -> str:
    state = ""
    if feed.paused:
        state = f" · :double_vertical_bar: paused ({escape(feed.paused_reason or 'paused')})"
    elif feed.failing:
        state = f" · :warning: failing ({feed.failures} polls in a row)"
    result = escape(feed.last_result or "not fetched yet")
    problem = f" · :warning: {escape(feed.problem)}" if feed.problem else ""
    must = f" · must: {escape(' '.join(feed.must))}" if feed.must else ""
    next_fetch = "—" if feed.paused else local_time(feed.next_fetch_at, timezone)
    return (
        f"*{feed.id}* · {_link(feed.url, feed.name)}{state}\n"
        f"`{escape(feed.url)}`\n"
        f"Every {feed.interval_minutes} min{must} · last fetch "
        f"{local_time(feed.last_fetch_at, timezone)}: {result}{problem}\n"
        f"Items seen {feed.items_seen} · proposed {feed.proposed} · named nobody "
        f"{feed.dropped} · next fetch {next_fetch}"
    )


def feed_list(feeds: Sequence[Feed], timezone: str) -> Message:
    if not feeds:
        return notice(f"No feeds yet. {FEEDS_USAGE}")
    blocks: list[Block] = [header(f"{len(feeds)} feed{'s' if len(feeds) != 1 else ''}")]
    # A message holds 50 blocks: the header, a context line, and up to 47 feeds.
    for feed in feeds[:47]:
        blocks.append(section(clip(feed_line(feed, timezone), MAX_SECTION_TEXT)))
    if len(feeds) > 47:
        blocks.append(context(f"{len(feeds) - 47} more not shown: `summitbot feeds list`."))
    blocks.append(context(escape(FEEDS_USAGE)))
    fallback = "; ".join(f"{f.id} {f.name}: {f.last_result or 'not fetched yet'}" for f in feeds)
    count = f"{len(feeds)} feed{'s' if len(feeds) != 1 else ''}"
    return Message(f"{count}. {fallback}", blocks)


def feed_changed(feed: Feed, what: str) -> Message:
    return notice(f"Feed {feed.id} ({feed.name}) {what}. `/summit feeds` lists them all.")


def poll_done(reports: Sequence[PollReport]) -> Message:
    if not reports:
        return notice("Nothing was polled: no feed is active (or each is being polled now).")
    lines = [f"Feed {r.feed.id} ({r.feed.name}): {r.result}" for r in reports]
    new = sum(len(r.new) for r in reports)
    lines.append(f"{new} new candidate{'s' if new != 1 else ''} for review: `/summit queue`.")
    return notice("\n".join(lines))


def feed_health(feed: Feed, failing: bool) -> Message:
    if failing:
        text = (
            f":warning: Feed {feed.id} ({feed.name}) failed {feed.failures} polls in a row: "
            f"{feed.last_result}. It is still tried, less often; `/summit feeds pause "
            f"{feed.id}` stops it."
        )
    else:
        text = f":white_check_mark: Feed {feed.id} ({feed.name}) works again: {feed.last_result}."
    return notice(text)


def reject_form(candidate: Candidate, metadata: dict[str, Any]) -> View:
    return modal(
        REJECT_FORM,
        f"Reject {candidate.id}",
        "Reject",
        metadata,
        [
            section(f"*{escape(clip(candidate.title, 500))}*"),
            text_input(
                REJECT_REASON,
                "Why? (optional)",
                multiline=True,
                max_length=MAX_REASON,
                optional=True,
                placeholder="e.g. a rumour; nothing new",
            ),
        ],
    )


def suggest_form(statement: str, metadata: dict[str, Any]) -> View:
    return modal(
        SUGGEST_FORM,
        "Suggest a fact",
        "Suggest",
        metadata,
        [
            text_input(
                SUGGEST_STATEMENT,
                "What happened?",
                multiline=True,
                max_length=500,
                initial=statement,
                optional=False,
                placeholder="e.g. SK Telecom and Microsoft agreed to …",
            ),
            text_input(
                SUGGEST_LINK,
                "Source link (optional)",
                max_length=2000,
                optional=True,
                placeholder="https://…",
            ),
            context("An admin reviews every suggestion before it reaches answers or digests."),
        ],
    )


def proposed(candidate: Candidate) -> Message:
    return notice(
        f"Thanks: your suggestion is {candidate.id} in the review queue. You'll get a DM "
        "when an admin approves or rejects it."
    )


def proposal_decided(candidate: Candidate, timezone: str) -> Message:
    line = decision_line(candidate, timezone)
    text = f"Your suggestion “{escape(clip(candidate.title, 200))}” ({candidate.id}): {line}"
    return Message(text, [section(text)], markup=True)
