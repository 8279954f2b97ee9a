"""The domain's ports (slackbot.core.signals): a service fires, the wiring's receivers hear."""

from __future__ import annotations

from slackbot.app import Built
from slackbot.core.signals import Signal


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
    assert services.home is not None and services.home.sources.feeds is services.feeds
