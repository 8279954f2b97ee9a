"""The listener runner that answers Slack as soon as ``ack()`` is called
(slackbot/slack/listener_runner.py), against Bolt's own dispatch."""

from __future__ import annotations

import hashlib
import inspect
import threading
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import Ack, App, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.listener import thread_runner
from slack_bolt.listener.thread_runner import ThreadListenerRunner
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient

from slackbot.slack.listener_runner import PromptApp, answers_in_request
from tests.slack_client import signed_headers

SECRET = "runner-secret"
# The Bolt code PromptListenerRunner.run follows; when Bolt changes it, compare the two.
BOLT_RUN_SHA256 = "bdb2698d88f472d56c6c80cdbcc91ad3fb16946c013af3744b7f4c4129e7d5ad"


def test_the_bolt_code_it_follows_is_unchanged() -> None:
    source = inspect.getsource(ThreadListenerRunner.run)
    assert hashlib.sha256(source.encode()).hexdigest() == BOLT_RUN_SHA256, (
        "slack_bolt's ThreadListenerRunner.run changed: check that "
        "slackbot/slack/listener_runner.py still does what it does, then update the hash"
    )


def make_app() -> App:
    return PromptApp(
        signing_secret=SECRET,
        client=WebClient(base_url="http://127.0.0.1:9/"),
        authorize=lambda **_kwargs: AuthorizeResult(
            enterprise_id=None, team_id="T1", bot_token="xoxb-test", bot_user_id="U0BOT"
        ),
    )


def command(app: App, name: str) -> BoltResponse:
    body = urlencode(
        {
            "command": name,
            "text": "",
            "user_id": "U1",
            "channel_id": "C1",
            "team_id": "T1",
            "response_url": "https://hooks.invalid/1",
            "trigger_id": "t",
        }
    )
    return app.dispatch(BoltRequest(body=body, headers=signed_headers(SECRET, body)))


def test_the_answer_leaves_while_the_listener_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """No polling: Bolt's runner sleeps 10 ms at a time until ack(); this one never sleeps."""
    slept: list[float] = []
    real_time = thread_runner.time

    class Clock:
        time = staticmethod(real_time.time)

        @staticmethod
        def sleep(seconds: float) -> None:
            slept.append(seconds)
            real_time.sleep(seconds)

    monkeypatch.setattr(thread_runner, "time", Clock)
    app = make_app()
    release = threading.Event()
    finished = threading.Event()

    @app.command("/slow")
    def slow(ack: Ack) -> None:
        time.sleep(0.05)  # the request thread is waiting by now
        ack("on it")
        release.wait(5)
        finished.set()

    response = command(app, "/slow")
    assert response.status == 200 and "on it" in response.body
    assert not finished.is_set()  # answered before the listener's work was done
    assert slept == []
    release.set()
    assert finished.wait(5)


def test_a_listener_failing_before_it_acknowledges_answers_500() -> None:
    app = make_app()

    @app.command("/broken")
    def broken(ack: Ack) -> None:
        raise RuntimeError("boom")

    assert command(app, "/broken").status == 500


def test_a_listener_that_never_acknowledges_is_not_waited_for() -> None:
    app = make_app()

    @app.command("/silent")
    def silent() -> None:
        pass

    response = command(app, "/silent")
    # Bolt answers 404 for a request no listener acknowledged (after its runner waited out
    # the 3 seconds; this one stops waiting when the listener returns).
    assert response.status == 404


def test_an_acknowledgement_made_by_middleware_is_kept() -> None:
    app = make_app()

    def acks_first(ack: Ack, next: Any) -> None:
        ack("from the middleware")
        next()

    @app.command("/checked", middleware=[acks_first])
    def checked() -> None:
        pass

    response = command(app, "/checked")
    assert response.status == 200 and "from the middleware" in response.body


def test_a_listener_marked_to_answer_in_the_request_runs_in_the_request_thread() -> None:
    app = make_app()
    threads: dict[str, threading.Thread] = {}

    @app.command("/inline")
    @answers_in_request()
    def inline(ack: Ack) -> None:
        threads["inline"] = threading.current_thread()
        ack("here")

    @app.command("/pooled")
    def pooled(ack: Ack) -> None:
        threads["pooled"] = threading.current_thread()
        ack("there")

    assert "here" in command(app, "/inline").body
    assert "there" in command(app, "/pooled").body
    assert threads["inline"] is threading.current_thread()
    assert threads["pooled"] is not threading.current_thread()


def test_the_mark_decides_request_by_request() -> None:
    app = make_app()
    threads: list[bool] = []

    @app.command("/sometimes")
    @answers_in_request(lambda body, _context: body.get("command") == "/sometimes")
    def sometimes(ack: Ack) -> None:
        threads.append(threading.current_thread() is threading.main_thread())
        ack("ok")

    @app.command("/never")
    @answers_in_request(lambda _body, _context: False)
    def never(ack: Ack) -> None:
        threads.append(threading.current_thread() is threading.main_thread())
        ack("ok")

    command(app, "/sometimes")
    command(app, "/never")
    assert threads == [True, False]


def test_a_marked_listener_failing_before_it_acknowledges_answers_500() -> None:
    app = make_app()

    @app.command("/broken")
    @answers_in_request()
    def broken(ack: Ack) -> None:
        raise RuntimeError("boom")

    assert command(app, "/broken").status == 500
