"""The admins' Edit / Retract menu on a fact in search answers."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from handlers.common import Asker, services_of
from handlers.views.fact_form import open_fact_form
from slackbot.core.curation import FactDraft
from slackbot.slack import render

logger = logging.getLogger(__name__)


def handle(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    services = services_of(context)
    asker = Asker.of(client, body)
    user_id = asker.user_id
    # A click can come from anyone who holds the message: check again.
    if not services.admins.is_admin(user_id):
        asker.tell(render.not_admin(services.admins.curators(), "edit or retract facts"))
        return
    try:
        choice, _, fact_id = body["actions"][0]["selected_option"]["value"].partition(":")
    except (KeyError, IndexError, TypeError, AttributeError):
        asker.tell(render.notice("That menu no longer works; search again and use the new answer."))
        return
    fact = services.curator.fact(fact_id)
    if fact is None or choice not in ("edit", "retract"):
        asker.tell(render.notice(f"There is no fact {fact_id[:20]!r} any more."))
        return
    if choice == "edit":
        problem = open_fact_form(
            client,
            services,
            user_id=user_id,
            trigger_id=body.get("trigger_id", ""),
            draft=FactDraft.of(fact),
            fact=fact,
            response_url=asker.response_url,
            channel_id=asker.channel_id,
        )
        if problem is not None:
            asker.tell(problem)
        return
    metadata = {
        "fact_id": fact.id,
        "response_url": asker.response_url,
        "channel_id": asker.channel_id,
    }
    try:
        client.views_open(
            trigger_id=body.get("trigger_id", ""), view=render.retract_form(fact, metadata)
        )
    except (SlackApiError, SlackClientError) as error:
        logger.warning("views.open failed: %s", error)
        asker.tell(render.notice("Slack did not open the form in time; use the menu again."))
