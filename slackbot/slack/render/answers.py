"""The answers to questions: /whois cards, /chips, the /summit overview, help and search, and
the App Home."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
)

from slackbot.core.intel import (
    Ambiguous,
    ChipsAnswer,
    CompanyCard,
    FactList,
    MentionCard,
    NoMatch,
    OneFact,
    Overview,
    Roster,
    SearchAnswer,
    WhoAnswer,
)
from slackbot.slack.i18n import _
from slackbot.slack.ids import SUGGEST_ACTION
from slackbot.slack.render.base import (
    STATUS_BADGES,
    Builder,
    Message,
    context,
    echo,
    entity_label,
    escape,
    fact_line,
    fact_plain,
    flat,
    header,
    legend,
    names,
    notice,
    person_label,
    plain_words,
    retracted_note,
    section,
    share_button,
    without_buttons,
)
from slackbot.slack.render.history import status_word

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
    ("/digest me daily 08:00", "a digest of your own, as a DM"),
    ("/summit history F9", "who changed a fact, when, old → new"),
    ("/summit timeline samsung since 2024-05-01", "facts in date order, by month"),
    ("/summit since 2024-06-01 [samsung]", "what moved since a day, as a digest, just for you"),
    ("/summit open [samsung]", "open claims: what may happen, oldest first (admins settle them)"),
    ("/summit brief samsung [csv]", "a briefing file with every fact and its source, in a DM"),
    ("/summit F9", "one fact, with its history link"),
    ("/summit add · edit F9 · retract F9 why · restore F9", "curating facts (admins)"),
    ("/summit feeds · feeds add URL", "news feeds polled for new developments (admins)"),
    ("/summit queue · review here", "candidates waiting for review; where they are posted"),
    ("/summit approve C12 · reject C12 why", "deciding a candidate by typing (admins)"),
    ("/summit notabout C12 microsoft: MS Society", "words that do not mean a name (admins)"),
)


def who(answer: WhoAnswer, query: str) -> Message:
    if isinstance(answer, CompanyCard | MentionCard):
        return asked_as(card(answer), "/whois", query)
    if isinstance(answer, Ambiguous):
        return ambiguous(answer)
    if isinstance(answer, NoMatch):
        return no_match(answer)
    return roster(answer)


def card(answer: CompanyCard | MentionCard) -> Message:
    """An entity's card, without the share button: the same card answers every name of the
    entity (see slackbot.slack.answering, CardCache), and only the button holds the question."""
    return company_card(answer) if isinstance(answer, CompanyCard) else mention_card(answer)


def asked_as(message: Message, command: str, query: str) -> Message:
    """``message`` as the answer to ``command query``: with the button that shares it."""
    blocks = [*message.blocks, share_button(command, query)]
    return Message(message.text, blocks, message.depends_on, message.markup)


def kind_word(kind: str) -> str:
    """An entity's kind (or a product's category) as the reader's language says it."""
    words = {
        "company": _("company"),
        "person": _("person"),
        "product": _("product"),
        "hardware": _("hardware"),
    }
    return words.get(kind, kind)


def company_card(card: CompanyCard) -> Message:
    company = card.company
    builder = Builder(reserve=2)
    builder.add(header(_("{name} at the MS CEO Summit 2024").format(name=company.name)))
    people = ", ".join(person_label(p, card.highlighted) for p in card.people) or _("none named")
    intro = f"*{entity_label(company)}*\n*{_('People')}:* {people}"
    if card.highlighted is not None:
        attends = _("{person} attends for {company}").format(
            person=f"*{person_label(card.highlighted)}*", company=entity_label(company)
        )
        intro = f"{attends}\n" + (f"*{_('People')}:* {people}")
    builder.add(section(intro))
    hint = f"`/summit search {escape(company.name.split()[0].lower())} &lt;words&gt;`"
    sections = (
        (_("Attending"), card.attendance),
        (_("On the table with Microsoft"), card.on_the_table),
        (_("Related context"), card.context),
    )
    every_fact = [fact for _title, facts in sections for fact in facts.facts]
    builder.say_source_once(every_fact)
    filled = [(title, facts) for title, facts in sections if facts.facts or facts.retracted_hidden]
    for position, (title, facts) in enumerate(filled):
        builder.add(DividerBlock(), section(f"*{title}*"))
        # Each later section needs its divider, title and a note at the least.
        builder.add_facts(facts, hint, keep=3 * (len(filled) - position - 1))
    if every_fact:
        builder.add(context(legend(every_fact)))
    fact_lists = (card.attendance, card.on_the_table, card.context)
    counts = sum(len(facts.facts) + facts.more for facts in fact_lists)
    fallback = [
        f"{company.name}: {', '.join(p.name for p in card.people) or _('no people named')}; "
        + _("{count} fact(s).").format(count=counts)
    ]
    # The fallback is cut at 3,000 characters: a few facts fill it.
    fallback += [fact_plain(f) for f in (card.on_the_table.facts + card.context.facts)[:20]]
    depends_on = (company.id, *(person.id for person in card.people))
    return Message("\n".join(fallback), builder.blocks, depends_on)


def mention_card(card: MentionCard) -> Message:
    entity = card.entity
    builder = Builder(reserve=2)
    kind = {
        "company": _("mentioned, not attending"),
        "person": _("person"),
        "product": kind_word(entity.category or "product"),
    }.get(entity.kind, entity.kind)
    builder.add(header(entity.name))
    lines = [f"*{entity_label(entity)}* — {kind}"]
    if entity.description:
        lines.append(escape(entity.description))
    if card.vendors:
        lines.append(f"*{_('Vendors')}:* {names(card.vendors)}")
    if card.related:
        lines.append(f"*{_('Appears with')}:* {names(card.related)}")
    builder.add(section("\n".join(lines)))
    builder.say_source_once(card.facts.facts)
    if card.facts.facts or card.facts.retracted_hidden:
        builder.add(DividerBlock())
        builder.add_facts(card.facts, f"`/summit search {echo(entity.name.lower())} &lt;words&gt;`")
    else:
        builder.add(context(_("No facts name it yet.")))
    if card.facts.facts:
        builder.add(context(legend(card.facts.facts)))
    total = len(card.facts.facts) + card.facts.more
    fallback = [f"{entity.name} ({kind}): " + _("{count} fact(s).").format(count=total)]
    fallback += [fact_plain(f) for f in card.facts.facts[:20]]
    return Message("\n".join(fallback), builder.blocks, (entity.id,))


def ambiguous(answer: Ambiguous) -> Message:
    builder = Builder(reserve=0)
    builder.add(
        section(
            "*"
            + _("{count} matches for “{query}”").format(
                count=len(answer.matches), query=echo(answer.query)
            )
            + "* — "
            + _("pick one:")
        )
    )
    for entity, fact_count in answer.matches[: builder.room()]:
        builder.add(
            section(
                f"*{entity_label(entity)}* — {kind_word(entity.kind)}, "
                + _("{count} fact(s)").format(count=fact_count)
                + "\n"
                f"`/whois {escape(entity.name)}`"
            )
        )
    text = (
        _("{count} matches for “{query}”").format(
            count=len(answer.matches), query=flat(answer.query)
        )
        + ": "
        + ", ".join(entity.name for entity, _count in answer.matches)
    )
    return Message(text, builder.blocks, tuple(entity.id for entity, _count in answer.matches))


def no_match(answer: NoMatch) -> Message:
    text = (
        _("Nothing matches “{query}”.").format(query=echo(answer.query))
        + f"\n*{_('Attending')}:* {names(answer.companies)}\n"
        f"*{_('Also known')}:* {names(answer.others)}\n"
        + _("Try {examples}.").format(
            examples="`/whois samsung`, `/whois 곽노정`, `/summit search &lt;words&gt;`"
        )
    )
    fallback = (
        _("Nothing matches “{query}”.").format(query=flat(answer.query))
        + f" {_('Attending')}: "
        + ", ".join(entity.name for entity in answer.companies)
        + ". "
        + _("Try {examples}.").format(examples="/whois samsung, /summit search <words>")
    )
    # Anyone may suggest what is missing; an admin reviews it first.
    suggest = ActionsBlock(
        elements=[ButtonElement(text=_("Suggest a fact"), action_id=SUGGEST_ACTION, value="miss")]
    )
    return Message(fallback, [section(text), suggest])


def roster(answer: Roster) -> Message:
    blocks: list[Block] = [header(_("Who attends the MS CEO Summit 2024"))]
    fallback = [_("Attending the MS CEO Summit 2024:")]
    for company, people in answer.companies:
        people_text = ", ".join(person_label(person) for person in people) or _("no people named")
        blocks.append(section(f"*{entity_label(company)}*\n{people_text}"))
        fallback.append(f"{company.name}: {', '.join(p.name for p in people) or '-'}")
    if answer.also:
        blocks.append(
            section(f"*{_('Also taking part')}*\n{', '.join(person_label(p) for p in answer.also)}")
        )
        fallback.append(f"{_('Also taking part')}: {', '.join(p.name for p in answer.also)}")
    if answer.mentioned:
        blocks.append(context(f"{_('Mentioned, not attending')}: {names(answer.mentioned)}"))
    blocks.append(
        context(
            _("{command} for a card, e.g. {example}").format(
                command="`/whois &lt;company or person&gt;`", example="`/whois sk hynix`"
            )
        )
    )
    blocks.append(share_button("/whois", ""))
    return Message("\n".join(fallback), blocks)


def chips(answer: ChipsAnswer) -> Message:
    builder = Builder(reserve=3)
    builder.add(header(_("AI hardware on the table")))
    every_fact = [fact for chip in answer.parts for fact in chip.facts.facts]
    builder.say_source_once(every_fact)
    if answer.nothing_for is not None:
        text = (
            _("{name} has no hardware on the table in the facts.").format(
                name=answer.nothing_for.name
            )
            + " "
            + _("{card} has its card; {chips} lists all the hardware.").format(
                card=f"`/whois {answer.nothing_for.name}`", chips="`/chips`"
            )
        )
        return Message(text, [section(escape(text))])
    if answer.unmatched:
        builder.add(
            section(
                _("No hardware matches “{query}”. Here is everything on the table;").format(
                    query=echo(answer.query)
                )
                + " "
                + _("filter with {examples}.").format(examples="`/chips hbm`, `/chips samsung`")
            )
        )
    fallback = []
    for chip in answer.parts:
        if builder.room() < 2:
            builder.add(
                context(
                    _("…more parts — narrow it with {command}").format(
                        command="`/chips &lt;part or vendor&gt;`"
                    )
                )
            )
            break
        vendors = names(chip.vendors) or _("not named in the source")
        description = f" — {escape(chip.part.description)}" if chip.part.description else ""
        builder.add(
            DividerBlock(),
            section(f"*{escape(chip.part.name)}*{description}\n*{_('Vendors')}:* {vendors}"),
        )
        also = {
            fact_id: f"_{_('also')}: {escape(', '.join(others))}_"
            for fact_id, others in chip.also.items()
        }
        builder.add_facts(chip.facts, f"`/chips {escape(chip.part.name.lower())}`", notes=also)
        if chip.see:
            refs = ", ".join(
                f"`{fact_id}` ({_('under {name}').format(name=escape(first))})"
                for fact_id, first in chip.see
            )
            about = _("Also about {part}").format(part=escape(chip.part.name))
            builder.add(context(f"{about}: {refs}"))
        vendor_names = ", ".join(vendor.name for vendor in chip.vendors) or _("not named")
        fallback.append(
            f"{chip.part.name} ({_('Vendors')}: {vendor_names}): "
            + "; ".join(fact_plain(fact) for fact in chip.facts.facts[:20])
        )
    if every_fact:
        builder.add(context(legend(every_fact)))
    if not answer.unmatched:
        builder.add(share_button("/chips", answer.query))
    return Message("\n".join(fallback) or _("No hardware recorded."), builder.blocks)


def _overview_blocks(overview: Overview) -> tuple[list[Block], str]:
    event = overview.event
    if event is None:
        missing = _("No summit overview is stored yet.")
        return [section(f"{missing} {_('Run {command}.').format(command='`summitbot seed`')}")], (
            missing
        )
    host_name = entity_label(overview.host) if overview.host else escape(event.host)
    host_id = overview.host.id if overview.host else None
    # Only people the facts tie to the host company host with it; others are named apart.
    hosts = ", ".join(
        person_label(p, company=overview.host)
        for p in overview.host_people
        if p.company_id == host_id
    )
    also = ", ".join(person_label(p) for p in overview.host_people if p.company_id != host_id)
    hosting = _("Hosted by {host}").format(host=host_name)
    if hosts:
        hosting += " " + _("with {people}").format(people=hosts)
    if also:
        hosting += f"; {_('also taking part')}: {also}"
    attendees = "\n".join(
        f"• *{entity_label(company)}*: {', '.join(person_label(p) for p in people) or '—'}"
        for company, people in overview.companies
    )
    themes = "\n".join(
        f"• {STATUS_BADGES.get(fact.status, fact.status)} · {escape(text)} (`{fact.id}`)"
        if fact is not None
        else f"• {escape(text)}"
        for text, fact in overview.themes
    )
    summit_wide = "\n".join(fact_line(fact) for fact in overview.summit_wide)
    counts = " · ".join(
        f"{count} {status_word(status)}" for status, count in sorted(overview.fact_counts.items())
    )
    blocks: list[Block] = [
        header(event.name),
        section(f"*{event.date}* · {escape(event.format)}\n{hosting}\n{escape(event.summary)}"),
        section(f"*{_('Who attends')}*\n{attendees}"),
        section(f"*{_('Themes')}*\n{themes}"),
        *([section(f"*{_('About the summit')}*\n{summit_wide}")] if summit_wide else []),
        context(
            f"{_('Fact store')}: {counts or _('empty')} · "
            + _("{command} lists every command").format(command="`/summit help`")
        ),
    ]
    host = overview.host.name if overview.host else event.host
    fallback = (
        f"{event.name}, {event.date}: {event.format}. "
        + _("Hosted by {host}").format(host=host)
        + f". {_('Attending')}: "
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
    lines = "\n".join(f"`{command}` — {_(what)}" for command, what in HELP_LINES)
    return [
        section(f"*{_('Summit Intel commands')}*\n{lines}"),
        context(_("Answers are only visible to you; *Share to channel* posts one for everyone.")),
        context(
            _("In a thread or my Messages tab, say the same words:")
            + " `@Summit Intel who samsung`, `chips hbm`, `search hbm supply`, `help`."
        ),
    ]


def help_message(unknown: str | None = None) -> Message:
    blocks = _help_blocks()
    fallback = f"{_('Summit Intel commands')}: " + "; ".join(c for c, _what in HELP_LINES)
    if unknown is not None:
        said = _("I don't know “{words}”. Here is what I can do:")
        blocks.insert(0, section(said.format(words=echo(unknown))))
        fallback = _("Unknown command “{words}”.").format(words=flat(unknown)) + " " + fallback
    return Message(fallback, blocks)


def narrow_search() -> str:
    # Facts with every word come first; a quoted phrase must appear as written.
    return _("more words, or a “quoted phrase”")


def search(answer: SearchAnswer, *, admin: bool = False) -> Message:
    if not answer.query.strip():
        return notice(
            _("Tell me what to look for, e.g. {example}.").format(
                example="`/summit search hbm supply`"
            )
        )
    if not answer.facts:
        retracted = (
            f" ({plain_words(retracted_note(answer.retracted_hidden, answer.retracted_ids))})"
            if answer.retracted_hidden
            else ""
        )
        return Message(
            _("No facts match “{query}”").format(query=flat(answer.query)) + f"{retracted}.",
            [
                section(
                    _("No facts match “{query}”").format(query=echo(answer.query))
                    + f"{retracted}. "
                    + _(
                        "Try fewer or other words, a company ({company}) or a part ({part})."
                    ).format(company="`/whois samsung`", part="`/chips hbm`")
                )
            ],
        )
    builder = Builder(reserve=1)
    matched = _("{count} fact(s) match “{query}”")
    builder.add(section(f"*{matched.format(count=answer.total, query=echo(answer.query))}*"))
    left_out = builder.add_facts(
        FactList(answer.facts, answer.retracted_hidden, 0, answer.retracted_ids, answer.claims),
        narrow_search(),
        with_menu=admin,
    )
    hidden = answer.total - len(answer.facts) - left_out
    if hidden > 0 and not left_out:
        more = _("…and {count} more — narrow it with {how}")
        builder.add(context(more.format(count=hidden, how=narrow_search())))
    builder.add(share_button("/summit", f"search {answer.query}"))
    fallback = [matched.format(count=answer.total, query=flat(answer.query)) + ":"]
    fallback += [fact_plain(fact) for fact in answer.facts]
    return Message("\n".join(fallback), builder.blocks)


def shared(message: Message, user_id: str) -> Message:
    """The answer as posted to a channel: no button, and who shared it."""
    blocks = without_buttons(message.blocks)
    blocks.append(context(_("Shared by {person} from Summit Intel").format(person=f"<@{user_id}>")))
    return Message(message.text, blocks)


def one_fact(answer: OneFact) -> Message:
    """A fact asked for by its id: the fact, what it names, and where its history is."""
    fact = answer.fact
    named = ", ".join(entity_label(entity) for entity in answer.entities) or "—"
    blocks: list[Block] = [
        header(_("Fact {id}").format(id=fact.id)),
        section(fact_line(fact, claim=answer.claim)),
        context(f"*{_('Names')}:* {named}"),
    ]
    claim = answer.claim
    if claim is not None and claim.outcome is None:
        review = (
            "; " + _("review on {day}").format(day=claim.claim.review_on)
            if claim.claim.review_on
            else ""
        )
        said = _("An open claim, said {days} days ago").format(days=claim.open_days)
        blocks.append(context(f"{said}{review} · `/summit open`"))
    if fact.retraction_reason:
        blocks.append(context(f"{_('Retracted')}: {escape(fact.retraction_reason)}"))
    changes = (
        _("{count} change(s) recorded").format(count=answer.changes)
        if answer.changes
        else _("no changes recorded")
    )
    history = _("{command} shows its history").format(command=f"`/summit history {fact.id}`")
    blocks.append(context(f"{history} ({changes})"))
    blocks.append(share_button("/summit", fact.id))
    fallback = f"{fact_plain(fact)} — /summit history {fact.id}"
    return Message(fallback, blocks)
