"""/summit [help | search <words> | add | edit <id> | retract <id> [why] | history <id or name>]"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from handlers.common import ack_with_answer, command_text, services_of
from handlers.views.fact_form import open_fact_form
from slackbot import render
from slackbot.curation import FactDraft, NotFound, Rejected
from slackbot.services import Services

SEARCH_RESULTS = 10
FORM_IN_CONSOLE = (
    "Adding and editing facts uses Slack's form. In the console, curate in bulk with "
    "`summitbot import FILE` (JSON Lines; `summitbot export` shows the format)."
)


def answer(services: Services, text: str, user_id: str | None = None) -> render.Message:
    """Every /summit answer that needs no form; ``user_id`` asked (admins get fact menus)."""
    sub_command, _, rest = text.strip().partition(" ")
    rest = rest.strip()
    match sub_command.lower():
        case "":
            return render.overview(services.intel.overview())
        case "help" | "?":
            return render.help_message()
        case "search" | "find":
            admin = user_id is not None and services.admins.is_admin(user_id)
            return render.search(services.intel.search(rest, SEARCH_RESULTS), admin=admin)
        case "history":
            history = services.curator.history(rest, services.intel.matcher.match)
            return render.history(history)
        case "retract" if user_id is not None:
            return retract(services, user_id, rest)
        case _:
            return render.help_message(unknown=text.strip())


def retract(services: Services, user_id: str, text: str) -> render.Message:
    fact_id, _, reason = text.partition(" ")
    if not fact_id:
        return render.notice("Say which fact: `/summit retract F12 denied by the company`.")
    if not services.admins.is_admin(user_id):
        return render.not_admin(services.admins.who_can(), "retract facts")
    try:
        return render.saved(services.curator.retract(fact_id, reason, user_id), "retracted")
    except Rejected as rejected:
        return render.notice(" ".join(rejected.errors.values()))
    except NotFound as missing:
        return render.notice(str(missing))


def handle(
    ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    services = services_of(context)
    text = command_text(command)
    sub_command, _, rest = text.strip().partition(" ")
    if sub_command.lower() not in ("add", "edit"):
        user_id = command.get("user_id")
        # Only read-only answers are reused. Search answers differ for admins (fact menus),
        # so only for them is the person's role part of the question; the others skip the
        # users.info call.
        kind = sub_command.lower()
        cacheable = kind in ("", "help", "search", "find", "history")
        admin = False
        if kind in ("search", "find") and user_id is not None:
            admin = services.admins.is_admin(user_id)
        asked = ("/summit", text.strip(), admin)
        ack_with_answer(
            ack,
            lambda: answer(services, text, user_id),
            services=services,
            asked=asked if cacheable else (),
        )
        return
    if services.console:
        ack_with_answer(ack, lambda: render.notice(FORM_IN_CONSOLE))
        return
    # The form must open within 3 seconds of the trigger: acknowledge, then open it.
    ack()
    user_id = command["user_id"]
    fact = None
    if sub_command.lower() == "edit":
        fact = services.curator.store.fact(rest.strip()) if rest.strip() else None
        if fact is None:
            respond(
                response_type="ephemeral",
                **render.notice("Say which fact to edit, e.g. `/summit edit F12`.").to_dict(),
            )
            return
    problem = open_fact_form(
        client,
        services,
        user_id=user_id,
        trigger_id=command.get("trigger_id", ""),
        draft=FactDraft.of(fact) if fact else FactDraft(),
        fact=fact,
        response_url=command.get("response_url"),
    )
    if problem is not None:
        respond(response_type="ephemeral", **problem.to_dict())
