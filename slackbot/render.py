"""Every message and view Summit Intel shows, built with slack_sdk.models within Block Kit limits.

Each function returns a ``Message``: blocks plus the plain-text fallback Slack shows in
notifications and to clients that cannot draw blocks. Anything a person typed, and every
stored statement, is escaped so that it can never turn into a mention or a link.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from slackbot.intel import (
    Ambiguous,
    ChipsAnswer,
    CompanyCard,
    FactList,
    MentionCard,
    NoMatch,
    Overview,
    Roster,
    SearchAnswer,
    WhoAnswer,
)
from storage import Entity, Fact

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_FALLBACK_TEXT = 3000
MAX_ECHO = 80
SHARE_ACTION_ID = "share_answer"

STATUS_BADGES = {
    "confirmed": ":white_check_mark: Confirmed",
    "reported": ":newspaper: Reported",
    "expected": ":crystal_ball: Expected",
    "retracted": ":x: Retracted",
}

HELP_LINES = (
    ("/who", "every attending company and its people"),
    ("/who samsung", "a company card: who attends, what is on the table with Microsoft, context"),
    ("/who 곽노정", "a person (English or Korean name) shows their company's card"),
    ("/who anthropic", "a company or product only mentioned: the facts that name it"),
    ("/chips", "the hardware on the table: HBM, SSDs, CXL drives, Mach-1, Mach-2"),
    ("/chips hbm · /chips samsung", "one part, or one vendor's parts"),
    ("/summit", "the summit overview: date, hosts, who attends, the themes"),
    ("/summit search hbm supply", "facts ranked by your words"),
    ("/summit help", "this list"),
    ("/digest", "scheduled digests of what changed, for this channel"),
)


@dataclass(frozen=True)
class Message:
    """Blocks, and ``text``: the plain fallback, unescaped until it is sent."""

    text: str
    blocks: list[Block]

    def to_dict(self) -> dict[str, Any]:
        # Slack parses the fallback as mrkdwn too, so it is escaped like the blocks.
        return {
            "text": _clip(escape(self.text), MAX_FALLBACK_TEXT),
            "blocks": [block.to_dict() for block in self.blocks],
        }


# -- text helpers ---------------------------------------------------------------------


def escape(text: str) -> str:
    """Slack's escaping: '<', '>' and '&' become entities, so no mention or link can form."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def flat(text: str) -> str:
    """A person's input on one short line: control characters gone, long input cut."""
    one_line = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return _clip(one_line, MAX_ECHO)


def echo(text: str) -> str:
    """A person's input, shortened and escaped, fit to quote back to them in mrkdwn."""
    return escape(flat(text))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def source_link(fact: Fact) -> str:
    title = escape(fact.source.title or "source")
    if fact.source.url:
        url = fact.source.url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")
        return f"<{url}|{title}>"
    return f"_{title}_"


def fact_line(fact: Fact) -> str:
    badge = STATUS_BADGES.get(fact.status, fact.status)
    when = f" · {fact.happened_on}" if fact.happened_on else ""
    return f"{badge} · `{fact.id}`{when}\n{escape(fact.statement)}\n:link: {source_link(fact)}"


def fact_plain(fact: Fact) -> str:
    return f"[{fact.status}] {fact.statement} ({fact.id}; {fact.source.title or 'source'})"


def _names(entities: Sequence[Entity]) -> str:
    return ", ".join(escape(entity.name) for entity in entities)


def _entity_label(entity: Entity) -> str:
    label = escape(entity.name)
    if entity.korean_name:
        label += f" ({escape(entity.korean_name)})"
    return label


def _person_label(person: Entity, highlighted: Entity | None = None) -> str:
    label = _entity_label(person)
    if person.role:
        label += f", {escape(person.role)}"
    if highlighted is not None and person.id == highlighted.id:
        label = f"*:point_right: {label}*"
    return label


# -- block helpers -----------------------------------------------------------------------


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=_clip(text, MAX_SECTION_TEXT)))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=_clip(text, MAX_SECTION_TEXT))])


def _header(text: str) -> HeaderBlock:
    return HeaderBlock(text=_clip(text, MAX_HEADER_TEXT))


def share_button(command: str, text: str) -> ActionsBlock:
    value = json.dumps({"command": command, "text": text[:500]}, ensure_ascii=False)
    return ActionsBlock(
        elements=[
            ButtonElement(
                text="Share to channel",
                action_id=SHARE_ACTION_ID,
                value=value,
            )
        ]
    )


class _Builder:
    """Collects blocks, keeping the room needed for the closing blocks."""

    def __init__(self, reserve: int, limit: int = MAX_MESSAGE_BLOCKS) -> None:
        self.blocks: list[Block] = []
        self._limit = limit - reserve

    def room(self) -> int:
        return self._limit - len(self.blocks)

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)

    def add_facts(self, facts: FactList, narrow_hint: str, keep: int = 0) -> int:
        """Adds a section per fact while there is room, keeping ``keep`` blocks free for what
        follows and one for the "…and N more" note; returns how many were left out."""
        shown = facts.facts[: max(self.room() - keep - 1, 0)]
        for fact in shown:
            self.blocks.append(_section(fact_line(fact)))
        left_out = len(facts.facts) - len(shown)
        notes = []
        if left_out:
            notes.append(f"…and {left_out} more — narrow it with {narrow_hint}")
        if facts.retracted_hidden:
            notes.append(
                f"{facts.retracted_hidden} retracted fact(s) not shown"
                " — `/summit history &lt;id&gt;` shows what changed"
            )
        if notes:
            self.blocks.append(_context(" · ".join(notes)))
        return left_out


# -- /who ---------------------------------------------------------------------------------


def who(answer: WhoAnswer, query: str) -> Message:
    if isinstance(answer, CompanyCard):
        return company_card(answer, query)
    if isinstance(answer, MentionCard):
        return mention_card(answer, query)
    if isinstance(answer, Ambiguous):
        return ambiguous(answer)
    if isinstance(answer, NoMatch):
        return no_match(answer)
    return roster(answer)


def company_card(card: CompanyCard, query: str) -> Message:
    company = card.company
    builder = _Builder(reserve=2)
    builder.add(_header(f"{company.name} at the MS CEO Summit 2024"))
    people = ", ".join(_person_label(p, card.highlighted) for p in card.people) or "none named"
    intro = f"*{_entity_label(company)}*\n*People:* {people}"
    if card.highlighted is not None:
        intro = f"*{_person_label(card.highlighted)}* attends for {_entity_label(company)}\n" + (
            f"*People:* {people}"
        )
    builder.add(_section(intro))
    hint = f"`/summit search {escape(company.name.split()[0].lower())} &lt;words&gt;`"
    sections = (
        ("Attending", card.attendance),
        ("On the table with Microsoft", card.on_the_table),
        ("Related context", card.context),
    )
    filled = [(title, facts) for title, facts in sections if facts.facts or facts.retracted_hidden]
    for position, (title, facts) in enumerate(filled):
        builder.add(DividerBlock(), _section(f"*{title}*"))
        # Each later section needs its divider, title and a note at the least.
        builder.add_facts(facts, hint, keep=3 * (len(filled) - position - 1))
    builder.add(_context("Statuses: confirmed · reported · expected (said may or could happen)"))
    builder.add(share_button("/who", query))
    counts = len(card.attendance.facts) + len(card.on_the_table.facts) + len(card.context.facts)
    fallback = [
        f"{company.name}: {', '.join(p.name for p in card.people) or 'no people named'}; "
        f"{counts} fact(s)."
    ]
    fallback += [fact_plain(f) for f in card.on_the_table.facts + card.context.facts]
    return Message("\n".join(fallback), builder.blocks)


def mention_card(card: MentionCard, query: str) -> Message:
    entity = card.entity
    builder = _Builder(reserve=1)
    kind = {
        "company": "mentioned, not attending",
        "person": "person",
        "product": f"{entity.category or 'product'}",
    }.get(entity.kind, entity.kind)
    builder.add(_header(entity.name))
    lines = [f"*{_entity_label(entity)}* — {kind}"]
    if entity.description:
        lines.append(escape(entity.description))
    if entity.vendors:
        lines.append(f"*Vendors:* {', '.join(escape(v) for v in entity.vendors)}")
    if card.related:
        lines.append(f"*Appears with:* {_names(card.related)}")
    builder.add(_section("\n".join(lines)))
    if card.facts.facts or card.facts.retracted_hidden:
        builder.add(DividerBlock())
        builder.add_facts(card.facts, f"`/summit search {echo(entity.name.lower())} &lt;words&gt;`")
    else:
        builder.add(_context("No facts name it yet."))
    builder.add(share_button("/who", query))
    fallback = [f"{entity.name} ({kind}): {len(card.facts.facts)} fact(s)."]
    fallback += [fact_plain(f) for f in card.facts.facts]
    return Message("\n".join(fallback), builder.blocks)


def ambiguous(answer: Ambiguous) -> Message:
    builder = _Builder(reserve=0)
    builder.add(_section(f"*{len(answer.matches)} matches for “{echo(answer.query)}”* — pick one:"))
    for entity, fact_count in answer.matches[: builder.room()]:
        builder.add(
            _section(
                f"*{_entity_label(entity)}* — {entity.kind}, {fact_count} fact(s)\n"
                f"`/who {escape(entity.name)}`"
            )
        )
    text = f"{len(answer.matches)} matches for “{flat(answer.query)}”: " + ", ".join(
        entity.name for entity, _count in answer.matches
    )
    return Message(text, builder.blocks)


def no_match(answer: NoMatch) -> Message:
    text = (
        f"Nothing matches “{echo(answer.query)}”.\n"
        f"*Attending:* {_names(answer.companies)}\n"
        f"*Also known:* {_names(answer.others)}\n"
        "Try `/who samsung`, `/who 곽노정` or `/summit search &lt;words&gt;`."
    )
    fallback = (
        f"Nothing matches “{flat(answer.query)}”. Attending: "
        + ", ".join(entity.name for entity in answer.companies)
        + ". Try /who samsung or /summit search <words>."
    )
    return Message(fallback, [_section(text)])


def roster(answer: Roster) -> Message:
    blocks: list[Block] = [_header("Who attends the MS CEO Summit 2024")]
    fallback = ["Attending the MS CEO Summit 2024:"]
    for company, people in answer.companies:
        names = ", ".join(_person_label(person) for person in people) or "no people named"
        blocks.append(_section(f"*{_entity_label(company)}*\n{names}"))
        fallback.append(f"{company.name}: {', '.join(p.name for p in people) or '-'}")
    if answer.mentioned:
        blocks.append(_context(f"Mentioned, not attending: {_names(answer.mentioned)}"))
    blocks.append(_context("`/who &lt;company or person&gt;` for a card, e.g. `/who sk hynix`"))
    return Message("\n".join(fallback), blocks)


# -- /chips ------------------------------------------------------------------------------


def chips(answer: ChipsAnswer) -> Message:
    builder = _Builder(reserve=2)
    builder.add(_header("AI hardware on the table"))
    if answer.unmatched:
        builder.add(
            _section(
                f"No hardware matches “{echo(answer.query)}”. Here is everything on the table;"
                " filter with `/chips hbm` or `/chips samsung`."
            )
        )
    fallback = []
    for chip in answer.parts:
        if builder.room() < 2:
            builder.add(_context("…more parts — narrow it with `/chips &lt;part or vendor&gt;`"))
            break
        vendors = _names(chip.vendors) or "not named in the source"
        description = f" — {escape(chip.part.description)}" if chip.part.description else ""
        builder.add(
            DividerBlock(),
            _section(f"*{escape(chip.part.name)}*{description}\n*Vendors:* {vendors}"),
        )
        builder.add_facts(chip.facts, f"`/chips {escape(chip.part.name.lower())}`")
        vendor_names = ", ".join(vendor.name for vendor in chip.vendors) or "not named"
        fallback.append(
            f"{chip.part.name} (vendors: {vendor_names}): "
            + "; ".join(fact_plain(fact) for fact in chip.facts.facts)
        )
    if not answer.unmatched:
        builder.add(share_button("/chips", answer.query))
    return Message("\n".join(fallback) or "No hardware recorded.", builder.blocks)


# -- /summit ------------------------------------------------------------------------------


def _overview_blocks(overview: Overview) -> tuple[list[Block], str]:
    event = overview.event
    if event is None:
        return [_section("No summit overview is stored yet. Run `summitbot seed`.")], (
            "No summit overview is stored yet."
        )
    hosts = ", ".join(_person_label(p) for p in overview.host_people)
    host_name = _entity_label(overview.host) if overview.host else escape(event.host)
    attendees = "\n".join(
        f"• *{_entity_label(company)}*: {', '.join(_person_label(p) for p in people) or '—'}"
        for company, people in overview.companies
    )
    themes = "\n".join(f"• {escape(theme)}" for theme in event.themes)
    counts = " · ".join(
        f"{count} {status}" for status, count in sorted(overview.fact_counts.items())
    )
    blocks: list[Block] = [
        _header(event.name),
        _section(
            f"*{event.date}* · {escape(event.format)}\n"
            f"Hosted by {host_name} with {hosts}\n{escape(event.summary)}"
        ),
        _section(f"*Who attends*\n{attendees}"),
        _section(f"*Themes*\n{themes}"),
        _context(f"Fact store: {counts or 'empty'} · `/summit help` lists every command"),
    ]
    fallback = (
        f"{event.name}, {event.date}: {event.format}. Hosted by "
        f"{overview.host.name if overview.host else event.host}. Attending: "
        + ", ".join(company.name for company, _people in overview.companies)
        + "."
    )
    return blocks, fallback


def overview(answer: Overview) -> Message:
    blocks, fallback = _overview_blocks(answer)
    if answer.event is not None:
        blocks.append(share_button("/summit", ""))
    return Message(fallback, blocks)


def _help_blocks() -> list[Block]:
    lines = "\n".join(f"`{command}` — {what}" for command, what in HELP_LINES)
    return [
        _section(f"*Summit Intel commands*\n{lines}"),
        _context("Answers are only visible to you; *Share to channel* posts one for everyone."),
    ]


def help_message(unknown: str | None = None) -> Message:
    blocks = _help_blocks()
    fallback = "Summit Intel commands: " + "; ".join(c for c, _what in HELP_LINES)
    if unknown is not None:
        blocks.insert(0, _section(f"I don't know “{echo(unknown)}”. Here is what I can do:"))
        fallback = f"Unknown command “{flat(unknown)}”. " + fallback
    return Message(fallback, blocks)


def search(answer: SearchAnswer) -> Message:
    if not answer.query.strip():
        return error("Tell me what to look for, e.g. `/summit search hbm supply`.")
    if not answer.facts:
        return Message(
            f"No facts match “{flat(answer.query)}”.",
            [
                _section(
                    f"No facts match “{echo(answer.query)}”. Try fewer or other words,"
                    " a company (`/who samsung`) or a part (`/chips hbm`)."
                )
            ],
        )
    builder = _Builder(reserve=1)
    builder.add(_section(f"*{answer.total} fact(s) match “{echo(answer.query)}”*"))
    left_out = builder.add_facts(FactList(answer.facts), "more words")
    hidden = answer.total - len(answer.facts) - left_out
    if hidden > 0 and not left_out:
        builder.add(_context(f"…and {hidden} more — narrow it with more words"))
    builder.add(share_button("/summit", f"search {answer.query}"))
    fallback = [f"{answer.total} fact(s) match “{flat(answer.query)}”:"]
    fallback += [fact_plain(fact) for fact in answer.facts]
    return Message("\n".join(fallback), builder.blocks)


def error(text: str) -> Message:
    """A message in our own words; mrkdwn such as `code` is kept, and it is escaped."""
    return Message(text, [_section(escape(text))])


def shared(message: Message, user_id: str) -> Message:
    """The answer as posted to a channel: no button, and who shared it."""
    blocks = [b for b in message.blocks if not isinstance(b, ActionsBlock)]
    blocks.append(_context(f"Shared by <@{user_id}> from Summit Intel"))
    return Message(message.text, blocks)


def home(answer: Overview) -> View:
    blocks, _fallback = _overview_blocks(answer)
    blocks += [DividerBlock(), *_help_blocks()]
    return View(type="home", blocks=blocks[:MAX_VIEW_BLOCKS])
