"""Schedule maths: APScheduler cron triggers in each channel's own time zone, slots (a
channel's scheduled local date and time), and times in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from storage.api import Subscription


def trigger_for(subscription: Subscription) -> CronTrigger:
    hour, minute = (int(part) for part in subscription.time.split(":"))
    day_of_week = {"daily": "*", "weekdays": "mon-fri"}.get(
        subscription.cadence, subscription.weekday or "mon"
    )
    return CronTrigger(
        day_of_week=day_of_week,
        hour=hour,
        minute=minute,
        timezone=ZoneInfo(subscription.timezone),
    )


def describe_schedule(subscription: Subscription) -> str:
    days = {"daily": "every day", "weekdays": "every weekday"}.get(
        subscription.cadence, f"every {(subscription.weekday or 'mon').capitalize()}"
    )
    return f"{days} at {subscription.time} {subscription.timezone}"


def slot_key(subscription: Subscription, fire_time: datetime) -> str:
    """A slot is the channel's scheduled *local* date and time. APScheduler fires a time in
    the repeated autumn hour twice; both fires map to the same slot, so it posts once."""
    local_day = fire_time.astimezone(ZoneInfo(subscription.timezone)).date().isoformat()
    return f"{subscription.channel_id}|{local_day}T{subscription.time}"


def slot_time(key: str) -> str:
    """A slot's local date and time in words, from its key: 'Tue 24 Nov 2026 09:00'."""
    stamp = key.rsplit("|", 1)[-1]
    try:
        return datetime.strptime(stamp, "%Y-%m-%dT%H:%M").strftime("%a %d %b %Y %H:%M")
    except ValueError:
        return stamp


def fire_times(subscription: Subscription, start: datetime, end: datetime) -> list[datetime]:
    """The trigger's fire times in (start, end], in UTC."""
    trigger = trigger_for(subscription)
    times: list[datetime] = []
    previous = None
    now = start.astimezone(UTC) + timedelta(microseconds=1)
    while True:
        fire = trigger.get_next_fire_time(previous, now)
        if fire is None or fire > end:
            return times
        # Step on in UTC: local wall-clock arithmetic loses the fold of a repeated hour.
        fire = fire.astimezone(UTC)
        times.append(fire)
        previous, now = fire, fire + timedelta(seconds=1)


def next_run(subscription: Subscription, now: datetime) -> datetime | None:
    """When the next digest really goes out, in UTC. APScheduler can name a local time that
    does not exist (02:30 on a spring-forward day); through UTC it becomes the moment it
    fires (03:30 the new offset)."""
    fire: datetime | None = trigger_for(subscription).get_next_fire_time(None, now)
    return fire.astimezone(UTC) if fire is not None else None


def local(moment: datetime | str, timezone: str) -> str:
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return when.astimezone(ZoneInfo(timezone)).strftime("%a %d %b %Y %H:%M %Z")
