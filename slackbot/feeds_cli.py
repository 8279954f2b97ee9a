"""``summitbot feeds …``: the feed list and polls from a terminal, with ``poll --dry-run`` to
preview what a feed (a URL or a local file) would propose before it is added."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from slackbot.config import Settings
from slackbot.core.feeds import FeedService, FeedUsageError, Fetcher, PollReport
from slackbot.core.feeds.service import Preview, parse_add
from slackbot.core.intel import SummitIntel
from storage.api import Candidate, Feed, Repository


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="feeds_action", metavar="ACTION")
    actions.add_parser("list", help="every feed and how its polls went")
    added = actions.add_parser("add", help="add a feed: URL [every 30m] [must WORDS]")
    added.add_argument("words", nargs="+", help="URL, then optionally: every 30m, must hbm")
    for name, help_text in (
        ("remove", "remove a feed"),
        ("pause", "stop polling a feed"),
        ("resume", "poll a paused feed again"),
    ):
        actions.add_parser(name, help=help_text).add_argument("id", help="the feed's id")
    poll = actions.add_parser("poll", help="poll now (every active feed, or one)")
    poll.add_argument("target", nargs="?", help="a feed id; with --dry-run, a URL or a file")
    poll.add_argument(
        "--dry-run",
        action="store_true",
        help="print the candidates the feed would give; store nothing (a preview)",
    )


def run(settings: Settings, store: Repository, args: argparse.Namespace, out: TextIO) -> int:
    # The operator at the terminal may preview a feed on this machine (a loopback URL).
    dry_run = args.feeds_action == "poll" and args.dry_run
    fetcher = Fetcher(
        allow_private=settings.feeds_allow_private or dry_run, proxy=settings.feeds_proxy
    )
    service = FeedService(SummitIntel(store), fetcher)
    try:
        return _run(service, settings, args, out)
    except FeedUsageError as problem:
        print(f"summitbot: {problem}", file=sys.stderr)
        return 2
    finally:
        service.close()
        fetcher.close()


def _run(service: FeedService, settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    action = args.feeds_action or "list"
    if action == "list":
        feeds = service.feeds()
        if not feeds:
            print("No feeds yet: summitbot feeds add URL [every 30m] [must WORDS]", file=out)
        for feed in feeds:
            print(describe(feed), file=out)
        return 0
    if action == "add":
        feed = service.add(" ".join(args.words), "cli")
        print(f"added feed {feed.id}: {feed.url} (every {feed.interval_minutes} min)", file=out)
        return 0
    if action in ("remove", "pause", "resume"):
        changed = {"remove": service.remove, "pause": service.pause, "resume": service.resume}
        feed = changed[action](args.id)
        print(f"feed {feed.id} ({feed.name}): {action}d", file=out)
        return 0
    if args.dry_run:
        if not args.target:
            print("summitbot: --dry-run needs a URL or a file to preview", file=sys.stderr)
            return 2
        print_preview(preview(service, args.target), out)
        return 0
    reports = service.poll([args.target] if args.target else None)
    for report in reports:
        print(describe_poll(report), file=out)
    failed = [report for report in reports if not report.ok]
    return 1 if failed and len(failed) == len(reports) else 0


def preview(service: FeedService, target: str) -> Preview:
    path = Path(target)
    if "://" not in target:
        if not path.is_file():
            raise FeedUsageError(f"{target} is neither a URL nor a readable file")
        return service.preview_document(path.read_bytes(), path.resolve().as_uri())
    request = parse_add(target)
    return service.preview(request.url, request.must)


def describe(feed: Feed) -> str:
    state = " [paused: " + (feed.paused_reason or "") + "]" if feed.paused else ""
    state += " [failing]" if feed.failing else ""
    return (
        f"{feed.id}\t{feed.name}\t{feed.url}{state}\n"
        f"\tevery {feed.interval_minutes} min; last fetch {feed.last_fetch_at or 'never'}: "
        f"{feed.last_result or 'not fetched yet'}"
        + (f" ({feed.problem})" if feed.problem else "")
        + f"\n\tseen {feed.items_seen}, proposed {feed.proposed}, named nobody {feed.dropped}; "
        f"next fetch {feed.next_fetch_at or 'now'}"
    )


def describe_poll(report: PollReport) -> str:
    line = f"feed {report.feed.id} ({report.feed.name}): {report.result}"
    if report.merged:
        line += f"; {report.merged} merged into stories already found"
    return "\n".join([line, *(f"\t{c.id}\t{candidate_line(c)}" for c in report.new)])


def candidate_line(candidate: Candidate) -> str:
    when = candidate.published_at[:16] + (" (undated)" if candidate.published_guessed else "")
    names = ", ".join(candidate.entity_ids)
    also = f" · another source for {candidate.source_for}" if candidate.source_for else ""
    return (
        f"{candidate.title}\n\t\t{candidate.link or '(no link)'}\n"
        f"\t\t{when} · {names} · {candidate.kind}, {candidate.status}{also}"
    )


def print_preview(found: Preview, out: TextIO) -> None:
    print(f"{found.result}; nothing was stored", file=out)
    for candidate in found.candidates:
        print(f"- {candidate_line(candidate)}", file=out)
    if found.dropped:
        items = "item" if found.dropped == 1 else "items"
        print(f"({found.dropped} {items} named no known company, person or product)", file=out)
