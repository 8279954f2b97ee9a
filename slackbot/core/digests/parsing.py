"""What a person typed after /digest, as a ``DigestRequest``; a ``UsageError`` names what is
wrong (the Slack layer adds the usage lines)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slackbot.core.wording import N_, said

CADENCES = ("daily", "weekdays", "weekly")


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class UsageError(ValueError):
    """What was typed is not a /digest command; the message says how to write one."""


@dataclass(frozen=True)
class DigestRequest:
    action: str  # schedule, track, untrack, status, now, pause, resume, off
    cadence: str | None = None
    time: str | None = None
    weekday: str | None = None
    timezone: str | None = None
    names: tuple[str, ...] = ()


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            said(
                N_("“{name}” is not a time zone; use an Area/City name such as {examples}."),
                name=name[:40],
                examples="`Asia/Seoul`, `Europe/London`, `America/New_York`",
            )
        ) from None
    return name


def parse_request(text: str) -> DigestRequest:
    words = text.split()
    if not words:
        return DigestRequest("status")
    action = words[0].lower()
    rest = words[1:]
    if action in ("status", "now", "pause", "resume", "off", "preview") and not rest:
        return DigestRequest(action)
    if action in ("track", "untrack"):
        names = tuple(n.strip() for n in " ".join(rest).split(",") if n.strip())
        if not names:
            raise UsageError(
                said(
                    N_("Say what to track, e.g. {example}.")
                    if action == "track"
                    else N_("Say what to untrack, e.g. {example}."),
                    example=f"`/digest {action} samsung, hbm`",
                )
            )
        return DigestRequest(action, names=names)
    if action in CADENCES:
        weekday = None
        if action == "weekly":
            if not rest or rest[0].lower()[:3] not in WEEKDAYS:
                raise UsageError(
                    said(N_("Say the day: {example}."), example="`/digest weekly mon 09:00`")
                )
            weekday, rest = rest[0].lower()[:3], rest[1:]
        if not rest or not _TIME.match(rest[0]) or len(rest) > 2:
            raise UsageError(
                said(
                    N_("Say the time as HH:MM, e.g. {example}."),
                    example=f"`/digest {action} 09:00`",
                )
            )
        hour, minute = _TIME.match(rest[0]).groups()  # type: ignore[union-attr]
        timezone = check_timezone(rest[1]) if len(rest) == 2 else None
        return DigestRequest(action, action, f"{int(hour):02d}:{minute}", weekday, timezone)
    raise UsageError(
        said(
            N_("“{word}” is not something {command} does."), word=words[0][:30], command="`/digest`"
        )
    )


def is_personal(channel_id: str) -> bool:
    """A personal digest (``/digest me …``) is kept under the person's user id and posted to
    them as a DM from the app; a channel's is kept under the channel's id."""
    return channel_id[:1] in ("U", "W")


def personal_request(text: str) -> tuple[bool, str]:
    """``me daily 08:00`` → (True, "daily 08:00"): whether the words are about the person's
    own digest, and the rest."""
    first, _, rest = text.strip().partition(" ")
    if first.lower() == "me":
        return True, rest.strip()
    return False, text
