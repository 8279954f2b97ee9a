"""The domain's ports (slackbot.core.signals): a service fires, the wiring's receivers hear."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

from slackbot.app import Built, build
from slackbot.config import Settings
from slackbot.core.signals import Question, Signal
from slackbot.slack.home import HomeBoard, NoHomes
from slackbot.slack.reviewing import NoReviewChannel
from slackbot.slack.services import Services
from slackbot.slack.surface import ConsoleSurface
from storage.repository import FactStore


def test_every_receiver_hears_in_the_order_connected() -> None:
    heard: list[tuple[str, int]] = []
    signal: Signal[[int]] = Signal()
    signal(1)  # nobody listening: nothing happens
    signal.connect(lambda n: heard.append(("first", n)))
    signal.connect(lambda n: heard.append(("second", n)))
    signal(2)
    assert heard == [("first", 2), ("second", 2)] and signal.receivers == 2


def test_the_app_is_wired_through_the_ports_once(built: Built) -> None:
    """The poll's receivers are the review desk and the App Home board (the board's was
    wrapped around the desk's by assigning the hook a second time); a posted digest is
    heard by the corrections."""
    services = built.services
    assert services.feeds is not None
    assert services.feeds.polled.receivers == 2
    assert services.digests.events.posted.receivers == 1
    assert isinstance(services.home, HomeBoard) and services.home.sources.feeds is services.feeds


def test_no_service_is_optional_and_the_console_has_adapters(settings: Settings) -> None:
    """Listeners hold no ``is not None`` checks: the console gets a review desk and App
    Homes that have nothing to post (it has no channel and no Home tab)."""
    hints = typing.get_type_hints(Services)
    optional = [name for name, hint in hints.items() if type(None) in typing.get_args(hint)]
    assert optional == []
    with FactStore(settings.db_path) as store:
        console = build(settings, store, console_secret="console-secret").services
        assert isinstance(console.desk, NoReviewChannel) and isinstance(console.home, NoHomes)
        assert isinstance(console.surface, ConsoleSurface)
        assert console.feeds.polled.receivers == 2  # the desk's and the homes', doing nothing
        console.leave("uninstalled")  # with one workspace: every digest stops
        assert console.digests.halted == "uninstalled"


def test_a_question_is_unasked_until_the_wiring_names_who_answers() -> None:
    question: Question[str | None] = Question()
    assert question() is None and not question.answered
    question.answered_by(lambda: "replica-2")
    assert question() == "replica-2" and question.answered


def test_no_listener_asks_where_it_is_or_whether_a_service_is_there() -> None:
    """What differs between Slack and the console is the surface's to do (the console is
    one more adapter): no listener reads a console flag or checks a service for None."""
    found = []
    for path in sorted((Path(__file__).parent.parent / "handlers").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Attribute) and node.attr == "console":
                found.append(f"{path}:{node.lineno} .console")
            if (
                isinstance(node, ast.Compare)
                and isinstance(node.left, ast.Attribute)
                and isinstance(node.left.value, ast.Name)
                and node.left.value.id == "services"
                and any(isinstance(op, ast.IsNot | ast.Is) for op in node.ops)
            ):
                found.append(f"{path}:{node.lineno} services.{node.left.attr} is (not) None")
    assert found == []
