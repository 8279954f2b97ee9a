"""The walk of a slash command through the code (docs/code.md, "Three walks"): every call
goes down the layers, none back up. A callback handed down and called from below (a
builder passed into a cache, a hook into the domain) is a step back up the import
contracts cannot see; here the calls themselves are watched."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlencode

from slackbot.app import Built
from tests.conftest import SIGNING_SECRET
from tests.slack_client import signed_headers

ROOT = Path(__file__).resolve().parent.parent
# Entry points, listeners, the Slack layer, the domain, storage (pyproject.toml's layers).
LAYERS = ("slackbot", "handlers", "slackbot/slack", "slackbot/core", "storage")
# The modules a /whois steps through, in order (docs/code.md); the others it meets on the
# way are helpers it consults and returns from (tenants, i18n, the card memo, matching…).
WALK = [
    "slackbot/ingress.py",
    "handlers/commands/who.py",
    "slackbot/slack/answering.py",
    "slackbot/core/answers.py",
    "slackbot/core/intel.py",
    "storage/repository.py",
    "slackbot/slack/render/answers.py",
]


def layer(module: str) -> int:
    """The module's layer: 0 for the entry points, down to 4 for storage."""
    folder = str(Path(module).parent)
    for depth in range(len(LAYERS) - 1, -1, -1):
        if folder == LAYERS[depth] or folder.startswith(LAYERS[depth] + "/"):
            return depth
    raise AssertionError(f"{module} is in no layer")


def ours(frame: FrameType | None) -> Iterator[str]:
    """The app's own modules on the stack, innermost first."""
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if path.is_relative_to(ROOT) and ".venv" not in path.parts:
            relative = str(path.relative_to(ROOT))
            if not relative.startswith("tests/"):
                yield relative
        frame = frame.f_back


def calls_while(ask: Any) -> tuple[list[str], set[tuple[str, str]]]:
    """The app's modules called while ``ask()`` runs, in order of first call, and each call
    from one of them into another (the caller being the nearest of the app's own frames)."""
    modules: list[str] = []
    edges: set[tuple[str, str]] = set()

    def watch(frame: FrameType, event: str, _arg: object) -> None:
        if event != "call":
            return
        stack = ours(frame)
        callee = next(stack, None)
        if callee is None:
            return
        if callee not in modules:
            modules.append(callee)
        caller = next((module for module in stack if module != callee), None)
        if caller is not None:
            edges.add((caller, callee))

    sys.setprofile(watch)
    try:
        ask()
    finally:
        sys.setprofile(None)
    return modules, edges


def test_a_whois_walks_down_the_layers_and_never_back_up(built: Built) -> None:
    body = urlencode(
        {
            "team_id": "T0TEAM",
            "channel_id": "C0GENERAL",
            "user_id": "U0READER",
            "command": "/whois",
            "text": "samsung",
            "response_url": "https://hooks.invalid/commands/1",
            "trigger_id": "t",
        }
    )
    headers = dict(signed_headers(SIGNING_SECRET, body))
    answers: list[Any] = []
    # Never asked before: the answer and the card are built, not found in a cache.
    modules, edges = calls_while(lambda: answers.append(built.ingress.signed(body, headers)))

    assert answers[0].status == 200 and "Samsung" in answers[0].body
    assert [module for module in modules if module in WALK] == WALK
    upward = sorted((a, b) for a, b in edges if layer(b) < layer(a))
    assert upward == [], "a call back up the layers"


def test_the_watch_sees_a_call_back_up() -> None:
    """The check above would see a domain module calling into the Slack layer."""
    from slackbot.core import memo
    from slackbot.slack import render

    kept: memo.StampedMemo[Any] = memo.StampedMemo(4)
    _modules, edges = calls_while(lambda: kept.get("k", lambda: 1, lambda: render.flat("x")))
    assert ("slackbot/core/memo.py", "slackbot/slack/render/base.py") in edges
    assert layer("slackbot/slack/render/base.py") < layer("slackbot/core/memo.py")
