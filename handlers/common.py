"""What every listener shares: how answers are sent, and the services they ask."""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from slackbot.core.hygiene import without_unsafe
from slackbot.slack import render
from slackbot.slack.delivery import post_in_channel, reply_privately
from slackbot.slack.services import Services
from storage import StoreWriteError

logger = logging.getLogger(__name__)

SOMETHING_WENT_WRONG = (
    "Sorry, something went wrong on our side and the answer could not be built. "
    "Try again in a moment; if it keeps happening, tell a Summit Intel admin."
)


def not_saved(error: StoreWriteError) -> str:
    """What to tell someone whose change the store could not make durable."""
    return (
        f"{str(error).capitalize()}. Nothing was changed. Tell whoever runs Summit Intel, "
        "then try again."
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
        except StoreWriteError as error:
            logger.error("a change was not saved: %s", error)
            payload = render.notice(not_saved(error)).to_dict()
        except Exception:
            # Slack shows its own opaque error if we never ack; a clear apology is better.
            logger.exception("building an answer failed")
            payload = render.notice(SOMETHING_WENT_WRONG).to_dict()
    ack(response_type="ephemeral", **payload)


def command_text(command: dict[str, Any]) -> str:
    """What the person typed, without characters no answer may echo (see hygiene)."""
    text = command.get("text")
    return without_unsafe(text) if isinstance(text, str) else ""


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


# A form submission must be answered within Slack's 3 seconds, admin check included.
SUBMISSION_ADMIN_CHECK_SECONDS = 1.5
SLACK_TOO_SLOW = (
    "Slack took too long to confirm that you are a Summit Intel admin, so nothing was saved "
    "yet. Submit again in a moment."
)


def refused_submission(ack: Ack, services: Services, user_id: str, block: str, what: str) -> bool:
    """Checks the admin again when a form is submitted: a submission can come from anyone
    holding the view. A refusal is shown on ``block`` and nothing changes."""
    allowed = services.admins.check(user_id, SUBMISSION_ADMIN_CHECK_SECONDS)
    if allowed:
        return False
    if allowed is None:
        ack(response_action="errors", errors={block: SLACK_TOO_SLOW})
        return True
    message = render.not_admin(services.admins.curators(), what)
    ack(response_action="errors", errors={block: render.plain_words(message.text)})
    return True


@dataclass(frozen=True)
class Asker:
    """The person a request came from, and every way to answer them after the
    acknowledgement: the response URL while it lasts, then the channel, then a DM."""

    client: WebClient
    user_id: str
    channel_id: str | None = None
    response_url: str | None = None

    @classmethod
    def of(cls, client: WebClient, body: dict[str, Any]) -> Asker:
        """From a slash command, a block action, a shortcut or a view submission."""
        user = body.get("user")
        user_id = user.get("id") if isinstance(user, dict) else body.get("user_id")
        channel = body.get("channel")
        channel_id = channel.get("id") if isinstance(channel, dict) else body.get("channel_id")
        response_url = body.get("response_url")
        if not response_url and body.get("response_urls"):
            response_url = body["response_urls"][0].get("response_url")
        return cls(client, str(user_id or ""), channel_id or None, response_url or None)

    def tell(self, message: render.Message) -> bool:
        """Only this person sees it."""
        return reply_privately(
            self.client,
            message,
            user_id=self.user_id,
            channel_id=self.channel_id,
            response_url=self.response_url,
        )

    def answer(self, build: Callable[[], render.Message]) -> None:
        """Builds an answer after the acknowledgement and tells the person; a failure is
        told too, in words, rather than leaving them with nothing."""
        try:
            message = build()
        except StoreWriteError as error:
            logger.error("a change was not saved: %s", error)
            message = render.notice(not_saved(error))
        except Exception:
            logger.exception("building an answer failed")
            message = render.notice(SOMETHING_WENT_WRONG)
        self.tell(message)

    def share(self, message: render.Message) -> bool:
        """Everyone in the channel sees it."""
        return post_in_channel(
            self.client,
            message,
            user_id=self.user_id,
            channel_id=self.channel_id,
            response_url=self.response_url,
        )
