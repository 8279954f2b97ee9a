"""HTTP mode: the Bolt app behind waitress, a production WSGI server.

Slack's requests arrive at ``POST /slack/events``; ``GET /healthz`` answers 200 once the
app is ready (the server only starts listening after that).
"""

from __future__ import annotations

import gc
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import wasyncore
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server

from slackbot.accept_share import AcceptShare
from slackbot.connection_guard import REQUEST_SECONDS, ConnectionGuard, waitress_settings
from slackbot.slack.ids import EVENTS_PATH
from slackbot.telemetry import measured

logger = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
MAX_BODY_BYTES = 1_000_000
WORKER_THREADS = 16
DRAIN_SECONDS = 10.0
# How long the serving loop waits for work before it looks whether it should stop.
TICK_SECONDS = 0.25

StartResponse = Callable[..., Any]


Health = Callable[[], dict[str, Any]]
# Whether this process can serve, and why not: (ready, details for the JSON answer).
Ready = Callable[[], tuple[bool, dict[str, Any]]]
MetricsPage = Callable[[], tuple[bytes, str]]


def wsgi_application(
    ingress: SlackRequestHandler,
    health: Health | None = None,
    *,
    ready: Ready | None = None,
    metrics: MetricsPage | None = None,
    answers_slack: bool = True,
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """``health`` adds to what ``GET /healthz`` answers (JSON: which replica this is and
    which one leads the scheduler); ``ready`` says whether ``GET /readyz`` is 200 or 503
    and why; ``metrics`` is the ``GET /metrics`` page, when it is served here. A worker
    (``answers_slack`` false) serves only those three."""

    def plain(
        start_response: StartResponse, status: str, text: str, kind: str = "text/plain"
    ) -> list[bytes]:
        body = text.encode()
        start_response(
            status,
            [("Content-Type", f"{kind}; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]

    def answer_slack(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        stamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
        if stamp is not None and not stamp.strip().isdigit():
            # slack_sdk's verifier raises on a timestamp that is not a number; such a request
            # is unsigned as far as Slack's scheme goes.
            return plain(start_response, "401 Unauthorized", "invalid request timestamp\n")
        try:
            return ingress(environ, start_response)
        except Exception:
            # Bolt raises on some malformed bodies; that is the sender's fault, not a crash.
            logger.warning("rejected a malformed request to %s", EVENTS_PATH, exc_info=True)
            return plain(start_response, "400 Bad Request", "malformed request\n")

    answer_measured = measured(answer_slack)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path == HEALTH_PATH:
            # 200 while the process answers, which it does with no leader too (a load
            # balancer must keep sending it requests); a "problem" says what runs nowhere.
            report = {"ok": True, **(health() if health else {})}
            return plain(start_response, "200 OK", json.dumps(report) + "\n", "application/json")
        if path == READY_PATH:
            ok, why = ready() if ready else (True, {})
            status = "200 OK" if ok else "503 Service Unavailable"
            report = {"ready": ok, **why}
            return plain(start_response, status, json.dumps(report) + "\n", "application/json")
        if path == METRICS_PATH and metrics is not None:
            body, kind = metrics()
            start_response("200 OK", [("Content-Type", kind), ("Content-Length", str(len(body)))])
            return [body]
        if not answers_slack:
            return plain(
                start_response,
                "404 Not Found",
                "this is a summitbot worker: Slack's requests go to summitbot serve\n",
            )
        oauth = ingress.app.oauth_flow
        if oauth is not None and path in (oauth.install_path, oauth.redirect_uri_path):
            # Installing from an "Add to Slack" link: Bolt's OAuth flow, browsers' GETs.
            if method != "GET":
                return plain(
                    start_response, "405 Method Not Allowed", "open this page in a browser\n"
                )
            return ingress(environ, start_response)
        if path != EVENTS_PATH:
            return plain(start_response, "404 Not Found", "not found\n")
        if method != "POST":
            return plain(start_response, "405 Method Not Allowed", "POST Slack requests here\n")
        return answer_measured(environ, start_response)

    return application


def make_server(
    ingress: SlackRequestHandler,
    host: str,
    port: int,
    wrap: Callable[[Callable[..., Iterable[bytes]]], Callable[..., Iterable[bytes]]] | None = None,
    health: Health | None = None,
    *,
    ready: Ready | None = None,
    metrics: MetricsPage | None = None,
    answers_slack: bool = True,
    **adjustments: Any,
) -> BaseWSGIServer | MultiSocketServer:
    """The waitress server for the app; ``adjustments`` override waitress settings and
    ``wrap`` wraps the WSGI application."""
    settings: dict[str, Any] = {
        **waitress_settings(),
        "threads": WORKER_THREADS,
        "ident": "summitbot",
        "max_request_body_size": MAX_BODY_BYTES,
        "clear_untrusted_proxy_headers": True,
        **adjustments,
    }
    application = wsgi_application(
        ingress, health, ready=ready, metrics=metrics, answers_slack=answers_slack
    )
    where = {} if settings.get("sockets") else {"host": host, "port": port}
    return create_server(wrap(application) if wrap else application, **where, **settings)


def one_address(host: str) -> str:
    """One address to listen on. A name such as ``localhost`` may resolve to several (::1
    and 127.0.0.1), and waitress then builds a server per address; the graceful stop drives
    one server's loop, so the first IPv4 address is taken (else the first of any kind)."""
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return host  # waitress reports an unknown host itself
    addresses = [info[4][0] for info in found]
    ipv4 = [address for address in addresses if ":" not in str(address)]
    return str((ipv4 or addresses or [host])[0])


class InFlight:
    """Counts the requests the WSGI app is answering, so a stop can wait for them."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()
        # Once set, requests that arrive (on kept-alive connections) are turned away with a
        # 503, and the draining loop then closes their idle connection (a WSGI app may not
        # send "Connection: close" itself), so draining ends even under steady load.
        self.draining = False

    def __len__(self) -> int:
        with self._lock:
            return self._count

    def wrap(self, application: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
        def counted(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
            if self.draining:
                body = b"stopping; send it again\n"
                start_response(
                    "503 Service Unavailable",
                    [
                        ("Content-Type", "text/plain; charset=utf-8"),
                        ("Content-Length", str(len(body))),
                        ("Retry-After", "1"),
                    ],
                )
                return [body]
            with self._lock:
                self._count += 1
            try:
                # Bolt's adapter and our own answers return lists: the body is complete here.
                return list(application(environ, start_response))
            finally:
                with self._lock:
                    self._count -= 1

        return counted


class GracefulServer:
    """waitress for the Bolt app, stopped through its own loop rather than by an exception
    thrown into it from a signal handler (which could land anywhere inside waitress).

    ``stop()`` only sets a flag, so a signal handler may call it; the serving loop notices
    within one loop tick, stops accepting, keeps serving the requests in flight (up to
    ``DRAIN_SECONDS``) until their answers are written, then closes."""

    def __init__(
        self,
        ingress: SlackRequestHandler,
        host: str,
        port: int,
        *,
        tick_seconds: float = TICK_SECONDS,
        request_seconds: float = REQUEST_SECONDS,
        accept_share: AcceptShare | None = None,
        **adjustments: Any,
    ) -> None:
        """``accept_share``: with the other processes of ``serve --processes N``, this one
        accepts connections only while it holds no more than the least loaded of them."""
        self.in_flight = InFlight()
        self.server = make_server(
            ingress, one_address(host), port, wrap=self.in_flight.wrap, **adjustments
        )
        assert isinstance(self.server, BaseWSGIServer), "one host and port"
        self.guard = ConnectionGuard(
            self.server.adj.connection_limit,
            request_seconds=request_seconds,
        )
        # The loop's wait is kept here, not in waitress's asyncore_loop_timeout: waitress
        # reads that as whole seconds, so a quarter second became 0, a loop that never
        # waited and kept a core busy.
        self._tick_seconds = tick_seconds
        self._stopping = threading.Event()
        if accept_share is not None:
            self._share_accepts(accept_share)
        self._accept_share = accept_share

    def _share_accepts(self, share: AcceptShare) -> None:
        server = self.server
        watching = server.readable

        def watching_while_least_loaded() -> bool:
            share.held(len(server.active_channels))
            return bool(watching()) and share.may_accept()

        # waitress asks readable() at every turn of its loop whether to watch the listening
        # socket (it stops there at its connection limit); the server's class is chosen by
        # create_server, so the method is replaced on this one object.
        server.readable = watching_while_least_loaded

    @property
    def url(self) -> str:
        return bound_url(self.server)

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        server = self.server
        assert isinstance(server, BaseWSGIServer), "one host and port"
        while not self._stopping.is_set():
            self._tick(server, self._tick_seconds)
            self.guard.sweep(server.active_channels)
        self._drain(server)

    @staticmethod
    def _tick(server: BaseWSGIServer, timeout: float) -> None:
        wasyncore.loop(
            timeout=timeout, map=server._map, use_poll=server.adj.asyncore_use_poll, count=1
        )

    def _busy(self, server: BaseWSGIServer) -> bool:
        if len(self.in_flight):
            return True
        return any(
            channel.requests or channel.total_outbufs_len
            for channel in list(server.active_channels.values())
        )

    def _drain(self, server: BaseWSGIServer) -> None:
        # Stop accepting: close only the listening socket; the trigger that wakes the loop
        # when a worker finishes stays open.
        wasyncore.dispatcher.close(server)
        if self._accept_share is not None:
            # Accepting no more: the others must not wait for this one to take its turn.
            self._accept_share.leave()
        self.in_flight.draining = True
        logger.info("stopping: finishing %d request(s) in flight", len(self.in_flight))
        deadline = time.monotonic() + DRAIN_SECONDS
        while self._busy(server) and time.monotonic() < deadline:
            # Idle kept-alive connections are closed; busy ones once their answer is out.
            for channel in list(server.active_channels.values()):
                if not channel.requests and not channel.total_outbufs_len:
                    channel.will_close = True
            self._tick(server, 0.05)
        if self._busy(server):
            logger.warning("stopped with requests still in flight after %.0f s", DRAIN_SECONDS)
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
        wasyncore.close_all(server._map)


def bound_url(server: BaseWSGIServer | MultiSocketServer) -> str:
    if isinstance(server, BaseWSGIServer):
        return f"http://{server.effective_host}:{server.effective_port}"
    return "http://" + ", ".join(f"{host}:{port}" for host, port in server.effective_listen)


# Young, middle and full collection thresholds for a serving process (CPython's are 700,
# 10, 10).
SERVING_GC_THRESHOLDS = (10_000, 20, 100)


def collect_garbage_rarely() -> None:
    """Fewer full garbage collections while serving. The store's large heap is frozen when it
    loads, but what a feed poll or a burst of saves keeps (candidates, headlines, a compaction's
    copy of the tables) is not, and CPython's defaults collect everything each time that grows
    by a quarter: every second or so during a poll, each time stopping every thread for about
    0.1 s (measured at 100,000 facts), which is what a slash command waiting then sees."""
    gc.set_threshold(*SERVING_GC_THRESHOLDS)
