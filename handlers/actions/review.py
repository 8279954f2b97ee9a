"""Approve, Edit and Reject on a candidate (in the review channel or the queue), paging the
queue, and "Suggest a fact" on a lookup that found nothing. Deciding is for admins only,
re-checked on every click (handlers.middleware); anyone may suggest."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from handlers.common import refresh_queue, services_of, settle
from slackbot.core.curation import NotFound, Rejected
from slackbot.core.feeds import AlreadyDecided
from slackbot.slack import render
from slackbot.slack.delivery import Asker
from slackbot.slack.i18n import _, explained, translated
from slackbot.slack.modals import open_fact_form, open_reject_form, open_suggest_form
from slackbot.slack.services import Services
from storage.api import Candidate, StoreWriteError


def _clicked(body: dict[str, Any]) -> str:
    try:
        return str(body["actions"][0]["value"])
    except (KeyError, IndexError, TypeError):
        return ""


def _from_queue(body: dict[str, Any]) -> bool:
    return bool((body.get("container") or {}).get("is_ephemeral"))


def _pending(services: Services, body: dict[str, Any], asker: Asker) -> Candidate | None:
    """The clicked candidate while it waits for a decision; else the person is told why not."""
    try:
        candidate = services.review.candidate(_clicked(body))
    except NotFound as missing:
        asker.tell(render.notice(explained(missing)))
        return None
    if candidate.state != "pending":
        asker.tell(render.already_decided(candidate, services.timezone))
        return None
    return candidate


def approve(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    services = services_of(context)
    asker = Asker.of(client, body)
    try:
        decided, fact = services.review.approve(_clicked(body), asker.user_id)
    except AlreadyDecided as done:
        asker.tell(render.already_decided(done.candidate, services.timezone))
        return
    except NotFound as missing:
        asker.tell(render.notice(explained(missing)))
        return
    except Rejected as rejected:
        problems = " ".join(map(translated, rejected.errors.values()))
        not_yet = _("Not approved as it stands:")
        asker.tell(render.notice(f"{not_yet} {problems} {_('Use Edit to fix it.')}"))
        return
    except StoreWriteError as error:
        asker.tell(render.notice(render.not_saved(error)))
        return
    settle(services, decided, asker.response_url, _from_queue(body))
    if not _from_queue(body) and decided.review_ts is None:
        asker.tell(render.saved(fact, "approved"))


def edit(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    services = services_of(context)
    asker = Asker.of(client, body)
    candidate = _pending(services, body, asker)
    if candidate is None:
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
    asker = Asker.of(client, body)
    candidate = _pending(services, body, asker)
    if candidate is None:
        return
    metadata = {
        "candidate_id": candidate.id,
        "response_url": asker.response_url,
        "channel_id": asker.channel_id,
        "from_queue": _from_queue(body),
    }
    problem = open_reject_form(
        client, candidate, trigger_id=body.get("trigger_id", ""), metadata=metadata
    )
    if problem is not None:
        asker.tell(problem)


def page(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    services = services_of(context)
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
    """Anyone: opens the "Suggest a fact" form."""
    ack()
    del context  # nothing of the services is needed to open the form
    asker = Asker.of(client, body)
    metadata = {"response_url": asker.response_url, "channel_id": asker.channel_id}
    problem = open_suggest_form(client, trigger_id=body.get("trigger_id", ""), metadata=metadata)
    if problem is not None:
        asker.tell(problem)
