""" "Add summit fact" (global) and "Save as summit fact" (on a message) open the form."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from handlers.common import services_of, tell_privately
from handlers.views.fact_form import open_fact_form
from slackbot import curation
from slackbot.curation import FactDraft

logger = logging.getLogger(__name__)


def from_global_shortcut(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    user_id = body["user"]["id"]
    problem = open_fact_form(
        client,
        services_of(context),
        user_id=user_id,
        trigger_id=body.get("trigger_id", ""),
        draft=FactDraft(),
    )
    if problem is not None:
        tell_privately(client, user_id, None, problem)


def from_message(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    user_id = body["user"]["id"]
    message = body.get("message") or {}
    channel = body.get("channel") or {}
    permalink = ""
    try:
        permalink = client.chat_getPermalink(
            channel=channel.get("id", ""), message_ts=message.get("ts", "")
        )["permalink"]
    except (SlackApiError, SlackClientError, KeyError) as error:
        logger.warning("chat.getPermalink failed: %s", error)
    where = f"#{channel['name']}" if channel.get("name") else "Slack"
    draft = FactDraft(
        statement=str(message.get("text") or "")[: curation.MAX_STATEMENT],
        source_url=permalink,
        source_title=f"Slack message in {where}",
    )
    problem = open_fact_form(
        client,
        services_of(context),
        user_id=user_id,
        trigger_id=body.get("trigger_id", ""),
        draft=draft,
        response_url=body.get("response_url"),
    )
    if problem is not None:
        tell_privately(client, user_id, body.get("response_url"), problem)
