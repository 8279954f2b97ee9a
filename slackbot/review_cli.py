"""``summitbot review …``: the review queue from a terminal. Feeds and proposals wait here for
an admin as they do in Slack; an operator without Slack (or scripting a backlog) lists them,
approves them as facts or rejects them, with the same checks as the buttons."""

from __future__ import annotations

import argparse
from typing import TextIO

from slackbot.config import Settings
from slackbot.core.curation import Curator, NotFound, Rejected
from slackbot.core.feeds import AlreadyDecided, NotAbout, ReviewQueue
from slackbot.core.intel import SummitIntel
from slackbot.feeds_cli import candidate_line
from storage.api import Repository

SLACK_MESSAGE_NOTE = (
    "its message in the review channel keeps its buttons; a click there says it is decided"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="review_action", metavar="ACTION")
    listing = actions.add_parser("list", help="the candidates waiting for review, oldest first")
    listing.add_argument("--page", type=int, default=1, help="which page of 10 (default: 1)")
    approve = actions.add_parser("approve", help="store a candidate as a fact")
    approve.add_argument("id", help="the candidate's id, e.g. C12")
    reject = actions.add_parser("reject", help="keep a candidate out of the facts")
    reject.add_argument("id", help="the candidate's id, e.g. C12")
    reject.add_argument("--reason", default="", help="why, kept with the decision")
    not_about = actions.add_parser(
        "not-about", help="say words of a candidate do not mean a name (MS Society: Microsoft)"
    )
    not_about.add_argument("id", help="the candidate's id, e.g. C12")
    not_about.add_argument("name", help="who it is not about, e.g. microsoft")
    not_about.add_argument("--phrase", required=True, help="the words that misled, as written")
    for sub in (approve, reject, not_about):
        sub.add_argument("--by", default="cli", help="who the decision is recorded as")


def run(
    settings: Settings, store: Repository, args: argparse.Namespace, out: TextIO, err: TextIO
) -> int:
    queue = ReviewQueue(
        SummitIntel(store),
        Curator(store),
        configured_channel=settings.review_channel,
        timezone=settings.timezone,
    )
    action = args.review_action or "list"
    try:
        if action == "list":
            return _list(queue, args.page, out)
        if action == "not-about":
            decided = queue.not_about(args.id, args.name, args.phrase, args.by)
            state = "rejected: it named nobody else" if decided.state == "rejected" else "kept"
            print(f"“{args.phrase}” is not {args.name} from now on; {decided.id} {state}", file=out)
        elif action == "approve":
            decided, fact = queue.approve(args.id, args.by)
            print(f"approved {decided.id} as {fact.id}: {fact.statement}", file=out)
        else:
            decided = queue.reject(args.id, args.by, args.reason)
            print(f"rejected {decided.id}: {decided.title}", file=out)
    except (NotFound, AlreadyDecided, NotAbout) as problem:
        print(f"summitbot: {problem}; `summitbot review list` shows those waiting", file=err)
        return 2
    except Rejected as rejected:
        problems = "; ".join(rejected.errors.values())
        print(f"summitbot: {args.id} is not approved as it stands: {problems}", file=err)
        return 1
    if decided.review_ts:
        print(f"({SLACK_MESSAGE_NOTE})", file=out)
    return 0


def _list(queue: ReviewQueue, page_number: int, out: TextIO) -> int:
    page = queue.pending(page_number)
    if not page.total:
        print("Nothing waits for review.", file=out)
        return 0
    print(f"{page.total} candidate(s) waiting; page {page.page} of {page.pages}", file=out)
    for candidate in page.candidates:
        sources = f" (+{len(candidate.sources)} more sources)" if candidate.sources else ""
        print(f"{candidate.id}\t{candidate_line(candidate)}{sources}", file=out)
    print("summitbot review approve ID · summitbot review reject ID --reason WHY", file=out)
    return 0
