"""The one APScheduler inside the app process: a cron job per active subscription, in the
subscription's own time zone. Jobs live in memory and are rebuilt from the store at start-up;
slots missed while the app was down are caught up by ``DigestService.catch_up``, not by
APScheduler (whose job stores drop missed runs)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import UTC
from typing import Protocol

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING

from slackbot.core.corrections import CorrectionService
from slackbot.core.digests import DigestService, trigger_for
from slackbot.core.feeds import FeedService

logger = logging.getLogger(__name__)

DELIVERY_THREADS = 8
# How often slots waiting for a retry (after 429s or 5xx) are looked at.
RETRY_CHECK_SECONDS = 15
RETRY_JOB = "digest-retries"
# How often feeds are looked at; each is fetched when its own interval has passed.
FEED_CHECK_SECONDS = 60
FEED_JOB = "feed-polls"
RESYNC_SECONDS = 10
RESYNC_JOB = "digest-resync"
# Corrections in the threads of posts whose facts were retracted or changed status.
CORRECTION_JOB = "corrections"
CORRECTION_SECONDS = 60


class Scheduling(Protocol):
    """What runs the scheduled work (one workspace's, or every workspace's): started by the
    one process of the embedded store, or led and left by the replicas' leader election."""

    def start(self) -> None: ...
    def lead(self) -> None: ...
    def step_down(self) -> None: ...
    def shutdown(self) -> None: ...
    def set_leader(self, leader: Callable[[], str | None]) -> None: ...

    def state(self) -> str:
        """ "running", "paused" (a replica that does not lead) or "stopped"."""
        ...


def scheduler_state(scheduler: BackgroundScheduler) -> str:
    return {STATE_RUNNING: "running", STATE_PAUSED: "paused"}.get(scheduler.state, "stopped")


def job_id(channel_id: str, prefix: str = "") -> str:
    return f"{prefix}digest:{channel_id}"


def background_scheduler(grace_seconds: int) -> BackgroundScheduler:
    return BackgroundScheduler(
        timezone=UTC,
        executors={"default": ThreadPoolExecutor(DELIVERY_THREADS)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": grace_seconds or 1,
        },
    )


class DigestScheduler:
    """One workspace's digests, corrections and feed polls, as jobs of its own APScheduler
    (many workspaces share one: ``slackbot.workspace_scheduling``)."""

    def __init__(
        self,
        service: DigestService,
        feeds: FeedService | None = None,
        corrections: CorrectionService | None = None,
    ) -> None:
        self.service = service
        self.feeds = feeds
        self.corrections = corrections
        self.feed_seconds = FEED_CHECK_SECONDS
        self.scheduler = background_scheduler(int(service.grace.total_seconds()))
        # The scheduler listens to the service's port; the service does not know it.
        service.events.changed.connect(self.sync)
        service.events.halted.connect(self.stop_jobs)
        self.retry_seconds = RETRY_CHECK_SECONDS

    def start(self) -> None:
        for subscription in self.service.store.subscriptions():
            self.sync(subscription.channel_id)
        self.scheduler.add_job(
            self.service.retry_due,
            trigger="interval",
            seconds=self.retry_seconds,
            id=RETRY_JOB,
            name="digest retries",
            replace_existing=True,
        )
        if self.feeds is not None:
            # Fetching runs on the feed service's own pool of four; this job only waits.
            self.scheduler.add_job(
                self.feeds.poll_due,
                trigger="interval",
                seconds=self.feed_seconds,
                id=FEED_JOB,
                name="feed polls",
                replace_existing=True,
                next_run_time=self.service.clock(),
            )
        if self.corrections is not None:
            self.scheduler.add_job(
                self.corrections.post_due,
                trigger="interval",
                seconds=CORRECTION_SECONDS,
                id=CORRECTION_JOB,
                name="corrections in threads",
                replace_existing=True,
            )
        self.scheduler.start()
        self.catch_up()

    def catch_up(self) -> None:
        caught_up = [o for o in self.service.catch_up() if o.kind not in ("skipped", "inactive")]
        for outcome in caught_up:
            logger.info("caught up a missed digest: %s", outcome.text)

    def lead(self) -> None:
        """This replica became the scheduler's leader: start, or go on after a pause.
        Subscriptions changed on other replicas reach the store, not this scheduler's jobs,
        so the jobs are matched to the store every ``RESYNC_SECONDS`` too."""
        if self.scheduler.state == STATE_PAUSED:
            self.scheduler.resume()
            self.resync()
            self.service.catch_up()
            return
        self.scheduler.add_job(
            self.resync,
            trigger="interval",
            seconds=RESYNC_SECONDS,
            id=RESYNC_JOB,
            name="jobs matched to subscriptions",
            replace_existing=True,
        )
        self.start()

    def step_down(self) -> None:
        """Another replica leads now: run nothing until this one leads again."""
        if self.scheduler.running:
            self.scheduler.pause()

    def state(self) -> str:
        return scheduler_state(self.scheduler)

    def set_leader(self, leader: Callable[[], str | None]) -> None:
        """Where the scheduler runs, for /digest status (several replicas)."""
        self.service.events.leader.answered_by(leader)

    def resync(self) -> None:
        """Every channel's job matched to its subscription, including channels whose
        subscription is gone."""
        channels = {s.channel_id for s in self.service.store.subscriptions()}
        digest_jobs = job_id("")
        for job in self.scheduler.get_jobs():
            if job.id.startswith(digest_jobs):
                channels.add(job.id.removeprefix(digest_jobs))
        for channel_id in channels:
            self.sync(channel_id)

    def stop_jobs(self) -> None:
        """Removes every job (the app may no longer post there)."""
        self.scheduler.remove_all_jobs()

    def sync(self, channel_id: str) -> None:
        """Makes the channel's job match its subscription (added, moved, or removed)."""
        subscription = self.service.store.subscription(channel_id)
        if (
            subscription is None
            or subscription.paused
            or subscription.suspended_reason
            or self.service.halted is not None
            or self.service.problem(subscription) is not None
        ):
            with contextlib.suppress(JobLookupError):
                self.scheduler.remove_job(job_id(channel_id))
            return
        self.scheduler.add_job(
            self.service.deliver_due,
            trigger=trigger_for(subscription),
            args=[channel_id],
            id=job_id(channel_id),
            name=f"digest for {channel_id}",
            replace_existing=True,
        )

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
