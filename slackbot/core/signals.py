"""Ports through which the domain says what happened, without knowing who listens.

A domain service owns its signals and fires them; the composition root (slackbot.app, and
the scheduler it builds) connects the receivers: the corrections that follow a posted
digest, the scheduler's job for a channel whose digest changed, the review channel and the
App Homes after a feed poll. Before, each was a single attribute assigned onto the service
after it was built (one poll hook was assigned twice, the second wrapping the first), and
the domain called up into the Slack layer through them unseen by the import contracts.
Here the domain imports nothing above it, a receiver is added rather than swapped in, and
each signal says in its type what it carries.

Written here rather than taken from a library (blinker, PyDispatcher): those send keyword
payloads with a sender object and hold receivers weakly, so a receiver made in the wiring
(a lambda, a bound method of an object nothing else keeps) would be dropped silently."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, ParamSpec, TypeVar

Carried = ParamSpec("Carried")
Answer = TypeVar("Answer")


class Signal(Generic[Carried]):
    """Something that happened; every receiver connected is called with what it carries,
    in the order they were connected, on the thread that fired it."""

    def __init__(self) -> None:
        self._receivers: tuple[Callable[Carried, None], ...] = ()
        self._lock = threading.Lock()

    def connect(self, receiver: Callable[Carried, None]) -> None:
        with self._lock:
            self._receivers = (*self._receivers, receiver)

    def __call__(self, *args: Carried.args, **kwargs: Carried.kwargs) -> None:
        for receiver in self._receivers:
            receiver(*args, **kwargs)

    @property
    def receivers(self) -> int:
        """How many are connected. (Not ``len``: a signal with none must stay truthy.)"""
        return len(self._receivers)

    def disconnect_all(self) -> None:
        """Lets every receiver go: a receiver often holds what holds the signal, a cycle
        that only a full garbage collection would free."""
        with self._lock:
            self._receivers = ()


class Question(Generic[Answer]):
    """Something the domain asks of the app (which replica runs the scheduled work), which
    one part of it answers once the wiring names it; None until then."""

    def __init__(self) -> None:
        self._answerer: Callable[[], Answer] | None = None

    def answered_by(self, answerer: Callable[[], Answer]) -> None:
        self._answerer = answerer

    @property
    def answered(self) -> bool:
        return self._answerer is not None

    def __call__(self) -> Answer | None:
        answerer = self._answerer
        return answerer() if answerer is not None else None
