"""Property-based tests (Hypothesis, issue 27): generated input where examples miss cases.

- the journal: random batches, a crash at any byte, a flipped byte anywhere: every batch
  acknowledged before the crash comes back exactly, or opening refuses naming the damage;
  never a silent loss or a changed record;
- the import line parser: any line is imported or refused with its line number, never a
  crash;
- /digest's words and time zones: any text is a request or a usage error;
- Slack markup: escaped text holds nothing that renders as a mention or a link;
- URL canonicalisation: idempotent, and always http(s) with a lower-case host or None.
"""

from __future__ import annotations

import json
import os
import string
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slackbot.core.bulk import BulkCuration
from slackbot.core.curation import Curator
from slackbot.core.digests.parsing import UsageError, check_timezone, parse_request
from slackbot.core.feeds.links import canonical_link
from slackbot.slack.render.base import echo, escape
from storage.errors import JournalCorruptError
from storage.journal import Journal
from storage.repository import FactStore

# Each runs some dozens of examples: enough to find an edge, quick enough for `make test`.
# Locally each run tries new ones; in CI the same ones, so a landing never rests on luck.
SOME = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=os.environ.get("CI") == "true",
)

records = st.lists(
    st.dictionaries(
        st.text(string.ascii_lowercase, min_size=1, max_size=6),
        # The store's numbers are 64-bit (imports refuse larger: tests/test_bad_rows.py).
        st.one_of(st.integers(-(2**63), 2**63 - 1), st.text(max_size=20), st.booleans(), st.none()),
        max_size=4,
    ),
    min_size=1,
    max_size=3,
)


# -- the journal ----------------------------------------------------------------------------


@SOME
@given(
    batches=st.lists(records, min_size=1, max_size=8),
    cut=st.floats(0, 1),
    flip=st.one_of(st.none(), st.floats(0, 1)),
)
def test_the_journal_never_loses_an_acknowledged_batch_in_silence(
    batches: list[list[dict[str, Any]]], cut: float, flip: float | None
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "summit.json.journal"
        journal = Journal(path)
        ends = []
        for batch in batches:
            journal.append(batch)
            ends.append(journal.size)
        journal.close()
        raw = bytearray(path.read_bytes())
        # A crash: everything after some byte never reached the disk.
        kept = int(len(raw) * cut)
        raw = raw[:kept]
        flipped_at = None
        if flip is not None and raw:
            flipped_at = min(int(len(raw) * flip), len(raw) - 1)
            raw[flipped_at] ^= 0x20
        path.write_bytes(bytes(raw))
        whole = [batch for batch, end in zip(batches, ends, strict=True) if end <= kept]
        try:
            reopened = Journal(path)
        except JournalCorruptError as refused:
            # Damage before the end: refused, naming a line; never read past.
            assert flipped_at is not None and "line" in str(refused)
            return
        got = list(reopened.replay())
        reopened.close()
        expected = [record for batch in whole for record in batch]
        if flipped_at is None:
            assert got == expected
        else:
            # The flipped batch (and only what followed it as a torn tail) may be gone;
            # every record that came back is one that was written, in order.
            assert got == expected[: len(got)]
            lost_batches = [b for b, end in zip(batches, ends, strict=True) if end > flipped_at]
            assert len(expected) - len(got) <= sum(len(b) for b in lost_batches)


# -- the import line parser ---------------------------------------------------------------


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text()),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
fact_like = st.fixed_dictionaries(
    {"type": st.sampled_from(["fact", "entity", "subscription", "feed", "candidate", "meta"])},
    optional={
        "statement": st.text(max_size=40),
        "kind": st.text(max_size=10),
        "entities": json_values,
        "id": json_values,
        "tags": json_values,
        "source": json_values,
        "name": st.text(max_size=20),
        "timezone": st.text(max_size=20),
        "state": st.text(max_size=10),
        "reported_on": json_values,
    },
)
import_lines = st.lists(
    st.one_of(
        st.text(max_size=60),
        fact_like.map(json.dumps),
        json_values.map(json.dumps),
    ),
    min_size=1,
    max_size=5,
)


@SOME
@given(lines=import_lines)
def test_any_import_line_is_imported_or_refused_by_number_never_a_crash(lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = FactStore(Path(folder) / "summit.json")
        try:
            store.seed()
            before = store.fact_count()
            report = BulkCuration(Curator(store)).import_lines(lines, by="hypothesis")
            for number, problem in report.errors:
                assert 1 <= number <= len(lines) and problem
            if report.errors:
                assert store.fact_count() == before  # all or nothing
        finally:
            store.close()


# -- /digest words and time zones ---------------------------------------------------------


digest_words = st.lists(
    st.one_of(
        st.sampled_from(
            "daily weekly weekdays mon fri sun status now pause resume off track untrack "
            "preview 09:00 9am 25:00 Asia/Seoul Mars/Olympus UTC Etc/GMT+14 ../etc/passwd".split()
        ),
        st.text(max_size=12),
    ),
    max_size=6,
).map(" ".join)


@SOME
@given(text=digest_words)
def test_any_digest_words_are_a_request_or_a_usage_error(text: str) -> None:
    try:
        request = parse_request(text)
    except UsageError as usage:
        assert str(usage)
        return
    if request.timezone is not None:
        assert check_timezone(request.timezone) == request.timezone
    if request.time is not None:
        hours, minutes = request.time.split(":")
        assert 0 <= int(hours) < 24 and 0 <= int(minutes) < 60


@SOME
@given(name=st.text(max_size=40))
def test_any_time_zone_name_is_one_or_a_usage_error(name: str) -> None:
    try:
        assert check_timezone(name) == name
    except UsageError as usage:
        assert "is not a time zone" in str(usage)


# -- Slack markup ------------------------------------------------------------------------


hostile = st.text(st.one_of(st.sampled_from(list("<>&@!#|^:")), st.characters()), max_size=80).map(
    lambda text: text + "<!channel> <@U123> <#C1|x> <https://evil.example|click>"
)


@SOME
@given(text=hostile)
def test_escaped_text_holds_nothing_that_renders_as_a_mention_or_a_link(text: str) -> None:
    for shown in (escape(text), echo(text)):
        assert "<" not in shown and ">" not in shown
    # Nothing lost: Slack shows the entities as the characters typed.
    shown = escape(text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert shown == text


# -- URL canonicalisation ------------------------------------------------------------------


urls = st.one_of(
    st.text(max_size=60),
    st.builds(
        "{}://{}{}{}{}".format,
        st.sampled_from(["http", "https", "HTTP", "ftp", "javascript", ""]),
        st.sampled_from(["News.Example", "news.example:80", "news.example:8443", "[::1]", ""]),
        st.text("/abc%é한", max_size=12),
        st.sampled_from(["", "?utm_source=x&id=7", "?a=1&a=2&fbclid=z", "?q=%ZZ"]),
        st.sampled_from(["", "#top", "#"]),
    ),
)


@SOME
@given(url=urls)
def test_canonical_links_are_idempotent_http_and_lower_case(url: str) -> None:
    canonical = canonical_link(url)
    if canonical is None:
        return
    assert canonical.startswith(("http://", "https://"))
    assert canonical_link(canonical) == canonical
    assert "#" not in canonical and "utm_" not in canonical
    host = canonical.split("://", 1)[1].split("/", 1)[0]
    assert host == host.lower()
