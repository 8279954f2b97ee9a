"""/digest: a channel's digest subscription, or with ``me`` the person's own (a DM)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from handlers.common import ack_with_answer, command_text, may_change, not_yours, services_of
from slackbot.core.digests import (
    DigestRequest,
    UsageError,
    check_timezone,
    is_personal,
    parse_request,
    personal_request,
)
from slackbot.slack import render
from slackbot.slack.delivery import Asker, ensure_can_post, user_lookup
from slackbot.slack.i18n import _, explained
from slackbot.slack.services import Services

# What changes an existing digest (as do new schedules): only the person who set it up and
# the admins may.
CHANGING = frozenset({"track", "untrack", "pause", "resume", "off"})


def status(services: Services, channel_id: str, saved: str = "") -> render.Message:
    # The answer to a change says what was saved; the status alone adds every form.
    message = render.digest_status(services.digests.status(channel_id), usage=not saved)
    return render.prefixed(saved, message) if saved else message


def quick_answer(services: Services, channel_id: str, request: DigestRequest) -> render.Message:
    """The /digest answers that need no call to Slack."""
    digests = services.digests
    try:
        if request.action == "status":
            return status(services, channel_id)
        if request.action == "preview":
            return render.digest_preview(digests.preview(channel_id))
        if request.action in ("track", "untrack"):
            result = digests.track(channel_id, request.names, add=request.action == "track")
            notes = []
            if result.added:
                done = (
                    _("Tracking {names}.")
                    if request.action == "track"
                    else _("No longer tracking {names}.")
                )
                notes.append(done.format(names=", ".join(result.added)))
            if result.unknown:
                notes.append(
                    _("I don't know {names}; try {command} or a tag.").format(
                        names=", ".join(result.unknown), command="`/whois`"
                    )
                )
            for name, matches in result.ambiguous:
                notes.append(
                    _("“{name}” could be {matches}; be more specific.").format(
                        name=name, matches=", ".join(matches)
                    )
                )
            return status(services, channel_id, " ".join(notes))
        if request.action == "pause":
            digests.set_paused(channel_id, True)
            return status(services, channel_id, _("Paused."))
        if request.action == "off":
            digests.turn_off(channel_id)
            if is_personal(channel_id):
                return render.notice(_("Your personal digest is off. Nothing is kept."))
            return render.notice(_("Digests for this channel are off. Nothing is kept."))
    except UsageError as problem:
        return render.digest_usage(explained(problem))
    return render.digest_usage(_("Unknown /digest command."))


def slow_answer(
    services: Services,
    client: WebClient,
    channel_id: str,
    user_id: str,
    request: DigestRequest,
) -> render.Message:
    """The /digest answers that call Slack: scheduling, resuming and posting now."""
    digests = services.digests
    try:
        if request.action == "now":
            outcome = digests.post_now(channel_id)
            if outcome.kind == "posted":
                posted = (
                    _("Posted the digest to you as a DM: {result}.")
                    if is_personal(channel_id)
                    else _("Posted the digest here: {result}.")
                )
                return render.notice(posted.format(result=render.outcome_words(outcome)))
            if outcome.kind == "empty":
                return render.notice(
                    _("Nothing new: {result}. Nothing was posted.").format(
                        result=render.outcome_words(outcome)
                    )
                )
            return render.notice(
                _("The digest was not posted: {result}. {command} has the details.").format(
                    result=outcome.text, command="`/digest status`"
                )
            )
        if request.cadence is None and request.action not in ("resume",):
            return quick_answer(services, channel_id, request)
        # A personal digest goes to the person's DM with the app, which is always there.
        problem = None if is_personal(channel_id) else ensure_can_post(client, channel_id)
        if problem is not None:
            return render.notice(problem + " " + _("Nothing was changed."))
        if request.action == "resume":
            digests.set_paused(channel_id, False)
            return status(services, channel_id, _("Resumed."))
        timezone = request.timezone or user_timezone(client, user_id) or services.timezone
        digests.schedule(channel_id, request, check_timezone(timezone), user_id)
        return status(services, channel_id, _("Saved."))
    except UsageError as problem:
        return render.digest_usage(explained(problem))


def user_timezone(client: WebClient, user_id: str) -> str | None:
    """The person's time zone as their Slack profile has it, if it has a usable one."""
    user = user_lookup(client)(user_id)
    zone = user.get("tz") if user else None
    try:
        return check_timezone(zone) if isinstance(zone, str) and zone else None
    except UsageError:
        return None


def handle(ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    services = services_of(context)
    unavailable = services.surface.digests_unavailable()
    if unavailable is not None:
        ack_with_answer(ack, lambda: unavailable)
        return
    personal, words = personal_request(command_text(command))
    try:
        request = parse_request(words)
    except UsageError as problem:
        usage = render.digest_usage(explained(problem))
        ack_with_answer(ack, lambda: usage)
        return
    user_id = str(command["user_id"])
    # A personal digest is kept under the person's id: only they change it.
    channel_id = user_id if personal else str(command["channel_id"])
    changing = request.action in CHANGING or request.cadence is not None
    allowed = may_change(services, channel_id, user_id) if changing else True
    if allowed is False:
        ack_with_answer(ack, lambda: not_yours(services, channel_id))
        return
    if allowed and request.cadence is None and request.action not in ("now", "resume"):
        ack_with_answer(ack, lambda: quick_answer(services, channel_id, request))
        return
    # Slack is asked first (admin, membership, time zone, posting): acknowledge now, answer
    # through the response URL (or the fallbacks when it has expired).
    ack()
    asker = Asker.of(client, command)
    if allowed is None and not services.admins.is_admin(user_id):
        asker.tell(not_yours(services, channel_id))
        return
    asker.answer(lambda: slow_answer(services, client, channel_id, user_id, request))
