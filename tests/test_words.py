"""What /summit's words and a mention's words ask for, read in one place (slackbot.core.words)."""

from __future__ import annotations

import pytest

from slackbot.core.words import (
    FIRST_WORDS,
    WHOLE_STORE_AT_ONCE,
    Asked,
    command_for,
    summit_words,
)


@pytest.mark.parametrize(
    ("typed", "asked", "rest"),
    [
        ("", Asked.OVERVIEW, ""),
        ("  When ", Asked.OVERVIEW, ""),
        ("?", Asked.HELP, ""),
        ("FIND  hbm supply ", Asked.SEARCH, "hbm supply"),
        ("claims samsung", Asked.OPEN_CLAIMS, "samsung"),
        ("not-about C3 samsung galaxy", Asked.NOT_ABOUT, "C3 samsung galaxy"),
        ("notabout C3 x", Asked.NOT_ABOUT, "C3 x"),
        ("f009", Asked.FACT, ""),
        ("F9 extra", Asked.UNKNOWN, "extra"),
        ("quokka", Asked.UNKNOWN, ""),
    ],
)
def test_the_first_word_and_its_aliases(typed: str, asked: Asked, rest: str) -> None:
    words = summit_words(typed)
    assert (words.asked, words.rest, words.text) == (asked, rest, typed.strip())


def test_what_each_kind_needs() -> None:
    assert summit_words("search hbm").cacheable and summit_words("search hbm").needs_role
    assert summit_words("retract F9 why").needs_role
    assert not summit_words("retract F9 why").cacheable
    assert summit_words("queue 2").reviewing and not summit_words("history F9").reviewing
    assert summit_words("add").opens_form and summit_words("edit F9").opens_form
    assert not summit_words("F9").cacheable  # one fact: built each time, as before


def test_answers_that_read_the_whole_store() -> None:
    counted: list[int] = []

    def big() -> int:
        counted.append(WHOLE_STORE_AT_ONCE + 1)
        return counted[-1]

    def small() -> int:
        return WHOLE_STORE_AT_ONCE

    assert summit_words("since 2024-06-01").reads_the_whole_store(small)
    assert summit_words("timeline").reads_the_whole_store(big)
    assert summit_words("open since 2024-01-01").reads_the_whole_store(big)
    assert not summit_words("timeline").reads_the_whole_store(small)
    assert not summit_words("timeline samsung").reads_the_whole_store(big)
    calls = len(counted)
    assert not summit_words("search hbm").reads_the_whole_store(big)
    assert len(counted) == calls, "a search does not count the store's facts"


def test_every_first_word_is_lower_case_and_reads_back() -> None:
    for word, asked in FIRST_WORDS.items():
        assert word == word.lower()
        if word:  # "" is /summit alone
            assert summit_words(f"{word.upper()} x").asked is asked


def test_a_mention_asks_for_a_command_and_its_words() -> None:
    assert command_for("who samsung") == ("/whois", "samsung")
    assert command_for("/Chips hbm") == ("/chips", "hbm")
    assert command_for("find hbm supply") == ("/summit", "search hbm supply")
    assert command_for("help me") == ("/summit", "help")
    assert command_for("what is this") is None
