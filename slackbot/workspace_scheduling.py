"""Scheduled work for many workspaces: one APScheduler, run by the replica that leads,
holding no workspace it is not working for.

A job names its workspace and channel, not the workspace's services: when it runs it asks
the tenancy for them (``WorkspaceTenants.using``), so the leader, like every replica, holds
at most SUMMITBOT_WORKSPACE_CACHE workspaces, loading one when its digest is due and letting
it go when others need the room. What the jobs are, and which workspaces have work due, is
asked of the database across every workspace (``storage.api.Workspaces``: subscriptions,
retries, feeds and corrections due, each one query) rather than of each workspace's store.

Every ``RESYNC_SECONDS`` the leader matches the digest jobs to every workspace's
subscriptions (new installations taken up, workspaces that left dropped) and deletes the
data of workspaces whose retention after an uninstall is over. A subscription saved in a
workspace this process holds moves its job at once (its digests' ``changed`` signal)."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.base import STATE_PAUSED

from slackbot.core.corrections import MARK
from slackbot.core.digests import fire_times, trigger_for
from slackbot.core.digests.validity import subscription_problem
from slackbot.core.feeds.recording import iso
from slackbot.scheduler import (
    CORRECTION_SECONDS,
    FEED_CHECK_SECONDS,
    RESYNC_SECONDS,
    RETRY_CHECK_SECONDS,
    background_scheduler,
    job_id,
    scheduler_state,
)
from slackbot.slack.tenants import Tenant
from slackbot.tenancy import WorkspaceTenants
from storage.api import Subscription

logger = logging.getLogger(__name__)

WORKSPACES_JOB = "workspaces"
# Workspaces looked at at once by the periodic looks (each look mostly waits on Slack).
SWEEP_THREADS = 8
# The periodic looks, how often, and which workspaces each asks the database for.
SWEEPS = {
    "retries": RETRY_CHECK_SECONDS,
    "feeds": FEED_CHECK_SECONDS,
    "corrections": CORRECTION_SECONDS,
}


def _when(subscription: Subscription) -> tuple[str, str, str, str | None]:
    """What a digest job's trigger is made of: a job is added again only when it moves."""
    return (subscription.cadence, subscription.time, subscription.timezone, subscription.weekday)


def _schedulable(subscription: Subscription) -> bool:
    return (
        not subscription.paused
        and not subscription.suspended_reason
        and subscription_problem(subscription) is None
    )


class WorkspaceScheduling:
    """Every installed workspace's digests, retries, feed polls and corrections, on one
    APScheduler (``slackbot.scheduler.Scheduling``). One workspace's trouble (a revoked
    token, 429s) stays in its own jobs: each posts for one channel with its workspace's
    token, and the scheduler's pool runs others meanwhile."""

    def __init__(self, tenants: WorkspaceTenants, grace_seconds: int) -> None:
        self.tenants = tenants
        self.workspaces = tenants.workspaces
        self.grace = timedelta(seconds=grace_seconds)
        self.scheduler = background_scheduler(grace_seconds)
        # Each digest job's id and what its trigger was made of.
        self._jobs: dict[str, tuple[tuple[str, str, str, str | None], str, str]] = {}
        self._leader: Callable[[], str | None] | None = None
        self._lock = threading.Lock()
        self._sweeper = ThreadPoolExecutor(SWEEP_THREADS, thread_name_prefix="sweep")
        self._sweeping: set[tuple[str, str]] = set()
        tenants.when_built(self._listen)
        for tenant in tenants.open_tenants():  # built before (an app made, then its work)
            self._listen(tenant)

    def set_leader(self, leader: Callable[[], str | None]) -> None:
        """Where the scheduler runs, for /digest status in every workspace."""
        self._leader = leader
        for tenant in self.tenants.open_tenants():
            tenant.services.digests.events.leader.answered_by(leader)

    def _listen(self, tenant: Tenant) -> None:
        """A workspace's services were built here: a subscription saved there moves its job
        now rather than at the next resync, and an uninstall stops its jobs at once."""
        workspace, digests = tenant.workspace, tenant.services.digests
        digests.events.changed.connect(
            lambda channel: self._match(workspace, channel, digests.store.subscription(channel))
        )
        digests.events.halted.connect(lambda: self.stop_workspace(workspace))
        if self._leader is not None:
            digests.events.leader.answered_by(self._leader)

    # -- leading ------------------------------------------------------------------------

    def start(self) -> None:
        self.lead()

    def lead(self) -> None:
        if self.scheduler.state == STATE_PAUSED:
            self.scheduler.resume()
            self.catch_up(self.sync())
            return
        self.scheduler.add_job(
            self.sync,
            trigger="interval",
            seconds=RESYNC_SECONDS,
            id=WORKSPACES_JOB,
            name="jobs matched to every workspace's subscriptions",
            replace_existing=True,
        )
        for look, seconds in SWEEPS.items():
            self.scheduler.add_job(
                self.sweep,
                args=[look],
                trigger="interval",
                seconds=seconds,
                id=f"every workspace's {look}",
                name=f"every workspace's {look}",
                replace_existing=True,
            )
        self.scheduler.start()
        self.catch_up(self.sync())

    def state(self) -> str:
        return scheduler_state(self.scheduler)

    def step_down(self) -> None:
        if self.scheduler.running:
            self.scheduler.pause()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self._sweeper.shutdown(wait=True, cancel_futures=True)

    # -- digest jobs --------------------------------------------------------------------

    def sync(self) -> list[tuple[str, Subscription]]:
        """Every workspace's digest jobs matched to its subscriptions, read in one query;
        deletes the workspaces whose retention after an uninstall is over. Returns the
        installed workspaces' subscriptions it read."""
        self.tenants.purge_due()
        active = {record.workspace for record in self.tenants.active()}
        wanted = {
            job_id(subscription.channel_id, f"{workspace}:"): (workspace, subscription)
            for workspace, subscription in self.workspaces.every_subscription()
            if workspace in active
        }
        with self._lock:
            gone = [job for job in self._jobs if job not in wanted]
        for job in gone:
            self._remove(job)
        for workspace, subscription in wanted.values():
            self._match(workspace, subscription.channel_id, subscription)
        return list(wanted.values())

    def _match(self, workspace: str, channel: str, subscription: Subscription | None) -> None:
        """Makes the channel's job match its subscription (added, moved, or removed)."""
        if not self.scheduler.running:
            return  # a replica that has not led yet: its first sync on leading makes them
        job = job_id(channel, f"{workspace}:")
        if subscription is None or not _schedulable(subscription):
            self._remove(job)
            return
        when = _when(subscription)
        with self._lock:
            if self._jobs.get(job) == (when, workspace, channel):
                return
            self._jobs[job] = (when, workspace, channel)
        self.scheduler.add_job(
            self._deliver,
            trigger=trigger_for(subscription),
            args=[workspace, channel],
            id=job,
            name=f"digest for {channel} in {workspace}",
            replace_existing=True,
        )

    def _remove(self, job: str) -> None:
        with self._lock:
            self._jobs.pop(job, None)
        with contextlib.suppress(JobLookupError):
            self.scheduler.remove_job(job)

    def stop_workspace(self, workspace: str) -> None:
        """Removes every job of the workspace (the app may no longer post there)."""
        with self._lock:
            jobs = [job for job, (_when, ws, _channel) in self._jobs.items() if ws == workspace]
        for job in jobs:
            self._remove(job)

    def _deliver(self, workspace: str, channel: str) -> None:
        with self.tenants.using(workspace) as tenant:
            if tenant is not None:  # None: uninstalled since the last resync
                tenant.services.digests.deliver_due(channel)

    def catch_up(self, subscriptions: list[tuple[str, Subscription]]) -> None:
        """On taking the lead, with what ``sync`` read: each workspace with a digest slot
        within the grace period (missed while no replica led, or not yet posted) catches up
        on the shared pool, beside the others; a workspace with none is not loaded."""
        now = self.tenants.clock()
        missed = set()
        for workspace, subscription in subscriptions:
            if not _schedulable(subscription) or workspace in missed:
                continue
            try:
                created = datetime.fromisoformat(subscription.created_at or now.isoformat())
                if fire_times(subscription, max(now - self.grace, created), now):
                    missed.add(workspace)
            except (TypeError, ValueError):  # stored badly: its own catch-up says so, alone
                missed.add(workspace)
        for workspace in sorted(missed):
            self.scheduler.add_job(
                self._catch_up,
                args=[workspace],
                id=f"{workspace}:catch-up",
                name=f"missed digests in {workspace}",
                replace_existing=True,
                next_run_time=now,
            )

    def _catch_up(self, workspace: str) -> None:
        with self.tenants.using(workspace) as tenant:
            if tenant is None:
                return
            for outcome in tenant.services.digests.catch_up():
                if outcome.kind not in ("skipped", "inactive"):
                    logger.info("caught up a missed digest in %s: %s", workspace, outcome.text)

    # -- the periodic looks -------------------------------------------------------------

    def due(self, look: str) -> set[str]:
        """The workspaces whose ``look`` has something to do now, as the database says."""
        now = self.tenants.clock()
        if look == "retries":
            return self.workspaces.with_retries_due(now.isoformat())
        if look == "feeds":
            return self.workspaces.with_feeds_due(iso(now))
        return self.workspaces.with_status_changes_after(MARK)

    def sweep(self, look: str) -> None:
        """One periodic look (retries, feed polls, corrections) in every workspace that has
        something due, on a pool of its own: a workspace whose look is slow (a feed that
        takes its 20 s, a post waiting out a 429) holds up no other's, and is not looked at
        again until its last look is over. A failure is logged and the others go on."""
        for workspace in sorted(self.due(look)):
            key = (workspace, look)
            with self._lock:
                if key in self._sweeping:
                    continue
                self._sweeping.add(key)
            self._sweeper.submit(self._sweep_one, key)

    def _sweep_one(self, key: tuple[str, str]) -> None:
        workspace, look = key
        try:
            with self.tenants.using(workspace) as tenant:
                if tenant is None:
                    return
                services = tenant.services
                if look == "retries":
                    services.digests.retry_due()
                elif look == "feeds":
                    services.feeds.poll_due()
                else:
                    services.corrections.post_due()
        except Exception:
            logger.exception("%s of workspace %s failed", look, workspace)
        finally:
            with self._lock:
                self._sweeping.discard(key)
