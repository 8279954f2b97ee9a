"""What an operator sees of a serving process: each Slack request timed, counted and
logged (with a request id, its workspace and surface), and the ``/metrics`` page.

A request is read once here, before the app answers it: its surface (a command, a click,
a form, an event…), its command and its workspace come from the signed body, and the body
is put back for the app. Metrics are prometheus-client's (slackbot.core.measures and
storage.measures); the log line goes through the logging set up in slackbot.logs, which
carries the request's fields into every line logged while it is answered.
"""

from __future__ import annotations

import io
import json
import logging
import os
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from slackbot.core.measures import (
    REQUESTS,
    SLOW_ACK_SECONDS,
    SLOW_ACKS,
    command_label,
)
from slackbot.logs import bound_request
from slackbot.slack.listener_runner import handled_by

logger = logging.getLogger("summitbot.requests")

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_PAYLOAD_SURFACES = {
    "block_actions": "action",
    "interactive_message": "action",
    "view_submission": "view",
    "view_closed": "view",
    "shortcut": "shortcut",
    "message_action": "shortcut",
    "block_suggestion": "options",
}


@dataclass(frozen=True)
class RequestFacts:
    surface: str
    command: str
    workspace: str | None


def _fields(raw: bytes, wanted: tuple[bytes, ...]) -> dict[str, str]:
    """Only the form fields wanted, decoded: parsing the whole body (the text, the response
    URL…) cost a quarter of a millisecond a request, as much as the app's own answer."""
    found = {}
    for pair in raw.split(b"&"):
        key, _sep, value = pair.partition(b"=")
        if key in wanted:
            found[key.decode()] = unquote_plus(value.decode())
    return found


def request_facts(raw: bytes, content_type: str) -> RequestFacts:
    """Which surface a Slack request is for, its command and its workspace: read from the
    body, never trusted for anything but counting and logging (the app checks the
    signature)."""
    try:
        if content_type.startswith("application/json"):
            body = json.loads(raw or b"{}")
            event = body.get("event") if isinstance(body.get("event"), dict) else {}
            return RequestFacts("event", "none", body.get("team_id") or event.get("team"))
        form = _fields(raw, (b"command", b"team_id", b"payload"))
        if "payload" in form:
            payload = json.loads(form["payload"])
            surface = _PAYLOAD_SURFACES.get(str(payload.get("type")), "other")
            team = payload.get("team") or {}
            return RequestFacts(surface, "none", team.get("id") if isinstance(team, dict) else None)
        if "command" in form:
            return RequestFacts("command", command_label(form["command"]), form.get("team_id"))
    except (ValueError, AttributeError, TypeError, UnicodeDecodeError):
        pass
    return RequestFacts("other", "none", None)


def measured(application: WSGIApp) -> WSGIApp:
    """``application`` (the app's answer to Slack's POSTs), timed, counted and logged."""

    def answer(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        raw: bytes = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(raw)
        environ["CONTENT_LENGTH"] = str(len(raw))
        facts = request_facts(raw, environ.get("CONTENT_TYPE", "").lower())
        statuses: list[str] = []

        def seen(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            statuses.append(status.split(" ", 1)[0])
            return start_response(status, headers, *rest)

        # Not a secret, only a name for the request's log lines: no system call for it.
        request_id = f"{random.getrandbits(64):016x}"
        with bound_request(request_id, facts.workspace, facts.surface, facts.command):
            try:
                return list(application(environ, seen))
            finally:
                status = statuses[0] if statuses else "none"
                observe(facts, time.perf_counter() - started, status)

    return answer


def observe(facts: RequestFacts, took: float, status: str) -> None:
    """One answered request: timed, counted, and logged (with the fields bound to it).

    Its line is DEBUG, as waitress and gunicorn keep access lines off by default: at INFO,
    a line a request held the log handler's lock on every request and cost a sixth of a
    serving process's throughput (bench section 13, 2026-12-07). An answer Slack may have
    given up on (slower than 2.5 s) or a server error is a WARNING, so it is always seen."""
    REQUESTS.labels(facts.surface, facts.command).observe(took)
    slow = took > SLOW_ACK_SECONDS
    if slow:
        SLOW_ACKS.labels(facts.surface).inc()
    level = logging.WARNING if slow or status.startswith("5") else logging.DEBUG
    if logger.isEnabledFor(level):
        fields = {
            "status": status,
            "duration_ms": round(took * 1000, 2),
            "listener": handled_by(),
        }
        logger.log(level, "request answered", extra=fields)


def envelope_facts(kind: str, payload: dict[str, Any]) -> RequestFacts:
    """The same facts of a Socket Mode envelope (its payload is the HTTP request's body)."""
    if kind == "slash_commands":
        return RequestFacts(
            "command", command_label(payload.get("command")), payload.get("team_id")
        )
    if kind == "interactive":
        team = payload.get("team") or {}
        surface = _PAYLOAD_SURFACES.get(str(payload.get("type")), "other")
        return RequestFacts(surface, "none", team.get("id") if isinstance(team, dict) else None)
    if kind == "events_api":
        return RequestFacts("event", "none", payload.get("team_id"))
    return RequestFacts("other", "none", None)


class InstalledWorkspaces(Collector):
    """How many workspaces have the app installed, counted when /metrics is read."""

    def __init__(self, count: Callable[[], int]) -> None:
        self._count = count

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "summitbot_installed_workspaces", "Workspaces the app is installed in"
        )
        family.add_metric([], float(self._count()))
        yield family


def several_processes() -> bool:
    """Whether prometheus-client keeps values in files shared by several processes."""
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class _ThisProcess(Collector):
    """prometheus-client's default registry, as one collector among the page's."""

    def collect(self) -> Iterable[Any]:
        return REGISTRY.collect()


def metrics_registry(extra: Sequence[Collector]) -> CollectorRegistry:
    """Every metric of this process (or, with several serving processes, of all of them,
    read from prometheus-client's files at each scrape), and ``extra``: what /metrics
    shows, on the serving port or on a port of its own."""
    registry = CollectorRegistry()
    if several_processes():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    for collector in extra:
        registry.register(collector)
    return registry


def metrics_page(extra: Sequence[Collector]) -> Callable[[], tuple[bytes, str]]:
    """What GET /metrics answers (``metrics_registry``)."""
    registry = metrics_registry(extra)
    return lambda: (generate_latest(registry), CONTENT_TYPE_LATEST)
