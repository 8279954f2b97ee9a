"""What every listener shares: the services, acknowledging with an answer, the typed text."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, BoltContext, BoltResponse
from slack_sdk import WebClient

from slackbot.core.answers import ANSWERING_COMMANDS
from slackbot.core.hygiene import without_unsafe
from slackbot.slack import i18n, render
from slackbot.slack.answering import ephemeral_body
from slackbot.slack.delivery import Asker, post_to_response_url
from slackbot.slack.services import Services
from storage.api import Candidate, StoreWriteError

logger = logging.getLogger(__name__)


def services_of(context: BoltContext) -> Services:
    services: Services = context["services"]
    return services


@dataclass(frozen=True)
class Submitted:
    """A submitted form: the services, who submitted it, the form's metadata (where its
    answer goes) and its values by field."""

    services: Services
    user_id: str
    metadata: dict[str, Any]
    values: dict[str, Any]

    @classmethod
    def of(cls, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> Submitted:
        return cls(
            services_of(context),
            str(body["user"]["id"]),
            render.metadata_of(view),
            render.read_state(view),
        )

    def asker(self, client: WebClient) -> Asker:
        """Who to tell once it is saved: through the response URL of the command or click
        that opened the form while it lasts, then the channel, then a DM."""
        metadata = self.metadata
        return Asker(client, self.user_id, metadata.get("channel_id"), metadata.get("response_url"))


def ack_with_answer(ack: Ack, build: Callable[[], render.Message | str]) -> None:
    """Acknowledges a slash command with its answer, visible only to the person who asked:
    ``build`` gives the message, or its JSON body already encoded (``command_answer``)."""
    try:
        built = build()
        body = built if isinstance(built, str) else ephemeral_body(built)
    except StoreWriteError as error:
        logger.error("a change was not saved: %s", error)
        body = ephemeral_body(render.notice(render.not_saved(error)))
    except Exception:
        # Slack shows its own opaque error if we never ack; a clear apology is better.
        logger.exception("building an answer failed")
        body = ephemeral_body(render.notice(i18n._(render.SOMETHING_WENT_WRONG)))
    # What ack(**payload) would set, with the JSON already encoded (see ephemeral_body).
    ack.response = BoltResponse(status=200, body=body)


def question_on_button(body: dict[str, Any]) -> tuple[str, str] | None:
    """The command and words a button carries (Share to channel, App Home's Ask), as
    ``{"command": …, "text": …}`` in its value; None when the value is not one of ours."""
    try:
        asked = json.loads(body["actions"][0]["value"])
        command, text = str(asked["command"]), str(asked["text"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return (command, text) if command in ANSWERING_COMMANDS else None


def command_text(command: dict[str, Any]) -> str:
    """What the person typed, without characters no answer may echo (see hygiene)."""
    text = command.get("text")
    return without_unsafe(text) if isinstance(text, str) else ""


def refresh_queue(services: Services, response_url: str | None, page: int = 1) -> None:
    """Shows the admin's queue again in place, without the candidate just decided."""
    if not response_url:
        return
    message = render.queue(
        services.review.pending(page), services.intel.entities, services.timezone
    )
    problem = post_to_response_url(response_url, {"replace_original": True, **message.to_dict()})
    if problem:
        logger.info("the queue could not be shown again: %s", problem)


def settle(
    services: Services, decided: Candidate, response_url: str | None, from_queue: bool
) -> None:
    """After a decision on a candidate: its review message updated in place (and its
    proposer told), and the admin's queue shown again when the click came from it."""
    services.desk.decided(decided)
    if from_queue:
        refresh_queue(services, response_url)
    services.home.refresh()  # the admins' queue count (candidates do not move the version)


# -- digests: who may change one (the /digest command and App Home's buttons) ----------


def may_change(services: Services, channel_id: str, user_id: str) -> bool | None:
    """Whether the person may change the channel's digest: anyone sets one up where there is
    none; then its creator and the admins. None when only Slack can say (admin or not)."""
    subscription = services.digests.subscription(channel_id)
    if subscription is None or subscription.created_by in ("", user_id):
        return True
    return services.admins.known(user_id)


def not_yours(services: Services, channel_id: str) -> render.Message:
    subscription = services.digests.subscription(channel_id)
    owner = subscription.created_by if subscription else ""
    return render.not_allowed_digest(owner, services.admins.curators())
