"""Posting a digest to Slack: headline and thread, with slack_sdk's retries for 429 and 5xx."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from slackbot import render
from slackbot.digests import Delivery, Digest
from storage import Subscription

logger = logging.getLogger(__name__)

# Errors that mean this channel cannot be posted to until someone acts.
SUSPENDING_ERRORS = {
    "channel_not_found": "the channel is gone, or I am not in it",
    "not_in_channel": "I was removed from the channel",
    "is_archived": "the channel is archived",
    "channel_is_archived": "the channel is archived",
    "restricted_action": "posting is restricted in the channel",
}


class SlackDigestPoster:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    def __call__(self, subscription: Subscription, digest: Digest) -> Delivery:
        headline, *thread = render.digest_messages(digest)
        channel = subscription.channel_id
        try:
            posted = self.client.chat_postMessage(
                channel=channel, unfurl_links=False, unfurl_media=False, **headline.to_dict()
            )
        except SlackApiError as error:
            code = str(error.response.get("error", "error"))
            if code in SUSPENDING_ERRORS:
                return Delivery(False, reason=f"{SUSPENDING_ERRORS[code]} ({code})", suspend=True)
            return Delivery(False, reason=f"Slack answered {code}")
        except SlackClientError as error:
            return Delivery(False, reason=f"could not reach Slack ({type(error).__name__})")
        for reply in thread:
            try:
                self.client.chat_postMessage(
                    channel=channel,
                    thread_ts=posted["ts"],
                    unfurl_links=False,
                    unfurl_media=False,
                    **reply.to_dict(),
                )
            except (SlackApiError, SlackClientError) as error:
                logger.warning("digest thread reply to %s failed: %s", channel, error)
                return Delivery(True, complete=False, reason="a thread reply failed")
        return Delivery(True, complete=True)


def ensure_can_post(client: WebClient, channel_id: str) -> str | None:
    """Makes sure digests can be posted in the channel, joining it when it is public.
    Returns what to tell the person when they cannot."""
    invite = (
        "I can't post in this channel yet: it is private or a conversation I am not in. "
        "Invite me with `/invite @Summit Intel`, then run the command again."
    )
    try:
        channel = client.conversations_info(channel=channel_id)["channel"]
    except SlackApiError as error:
        code = error.response.get("error")
        if code == "channel_not_found":
            return invite
        return f"Slack would not tell me about this channel ({code}); try again in a moment."
    except SlackClientError:
        return "I could not reach Slack; try again in a moment."
    if channel.get("is_archived"):
        return "This channel is archived, so no digest can be posted here."
    if channel.get("is_member") or channel.get("is_im"):
        return None
    if channel.get("is_private") or channel.get("is_mpim"):
        return invite
    try:
        client.conversations_join(channel=channel_id)
    except (SlackApiError, SlackClientError) as error:
        logger.warning("conversations.join %s failed: %s", channel_id, error)
        return invite
    return None
