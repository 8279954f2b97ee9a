"""A real HTTP server on loopback serving feed documents the way outlets do: validators and
304s, redirects, errors, Retry-After, bodies too large and answers that never come."""

from __future__ import annotations

import contextlib
import gzip
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FEEDS = Path(__file__).resolve().parent / "feeds"


def document(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml"
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    gzip: bool = False
    stall: bool = False  # never answer (until the server stops)
    drip: float = 0.0  # seconds between the bytes of the answer (a server slow on purpose)
    encoded_as: str | None = None  # the body is already encoded so (a gzip bomb, say)


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]
    at: float


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        # Requests being answered right now, and the most there ever were at once.
        self.in_flight = 0
        self.most_in_flight = 0
        # For each dripping route, how many bytes went out before the client left.
        self.dripped: dict[str, int] = {}
        self._counting = threading.Lock()
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, body: bytes = b"", **route: Any) -> str:
        self.routes[path] = Route(body, **route)
        return self.url(path)

    def requests_to(self, path: str) -> list[Seen]:
        return [seen for seen in self.requests if seen.path == path]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:
                pass

            def handle(self) -> None:
                # A client that gave up (a timeout, a body over the limit) is not an error.
                with contextlib.suppress(ConnectionError):
                    super().handle()

            def do_GET(self) -> None:
                with server._counting:
                    server.in_flight += 1
                    server.most_in_flight = max(server.most_in_flight, server.in_flight)
                try:
                    self._get()
                finally:
                    with server._counting:
                        server.in_flight -= 1

            def _get(self) -> None:
                headers = {key.lower(): value for key, value in self.headers.items()}
                server.requests.append(Seen(self.path, headers, time.monotonic()))
                route = server.routes.get(self.path)
                if route is None:
                    self._answer(404, b"not found", {"Content-Type": "text/plain"})
                    return
                if route.stall:
                    server._stop.wait(60)
                    return
                if route.delay:
                    time.sleep(route.delay)
                extra = dict(route.headers)
                if route.etag:
                    extra["ETag"] = route.etag
                if route.last_modified:
                    extra["Last-Modified"] = route.last_modified
                fresh = (route.etag and headers.get("if-none-match") == route.etag) or (
                    route.last_modified and headers.get("if-modified-since") == route.last_modified
                )
                if route.status == 200 and fresh:
                    self._answer(304, b"", extra)
                    return
                body = route.body
                if route.encoded_as:
                    extra["Content-Encoding"] = route.encoded_as
                if route.drip:
                    self._drip(route, body, extra)
                    return
                if route.gzip and "gzip" in headers.get("accept-encoding", ""):
                    body = gzip.compress(body)
                    extra["Content-Encoding"] = "gzip"
                self._answer(route.status, body, {"Content-Type": route.content_type, **extra})

            def _drip(self, route: Route, body: bytes, headers: dict[str, str]) -> None:
                head = f"HTTP/1.1 {route.status} OK\r\nContent-Type: {route.content_type}\r\n"
                head += "".join(f"{key}: {value}\r\n" for key, value in headers.items())
                head += f"Content-Length: {len(body)}\r\n\r\n"
                server.dripped[self.path] = 0
                with contextlib.suppress(OSError):
                    for byte in head.encode() + body:
                        if server._stop.wait(route.drip):
                            return
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        server.dripped[self.path] += 1

            def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                        self.wfile.write(body)

        return Handler
