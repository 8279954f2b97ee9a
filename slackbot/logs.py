"""Logging for every entry point: plain lines for a terminal, or one JSON object a line
(``SUMMITBOT_LOG_FORMAT=json``) for a log pipeline, with structlog over the standard
library's logging, so that every library's records come out the same way.

A JSON line has ``time``, ``level``, ``logger`` and ``event`` (the message); while a Slack
request is answered, also its ``request_id``, ``workspace``, ``surface`` and ``command``
(bound by ``bound_request`` in the thread answering it); the request's own line adds
``status`` and ``duration_ms``. No Slack token or signing secret ever reaches a line (they
are cut out of every record, whoever logged it), and no message text: request lines carry
the request's shape, never what was typed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

import structlog
from structlog.contextvars import bind_contextvars, merge_contextvars, reset_contextvars

_TOKEN = re.compile(r"\b(xox[a-z]|xapp)-[A-Za-z0-9-]+")
# Extra fields a record may carry into the JSON line (``logger.info(..., extra={...})``).
EXTRA_FIELDS = ("status", "duration_ms")


class RedactSecrets(logging.Filter):
    """Keeps Slack tokens, and the secrets it is given, out of every log line."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.secrets = tuple(secret for secret in secrets if secret and len(secret) >= 8)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _TOKEN.sub(r"\1-[redacted]", message)
        for secret in self.secrets:
            redacted = redacted.replace(secret, "[redacted]")
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_text is None and self.secrets:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            text = _TOKEN.sub(r"\1-[redacted]", record.exc_text)
            for secret in self.secrets:
                text = text.replace(secret, "[redacted]")
            record.exc_text = text
        return True


def _extras(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    record = event.get("_record")
    if record is not None:
        for name in EXTRA_FIELDS:
            if hasattr(record, name):
                event[name] = getattr(record, name)
    return event


def _renamed(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    event["time"] = event.pop("timestamp", None)
    return event


def configure_logging(level: str, log_format: str = "text", secrets: tuple[str, ...] = ()) -> None:
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(
            structlog.stdlib.ProcessorFormatter(
                foreign_pre_chain=[
                    merge_contextvars,
                    structlog.stdlib.add_log_level,
                    structlog.stdlib.add_logger_name,
                    structlog.processors.TimeStamper(fmt="iso", utc=True),
                    _extras,
                    _renamed,
                ],
                processors=[
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    structlog.processors.JSONRenderer(ensure_ascii=False),
                ],
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # APScheduler says "Running job …" and "… executed successfully" at INFO for every run of
    # every job: with many workspaces, dozens of lines a second that say nothing.
    if root.level >= logging.INFO:
        logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    # slack_sdk's and Bolt's debug lines hold whole request and answer bodies, with what
    # people typed and what the app said: DEBUG is the app's own, never theirs.
    for library in ("slack_sdk", "slack_bolt"):
        logging.getLogger(library).setLevel(max(root.level, logging.INFO))


@contextmanager
def bound_request(
    request_id: str, workspace: str | None, surface: str, command: str
) -> Iterator[None]:
    """Every line logged in this thread while a request is answered carries these."""
    tokens = bind_contextvars(
        request_id=request_id, workspace=workspace, surface=surface, command=command
    )
    try:
        yield
    finally:
        reset_contextvars(**tokens)
