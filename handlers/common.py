"""What every listener shares: how answers are sent, and the services they ask."""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.webhook import WebhookClient

from slackbot import render
from slackbot.services import Services

logger = logging.getLogger(__name__)

SOMETHING_WENT_WRONG = (
    "Sorry, something went wrong on our side and the answer could not be built. "
    "Try again in a moment; if it keeps happening, tell a Summit Intel admin."
)


def services_of(context: BoltContext) -> Services:
    services: Services = context["services"]
    return services


def ack_with_answer(
    ack: Ack,
    build: Callable[[], render.Message],
    *,
    services: Services | None = None,
    asked: tuple[Hashable, ...] = (),
) -> None:
    """Acknowledges a slash command with its answer, visible only to the person who asked.
    With ``services`` and ``asked`` (what identifies the question), a rendered answer is
    reused while what it shows is unchanged."""
    cache = services.answers if services is not None and asked else None
    payload = cache.get(asked) if cache is not None else None
    if payload is None:
        try:
            payload = cache.build(asked, build) if cache is not None else build().to_dict()
        except Exception:
            # Slack shows its own opaque error if we never ack; a clear apology is better.
            logger.exception("building an answer failed")
            payload = render.notice(SOMETHING_WENT_WRONG).to_dict()
    ack(response_type="ephemeral", **payload)


def command_text(command: dict[str, Any]) -> str:
    text = command.get("text")
    return text if isinstance(text, str) else ""


def user_lookup(client: WebClient) -> Callable[[str], dict[str, Any] | None]:
    """users.info as a plain function: the user's record, or None when Slack cannot say."""

    def lookup(user_id: str) -> dict[str, Any] | None:
        try:
            user: dict[str, Any] = client.users_info(user=user_id)["user"]
            return user
        except (SlackApiError, SlackClientError) as error:
            logger.warning("users.info failed for %s: %s", user_id, error)
            return None

    return lookup


def refused_submission(ack: Ack, services: Services, user_id: str, block: str, what: str) -> bool:
    """Checks the admin again when a form is submitted: a submission can come from anyone
    holding the view. A refusal is shown on ``block`` and nothing changes."""
    if services.admins.is_admin(user_id):
        return False
    message = render.not_admin(services.admins.who_can(), what)
    ack(response_action="errors", errors={block: message.text})
    return True


def tell_privately(
    client: WebClient, user_id: str, response_url: str | None, message: render.Message
) -> None:
    """An ephemeral answer through the response URL when there is one; else a direct message
    from the app (global shortcuts and modals have no channel to answer in)."""
    try:
        if response_url:
            WebhookClient(response_url).send(
                response_type="ephemeral", replace_original=False, **message.to_dict()
            )
        else:
            client.chat_postMessage(channel=user_id, **message.to_dict())
    except (SlackApiError, SlackClientError):
        logger.warning("could not tell %s: %s", user_id, message.text[:80], exc_info=True)
