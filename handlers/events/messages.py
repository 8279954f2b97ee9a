"""Mentions in channels (``@Summit Intel who samsung``) and messages in the app's Messages tab:
the same answers as the slash commands, for people's own words. Slash commands cannot be
used in threads, so a mention is answered in the message's thread."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from handlers.common import services_of
from slackbot.core.words import command_for
from slackbot.slack import render
from slackbot.slack.answering import message_for
from slackbot.slack.i18n import _

logger = logging.getLogger(__name__)

_LEADING_MENTIONS = re.compile(r"^(\s*<@[UW][A-Z0-9]+(\|[^>]*)?>[\s,:]*)+")


def digests_are_commands() -> str:
    return _(
        "Digests are set up with the {command} command in the channel that should get them, "
        "e.g. {example}."
    ).format(command="`/digest`", example="`/digest daily 09:00`")


def without_mentions(text: str) -> str:
    """The words after the leading @mentions (``<@U0BOT> who samsung`` -> ``who samsung``)."""
    return _LEADING_MENTIONS.sub("", text).strip()


def answer_words(context: BoltContext, text: str) -> render.Message:
    words = without_mentions(text)
    if words.lower().lstrip("/").startswith("digest"):
        return render.notice(digests_are_commands())
    asked = command_for(words)
    services = services_of(context)
    if asked is None:
        return render.help_message(unknown=words or None)
    command, command_text = asked
    try:
        return message_for(services, command, command_text)
    except Exception:
        logger.exception("answering %r failed", text[:80])
        return render.notice(_(render.SOMETHING_WENT_WRONG))


def _ignored(event: dict[str, Any], context: BoltContext) -> bool:
    """The app's own messages, other bots', and edits or joins (subtypes) are not questions."""
    return bool(
        event.get("bot_id")
        or event.get("subtype")
        or not event.get("user")
        or event.get("user") == context.bot_user_id
    )


def _post(client: WebClient, channel: str, thread_ts: str | None, message: render.Message) -> None:
    try:
        client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
            **render.in_thread(message).to_dict(),
        )
    except (SlackApiError, SlackClientError, OSError) as error:
        logger.warning("could not answer in %s: %s", channel, error)


def on_mention(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    if _ignored(event, context):
        return
    message = answer_words(context, str(event.get("text") or ""))
    _post(client, event["channel"], event.get("thread_ts") or event.get("ts"), message)


def on_message(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    # Only the app's Messages tab (a 1:1 DM); channel messages arrive as mentions.
    if event.get("channel_type") != "im" or _ignored(event, context):
        return
    message = answer_words(context, str(event.get("text") or ""))
    _post(client, event["channel"], event.get("thread_ts"), message)
