"""/summit [help | search <words> | add | edit <id> | retract <id> [why] | history <id or name>]"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from handlers.commands import review
from handlers.common import ack_with_answer, command_text, services_of
from slackbot.core import briefing
from slackbot.core.claims import SubjectUnclear, subject_of
from slackbot.core.curation import FactDraft, NotFound, Rejected
from slackbot.core.words import Asked, SummitWords, summit_words
from slackbot.slack import briefings, render
from slackbot.slack.answering import command_answer, message_for
from slackbot.slack.delivery import Asker
from slackbot.slack.i18n import _, explained, translated
from slackbot.slack.listener_runner import answers_in_request
from slackbot.slack.modals import open_fact_form
from slackbot.slack.services import Services


def form_in_console() -> str:
    return _(
        "Adding and editing facts uses Slack's form. In the console, curate in bulk with "
        "{command} (JSON Lines; {export} shows the format)."
    ).format(command="`summitbot import FILE`", export="`summitbot export`")


# A console answer is one message: a longer briefing is cut, and the CLI prints it whole.
CONSOLE_BRIEF_CHARS = 2700


def brief_usage() -> str:
    return _("Say what the briefing is about: {markdown} (Markdown) or {csv}.").format(
        markdown="`/summit brief samsung`", csv="`/summit brief samsung csv`"
    )


# In the console a retraction is confirmed first (there is no undo button to hand).
CONFIRM = "--yes"


def answer(services: Services, words: SummitWords, user_id: str, admin: bool) -> render.Message:
    """Every /summit answer that needs no form (admins get fact menus on search results)."""
    if words.asked is Asked.RETRACT:
        return retract(services, user_id, words.rest, admin)
    if words.asked is Asked.RESTORE:
        return restore(services, user_id, words.rest, admin)
    return message_for(services, "/summit", words.text, admin=admin)


def restore(services: Services, user_id: str, text: str, admin: bool) -> render.Message:
    if not text:
        return render.notice(
            _("Say which fact: {example}.").format(example="`/summit restore F12`")
        )
    if not admin:
        return render.not_admin(services.admins.curators(), "restore facts")
    try:
        return render.saved(services.curator.restore(text.split()[0], user_id), "restored")
    except Rejected as rejected:
        return render.notice(" ".join(map(translated, rejected.errors.values())))
    except NotFound as missing:
        return render.notice(explained(missing))


def retract(services: Services, user_id: str, text: str, admin: bool) -> render.Message:
    fact_id, _sep, reason = text.partition(" ")
    if not fact_id:
        return render.notice(
            _("Say which fact: {example}.").format(
                example="`/summit retract F12 denied by the company`"
            )
        )
    if not admin:
        return render.not_admin(services.admins.curators(), "retract facts")
    confirmed = reason.split()[-1:] == [CONFIRM]
    if confirmed:
        reason = reason.rsplit(CONFIRM, 1)[0].strip()
    elif services.console:
        fact = services.curator.fact(fact_id)
        if fact is None:
            return render.notice(_("There is no fact {id}.").format(id=render.flat(fact_id)))
        return render.notice(
            _(
                "Retract {id} (“{statement}”)? Run {confirm} to confirm; {restore} undoes it."
            ).format(
                id=fact.id,
                statement=render.flat(fact.statement),
                confirm=f"`/summit retract {fact.id} {reason} {CONFIRM}`",
                restore=f"`/summit restore {fact.id}`",
            )
        )
    try:
        return render.saved(services.curator.retract(fact_id, reason, user_id), "retracted")
    except Rejected as rejected:
        return render.notice(" ".join(map(translated, rejected.errors.values())))
    except NotFound as missing:
        return render.notice(explained(missing))


def answered_from_memory(body: dict[str, Any], context: BoltContext) -> bool:
    """Whether ``handle`` answers this request within its acknowledgement, from the store
    alone: it then runs in the request's thread (see listener_runner). Forms, the review
    desk and an asker whose role only Slack can tell wait on Slack after acknowledging."""
    services = services_of(context)
    words = summit_words(command_text(body))
    if words.reviewing or words.opens_form or words.asked is Asked.BRIEF:
        return False
    if words.reads_the_whole_store(services.intel.store.fact_count):
        return False
    user_id = str(body.get("user_id") or "")
    return not words.needs_role or services.admins.known(user_id) is not None


def brief(ack: Ack, services: Services, text: str, asker: Asker) -> None:
    """``/summit brief samsung [csv]``: the briefing comes as a file in the app's DM; the
    console, with no Slack to upload to, shows the Markdown. Only the name is resolved
    before acknowledging: a briefing reads every fact about its subject."""
    name, kind = briefing.parse_request(text)
    if not name:
        ack_with_answer(ack, lambda: render.notice(brief_usage()))
        return
    subject = subject_of(services.intel.matcher, name, "brief")
    if isinstance(subject, SubjectUnclear):
        ack_with_answer(ack, lambda: render.subject_unclear(subject))
        return
    if not services.console:
        ack_with_answer(ack, lambda: briefings.on_its_way(subject[0].name, kind))
    found = briefing.briefing(services.intel, name)
    if isinstance(found, SubjectUnclear):  # the entities changed in between
        asker.tell(render.subject_unclear(found))
        return
    if not services.console:
        briefings.upload(asker.client, asker, found, kind)
        return
    text = briefing.render(found, kind)
    if len(text) > CONSOLE_BRIEF_CHARS:
        whole = f"summitbot brief {found.subject.name.lower()} --format {kind}"
        text = f"{text[:CONSOLE_BRIEF_CHARS]}…\n(the whole briefing: `{whole}`)"
    ack_with_answer(ack, lambda: render.notice(text))


@answers_in_request(answered_from_memory)
def handle(ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    services = services_of(context)
    words = summit_words(command_text(command))
    rest = words.rest
    user_id = str(command.get("user_id") or "")
    if words.reviewing:
        asker = Asker.of(client, command)
        # Admins only; asking Slack whether the person is one may take a moment.
        ack()
        asker.answer(lambda: review.answer(services, words.asked, rest, asker))
        return
    if words.asked is Asked.BRIEF:
        brief(ack, services, rest, Asker.of(client, command))
        return
    if not words.opens_form:
        role = services.admins.known(user_id) if words.needs_role else False
        slow = words.reads_the_whole_store(services.intel.store.fact_count)
        if role is None or slow:
            # Only Slack (users.info) can say whether the person is an admin, and Slack may
            # be slow, or the answer reads every fact: acknowledge now and answer through
            # the response URL.
            ack()
            Asker.of(client, command).answer(
                lambda: answer(
                    services,
                    words,
                    user_id,
                    services.admins.is_admin(user_id) if role is None else role,
                )
            )
            return
        if words.cacheable:
            ack_with_answer(
                ack,
                lambda: command_answer(services, "/summit", words.text, admin=bool(role), key=role),
            )
        else:
            ack_with_answer(ack, lambda: answer(services, words, user_id, bool(role)))
        return
    if services.console:
        ack_with_answer(ack, lambda: render.notice(form_in_console()))
        return
    # The form must open within 3 seconds of the trigger: acknowledge, then open it.
    ack()
    asker = Asker.of(client, command)
    editing = words.asked is Asked.EDIT
    fact = services.curator.fact(rest) if editing and rest else None
    if editing and fact is None:
        asker.tell(render.no_fact_to_edit(rest))
        return
    problem = open_fact_form(
        client,
        services,
        user_id=user_id,
        trigger_id=command.get("trigger_id", ""),
        draft=FactDraft.of(fact) if fact else FactDraft(),
        fact=fact,
        response_url=asker.response_url,
        channel_id=asker.channel_id,
    )
    if problem is not None:
        asker.tell(problem)
