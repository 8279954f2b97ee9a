"""The floors Summit Intel is compared with, on the same waitress server and settings:

- ``bolt`` (default): a Bolt app acknowledging every command with a constant, with Bolt's
  default listener runner (it polls for ack() every 10 ms) and the app's listener pool size;
- ``bolt-before-response``: the same with ``process_before_response=True`` (the listener
  runs in the request thread);
- ``wsgi``: no Bolt at all, a WSGI app that only verifies Slack's signature (slack_sdk's
  SignatureVerifier) and answers the constant: the floor of this stack.

Chosen with ``BENCH_FLOOR``."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from waitress import create_server

from slackbot.app import LISTENER_THREADS
from slackbot.connection_guard import waitress_settings
from slackbot.server import WORKER_THREADS, bound_url, make_server, one_address
from slackbot.slack.ids import EVENTS_PATH

ANSWER = json.dumps({"response_type": "ephemeral", "text": "ok"}).encode()


def bolt_app(*, before_response: bool) -> App:
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = App(
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        client=client,
        process_before_response=before_response,
        listener_executor=ThreadPoolExecutor(LISTENER_THREADS),
    )

    def constant(ack: Ack) -> None:
        ack(response_type="ephemeral", text="ok")

    for command in ("/who", "/whois", "/chips", "/summit"):
        app.command(command)(constant)
    return app


def signature_only() -> Callable[..., Iterable[bytes]]:
    verifier = SignatureVerifier(os.environ["SLACK_SIGNING_SECRET"])

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        headers = {
            "x-slack-signature": environ.get("HTTP_X_SLACK_SIGNATURE", ""),
            "x-slack-request-timestamp": environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""),
        }
        if not verifier.is_valid_request(body, headers):
            start_response("401 Unauthorized", [("Content-Type", "text/plain")])
            return [b"invalid signature"]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [ANSWER]

    return application


def pre_fork(count: int) -> None:
    """``count`` processes of this floor on one listening socket, as ``summitbot serve
    --processes N`` runs the app (BENCH_PROCESSES): the floor for the same process count."""
    listening = socket.create_server(("127.0.0.1", 0), backlog=2048)
    listening.set_inheritable(True)
    env = {**os.environ, "BENCH_LISTEN_FD": str(listening.fileno()), "BENCH_PROCESSES": "1"}
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.bare_app"], env=env, pass_fds=(listening.fileno(),)
        )
        for _ in range(count)
    ]
    host, port = listening.getsockname()[:2]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_args: stop.set())
    print(f"serving Slack at http://{host}:{port}/slack/events", file=sys.stderr, flush=True)
    stop.wait()
    for child in children:
        child.terminate()
    for child in children:
        child.wait(10)


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    count = int(os.environ.get("BENCH_PROCESSES", "1"))
    if count > 1:
        pre_fork(count)
        return
    fd = os.environ.get("BENCH_LISTEN_FD")
    where: dict[str, Any] = (
        {"sockets": [socket.socket(fileno=int(fd))]}
        if fd
        else {"host": one_address("127.0.0.1"), "port": 0}
    )
    floor = os.environ.get("BENCH_FLOOR", "bolt")
    if floor == "wsgi":
        # The serving settings summitbot serve uses, or (BENCH_WAITRESS=defaults) waitress's
        # own, which serve ran on before issue 27 (section 12a's "before" row).
        own = os.environ.get("BENCH_WAITRESS") == "defaults"
        server = create_server(
            signature_only(),
            threads=WORKER_THREADS,
            **where,
            **({} if own else waitress_settings()),
        )
    else:
        app = bolt_app(before_response=floor == "bolt-before-response")
        handler = SlackRequestHandler(app, path=EVENTS_PATH)
        server = make_server(handler, where.get("host", ""), 0, **({} if not fd else where))
    if not fd:
        print(f"serving Slack at {bound_url(server)}/slack/events", file=sys.stderr, flush=True)
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(0))
    server.run()


if __name__ == "__main__":
    main()
