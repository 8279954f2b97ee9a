"""Every message and view Summit Intel shows, built with slack_sdk.models within Block Kit limits.

Each function returns a ``Message``: blocks plus the plain-text fallback Slack shows in
notifications and to clients that cannot draw blocks. Anything a person typed, and every
stored statement, is escaped so that it can never turn into a mention or a link.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DatePickerElement,
    DividerBlock,
    ExternalDataMultiSelectElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    OverflowMenuElement,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from slackbot import curation
from slackbot.admins import Curators
from slackbot.curation import FactDraft, History
from slackbot.digests import USAGE as DIGEST_USAGE
from slackbot.digests import Development, Digest, DigestGroup, describe_schedule, local
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
from storage import Entity, Fact, Subscription

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
    ("/whois", "every attending company and its people"),
    ("/whois samsung", "a company card: who attends, what is on the table with Microsoft, context"),
    ("/whois 곽노정", "a person (English or Korean name) shows their company's card"),
    ("/whois anthropic", "a company or product only mentioned: the facts that name it"),
    ("/chips", "the hardware on the table: HBM, SSDs, CXL drives, Mach-1, Mach-2"),
    ("/chips hbm · /chips samsung", "one part, or one vendor's parts"),
    ("/summit", "the summit overview: date, hosts, who attends, the themes"),
    ("/summit search hbm supply", "facts ranked by your words"),
    ("/summit help", "this list"),
    ("/digest daily 09:00", "a digest of what moved, posted here every day at 09:00"),
    ("/summit history F9", "who changed a fact, when, old → new"),
    ("/summit add · edit F9 · retract F9 why", "curating facts (admins)"),
)


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
            "text": _clip(text, MAX_FALLBACK_TEXT),
            "blocks": [block.to_dict() for block in self.blocks],
        }


# -- text helpers ---------------------------------------------------------------------


def escape(text: str) -> str:
    """Slack's escaping: '<', '>' and '&' become entities, so no mention or link can form."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain_words(mrkdwn: str) -> str:
    """Our own mrkdwn for a place that shows plain text only (a form's field error):
    mentions as @id, entities decoded, no `code` marks."""
    text = re.sub(r"<@([UW][A-Z0-9]+)>", r"@\1", mrkdwn).replace("`", "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def flat(text: str) -> str:
    """A person's input on one short line: control characters gone, long input cut."""
    one_line = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return _clip(one_line, MAX_ECHO)


def echo(text: str) -> str:
    """A person's input, shortened and escaped, fit to quote back to them in mrkdwn."""
    return escape(flat(text))


def _clip(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, ending in "…" when cut. A cut never leaves a
    ``<url|title>`` link (or a mention) open: it goes before the unclosed ``<``."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    opened = head.rfind("<")
    if opened > head.rfind(">"):
        head = head[:opened]
    return head + "…"


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

    def add_facts(
        self, facts: FactList, narrow_hint: str, keep: int = 0, *, with_menu: bool = False
    ) -> int:
        """Adds a section per fact while there is room, keeping ``keep`` blocks free for what
        follows and one for the "…and N more" note; returns how many were left out.
        ``with_menu`` gives each fact the admins' Edit / Retract menu."""
        shown = facts.facts[: max(self.room() - keep - 1, 0)]
        for fact in shown:
            section = _section(fact_line(fact))
            if with_menu:
                section.accessory = fact_menu(fact)
            self.blocks.append(section)
        left_out = len(facts.facts) - len(shown) + facts.more
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


# -- /whois ---------------------------------------------------------------------------------


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
    builder.add(share_button("/whois", query))
    fact_lists = (card.attendance, card.on_the_table, card.context)
    counts = sum(len(facts.facts) + facts.more for facts in fact_lists)
    fallback = [
        f"{company.name}: {', '.join(p.name for p in card.people) or 'no people named'}; "
        f"{counts} fact(s)."
    ]
    # The fallback is cut at 3,000 characters: a few facts fill it.
    fallback += [fact_plain(f) for f in (card.on_the_table.facts + card.context.facts)[:20]]
    depends_on = (company.id, *(person.id for person in card.people))
    return Message("\n".join(fallback), builder.blocks, depends_on)


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
    builder.add(share_button("/whois", query))
    fallback = [f"{entity.name} ({kind}): {len(card.facts.facts) + card.facts.more} fact(s)."]
    fallback += [fact_plain(f) for f in card.facts.facts[:20]]
    return Message("\n".join(fallback), builder.blocks, (entity.id,))


def ambiguous(answer: Ambiguous) -> Message:
    builder = _Builder(reserve=0)
    builder.add(_section(f"*{len(answer.matches)} matches for “{echo(answer.query)}”* — pick one:"))
    for entity, fact_count in answer.matches[: builder.room()]:
        builder.add(
            _section(
                f"*{_entity_label(entity)}* — {entity.kind}, {fact_count} fact(s)\n"
                f"`/whois {escape(entity.name)}`"
            )
        )
    text = f"{len(answer.matches)} matches for “{flat(answer.query)}”: " + ", ".join(
        entity.name for entity, _count in answer.matches
    )
    return Message(text, builder.blocks, tuple(entity.id for entity, _count in answer.matches))


def no_match(answer: NoMatch) -> Message:
    text = (
        f"Nothing matches “{echo(answer.query)}”.\n"
        f"*Attending:* {_names(answer.companies)}\n"
        f"*Also known:* {_names(answer.others)}\n"
        "Try `/whois samsung`, `/whois 곽노정` or `/summit search &lt;words&gt;`."
    )
    fallback = (
        f"Nothing matches “{flat(answer.query)}”. Attending: "
        + ", ".join(entity.name for entity in answer.companies)
        + ". Try /whois samsung or /summit search <words>."
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
    blocks.append(_context("`/whois &lt;company or person&gt;` for a card, e.g. `/whois sk hynix`"))
    blocks.append(share_button("/whois", ""))
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
            + "; ".join(fact_plain(fact) for fact in chip.facts.facts[:20])
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
        _context(
            "In a thread or my Messages tab, say the same words: "
            "`@Summit Intel who samsung`, `chips hbm`, `search hbm supply`, `help`."
        ),
    ]


def help_message(unknown: str | None = None) -> Message:
    blocks = _help_blocks()
    fallback = "Summit Intel commands: " + "; ".join(c for c, _what in HELP_LINES)
    if unknown is not None:
        blocks.insert(0, _section(f"I don't know “{echo(unknown)}”. Here is what I can do:"))
        fallback = f"Unknown command “{flat(unknown)}”. " + fallback
    return Message(fallback, blocks)


def search(answer: SearchAnswer, *, admin: bool = False) -> Message:
    if not answer.query.strip():
        return notice("Tell me what to look for, e.g. `/summit search hbm supply`.")
    if not answer.facts:
        retracted = (
            f" ({answer.retracted_hidden} retracted fact(s) not shown)"
            if answer.retracted_hidden
            else ""
        )
        return Message(
            f"No facts match “{flat(answer.query)}”{retracted}.",
            [
                _section(
                    f"No facts match “{echo(answer.query)}”{retracted}. Try fewer or other"
                    " words, a company (`/whois samsung`) or a part (`/chips hbm`)."
                )
            ],
        )
    builder = _Builder(reserve=1)
    builder.add(_section(f"*{answer.total} fact(s) match “{echo(answer.query)}”*"))
    left_out = builder.add_facts(
        FactList(answer.facts, answer.retracted_hidden), "more words", with_menu=admin
    )
    hidden = answer.total - len(answer.facts) - left_out
    if hidden > 0 and not left_out:
        builder.add(_context(f"…and {hidden} more — narrow it with more words"))
    builder.add(share_button("/summit", f"search {answer.query}"))
    fallback = [f"{answer.total} fact(s) match “{flat(answer.query)}”:"]
    fallback += [fact_plain(fact) for fact in answer.facts]
    return Message("\n".join(fallback), builder.blocks)


def prefixed(note: str, message: Message) -> Message:
    """``message`` led by a short note in our own words, such as "Saved."."""
    text = f"{escape(note)} {message.text}" if message.markup else f"{note} {message.text}"
    return Message(text, [_section(escape(note)), *message.blocks], markup=message.markup)


def notice(text: str) -> Message:
    """A message in our own words; mrkdwn such as `code` is kept, and it is escaped."""
    return Message(text, [_section(escape(text))])


def shared(message: Message, user_id: str) -> Message:
    """The answer as posted to a channel: no button, and who shared it."""
    blocks = [b for b in message.blocks if not isinstance(b, ActionsBlock)]
    blocks.append(_context(f"Shared by <@{user_id}> from Summit Intel"))
    return Message(message.text, blocks)


def in_thread(message: Message) -> Message:
    """An answer posted for everyone in a thread or DM: no "Share to channel" button."""
    blocks = [b for b in message.blocks if not isinstance(b, ActionsBlock)]
    return Message(message.text, blocks, message.depends_on, message.markup)


def home(answer: Overview) -> View:
    blocks, _fallback = _overview_blocks(answer)
    blocks += [DividerBlock(), *_help_blocks()]
    return View(type="home", blocks=blocks[:MAX_VIEW_BLOCKS])


# -- curation ------------------------------------------------------------------------------

FACT_FORM = "fact_form"
RETRACT_FORM = "retract_form"
FACT_MENU_ACTION = "fact_menu"
RETRACT_REASON = "reason"
KIND_LABELS = {
    "attendance": "Attendance",
    "agenda": "Agenda",
    "hardware": "Hardware",
    "product": "Product",
    "investment": "Investment",
    "partnership": "Partnership",
    "context": "Context",
}
STATUS_LABELS = {
    "confirmed": "Confirmed: official or settled",
    "reported": "Reported: stated as fact by a source",
    "expected": "Expected: may or could happen",
}
NEW_KIND_LABELS = {"company": "Company", "person": "Person", "product": "Product"}
MAX_OPTION_TEXT = 75
# Ten tags of thirty characters, with their separators.
MAX_TAGS_INPUT = 400
MAX_OPTION_VALUE = 150  # Slack refuses a whole options answer with one longer value
_HASHED_VALUE = "~"


def entity_option_value(entity_id: str) -> str:
    """An entity's id as an option value. A store written before names were capped may hold
    longer ids: those travel as a digest of the id, found again by ``entity_from_option``."""
    if len(entity_id) <= MAX_OPTION_VALUE and not entity_id.startswith(_HASHED_VALUE):
        return entity_id
    return _HASHED_VALUE + hashlib.blake2b(entity_id.encode(), digest_size=16).hexdigest()


def entity_from_option(value: str, entity_ids: Iterable[str]) -> str | None:
    """The entity id an option value stands for, among ``entity_ids``."""
    if not value.startswith(_HASHED_VALUE):
        return value
    return next((eid for eid in entity_ids if entity_option_value(eid) == value), None)


def entity_option(entity: Entity) -> Option:
    label = entity.name + (f" ({entity.korean_name})" if entity.korean_name else "")
    return Option(
        value=entity_option_value(entity.id),
        text=_clip(f"{label} · {entity.kind}", MAX_OPTION_TEXT),
    )


def entity_options(entities: Sequence[Entity]) -> list[dict[str, Any]]:
    """The type-ahead's answer to a block_suggestion request (at most 100 options)."""
    return [entity_option(entity).to_dict() for entity in entities[:100]]


def _text_input(
    field: str,
    label: str,
    *,
    initial: str = "",
    optional: bool = True,
    multiline: bool = False,
    max_length: int | None = None,
    hint: str | None = None,
    placeholder: str | None = None,
) -> InputBlock:
    # Slack refuses a form whose initial value is longer than its input allows.
    if max_length is not None and len(initial) > max_length:
        initial = initial[:max_length]
    return InputBlock(
        block_id=field,
        label=label,
        optional=optional,
        hint=hint,
        element=PlainTextInputElement(
            action_id=field,
            initial_value=initial or None,
            multiline=multiline or None,
            max_length=max_length,
            placeholder=placeholder,
        ),
    )


def _choice(labels: dict[str, str], chosen: str | None) -> Option | None:
    return Option(value=chosen, text=labels[chosen]) if chosen in labels else None


def fact_form(
    draft: FactDraft,
    entities: Sequence[Entity],
    metadata: dict[str, Any],
    *,
    title: str = "Add fact",
    today: str,
    note: str | None = None,
) -> View:
    """The "Add fact" / "Edit fact" modal, prefilled from ``draft``; ``note`` leads it."""
    kinds = [Option(value=kind, text=label) for kind, label in KIND_LABELS.items()]
    statuses = [Option(value=status, text=label) for status, label in STATUS_LABELS.items()]
    new_kinds = [Option(value=kind, text=label) for kind, label in NEW_KIND_LABELS.items()]
    blocks: list[Block] = [
        InputBlock(
            block_id=curation.ENTITIES,
            label="Companies, people and products involved",
            optional=True,
            hint="Type to search, in English or Korean. Someone new? Name them below.",
            element=ExternalDataMultiSelectElement(
                action_id=curation.ENTITIES,
                placeholder="Samsung, 곽노정, HBM…",
                min_query_length=0,
                initial_options=[entity_option(entity) for entity in entities] or None,
            ),
        ),
        _text_input(
            curation.STATEMENT,
            "Statement",
            initial=draft.statement,
            optional=False,
            multiline=True,
            max_length=curation.MAX_STATEMENT,
            placeholder="What happened or was said, in one or two sentences",
        ),
        InputBlock(
            block_id=curation.STATUS,
            label="Status",
            element=RadioButtonsElement(
                action_id=curation.STATUS,
                options=statuses,
                initial_option=_choice(STATUS_LABELS, draft.status),
            ),
        ),
        InputBlock(
            block_id=curation.KIND,
            label="Kind",
            element=StaticSelectElement(
                action_id=curation.KIND,
                options=kinds,
                initial_option=_choice(KIND_LABELS, draft.kind),
            ),
        ),
        _text_input(
            curation.SOURCE_URL,
            "Source link",
            initial=draft.source_url,
            hint="http:// or https:// only",
            placeholder="https://…",
            max_length=curation.MAX_SOURCE_URL,
        ),
        _text_input(
            curation.SOURCE_TITLE,
            "Source title",
            initial=draft.source_title,
            max_length=curation.MAX_SOURCE_TITLE,
        ),
        InputBlock(
            block_id=curation.HAPPENED_ON,
            label="When it happened",
            element=DatePickerElement(
                action_id=curation.HAPPENED_ON, initial_date=draft.happened_on or today
            ),
        ),
        _text_input(
            curation.TAGS,
            "Tags",
            initial=", ".join(draft.tags),
            max_length=MAX_TAGS_INPUT,
            hint="Comma-separated, e.g. hbm, investment",
        ),
        DividerBlock(),
        _section("*Someone or something new?* Leave these empty when it is in the list above."),
        _text_input(curation.NEW_ENTITY_NAME, "New company, person or product"),
        InputBlock(
            block_id=curation.NEW_ENTITY_KIND,
            label="It is a",
            optional=True,
            element=StaticSelectElement(
                action_id=curation.NEW_ENTITY_KIND,
                options=new_kinds,
                placeholder="Company",
            ),
        ),
        _text_input(curation.NEW_ENTITY_ALIASES, "Its other names", hint="Comma-separated"),
        _text_input(curation.NEW_ENTITY_KOREAN, "Its Korean name", placeholder="e.g. 삼성전자"),
    ]
    if note:
        blocks.insert(0, _context(f":scissors: {escape(note)}"))
    return View(
        type="modal",
        callback_id=FACT_FORM,
        title=title,
        submit="Save",
        close="Cancel",
        private_metadata=json.dumps(metadata),
        blocks=blocks,
    )


def retract_form(fact: Fact, metadata: dict[str, Any]) -> View:
    return View(
        type="modal",
        callback_id=RETRACT_FORM,
        title=f"Retract {fact.id}",
        submit="Retract",
        close="Cancel",
        private_metadata=json.dumps(metadata),
        blocks=[
            _section(fact_line(fact)),
            _text_input(
                RETRACT_REASON,
                "Why is it retracted?",
                multiline=True,
                max_length=curation.MAX_STATEMENT,
                placeholder="e.g. denied by SK Hynix on 20 May",
            ),
            _context("The fact is kept with its history; answers leave it out with a note."),
        ],
    )


def saved(fact: Fact, action: str) -> Message:
    """The admin's confirmation: the fact card and its id."""
    blocks: list[Block] = [
        _section(f"*{action.capitalize()} `{fact.id}`*"),
        _section(fact_line(fact)),
    ]
    if fact.retraction_reason:
        blocks.append(_context(f"Reason: {escape(fact.retraction_reason)}"))
    blocks.append(
        _context(f"`/summit history {fact.id}` shows its changes · `/summit edit {fact.id}`")
    )
    return Message(f"{action.capitalize()} {fact.id}: {fact.statement}", blocks)


def mention(user_id: str) -> str:
    """A user mention Slack shows as the person's name; anything else is shown escaped."""
    return f"<@{user_id}>" if re.fullmatch(r"[UW][A-Z0-9]+", user_id) else escape(user_id)


def who_can(curators: Curators) -> str:
    """Who may curate, in mrkdwn (mentions show as names)."""
    parts = [", ".join(mention(user_id) for user_id in curators.user_ids)]
    if curators.workspace_admins:
        parts.append("workspace admins and owners")
    return " and ".join(part for part in parts if part) or "nobody yet: set SUMMITBOT_ADMINS"


def not_admin(curators: Curators, what: str) -> Message:
    text = (
        f"Only Summit Intel admins can {escape(what)}: {who_can(curators)}. "
        "Ask one of them, or `/summit help`."
    )
    # The fallback keeps the mentions too, so a notification names the admins.
    return Message(text, [_section(text)], markup=True)


def _change_line(name: str, change: list[Any]) -> str:
    def shown(value: Any) -> str:
        if value in (None, "", []):
            return "—"
        if isinstance(value, dict):
            value = value.get("url") or value.get("title") or "—"
        if isinstance(value, list):
            value = ", ".join(str(item) for item in value)
        return escape(_clip(str(value), 200))

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


def history(answer: History, timezone: str = "UTC") -> Message:
    if not answer.found:
        text = "Nothing to show: give a fact id (like F12) or a company, person or product."
        return Message(text, [_section(text)])
    builder = _Builder(reserve=0)
    builder.add(_section(f"*History of {escape(answer.title)}*"))
    if not answer.revisions:
        seeded = [f for f in answer.facts.values() if f.origin == "seed"]
        note = "No changes recorded"
        if seeded:
            note += "; seeded from the source article"
        builder.add(_context(note + "."))
    shown_revisions = answer.revisions[: max(builder.room() - 1, 0)]
    for revision in shown_revisions:
        changes = "\n".join(
            f"• {_change_line(name, change)}" for name, change in revision.changes.items()
        )
        reason = f"\nReason: {escape(revision.reason)}" if revision.reason else ""
        builder.add(
            _section(
                f"`{revision.fact_id}` r{revision.number} · "
                f"{escape(_when(revision.at, timezone))} · "
                f"{mention(revision.by)} {revision.action}\n{changes}{reason}"
            )
        )
    left_out = len(answer.revisions) - len(shown_revisions)
    if left_out:
        builder.add(_context(f"…and {left_out} older changes — narrow it with a fact id"))
    fallback = [f"History of {answer.title}: {len(answer.revisions)} change(s)."]
    fallback += [
        f"{r.fact_id} r{r.number} {_when(r.at, timezone)} {r.by} {r.action}: "
        + ", ".join(r.changes)
        for r in answer.revisions[:20]
    ]
    return Message("\n".join(fallback), builder.blocks)


def fact_menu(fact: Fact) -> OverflowMenuElement:
    return OverflowMenuElement(
        action_id=FACT_MENU_ACTION,
        options=[
            Option(value=f"edit:{fact.id}", text="Edit"),
            Option(value=f"retract:{fact.id}", text="Retract"),
        ],
    )


# -- digests ---------------------------------------------------------------------------------


def _development_line(development: Development) -> str:
    fact = development.fact
    if development.old_status is None:
        change = f":new: New · {STATUS_BADGES.get(fact.status, fact.status)}"
    else:
        old = STATUS_BADGES.get(development.old_status, development.old_status)
        change = f"{old} → {STATUS_BADGES.get(fact.status, fact.status)}"
    reason = (
        f"\n_Reason: {escape(fact.retraction_reason)}_"
        if fact.status == "retracted" and fact.retraction_reason
        else ""
    )
    return f"{change} · `{fact.id}`\n{escape(fact.statement)}{reason}\n:link: {source_link(fact)}"


def _digest_summary(digest: Digest) -> str:
    counts = digest.counts()
    parts = [
        f"{counts[label]} {label}"
        for label in ("new", "status change", "retracted")
        if counts.get(label)
    ]
    total = len(digest.developments)
    return f"{total} development{'s' if total != 1 else ''}: " + ", ".join(parts)


def _digest_period(digest: Digest) -> str:
    return f"{local(digest.since, digest.timezone)} → {local(digest.until, digest.timezone)}"


def _group_plain(group: DigestGroup) -> str:
    name = group.company.name if group.company else "Other"
    return f"{name}: " + "; ".join(f"[{d.label}] {d.fact.statement}" for d in group.developments)


def _digest_footer(digest: Digest) -> ContextBlock:
    who = f"Set up by {mention(digest.created_by)} · " if digest.created_by else ""
    return _context(f"{who}`/digest status` shows the schedule and what it tracks")


def digest_messages(digest: Digest) -> list[Message]:
    """The digest as one message, or, when it would not fit, a headline message and the
    details as replies in its thread. Never empty: an empty digest is not posted."""
    header = _header("Summit Intel digest")
    interrupted = ""
    if digest.interrupted:
        interrupted = (
            f"\n:warning: The digest of {', '.join(digest.interrupted)} was interrupted; "
            "these may repeat."
        )
    summary = _section(
        f"*{_digest_summary(digest)}*\n{_digest_period(digest)}{escape(interrupted)}"
    )
    detail_blocks: list[tuple[DigestGroup, list[Block]]] = []
    for group in digest.groups:
        title = _entity_label(group.company) if group.company else "Other"
        blocks: list[Block] = [_section(f"*{title}*")]
        blocks += [_section(_development_line(d)) for d in group.developments]
        detail_blocks.append((group, blocks))
    fallback = [f"Summit Intel digest: {_digest_summary(digest)}{interrupted}"]
    fallback += [_group_plain(group) for group in digest.groups]
    everything = [header, summary] + [
        b for _group, blocks in detail_blocks for b in [DividerBlock(), *blocks]
    ]
    footer = _digest_footer(digest)
    if len(everything) < MAX_MESSAGE_BLOCKS:
        return [Message("\n".join(fallback), [*everything, footer])]
    by_company = ", ".join(
        f"{group.company.name if group.company else 'Other'} ({len(group.developments)})"
        for group in digest.groups
    )
    headline = Message(
        f"Summit Intel digest: {_digest_summary(digest)}. Details in the thread.",
        [
            header,
            summary,
            _section(f"*By company:* {escape(by_company)}"),
            _context(":thread: The details are in this message's thread."),
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


def digest_status(
    subscription: Subscription | None,
    next_run_at: str | None,
    tracked: list[str],
    interrupted: Sequence[str] = (),
) -> Message:
    if subscription is None:
        text = "This channel has no digest. Start one with `/digest daily 09:00`."
        return Message(text, [_section(escape(text)), _context(escape(DIGEST_USAGE))])
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
        f"*Digest for this channel:* {escape(schedule)}",
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
    if owner:
        lines.append(f"*Set up by:* {mention(owner)} (they and the admins can change it)")
    plain = [
        f"Digest for this channel: {schedule}",
        state,
        f"Tracking: {what}",
        f"Last digest: {last}",
        f"Next one covers changes since: {since}",
    ]
    if interrupted:
        plain.append(f"The digest of {', '.join(interrupted)} was interrupted while posting.")
    if owner:
        plain.append(f"Set up by: {mention(owner)}")
    # The fallback keeps the owner's mention (shown as a name): the rest is escaped here.
    fallback = "\n".join(line if line.startswith("Set up by") else escape(line) for line in plain)
    return Message(
        fallback, [_section("\n".join(lines)), _context(escape(DIGEST_USAGE))], markup=True
    )


def not_allowed_digest(owner: str, curators: Curators) -> Message:
    """To someone who may not change a channel's digest: who can."""
    text = (
        f"This channel's digest was set up by {mention(owner)}; only they and the Summit "
        f"Intel admins ({who_can(curators)}) can change, pause or turn it off. "
        "`/digest status` shows it; `/digest now` posts it for anyone."
    )
    return Message(text, [_section(text)], markup=True)


def digest_usage(problem: str) -> Message:
    return Message(problem, [_section(escape(problem)), _context(escape(DIGEST_USAGE))])
