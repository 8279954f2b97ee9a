"""The README is a front door: its first screen says what the app does and the two set-up
commands, and links every page of docs/, each written for one kind of reader; no link in
them leads nowhere."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
FIRST_SCREEN = 45  # lines


def test_the_first_screen_says_what_it_is_and_the_two_set_up_commands() -> None:
    first = "\n".join((REPO / "README.md").read_text().splitlines()[:FIRST_SCREEN])
    assert "Slack app" in first and "/whois samsung" in first
    assert "make run" in first and "make test" in first


def test_every_page_of_docs_is_linked_from_the_front_door_and_links_back() -> None:
    readme = (REPO / "README.md").read_text()
    pages = sorted((REPO / "docs").glob("*.md"))
    assert len(pages) >= 6
    for page in pages:
        assert f"](docs/{page.name})" in readme, page.name
        assert "](../README.md)" in page.read_text(), page.name
    assert len(readme.splitlines()) < 80, "the rest belongs in docs/"


def test_no_relative_link_leads_nowhere() -> None:
    for document in [REPO / "README.md", *(REPO / "docs").glob("*.md")]:
        for target in LINK.findall(document.read_text()):
            if "://" in target:
                continue
            assert (document.parent / target).exists(), f"{document.name}: {target}"
