"""Scheduled digests, as plain Python: parsing /digest, schedules (APScheduler cron triggers
in each channel's time zone), composing what moved since a channel's last digest, and
delivering each slot at most once, with missed slots caught up after a restart.

Posting is handed to a ``Deliver`` function, so this module needs no Slack."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, ParamSpec
from zoneinfo import ZoneInfo

from slackbot.core.digests.compose import Digest, compose
from slackbot.core.digests.events import DigestEvents
from slackbot.core.digests.parsing import DigestRequest, UsageError
from slackbot.core.digests.schedule import fire_times, local, next_run, slot_key, slot_time
from slackbot.core.digests.validity import subscription_problem
from slackbot.core.intel import SummitIntel
from slackbot.core.measures import DIGESTS, bounded
from slackbot.core.tags import normalise_tag
from slackbot.core.wording import N_, Said, said
from storage.api import Subscription, slot_retry_due, utc_now

Params = ParamSpec("Params")
logger = logging.getLogger(__name__)


DEFAULT_GRACE = timedelta(hours=6)


# The channel id of a digest composed for a preview: posted nowhere.
PREVIEW_CHANNEL = "preview"
# A slot Slack would not take is tried again after 30 s, 1 min, 2 min … at most 15 min apart.
RETRY_BASE = 30.0


RETRY_MAX = 15 * 60.0


@dataclass(frozen=True)
class Delivery:
    """What happened to a post: ``posted`` (Slack accepted the headline), ``complete`` (and
    every thread reply), or why not; ``suspend`` when the channel can no longer be posted to."""

    posted: bool
    complete: bool = False
    reason: str | None = None
    suspend: bool = False
    retry_after: float | None = None  # what Slack asked for with a 429


# Called with each post's ts as soon as Slack accepts it: (ts, how many posted, of how many).
RecordPost = Callable[[str, int, int], None]


Deliver = Callable[[Subscription, Digest, RecordPost], Delivery]


@dataclass(frozen=True)
class Outcome:
    """The result of asking for a digest, for the person or the log."""

    kind: str  # posted, empty, failed, suspended, skipped, inactive
    text: str
    digest: Digest | None = None


@dataclass(frozen=True)
class DigestStatus:
    """A channel's digest as ``/digest status`` shows it."""

    subscription: Subscription | None
    next_run: str | None  # the ISO moment; None when paused, suspended or none
    tracked: list[str]  # entity names and #tags
    interrupted: list[str]  # local times of digests cut off mid-post
    # With several replicas: the one whose scheduler posts digests now (None: none leads).
    leader: str | None = None
    several_replicas: bool = False
    channel_id: str = ""  # whose digest: a channel's id, or a person's (a personal digest)
    # Why a stored subscription cannot run (a bad value from an import or an old store).
    problem: Said | None = None


@dataclass
class TrackResult:
    subscription: Subscription
    added: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    ambiguous: list[tuple[str, list[str]]] = field(default_factory=list)


def _counted(deliver: Callable[Params, Outcome]) -> Callable[Params, Outcome]:
    """A delivery whose every outcome is counted for /metrics."""

    @functools.wraps(deliver)
    def counted(*args: Params.args, **kwargs: Params.kwargs) -> Outcome:
        outcome = deliver(*args, **kwargs)
        DIGESTS.labels(bounded(outcome.kind)).inc()
        return outcome

    return counted


class DigestService:
    """Subscriptions and their delivery. Thread-safe: scheduler threads and requests share it."""

    def __init__(
        self,
        intel: SummitIntel,
        deliver: Deliver | None,
        *,
        clock: Callable[[], datetime] = utc_now,
        grace: timedelta = DEFAULT_GRACE,
        events: DigestEvents | None = None,
    ) -> None:
        """``events``: the port through which it tells the app what happened (see
        ``DigestEvents``); the composition root connects the receivers."""
        self.intel = intel
        self.store = intel.store
        self.deliver = deliver
        self.clock = clock
        self.grace = grace
        self.events = events if events is not None else DigestEvents()
        # Why nothing may be posted any more (uninstalled, token revoked), once it is so.
        self.halted: str | None = None
        # One delivery at a time per channel: a scheduled run and /digest now never overlap.
        self._channel_locks: dict[str, threading.Lock] = {}
        # Slots being posted by this process right now (not interrupted ones).
        self._in_progress: set[str] = set()
        self._locks_guard = threading.Lock()
        self._reported_problems: set[tuple[str, str]] = set()

    def _now(self) -> datetime:
        return self.clock().astimezone(UTC)

    def _channel_lock(self, channel_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._channel_locks.setdefault(channel_id, threading.Lock())

    def _save(self, subscription: Subscription) -> Subscription:
        self.store.put_subscription(subscription)
        self.events.changed(subscription.channel_id)
        return subscription

    # -- the /digest commands ------------------------------------------------------

    def schedule(
        self,
        channel_id: str,
        request: DigestRequest,
        timezone: str,
        by: str,
    ) -> Subscription:
        now = self._now().isoformat(timespec="microseconds")
        existing = self.store.subscription(channel_id)
        base = existing or Subscription(
            channel_id=channel_id,
            cadence="daily",
            time="09:00",
            timezone=timezone,
            since=now,
            created_at=now,
            created_by=by,
        )
        return self._save(
            replace(
                base,
                cadence=request.cadence or base.cadence,
                time=request.time or base.time,
                weekday=request.weekday,
                timezone=timezone,
                paused=False,
                suspended_reason=None,
                # A new schedule starts from now: earlier slots are not "missed".
                created_at=now,
            )
        )

    def subscription(self, channel_id: str) -> Subscription | None:
        return self.store.subscription(channel_id)

    def status(self, channel_id: str) -> DigestStatus:
        subscription = self.store.subscription(channel_id)
        if subscription is None:
            return DigestStatus(None, None, [], [], channel_id=channel_id)
        problem = self.problem(subscription)
        upcoming = None if problem else self.next_run(subscription)
        tracked = []
        for entity_id in subscription.tracked_entities:
            entity = self.store.entity(entity_id)
            tracked.append(entity.name if entity else entity_id)
        tracked += [f"#{tag}" for tag in subscription.tracked_tags]
        return DigestStatus(
            subscription,
            upcoming.isoformat() if upcoming else None,
            tracked,
            self.interrupted(channel_id),
            leader=self.events.leader(),
            several_replicas=self.events.leader.answered,
            problem=problem,
            channel_id=channel_id,
        )

    def require(self, channel_id: str) -> Subscription:
        subscription = self.store.subscription(channel_id)
        if subscription is None:
            raise UsageError(
                said(
                    N_("This channel has no digest yet. Start one with {command}."),
                    command="`/digest daily 09:00`",
                )
            )
        return subscription

    def track(self, channel_id: str, names: tuple[str, ...], *, add: bool) -> TrackResult:
        subscription = self.require(channel_id)
        result = self._resolve(subscription, names, add=add)
        result.subscription = self._save(result.subscription)
        return result

    def _resolve(
        self, subscription: Subscription, names: tuple[str, ...], *, add: bool
    ) -> TrackResult:
        """What tracking (or untracking) ``names`` makes of the subscription, unsaved."""
        entities = list(subscription.tracked_entities)
        tags = list(subscription.tracked_tags)
        result = TrackResult(subscription)
        for name in names:
            tag = normalise_tag(name)
            matches = self.intel.matcher.match(name)
            if len(matches) == 1:
                target, label = entities, matches[0].id
                shown = matches[0].name
            elif tag in tags or self.store.has_tag(tag):
                target, label, shown = tags, tag, f"#{tag}"
            elif matches:
                result.ambiguous.append((name, [m.name for m in matches]))
                continue
            else:
                result.unknown.append(name)
                continue
            if add and label not in target:
                target.append(label)
            elif not add and label in target:
                target.remove(label)
            result.added.append(shown)
        result.subscription = replace(
            subscription, tracked_entities=tuple(entities), tracked_tags=tuple(tags)
        )
        return result

    def preview_anywhere(
        self, since: datetime, names: tuple[str, ...] = (), timezone: str = "UTC"
    ) -> tuple[Digest, TrackResult]:
        """The digest a channel tracking ``names`` (everything when none) would get for what
        moved since ``since``: nothing scheduled, nothing saved, no channel needed."""
        stamp = since.astimezone(UTC).isoformat(timespec="microseconds")
        draft = Subscription(
            PREVIEW_CHANNEL, "daily", "09:00", timezone, since=stamp, created_at=stamp
        )
        resolved = self._resolve(draft, names, add=True)
        digest = compose(self.intel, resolved.subscription, self._now(), include_unrecorded=True)
        return digest, resolved

    def moved_since(
        self, day: date, names: tuple[str, ...] = (), timezone: str = "UTC"
    ) -> tuple[Digest, TrackResult]:
        """What moved since ``day`` (``/summit since``), for ``names`` (everything when
        none), by the facts' own dates: facts reported or happening since the day, and
        status changes recorded since its midnight in ``timezone``."""
        start = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(timezone))
        stamp = start.astimezone(UTC).isoformat(timespec="microseconds")
        draft = Subscription(
            PREVIEW_CHANNEL, "daily", "09:00", timezone, since=stamp, created_at=stamp
        )
        resolved = self._resolve(draft, names, add=True)
        digest = compose(self.intel, resolved.subscription, self._now(), dated_from=day.isoformat())
        return digest, resolved

    def set_paused(self, channel_id: str, paused: bool) -> Subscription:
        subscription = self.require(channel_id)
        changes: dict[str, object] = {"paused": paused}
        if not paused:
            # Resuming also lifts a suspension: the person says the channel works again.
            changes["suspended_reason"] = None
            changes["created_at"] = self._now().isoformat(timespec="microseconds")
        return self._save(replace(subscription, **changes))  # type: ignore[arg-type]

    def turn_off(self, channel_id: str) -> None:
        self.require(channel_id)
        self.store.delete_subscription(channel_id)
        self.events.changed(channel_id)

    def next_run(self, subscription: Subscription) -> datetime | None:
        if subscription.paused or subscription.suspended_reason:
            return None
        return next_run(subscription, self._now())

    # -- delivery --------------------------------------------------------------------

    def preview(self, channel_id: str) -> Digest:
        subscription = self.require(channel_id)
        return self._compose(subscription, self._now())

    def _compose(self, subscription: Subscription, until: datetime) -> Digest:
        return compose(self.intel, subscription, until)

    def post_now(self, channel_id: str) -> Outcome:
        """/digest now: the channel's digest of what moved since its last one."""
        return self._deliver(self.require(channel_id), None, self._now())

    def deliver_due(self, channel_id: str) -> Outcome:
        """Posts the channel's latest scheduled slot if it is due, within the grace period,
        and not yet handled. The scheduler's jobs and the start-up catch-up both call this."""
        subscription = self.store.subscription(channel_id)
        if subscription is None or subscription.paused or subscription.suspended_reason:
            return Outcome("inactive", "not active")
        if self.problem(subscription) is not None:
            return Outcome("inactive", "stored with a bad value")
        now = self._now()
        start = max(
            now - self.grace,
            datetime.fromisoformat(subscription.created_at or now.isoformat()),
        )
        due = fire_times(subscription, start, now)
        if not due:
            return Outcome("skipped", "no slot due")
        return self._deliver(subscription, slot_key(subscription, due[-1]), now, due[-1])

    def catch_up(self) -> list[Outcome]:
        """After a start: every channel's slot missed while the app was down, within grace,
        and every slot that was waiting for a retry."""
        outcomes = [self.deliver_due(s.channel_id) for s in self.store.subscriptions()]
        return outcomes + self.retry_due()

    def retry_due(self) -> list[Outcome]:
        """Tries again every slot whose last try failed (429s, 5xx, Slack unreachable) once
        its pause is over; the scheduler calls this every few seconds."""
        now = self._now()
        outcomes = []
        for key, slot in self.store.open_slots().items():
            if not slot_retry_due(slot, now.isoformat()):
                continue
            subscription = self.store.subscription(key.split("|", 1)[0])
            if subscription is None or subscription.paused or subscription.suspended_reason:
                continue
            if self.problem(subscription) is not None:
                continue
            due = datetime.fromisoformat(slot.get("due") or slot["at"])
            outcomes.append(self._deliver(subscription, key, now, due, retry=True))
        return outcomes

    def problem(self, subscription: Subscription) -> Said | None:
        """Why a stored subscription cannot be scheduled, or None. Each bad one is logged
        at ERROR once, naming it; it is skipped and every other channel's digest runs."""
        problem = subscription_problem(subscription)
        if problem is not None:
            reported = (subscription.channel_id, str(problem))
            if reported not in self._reported_problems:
                self._reported_problems.add(reported)
                logger.error(
                    "the digest subscription of %s is stored with a bad value (%s): it is "
                    "skipped until /digest sets its schedule again",
                    subscription.channel_id,
                    problem,
                )
        return problem

    def halt(self, reason: str) -> None:
        """Stops every scheduled digest: the app can no longer post (uninstalled, or its
        token revoked). Subscriptions are kept for a reinstall, which restarts the app."""
        if self.halted is None:
            logger.warning("stopping every digest job: %s", reason)
        self.halted = reason
        self.events.halted()

    def interrupted(self, channel_id: str) -> list[str]:
        """Local times of this channel's digests that were cut off mid-post (claimed, or
        part-posted, by a process that died): their developments may repeat."""
        return sorted(
            slot_time(key)
            for key, slot in self.store.open_slots(channel_id).items()
            if slot.get("status") in ("claimed", "posting") and key not in self._in_progress
        )

    def _record(self, key: str | None, record: dict[str, Any], sub: Subscription | None) -> None:
        """Records a scheduled slot's state (and the subscription's new marks) in one write;
        a manual post (no slot) only updates the subscription."""
        if key is not None:
            self.store.record_slot(key, record, sub)
        elif sub is not None:
            self.store.put_subscription(sub)

    def _settle_interrupted(self, channel_id: str, current: str | None) -> None:
        """Once a digest carrying their developments is posted, interrupted slots are done."""
        for key, slot in self.store.open_slots(channel_id).items():
            if key != current and slot.get("status") in ("claimed", "posting"):
                self.store.record_slot(key, {**slot, "status": "interrupted"})

    @_counted
    def _deliver(
        self,
        subscription: Subscription,
        key: str | None,
        now: datetime,
        due: datetime | None = None,
        *,
        retry: bool = False,
    ) -> Outcome:
        """Posts the digest for a scheduled slot (``key``, due at ``due``) or on request."""
        if self.halted is not None:
            return Outcome("inactive", f"not posted: {self.halted}")
        with self._channel_lock(subscription.channel_id):
            previous = self.store.slot(key) if key is not None else None
            if previous is not None and not (retry and previous.get("status") == "retrying"):
                return Outcome("skipped", f"slot {key} already handled")
            subscription = self.store.subscription(subscription.channel_id) or subscription
            interrupted = self.interrupted(subscription.channel_id)
            digest = replace(self._compose(subscription, now), interrupted=interrupted)
            stamp = now.isoformat(timespec="microseconds")
            due_stamp = (due or now).isoformat(timespec="microseconds")
            tz = subscription.timezone
            since = local(subscription.since, tz)
            if digest.empty:
                text = f"nothing new since {since}"
                if key is not None:
                    # An empty scheduled slot is recorded too, so a restart cannot re-run it.
                    noted = replace(
                        subscription, last_result=f"{local(now, tz)}: {text}; nothing posted"
                    )
                    self._record(key, {"status": "empty", "at": stamp, "due": due_stamp}, noted)
                return Outcome("empty", text, digest)
            if self.deliver is None:
                return Outcome("failed", "digests can only be posted when connected to Slack")
            slot: dict[str, Any] = {"status": "claimed", "at": stamp, "due": due_stamp}
            if previous is not None:
                slot |= {k: previous[k] for k in ("first_error_at", "attempts") if k in previous}
            # Claimed before posting: a crash mid-post can never lead to a second post.
            # Checked again under the store's write lock, which on PostgreSQL first catches
            # up with every replica: of two leaders at once, one claims and one skips.
            if key is not None:
                with self.store.transaction():
                    if self.store.slot(key) != previous:
                        return Outcome("skipped", f"slot {key} already handled")
                    self._record(key, slot, None)
                self._in_progress.add(key)

            def record_post(ts: str, number: int, total: int) -> None:
                # Written the moment Slack accepts each post: a kill between two posts leaves
                # a slot that says how far it got, never one that is posted twice.
                slot.update(status="posting", ts=slot.get("ts", ts), posted=number, of=total)
                if key is not None:
                    self._record(key, dict(slot), None)

            try:
                delivery = self.deliver(subscription, digest, record_post)
            finally:
                if key is not None:
                    self._in_progress.discard(key)
            count = len(digest.developments)
            if delivery.posted and slot.get("ts"):
                try:
                    self.events.posted(subscription.channel_id, str(slot["ts"]), digest)
                except Exception:
                    # Only its later corrections are at stake; the digest itself is posted.
                    logger.exception("could not remember what the digest showed")
            if delivery.posted:
                result = f"{local(now, tz)}: posted {count} development(s)"
                updated = replace(subscription, last_digest_at=stamp, last_result=result)
                if delivery.complete:
                    # The mark moves only once Slack accepted everything.
                    updated = replace(updated, since=digest.until)
                    slot["status"] = "posted"
                else:
                    updated = replace(
                        updated, last_result=result + f", thread incomplete: {delivery.reason}"
                    )
                    slot["status"] = "interrupted"
                self._record(key, slot, updated)
                if delivery.complete:
                    self._settle_interrupted(subscription.channel_id, key)
                return Outcome("posted", f"posted {count} development(s)", digest)
            reason = delivery.reason or "unknown error"
            if delivery.suspend:
                updated = replace(
                    subscription,
                    suspended_reason=reason,
                    last_result=f"{local(now, tz)}: not posted: {reason}",
                )
                self._record(key, slot | {"status": "failed", "error": reason}, updated)
                self.events.changed(subscription.channel_id)
                return Outcome("suspended", reason, digest)
            if key is None:
                updated = replace(
                    subscription, last_result=f"{local(now, tz)}: not posted: {reason}"
                )
                self._record(None, {}, updated)
                return Outcome("failed", reason, digest)
            return self._retry_later(subscription, key, slot, now, due or now, reason, delivery)

    def _retry_later(
        self,
        subscription: Subscription,
        key: str,
        slot: dict[str, Any],
        now: datetime,
        due: datetime,
        reason: str,
        delivery: Delivery,
    ) -> Outcome:
        """A slot Slack would not take (429, 5xx, unreachable) is tried again with a growing
        pause (at least Slack's Retry-After) until the grace period after it was due runs
        out; the state is in the store, so a restart goes on retrying."""
        tz = subscription.timezone
        attempts = int(slot.get("attempts", 0)) + 1
        first = slot.get("first_error_at") or now.isoformat(timespec="microseconds")
        pause = max(delivery.retry_after or 0.0, min(RETRY_BASE * 2 ** (attempts - 1), RETRY_MAX))
        next_try = now + timedelta(seconds=pause)
        if next_try - due > self.grace:
            result = (
                f"{local(now, tz)}: not posted: {reason}; gave up after {attempts} tries since "
                f"{local(first, tz)}. Its developments go into the next digest."
            )
            state = {"status": "failed", "error": reason, "attempts": attempts}
            self._record(key, slot | state, replace(subscription, last_result=result))
            logger.warning("digest slot %s given up: %s", key, reason)
            return Outcome("failed", reason)
        state = {
            "status": "retrying",
            "error": reason,
            "attempts": attempts,
            "first_error_at": first,
            "next_try": next_try.isoformat(timespec="microseconds"),
        }
        result = (
            f"retrying since {local(first, tz)}, last error: {reason}; next try "
            f"{local(next_try, tz)}"
        )
        self._record(key, slot | state, replace(subscription, last_result=result))
        return Outcome("retrying", reason)
