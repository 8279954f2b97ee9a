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
from slackbot.slack import briefings, render
from slackbot.slack.answering import message_for
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


# Read-only answers, reused from the answer cache while what they show is unchanged.
CACHEABLE = frozenset(
    {"", "help", "search", "find", "history", "timeline", "since", "open", "claims"}
)
# Answers that differ for admins: whether the person is one must be known first.
NEEDS_ROLE = frozenset({"search", "find", "retract", "restore", "open", "claims"})
# Above this many facts, a timeline or open claims of everything is answered after the
# acknowledgement (see reads_the_whole_store).
WHOLE_STORE_AT_ONCE = 20_000
# A console answer is one message: a longer briefing is cut, and the CLI prints it whole.
CONSOLE_BRIEF_CHARS = 2700


def brief_usage() -> str:
    return _("Say what the briefing is about: {markdown} (Markdown) or {csv}.").format(
        markdown="`/summit brief samsung`", csv="`/summit brief samsung csv`"
    )


# In the console a retraction is confirmed first (there is no undo button to hand).
CONFIRM = "--yes"


def answer(services: Services, text: str, user_id: str, admin: bool) -> render.Message:
    """Every /summit answer that needs no form (admins get fact menus on search results)."""
    sub_command, _sep, rest = text.strip().partition(" ")
    if sub_command.lower() == "retract":
        return retract(services, user_id, rest.strip(), admin)
    if sub_command.lower() == "restore":
        return restore(services, user_id, rest.strip(), admin)
    return message_for(services, "/summit", text, admin=admin)


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


def reads_the_whole_store(services: Services, kind: str, rest: str) -> bool:
    """Answers that go through every fact: what moved since a day (a digest's composition),
    and the timeline or open claims of everything on a large store. They may take longer
    than Slack's 3 seconds (at 100,000 facts, since took 1.4 s to compose), so they are
    acknowledged first and answered through the response URL."""
    if kind == "since":
        return True
    return (
        kind in ("timeline", "open", "claims")
        and (not rest.strip() or rest.strip().lower().startswith("since "))
        and services.intel.store.fact_count() > WHOLE_STORE_AT_ONCE
    )


def answered_from_memory(body: dict[str, Any], context: BoltContext) -> bool:
    """Whether ``handle`` answers this request within its acknowledgement, from the store
    alone: it then runs in the request's thread (see listener_runner). Forms, the review
    desk and an asker whose role only Slack can tell wait on Slack after acknowledging."""
    services = services_of(context)
    if services.console:
        return True  # the console waits for every answer anyway
    kind, _sep, rest = command_text(body).strip().partition(" ")
    kind = kind.lower()
    if kind in review.KINDS or kind in ("add", "edit", "brief"):
        return False
    if reads_the_whole_store(services, kind, rest):
        return False
    user_id = str(body.get("user_id") or "")
    return kind not in NEEDS_ROLE or services.admins.known(user_id) is not None


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
    text = command_text(command)
    sub_command, _sep, rest = text.strip().partition(" ")
    kind = sub_command.lower()
    user_id = str(command.get("user_id") or "")
    if kind in review.KINDS:
        asker = Asker.of(client, command)
        if services.console:
            # No Slack to answer through later: the console waits for the answer.
            ack_with_answer(ack, lambda: review.answer(services, kind, rest, asker))
            return
        # Admins only; asking Slack whether the person is one may take a moment.
        ack()
        asker.answer(lambda: review.answer(services, kind, rest, asker))
        return
    if kind == "brief":
        brief(ack, services, rest, Asker.of(client, command))
        return
    if kind not in ("add", "edit"):
        role = services.admins.known(user_id) if kind in NEEDS_ROLE else False
        slow = not services.console and reads_the_whole_store(services, kind, rest)
        if role is None or slow:
            # Only Slack (users.info) can say whether the person is an admin, and Slack may
            # be slow, or the answer reads every fact: acknowledge now and answer through
            # the response URL.
            ack()
            Asker.of(client, command).answer(
                lambda: answer(
                    services,
                    text,
                    user_id,
                    services.admins.is_admin(user_id) if role is None else role,
                )
            )
            return
        ack_with_answer(
            ack,
            lambda: answer(services, text, user_id, bool(role)),
            services=services,
            asked=("/summit", text.strip(), role) if kind in CACHEABLE else (),
        )
        return
    if services.console:
        ack_with_answer(ack, lambda: render.notice(form_in_console()))
        return
    # The form must open within 3 seconds of the trigger: acknowledge, then open it.
    ack()
    asker = Asker.of(client, command)
    fact = services.curator.fact(rest.strip()) if kind == "edit" and rest.strip() else None
    if kind == "edit" and fact is None:
        asker.tell(render.no_fact_to_edit(rest.strip()))
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
