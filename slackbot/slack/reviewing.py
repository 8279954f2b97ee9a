"""The review channel: new candidates posted there (one message each, or one summary for a
large batch), paced at Slack's one message per second per channel; a decided candidate's
message updated in place (chat.update); proposers told by DM; feeds that fail or recover
announced once."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from slackbot.core.feeds import PollReport, ReviewQueue
from slackbot.core.intel import SummitIntel
from slackbot.slack import render
from storage.api import Candidate, StoreWriteError

logger = logging.getLogger(__name__)

# Slack allows about one message per second in a channel (short bursts aside).
CHANNEL_PACE_SECONDS = 1.0
# A review_ts of candidates announced together in one summary message: nothing to update.
SUMMARY_TS = "summary:"


class ReviewDesk:
    """Everything the review queue posts to Slack. Thread-safe."""

    def __init__(
        self,
        client: WebClient,
        queue: ReviewQueue,
        intel: SummitIntel,
        timezone: str,
        *,
        pace: float = CHANNEL_PACE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.queue = queue
        self.intel = intel
        self.timezone = timezone
        self.pace = pace
        self._monotonic = monotonic
        self._sleep = sleep
        self._last_post: dict[str, float] = {}
        self._pace_lock = threading.Lock()
        # One batch of posting at a time: a poll and a click never post the same candidate.
        self._posting = threading.Lock()

    # -- posting ------------------------------------------------------------------------

    def _wait_turn(self, channel_id: str) -> None:
        with self._pace_lock:
            last = self._last_post.get(channel_id)
            now = self._monotonic()
            wait = 0.0 if last is None else max(0.0, last + self.pace - now)
            self._last_post[channel_id] = now + wait
        if wait:
            self._sleep(wait)

    def _post(self, channel_id: str, message: render.Message) -> str | None:
        self._wait_turn(channel_id)
        try:
            posted = self.client.chat_postMessage(
                channel=channel_id, unfurl_links=False, unfurl_media=False, **message.to_dict()
            )
        except (SlackApiError, SlackClientError, OSError) as error:
            logger.warning("posting to the review channel %s failed: %s", channel_id, error)
            return None
        return str(posted["ts"])

    def after_poll(self, reports: Sequence[PollReport]) -> None:
        """After a feed poll: feed health news, then every candidate not yet posted."""
        channel_id = self.queue.review_channel()
        if channel_id is None:
            return
        for report in reports:
            if report.became_failing or report.recovered:
                self._post(channel_id, render.feed_health(report.feed, report.became_failing))
        self.post_waiting()

    def post_waiting(self) -> int:
        """Posts the pending candidates the channel has not seen (after a restart too);
        returns how many were announced."""
        channel_id = self.queue.review_channel()
        if channel_id is None:
            return 0
        with self._posting:
            waiting = self.queue.unposted()
            if not waiting:
                return 0
            if len(waiting) > render.SUMMARY_OVER:
                feeds = len({c.feed_id or c.proposed_by for c in waiting})
                ts = self._post(channel_id, render.review_summary(len(waiting), feeds))
                if ts is not None:
                    self.queue.mark_posted(waiting, channel_id, SUMMARY_TS + ts)
                return len(waiting) if ts else 0
            posted = 0
            for candidate in waiting:
                message = render.review_message(candidate, self.intel.entities, self.timezone)
                ts = self._post(channel_id, message)
                if ts is None:
                    break  # tried again after the next poll
                try:
                    self.queue.mark_posted([candidate], channel_id, ts)
                except StoreWriteError as error:
                    logger.error("could not record the review post of %s: %s", candidate.id, error)
                    break
                posted += 1
            return posted

    # -- decisions ------------------------------------------------------------------------

    def decided(self, candidate: Candidate) -> None:
        """Updates the candidate's review message in place and tells its proposer."""
        channel_id, ts = candidate.review_channel, candidate.review_ts
        if channel_id and ts and not ts.startswith(SUMMARY_TS):
            message = render.decided_message(candidate, self.intel.entities, self.timezone)
            try:
                self.client.chat_update(channel=channel_id, ts=ts, **message.to_dict())
            except (SlackApiError, SlackClientError, OSError) as error:
                logger.warning("chat.update of %s's review message failed: %s", candidate.id, error)
        if candidate.proposed_by:
            told = render.proposal_decided(candidate, self.timezone)
            try:
                self.client.chat_postMessage(channel=candidate.proposed_by, **told.to_dict())
            except (SlackApiError, SlackClientError, OSError) as error:
                logger.warning(
                    "telling %s of %s failed: %s", candidate.proposed_by, candidate.id, error
                )


class NoReviewChannel:
    """The console's review desk: the console has no channel to post candidates in. Its
    queue is read and decided by typing (``/summit queue``, ``/summit approve C3``), so
    there is nothing to post and nothing to update."""

    def after_poll(self, reports: Sequence[PollReport]) -> None:
        pass

    def post_waiting(self) -> int:
        return 0

    def decided(self, candidate: Candidate) -> None:
        pass
