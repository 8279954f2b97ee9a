""" "Add summit fact" (global) and "Save as summit fact" (on a message) open the form for
admins; anyone else's "Save as summit fact" proposes the message to the review queue."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from handlers.common import services_of
from slackbot.core import curation
from slackbot.core.curation import FactDraft
from slackbot.slack import render
from slackbot.slack.delivery import Asker, display_name
from slackbot.slack.i18n import _, explained
from slackbot.slack.markup import cut_at_word, to_plain_text
from slackbot.slack.modals import open_fact_form
from storage.api import StoreWriteError

logger = logging.getLogger(__name__)


def from_global_shortcut(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    asker = Asker.of(client, body)
    problem = open_fact_form(
        client,
        services_of(context),
        user_id=asker.user_id,
        trigger_id=body.get("trigger_id", ""),
        draft=FactDraft(),
    )
    if problem is not None:
        asker.tell(problem)


def from_message(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    asker = Asker.of(client, body)
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
    # Slack's markup (mentions, links, escapes) becomes the words a reader saw.
    statement = to_plain_text(str(message.get("text") or ""), display_name(client))
    services = services_of(context)
    if not services.admins.is_admin(asker.user_id):
        # Anyone may propose: the message goes to the review queue with their name.
        try:
            candidate = services.review.propose(
                statement, asker.user_id, link=permalink or None, source_title=f"Slack, {where}"
            )
        except ValueError as empty:
            only = _("Only a message with text can be suggested.")
            asker.tell(render.notice(f"{explained(empty)} {only}"))
            return
        except StoreWriteError as error:
            asker.tell(render.notice(render.not_saved(error)))
            return
        asker.tell(render.proposed(candidate))
        services.announce_waiting()
        return
    statement, was_cut = cut_at_word(statement, curation.MAX_STATEMENT)
    draft = FactDraft(
        statement=statement, source_url=permalink, source_title=f"Slack message in {where}"
    )
    problem = open_fact_form(
        client,
        services,
        user_id=asker.user_id,
        trigger_id=body.get("trigger_id", ""),
        draft=draft,
        response_url=asker.response_url,
        channel_id=asker.channel_id,
        note=(
            f"The message was longer than {curation.MAX_STATEMENT:,} characters, so the "
            "statement below was cut; shorten it to what the fact needs."
            if was_cut
            else None
        ),
    )
    if problem is not None:
        asker.tell(problem)
