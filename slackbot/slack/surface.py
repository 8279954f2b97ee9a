"""Where the app answers: in Slack, or at the local console.

A few things only Slack has: a channel to post candidates in, a scheduler polling feeds,
channels for digests, forms, file uploads, the Undo button under a retraction. Each
listener asks its workspace's surface (``Services.surface``) to do such a thing, and the
console's surface does what the console can instead (prints, polls when asked, asks for a
confirmation), so no listener asks where it is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from slack_bolt import Ack, BoltResponse

from slackbot.core import briefing
from slackbot.core.claims import SubjectUnclear
from slackbot.core.curation import FactDraft
from slackbot.core.wording import N_
from slackbot.slack import briefings, render
from slackbot.slack.answering import ephemeral_body
from slackbot.slack.delivery import REVIEW_CANNOT_POST, Asker, ensure_can_post
from slackbot.slack.i18n import _
from slackbot.slack.modals import open_fact_form
from storage.api import Feed

if TYPE_CHECKING:  # the services hold their surface
    from slackbot.slack.services import Services

# A console answer is one message: a longer briefing is cut, and the CLI prints it whole.
CONSOLE_BRIEF_CHARS = 2700
# The last word of a retraction confirmed where there is no Undo button (the console).
CONFIRM = "--yes"
DIGESTS_IN_CONSOLE = N_(
    "Digests live in Slack: someone runs {channel} in a channel and the app posts there, or "
    "{personal} for a digest of their own, as a DM. Here, see what one would say with "
    "{preview}."
)


@dataclass(frozen=True)
class Briefed:
    """A briefing asked for: by ``name``, about ``subject`` (its display name), as ``kind``."""

    name: str
    subject: str
    kind: str


class Surface(Protocol):
    """What a listener asks of the place it answers in."""

    def review_here(self, services: Services, asker: Asker) -> render.Message:
        """Makes the asker's channel the review channel."""

    def feed_added(self, feed: Feed) -> render.Message:
        """What to say of a feed just added (when it will be polled)."""

    def poll(self, services: Services, ids: list[str] | None, asker: Asker) -> render.Message:
        """Polls the feeds (``ids``, or every active one)."""

    def digests_unavailable(self) -> render.Message | None:
        """Why digests cannot be set up here, or None where they can."""

    def unconfirmed_retraction(
        self, services: Services, fact_id: str, reason: str
    ) -> render.Message | None:
        """What to ask before retracting where there is no Undo button, or None."""

    def brief(self, ack: Ack, services: Services, asked: Briefed, asker: Asker) -> None:
        """Sends the briefing asked for (its name resolved already to one subject)."""

    def fact_form(
        self, ack: Ack, services: Services, asker: Asker, command: dict[str, Any], edit: str | None
    ) -> None:
        """Opens the Add fact form, or the Edit form of fact ``edit``."""


def acknowledge(ack: Ack, message: render.Message) -> None:
    """Acknowledges a slash command with ``message``, seen by the asker alone."""
    ack.response = BoltResponse(status=200, body=ephemeral_body(message))


class SlackSurface:
    def review_here(self, services: Services, asker: Asker) -> render.Message:
        problem = ensure_can_post(asker.client, asker.channel_id or "", REVIEW_CANNOT_POST)
        if problem is not None:
            return render.notice(problem)
        services.review.set_review_channel(asker.channel_id or "", asker.user_id)
        services.announce_waiting()
        text = _(
            "New candidates for review will be posted in {channel}, with Approve, Edit and "
            "Reject buttons. {queue} lists those waiting."
        ).format(channel=f"<#{asker.channel_id}>", queue="`/summit queue`")
        return render.Message(text, [render.section(text)], markup=True)

    def feed_added(self, feed: Feed) -> render.Message:
        return render.feed_changed(
            feed,
            _("was added; it is polled every {minutes} min, the first time within a minute").format(
                minutes=feed.interval_minutes
            ),
        )

    def poll(self, services: Services, ids: list[str] | None, asker: Asker) -> render.Message:
        services.feeds.poll_in_background(
            ids, lambda reports: asker.tell(render.poll_done(reports))
        )
        return render.notice(
            _("Polling feed {id} now; I'll tell you here what came of it.").format(id=ids[0])
            if ids
            else _("Polling every active feed now; I'll tell you here what came of it.")
        )

    def digests_unavailable(self) -> render.Message | None:
        return None

    def unconfirmed_retraction(
        self, services: Services, fact_id: str, reason: str
    ) -> render.Message | None:
        return None  # the answer has an Undo button

    def brief(self, ack: Ack, services: Services, asked: Briefed, asker: Asker) -> None:
        # Acknowledged first: a briefing reads every fact about its subject.
        acknowledge(ack, briefings.on_its_way(asked.subject, asked.kind))
        found = briefing.briefing(services.intel, asked.name)
        if isinstance(found, SubjectUnclear):  # the entities changed in between
            asker.tell(render.subject_unclear(found))
            return
        briefings.upload(asker.client, asker, found, asked.kind)

    def fact_form(
        self, ack: Ack, services: Services, asker: Asker, command: dict[str, Any], edit: str | None
    ) -> None:
        # The form must open within 3 seconds of the trigger: acknowledge, then open it.
        ack()
        fact = services.curator.fact(edit) if edit else None
        if edit and fact is None:
            asker.tell(render.no_fact_to_edit(edit))
            return
        problem = open_fact_form(
            asker.client,
            services,
            user_id=asker.user_id,
            trigger_id=command.get("trigger_id", ""),
            draft=FactDraft.of(fact) if fact else FactDraft(),
            fact=fact,
            response_url=asker.response_url,
            channel_id=asker.channel_id,
        )
        if problem is not None:
            asker.tell(problem)


class ConsoleSurface:
    """The console: no channel, no scheduler, no form, no upload, no Undo button."""

    def review_here(self, services: Services, asker: Asker) -> render.Message:
        return render.notice(
            _(
                "The review channel is a Slack channel; in the console, {queue} lists the "
                "candidates and {poll} polls."
            ).format(queue="`/summit queue`", poll="`summitbot feeds poll`")
        )

    def feed_added(self, feed: Feed) -> render.Message:
        return render.feed_changed(
            feed,
            _(
                "was added. The console does not poll feeds on a schedule: {poll} polls now, "
                "and {queue} lists what it found (connected to Slack, the app polls it)"
            ).format(poll="`/summit feeds poll`", queue="`/summit queue`"),
        )

    def poll(self, services: Services, ids: list[str] | None, asker: Asker) -> render.Message:
        return render.poll_done(services.feeds.poll(ids))

    def digests_unavailable(self) -> render.Message | None:
        return render.notice(
            _(DIGESTS_IN_CONSOLE).format(
                channel="`/digest daily 09:00`",
                personal="`/digest me daily 08:00`",
                preview="`summitbot digest --preview --since 2024-05-01 --track samsung,hbm`",
            )
        )

    def unconfirmed_retraction(
        self, services: Services, fact_id: str, reason: str
    ) -> render.Message | None:
        if reason.split()[-1:] == [CONFIRM]:
            return None
        fact = services.curator.fact(fact_id)
        if fact is None:
            return render.notice(_("There is no fact {id}.").format(id=render.flat(fact_id)))
        return render.notice(
            _(
                "Retract {id} (“{statement}”)? Run {confirm} to confirm; {restore} undoes it."
            ).format(
                id=fact.id,
                statement=render.flat(fact.statement),
                confirm=f"`/summit retract {fact.id} {reason} {CONFIRM}`",
                restore=f"`/summit restore {fact.id}`",
            )
        )

    def brief(self, ack: Ack, services: Services, asked: Briefed, asker: Asker) -> None:
        kind = asked.kind
        found = briefing.briefing(services.intel, asked.name)
        if isinstance(found, SubjectUnclear):
            acknowledge(ack, render.subject_unclear(found))
            return
        text = briefing.render(found, kind)
        if len(text) > CONSOLE_BRIEF_CHARS:
            whole = f"summitbot brief {found.subject.name.lower()} --format {kind}"
            text = f"{text[:CONSOLE_BRIEF_CHARS]}…\n(the whole briefing: `{whole}`)"
        acknowledge(ack, render.notice(text))

    def fact_form(
        self, ack: Ack, services: Services, asker: Asker, command: dict[str, Any], edit: str | None
    ) -> None:
        acknowledge(
            ack,
            render.notice(
                _(
                    "Adding and editing facts uses Slack's form. In the console, curate in "
                    "bulk with {command} (JSON Lines; {export} shows the format)."
                ).format(command="`summitbot import FILE`", export="`summitbot export`")
            ),
        )
