"""The processes of ``serve --processes N`` share out kept-alive connections evenly
(slackbot/accept_share.py): a process accepts only while it holds no more connections than
the least loaded other, and a process that stopped writing its count is left out."""

from __future__ import annotations

import http.client
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from slackbot.accept_share import STALE_SECONDS, AcceptShare
from slackbot.app import Built
from slackbot.server import GracefulServer


def test_a_process_accepts_while_it_holds_no_more_than_the_least_loaded_other() -> None:
    fd = AcceptShare.make(3)
    now = [100.0]
    views = [AcceptShare(fd, 3, slot, clock=lambda: now[0]) for slot in range(3)]
    try:
        assert all(view.may_accept() for view in views)  # nobody has written yet
        views[0].held(5)
        views[1].held(3)
        views[2].held(3)
        assert not views[0].may_accept()
        assert views[1].may_accept() and views[2].may_accept()  # ties both accept
        views[1].held(4)
        assert views[2].may_accept() and not views[1].may_accept()
        # Slot 2's process stops writing (it hangs, or died): after STALE_SECONDS it is left
        # out, so the others share its part.
        now[0] += STALE_SECONDS + 0.5
        views[0].held(5)
        views[1].held(4)
        assert views[1].may_accept() and not views[0].may_accept()
        views[1].forget(1)  # the supervisor saw slot 1's process exit
        assert views[0].may_accept()
    finally:
        for view in views:
            view.close()
        os.close(fd)


def test_a_slot_outside_the_share_is_refused() -> None:
    fd = AcceptShare.make(2)
    try:
        with pytest.raises(ValueError, match="slot 2 is not one of 2"):
            AcceptShare(fd, 2, 2)
    finally:
        os.close(fd)


@contextmanager
def serving(
    built: Built, listening: socket.socket, share: AcceptShare | None
) -> Iterator[GracefulServer]:
    # Each serving process has its own descriptor of the one listening socket; closing it
    # when this one stops leaves the other's open.
    own = listening.dup()
    server = GracefulServer(
        built.ingress, "127.0.0.1", 0, tick_seconds=0.05, sockets=[own], accept_share=share
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop()
        thread.join(timeout=15)


def kept_alive(port: int, count: int) -> list[http.client.HTTPConnection]:
    """``count`` connections, each accepted and answered once before the next is opened."""
    connections = []
    for _ in range(count):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/healthz")
        answer = connection.getresponse()
        answer.read()
        assert answer.status == 200
        connections.append(connection)
    return connections


def test_two_serving_loops_on_one_socket_share_kept_alive_connections(built: Built) -> None:
    """One process already holds 6 connections when the other starts: the next 6 all go
    to the newcomer. Left to the kernel (no share), each went to whichever loop woke first,
    and the busy one kept taking them (with 6, all six to the newcomer 1 time in 64)."""
    listening = socket.create_server(("127.0.0.1", 0), backlog=64)
    port = listening.getsockname()[1]
    fd = AcceptShare.make(2)
    opened: list[http.client.HTTPConnection] = []
    try:
        first_share = AcceptShare(fd, 2, 0)
        with serving(built, listening, first_share) as first:
            opened += kept_alive(port, 6)
            with serving(built, listening, AcceptShare(fd, 2, 1)) as second:
                # Until its loop first turns, the newcomer has said nothing (a process
                # starting): the first one then still accepts.
                deadline = time.monotonic() + 10
                while first_share.may_accept() and time.monotonic() < deadline:
                    time.sleep(0.01)
                # and the first decides again whether to watch the socket at its loop's
                # next turn (a tick of 0.05 s at most, here).
                time.sleep(0.2)
                opened += kept_alive(port, 6)
                held = (len(first.server.active_channels), len(second.server.active_channels))
            for connection in opened:
                connection.close()
    finally:
        listening.close()
        os.close(fd)
    assert held == (6, 6)


def test_a_process_that_stops_is_left_out_at_once(built: Built) -> None:
    """Draining, it accepts no more: the others must not wait STALE_SECONDS for its turn
    (a rolling restart of one process held new connections back that long)."""
    listening = socket.create_server(("127.0.0.1", 0), backlog=64)
    port = listening.getsockname()[1]
    fd = AcceptShare.make(2)
    staying = AcceptShare(fd, 2, 0)
    opened: list[http.client.HTTPConnection] = []
    try:
        with serving(built, listening, staying):
            opened += kept_alive(port, 3)  # the staying one holds 3
            with serving(built, listening, AcceptShare(fd, 2, 1)):
                deadline = time.monotonic() + 10
                while staying.may_accept() and time.monotonic() < deadline:
                    time.sleep(0.01)  # the newcomer holds fewer: it takes the next
                assert not staying.may_accept()
            # The newcomer stopped (drained): the one staying accepts again, at once.
            assert staying.may_accept()
            opened += kept_alive(port, 1)
        for connection in opened:
            connection.close()
    finally:
        listening.close()
        os.close(fd)
