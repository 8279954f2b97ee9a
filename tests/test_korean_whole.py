"""Issue 26, "The Korean interface whole": with SUMMITBOT_LANG=ko every heading, empty
answer, error and button is Korean. Every answer and form the app renders is rendered here
in Korean from a real store; what a person wrote (facts, names, sources, the words asked)
is taken out, and any English word left is an interface string not yet translated."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from slackbot.core import answers as core_answers
from slackbot.core.curation import Curator, FactDraft
from slackbot.core.digests import DigestService
from slackbot.core.feeds import ReviewQueue
from slackbot.core.feeds.review import QueuePage
from slackbot.core.home import home
from slackbot.core.intel import SummitIntel
from slackbot.slack import i18n, render
from slackbot.slack.answering import render_answer
from slackbot.slack.render.app_home import home_view
from storage.api import Candidate, Feed, Subscription
from storage.repository import FactStore
from tests.fake_slack import DateClock

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
# Words that are the same in Korean writing: names of things, units and codes.
KEPT = {
    "summit",
    "intel",
    "slack",
    "markdown",
    "csv",
    "url",
    "https",
    "http",
    "utc",
    "kst",
    "ceo",
    "llm",
}
_CODE = re.compile(r"`[^`]*`")
_LINK = re.compile(r"<[^<>]*>|&lt;[^&]*&gt;")
_EMOJI = re.compile(r":[a-z0-9_+-]+:")
_URL = re.compile(r"https?://\S+")
_ID = re.compile(r"\b[FCU][A-Z0-9]*\d[A-Z0-9]*\b")
_ENGLISH = re.compile(r"[A-Za-z]{3,}")
# An IANA time zone (Asia/Seoul) is a name, the same in any language.
_ZONE = re.compile(r"\b[A-Z][a-z]+/[A-Za-z_]+\b")
# A command as the help and the hints write it: /summit timeline samsung since 2024-05-01.
_COMMAND = re.compile(r"/(?:whois|who|chips|summit|digest)\b[^\n*_;(),]*")


@pytest.fixture(autouse=True)
def korean() -> Iterator[None]:
    i18n.use("ko")
    yield
    i18n.use(None)


def strings_of(rendered: Any) -> list[str]:
    """Every string a person reads in a message or view: texts, labels, placeholders,
    hints, titles, buttons and options."""
    found: list[str] = []

    def walk(node: Any, key: str = "") -> None:
        if isinstance(node, dict):
            for name, value in node.items():
                if name in ("action_id", "block_id", "value", "callback_id", "url", "type"):
                    continue
                if name == "private_metadata":
                    continue
                walk(value, name)
        elif isinstance(node, list):
            for value in node:
                walk(value, key)
        elif isinstance(node, str) and key in (
            "text",
            "label",
            "placeholder",
            "hint",
            "title",
            "submit",
            "close",
            "alt_text",
        ):
            found.append(node)

    walk(rendered.to_dict() if hasattr(rendered, "to_dict") else rendered)
    return found


def data_of(store: FactStore, extra: list[str]) -> list[str]:
    """What people wrote, as the store holds it: it stays in the language it was written."""
    data = [*extra]
    for fact in store.facts():
        data += [fact.statement, fact.source.title or "", fact.retraction_reason or ""]
        data += [source.title for source in fact.more_sources]
    for entity in store.entities():
        data += [entity.name, *entity.aliases, entity.korean_name or "", entity.description or ""]
        data += [entity.role or "", entity.category or ""]
    event = store.event()
    if event is not None:
        data += [event.name, event.summary, event.format, *event.themes]
        data += [theme.split(": ", 1)[-1] for theme in event.themes]
    source = store.meta("source") or {}
    data += [str(source.get("title") or "")]
    for candidate in store.candidates():
        data += [candidate.title, candidate.summary, candidate.outlet, candidate.reason or ""]
        data += [s.title for s in candidate.sources]
    for feed in store.feeds():
        data += [feed.name, feed.url, feed.last_result or "", feed.problem or ""]
    return sorted({d for d in data if d.strip()}, key=len, reverse=True)


def english_in(text: str, data: list[str]) -> list[str]:
    for written in data:
        forms = sorted({written, render.escape(written), render.flat(written)}, key=len)
        for form in reversed(forms):
            text = text.replace(form, " ")
        # Clipped to fit a block ("…"): its start, up to where the text ends it.
        longest = forms[-1]
        start = text.find(longest[:40]) if len(longest) > 60 else -1
        while start >= 0:
            end = start
            while (
                end < len(text) and end - start < len(longest) and text[end] == longest[end - start]
            ):
                end += 1
            if end < len(text) and text[end] != "…":
                start = text.find(longest[:40], start + 1)  # another text starting alike
                continue
            text = text[:start] + " " + text[end:]
            start = text.find(longest[:40])
    for pattern in (_CODE, _LINK, _URL, _EMOJI, _ID, _COMMAND, _ZONE):
        text = pattern.sub(" ", text)
    return [word for word in _ENGLISH.findall(text) if word.casefold() not in KEPT]


@pytest.fixture
def scene(store: FactStore) -> dict[str, Any]:
    """A store with something in every answer: a dated fact, a retraction, an open claim
    settled, a feed with a candidate, a channel's digest."""
    clock = DateClock(NOW)
    curator = Curator(store, clock)
    deal = curator.add(
        FactDraft(
            statement="Samsung and Microsoft sign an HBM3E supply deal.",
            kind="hardware",
            entity_ids=("samsung", "microsoft", "hbm"),
            source_url="https://news.example.com/deal",
            source_title="Example Wire",
            reported_on="2024-06-10",
        ),
        "U0ADMIN",
    )
    curator.retract("F13", "denied by LG", "U0ADMIN")
    stamp = NOW.isoformat()
    store.put_feed(Feed("1", "https://wire.example/rss", "Seoul Wire", added_at=stamp))
    store.put_many(
        [],
        [],
        [],
        candidates=[
            Candidate(
                "C1",
                "SK Hynix ships HBM4 samples to Microsoft",
                "https://wire.example/hynix",
                stamp,
                stamp,
                feed_id="1",
                outlet="Seoul Wire",
                entity_ids=("sk-hynix", "hbm", "microsoft"),
                kind="hardware",
                source_for="F9",
            )
        ],
    )
    store.put_subscription(
        Subscription("C0NEWS", "daily", "09:00", "Asia/Seoul", since=stamp, created_at=stamp)
    )
    clock.advance(timedelta(hours=1))
    return {"clock": clock, "curator": curator, "deal": deal}


def _conflict(fact: Any) -> Any:
    from slackbot.core.curation import EditConflict

    return EditConflict(fact, None)


def test_every_answer_and_form_reads_in_korean(store: FactStore, scene: dict[str, Any]) -> None:
    clock: DateClock = scene["clock"]
    intel = SummitIntel(store, clock=clock)
    curator: Curator = scene["curator"]
    digests = DigestService(intel, None, clock=clock)
    asked = [
        ("/whois", ""),
        ("/whois", "samsung"),
        ("/whois", "곽노정"),
        ("/whois", "anthropic"),
        ("/whois", "sk"),
        ("/whois", "zzzzqq"),
        ("/whois", "samsung, sk hynix"),
        ("/chips", ""),
        ("/chips", "hbm"),
        ("/chips", "zzzzqq"),
        ("/summit", ""),
        ("/summit", "help"),
        ("/summit", "blorp"),
        ("/summit", "search hbm supply"),
        ("/summit", "search zzzzqq"),
        ("/summit", "search"),
        ("/summit", "F9"),
        ("/summit", "F13"),
        ("/summit", "F999"),
        ("/summit", "history F13"),
        ("/summit", "history zzzzqq"),
        ("/summit", "timeline samsung"),
        ("/summit", "timeline"),
        ("/summit", "timeline zzzzqq"),
        ("/summit", "timeline sk"),
        ("/summit", "timeline samsung since 2030-01-01"),
        ("/summit", "timeline samsung since soon"),
        ("/summit", "since 2024-05-01"),
        ("/summit", "since 2024-05-01 samsung"),
        ("/summit", "since 2030-01-01"),
        ("/summit", "since"),
        ("/summit", "since later"),
        ("/summit", "open"),
        ("/summit", "open samsung"),
    ]
    rendered: list[tuple[str, Any]] = []
    for command, words in asked:
        found = core_answers.answer(intel, curator, command, words, digests=digests)
        message = render_answer(found, words, timezone="Asia/Seoul", admin=True)
        rendered.append((f"{command} {words}", message))
    deal = scene["deal"]
    candidate = store.candidate("C1")
    feed = store.feed("1")
    assert candidate is not None and feed is not None
    names = intel.entities
    queue = ReviewQueue(intel, curator, clock=clock)
    state = intel.claims.state(store.fact("F9"))  # type: ignore[arg-type]
    assert state is not None
    subscription = store.subscription("C0NEWS")
    assert subscription is not None
    digest = digests.preview("C0NEWS")
    rendered += [
        ("fact form", render.fact_form(FactDraft(), [], {}, today="2026-12-07")),
        (
            "edit form",
            render.fact_form(FactDraft.of(deal), [], {}, title="", today="2026-12-07"),
        ),
        ("retract form", render.retract_form(deal, {})),
        ("saved", render.saved(deal, "added")),
        ("no fact to edit", render.no_fact_to_edit("F999")),
        ("keep open", render.keep_open_form(state, {}, date(2027, 1, 1))),
        ("did not happen", render.did_not_happen_form(state.claim, {}, date(2026, 12, 7))),
        ("review message", render.review_message(candidate, names, "UTC")),
        ("queue", render.queue(queue.pending(), names, "UTC")),
        ("empty queue", render.queue(QueuePage([], 1, 1, 0), names, "UTC")),
        ("review summary", render.review_summary(30, 2)),
        ("feed list", render.feed_list([feed], "UTC")),
        ("empty feed list", render.feed_list([], "UTC")),
        ("feed changed", render.feed_changed(feed, "x")),
        ("reject form", render.reject_form(candidate, {})),
        ("suggest form", render.suggest_form("", {})),
        ("digest", render.digest_messages(digest)[0] if not digest.empty else render.notice("")),
        ("digest preview", render.digest_preview(digest)),
        (
            "home",
            home_view(
                home(
                    intel,
                    digests,
                    viewer="U0ADMIN",
                    member_of=["C0NEWS"],
                    is_admin=True,
                    review=queue,
                ),
                "Asia/Seoul",
            ),
        ),
    ]
    from slackbot.core.admins import Curators
    from slackbot.core.corrections import Correction
    from slackbot.core.digests import DigestStatus
    from slackbot.core.feeds import PollReport

    curators = Curators(("U0ADMIN",), workspace_admins=True)
    retracted = store.fact("F13")
    assert retracted is not None
    decided = queue.reject("C1", "U0ADMIN", "a rumour")
    status = digests.status("C0NEWS")
    rendered += [
        ("digest status", render.digest_status(status)),
        ("no digest", render.digest_status(DigestStatus(None, None, [], [], channel_id="C0X"))),
        (
            "no personal digest",
            render.digest_status(DigestStatus(None, None, [], [], channel_id="U0ME")),
        ),
        ("not allowed digest", render.not_allowed_digest("U0OWNER", curators)),
        ("not admin", render.not_admin(curators, "add facts")),
        ("correction", render.correction(Correction(retracted, "expected", "", "", "digest"))),
        ("poll done", render.poll_done([PollReport(feed, "3 new items")])),
        ("nothing polled", render.poll_done([])),
        ("feed failing", render.feed_health(feed, True)),
        ("feed back", render.feed_health(feed, False)),
        ("proposed", render.proposed(candidate)),
        ("proposal decided", render.proposal_decided(decided, "UTC")),
        ("decided", render.decided_message(decided, names, "UTC")),
        ("already decided", render.already_decided(decided, "UTC")),
        ("edit conflict", render.notice(render.edit_conflict(_conflict(deal)))),
    ]
    typed = [word for _command, words in asked for word in [words, *words.split()]]
    data = data_of(store, typed)
    leftover = {}
    for what, message in rendered:
        for text in strings_of(message):
            found = english_in(text, data)
            if found:
                leftover[what] = leftover.get(what, []) + found
    report = {what: " ".join(dict.fromkeys(words)) for what, words in leftover.items()}
    assert report == {}, json.dumps(report, ensure_ascii=False, indent=1)


# -- through Slack, as an admin and a member would ask --------------------------------------

# Entities Slack never unescapes in mrkdwn, and any in plain_text, show as typed.
_STRAY_ENTITY = re.compile(r"&(?:quot|apos|#\d+|#x[0-9a-f]+|nbsp);", re.IGNORECASE)


def plain_texts(node: Any) -> list[str]:
    """The plain_text objects' texts: Slack shows these exactly, entities and all."""
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "plain_text" and isinstance(node.get("text"), str):
            found.append(node["text"])
        for value in node.values():
            found += plain_texts(value)
    elif isinstance(node, list):
        for value in node:
            found += plain_texts(value)
    return found


def test_answers_over_signed_http_read_in_korean_with_no_entity_shown_as_text(
    fake_slack: Any, settings: Any, store: FactStore
) -> None:
    """The handlers' own answers (usage, refusals, the review commands) as Slack gets them
    from `summitbot serve` with SUMMITBOT_LANG=ko, for an admin and a member; and no answer
    shows an HTML entity as text (the search footer once showed `&quot;`)."""
    import threading
    from dataclasses import replace as with_changes

    from slackbot.app import build
    from slackbot.server import GracefulServer
    from tests.conftest import SIGNING_SECRET
    from tests.slack_client import SlackSender

    fake_slack.add_user("U0MEMBER", is_admin=False)
    built = build(with_changes(settings, language="ko"), store)
    server = GracefulServer(built.ingress, "127.0.0.1", 0, tick_seconds=0.05)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    slack = SlackSender(server.url, SIGNING_SECRET, fake_slack)
    asked = [
        ("/summit", "search hbm supply", "U0ADMIN"),
        ("/summit", "search zzzz", "U0ADMIN"),
        ("/summit", "retract", "U0ADMIN"),
        ("/summit", "restore", "U0ADMIN"),
        ("/summit", "retract F9 wrong", "U0MEMBER"),
        ("/summit", "brief", "U0ADMIN"),
        ("/summit", "queue", "U0ADMIN"),
        ("/summit", "approve", "U0ADMIN"),
        ("/summit", "approve C999", "U0ADMIN"),
        ("/summit", "notabout", "U0ADMIN"),
        ("/summit", "feeds", "U0ADMIN"),
        ("/summit", "feeds blorp", "U0ADMIN"),
        ("/summit", "review", "U0ADMIN"),
        ("/summit", "queue", "U0MEMBER"),
        ("/digest", "status", "U0ADMIN"),
        ("/digest", "blorp", "U0ADMIN"),
        ("/digest", "daily 25:99", "U0ADMIN"),
        ("/digest", "daily 09:00 Mars/Olympus", "U0ADMIN"),
        ("/digest", "track", "U0ADMIN"),
        ("/digest", "me status", "U0ADMIN"),
    ]
    data = data_of(store, [word for _c, words, _u in asked for word in [words, *words.split()]])
    leftover: dict[str, list[str]] = {}
    try:
        for command, words, user in asked:
            watched = fake_slack.response_url()
            reply = slack.command(command, words, user_id=user, response_url=watched)
            if reply.body:
                body = reply.json()
            else:
                path = watched.removeprefix(fake_slack.base)
                (body,) = fake_slack.wait_for(
                    lambda p=path: [r for r in fake_slack.response_posts if r["path"] == p]
                )
            asked_as = f"{command} {words} ({user})"
            for text in [body.get("text", ""), *strings_of(body.get("blocks", []))]:
                found = english_in(text, data)
                if found:
                    leftover[asked_as] = leftover.get(asked_as, []) + found
                assert not _STRAY_ENTITY.search(text), (asked_as, text)
            for shown in plain_texts(body.get("blocks", [])):
                assert not re.search(r"&(?:amp|lt|gt);", shown), (asked_as, shown)
    finally:
        slack.close()
        server.stop()
        thread.join(timeout=10)
    report = {what: " ".join(dict.fromkeys(words)) for what, words in leftover.items()}
    assert report == {}, json.dumps(report, ensure_ascii=False, indent=1)


@pytest.mark.parametrize(
    "delivered",
    ["posted", "incomplete", "empty", "failed"],
)
def test_a_digests_last_result_reads_in_korean_as_the_service_wrote_it(
    store: FactStore, delivered: str
) -> None:
    """``/digest status`` and App Home show how the last digest went, as the service stored
    it: said again in Korean, whatever happened."""
    from slackbot.core.digests.service import Delivery

    clock = DateClock(NOW)
    stamp = NOW.isoformat()
    store.put_subscription(
        Subscription("C0NEWS", "daily", "09:00", "Asia/Seoul", since=stamp, created_at=stamp)
    )
    if delivered != "empty":
        clock.advance(timedelta(minutes=1))
        Curator(store, clock).add(
            FactDraft(
                statement="SK Hynix ships HBM4 samples to Microsoft.",
                kind="hardware",
                entity_ids=("sk-hynix", "hbm"),
                source_title="Seoul Wire",
            ),
            "U0ADMIN",
        )
    clock.advance(timedelta(minutes=1))

    def deliver(_subscription: Any, _digest: Any, record_post: Any) -> Delivery:
        if delivered == "failed":
            return Delivery(False, reason="not_in_channel")
        record_post("1.000001", 1, 2 if delivered == "incomplete" else 1)
        return Delivery(True, complete=delivered != "incomplete", reason="ratelimited")

    digests = DigestService(SummitIntel(store), deliver, clock=clock)
    digests.post_now("C0NEWS")
    status = digests.status("C0NEWS")
    assert status.subscription is not None
    assert status.subscription.last_result or delivered == "empty"
    shown = strings_of(render.digest_status(status))
    data = data_of(store, ["not_in_channel", "ratelimited"])
    assert [word for text in shown for word in english_in(text, data)] == [], shown
