"""The App Home's buttons: Ask (the answer in a modal), a digest's Pause / Resume / Send now
/ Preview (with /digest's permission rules), the admins' Review and Add fact, and paging.
A click in App Home has no response URL: what the person must read comes as a DM."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from handlers.common import may_change, not_yours, question_on_button, services_of
from slackbot.core.curation import FactDraft
from slackbot.core.digests import UsageError
from slackbot.slack import render
from slackbot.slack.answering import message_for
from slackbot.slack.delivery import Asker
from slackbot.slack.i18n import _, explained
from slackbot.slack.ids import HOME_PAUSE, HOME_PREVIEW, HOME_RESUME
from slackbot.slack.modals import open_fact_form
from slackbot.slack.render.app_home import answer_modal
from slackbot.slack.services import Services


def _clicked(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions") or [{}]
    return actions[0] if isinstance(actions[0], dict) else {}


def _show(client: WebClient, asker: Asker, trigger_id: str, message: render.Message) -> None:
    try:
        client.views_open(trigger_id=trigger_id, view=answer_modal(message))
    except (SlackApiError, SlackClientError, OSError):
        asker.tell(message)  # the modal's moment passed: the answer comes as a DM


def ask(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    services, asker = services_of(context), Asker.of(client, body)
    asked = question_on_button(body)
    if asked is None:
        asker.tell(render.notice(_("That button no longer works; open App Home again.")))
        return
    _show(client, asker, body.get("trigger_id", ""), message_for(services, *asked))


def _refresh(services: Services, user_id: str) -> None:
    services.home.publish(user_id)


def digest(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    services, asker = services_of(context), Asker.of(client, body)
    clicked = _clicked(body)
    channel_id, action = str(clicked.get("value") or ""), clicked.get("action_id")
    digests = services.digests
    if digests.subscription(channel_id) is None:
        asker.tell(render.notice(_("That digest is gone; App Home shows the ones there are.")))
        _refresh(services, asker.user_id)
        return
    try:
        if action in (HOME_PAUSE, HOME_RESUME):
            allowed = may_change(services, channel_id, asker.user_id)
            if allowed is None:
                allowed = services.admins.is_admin(asker.user_id)
            if not allowed:
                asker.tell(not_yours(services, channel_id))
                return
            digests.set_paused(channel_id, action == HOME_PAUSE)
        elif action == HOME_PREVIEW:
            preview = render.digest_preview(digests.preview(channel_id))
            _show(client, asker, body.get("trigger_id", ""), preview)
            return
        else:
            outcome = digests.post_now(channel_id)
            if outcome.kind != "posted":
                not_posted = _("The digest was not posted: {result}. {command} has the details.")
                asker.tell(
                    render.notice(
                        not_posted.format(
                            result=render.outcome_words(outcome), command="`/digest status`"
                        )
                    )
                )
    except UsageError as problem:
        asker.tell(render.digest_usage(explained(problem)))
    _refresh(services, asker.user_id)


def review(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Admins (checked by handlers.middleware): the queue's first page, as a DM."""
    services, asker = services_of(context), Asker.of(client, body)
    page = render.queue(services.review.pending(1), services.intel.entities, services.timezone)
    asker.tell(page)


def add_fact(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Admins (checked by handlers.middleware): the Add fact form."""
    services, asker = services_of(context), Asker.of(client, body)
    problem = open_fact_form(
        client,
        services,
        user_id=asker.user_id,
        trigger_id=body.get("trigger_id", ""),
        draft=FactDraft(),
    )
    if problem is not None:
        asker.tell(problem)


def page(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    services = services_of(context)
    user_id = str((body.get("user") or {}).get("id") or "")
    try:
        wanted = int(str(_clicked(body).get("value") or "1"))
    except ValueError:
        wanted = 1
    services.home.opened(user_id, wanted)
