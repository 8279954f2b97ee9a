"""Scheduled digests, as plain Python: parsing /digest (parsing), schedules and slots
(schedule), what goes into a digest (compose), and subscriptions with exactly-once delivery
(service). Posting is handed to a ``Deliver`` function, so none of it needs Slack."""

from slackbot.core.digests.compose import (
    Development,
    Digest,
    DigestGroup,
    compose,
    tracked_entity_ids,
)
from slackbot.core.digests.parsing import (
    CADENCES,
    WEEKDAYS,
    DigestRequest,
    UsageError,
    check_timezone,
    is_personal,
    parse_request,
    personal_request,
)
from slackbot.core.digests.schedule import (
    describe_schedule,
    fire_times,
    local,
    next_run,
    slot_key,
    slot_time,
    trigger_for,
)
from slackbot.core.digests.service import (
    DEFAULT_GRACE,
    PREVIEW_CHANNEL,
    RETRY_BASE,
    RETRY_MAX,
    Deliver,
    Delivery,
    DigestService,
    DigestStatus,
    Outcome,
    RecordPost,
    TrackResult,
)

__all__ = [
    "CADENCES",
    "DEFAULT_GRACE",
    "PREVIEW_CHANNEL",
    "RETRY_BASE",
    "RETRY_MAX",
    "WEEKDAYS",
    "Deliver",
    "Delivery",
    "Development",
    "Digest",
    "DigestGroup",
    "DigestRequest",
    "DigestService",
    "DigestStatus",
    "Outcome",
    "RecordPost",
    "TrackResult",
    "UsageError",
    "check_timezone",
    "compose",
    "describe_schedule",
    "fire_times",
    "is_personal",
    "local",
    "next_run",
    "parse_request",
    "personal_request",
    "slot_key",
    "slot_time",
    "tracked_entity_ids",
    "trigger_for",
]
