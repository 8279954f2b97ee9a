"""Issue 16, "Open claims and outcomes": /summit open, the stale mark on cards, and the
Happened / Did not happen / Still open buttons, through signed HTTP and Socket Mode."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from slackbot.app import Built
from slackbot.config import Settings
from slackbot.core import curation
from slackbot.core.curation import FactDraft
from slackbot.slack.ids import (
    CLAIM_DID_NOT_HAPPEN,
    CLAIM_HAPPENED,
    CLAIM_STILL_OPEN,
    REVIEW_ON,
    SETTLE_AS,
)
from storage.repository import FactStore
from tests.fake_slack import DateClock, FakeSlack, block_kit_problems
from tests.fake_socket_mode import socket_mode_app
from tests.slack_client import (
    SlackSender,
    block_actions,
    block_texts,
    opened_view,
    view_submission,
)

ADMIN = "U0ADMIN"
READER = "U0READER"
SEED_CLAIMS = {"F8", "F9", "F11", "F13", "F14", "F16"}


@pytest.fixture(autouse=True)
def people(fake_slack: FakeSlack) -> None:
    fake_slack.add_user(ADMIN, is_admin=False)
    fake_slack.add_user(READER, is_admin=False)


def seed_age(clock: DateClock) -> int:
    """Days since the seed's claims were reported: its article gives May 2024, counted from
    the month's first day."""
    return (clock.now.date() - date(2024, 5, 1)).days


def shown(reply: Any) -> str:
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    assert block_kit_problems(body["blocks"], 50) == []
    return "\n".join([body["text"], *block_texts(body["blocks"])])


def click(slack: SlackSender, fake: FakeSlack, action_id: str, claim: str, user: str = ADMIN):
    before = len(fake.calls_to("views.open", ok=True))
    payload = block_actions(
        user,
        {"action_id": action_id, "value": claim, "type": "button"},
        response_url=fake.response_url(),
        trigger_id=fake.issue_trigger(),
    )
    assert slack.interactive(payload).status == 200
    return before


def opened(fake: FakeSlack, before: int) -> dict[str, Any]:
    calls = fake.wait_for(lambda: fake.calls_to("views.open", ok=True)[before:] or None)
    return opened_view(calls[0].params)


def test_open_lists_expected_facts_oldest_first_and_only_admins_get_the_buttons(
    slack: SlackSender, store: FactStore, clock: DateClock
) -> None:
    listed = shown(slack.command("/summit", "open", user_id=READER))
    assert all(claim in listed for claim in SEED_CLAIMS)
    # The seed's claims were made about the summit: their age counts from 14 May 2024.
    assert f"Open {seed_age(clock)} days · :hourglass: stale" in listed
    body = slack.command("/summit", "open", user_id=READER).json()
    assert not [b for b in body["blocks"] if b["type"] == "actions" and len(b["elements"]) == 3]
    admin = slack.command("/summit", "open", user_id=ADMIN).json()
    buttons = [
        e["action_id"] for b in admin["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert buttons.count(CLAIM_HAPPENED) == len(SEED_CLAIMS)
    narrowed = shown(slack.command("/summit", "open lg electronics", user_id=READER))
    assert "F13" in narrowed and "F9" not in narrowed
    assert "Nothing matches" in shown(slack.command("/summit", "open zzzzqq", user_id=READER))


def test_a_claim_open_past_the_stale_limit_is_marked_on_every_card(
    slack: SlackSender, clock: DateClock, built: Built
) -> None:
    age = seed_age(clock)
    assert f"Expected · :hourglass: open {age} days" in shown(slack.command("/whois", "samsung"))
    draft = FactDraft(
        statement="Samsung may start HBM4 deliveries to Microsoft within the year.",
        kind="hardware",
        status="expected",
        entity_ids=("samsung", "hbm"),
        source_url="https://news.example.com/hbm4",
        source_title="Example News",
        happened_on=clock.now.date().isoformat(),
    )
    fresh = built.services.curator.add(draft, ADMIN).id
    assert f"`{fresh}` · {draft.happened_on}" in shown(slack.command("/summit", fresh))
    assert ":hourglass:" not in shown(slack.command("/summit", fresh)), "not stale yet"
    clock.advance(timedelta(days=190))
    card = shown(slack.command("/whois", "samsung"))
    assert "Expected · :hourglass: open 190 days" in card
    for asked in (fresh, "timeline hbm", "search hbm4 deliveries"):
        assert "open 190 days" in shown(slack.command("/summit", asked)), asked
    assert f"open {age + 190} days" in shown(slack.command("/summit", "F9"))


def test_happened_records_a_new_fact_linked_as_the_claims_outcome(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore, clock: DateClock
) -> None:
    view = opened(fake_slack, click(slack, fake_slack, CLAIM_HAPPENED, "F9"))
    assert view["title"]["text"] == "Outcome of F9"
    values = {
        curation.STATEMENT: "Samsung began supplying HBM3E to Microsoft.",
        curation.SOURCE_URL: "https://news.example.com/hbm3e-supply",
        curation.SOURCE_TITLE: "Example News",
        curation.HAPPENED_ON: "2024-09-03",
    }
    claim_as_outcome = {**values, curation.STATUS: "expected"}
    refused = slack.interactive(view_submission(view, claim_as_outcome, ADMIN)).json()
    assert refused["response_action"] == "errors" and "Confirmed or Reported" in json.dumps(refused)
    assert slack.interactive(view_submission(view, values, ADMIN)).status == 200
    claim = store.fact("F9")
    assert claim is not None and claim.outcome is not None
    outcome = store.fact(claim.outcome)
    assert outcome is not None and outcome.status == "confirmed"
    assert set(outcome.entity_ids) == set(claim.entity_ids)
    card = shown(slack.command("/whois", "samsung"))
    assert f"Expected → :white_check_mark: Confirmed 2024-09-03, `{outcome.id}`" in card
    assert "F9" not in shown(slack.command("/summit", "open", user_id=READER))
    # The claim's history says so, and a second click says it is settled.
    assert outcome.id in shown(slack.command("/summit", "history F9"))
    click(slack, fake_slack, CLAIM_HAPPENED, "F9")
    told = fake_slack.wait_for(
        lambda: [p for p in fake_slack.response_posts if "already has its outcome" in str(p)]
    )
    assert told


def test_did_not_happen_retracts_the_claim_with_a_reason(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore
) -> None:
    view = opened(fake_slack, click(slack, fake_slack, CLAIM_DID_NOT_HAPPEN, "F11"))
    assert view["title"]["text"] == "F11 did not happen"
    empty = slack.interactive(view_submission(view, {}, ADMIN)).json()
    assert empty["response_action"] == "errors"
    said = {curation.STATEMENT: "no SSD deal was made"}
    assert slack.interactive(view_submission(view, said, ADMIN)).status == 200
    fact = store.fact("F11")
    assert fact is not None and fact.status == "retracted"
    assert fact.retraction_reason == "no SSD deal was made"
    assert "F11" not in shown(slack.command("/summit", "open", user_id=READER))


def test_did_not_happen_can_keep_the_claim_and_record_a_fact_saying_so(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore
) -> None:
    view = opened(fake_slack, click(slack, fake_slack, CLAIM_DID_NOT_HAPPEN, "F16"))
    statement = "Microsoft chose its own Maia accelerators over Samsung's Mach-1."
    record = {SETTLE_AS: "record", curation.STATEMENT: statement}
    refused = slack.interactive(view_submission(view, record, ADMIN)).json()
    assert refused["response_action"] == "errors" and curation.SOURCE_URL in refused["errors"]
    record |= {
        curation.SOURCE_URL: "https://news.example.com/maia",
        curation.SOURCE_TITLE: "Example News",
        curation.HAPPENED_ON: "2025-01-10",
    }
    assert slack.interactive(view_submission(view, record, ADMIN)).status == 200
    claim = store.fact("F16")
    assert claim is not None and claim.status == "expected", "kept, not retracted"
    assert claim.did_not_happen and claim.outcome is not None
    saying_so = store.fact(claim.outcome)
    assert saying_so is not None and saying_so.statement == statement
    assert saying_so.status == "confirmed"
    card = shown(slack.command("/whois", "samsung"))
    assert f"→ :no_entry_sign: Did not happen 2025-01-10, `{saying_so.id}`" in card
    assert "F16" not in shown(slack.command("/summit", "open", user_id=READER))


def test_still_open_sets_a_review_day_that_holds_off_the_stale_mark(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore, clock: DateClock
) -> None:
    clock.advance(timedelta(days=200))
    view = opened(fake_slack, click(slack, fake_slack, CLAIM_STILL_OPEN, "F13"))
    today = clock.now.date()
    past = slack.interactive(view_submission(view, {REVIEW_ON: today.isoformat()}, ADMIN))
    assert past.json()["response_action"] == "errors"
    later = (today + timedelta(days=30)).isoformat()
    assert slack.interactive(view_submission(view, {REVIEW_ON: later}, ADMIN)).status == 200
    fact = store.fact("F13")
    assert fact is not None and fact.review_on == later
    assert "F13" in shown(slack.command("/summit", "open lg", user_id=READER))
    assert ":hourglass: open" not in shown(slack.command("/summit", "F13"))
    clock.advance(timedelta(days=31))
    assert f":hourglass: open {seed_age(clock)} days" in shown(slack.command("/summit", "F13"))


def test_only_admins_settle_claims(slack: SlackSender, fake_slack: FakeSlack) -> None:
    before = click(slack, fake_slack, CLAIM_HAPPENED, "F9", user=READER)
    told = fake_slack.wait_for(
        lambda: [p for p in fake_slack.response_posts if "settle open claims" in str(p)]
    )
    assert told
    assert len(fake_slack.calls_to("views.open", ok=True)) == before


def test_open_claims_over_socket_mode(
    fake_slack: FakeSlack, settings: Settings, store: FactStore
) -> None:
    with socket_mode_app(fake_slack, settings, store) as command:
        answer = command("/summit", "open", ADMIN)
        assert "Open claims" in "\n".join(block_texts(answer["blocks"]))


def test_a_settled_claim_and_a_review_day_survive_export_and_import(
    built: Built, clock: DateClock, tmp_path: Any
) -> None:
    from slackbot.core.bulk import BulkCuration
    from slackbot.core.curation import Curator
    from slackbot.core.outcomes import keep_open, record_outcome

    curator = built.services.curator
    draft = FactDraft(
        statement="Samsung began supplying HBM3E to Microsoft.",
        kind="hardware",
        status="confirmed",
        entity_ids=("samsung", "hbm"),
        source_url="https://news.example.com/hbm3e",
        source_title="Example News",
        happened_on="2024-09-03",
    )
    outcome = record_outcome(curator, "F9", draft, ADMIN)
    later = (clock.now.date() + timedelta(days=30)).isoformat()
    keep_open(curator, "F13", later, ADMIN)
    lines = list(BulkCuration(curator).export_lines())
    empty = FactStore(tmp_path / "restored.json")
    try:
        BulkCuration(Curator(empty, clock)).import_lines(lines, "U0RESTORE")
        claim, kept = empty.fact("F9"), empty.fact("F13")
        assert claim is not None and claim.outcome == outcome.id
        assert kept is not None and kept.review_on == later
        restored_outcome = empty.fact(outcome.id)
        assert restored_outcome is not None and restored_outcome.status == "confirmed"
    finally:
        empty.close()
