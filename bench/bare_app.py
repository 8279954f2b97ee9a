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
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from waitress import create_server

from slackbot.app import LISTENER_THREADS
from slackbot.connection_guard import waitress_settings
from slackbot.server import WORKER_THREADS, bound_url, make_server, one_address

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


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    floor = os.environ.get("BENCH_FLOOR", "bolt")
    if floor == "wsgi":
        # The serving settings summitbot serve uses, or (BENCH_WAITRESS=defaults) waitress's
        # own, which serve ran on before issue 27 (section 12a's "before" row).
        own = os.environ.get("BENCH_WAITRESS") == "defaults"
        server = create_server(
            signature_only(),
            host=one_address("127.0.0.1"),
            port=0,
            threads=WORKER_THREADS,
            **({} if own else waitress_settings()),
        )
    else:
        server = make_server(
            bolt_app(before_response=floor == "bolt-before-response"), "127.0.0.1", 0
        )
    print(f"serving Slack at {bound_url(server)}/slack/events", file=sys.stderr, flush=True)
    server.run()


if __name__ == "__main__":
    main()
