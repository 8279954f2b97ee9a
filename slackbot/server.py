"""HTTP mode: the Bolt app behind waitress, a production WSGI server.

Slack's requests arrive at ``POST /slack/events``; ``GET /healthz`` answers 200 once the
app is ready (the server only starts listening after that).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 1_000_000
WORKER_THREADS = 16

StartResponse = Callable[..., Any]


def wsgi_application(app: App) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def plain(start_response: StartResponse, status: str, text: str) -> list[bytes]:
        body = text.encode()
        start_response(
            status,
            [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path == HEALTH_PATH:
            return plain(start_response, "200 OK", "ok\n")
        if path != EVENTS_PATH:
            return plain(start_response, "404 Not Found", "not found\n")
        if method != "POST":
            return plain(start_response, "405 Method Not Allowed", "POST Slack requests here\n")
        stamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
        if stamp is not None and not stamp.strip().isdigit():
            # slack_sdk's verifier raises on a timestamp that is not a number; such a request
            # is unsigned as far as Slack's scheme goes.
            return plain(start_response, "401 Unauthorized", "invalid request timestamp\n")
        try:
            return slack(environ, start_response)
        except Exception:
            # Bolt raises on some malformed bodies; that is the sender's fault, not a crash.
            logger.warning("rejected a malformed request to %s", EVENTS_PATH, exc_info=True)
            return plain(start_response, "400 Bad Request", "malformed request\n")

    return application


def make_server(
    app: App, host: str, port: int, **adjustments: Any
) -> BaseWSGIServer | MultiSocketServer:
    """The waitress server for the app; ``adjustments`` override waitress settings."""
    settings: dict[str, Any] = {
        "threads": WORKER_THREADS,
        "ident": "summitbot",
        "max_request_body_size": MAX_BODY_BYTES,
        "clear_untrusted_proxy_headers": True,
        **adjustments,
    }
    return create_server(wsgi_application(app), host=host, port=port, **settings)


def bound_url(server: BaseWSGIServer | MultiSocketServer) -> str:
    if isinstance(server, BaseWSGIServer):
        return f"http://{server.effective_host}:{server.effective_port}"
    return "http://" + ", ".join(f"{host}:{port}" for host, port in server.effective_listen)
