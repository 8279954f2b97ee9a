"""The interface's language: English, or Korean with SUMMITBOT_LANG=ko or when Slack tells us
the person's locale is Korean. Labels, help and section names are translated; facts stay as
written (they are quotations, with their sources).

Translations live in one gettext catalogue per language, ``locale/<lang>.po``, read with
Babel's .po reader (a standard format translators' tools edit). The language is per request
(a context variable set by the app's middleware), falling back to the process's default, so
threads that serve no request (the scheduler's digests) speak SUMMITBOT_LANG."""

from __future__ import annotations

import contextvars
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "ko")
CATALOGUES = Path(__file__).with_name("locale")
_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("language", default=None)
_default = "en"


def set_default(language: str) -> None:
    """The process's language (SUMMITBOT_LANG), for what no request's locale decides."""
    global _default
    _default = language if language in LANGUAGES else "en"


def current() -> str:
    return _current.get() or _default


def of_locale(locale: object) -> str | None:
    """``ko-KR`` → ko; None for a locale we have no catalogue for (or none at all)."""
    if not isinstance(locale, str) or not locale:
        return None
    language = locale.replace("_", "-").split("-")[0].lower()
    return language if language in LANGUAGES else None


def use(language: str | None) -> None:
    """This request's language (None: the default), until the next request sets its own:
    Bolt runs the listeners after its middleware returns, so it cannot be a ``with``."""
    _current.set(language if language in LANGUAGES else None)


def use_for(body: dict[str, object]) -> None:
    """The language of the person a request comes from: Slack sends their locale in some
    payloads (with the app's locale setting); where it does not, SUMMITBOT_LANG decides."""
    user = body.get("user")
    use(of_locale(user.get("locale") if isinstance(user, dict) else body.get("locale")))


@cache
def catalogue(language: str) -> dict[str, str]:
    """msgid → msgstr of the language's .po file (English has none: it is the msgids)."""
    path = CATALOGUES / f"{language}.po"
    if not path.exists():
        return {}
    # Babel is loaded with the first catalogue: an English-only process never needs it.
    from babel.messages.pofile import read_po

    with path.open("rb") as po:
        messages = read_po(po, locale=language)
    return {str(m.id): str(m.string) for m in messages if m.id and m.string}


def _(message: str) -> str:
    """``message`` in the current language; the English when it has no translation."""
    language = current()
    if language == "en":
        return message
    return catalogue(language).get(message, message)


def translated(text: str) -> str:
    """A sentence the domain said (``slackbot.core.wording.Said``) in the reader's language;
    any other text as it is."""
    template = getattr(text, "template", None)
    if not isinstance(template, str):
        return text
    values = getattr(text, "values", {})
    return _(template).format(**values)


def explained(error: BaseException) -> str:
    """What an error says, in the reader's language where the domain said it in words it
    marked (its arguments sentences, ``Said``)."""
    if error.args and all(isinstance(sentence, str) for sentence in error.args):
        return " ".join(translated(sentence) for sentence in error.args)
    return str(error)


def _n(one: str, many: str, count: int) -> str:
    """The message for ``count`` things: ``one`` for one, ``many`` otherwise (Korean has one
    form; each is in the catalogue)."""
    return _(one if count == 1 else many)
