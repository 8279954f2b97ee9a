"""Fact ids: ``F9``. People write them ``F9``, ``f9`` or ``F009``; the store keeps ``F9``. A
fact's number is its place in the store's indexes (32-bit bitmaps, at most nine digits), so
the numbers handed out or taken in stay below ``MAX_FACT_NUMBER``: the next id is always
addressable. Nothing else parses or formats a fact id."""

from __future__ import annotations

import os
import re
import socket

MAX_FACT_NUMBER = 999_999_999
_FACT_ID = re.compile(r"[Ff]0*(\d{1,9})")


def fact_number(fact_id: str) -> int | None:
    """The number in any accepted spelling of a fact id; None when it is not one."""
    found = _FACT_ID.fullmatch(fact_id.strip())
    return int(found.group(1)) if found else None


def fact_id(number: int) -> str:
    return f"F{number}"


def number_of(stored_id: str) -> int:
    """The number of an id as the store keeps it (``F9`` -> 9)."""
    return int(stored_id[1:])


def replica_name() -> str:
    """This process as other replicas see it: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"
