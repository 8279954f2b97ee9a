"""Issue 26, "Review without Slack": the review queue decided from the command line
(``summitbot review list | approve | reject``) and in the console (``/summit queue``,
``/summit approve``, ``/summit reject``), on a real store file, with candidates found by
polling a real feed served on loopback."""

from __future__ import annotations

import re
from pathlib import Path

from tests.feed_server import FeedServer, document
from tests.test_console_and_cli import summitbot

LOOPBACK = {"SUMMITBOT_FEEDS_ALLOW_PRIVATE": "true"}


def candidates_from_a_feed(tmp_path: Path, server: FeedServer) -> dict[str, str]:
    """Polls the wire's feed once; its candidates' ids by the first word of their title."""
    url = server.serve("/wire", document("rss2.xml"))
    added = summitbot(tmp_path, "feeds", "add", url, **LOOPBACK)
    assert added.returncode == 0, added.stderr
    polled = summitbot(tmp_path, "feeds", "poll", **LOOPBACK)
    assert polled.returncode == 0, polled.stderr
    return {title.split()[0]: cid for cid, title in re.findall(r"\t(C\d+)\t(.+)", polled.stdout)}


def test_the_cli_lists_approves_and_rejects_candidates(tmp_path: Path, server: FeedServer) -> None:
    found = candidates_from_a_feed(tmp_path, server)
    samsung, hynix = found["Samsung"], found["SK"]
    listed = summitbot(tmp_path, "review", "list")
    assert listed.returncode == 0, listed.stderr
    assert "2 candidate(s) waiting" in listed.stdout
    assert samsung in listed.stdout and "Samsung to supply HBM chips" in listed.stdout
    approved = summitbot(tmp_path, "review", "approve", samsung, "--by", "U0EDITOR")
    assert approved.returncode == 0, approved.stderr
    fact_id = re.search(rf"approved {samsung} as (F\d+)", approved.stdout)
    assert fact_id, approved.stdout
    card = summitbot(tmp_path, "ask", f"/summit {fact_id.group(1)}")
    assert "Samsung to supply HBM chips" in card.stdout and "2024-05-15" in card.stdout
    rejected = summitbot(tmp_path, "review", "reject", hynix, "--reason", "a rumour")
    assert rejected.returncode == 0 and f"rejected {hynix}" in rejected.stdout
    assert "Nothing waits for review" in summitbot(tmp_path, "review", "list").stdout
    again = summitbot(tmp_path, "review", "approve", hynix)
    assert again.returncode == 2 and "already rejected" in again.stderr
    missing = summitbot(tmp_path, "review", "reject", "C999")
    assert missing.returncode == 2 and "no candidate" in missing.stderr
    assert "review list" in missing.stderr


def test_the_console_shows_the_queue_and_decides_it_by_typing(
    tmp_path: Path, server: FeedServer
) -> None:
    found = candidates_from_a_feed(tmp_path, server)
    samsung, hynix = found["Samsung"], found["SK"]
    lines = "\n".join(
        [
            "/summit queue",
            f"/summit approve {samsung}",
            f"/summit reject {hynix} only a rumour",
            "/summit queue",
            "/summit approve",
            f"/summit approve {hynix}",
        ]
    )
    shown = summitbot(tmp_path, "shell", stdin=lines + "\n", **LOOPBACK).stdout
    assert "Samsung to supply HBM chips" in shown
    assert re.search(r"Approved F\d+", shown), shown
    assert f"Rejected {hynix}" in shown and "only a rumour" in shown
    assert "Nothing waits for review" in shown
    assert "Say which candidate" in shown
    assert f"{hynix} is already decided" in shown


def test_a_feed_added_in_the_console_says_plainly_that_the_console_does_not_poll(
    tmp_path: Path, server: FeedServer
) -> None:
    url = server.serve("/wire", document("rss2.xml"))
    lines = f"/summit feeds add {url}\n/summit feeds poll\n/summit queue\n"
    shown = summitbot(tmp_path, "shell", stdin=lines, **LOOPBACK).stdout
    assert "does not poll feeds on a schedule" in shown and "/summit feeds poll" in shown
    assert "Samsung to supply HBM chips" in shown, "polled on asking, then queued"
