"""Feed text made plain: outlets put HTML, entities and odd whitespace in titles and
summaries, and none of it may reach Slack as markup."""

from __future__ import annotations

import html
from html.parser import HTMLParser

MAX_TITLE = 300
MAX_SUMMARY = 500
MAX_OUTLET = 100


class _TextOnly(HTMLParser):
    """Keeps the text of an HTML fragment; the standard library's parser copes with the
    broken markup feeds carry, which a regular expression would not."""

    # Their content is never text a reader sees.
    SKIPPED = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self._skipping += 1
        elif tag in ("br", "p", "div", "li"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def plain_text(fragment: str | None, limit: int) -> str:
    """Tags stripped, entities decoded (twice-escaped ones too), whitespace collapsed, cut at
    a word to ``limit`` characters with an ellipsis."""
    if not fragment:
        return ""
    parser = _TextOnly()
    parser.feed(fragment)
    parser.close()
    text = html.unescape("".join(parser.parts))
    # Control characters (but for whitespace) have no place in a title.
    text = "".join(ch if ch.isprintable() or ch.isspace() else " " for ch in text)
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + "…"
