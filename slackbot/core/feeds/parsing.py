"""Feed documents to items, with feedparser: RSS 0.9x/1.0/2.0, RDF and Atom, in whatever
encoding they are declared in (or, for Korean feeds, often not declared)."""

from __future__ import annotations

import calendar
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slackbot.core.feeds.cleaning import MAX_OUTLET, MAX_SUMMARY, MAX_TITLE, plain_text
from slackbot.core.feeds.links import canonical_link

_XML_DECLARATION = re.compile(rb"^(\s*<\?xml[^>]*?encoding=[\"'])([A-Za-z0-9._-]+)([\"'])")
_CHARSET = re.compile(r"charset=[\"']?([A-Za-z0-9._-]+)", re.IGNORECASE)
# Korean outlets declare EUC-KR but write CP949 (its superset: 똠, 햏…); decoding as EUC-KR
# would fail on those characters and lose the item.
_SUPERSETS = {"euc-kr": "cp949", "euc_kr": "cp949", "ks_c_5601-1987": "cp949", "ksc5601": "cp949"}


@dataclass(frozen=True)
class FeedItem:
    title: str
    link: str | None  # canonical
    guid: str | None
    published_at: datetime | None
    summary: str


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    items: list[FeedItem]
    # What was wrong with the document, when feedparser recovered from it (or could not).
    problem: str | None = None
    usable: bool = True


def _declared_encoding(content: bytes, content_type: str | None) -> str | None:
    match = _CHARSET.search(content_type or "")
    if match:
        return match.group(1).lower()
    declared = _XML_DECLARATION.match(content[:200])
    return declared.group(2).decode("ascii").lower() if declared else None


def as_utf8(content: bytes, content_type: str | None) -> bytes:
    """The document re-encoded as UTF-8 with its declaration saying so: EUC-KR read as CP949,
    and an undeclared document that is not UTF-8 tried as CP949 before feedparser's
    Windows-1252 guess turns Hangul into noise."""
    declared = _declared_encoding(content, content_type)
    candidates = [_SUPERSETS.get(declared, declared)] if declared else []
    candidates += ["utf-8", "cp949"]
    for encoding in candidates:
        try:
            text = content.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
        body = text.encode("utf-8")
        return _XML_DECLARATION.sub(rb"\g<1>utf-8\g<3>", body, count=1)
    return content


def _published(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        moment = entry.get(key)
        if moment:
            try:
                return datetime.fromtimestamp(calendar.timegm(moment), UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None


def parse_feed(content: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    """Items of a feed document; a malformed one that feedparser recovers still gives its
    items, with the problem said."""
    body = as_utf8(content, content_type)
    # Imported here: documents are parsed in a worker process, and a serving process that
    # parses nothing itself need not load feedparser (about 10 MB resident).
    import feedparser

    # A stream, never bytes or str: feedparser opens a string that looks like a path or URL.
    parsed = feedparser.parse(
        io.BytesIO(body),
        response_headers={
            "content-location": url,
            "content-type": "application/xml; charset=utf-8",
        },
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    problem = None
    if parsed.get("bozo"):
        error = parsed.get("bozo_exception")
        problem = f"malformed feed ({type(error).__name__}: {str(error)[:120]})"
    base = parsed.feed.get("link") or url
    items = []
    for entry in parsed.entries:
        title = plain_text(entry.get("title"), MAX_TITLE)
        summary = plain_text(entry.get("summary") or entry.get("description"), MAX_SUMMARY)
        if not title and not summary:
            continue
        link = canonical_link(entry.get("link"), base) or canonical_link(entry.get("link"), url)
        guid = (entry.get("id") or "").strip()[:500] or None
        items.append(FeedItem(title or summary[:MAX_TITLE], link, guid, _published(entry), summary))
    title = plain_text(parsed.feed.get("title"), MAX_OUTLET)
    if not items and problem is not None:
        return ParsedFeed(title, [], problem, usable=False)
    if not items and not parsed.get("version"):
        return ParsedFeed(title, [], "not a feed (no RSS, RDF or Atom found)", usable=False)
    return ParsedFeed(title, items, problem)
