"""Clients that hold connections open on purpose (issue 27, item 3): Slack's requests are
still answered within its 3 s while hundreds of connections sit on half a request, and the
server closes them. The app served as in production (waitress in the GracefulServer loop)
on loopback, with signed requests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from slackbot.app import Built
from slackbot.server import GracefulServer
from tests.conftest import SIGNING_SECRET
from tests.fake_slack import FakeSlack
from tests.slack_client import SlackSender

HALF_A_REQUEST = (
    b"POST /slack/events HTTP/1.1\r\nHost: summit\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 400\r\n\r\ncommand="
)


def hold(url: str, count: int, payload: bytes = HALF_A_REQUEST) -> list[socket.socket]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    held = []
    for _ in range(count):
        connection = socket.create_connection((host, int(port)), timeout=5)
        if payload:
            connection.sendall(payload)
        held.append(connection)
    return held


def closed_by_server(connection: socket.socket, within: float) -> bool:
    connection.settimeout(within)
    try:
        return connection.recv(1) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


@pytest.fixture
def serve(built: Built) -> Iterator[object]:
    servers: list[tuple[GracefulServer, threading.Thread]] = []

    def start(**settings: object) -> str:
        server = GracefulServer(built.ingress, "127.0.0.1", 0, tick_seconds=0.05, **settings)  # type: ignore[arg-type]
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread))
        return server.url

    yield start
    for server, thread in servers:
        server.stop()
        thread.join(timeout=15)


def test_slack_is_answered_within_3_s_while_500_connections_hold_half_a_request(
    serve: object, fake_slack: FakeSlack
) -> None:
    url = serve()  # type: ignore[operator]
    held = hold(url, 500)
    try:
        # Slack gives up on an answer after 3 s: so does this client.
        slack = SlackSender(url, SIGNING_SECRET, fake_slack, timeout=3)
        assert slack.get("/healthz").status == 200
        reply = slack.command("/whois", "samsung")
        assert reply.status == 200 and "Samsung Electronics" in reply.joined()
        slack.close()
    finally:
        for connection in held:
            connection.close()


def test_a_request_not_sent_whole_within_the_deadline_is_closed(serve: object) -> None:
    url = serve(request_seconds=1.0)  # type: ignore[operator]
    held = hold(url, 20)
    try:
        assert all(closed_by_server(connection, within=10) for connection in held)
    finally:
        for connection in held:
            connection.close()


def test_near_the_cap_the_idlest_connections_make_room(
    serve: object, fake_slack: FakeSlack
) -> None:
    url = serve(connection_limit=60)  # type: ignore[operator]
    idle = hold(url, 60, payload=b"")  # connected, sending nothing
    try:
        time.sleep(0.2)  # accepted by the serving loop
        slack = SlackSender(url, SIGNING_SECRET, fake_slack, timeout=3)
        assert slack.command("/whois", "samsung").status == 200
        slack.close()
        assert sum(closed_by_server(connection, within=0.5) for connection in idle) >= 6
    finally:
        for connection in idle:
            connection.close()
