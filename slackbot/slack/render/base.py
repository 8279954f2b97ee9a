"""What every Slack message of the app is made of: ``Message`` (blocks plus the plain-text
fallback), Slack's escaping, clipping to Block Kit's limits, and the small blocks and lines
the other renderers share. Anything a person typed, and every stored statement, is escaped
so that it can never turn into a mention or a link."""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    Block,
)

from slackbot.core.admins import Curators
from slackbot.core.claims import ClaimState
from slackbot.core.clipping import clip as clip_text
from slackbot.core.intel import (
    FactList,
)
from slackbot.core.wording import N_
from slackbot.slack.i18n import _
from slackbot.slack.i18n import current as current_language
from slackbot.slack.ids import (
    FACT_MENU_ACTION,
    SHARE_ACTION_ID,
)
from storage.api import Entity, Fact, Source, Subscription

MAX_MESSAGE_BLOCKS = 50


MAX_VIEW_BLOCKS = 100


MAX_SECTION_TEXT = 3000


MAX_HEADER_TEXT = 150


MAX_FALLBACK_TEXT = 3000


MAX_ECHO = 80


class _Badges(Mapping[str, str]):
    """Each status's emoji and name, the name in the reader's language (see i18n)."""

    LABELS: ClassVar[dict[str, tuple[str, str]]] = {
        "confirmed": (":white_check_mark:", "Confirmed"),
        "reported": (":newspaper:", "Reported"),
        "expected": (":crystal_ball:", "Expected"),
        "retracted": (":x:", "Retracted"),
    }

    def __init__(self) -> None:
        # By language, then status: a card asks for a badge per fact.
        self._made: dict[str, dict[str, str]] = {}

    def in_current_language(self) -> dict[str, str]:
        """Every status's badge in the reader's language, as a plain dict."""
        language = current_language()
        made = self._made.get(language)
        if made is None:
            made = {status: f"{emoji} {_(label)}" for status, (emoji, label) in self.LABELS.items()}
            self._made[language] = made
        return made

    def __getitem__(self, status: str) -> str:
        return self.in_current_language()[status]

    def __iter__(self) -> Iterator[str]:
        return iter(self.LABELS)

    def __len__(self) -> int:
        return len(self.LABELS)


STATUS_BADGES = _Badges()


@dataclass(frozen=True)
class Message:
    """Blocks, and ``text``: the plain fallback, unescaped until it is sent (escaped exactly
    once, in ``to_dict``) unless ``markup`` says it is already safe mrkdwn of our own, such
    as a user mention that Slack shows as the person's name."""

    text: str
    blocks: list[Block]
    # The entities whose facts this answer shows, when that is all it depends on.
    depends_on: tuple[str, ...] | None = None
    markup: bool = False

    def to_dict(self) -> dict[str, Any]:
        # Slack parses the fallback as mrkdwn too, so it is escaped like the blocks.
        text = self.text if self.markup else escape(self.text)
        return {
            "text": clip(text, MAX_FALLBACK_TEXT),
            "blocks": [block.to_dict() for block in self.blocks],
        }


def escape(text: str) -> str:
    """Slack's escaping: '<', '>' and '&' become entities, so no mention or link can form."""
    # Most text has none of the three: three membership tests cost less than three copies.
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def plain_words(mrkdwn: str) -> str:
    """Our own mrkdwn for a place that shows plain text only (a form's field error):
    mentions as @id, entities decoded, no `code` marks."""
    text = re.sub(r"<@([UW][A-Z0-9]+)>", r"@\1", mrkdwn).replace("`", "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def flat(text: str) -> str:
    """A person's input on one short line: control characters gone, long input cut."""
    one_line = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return clip(one_line, MAX_ECHO)


def echo(text: str) -> str:
    """A person's input, shortened and escaped, fit to quote back to them in mrkdwn."""
    return escape(flat(text))


def clip(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, ending in "…" when cut. A cut never leaves a
    ``<url|title>`` link (or a mention) open: it goes before the unclosed ``<``."""
    return clip_text(text, limit, keep_before="<>")


def source_link(fact: Fact) -> str:
    """The fact's source as a link, then any other outlets that reported it."""
    links = [_one_source(source) for source in (fact.source, *fact.more_sources)]
    if len(links) == 1:
        return links[0]
    return f"{links[0]} · {_('also')} " + ", ".join(links[1:])


def _one_source(source: Source) -> str:
    title = escape(source.title or "source")
    url = source.url
    if url:
        if "|" in url or ">" in url or "<" in url:
            url = url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")
        return f"<{url}|{title}>"
    return f"_{title}_"


def claim_badge(fact: Fact, claim: ClaimState | None) -> str:
    """A fact's status badge; for a claim, what came of it or how long it has been open:
    "🔮 Expected → ✅ Confirmed 2024-09-03, F31", "🔮 Expected · open 190 days"."""
    badge = STATUS_BADGES.in_current_language().get(fact.status, fact.status)
    if claim is None:
        return badge
    outcome = claim.outcome
    if outcome is not None:
        when = f" {outcome.happened_on}" if outcome.happened_on else ""
        if fact.did_not_happen:
            return f"{badge} → :no_entry_sign: {_('Did not happen')}{when}, `{outcome.id}`"
        settled = STATUS_BADGES.get(outcome.status, outcome.status)
        return f"{badge} → {settled}{when}, `{outcome.id}`"
    if claim.stale:
        return f"{badge} · :hourglass: " + _("open {days} days").format(days=claim.open_days)
    return badge


def fact_ids_in(message: Message) -> list[str]:
    """The facts a message shows: every fact line names its id as `F12`."""
    found: dict[str, None] = {}
    for block in message.blocks:
        text = block.to_dict().get("text")
        if isinstance(text, dict):
            found.update(dict.fromkeys(re.findall(r"`(F\d+)`", str(text.get("text", "")))))
    return list(found)


def fact_date(fact: Fact) -> str:
    """A fact's own date as a line shows it: "2024-06-10" when it happened then, "reported
    2024-06-10" (or "reported May 2024") when the source gave only its own date."""
    if fact.happened_on:
        return fact.happened_on
    if not fact.reported_on:
        return ""
    reported = fact.reported_on
    if len(reported) == len("2024-05"):
        reported = month_name(reported)
    return _("reported {date}").format(date=reported)


def when(moment: datetime | str, timezone: str) -> str:
    """A moment as the reader's language writes it, in ``timezone``: "Mon 07 Dec 2026 09:00
    KST", "2026년 12월 7일 (월) 09:00 KST"."""
    try:
        at = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    except ValueError:
        return str(moment)  # already in words
    at = at.astimezone(ZoneInfo(timezone))
    if current_language() == "ko":
        weekday = "월화수목금토일"[at.weekday()]
        return f"{at.year}년 {at.month}월 {at.day}일 ({weekday}) {at:%H:%M %Z}"
    return at.strftime("%a %d %b %Y %H:%M %Z")


def schedule_words(subscription: Subscription) -> str:
    """When a digest comes, as the reader's language says it: "every day at 09:00
    Asia/Seoul"."""
    days = {"daily": _("every day"), "weekdays": _("every weekday")}.get(subscription.cadence)
    if days is None:
        weekday = (subscription.weekday or "mon")[:3].lower()
        days = _("every {weekday}").format(weekday=weekday_name(weekday))
    return _("{days} at {time} {zone}").format(
        days=days, time=subscription.time, zone=subscription.timezone
    )


def weekday_name(short: str) -> str:
    names = {
        "mon": _("Mon"),
        "tue": _("Tue"),
        "wed": _("Wed"),
        "thu": _("Thu"),
        "fri": _("Fri"),
        "sat": _("Sat"),
        "sun": _("Sun"),
    }
    return names.get(short, short)


def month_name(value: str) -> str:
    """2024-06 (or a day in it) → "June 2024", or its Korean form."""
    year, month = int(value[:4]), int(value[5:7])
    if current_language() == "ko":
        return f"{year}년 {month}월"
    return f"{calendar.month_name[month]} {year}"


def fact_line(fact: Fact, *, with_source: bool = True, claim: ClaimState | None = None) -> str:
    badge = claim_badge(fact, claim)
    dated = fact_date(fact)
    when = f" · {escape(dated)}" if dated else ""
    line = f"{badge} · `{fact.id}`{when}\n{escape(fact.statement)}"
    return f"{line}\n:link: {source_link(fact)}" if with_source else line


STATUS_MEANINGS = {
    "confirmed": "official or settled",
    "reported": "stated as fact by a source",
    "expected": "said may or could happen",
}


def common_source(facts: Iterable[Fact]) -> Fact | None:
    """A fact standing for the source every one of ``facts`` shares (two or more of them),
    so a card can say it once; None when they differ."""
    shared: tuple[str | None, str] | None = None
    first = None
    count = 0
    for fact in facts:
        key = (fact.source.url, fact.source.title)
        if shared is None:
            shared, first = key, fact
        elif key != shared:
            return None
        count += 1
    return first if count >= 2 else None


def legend(facts: Iterable[Fact]) -> str:
    """The statuses shown, and what each means (only those on the card)."""
    present = {fact.status for fact in facts}
    parts = [
        f"{STATUS_BADGES[status]} = {_(meaning)}"
        for status, meaning in STATUS_MEANINGS.items()
        if status in present
    ]
    return _("Statuses:") + " " + " · ".join(parts) if parts else ""


def fact_plain(fact: Fact) -> str:
    status = _Badges.LABELS.get(fact.status, ("", fact.status))[1]
    source = fact.source.title or _("source")
    return f"[{_(status)}] {fact.statement} ({fact.id}; {source})"


def names(entities: Sequence[Entity]) -> str:
    return ", ".join(escape(entity.name) for entity in entities)


def entity_label(entity: Entity) -> str:
    label = escape(entity.name)
    if entity.korean_name:
        label += f" ({escape(entity.korean_name)})"
    return label


def person_label(
    person: Entity, highlighted: Entity | None = None, company: Entity | None = None
) -> str:
    """'Satya Nadella (사티아 나델라) — CEO, Microsoft': one person, however many parts."""
    label = entity_label(person)
    if person.role:
        label += f" — {escape(person.role)}"
        if company is not None:
            label += f", {escape(company.name)}"
    if highlighted is not None and person.id == highlighted.id:
        label = f"*:point_right: {label}*"
    return label


class _JsonBlock(Block):
    """A block that writes its own Slack JSON: it sets what ``Block.__init__`` sets, without
    that call (slack_sdk's models cost more than the answer: see ``TextBlock``)."""

    def __init__(self, kind: str) -> None:
        self.type = kind
        self.block_id = None
        self.color = None


class TextBlock(_JsonBlock):
    """A section, context line or header: the blocks an answer is mostly made of, written
    straight as Slack's JSON. slack_sdk's model classes check and reflect over every
    attribute on each ``to_dict``, which was about 70% of the CPU of an answer computed
    afresh at 100,000 facts (profiled); these few shapes give the same JSON, which
    tests/test_intel.py compares with the models'. Other blocks stay models."""

    def __init__(self, kind: str, text_type: str, text: str) -> None:
        super().__init__(kind)
        self._text_type = text_type
        self._text = text

    def to_dict(self) -> dict[str, Any]:
        text: dict[str, Any] = {"type": self._text_type}
        if self._text:
            text["text"] = self._text
        if self._text_type == "plain_text":
            text["emoji"] = True
        if self.type == "context":
            return {"type": "context", "elements": [text]}
        return {"type": self.type, "text": text}


class PreparedBlock(_JsonBlock):
    """A block kept as the Slack JSON it renders to (see answering.CardCache): a card
    answering several questions is turned into JSON once. The dict is shared, never
    changed."""

    def __init__(self, rendered: dict[str, Any]) -> None:
        super().__init__(rendered["type"])
        self._rendered = rendered

    def to_dict(self) -> dict[str, Any]:
        return self._rendered


def section(text: str) -> Block:
    return TextBlock("section", "mrkdwn", clip(text, MAX_SECTION_TEXT))


def context(text: str) -> Block:
    return TextBlock("context", "mrkdwn", clip(text, MAX_SECTION_TEXT))


def header(text: str) -> Block:
    return TextBlock("header", "plain_text", clip(text, MAX_HEADER_TEXT))


class ShareButton(_JsonBlock):
    """The "Share to channel" button under every answer, written straight as Slack's JSON
    like ``TextBlock`` (the models' ``to_dict`` of these two objects alone was a fifth of the
    rendering CPU of a card). Its value (the question, cut at 500 characters) stays within
    Slack's 2,000; tests/test_intel.py compares the JSON with the models'."""

    def __init__(self, command: str, text: str) -> None:
        super().__init__("actions")
        self.value = json.dumps({"command": command, "text": text[:500]}, ensure_ascii=False)

    def to_dict(self) -> dict[str, Any]:
        button = {
            "type": "button",
            "text": {"type": "plain_text", "text": _("Share to channel"), "emoji": True},
            "action_id": SHARE_ACTION_ID,
            "value": self.value,
        }
        return {"type": "actions", "elements": [button]}


def share_button(command: str, text: str) -> ShareButton:
    return ShareButton(command, text)


def retracted_note(count: int, named: Sequence[str]) -> str:
    """'F9 retracted — `/summit history F9`', naming the retracted facts left out."""
    if count == 1 and named:
        return _("{id} retracted").format(id=named[0]) + f" — `/summit history {named[0]}`"
    ids = ", ".join(named) + (", …" if count > len(named) else "")
    example = named[0] if named else "&lt;id&gt;"
    hidden = _("{count} retracted facts not shown").format(count=count)
    return f"{hidden} ({ids}) — `/summit history {example}`"


class Builder:
    """Collects blocks, keeping the room needed for the closing blocks."""

    def __init__(self, reserve: int, limit: int = MAX_MESSAGE_BLOCKS) -> None:
        self.blocks: list[Block] = []
        self.shared_source = False
        self._limit = limit - reserve

    def say_source_once(self, facts: Iterable[Fact]) -> None:
        """When every fact to be shown has the same source, it is said here, once."""
        shared = common_source(facts)
        if shared is not None:
            self.shared_source = True
            every = _("Source of every fact below:")
            self.add(context(f":link: {every} {source_link(shared)}"))

    def room(self) -> int:
        return self._limit - len(self.blocks)

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)

    def add_facts(
        self,
        facts: FactList,
        narrow_hint: str,
        keep: int = 0,
        *,
        with_menu: bool = False,
        notes: dict[str, str] | None = None,
    ) -> int:
        """Adds a section per fact while there is room, keeping ``keep`` blocks free for what
        follows and one for the "…and N more" note; returns how many were left out.
        ``with_menu`` gives each fact the admins' Edit / Retract menu; ``notes`` adds a line
        (mrkdwn) to the facts whose ids it names."""
        shown = facts.facts[: max(self.room() - keep - 1, 0)]
        for fact in shown:
            line = fact_line(
                fact, with_source=not self.shared_source, claim=facts.claims.get(fact.id)
            )
            if notes and fact.id in notes:
                line += f"\n{notes[fact.id]}"
            if with_menu:
                self.blocks.append(FactMenuSection(clip(line, MAX_SECTION_TEXT), fact.id))
            else:
                self.blocks.append(section(line))
        left_out = len(facts.facts) - len(shown) + facts.more
        closing = []
        if left_out:
            more = _("…and {count} more — narrow it with {how}")
            closing.append(more.format(count=left_out, how=narrow_hint))
        if facts.retracted_hidden:
            closing.append(retracted_note(facts.retracted_hidden, facts.retracted_ids))
        if closing:
            self.blocks.append(context(" · ".join(closing)))
        return left_out


def prefixed(note: str, message: Message) -> Message:
    """``message`` led by a short note in our own words, such as "Saved."."""
    text = f"{escape(note)} {message.text}" if message.markup else f"{note} {message.text}"
    return Message(text, [section(escape(note)), *message.blocks], markup=message.markup)


def notice(text: str) -> Message:
    """A message in our own words; mrkdwn such as `code` is kept, and it is escaped."""
    return Message(text, [section(escape(text))])


def without_buttons(blocks: Iterable[Block]) -> list[Block]:
    """The blocks without their buttons (Share to channel, Suggest a fact): an answer shown
    where those mean nothing. By the block's type, so a block kept as JSON counts too."""
    return [block for block in blocks if block.type != "actions"]


def in_thread(message: Message) -> Message:
    """An answer posted for everyone in a thread or DM: no "Share to channel" button."""
    return Message(
        message.text, without_buttons(message.blocks), message.depends_on, message.markup
    )


def mention(user_id: str) -> str:
    """A user mention Slack shows as the person's name; anything else is shown escaped."""
    return f"<@{user_id}>" if re.fullmatch(r"[UW][A-Z0-9]+", user_id) else escape(user_id)


# How the domain writes a person in plain text it keeps (a revision's reason): their user
# id after an @. Reasons stored before held Slack's own markup, <@U…>.
_PERSON = re.compile(r"(?<![\w@&])@([UW][A-Z0-9]{2,})\b")
_SLACK_MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")


def with_mentions(text: str) -> str:
    """The domain's plain text for Slack: escaped, each person (@U…) a mention Slack shows
    by name."""
    plain = _SLACK_MENTION.sub(r"@\1", text)
    return _PERSON.sub(r"<@\1>", escape(plain))


def who_can(curators: Curators) -> str:
    """Who may curate, in mrkdwn (mentions show as names)."""
    parts = [", ".join(mention(user_id) for user_id in curators.user_ids)]
    if curators.workspace_admins:
        parts.append(_("workspace admins and owners"))
    joined = f" {_('and')} ".join(part for part in parts if part)
    return joined or _("nobody yet: set {setting}").format(setting="SUMMITBOT_ADMINS")


def admin_action(what: str) -> str:
    """What only admins may do, in the reader's language."""
    return {
        "add facts": _("add facts"),
        "edit facts": _("edit facts"),
        "edit or retract facts": _("edit or retract facts"),
        "save facts": _("save facts"),
        "retract facts": _("retract facts"),
        "restore facts": _("restore facts"),
        "review candidates": _("review candidates"),
        "reject candidates": _("reject candidates"),
        "settle open claims": _("settle open claims"),
        "manage feeds and the review queue": _("manage feeds and the review queue"),
    }.get(what, what)


def not_admin(curators: Curators, what: str) -> Message:
    text = (
        _("Only Summit Intel admins can {what}: {who}.").format(
            what=escape(admin_action(what)), who=who_can(curators)
        )
        + " "
        + _("Ask one of them, or {help}.").format(help="`/summit help`")
    )
    # The fallback keeps the mentions too, so a notification names the admins.
    return Message(text, [section(text)], markup=True)


def menu_label(verb: str) -> str:
    return {"edit": _("Edit"), "retract": _("Retract")}.get(verb, verb)


class FactMenuSection(_JsonBlock):
    """A fact's section with the admins' Edit / Retract menu, written straight as Slack's
    JSON like ``TextBlock``: the models' ``to_dict`` of ten of these was two thirds of the
    CPU of an admin's search (profiled at 100,000 facts). tests/test_intel.py compares the
    JSON with the models'."""

    MENU = (("edit", "Edit"), ("retract", "Retract"))  # labels translated as rendered

    def __init__(self, text: str, fact_id: str) -> None:
        super().__init__("section")
        self._text = text
        self._fact_id = fact_id

    def to_dict(self) -> dict[str, Any]:
        options = [
            {
                "text": {"type": "plain_text", "text": menu_label(verb), "emoji": True},
                "value": f"{verb}:{self._fact_id}",
            }
            for verb, label in self.MENU
        ]
        menu = {"type": "overflow", "action_id": FACT_MENU_ACTION, "options": options}
        return {
            "type": "section",
            "text": {"type": "mrkdwn", "text": self._text},
            "accessory": menu,
        }


SOMETHING_WENT_WRONG = N_(
    "Sorry, something went wrong on our side and the answer could not be built. "
    "Try again in a moment; if it keeps happening, tell a Summit Intel admin."
)


def not_saved(error: Exception) -> str:
    """What to tell someone whose change the store could not make durable."""
    return f"{str(error).capitalize()}. " + _(
        "Nothing was changed. Tell whoever runs Summit Intel, then try again."
    )


SLACK_TOO_SLOW = N_(
    "Slack took too long to confirm that you are a Summit Intel admin, so nothing was saved "
    "yet. Submit again in a moment."
)
SLACK_TOO_SLOW_CLICK = N_(
    "Slack took too long to confirm that you are a Summit Intel admin; use the menu again "
    "in a moment."
)
