"""The admins' Edit / Retract menu on a fact in search answers (acknowledged, and checked
for an admin, by handlers.middleware)."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from handlers.common import services_of
from slackbot.core.curation import FactDraft
from slackbot.slack import render
from slackbot.slack.delivery import Asker
from slackbot.slack.i18n import _
from slackbot.slack.modals import open_fact_form, open_retract_form


def handle(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    services = services_of(context)
    asker = Asker.of(client, body)
    try:
        choice, _sep, fact_id = body["actions"][0]["selected_option"]["value"].partition(":")
    except (KeyError, IndexError, TypeError, AttributeError):
        asker.tell(
            render.notice(_("That menu no longer works; search again and use the new answer."))
        )
        return
    fact = services.curator.fact(fact_id)
    if fact is None or choice not in ("edit", "retract"):
        asker.tell(
            render.notice(_("There is no fact {id} any more.").format(id=repr(fact_id[:20])))
        )
        return
    trigger_id = body.get("trigger_id", "")
    if choice == "edit":
        problem = open_fact_form(
            client,
            services,
            user_id=asker.user_id,
            trigger_id=trigger_id,
            draft=FactDraft.of(fact),
            fact=fact,
            response_url=asker.response_url,
            channel_id=asker.channel_id,
        )
    else:
        metadata = {
            "fact_id": fact.id,
            "response_url": asker.response_url,
            "channel_id": asker.channel_id,
        }
        problem = open_retract_form(client, fact, trigger_id=trigger_id, metadata=metadata)
    if problem is not None:
        asker.tell(problem)
