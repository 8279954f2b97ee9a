"""Developments that flow in: news feeds polled into deduplicated candidates, which wait in a
review queue until an admin approves (a fact) or rejects them. No Slack code here."""

from slackbot.core.feeds.fetching import Fetcher, FetchResult, RefusedAddress
from slackbot.core.feeds.parsing import FeedItem, ParsedFeed, parse_feed
from slackbot.core.feeds.recording import PollReport
from slackbot.core.feeds.review import AlreadyDecided, NotAbout, ReviewQueue
from slackbot.core.feeds.service import FeedService, FeedUsageError

__all__ = [
    "AlreadyDecided",
    "FeedItem",
    "FeedService",
    "FeedUsageError",
    "FetchResult",
    "Fetcher",
    "NotAbout",
    "ParsedFeed",
    "PollReport",
    "RefusedAddress",
    "ReviewQueue",
    "parse_feed",
]
