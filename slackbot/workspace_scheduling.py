"""Scheduled work for many workspaces: one APScheduler, run by the replica that leads.

Each workspace's digests are its own jobs (a ``DigestScheduler`` with the workspace as the
jobs' prefix); the periodic looks (digest retries, feed polls, corrections) are one job each
for every workspace. Every ``RESYNC_SECONDS`` the leader takes up new installations, drops
the jobs of workspaces that left, matches each workspace's jobs to its subscriptions, and
deletes the data of workspaces whose retention after an uninstall is over."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from apscheduler.schedulers.base import STATE_PAUSED

from slackbot.scheduler import (
    CORRECTION_SECONDS,
    FEED_CHECK_SECONDS,
    RESYNC_SECONDS,
    RETRY_CHECK_SECONDS,
    DigestScheduler,
    background_scheduler,
    scheduler_state,
)
from slackbot.slack.tenants import Tenant
from slackbot.tenancy import WorkspaceTenants

logger = logging.getLogger(__name__)

WORKSPACES_JOB = "workspaces"
# Workspaces looked at at once by the periodic looks (each look mostly waits on Slack).
SWEEP_THREADS = 8
# The periodic looks every workspace gets, and how often (as one workspace's own jobs).
SWEEPS = {
    "retries": RETRY_CHECK_SECONDS,
    "feeds": FEED_CHECK_SECONDS,
    "corrections": CORRECTION_SECONDS,
}


class WorkspaceScheduling:
    """One APScheduler for every installed workspace, run by the replica that leads: each
    workspace's digests, corrections and feed polls are its jobs (a ``DigestScheduler``
    with the workspace as the jobs' prefix). Every ``RESYNC_SECONDS`` the leader takes up
    new installations, drops the jobs of workspaces that left, matches each workspace's jobs
    to its subscriptions, and deletes the data of workspaces whose retention is over.

    One workspace's trouble (a revoked token, 429s) stays in its own jobs: each job posts
    for one channel with its workspace's token, and the scheduler's pool runs others meanwhile."""

    def __init__(self, tenants: WorkspaceTenants, grace_seconds: int) -> None:
        self.tenants = tenants
        self.scheduler = background_scheduler(grace_seconds)
        self._workspaces: dict[str, tuple[Tenant, DigestScheduler]] = {}
        self._leader: Callable[[], str | None] | None = None
        self._lock = threading.Lock()
        self._sweeper = ThreadPoolExecutor(SWEEP_THREADS, thread_name_prefix="sweep")
        self._sweeping: set[tuple[str, str]] = set()

    def set_leader(self, leader: Callable[[], str | None]) -> None:
        self._leader = leader

    def start(self) -> None:
        self.lead()

    def lead(self) -> None:
        if self.scheduler.state == STATE_PAUSED:
            self.scheduler.resume()
            self.sync()
            return
        self.scheduler.add_job(
            self.sync,
            trigger="interval",
            seconds=RESYNC_SECONDS,
            id=WORKSPACES_JOB,
            name="workspaces matched to installations",
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
        self.sync()

    def state(self) -> str:
        return scheduler_state(self.scheduler)

    def step_down(self) -> None:
        if self.scheduler.running:
            self.scheduler.pause()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self._sweeper.shutdown(wait=True, cancel_futures=True)

    def sweep(self, look: str) -> None:
        """One periodic look (retries, feed polls, corrections) for every workspace, on a
        pool of its own: a workspace whose look is slow (a feed that takes its 20 s, a post
        waiting out a 429) holds up no other's, and is not looked at again until its last
        look is over. A failure is logged and the others go on."""
        with self._lock:
            every = list(self._workspaces.items())
        for workspace, (_tenant, jobs) in every:
            key = (workspace, look)
            with self._lock:
                if key in self._sweeping:
                    continue
                self._sweeping.add(key)
            self._sweeper.submit(self._sweep_one, key, jobs)

    def _sweep_one(self, key: tuple[str, str], jobs: DigestScheduler) -> None:
        workspace, look = key
        try:
            jobs.sweep(look)
        except Exception:
            logger.exception("%s of workspace %s failed", look, workspace)
        finally:
            with self._lock:
                self._sweeping.discard(key)

    def sync(self) -> None:
        with self._lock:
            self.tenants.purge_due()
            active = {record.workspace for record in self.tenants.active()}
            for workspace in list(self._workspaces):
                tenant, jobs = self._workspaces[workspace]
                current = self.tenants.tenant(workspace) if workspace in active else None
                if current is not tenant:  # gone, or its services built again
                    jobs.stop_jobs()
                    del self._workspaces[workspace]
            for workspace in sorted(active - set(self._workspaces)):
                found = self.tenants.tenant(workspace)
                if found is None:
                    continue
                services = found.services
                jobs = DigestScheduler(
                    services.digests,
                    services.feeds,
                    services.corrections,
                    scheduler=self.scheduler,
                    prefix=f"{workspace}:",
                )
                if self._leader is not None:
                    jobs.set_leader(self._leader)
                jobs.start()
                self._workspaces[workspace] = (found, jobs)
            existing = {job.id for job in self.scheduler.get_jobs()}
            for _tenant, jobs in self._workspaces.values():
                jobs.resync(existing)
