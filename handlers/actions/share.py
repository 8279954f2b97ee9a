""" "Share to channel": post an answer for everyone, saying who shared it."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from handlers.common import question_on_button, services_of
from slackbot.slack import render
from slackbot.slack.answering import message_for
from slackbot.slack.delivery import Asker
from slackbot.slack.i18n import _


def handle(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    asker = Asker.of(client, body)
    asked = question_on_button(body)
    if asked is None:
        asker.tell(
            render.notice(
                _("That button no longer works; run the command again and share the new answer.")
            )
        )
        return
    command, text = asked
    services = services_of(context)
    message = render.shared(message_for(services, command, text), asker.user_id)
    ts = asker.share(message)
    if ts and asker.channel_id:
        # Remembered, so that a retraction of a fact it shows is replied in its thread.
        shown = [f for f in map(services.curator.fact, render.fact_ids_in(message)) if f]
        services.corrections.announce(shown, asker.channel_id, ts, "share")
