"""The admin re-check for everything that changes facts from a click or a submitted form:
a payload can come from anyone holding the message or the view, so the check made when the
form opened is made again. One Bolt listener middleware, put on each such listener."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, BoltResponse
from slack_sdk import WebClient

from handlers.common import services_of
from slackbot.slack import render
from slackbot.slack.delivery import Asker
from slackbot.slack.i18n import _

# A form submission must be answered within Slack's 3 seconds, the admin check included.
SUBMISSION_ADMIN_CHECK_SECONDS = 1.5

Middleware = Callable[..., BoltResponse | None]


def admins_only(what: str, error_block: str | None = None) -> Middleware:
    """Lets admins through to the listener. A form submission (``error_block`` set) is
    refused on that field, within Slack's 3 seconds; a click is acknowledged first and the
    person told who can."""

    # A middleware that does not call next() must return the response Bolt sends, or Bolt
    # takes the listener for one that does not match and answers 404.
    def check_admin(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, next: Any
    ) -> BoltResponse | None:
        services = services_of(context)
        user_id = str((body.get("user") or {}).get("id") or "")
        if error_block is not None:
            allowed = services.admins.check(user_id, SUBMISSION_ADMIN_CHECK_SECONDS)
            if allowed:
                next()
                return None
            refusal = _(render.SLACK_TOO_SLOW)
            if allowed is False:
                message = render.not_admin(services.admins.curators(), what)
                refusal = render.plain_words(message.text)
            return ack(response_action="errors", errors={error_block: refusal})
        # Listener middleware runs before Bolt sends the acknowledgement, so Slack is asked
        # for at most SUBMISSION_ADMIN_CHECK_SECONDS and the refusal is told from a thread.
        allowed = services.admins.check(user_id, SUBMISSION_ADMIN_CHECK_SECONDS)
        acknowledged = ack()
        if allowed:
            next()
            return None
        told = (
            render.notice(_(render.SLACK_TOO_SLOW_CLICK))
            if allowed is None
            else render.not_admin(services.admins.curators(), what)
        )
        asker = Asker.of(client, body)
        threading.Thread(target=asker.tell, args=(told,), daemon=True).start()
        return acknowledged

    return check_admin
