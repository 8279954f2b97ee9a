"""The App Home tab as a control panel (see slackbot.core.home for what goes in it): the
overview, Ask buttons, the person's digests with their buttons, the admins' desk, then the
help, within Block Kit's 100 blocks."""

from __future__ import annotations

import json

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, DividerBlock
from slack_sdk.models.views import View

from slackbot.core.home import DigestCard, Home
from slackbot.slack.i18n import _
from slackbot.slack.ids import (
    HOME_ADD_FACT,
    HOME_ASK,
    HOME_PAGE,
    HOME_PAUSE,
    HOME_PREVIEW,
    HOME_RESUME,
    HOME_REVIEW,
    HOME_SEND_NOW,
)
from slackbot.slack.render.answers import _help_blocks, _overview_blocks
from slackbot.slack.render.base import (
    MAX_VIEW_BLOCKS,
    Message,
    context,
    escape,
    fact_line,
    header,
    mention,
    schedule_words,
    section,
    when,
    without_buttons,
)
from slackbot.slack.render.digests import last_result_words
from slackbot.slack.render.history import action_word

# The questions people ask first: (label, command, words).
ASK = (
    ("Who attends", "/whois", ""),
    ("Samsung", "/whois", "samsung"),
    ("SK Hynix", "/whois", "sk hynix"),
    ("HBM", "/chips", "hbm"),
    ("Open claims", "/summit", "open"),
    ("Timeline", "/summit", "timeline"),
)
# Kept free at the end for the help (it goes when there is no room).
HELP_BLOCKS = 4


def ask_buttons() -> ActionsBlock:
    return ActionsBlock(
        block_id="home-ask",
        elements=[
            ButtonElement(
                text=_(label),
                action_id=f"{HOME_ASK}_{number}",
                value=json.dumps({"command": command, "text": words}),
            )
            for number, (label, command, words) in enumerate(ASK)
        ],
    )


def _digest_blocks(card: DigestCard) -> list[Block]:
    status = card.status
    subscription = status.subscription
    if subscription is None:
        return []
    where = f"*{_('Your personal digest')}* (DM)" if card.personal else f"*<#{card.channel_id}>*"
    if subscription.suspended_reason:
        state = f":warning: {_('Suspended')}: {escape(subscription.suspended_reason)}"
    elif subscription.paused:
        state = f":double_vertical_bar: {_('Paused')}"
    else:
        upcoming = when(status.next_run, subscription.timezone) if status.next_run else "—"
        state = f":calendar: {_('Next')}: {escape(upcoming)}"
    lines = [
        f"{where} · {escape(schedule_words(subscription))}",
        state,
        f"*{_('Tracking')}:* {escape(', '.join(status.tracked) or _('everything'))}",
        f"*{_('Last')}:* {escape(last_result_words(subscription.last_result))}",
    ]
    buttons = []
    if card.may_change:
        paused = subscription.paused or subscription.suspended_reason
        action, label = (HOME_RESUME, _("Resume")) if paused else (HOME_PAUSE, _("Pause"))
        buttons.append(ButtonElement(text=label, action_id=action, value=card.channel_id))
    for text, action_id in ((_("Send now"), HOME_SEND_NOW), (_("Preview"), HOME_PREVIEW)):
        buttons.append(ButtonElement(text=text, action_id=action_id, value=card.channel_id))
    return [
        section("\n".join(lines)),
        ActionsBlock(block_id=f"digest-{card.channel_id}", elements=buttons),
    ]


def home_view(home: Home, timezone: str) -> View:
    blocks: list[Block] = [*_overview_blocks(home.overview)[0], ask_buttons(), DividerBlock()]
    blocks.append(header(_("Your digests")))
    if not home.digests:
        blocks.append(
            context(
                _(
                    "None of your channels has a digest. Run {command} in one, or {mine} for "
                    "your own, as a DM."
                ).format(command="`/digest daily 09:00`", mine="`/digest me daily 08:00`")
            )
        )
    for card in home.digests:
        blocks += _digest_blocks(card)
    if home.pages > 1:
        blocks.append(context(_("Page {page} of {pages}").format(page=home.page, pages=home.pages)))
        pages = [
            ButtonElement(text=label, action_id=f"{HOME_PAGE}_{key}", value=str(page))
            for key, label, page in (
                ("newer", _("Newer"), home.page - 1),
                ("more", _("More"), home.page + 1),
            )
            if 1 <= page <= home.pages
        ]
        blocks.append(ActionsBlock(block_id="home-pages", elements=pages))
    desk = home.desk
    if desk is not None:
        blocks += [DividerBlock(), header(_("Admin desk"))]
        waiting = _("candidate(s) waiting")
        blocks.append(section(f"*{_('Review queue')}:* {desk.waiting} {waiting}"))
        blocks.append(
            ActionsBlock(
                block_id="home-desk",
                elements=[
                    ButtonElement(text=_("Review"), action_id=HOME_REVIEW, value="1"),
                    ButtonElement(text=_("Add fact"), action_id=HOME_ADD_FACT, value="add"),
                ],
            )
        )
        changes = [
            f"`{r.fact_id}` "
            + _("{action} by {person}").format(action=action_word(r.action), person=mention(r.by))
            + f" · {escape(when(r.at, timezone))}"
            for r in desk.changes
        ]
        latest = "\n".join(changes) or _("None yet.")
        blocks.append(section(f"*{_('Latest changes')}*\n{latest}"))
        if desk.stale_claims:
            claims = "\n\n".join(fact_line(s.claim, claim=s) for s in desk.stale_claims)
            more = desk.stale_total - len(desk.stale_claims)
            tail = (
                "\n\n"
                + _("…and {count} more: {command}").format(count=more, command="`/summit open`")
                if more
                else ""
            )
            blocks.append(section(f"*{_('Open claims past due')}*\n{claims}{tail}"))
        else:
            blocks.append(context(_("No open claim is past due.")))
        if desk.failing_feeds:
            failing = "\n".join(
                f"`{feed.id}` {escape(feed.name)}: {escape(feed.last_result or 'failing')}"
                for feed in desk.failing_feeds[:10]
            )
            blocks.append(section(f"*{_('Failing feeds')}*\n{failing}"))
    if len(blocks) + HELP_BLOCKS + 1 <= MAX_VIEW_BLOCKS:
        blocks += [DividerBlock(), *_help_blocks()]
    return View(type="home", blocks=blocks[:MAX_VIEW_BLOCKS])


def answer_modal(message: Message, title: str = "Summit Intel") -> View:
    """An answer asked from App Home, shown in a modal (App Home has no thread to answer in):
    its blocks without the Share button."""
    blocks = without_buttons(message.blocks)
    return View(type="modal", title=title[:24], close="Close", blocks=blocks[:MAX_VIEW_BLOCKS])
