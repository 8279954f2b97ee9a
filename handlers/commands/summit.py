"""/summit [help | search <words> | add | edit <id> | retract <id> [why] | history <id or name>]"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from handlers.common import Asker, ack_with_answer, command_text, services_of
from handlers.views.fact_form import open_fact_form
from slackbot.core.curation import FactDraft, NotFound, Rejected
from slackbot.slack import render
from slackbot.slack.services import Services

SEARCH_RESULTS = 10
FORM_IN_CONSOLE = (
    "Adding and editing facts uses Slack's form. In the console, curate in bulk with "
    "`summitbot import FILE` (JSON Lines; `summitbot export` shows the format)."
)
# Read-only answers, reused from the answer cache while what they show is unchanged.
CACHEABLE = frozenset({"", "help", "search", "find", "history"})
# Answers that differ for admins: whether the person is one must be known first.
NEEDS_ROLE = frozenset({"search", "find", "retract"})


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
            return render.history(history, services.settings.timezone)
        case "retract" if user_id is not None:
            return retract(services, user_id, rest)
        case _:
            return render.help_message(unknown=text.strip())


def retract(services: Services, user_id: str, text: str) -> render.Message:
    fact_id, _, reason = text.partition(" ")
    if not fact_id:
        return render.notice("Say which fact: `/summit retract F12 denied by the company`.")
    if not services.admins.is_admin(user_id):
        return render.not_admin(services.admins.curators(), "retract facts")
    try:
        return render.saved(services.curator.retract(fact_id, reason, user_id), "retracted")
    except Rejected as rejected:
        return render.notice(" ".join(rejected.errors.values()))
    except NotFound as missing:
        return render.notice(str(missing))


def handle(ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    services = services_of(context)
    text = command_text(command)
    sub_command, _, rest = text.strip().partition(" ")
    kind = sub_command.lower()
    user_id = str(command.get("user_id") or "")
    if kind not in ("add", "edit"):
        role = services.admins.known(user_id) if kind in NEEDS_ROLE else False
        if role is None:
            # Only Slack (users.info) can say whether the person is an admin, and Slack may
            # be slow: acknowledge now and answer through the response URL.
            ack()
            Asker.of(client, command).answer(lambda: answer(services, text, user_id))
            return
        ack_with_answer(
            ack,
            lambda: answer(services, text, user_id),
            services=services,
            asked=("/summit", text.strip(), role) if kind in CACHEABLE else (),
        )
        return
    if services.console:
        ack_with_answer(ack, lambda: render.notice(FORM_IN_CONSOLE))
        return
    # The form must open within 3 seconds of the trigger: acknowledge, then open it.
    ack()
    asker = Asker.of(client, command)
    fact = None
    if kind == "edit":
        fact = services.curator.fact(rest.strip()) if rest.strip() else None
        if fact is None:
            asker.tell(
                render.notice(
                    f"There is no fact {render.flat(rest.strip())!r}. Say which fact to edit, "
                    "e.g. `/summit edit F12`."
                    if rest.strip()
                    else "Say which fact to edit, e.g. `/summit edit F12`."
                )
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
        channel_id=command.get("channel_id"),
    )
    if problem is not None:
        asker.tell(problem)
