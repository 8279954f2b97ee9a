"""Checking the records a backup restores as they are (subscriptions, feeds, candidates,
revisions), field by field, as the commands that make them would.

Why: these records skip the form's checks (they are the store's own, written back), so a
bad one used to go in and break something later: a subscription in ``Mars/Olympus`` time
stopped ``serve`` at its next start; a feed id that is not a number broke every later
``/summit feeds add``; a candidate in a state this version does not know vanished from the
queue. And a field this version does not know means the file comes from a newer one:
dropping it silently would lose data, so it is refused, naming it.
"""

from __future__ import annotations

import functools
import re
import types
from dataclasses import fields
from datetime import datetime
from typing import Any, Union, get_args, get_origin, get_type_hints

from slackbot.core.curation import Rejected
from slackbot.core.digests.validity import subscription_problem
from slackbot.core.feeds.service import MAX_INTERVAL, MIN_INTERVAL
from storage.api import (
    CANDIDATE_STATES,
    Candidate,
    Entity,
    Fact,
    Feed,
    Revision,
    Subscription,
    fact_number,
)

# The newest export format this version reads and writes (1: before exports said theirs).
EXPORT_FORMAT = 2
# What a fact line may hold besides the fact's own fields: the spellings a hand-written
# import uses (a source object, entities by name, the source's parts apart).
FACT_LINE_EXTRAS = frozenset({"source", "entities", "source_url", "source_title"})

_FEED_ID = re.compile(r"[1-9]\d{0,8}")
_CANDIDATE_ID = re.compile(r"C[1-9]\d{0,8}")


# A stored number is 64-bit (orjson writes no larger; a JSON file may hold any).
INT64 = range(-(2**63), 2**63)


@functools.cache
def names_of(kind: type) -> frozenset[str]:
    """A record type's field names, and ``type`` (every import line has one); looked up
    once per type, not once per line of an import of a million."""
    return frozenset(f.name for f in fields(kind)) | {"type"}


@functools.cache
def _hints(kind: type) -> dict[str, Any]:
    return get_type_hints(kind)


_FACT_LINE_FIELDS = names_of(Fact) | FACT_LINE_EXTRAS


def refuse_unknown_fields(record: dict[str, Any], known: frozenset[str]) -> None:
    """A field this version does not know: the file is from a newer one, or mistyped."""
    unknown = sorted(str(name) for name in record if name not in known)
    if unknown:
        raise Rejected(
            {
                "fields": f"unknown field{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(unknown)[:120]}: the file may come from a newer Summit Intel "
                "(upgrade this one and import it again) or be mistyped"
            }
        )


def _fits(value: Any, hint: Any) -> bool:
    """Whether a JSON value can be the field's type (a JSON list for a tuple)."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return any(_fits(value, arm) for arm in get_args(hint))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool) and value in INT64
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if origin is tuple:
        item = get_args(hint)[0]
        return isinstance(value, list) and all(_fits(one, item) for one in value)
    if origin is dict or hint is dict:
        return isinstance(value, dict)
    if isinstance(hint, type) and hasattr(hint, "__dataclass_fields__"):
        return isinstance(value, dict)  # a Source: {"title": …, "url": …}
    return True


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "a whole number" if value in INT64 else "a number too large"
    names = {str: "text", float: "a number", list: "a list", dict: "an object"}
    return names.get(type(value), "null")


def _check_types(record: dict[str, Any], kind: type) -> None:
    hints = _hints(kind)
    for name, value in record.items():
        hint = hints.get(name)
        if hint is not None and not _fits(value, hint):
            shown = json_type(value)
            raise Rejected({name: f"{name} is {shown}, not {_said(hint)}"})


def _said(hint: Any) -> str:
    """A field's type in an operator's words."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return " or ".join(_said(arm) for arm in get_args(hint))
    words = {
        type(None): "null",
        bool: "true or false",
        int: "a whole number of at most 64 bits",
        float: "a number",
        str: "text",
        dict: "an object",
    }
    if hint in words:
        return words[hint]
    return "a list" if origin is tuple else "an object"


def _moment(record: dict[str, Any], *names: str) -> None:
    for name in names:
        value = record.get(name)
        if value is None or value == "":
            continue
        try:
            datetime.fromisoformat(str(value))
        except ValueError:
            like = "2024-05-14T09:00:00+00:00"
            raise Rejected({name: f"{name} is a date and time like {like}"}) from None


def _checked(record: dict[str, Any], kind: type) -> dict[str, Any]:
    refuse_unknown_fields(record, names_of(kind))
    doc = {key: value for key, value in record.items() if key != "type"}
    _check_types(doc, kind)
    return doc


def subscription(record: dict[str, Any]) -> Subscription:
    restored = Subscription.from_doc(_checked(record, Subscription))
    problem = subscription_problem(restored)
    if problem is not None:
        raise Rejected({"subscription": f"the digest of {restored.channel_id}: {problem}"})
    return restored


def feed(record: dict[str, Any]) -> Feed:
    doc = _checked(record, Feed)
    if not _FEED_ID.fullmatch(str(doc.get("id", ""))):
        raise Rejected({"id": "a feed's id is a number, as /summit feeds shows it"})
    if not str(doc.get("url", "")).startswith(("http://", "https://")):
        raise Rejected({"url": "a feed's URL starts with http:// or https://"})
    interval = doc.get("interval_minutes", MIN_INTERVAL)
    if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        raise Rejected(
            {"interval_minutes": f"a feed is polled every {MIN_INTERVAL} to {MAX_INTERVAL} min"}
        )
    _moment(doc, "added_at", "last_fetch_at", "next_fetch_at")
    return Feed.from_doc(doc)


def candidate(record: dict[str, Any]) -> Candidate:
    doc = _checked(record, Candidate)
    if not _CANDIDATE_ID.fullmatch(str(doc.get("id", ""))):
        raise Rejected({"id": "a candidate's id looks like C12"})
    if doc.get("state", "pending") not in CANDIDATE_STATES:
        raise Rejected(
            {
                "state": f"a candidate's state is one of {', '.join(CANDIDATE_STATES)}, not "
                f"{str(doc.get('state'))[:20]!r} (a newer Summit Intel's export?)"
            }
        )
    for name in ("title", "published_at", "found_at"):
        if name not in doc:
            raise Rejected({name: f"a candidate needs its {name}"})
    _moment(doc, "published_at", "found_at", "decided_at")
    for source in doc.get("sources") or ():
        if not isinstance(source, dict):
            raise Rejected({"sources": 'each source is {"title": …, "url": …}'})
        refuse_unknown_fields(source, frozenset({"title", "url"}))
    return Candidate.from_doc(doc)


def revision(record: dict[str, Any]) -> Revision:
    doc = _checked(record, Revision)
    if fact_number(str(doc.get("fact_id", ""))) is None:
        raise Rejected({"fact_id": "a revision's fact_id looks like F12"})
    if not isinstance(doc.get("number"), int) or doc["number"] < 1:
        raise Rejected({"number": "a revision's number is 1 or more"})
    for name in ("at", "by", "action", "changes"):
        if name not in doc:
            raise Rejected({name: f"a revision needs its {name}"})
    _moment(doc, "at")
    return Revision.from_doc(doc)


def check_entity_fields(record: dict[str, Any]) -> None:
    refuse_unknown_fields(record, names_of(Entity))


def check_fact_fields(record: dict[str, Any]) -> None:
    refuse_unknown_fields(record, _FACT_LINE_FIELDS)
