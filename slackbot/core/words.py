"""What a person's words ask for, read in one place: the words after ``/summit``, and the
words of a mention or a message to the app.

Every way in (a slash command over HTTP or Socket Mode, the console, a mention, the
Messages tab, Share to channel) reads them here, so a sub-command's spelling, its aliases
and what it needs (the person's role, a form, the review desk, the whole store) are said
once. Before, ``/summit``'s first word was matched in four places (the command's listener,
its rule for answering in the request's thread, the answers, the mentions), each with its
own list. ``/digest``'s words have their reader in slackbot.core.digests.parsing, and
``/whois``'s (names, or a fact id) in slackbot.core.answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from storage.api import fact_number

LOOKUP_COMMAND = "/whois"
# Where Slack (or the console) still sends Slack's reserved name, it gets the same answer.
LOOKUP_ALIASES = ("/who",)
ANSWERING_COMMANDS = frozenset({LOOKUP_COMMAND, *LOOKUP_ALIASES, "/chips", "/summit"})


class Asked(StrEnum):
    """What ``/summit``'s first word asks for."""

    OVERVIEW = "overview"
    HELP = "help"
    SEARCH = "search"
    HISTORY = "history"
    TIMELINE = "timeline"
    OPEN_CLAIMS = "open"
    SINCE = "since"
    FACT = "fact"  # a fact id: /summit F9
    RETRACT = "retract"
    RESTORE = "restore"
    ADD = "add"
    EDIT = "edit"
    BRIEF = "brief"
    FEEDS = "feeds"
    QUEUE = "queue"
    REVIEW = "review"
    APPROVE = "approve"
    REJECT = "reject"
    NOT_ABOUT = "notabout"
    UNKNOWN = "unknown"


# Each first word, with the aliases people type.
FIRST_WORDS = {
    "": Asked.OVERVIEW,
    "when": Asked.OVERVIEW,
    "date": Asked.OVERVIEW,
    "help": Asked.HELP,
    "?": Asked.HELP,
    "search": Asked.SEARCH,
    "find": Asked.SEARCH,
    "history": Asked.HISTORY,
    "timeline": Asked.TIMELINE,
    "open": Asked.OPEN_CLAIMS,
    "claims": Asked.OPEN_CLAIMS,
    "since": Asked.SINCE,
    "retract": Asked.RETRACT,
    "restore": Asked.RESTORE,
    "add": Asked.ADD,
    "edit": Asked.EDIT,
    "brief": Asked.BRIEF,
    "feeds": Asked.FEEDS,
    "queue": Asked.QUEUE,
    "review": Asked.REVIEW,
    "approve": Asked.APPROVE,
    "reject": Asked.REJECT,
    "notabout": Asked.NOT_ABOUT,
    "not-about": Asked.NOT_ABOUT,
}
# Answers that only read, reused from the answer cache while what they show is unchanged.
CACHEABLE = frozenset(
    {
        Asked.OVERVIEW,
        Asked.HELP,
        Asked.SEARCH,
        Asked.HISTORY,
        Asked.TIMELINE,
        Asked.SINCE,
        Asked.OPEN_CLAIMS,
    }
)
# Answers that differ for admins (fact menus, buttons) or are theirs alone.
NEEDS_ROLE = frozenset({Asked.SEARCH, Asked.RETRACT, Asked.RESTORE, Asked.OPEN_CLAIMS})
# The review desk's commands: feeds and the queue of candidates, for admins.
REVIEWING = frozenset(
    {Asked.FEEDS, Asked.QUEUE, Asked.REVIEW, Asked.APPROVE, Asked.REJECT, Asked.NOT_ABOUT}
)
# Above this many facts, a timeline or the open claims of everything read the whole store.
WHOLE_STORE_AT_ONCE = 20_000


@dataclass(frozen=True)
class SummitWords:
    """``/summit``'s words: what they ask for, and the words after the first."""

    asked: Asked
    rest: str
    text: str  # all of it, as typed (stripped)

    @property
    def cacheable(self) -> bool:
        return self.asked in CACHEABLE

    @property
    def needs_role(self) -> bool:
        return self.asked in NEEDS_ROLE

    @property
    def reviewing(self) -> bool:
        return self.asked in REVIEWING

    @property
    def opens_form(self) -> bool:
        return self.asked in (Asked.ADD, Asked.EDIT)

    def reads_the_whole_store(self, fact_count: Callable[[], int]) -> bool:
        """Answers that go through every fact: what moved since a day (a digest's
        composition), and the timeline or open claims of everything on a large store. At
        100,000 facts ``since`` took 1.4 s to compose: such answers may outlast Slack's 3
        seconds, so they come after the acknowledgement. ``fact_count`` is asked only for
        a timeline or the open claims of everything (counting is not free on every store)."""
        if self.asked is Asked.SINCE:
            return True
        everything = not self.rest or self.rest.lower().startswith("since ")
        return (
            self.asked in (Asked.TIMELINE, Asked.OPEN_CLAIMS)
            and everything
            and fact_count() > WHOLE_STORE_AT_ONCE
        )


def summit_words(text: str) -> SummitWords:
    typed = text.strip()
    first, _sep, rest = typed.partition(" ")
    asked = FIRST_WORDS.get(first.lower())
    if asked is None:
        asked = Asked.FACT if fact_number(typed) is not None else Asked.UNKNOWN
    return SummitWords(asked, rest.strip(), typed)


# A mention's or a message's first word → the command that answers it, and what leads the
# command's text (``@Summit Intel search hbm`` is ``/summit search hbm``).
MENTION_WORDS = {
    "who": (LOOKUP_COMMAND, ""),
    "whois": (LOOKUP_COMMAND, ""),
    "chips": ("/chips", ""),
    "chip": ("/chips", ""),
    "search": ("/summit", "search "),
    "find": ("/summit", "search "),
    "summit": ("/summit", ""),
    "overview": ("/summit", ""),
    "history": ("/summit", "history "),
    "help": ("/summit", "help"),
}


def command_for(words: str) -> tuple[str, str] | None:
    """The slash command and its text that a mention's words ask for; None for the help."""
    first, _sep, rest = words.strip().partition(" ")
    first = first.lower().lstrip("/")
    if first not in MENTION_WORDS:
        return None
    command, lead = MENTION_WORDS[first]
    if first == "help":
        return command, lead
    return command, lead + rest.strip()
