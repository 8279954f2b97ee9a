"""Whether a stored digest subscription can be scheduled, checked as ``/digest`` checks
what is typed. A subscription normally comes from the command, but an import or an older
or hand-edited store may hold one with a time zone such as ``Mars/Olympus``: it is then
refused at import, and where one is already stored, skipped (the others still run) and
shown in ``/digest status`` with what fixes it, rather than stopping the app."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slackbot.core.wording import N_, Said, said
from storage.api import Subscription

CADENCES = ("daily", "weekdays", "weekly")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
# A channel (C…, G…), a person's DM digest (U…, W…): Slack's ids are upper-case A-Z0-9.
_CHANNEL = re.compile(r"[CGDUW][A-Z0-9]{2,}")


def _moment(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def subscription_problem(subscription: Subscription) -> Said | None:
    """What is wrong with a stored subscription, or None when it can be scheduled."""
    if not isinstance(subscription.channel_id, str) or not _CHANNEL.fullmatch(
        subscription.channel_id
    ):
        return said(N_("its channel id “{value}” is not a Slack id"), value=subscription.channel_id)
    if subscription.cadence not in CADENCES:
        return said(
            N_("its cadence “{value}” is not one of daily, weekdays or weekly"),
            value=str(subscription.cadence)[:40],
        )
    if not isinstance(subscription.time, str) or not _TIME.fullmatch(subscription.time):
        return said(N_("its time “{value}” is not HH:MM"), value=str(subscription.time)[:40])
    try:
        ZoneInfo(subscription.timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return said(
            N_("its time zone “{value}” is not a time zone"),
            value=str(subscription.timezone)[:40],
        )
    if subscription.cadence == "weekly" and subscription.weekday not in WEEKDAYS:
        return said(
            N_("its weekday “{value}” is not one of mon … sun"),
            value=str(subscription.weekday)[:40],
        )
    for name in (*subscription.tracked_entities, *subscription.tracked_tags):
        if not isinstance(name, str) or not name:
            return said(N_("it tracks “{value}”, which is not a name"), value=str(name)[:40])
    if not _moment(subscription.since):
        # Every digest covers what moved since its last: the commands always set it.
        return said(
            N_("its since “{value}” is not a date and time"), value=str(subscription.since)[:40]
        )
    for field in ("created_at",):
        value = getattr(subscription, field)
        if value and not _moment(value):
            return said(
                N_("its {field} “{value}” is not a date and time"),
                field=field,
                value=str(value)[:40],
            )
    if subscription.last_digest_at is not None and not _moment(subscription.last_digest_at):
        return said(
            N_("its last_digest_at “{value}” is not a date and time"),
            value=str(subscription.last_digest_at)[:40],
        )
    return None
