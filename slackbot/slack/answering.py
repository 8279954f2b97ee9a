"""An answer as Slack shows it: the domain's answer (``slackbot.core.answers``) rendered.
Slash commands, "Share to channel", mentions and the Messages tab all come here."""

from __future__ import annotations

from slackbot.core import answers
from slackbot.core.claims import OpenClaims, SubjectUnclear
from slackbot.core.curation import History
from slackbot.core.intel import (
    ChipsAnswer,
    CompanyCard,
    MentionCard,
    OneFact,
    Overview,
    SearchAnswer,
)
from slackbot.core.timeline import Timeline
from slackbot.slack import render
from slackbot.slack.cards import CardCache
from slackbot.slack.i18n import _
from slackbot.slack.services import Services


def render_answer(
    answer: answers.Answer,
    query: str,
    *,
    timezone: str,
    admin: bool = False,
    cards: CardCache | None = None,
) -> render.Message:
    """``cards``: entity cards already rendered for another name of the same entity."""
    if cards is not None and isinstance(answer, CompanyCard | MentionCard):
        return cards.answer(answer, query)
    if isinstance(answer, answers.FirstOfSeveral):
        others = ", ".join(f"`/whois {render.flat(name)}`" for name in answer.others)
        return render.prefixed(
            _("One name at a time: here is “{name}”; ask {others} next.").format(
                name=render.flat(answer.answered), others=others
            ),
            render.who(answer.answer, answer.answered),
        )
    if isinstance(answer, answers.NoSuchFact):
        return render.notice(
            _("There is no fact {id}.").format(id=render.flat(answer.fact_id))
            + " "
            + _("{command} finds facts by what they say.").format(
                command="`/summit search <words>`"
            )
        )
    if isinstance(answer, answers.HelpWanted):
        return render.help_message(unknown=answer.unknown)
    if isinstance(answer, ChipsAnswer):
        return render.chips(answer)
    if isinstance(answer, Overview):
        return render.overview(answer)
    if isinstance(answer, SearchAnswer):
        return render.search(answer, admin=admin)
    if isinstance(answer, History):
        return render.history(answer, timezone)
    if isinstance(answer, OneFact):
        return render.one_fact(answer)
    if isinstance(answer, answers.Usage):
        return render.usage(answer)
    if isinstance(answer, answers.SinceAnswer):
        return render.since_answer(answer)
    if isinstance(answer, Timeline):
        return render.timeline(answer)
    if isinstance(answer, SubjectUnclear):
        return render.subject_unclear(answer)
    if isinstance(answer, OpenClaims):
        return render.open_claims(answer, admin=admin)
    return render.who(answer, query)


def message_for(
    services: Services, command: str, text: str, *, admin: bool = False
) -> render.Message:
    """The answer to ``command text``; ``admin`` gives search results their fact menus."""
    found = answers.answer(
        services.intel,
        services.curator,
        command,
        text,
        digests=services.digests,
        timezone=services.timezone,
    )
    return render_answer(found, text, timezone=services.timezone, admin=admin, cards=services.cards)
