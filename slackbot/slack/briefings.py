"""Delivering a briefing in Slack: the file goes to the person in the app's DM
(conversations.open, then files.uploadV2 through slack_sdk's ``files_upload_v2``, which
needs the ``im:write`` and ``files:write`` scopes). A channel would show it to everyone;
a briefing is asked for by one person."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from slackbot.core import briefing
from slackbot.slack import render
from slackbot.slack.delivery import Asker
from slackbot.slack.i18n import _

logger = logging.getLogger(__name__)


def on_its_way(subject: str, kind: str) -> render.Message:
    return render.notice(
        _(
            "Your briefing on {subject} ({kind}: every fact with its source, the open claims "
            "and the timeline) is on its way to your direct messages with the app."
        ).format(subject=subject, kind=kind.upper())
    )


def upload(client: WebClient, asker: Asker, brief: briefing.Briefing, kind: str) -> None:
    """Uploads the briefing to the asker's DM; tells them what went wrong if it cannot."""
    content = briefing.render(brief, kind)
    try:
        opened = client.conversations_open(users=asker.user_id)
        channel = str(opened["channel"]["id"])
        client.files_upload_v2(
            channel=channel,
            content=content,
            filename=brief.filename(kind),
            title=_("Briefing: {subject}").format(subject=brief.subject.name),
            initial_comment=_(
                "Your briefing on {subject}: every fact with its status, date and source, the "
                "open claims and the timeline."
            ).format(subject=brief.subject.name),
        )
    # ValueError: slack_sdk's answer when Slack's reply lacks the upload URL or file id.
    except (SlackApiError, SlackClientError, OSError, KeyError, ValueError) as error:
        why = error.response.get("error") if isinstance(error, SlackApiError) else error
        logger.warning("a briefing could not be uploaded: %s", why)
        asker.tell(
            render.notice(
                _(
                    "Slack did not take the briefing file ({why}). Try {command} again in a "
                    "minute; if it keeps failing, the app may need reinstalling with the "
                    "files:write and im:write permissions."
                ).format(why=why, command=f"`/summit brief {brief.subject.name.lower()}`")
            )
        )
