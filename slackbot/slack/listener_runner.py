"""Answering Slack the moment a listener calls ``ack()``.

Bolt's ``ThreadListenerRunner`` runs a listener on its executor and waits for ``ack()`` by
polling every 10 ms, which makes ~11 ms the floor of every answer, however quickly it is
computed. This runner waits on an event that ``ack()`` sets instead. Bolt has no hook for
that wait, so the part of ``ThreadListenerRunner.run`` it replaces is written out here
(``tests/test_listener_runner.py`` pins the Bolt source it follows); everything else
(lazy listeners, process_before_response, events acknowledged automatically, a listener
acknowledged by its middleware) goes to Bolt's own.

A listener marked with ``answers_in_request`` runs in the request's own thread, as with
Bolt's ``process_before_response``, but only for the requests its mark accepts: those
answered from memory, with nothing to wait for after ``ack()``. Handing such a request to
the listener pool and back cost a quarter of its CPU time (two thread switches and the
GIL passed twice); a listener that would wait on Slack after ``ack()`` still goes to the
pool, so the 3-second rule holds."""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import App, BoltContext
from slack_bolt.context.ack import Ack
from slack_bolt.listener import Listener
from slack_bolt.listener.thread_runner import ThreadListenerRunner
from slack_bolt.logger.messages import warning_did_not_call_ack
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

# The listener that took the request being handled in this thread (its function), for the
# request's log line: the ingress clears it as each request arrives, Bolt's runner and the
# ingress's short-circuit set it.
handled: contextvars.ContextVar[object] = contextvars.ContextVar("handled", default="")


def handled_by() -> str:
    """The module and name of the listener that took the current request, or ""."""
    function = handled.get()
    if not function:
        return ""
    return f"{getattr(function, '__module__', '?')}.{getattr(function, '__qualname__', function)}"


# Whether a request (its body, and Bolt's context with the app's services) is answered in
# its own thread.
InRequest = Callable[[dict[str, Any], BoltContext], bool]
Listening = TypeVar("Listening", bound=Callable[..., Any])
_MARK = "answers_in_request"


def answers_in_request(when: InRequest | None = None) -> Callable[[Listening], Listening]:
    """Marks a listener to run in the request's thread (for every request, or those
    ``when`` accepts); it must then do nothing slow after ``ack()``."""

    def mark(listener: Listening) -> Listening:
        setattr(listener, _MARK, when or (lambda _body, _context: True))
        return listener

    return mark


def in_request_rule(function: object) -> InRequest | None:
    """What ``answers_in_request`` set on a listener function, if it marked it."""
    accepts: InRequest | None = getattr(function, _MARK, None)
    return accepts


def _in_request(listener: Listener, request: BoltRequest) -> bool:
    accepts = in_request_rule(getattr(listener, "ack_function", None))
    return accepts is not None and accepts(request.body, request.context)


class _SignallingAck(Ack):
    """An ``ack`` that tells the waiting request thread when it has been called."""

    def __init__(self) -> None:
        self.settled = threading.Event()
        super().__init__()

    @property
    def response(self) -> BoltResponse | None:
        return self._response

    @response.setter
    def response(self, value: BoltResponse | None) -> None:
        self._response = value
        if value is not None:
            self.settled.set()


class PromptListenerRunner(ThreadListenerRunner):
    @classmethod
    def replacing(cls, runner: ThreadListenerRunner) -> PromptListenerRunner:
        return cls(
            logger=runner.logger,
            process_before_response=runner.process_before_response,
            listener_error_handler=runner.listener_error_handler,
            listener_start_handler=runner.listener_start_handler,
            listener_completion_handler=runner.listener_completion_handler,
            listener_executor=runner.listener_executor,
            lazy_listener_runner=runner.lazy_listener_runner,
        )

    def run(
        self,
        request: BoltRequest,
        response: BoltResponse,
        listener_name: str,
        listener: Listener,
        starting_time: float | None = None,
    ) -> BoltResponse | None:
        handled.set(getattr(listener, "ack_function", listener))
        if (
            self.process_before_response
            or request.lazy_only
            or listener.lazy_functions
            or listener.auto_acknowledgement
            or request.context.ack.response is not None
        ):
            return super().run(request, response, listener_name, listener, starting_time)
        started = starting_time if starting_time is not None else time.time()
        ack = _SignallingAck()
        request.context["ack"] = ack

        def run_listener() -> None:
            nonlocal response
            try:
                self.listener_start_handler.handle(request=request, response=response)
                listener.run_ack_function(request=request, response=response)
            except Exception as error:
                # As Bolt does: a 500 unless the listener had acknowledged already.
                failed: BoltResponse | None = response or BoltResponse(status=500)
                assert failed is not None
                failed.status = 500
                if ack.response is not None:
                    failed = None
                self.listener_error_handler.handle(error=error, request=request, response=failed)
                ack.response = failed
            finally:
                self.listener_completion_handler.handle(request=request, response=response)
                # A listener that ends without acknowledging need not be waited for.
                ack.settled.set()

        if _in_request(listener, request):
            run_listener()
        else:
            # In the request's context: its language (see i18n) goes with it to the pool.
            self.listener_executor.submit(contextvars.copy_context().run, run_listener)
        ack.settled.wait(max(0.0, listener.ack_timeout - (time.time() - started)))
        if ack.response is None:
            self.logger.warning(warning_did_not_call_ack(listener_name))
            return None
        return ack.response


class PromptApp(App):
    """Bolt's App, answering the moment a listener acknowledges rather than at Bolt's next
    10 ms poll. Bolt takes no runner as an argument, so its private attribute is set as the
    app is built: here, the one module that follows Bolt's private code, under the test that
    pins it (tests/test_listener_runner.py)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._listener_runner = PromptListenerRunner.replacing(self.listener_runner)
