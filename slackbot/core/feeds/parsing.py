"""Feed documents to items, with feedparser: RSS 0.9x/1.0/2.0, RDF and Atom, in whatever
encoding they are declared in (or, for Korean feeds, often not declared)."""

from __future__ import annotations

import calendar
import codecs
import email.utils
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


# A byte order mark says the encoding whatever the declaration claims (XML 1.0, appendix F).
# UTF-32's marks come first: UTF-32LE's begins with UTF-16LE's.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# An undeclared document that is neither UTF-8 nor Korean: Western outlets write Windows-1252
# (Latin-1 with curly quotes and dashes in 0x80-0x9F).
_WESTERN = "cp1252"


def _byte_order_mark(content: bytes) -> str | None:
    return next((name for mark, name in _BYTE_ORDER_MARKS if content.startswith(mark)), None)


def _reads_as_korean(text: str) -> bool:
    """Whether text decoded as CP949 is Korean rather than Latin-1 read wrongly: Korean
    writing is almost all in EUC-KR's 2,350 common syllables, while Latin-1's accented
    letters next to ASCII decode to CP949's rare extension syllables."""
    wide = [ch for ch in text if ord(ch) > 0x7F]
    if not wide:
        return True
    common = 0
    for ch in wide:
        try:
            ch.encode("euc-kr")
        except UnicodeEncodeError:
            continue
        common += 1
    return common >= 0.9 * len(wide)


def as_utf8(content: bytes, content_type: str | None) -> bytes:
    """The document re-encoded as UTF-8 with its declaration saying so: a byte order mark
    decides first (UTF-8, 16 or 32); EUC-KR is read as CP949; an undeclared document that is
    not UTF-8 is tried as CP949 (Korean outlets) and else read as Windows-1252, before
    feedparser's own guess turns Hangul into noise or warns about a declaration there is
    not."""
    marked = _byte_order_mark(content)
    declared = None if marked else _declared_encoding(content, content_type)
    candidates = [marked] if marked else []
    if declared:
        candidates.append(_SUPERSETS.get(declared, declared))
    candidates += ["utf-8", "cp949", _WESTERN]
    for encoding in candidates:
        try:
            text = content.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
        chosen = _SUPERSETS.get(declared, declared) if declared else None
        if encoding == "cp949" and chosen != "cp949" and not _reads_as_korean(text):
            continue
        body = text.encode("utf-8")
        return _XML_DECLARATION.sub(rb"\g<1>utf-8\g<3>", body, count=1)
    return content


def _published(entry: Any) -> datetime | None:
    """When the item was published, in the offset the source wrote it in: feedparser's
    parsed dates are UTC, and the day an item was reported is the source's own day (08:00 on
    10 June in Seoul is 23:00 on 9 June in UTC)."""
    for key in ("published", "updated", "created"):
        moment = entry.get(f"{key}_parsed")
        if not moment:
            continue
        try:
            instant = datetime.fromtimestamp(calendar.timegm(moment), UTC)
        except (OverflowError, ValueError, OSError):
            continue
        written = _with_offset(entry.get(key))
        return written if written is not None and written == instant else instant
    return None


def _with_offset(text: Any) -> datetime | None:
    """An RFC 822 or ISO 8601 date as written, offset kept; None for anything else."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        moment = email.utils.parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            return None
    return moment if moment.tzinfo is not None else None


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
