"""/summit [help | search <words> | add | edit <id> | retract <id> [why] | history <id or name>]"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from handlers.commands import review
from handlers.common import ack_with_answer, command_text, services_of
from slackbot.core import briefing
from slackbot.core.claims import SubjectUnclear, subject_of
from slackbot.core.curation import NotFound, Rejected
from slackbot.core.words import Asked, SummitWords, summit_words
from slackbot.slack import render
from slackbot.slack.answering import command_answer, message_for
from slackbot.slack.delivery import Asker
from slackbot.slack.i18n import _, explained, translated
from slackbot.slack.listener_runner import answers_in_request
from slackbot.slack.services import Services
from slackbot.slack.surface import CONFIRM, Briefed


def brief_usage() -> str:
    return _("Say what the briefing is about: {markdown} (Markdown) or {csv}.").format(
        markdown="`/summit brief samsung`", csv="`/summit brief samsung csv`"
    )


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
    unconfirmed = services.surface.unconfirmed_retraction(services, fact_id, reason)
    if unconfirmed is not None:
        return unconfirmed
    if reason.split()[-1:] == [CONFIRM]:
        reason = reason.rsplit(CONFIRM, 1)[0].strip()
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
    services.surface.brief(ack, services, Briefed(name, subject[0].name, kind), asker)


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
    editing = words.asked is Asked.EDIT
    services.surface.fact_form(
        ack, services, Asker.of(client, command), command, rest if editing else None
    )
