"""One spelling per article link, so the same story is known however an outlet tagged it."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

# Tracking parameters: the same article with or without them is the same article.
TRACKING_PARAMETERS = frozenset({"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid"})


def canonical_link(link: str | None, base: str | None = None) -> str | None:
    """An absolute http(s) link with a lower-cased host, without its fragment, default port
    or tracking parameters (``utm_*``, ``fbclid``, ``gclid``…); None for anything else."""
    if not link or not link.strip():
        return None
    absolute = urljoin(base or "", link.strip())
    try:
        parts = urlsplit(absolute)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        host = f"{host}:{port}"
    query = urlencode(
        [
            (key, value)
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
            if not key.lower().startswith("utm_") and key.lower() not in TRACKING_PARAMETERS
        ]
    )
    return urlunsplit((scheme, host, parts.path or "/", query, ""))
