"""What the app counts and times, as Prometheus metrics (prometheus-client), for the
``/metrics`` an operator scrapes (slackbot.telemetry serves it).

Defined here, at the bottom of the app's layers, so that each part counts what it alone
knows: the server its requests, the Slack layer its Web API calls, the domain its digests,
polls and review decisions (storage times its own writes: storage.measures). Every label
has a bounded set of values: no user, channel or workspace id is ever a label, and names
that come from outside (commands, Slack's error codes, event types) are cut to a known
set or a short safe word (``bounded``).

With several serving processes prometheus-client's multi-process mode keeps each
process's values in files under ``PROMETHEUS_MULTIPROC_DIR``, which the parent of
``summitbot serve --processes N`` sets before anything is counted.
"""

from __future__ import annotations

import re

from prometheus_client import Counter, Gauge, Histogram

# The commands the app registers (slackbot.slack.manifest); any other is "other".
COMMANDS = frozenset({"/who", "/whois", "/chips", "/summit", "/digest"})
SURFACES = frozenset(
    {"command", "action", "view", "shortcut", "options", "event", "oauth", "other"}
)
_SAFE = re.compile(r"[a-z0-9_.]{1,40}")

REQUESTS = Histogram(
    "summitbot_request_seconds",
    "Time from a Slack request's arrival to its answer (the acknowledgement)",
    ["surface", "command"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SLOW_ACKS = Counter(
    "summitbot_slow_acks",
    "Acknowledgements that took longer than 2.5 s (Slack gives up at 3 s)",
    ["surface"],
)
WEB_API_CALLS = Counter(
    "summitbot_web_api_calls",
    "Slack Web API calls by method and result: ok, Slack's error code, 429, or unreachable",
    ["method", "result"],
)
DIGESTS = Counter(
    "summitbot_digests",
    "Digest deliveries by outcome (posted, empty, retrying, failed…)",
    ["outcome"],
)
FEED_POLLS = Counter(
    "summitbot_feed_polls", "Feed polls by result (new, not_modified, failed)", ["result"]
)
CANDIDATES = Counter("summitbot_candidates_created", "Candidates the feed polls proposed")
REVIEW_DECISIONS = Counter(
    "summitbot_review_decisions", "Review-queue decisions by kind", ["decision"]
)
LEADER = Gauge(
    "summitbot_leader",
    "1 where this process runs the scheduler (leads), else 0",
    multiprocess_mode="max",
)
SLOW_ACK_SECONDS = 2.5


def bounded(value: str | None, known: frozenset[str] | None = None) -> str:
    """A label value from outside, kept to a bounded set: one of ``known``, else a short
    lower-case word (Slack's error codes are such words), else "other"."""
    if not value:
        return "none"
    if known is not None:
        return value if value in known else "other"
    return value if _SAFE.fullmatch(value) else "other"


def command_label(command: str | None) -> str:
    return bounded(command, COMMANDS)
