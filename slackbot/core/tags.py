"""Tags: one spelling for every way a tag is typed."""

from __future__ import annotations

import re

from storage.api import fold


def normalise_tag(text: str) -> str:
    """The one spelling of a tag: 'AI services' -> 'ai-services' (forms, imports, /digest)."""
    return re.sub(r"[^\w-]+", "-", fold(text.strip())).strip("-")
