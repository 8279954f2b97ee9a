"""How the app runs in production: ``summitbot serve`` answers Slack and, by default, also
does the scheduled work (digests, corrections, feed polls); ``serve --no-worker`` only
answers; ``summitbot worker`` only does the scheduled work (with the leader election among
replicas, as serve does); ``serve --processes N`` answers from N processes sharing one
listening socket, each with its own copy of what it keeps in memory, kept current from
PostgreSQL as replicas are.

Each process answers ``/healthz`` (it is up), ``/readyz`` (it can serve: the store open or
the database reachable with its schema current, and for the scheduled work whether this
process leads or follows and its scheduler runs) and, when asked for, ``/metrics``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from types import FrameType
from typing import Any

from prometheus_client import multiprocess, start_http_server
from prometheus_client.registry import Collector

from slackbot.accept_share import AcceptShare
from slackbot.app import build, build_for_workspaces
from slackbot.config import ConfigError, Settings
from slackbot.ingress import Ingress
from slackbot.leading import ScheduledWork
from slackbot.scheduler import DigestScheduler
from slackbot.server import (
    DRAIN_SECONDS,
    GracefulServer,
    Ready,
    collect_garbage_rarely,
    one_address,
)
from slackbot.slack.ids import EVENTS_PATH
from slackbot.stores import database_readiness, open_store, open_workspaces
from slackbot.telemetry import (
    InstalledWorkspaces,
    metrics_page,
    metrics_registry,
    several_processes,
)
from slackbot.workspace_scheduling import WorkspaceScheduling
from storage.api import replica_name

logger = logging.getLogger("summitbot")

RESTART_PAUSE = 1.0
MAX_RESTART_PAUSE = 30.0
ANNOUNCE_SECONDS = 120.0


@dataclass
class Running:
    """What one process runs: the app, its scheduled work (None: answers only) and how
    many workspaces have it installed (for /metrics)."""

    ingress: Ingress
    work: ScheduledWork | None
    installed: Callable[[], int]


@contextmanager
def serving(settings: Settings, *, worker: bool = True, answers: bool = True) -> Iterator[Running]:
    """The app and (with ``worker``) its scheduled work, for one workspace (a bot token)
    or for every workspace that installs it (client id and secret); closed afterwards.
    ``answers`` false: a worker, which answers no Slack request."""
    role = "both" if worker and answers else ("worker" if worker else "serve")
    settings = replace(settings, role=role)
    if settings.many_workspaces:
        with open_workspaces(settings) as (workspaces, installations):
            many = build_for_workspaces(settings, workspaces, installations)
            if answers:
                collect_garbage_rarely()
            grace = int(settings.digest_grace_hours * 3600)
            work = (
                ScheduledWork(WorkspaceScheduling(many.tenants, grace), settings)
                if worker
                else None
            )
            try:
                yield Running(many.ingress, work, lambda: len(many.tenants.active()))
            finally:
                if work is not None:
                    work.stop()
                many.tenants.close()
        return
    with open_store(settings, follow=True) as store:
        built = build(settings, store)
        if answers:
            collect_garbage_rarely()
        services = built.services
        work = (
            ScheduledWork(
                DigestScheduler(services.digests, services.feeds, services.corrections), settings
            )
            if worker
            else None
        )
        try:
            yield Running(built.ingress, work, lambda: 1)
        finally:
            if work is not None:
                work.stop()
            services.close()


def readiness(settings: Settings, work: ScheduledWork | None) -> Ready:
    """Whether this process can serve: its store (or database, with the schema current),
    and for the scheduled work whether it leads or follows and its scheduler runs."""

    def ready() -> tuple[bool, dict[str, Any]]:
        details: dict[str, Any] = {"replica": replica_name()}
        problems = []
        url = settings.database_url
        if url:
            problem = database_readiness(url)
            details["database"] = problem or "ok"
            if problem:
                problems.append(problem)
        else:
            details["store"] = "open"
        if work is not None:
            state = work.scheduler.state()
            leader = work.leader()
            details["role"] = "leader" if leader == work.name else "follower"
            details["scheduler"] = state
            if state == "stopped":
                problems.append("the scheduler is not running")
        else:
            details["role"] = "answers only"
        if problems:
            details["problem"] = "; ".join(problems)
        return not problems, details

    return ready


def _health(work: ScheduledWork | None) -> Callable[[], dict[str, Any]]:
    if work is not None:
        return work.health
    return lambda: {"replica": replica_name(), "role": "answers only"}


def _serve_metrics_port(settings: Settings, extra: Sequence[Collector]) -> None:
    """/metrics on a port of its own (SUMMITBOT_METRICS_PORT), beside the one Slack posts
    to: what Prometheus scrapes need not be reachable from the internet."""
    if settings.metrics_port is None:
        return
    try:
        start_http_server(settings.metrics_port, registry=metrics_registry(extra))
    except OSError as error:
        raise ConfigError(
            f"SUMMITBOT_METRICS_PORT={settings.metrics_port} cannot be served ({error}); "
            "choose a free port"
        ) from None
    logger.info("metrics at http://0.0.0.0:%d/metrics", settings.metrics_port)


def _require_credentials(settings: Settings) -> None:
    if settings.many_workspaces:
        settings.require("SLACK_SIGNING_SECRET")
    else:
        settings.require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")


def _stop_on_signals(stop: Callable[[], None]) -> None:
    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        # Only a flag: the serving loop stops itself (see GracefulServer).
        stop()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    _require_credentials(settings)
    processes = getattr(args, "processes", 1)
    worker = not getattr(args, "no_worker", False)
    if processes > 1:
        return serve_processes(settings, args, processes, worker)
    listen_fd = getattr(args, "listen_fd", None)
    inherited: dict[str, Any] = (
        {"sockets": [socket.socket(fileno=listen_fd)]} if listen_fd is not None else {}
    )
    shared = getattr(args, "accept_share", None)
    if shared:
        fd, slot, slots = (int(part) for part in shared.split(":"))
        inherited["accept_share"] = AcceptShare(fd, slots, slot)
    with serving(settings, worker=worker) as running:
        ingress, work = running.ingress, running.work
        installed = [InstalledWorkspaces(running.installed)]
        server = GracefulServer(
            ingress,
            args.host,
            args.port,
            health=_health(work),
            ready=readiness(settings, work),
            metrics=metrics_page(installed) if settings.metrics else None,
            **inherited,
        )
        _stop_on_signals(server.stop)
        _serve_metrics_port(settings, installed)
        if work is not None:
            work.start()
        if listen_fd is None:
            logger.info("Summit Intel serving Slack at %s%s", server.url, EVENTS_PATH)
        else:  # one of serve --processes N: the supervisor says when all of them serve
            logger.info("process %d answers Slack at %s%s", os.getpid(), server.url, EVENTS_PATH)
        oauth = ingress.app.oauth_flow
        if oauth is not None:
            logger.info("installs from %s%s", server.url, oauth.install_path)
        server.run()
    logger.info("stopped")
    return 0


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    """Digests, corrections and feed polls, led among replicas as serve leads them; answers
    /healthz, /readyz and (when asked for) /metrics on its port, no Slack request."""
    _require_credentials(settings)
    with serving(settings, worker=True, answers=False) as running:
        work = running.work
        assert work is not None
        installed = [InstalledWorkspaces(running.installed)]
        server = GracefulServer(
            running.ingress,
            args.host,
            args.port,
            health=work.health,
            ready=readiness(settings, work),
            metrics=metrics_page(installed) if settings.metrics else None,
            answers_slack=False,
        )
        _stop_on_signals(server.stop)
        _serve_metrics_port(settings, installed)
        work.start()
        logger.info("Summit Intel worker running; probes at %s/readyz", server.url)
        server.run()
    logger.info("stopped")
    return 0


class Supervisor:
    """``serve --processes N``: N serving processes on one listening socket (each accepts
    while it holds no more connections than the others: slackbot.accept_share), and the
    worker unless ``--no-worker``; a child
    that dies is started again, SIGTERM is passed on to all and waited for.

    Why our own: gunicorn would do the forking but not waitress's graceful stop, the
    worker beside the servers, or the shared prometheus-client directory."""

    def __init__(
        self,
        commands: list[list[str]],
        listening: socket.socket,
        share: AcceptShare | None = None,
    ) -> None:
        """``share``: the serving processes' shared connection counts, whose slot i is
        ``commands[i]``'s."""
        self.commands = commands
        self.listening = listening
        self.share = share
        self.children: list[subprocess.Popen[bytes] | None] = [None] * len(commands)
        self.stopping = threading.Event()

    def start(self, index: int) -> None:
        # The metrics port is the supervisor's own: it serves every child's values.
        env = {**os.environ, "SUMMITBOT_METRICS_PORT": ""}
        passed = [self.listening.fileno()]
        if self.share is not None:
            passed.append(self.share.fd)
        self.children[index] = subprocess.Popen(self.commands[index], pass_fds=passed, env=env)

    def run(self) -> int:
        for index in range(len(self.commands)):
            self.start(index)
        pauses = [RESTART_PAUSE] * len(self.commands)
        while not self.stopping.wait(0.2):
            for index, child in enumerate(self.children):
                if child is None or child.poll() is None:
                    continue
                if several_processes():
                    multiprocess.mark_process_dead(child.pid)
                if self.share is not None and index < self.share.slots:
                    self.share.forget(index)
                if child.returncode == 2:
                    # It said what is wrong (configuration, the store): starting it again
                    # would only say it again.
                    logger.error("process %d could not start; stopping the others", child.pid)
                    self.stopping.set()
                    return max(self.stop_all(), 2)
                logger.error(
                    "process %d exited with %s; starting it again in %.0f s",
                    child.pid,
                    child.returncode,
                    pauses[index],
                )
                if self.stopping.wait(pauses[index]):
                    break
                pauses[index] = min(pauses[index] * 2, MAX_RESTART_PAUSE)
                self.start(index)
        return self.stop_all()

    def stop_all(self) -> int:
        alive = [child for child in self.children if child is not None and child.poll() is None]
        for child in alive:
            child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + DRAIN_SECONDS + 5
        worst = 0
        for child in alive:
            try:
                worst = max(worst, child.wait(max(0.1, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
                worst = max(worst, 1)
        return worst


def serve_processes(settings: Settings, args: argparse.Namespace, count: int, worker: bool) -> int:
    if not settings.database_url:
        raise ConfigError(
            "--processes needs PostgreSQL (SUMMITBOT_DATABASE_URL): the embedded store is "
            "one process's; run one serve, or move the store with summitbot migrate"
        )
    host = one_address(args.host)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.create_server((host, args.port), family=family, backlog=2048)
    listening.set_inheritable(True)
    port = listening.getsockname()[1]
    url = f"http://{host}:{port}"
    folder = None
    if settings.metrics or settings.metrics_port:
        # Every child counts into files here; any child's /metrics reads them all.
        folder = tempfile.mkdtemp(prefix="summitbot-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    here = [sys.executable, "-m", "slackbot"]
    fd = str(listening.fileno())
    share_fd = AcceptShare.make(count)
    share = AcceptShare(share_fd, count, 0)
    commands = [
        [
            *here,
            "serve",
            "--no-worker",
            "--listen-fd",
            fd,
            "--accept-share",
            f"{share_fd}:{slot}:{count}",
            "--host",
            host,
            "--port",
            str(port),
        ]
        for slot in range(count)
    ]
    if worker:
        commands.append([*here, "worker", "--host", "127.0.0.1", "--port", "0"])
    supervisor = Supervisor(commands, listening, share)
    _stop_on_signals(supervisor.stopping.set)
    _serve_metrics_port(settings, [])  # the children's values, from their files
    threading.Thread(target=_announce, args=(url, count, supervisor.stopping), daemon=True).start()
    try:
        return supervisor.run()
    finally:
        listening.close()
        share.close()
        os.close(share_fd)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        logger.info("stopped")


def _announce(url: str, count: int, stopping: threading.Event) -> None:
    """Says where the processes serve once each of them answers /readyz as itself (or,
    should one never come up, after ``ANNOUNCE_SECONDS`` with the others)."""
    seen: set[str] = set()
    deadline = time.monotonic() + ANNOUNCE_SECONDS
    while not stopping.is_set() and len(seen) < count and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:
                seen.add(str(json.loads(response.read()).get("replica")))
        except (OSError, ValueError):
            time.sleep(0.05)
    if not stopping.is_set():
        if len(seen) < count:
            logger.warning("%d of %d processes answer so far", len(seen), count)
        logger.info("%d processes serving Slack at %s%s", count, url, EVENTS_PATH)
