"""The "Suggest a fact" form: anyone's suggestion goes into the review queue."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from handlers.common import Submitted
from slackbot.core.curation import MAX_SOURCE_URL
from slackbot.core.feeds.links import canonical_link
from slackbot.slack import render
from slackbot.slack.i18n import _, explained
from slackbot.slack.ids import SUGGEST_LINK, SUGGEST_STATEMENT
from storage.api import StoreWriteError


def submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    form = Submitted.of(body, view, context)
    services, user_id = form.services, form.user_id
    values = form.values
    statement = str(values.get(SUGGEST_STATEMENT) or "")
    link = str(values.get(SUGGEST_LINK) or "").strip()
    if link and (len(link) > MAX_SOURCE_URL or canonical_link(link) is None):
        ack(
            response_action="errors",
            errors={SUGGEST_LINK: _("Use a web link that starts with http:// or https://.")},
        )
        return
    try:
        candidate = services.review.propose(statement, user_id, link=link or None)
    except ValueError as problem:
        ack(response_action="errors", errors={SUGGEST_STATEMENT: explained(problem)})
        return
    except StoreWriteError as error:
        ack(response_action="errors", errors={SUGGEST_STATEMENT: render.not_saved(error)})
        return
    ack()
    form.asker(client).tell(render.proposed(candidate))
    services.announce_waiting()
