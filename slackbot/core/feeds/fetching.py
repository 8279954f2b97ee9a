"""Fetching feeds over HTTP with httpx, as a polite and careful client: conditional GETs,
bounded time and size, and no requests to addresses inside the network it runs in."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from slackbot import __version__

if TYPE_CHECKING:
    import httpx

USER_AGENT = f"SummitIntel/{__version__} (Slack app; feed reader)"
CONNECT_TIMEOUT = 5.0
TOTAL_TIMEOUT = 20.0
MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


Resolver = Callable[[str, int], list[str]]


class RefusedAddress(ValueError):
    """A feed URL that may not be fetched: not http(s), or a host inside the network."""


@dataclass(frozen=True)
class FetchResult:
    """What one fetch got: a status (None when no answer came) and the body, or why not."""

    status: int | None
    url: str
    content: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    retry_after: float | None = None  # seconds, from a 429 or 503
    error: str | None = None
    moved_to: str | None = None  # where a permanent redirect (301, 308) points

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After in seconds, written as seconds or as an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host``, in its order."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise RefusedAddress(f"{host} does not resolve ({error})") from None
    addresses: list[str] = []
    for info in found:
        address = str(info[4][0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def inside_network(address: str) -> bool:
    """True for an address a feed may not be read from: loopback, private, link-local (cloud
    metadata at 169.254.169.254), carrier-grade NAT, reserved, unspecified, multicast."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def refuse_inside(host: str, addresses: Iterable[str]) -> None:
    inside = sorted(address for address in addresses if inside_network(address))
    if inside:
        raise RefusedAddress(
            f"{host} resolves to {inside[0]}, an address inside the network (loopback, "
            "private, link-local or metadata); such feeds are refused unless "
            "SUMMITBOT_FEEDS_ALLOW_PRIVATE=true"
        )


def check_url(url: str, *, allow_private: bool, resolve: Resolver = system_resolve) -> None:
    """Raises ``RefusedAddress`` for anything but http(s) to a public host. The connection
    itself checks the address again (``guarded.GuardedBackend``): this early check is what
    an admin adding a feed hears, and what stops a redirect before it is followed."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise RefusedAddress(f"not a valid URL ({error})") from None
    if parts.scheme not in ("http", "https"):
        raise RefusedAddress("only http:// and https:// feeds can be read")
    if not host:
        raise RefusedAddress("the URL has no host")
    if allow_private:
        return
    refuse_inside(host, resolve(host, port))


class Fetcher:
    """One HTTP client shared by every feed (httpx's Client is thread-safe).

    ``proxy``: the only proxy fetches go through (``SUMMITBOT_FEEDS_PROXY``); the
    environment's ``HTTP(S)_PROXY`` is ignored, since a proxy would connect for us to
    whatever its own resolver says. ``resolve``: the resolver (tests give one that lies)."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        connect_timeout: float = CONNECT_TIMEOUT,
        total_timeout: float = TOTAL_TIMEOUT,
        max_bytes: int = MAX_BYTES,
        max_redirects: int = MAX_REDIRECTS,
        proxy: str | None = None,
        resolve: Resolver = system_resolve,
    ) -> None:
        self.allow_private = allow_private
        self.total_timeout = total_timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.connect_timeout = connect_timeout
        self.proxy = proxy
        self.resolve = resolve
        self._made: httpx.Client | None = None
        self._making = threading.Lock()

    @property
    def _client(self) -> httpx.Client:
        """Made at the first fetch: httpx (with httpcore, h11 and anyio, some 15 MB resident)
        is imported then, so a process that polls no feeds never loads it."""
        with self._making:
            if self._made is None:
                import httpx

                from slackbot.core.feeds.decoding import ACCEPT_ENCODING
                from slackbot.core.feeds.guarded import GuardedBackend

                limits = httpx.Limits(max_connections=32, max_keepalive_connections=8)
                transport = httpx.HTTPTransport(limits=limits, trust_env=False, proxy=self.proxy)
                # httpx has no parameter for httpcore's network backend; its pool (a
                # ConnectionPool, or an HTTPProxy built on one) takes it from this attribute
                # for each connection it makes. tests/test_hostile_networks.py fails if a
                # new httpx stops honouring it.
                pool = transport._pool
                if not hasattr(pool, "_network_backend"):
                    raise RuntimeError("this httpx cannot pin feed connections; pin httpx<1")
                pool._network_backend = GuardedBackend(
                    pin=not self.allow_private and self.proxy is None, resolve=self.resolve
                )
                self._made = httpx.Client(
                    transport=transport,
                    trust_env=False,
                    timeout=httpx.Timeout(self.total_timeout, connect=self.connect_timeout),
                    # Redirects are followed here, one hop at a time, so each host is checked.
                    follow_redirects=False,
                    headers={
                        "User-Agent": USER_AGENT,
                        "Accept": ACCEPT,
                        "Accept-Encoding": ACCEPT_ENCODING,
                    },
                )
            return self._made

    def close(self) -> None:
        with self._making:
            if self._made is not None:
                self._made.close()

    def check(self, url: str) -> None:
        check_url(url, allow_private=self.allow_private, resolve=self.resolve)

    def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """One feed, redirects followed, all of it (every hop, connect, header and byte)
        within ``total_timeout``."""
        from slackbot.core.feeds.guarded import deadline

        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        with deadline(time.monotonic() + self.total_timeout):
            return self._follow(url, headers)

    def _follow(self, url: str, headers: dict[str, str]) -> FetchResult:
        import httpx  # see _client

        moved_to = None
        current = url
        for _hop in range(self.max_redirects + 1):
            try:
                self.check(current)
                result = self._get(current, headers)
            except RefusedAddress as refused:
                return FetchResult(None, current, error=f"refused: {refused}")
            except httpx.TimeoutException:
                return FetchResult(None, current, error="timed out")
            except httpx.HTTPError as error:
                return FetchResult(None, current, error=f"could not connect ({error})"[:200])
            if isinstance(result, FetchResult):
                return replace(result, moved_to=moved_to)
            # A redirect: (status, location)
            status, location = result
            current = urljoin(current, location)
            if status in (301, 308) and moved_to is None and current:
                moved_to = current
        return FetchResult(None, current, error=f"more than {self.max_redirects} redirects")

    def _get(self, url: str, headers: dict[str, str]) -> FetchResult | tuple[int, str]:
        from slackbot.core.feeds.decoding import TooLarge, UnknownEncoding, decoded

        with self._client.stream("GET", url, headers=headers) as response:
            if response.is_redirect and response.headers.get("location"):
                return response.status_code, response.headers["location"]
            retry_after = None
            if response.status_code in (429, 503):
                retry_after = retry_after_seconds(response.headers.get("retry-after"))
            answer = FetchResult(
                response.status_code,
                str(response.url),
                content_type=response.headers.get("content-type"),
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                retry_after=retry_after,
            )
            if response.status_code != 200:
                return answer
            declared = response.headers.get("content-length", "")
            encoding = response.headers.get("content-encoding")
            if not encoding and declared.isdigit() and int(declared) > self.max_bytes:
                return replace(answer, error=self._too_large())
            try:
                # Counted after gzip is undone, step by step: a compressed bomb is refused
                # with memory near the cap.
                body = b"".join(decoded(response.iter_raw(), encoding, self.max_bytes))
            except TooLarge:
                return replace(answer, error=self._too_large())
            except UnknownEncoding as unknown:
                return replace(answer, error=f"sent in an encoding we did not ask for ({unknown})")
            except ValueError as damaged:
                return replace(answer, error=str(damaged))
            return replace(answer, content=body)

    def _too_large(self) -> str:
        return f"larger than {self.max_bytes // (1024 * 1024)} MB"
