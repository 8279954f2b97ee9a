"""Getting messages to people: answers through response URLs with fallbacks, and digests
posted as a headline and a thread, with slack_sdk's retries for 429 and 5xx."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.webhook import WebhookClient

from slackbot.core.corrections import Correction
from slackbot.core.digests import Delivery, Digest, RecordPost
from slackbot.core.wording import N_
from slackbot.slack import render
from slackbot.slack.i18n import _
from storage.api import StoreWriteError, Subscription

logger = logging.getLogger(__name__)

# Errors that mean this channel cannot be posted to until someone acts.
SUSPENDING_ERRORS = {
    "channel_not_found": "the channel is gone, or I am not in it",
    "not_in_channel": "I was removed from the channel",
    "is_archived": "the channel is archived",
    "channel_is_archived": "the channel is archived",
    "restricted_action": "posting is restricted in the channel",
}


class SlackCorrectionPoster:
    """Replies a correction in the thread of the post that showed the fact."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def __call__(self, correction: Correction) -> bool:
        try:
            self.client.chat_postMessage(
                channel=correction.channel,
                thread_ts=correction.ts,
                unfurl_links=False,
                unfurl_media=False,
                **render.correction(correction).to_dict(),
            )
        except (SlackApiError, SlackClientError, OSError) as error:
            logger.warning("a correction to %s was not posted: %s", correction.channel, error)
            return False
        return True


class SlackDigestPoster:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    def __call__(
        self, subscription: Subscription, digest: Digest, record_post: RecordPost
    ) -> Delivery:
        headline, *thread = render.digest_messages(digest)
        channel = subscription.channel_id
        total = 1 + len(thread)
        try:
            posted = self.client.chat_postMessage(
                channel=channel, unfurl_links=False, unfurl_media=False, **headline.to_dict()
            )
        except SlackApiError as error:
            code = str(error.response.get("error", "error"))
            if code in SUSPENDING_ERRORS:
                return Delivery(False, reason=f"{SUSPENDING_ERRORS[code]} ({code})", suspend=True)
            retry_after = None
            if error.response.status_code == 429:
                try:
                    retry_after = float(error.response.headers.get("Retry-After", 1))
                except (TypeError, ValueError):
                    retry_after = 1.0
            return Delivery(False, reason=f"Slack answered {code}", retry_after=retry_after)
        except (SlackClientError, OSError) as error:
            return Delivery(False, reason=f"could not reach Slack ({type(error).__name__})")
        record_post(str(posted["ts"]), 1, total)
        for number, reply in enumerate(thread, start=2):
            try:
                self.client.chat_postMessage(
                    channel=channel,
                    thread_ts=posted["ts"],
                    unfurl_links=False,
                    unfurl_media=False,
                    **reply.to_dict(),
                )
            except (SlackApiError, SlackClientError, OSError) as error:
                logger.warning("digest thread reply to %s failed: %s", channel, error)
                return Delivery(True, complete=False, reason="a thread reply failed")
            record_post(str(posted["ts"]), number, total)
        return Delivery(True, complete=True)


@dataclass(frozen=True)
class CannotPost:
    """What to tell a person asking for posts in a place the app does not post to."""

    in_a_dm: str
    in_a_group_dm: str
    archived: str


DIGESTS_CANNOT_POST = CannotPost(
    in_a_dm=N_(
        "Digests are posted to channels, not to direct messages. Run `/digest daily 09:00` "
        "in the channel that should get it (public channels work at once; invite me to "
        "private ones), or `/digest me daily 08:00` for a digest of your own, as a DM."
    ),
    in_a_group_dm=N_(
        "Digests are posted to channels, not group DMs. Run `/digest daily 09:00` in a "
        "channel instead (public channels work at once; invite me to private ones)."
    ),
    archived=N_("This channel is archived, so no digest can be posted here."),
)
REVIEW_CANNOT_POST = CannotPost(
    in_a_dm=N_(
        "The review channel has to be a channel everyone reviewing is in; run "
        "`/summit review here` in one."
    ),
    in_a_group_dm=N_(
        "Candidates for review are posted to channels, not group DMs. Run "
        "`/summit review here` in a channel instead."
    ),
    archived=N_("This channel is archived, so no candidates can be posted here."),
)


def ensure_can_post(
    client: WebClient, channel_id: str, refusals: CannotPost = DIGESTS_CANNOT_POST
) -> str | None:
    """Makes sure the app can post in the channel, joining it when it is public. Returns
    what to tell the person when it cannot (``refusals`` say it for what is asked for)."""
    invite = _(
        "I can't post in this channel yet: it is private or a conversation I am not in. "
        "Invite me with {command}, then run the command again."
    ).format(command="`/invite @Summit Intel`")
    if channel_id.startswith("D"):
        # Only direct messages have D ids; Slack needs no asking.
        return _(refusals.in_a_dm)
    try:
        channel = client.conversations_info(channel=channel_id)["channel"]
    except SlackApiError as error:
        code = error.response.get("error")
        if code == "channel_not_found":
            return invite
        return _(
            "Slack would not tell me about this channel ({code}); try again in a moment."
        ).format(code=code)
    except SlackClientError:
        return _("I could not reach Slack; try again in a moment.")
    if channel.get("is_im"):
        return _(refusals.in_a_dm)
    if channel.get("is_mpim"):
        return _(refusals.in_a_group_dm)
    if channel.get("is_archived"):
        return _(refusals.archived)
    if channel.get("is_member"):
        return None
    if channel.get("is_private"):
        return invite
    try:
        client.conversations_join(channel=channel_id)
    except (SlackApiError, SlackClientError) as error:
        logger.warning("conversations.join %s failed: %s", channel_id, error)
        return invite
    return None


# -- answers after the acknowledgement -------------------------------------------------------


def post_to_response_url(response_url: str, payload: dict[str, Any]) -> str | None:
    """Posts to a response URL; returns why it failed, or None. A response URL works five
    times within 30 minutes; after that Slack answers 404 ``expired_url`` or ``used_url``,
    which slack_sdk returns rather than raises, so the answer has to be read."""
    try:
        response = WebhookClient(response_url, timeout=10).send_dict(payload)
    except (SlackClientError, OSError, ValueError) as error:
        return f"the response URL could not be reached ({type(error).__name__})"
    body = (response.body or "").strip()
    if response.status_code != 200 or body not in ("ok", '{"ok":true}', '{"ok": true}'):
        return f"the response URL answered {response.status_code} {body[:60]!r}"
    return None


def _api_problem(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error", "error"))
    return type(error).__name__


Attempt = tuple[str, Callable[[], object]]


def _first_that_works(attempts: list[Attempt]) -> tuple[str | None, list[str]]:
    """Runs the ways of delivering in order until one works: its name (None when none did),
    and what went wrong with the ones tried before."""
    problems: list[str] = []
    for name, attempt in attempts:
        try:
            attempt()
            return name, problems
        except (SlackApiError, SlackClientError, OSError) as error:
            problems.append(f"{name}: {_api_problem(error)}")
        except _ResponseUrlFailed as failed:
            problems.append(str(failed))
    return None, problems


class _ResponseUrlFailed(Exception):
    """A response URL answered with an error (expired, used up) or could not be reached."""


def _via_response_url(response_url: str, payload: dict[str, Any]) -> Callable[[], object]:
    def post() -> None:
        problem = post_to_response_url(response_url, {"replace_original": False, **payload})
        if problem is not None:
            raise _ResponseUrlFailed(problem)

    return post


def reply_privately(
    client: WebClient,
    message: render.Message,
    *,
    user_id: str,
    channel_id: str | None = None,
    response_url: str | None = None,
) -> bool:
    """An answer only ``user_id`` sees: through the response URL when there is one, else (or
    when it has expired) as an ephemeral message in the channel, else as a direct message
    from the app. Returns whether it arrived; what could not be delivered is logged."""
    payload = message.to_dict()
    attempts: list[Attempt] = []
    if response_url:
        ephemeral = {"response_type": "ephemeral", **payload}
        attempts.append(("response URL", _via_response_url(response_url, ephemeral)))
    if channel_id:
        attempts.append(
            (
                "chat.postEphemeral",
                lambda: client.chat_postEphemeral(channel=channel_id, user=user_id, **payload),
            )
        )
    attempts.append(("direct message", lambda: client.chat_postMessage(channel=user_id, **payload)))
    used, problems = _first_that_works(attempts)
    if used is not None:
        if problems:
            logger.info("answered %s by %s: %s", user_id, used, "; ".join(problems))
        return True
    logger.warning(
        "could not deliver an answer to %s (%s): %s",
        user_id,
        "; ".join(problems),
        message.text[:80],
    )
    return False


def post_in_channel(
    client: WebClient,
    message: render.Message,
    *,
    user_id: str,
    channel_id: str | None,
    response_url: str | None,
) -> str | None:
    """A message for everyone in the channel (a shared answer): with chat.postMessage where
    the app is a member, else through the response URL; when neither works the person is
    told why. Returns the post's ts when Slack gave one (a response URL gives none): a
    correction can then be replied in its thread."""
    payload = message.to_dict()
    attempts: list[Attempt] = []
    posted: dict[str, str] = {}
    if channel_id:

        def post() -> None:
            answer = client.chat_postMessage(
                channel=channel_id, unfurl_links=False, unfurl_media=False, **payload
            )
            posted["ts"] = str(answer["ts"])

        attempts.append(("chat.postMessage", post))
    if response_url:
        in_channel = {"response_type": "in_channel", **payload}
        attempts.append(("response URL", _via_response_url(response_url, in_channel)))
    used, problems = _first_that_works(attempts)
    if used is not None:
        return posted.get("ts", "")
    logger.warning("could not share in %s for %s: %s", channel_id, user_id, "; ".join(problems))
    reply_privately(
        client,
        render.notice(
            "I could not post that in the channel: invite me with `/invite @Summit Intel` "
            "and share it again."
        ),
        user_id=user_id,
        channel_id=channel_id,
    )
    return None


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
            message = render.notice(render.not_saved(error))
        except Exception:
            logger.exception("building an answer failed")
            message = render.notice(_(render.SOMETHING_WENT_WRONG))
        self.tell(message)

    def share(self, message: render.Message) -> str | None:
        """Everyone in the channel sees it; the post's ts when Slack gave one ("" when it
        went through the response URL), None when it could not be posted."""
        return post_in_channel(
            self.client,
            message,
            user_id=self.user_id,
            channel_id=self.channel_id,
            response_url=self.response_url,
        )


def display_name(client: WebClient) -> Callable[[str], str | None]:
    """A user id's display name from users.info (None when Slack cannot say)."""
    lookup = user_lookup(client)

    def name(user_id: str) -> str | None:
        user = lookup(user_id)
        if not user:
            return None
        profile = user.get("profile") or {}
        found = profile.get("display_name") or profile.get("real_name") or user.get("name")
        return str(found) if found else None

    return name
