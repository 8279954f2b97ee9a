"""A load generator that costs the machine little: signed requests made before the clock
starts, sent on keep-alive connections from processes of their own.

Why our own and not the Slack client the other sections use: on a two-core machine the
clients share the cores with the servers they measure. ``SlackSender`` (http.client, a
signature per request, threads under one GIL) took about 0.3 ms of CPU a request, as much
as a plain WSGI server's answer, so a second serving process mostly bought CPU for the
client. wrk or another load tool is not something ``pip`` installs; this is the part of one
the benchmark needs: closed-loop clients (each sends its next request when its answer is in),
driven by ``selectors`` in a few processes, timing each request from its send to the last
byte of its answer. Answers are read by their ``Content-Length`` (waitress always sends one
for these) and not parsed further."""

from __future__ import annotations

import multiprocessing
import multiprocessing.queues
import multiprocessing.synchronize
import selectors
import socket
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from slackbot.server import EVENTS_PATH
from tests.slack_client import DEFAULT_CHANNEL, DEFAULT_USER, signed_headers

# Two processes of clients: one per core. More would only add switching between them.
CLIENT_PROCESSES = 2


@dataclass(frozen=True)
class Outcome:
    """What one process of clients saw: each answer's time (ms), the statuses other than
    200, and when its first request went out and its last answer came in (monotonic s)."""

    latencies: list[float]
    failures: list[str]
    started: float
    finished: float


def signed_command(
    url: str,
    secret: str,
    command: str,
    text: str,
    *,
    team_id: str = "T0TEAM",
    response_url: str | None = None,
) -> bytes:
    """One slash command as Slack sends it: form-encoded, signed, on a keep-alive connection."""
    fields = {
        "command": command,
        "text": text,
        "user_id": DEFAULT_USER,
        "user_name": "bench",
        "channel_id": DEFAULT_CHANNEL,
        "channel_name": "general",
        "team_id": team_id,
        "team_domain": "bench",
        "api_app_id": "A0BENCH",
        "trigger_id": "trigger-unused",
        "response_url": response_url or "https://hooks.invalid/commands/unused",
    }
    body = urlencode(fields)
    parts = urlsplit(url)
    headers = {
        "Host": parts.netloc,
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": str(len(body.encode())),
        **signed_headers(secret, body),
    }
    head = f"POST {parts.path or '/'} HTTP/1.1\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return (head + "\r\n").encode() + body.encode()


def _answer_length(buffer: bytes) -> tuple[int, int] | None:
    """(status, bytes of the whole answer) once its head is in ``buffer``."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = buffer[:end].split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, end + 4 + length


def _clients(
    address: tuple[str, int],
    assigned: list[list[bytes]],
    start: multiprocessing.synchronize.Barrier,
    results: multiprocessing.queues.Queue[Outcome],
) -> None:
    """One process driving its clients: ``assigned[i]`` is what client i sends, in order."""
    chooser = selectors.DefaultSelector()
    connections = []
    for number in range(len(assigned)):
        connection = socket.create_connection(address)
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection.setblocking(False)
        connections.append(connection)
        chooser.register(connection, selectors.EVENT_READ, number)
    position = [0] * len(assigned)
    sent_at = [0.0] * len(assigned)
    buffers = [b""] * len(assigned)
    latencies: list[float] = []
    failures: list[str] = []
    start.wait()
    started = time.monotonic()
    for number, connection in enumerate(connections):
        sent_at[number] = time.monotonic()
        connection.sendall(assigned[number][0])
    waiting = len(connections)
    while waiting:
        for key, _events in chooser.select():
            number = key.data
            chunk = connections[number].recv(262_144)
            if not chunk:
                failures.append("the server closed a connection")
                chooser.unregister(connections[number])
                waiting -= 1
                continue
            buffers[number] += chunk
            head = _answer_length(buffers[number])
            if head is None or len(buffers[number]) < head[1]:
                continue
            latencies.append((time.monotonic() - sent_at[number]) * 1000)
            if head[0] != 200:
                failures.append(f"{head[0]}: {buffers[number][: head[1]][-80:]!r}")
            buffers[number] = buffers[number][head[1] :]
            position[number] += 1
            if position[number] == len(assigned[number]):
                chooser.unregister(connections[number])
                waiting -= 1
                continue
            sent_at[number] = time.monotonic()
            connections[number].sendall(assigned[number][position[number]])
    finished = time.monotonic()
    for connection in connections:
        connection.close()
    results.put(Outcome(latencies, failures, started, finished))


@dataclass(frozen=True)
class Load:
    p50: float
    p99: float
    rps: float  # answered 200 a second
    failed: int  # answered, but not 200
    answered: int


def run(url: str, per_client: Sequence[Sequence[bytes]]) -> Load:
    """Every client sends its requests one after another on its own connection; the clients
    are shared among ``CLIENT_PROCESSES`` processes and all start together."""
    parts = urlsplit(url)
    address = (parts.hostname or "127.0.0.1", parts.port or 80)
    processes = min(CLIENT_PROCESSES, len(per_client))
    context = multiprocessing.get_context("fork")
    start = context.Barrier(processes)
    results: multiprocessing.queues.Queue[Outcome] = context.Queue()
    shares = [[list(c) for c in per_client[n::processes]] for n in range(processes)]
    workers = [
        context.Process(target=_clients, args=(address, share, start, results)) for share in shares
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join()
    latencies = [ms for outcome in outcomes for ms in outcome.latencies]
    failures = [failure for outcome in outcomes for failure in outcome.failures]
    elapsed = max(o.finished for o in outcomes) - min(o.started for o in outcomes)
    ordered = sorted(latencies)
    return Load(
        statistics.median(ordered),
        ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))],
        (len(latencies) - len(failures)) / elapsed,
        len(failures),
        len(latencies),
    )


def commands(
    url: str,
    secret: str,
    command: str,
    texts: Sequence[str],
    clients: int,
    total: int,
    *,
    response_urls: Callable[[], str] | None = None,
) -> Load:
    """``total`` slash commands to the server at ``url`` from ``clients`` clients, each
    asking its own share of ``texts`` (no question asked twice while there are enough),
    after a warm-up of 20 requests with other questions than those measured."""
    warm, measured = texts[-20:], texts[:-20] or texts
    events = url + EVENTS_PATH

    def signed(text: str) -> bytes:
        answer_to = response_urls() if response_urls else None
        return signed_command(events, secret, command, text, response_url=answer_to)

    run(url, [[signed(text) for text in warm]])
    per_client = max(total // clients, 1)
    prepared = []
    for number in range(clients):
        mine = list(measured[number::clients]) or list(measured)
        prepared.append([signed(mine[i % len(mine)]) for i in range(per_client)])
    return run(url, prepared)
