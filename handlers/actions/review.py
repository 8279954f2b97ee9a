"""Approve, Edit and Reject on a candidate (in the review channel or the queue), paging the
queue, and "Suggest a fact" on a lookup that found nothing. Deciding is for admins only,
re-checked on every click (handlers.middleware); anyone may suggest."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from handlers.common import refresh_queue, services_of
from slackbot.core.curation import NotFound, Rejected
from slackbot.core.feeds import AlreadyDecided
from slackbot.slack import render
from slackbot.slack.delivery import Asker
from slackbot.slack.modals import FORM_TOO_LATE, open_fact_form
from slackbot.slack.services import Services
from storage import Candidate, StoreWriteError

logger = logging.getLogger(__name__)


def _clicked(body: dict[str, Any]) -> str:
    try:
        return str(body["actions"][0]["value"])
    except (KeyError, IndexError, TypeError):
        return ""


def _from_queue(body: dict[str, Any]) -> bool:
    return bool((body.get("container") or {}).get("is_ephemeral"))


def after_decision(
    services: Services, body: dict[str, Any], asker: Asker, decided: Candidate
) -> None:
    if services.desk is not None:
        services.desk.decided(decided)
    if _from_queue(body):
        refresh_queue(services, asker.response_url)


def approve(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    services = services_of(context)
    assert services.review is not None
    asker = Asker.of(client, body)
    try:
        decided, fact = services.review.approve(_clicked(body), asker.user_id)
    except AlreadyDecided as done:
        asker.tell(render.already_decided(done.candidate, services.timezone))
        return
    except NotFound as missing:
        asker.tell(render.notice(str(missing)))
        return
    except Rejected as rejected:
        problems = " ".join(rejected.errors.values())
        asker.tell(render.notice(f"Not approved as it stands: {problems} Use Edit to fix it."))
        return
    except StoreWriteError as error:
        asker.tell(render.notice(render.not_saved(error)))
        return
    after_decision(services, body, asker, decided)
    if not _from_queue(body) and decided.review_ts is None:
        asker.tell(render.saved(fact, "approved"))


def edit(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    services = services_of(context)
    assert services.review is not None
    asker = Asker.of(client, body)
    try:
        candidate = services.review.candidate(_clicked(body))
    except NotFound as missing:
        asker.tell(render.notice(str(missing)))
        return
    if candidate.state != "pending":
        asker.tell(render.already_decided(candidate, services.timezone))
        return
    problem = open_fact_form(
        client,
        services,
        user_id=asker.user_id,
        trigger_id=body.get("trigger_id", ""),
        draft=services.review.draft_for(candidate),
        response_url=asker.response_url,
        channel_id=asker.channel_id,
        candidate=candidate,
    )
    if problem is not None:
        asker.tell(problem)


def reject(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    services = services_of(context)
    assert services.review is not None
    asker = Asker.of(client, body)
    try:
        candidate = services.review.candidate(_clicked(body))
    except NotFound as missing:
        asker.tell(render.notice(str(missing)))
        return
    if candidate.state != "pending":
        asker.tell(render.already_decided(candidate, services.timezone))
        return
    metadata = {
        "candidate_id": candidate.id,
        "response_url": asker.response_url,
        "channel_id": asker.channel_id,
        "from_queue": _from_queue(body),
    }
    view = render.reject_form(candidate, metadata)
    try:
        client.views_open(trigger_id=body.get("trigger_id", ""), view=view.to_dict())
    except (SlackApiError, SlackClientError, OSError) as error:
        logger.warning("views.open failed: %s", error)
        asker.tell(render.notice(FORM_TOO_LATE))


def page(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    services = services_of(context)
    assert services.review is not None
    asker = Asker.of(client, body)
    wanted = _clicked(body)
    number = int(wanted) if wanted.isdigit() else 1
    if _from_queue(body):
        refresh_queue(services, asker.response_url, number)
    else:
        asker.tell(
            render.queue(
                services.review.pending(number), services.intel.entities, services.timezone
            )
        )


def suggest(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Anyone: opens the "Suggest a fact" form, the lookup's words prefilled."""
    ack()
    del context  # nothing of the services is needed to open the form
    asker = Asker.of(client, body)
    metadata = {"response_url": asker.response_url, "channel_id": asker.channel_id}
    view = render.suggest_form("", metadata)
    try:
        client.views_open(trigger_id=body.get("trigger_id", ""), view=view.to_dict())
    except (SlackApiError, SlackClientError, OSError) as error:
        logger.warning("views.open failed: %s", error)
        asker.tell(render.notice(FORM_TOO_LATE))
