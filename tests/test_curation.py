"""Admins curate facts from Slack: signed requests as Slack sends them, against the fake API."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta
from typing import Any

import pytest

from slackbot.core import curation
from storage.ids import number_of
from storage.repository import FactStore
from tests.fake_slack import BOT_TOKEN, FakeSlack, ManualClock, block_kit_problems
from tests.slack_client import (
    SlackSender,
    block_actions,
    block_texts,
    message_action,
    opened_view,
    view_submission,
)

ADMIN = "U0ADMIN"
OTHER_ADMIN = "U0ADMIN2"
OWNER = "U0OWNER"
BOB = "U0BOB"


@pytest.fixture(autouse=True)
def people(fake_slack: FakeSlack) -> None:
    fake_slack.add_user(BOB, is_admin=False, tz="Asia/Seoul")
    fake_slack.add_user(OWNER, is_owner=True, tz="Europe/London")
    fake_slack.add_user(ADMIN, is_admin=False)


def open_form(
    slack: SlackSender, fake_slack: FakeSlack, text: str = "add", user: str = ADMIN
) -> tuple[dict[str, Any], str]:
    """Runs `/summit <text>` and returns the view Slack was asked to open, and the
    response URL of the command."""
    before = len(fake_slack.calls_to("views.open", ok=True))
    response_url = fake_slack.response_url()
    reply = slack.command(
        "/summit",
        text,
        user_id=user,
        trigger_id=fake_slack.issue_trigger(),
        response_url=response_url,
    )
    assert reply.status == 200
    calls = fake_slack.wait_for(lambda: fake_slack.calls_to("views.open", ok=True)[before:] or None)
    assert calls[0].token == BOT_TOKEN
    return opened_view(calls[0].params), response_url


GOOD = {
    curation.ENTITIES: ["samsung", "hbm"],
    curation.STATEMENT: "Samsung passes Microsoft's qualification tests for HBM3E supply.",
    curation.STATUS: "reported",
    curation.KIND: "hardware",
    curation.SOURCE_URL: "https://news.example.com/samsung-hbm3e",
    curation.SOURCE_TITLE: "Example News",
    curation.TAGS: "hbm, supply",
}


def submit(slack: SlackSender, view: dict[str, Any], values: dict[str, Any], user: str = ADMIN):
    return slack.interactive(view_submission(view, values, user))


def posts_to(fake_slack: FakeSlack, response_url: str) -> list[dict[str, Any]]:
    path = response_url.split("127.0.0.1", 1)[1].split("/", 1)[1]
    return [p for p in fake_slack.response_posts if p["path"] == "/" + path]


def test_admin_opens_the_add_form_with_every_field(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    view, _url = open_form(slack, fake_slack)
    assert view["callback_id"] == "fact_form" and view["type"] == "modal"
    block_ids = {block.get("block_id") for block in view["blocks"]}
    assert {
        curation.ENTITIES,
        curation.STATEMENT,
        curation.STATUS,
        curation.KIND,
        curation.SOURCE_URL,
        curation.SOURCE_TITLE,
        curation.HAPPENED_ON,
        curation.REPORTED_ON,
        curation.DIFFERENT_FACT,
        curation.TAGS,
        curation.NEW_ENTITY_NAME,
        curation.NEW_ENTITY_KOREAN,
        curation.NEW_ENTITY_ALIASES,
    } <= block_ids
    reported = next(b for b in view["blocks"] if b.get("block_id") == curation.REPORTED_ON)
    assert reported["element"]["initial_date"] == date.today().isoformat()
    happened = next(b for b in view["blocks"] if b.get("block_id") == curation.HAPPENED_ON)
    assert happened["optional"] and "initial_date" not in happened["element"]
    assert block_kit_problems(view["blocks"], 100) == []


def test_a_non_admin_is_told_who_can_and_no_form_opens(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    response_url = fake_slack.response_url()
    slack.command(
        "/summit",
        "add",
        user_id=BOB,
        trigger_id=fake_slack.issue_trigger(),
        response_url=response_url,
    )
    post = fake_slack.wait_for(lambda: posts_to(fake_slack, response_url))[0]
    assert post["response_type"] == "ephemeral"
    assert "Only Summit Intel admins can add facts" in post["text"]
    assert "<@U0ADMIN>" in json.dumps(post["blocks"]) and "workspace admins" in post["text"]
    assert fake_slack.calls_to("views.open") == []


def test_workspace_owners_may_curate_and_the_answer_is_cached(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    open_form(slack, fake_slack, user=OWNER)
    open_form(slack, fake_slack, user=OWNER)
    lookups = [c for c in fake_slack.calls_to("users.info") if c.params.get("user") == OWNER]
    assert len(lookups) == 1


def test_a_form_after_the_trigger_expired_says_to_try_again(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    clock = ManualClock()
    fake_slack.clock = clock
    trigger = fake_slack.issue_trigger()
    clock.advance(3.5)
    response_url = fake_slack.response_url()
    slack.command("/summit", "add", user_id=ADMIN, trigger_id=trigger, response_url=response_url)
    post = fake_slack.wait_for(lambda: posts_to(fake_slack, response_url))[0]
    assert "did not open the form in time" in post["text"]
    assert fake_slack.calls_to("views.open")[0].response["error"] == "expired_trigger_id"


def test_type_ahead_offers_matching_entities(slack: SlackSender) -> None:
    payload = {
        "type": "block_suggestion",
        "user": {"id": ADMIN},
        "team": {"id": "T0TEAM"},
        "api_app_id": "A0SUMMIT",
        "action_id": curation.ENTITIES,
        "block_id": curation.ENTITIES,
        "value": "samsn",
        "view": {"id": "V1", "type": "modal", "callback_id": "fact_form"},
    }
    options = slack.interactive(payload).json()["options"]
    assert [o["value"] for o in options] == ["samsung"]
    korean = slack.interactive({**payload, "value": "곽노"}).json()["options"]
    assert [o["value"] for o in korean] == ["kwak-noh-jung"]
    everything = slack.interactive({**payload, "value": ""}).json()["options"]
    assert 19 <= len(everything) <= 100 and "samsung" in {o["value"] for o in everything}


def test_saving_a_fact_stores_it_closes_the_form_and_confirms(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore
) -> None:
    assert "qualification tests for HBM3E" not in slack.command("/who", "samsung").joined()
    view, response_url = open_form(slack, fake_slack)
    reply = submit(slack, view, GOOD)
    assert reply.status == 200 and reply.body == "", "an empty 200 closes the modal"
    fact = store.search("qualification tests hbm3e")[0]
    assert fact.statement == GOOD[curation.STATEMENT]
    assert fact.entity_ids == ("samsung", "hbm") and fact.status == "reported"
    assert fact.source.url == GOOD[curation.SOURCE_URL] and fact.tags == ("hbm", "supply")
    assert fact.added_by == ADMIN and fact.reported_on == date.today().isoformat()
    assert fact.happened_on is None, "the source did not say when it happened"
    confirmation = fake_slack.wait_for(lambda: posts_to(fake_slack, response_url))[0]
    assert confirmation["response_type"] == "ephemeral"
    assert f"Added {fact.id}" in confirmation["text"]
    card = slack.command("/who", "samsung").joined()
    assert "qualification tests for HBM3E" in card
    chips = slack.command("/chips", "hbm").joined()
    assert "qualification tests for HBM3E" in chips
    assert [r.fact_id for r in store.revisions_since("2000-01-01")] == [fact.id]


@pytest.mark.parametrize(
    ("change", "block", "says"),
    [
        ({curation.STATEMENT: "   "}, curation.STATEMENT, "Write the statement"),
        ({curation.STATEMENT: "x" * 1001}, curation.STATEMENT, "1,000 characters"),
        ({curation.SOURCE_URL: "ftp://files.example.com/a"}, curation.SOURCE_URL, "http://"),
        ({curation.SOURCE_URL: "javascript:alert(1)"}, curation.SOURCE_URL, "https://"),
        (
            {curation.HAPPENED_ON: (date.today() + timedelta(days=3)).isoformat()},
            curation.HAPPENED_ON,
            "in the future",
        ),
        ({curation.ENTITIES: []}, curation.ENTITIES, "Pick at least one"),
        (
            {
                curation.STATEMENT: "SK Telecom recently invested $100 million in AI startup "
                "Anthropic!"
            },
            curation.STATEMENT,
            "F18",
        ),
        ({curation.NEW_ENTITY_NAME: "SK Hynix"}, curation.NEW_ENTITY_NAME, "already exists"),
    ],
)
def test_each_field_error_is_shown_on_its_field_and_nothing_is_saved(
    slack: SlackSender,
    fake_slack: FakeSlack,
    store: FactStore,
    change: dict[str, Any],
    block: str,
    says: str,
) -> None:
    view, _url = open_form(slack, fake_slack)
    before = store.fact_count()
    reply = submit(slack, view, {**GOOD, **change})
    assert reply.status == 200
    answer = reply.json()
    assert answer["response_action"] == "errors"
    assert says in answer["errors"][block]
    assert store.fact_count() == before


def test_a_new_company_with_korean_name_and_aliases_becomes_findable(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    view, _url = open_form(slack, fake_slack)
    values = {
        **GOOD,
        curation.ENTITIES: ["microsoft"],
        curation.STATEMENT: "Microsoft and Naver discuss AI data centres in Korea.",
        curation.NEW_ENTITY_NAME: "Naver",
        curation.NEW_ENTITY_KIND: "company",
        curation.NEW_ENTITY_ALIASES: "Naver Corp, NHN",
        curation.NEW_ENTITY_KOREAN: "네이버",
    }
    assert submit(slack, view, values).body == ""
    for query in ("네이버", "naver corp", "nhn"):
        text = slack.command("/who", query).joined()
        assert "Naver" in text and "AI data centres" in text


def test_edit_opens_prefilled_and_records_a_revision_with_the_status_change(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore
) -> None:
    view, _url = open_form(slack, fake_slack, "edit f9")
    statement = next(b for b in view["blocks"] if b.get("block_id") == curation.STATEMENT)
    assert statement["element"]["initial_value"].startswith("Discussions with Samsung and SK")
    entities = next(b for b in view["blocks"] if b.get("block_id") == curation.ENTITIES)
    assert [o["value"] for o in entities["element"]["initial_options"]] == [
        "microsoft",
        "samsung",
        "sk-hynix",
        "hbm",
    ]
    reply = submit(
        slack, view, {curation.STATUS: "confirmed", curation.SOURCE_URL: "https://x.example/hbm"}
    )
    assert reply.body == "", reply.body
    fact = store.fact("F9")
    assert fact is not None and fact.status == "confirmed" and fact.revision == 2
    history = slack.command("/summit", "history F9").joined()
    assert "status: expected → confirmed" in history
    assert "<@U0ADMIN> edited" in history
    assert [r.changes["status"] for r in store.revisions_since("2000")] == [
        ["expected", "confirmed"]
    ]


def test_an_edit_based_on_an_old_revision_does_not_overwrite_a_newer_one(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore
) -> None:
    first_view, _ = open_form(slack, fake_slack, "edit F9")
    second_view, _ = open_form(slack, fake_slack, "edit F9", user=OWNER)
    assert submit(slack, second_view, {curation.STATUS: "confirmed"}, user=OWNER).body == ""
    reply = submit(slack, first_view, {curation.STATEMENT: "An older idea of F9."})
    errors = reply.json()["errors"]
    assert "F9 was changed by U0OWNER" in errors[curation.STATEMENT]
    assert "run /summit edit F9" in errors[curation.STATEMENT]
    fact = store.fact("F9")
    assert fact is not None and fact.status == "confirmed"
    assert fact.statement.startswith("Discussions with Samsung")


def test_retract_keeps_the_fact_hides_it_with_a_note_and_records_why(
    slack: SlackSender, store: FactStore
) -> None:
    refused = slack.command("/summit", "retract F9 no reason", user_id=BOB).joined()
    assert "Only Summit Intel admins can retract facts" in refused
    assert store.fact("F9").status == "expected"  # type: ignore[union-attr]
    answer = slack.command("/summit", "retract f9 denied by SK Hynix", user_id=ADMIN).joined()
    assert "Retracted `F9`" in answer and "denied by SK Hynix" in answer
    assert store.fact("F9").status == "retracted"  # type: ignore[union-attr]
    card = slack.command("/who", "sk hynix").joined()
    assert "supply of high bandwidth memory" not in card
    assert "F9 retracted — `/summit history F9`" in card
    searched = slack.command("/summit", "search hbm supply").joined()
    assert "supply of high bandwidth memory" not in searched
    assert "F9 retracted — `/summit history F9`" in searched
    history = slack.command("/summit", "history F9").joined()
    assert "status: expected → retracted" in history and "Reason: denied by SK Hynix" in history
    again = slack.command("/summit", "retract F9 twice", user_id=ADMIN).joined()
    assert "already retracted" in again
    missing = slack.command("/summit", "retract F999", user_id=ADMIN).joined()
    assert "There is no fact" in missing


def test_history_of_an_entity_lists_changes_to_its_facts(
    slack: SlackSender, store: FactStore
) -> None:
    slack.command("/summit", "retract F18 figure was wrong", user_id=ADMIN)
    history = slack.command("/summit", "history anthropic").joined()
    assert "History of Anthropic" in history and "`F18` r2" in history
    seeded = slack.command("/summit", "history F1").joined()
    assert "No changes recorded; seeded from the source article" in seeded
    nothing = slack.command("/summit", "history").joined()
    assert "give a fact id" in nothing


def _menu(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b["accessory"] for b in message["blocks"] if b.get("accessory")]


def test_search_shows_the_edit_retract_menu_to_admins_only(slack: SlackSender) -> None:
    assert _menu(slack.command("/summit", "search hbm", user_id=BOB).json()) == []
    menus = _menu(slack.command("/summit", "search hbm", user_id=ADMIN).json())
    assert menus and menus[0]["type"] == "overflow"
    assert [o["value"] for o in menus[0]["options"]] == ["edit:F9", "retract:F9"]


def test_the_menu_opens_edit_and_retract_forms(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore
) -> None:
    menu = _menu(slack.command("/summit", "search hbm", user_id=ADMIN).json())[0]
    response_url = fake_slack.response_url()
    edit = {
        "type": "overflow",
        "action_id": menu["action_id"],
        "selected_option": menu["options"][0],
    }
    slack.interactive(
        block_actions(ADMIN, edit, response_url=response_url, trigger_id=fake_slack.issue_trigger())
    )
    view = opened_view(
        fake_slack.wait_for(lambda: fake_slack.calls_to("views.open", ok=True))[0].params
    )
    assert view["title"]["text"] == "Edit F9"
    retract = {**edit, "selected_option": menu["options"][1]}
    slack.interactive(
        block_actions(
            ADMIN, retract, response_url=response_url, trigger_id=fake_slack.issue_trigger()
        )
    )
    calls = fake_slack.wait_for(lambda: fake_slack.calls_to("views.open", ok=True)[1:] or None)
    retract_view = opened_view(calls[0].params)
    assert retract_view["callback_id"] == "retract_form"
    reply = submit(slack, retract_view, {"reason": "talks called off"})
    assert reply.body == ""
    fact = store.fact("F9")
    assert fact is not None and fact.status == "retracted"
    assert fact.retraction_reason == "talks called off"
    confirmation = fake_slack.wait_for(lambda: posts_to(fake_slack, response_url))
    assert any("Retracted F9" in post["text"] for post in confirmation)


def test_forged_menu_clicks_and_submissions_by_non_admins_change_nothing(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore
) -> None:
    response_url = fake_slack.response_url()
    forged = {
        "type": "overflow",
        "action_id": "fact_menu",
        "selected_option": {"value": "retract:F9", "text": {"type": "plain_text", "text": "x"}},
    }
    slack.interactive(
        block_actions(BOB, forged, response_url=response_url, trigger_id=fake_slack.issue_trigger())
    )
    post = fake_slack.wait_for(lambda: posts_to(fake_slack, response_url))[0]
    assert "Only Summit Intel admins" in post["text"]
    view, _ = open_form(slack, fake_slack)
    reply = submit(slack, view, GOOD, user=BOB)
    assert "Only Summit Intel admins can save facts" in reply.json()["errors"][curation.STATEMENT]
    retract_view = {
        "type": "modal",
        "callback_id": "retract_form",
        "private_metadata": json.dumps({"fact_id": "F9"}),
        "blocks": [],
    }
    refused = submit(slack, retract_view, {}, user=BOB).json()
    assert "Only Summit Intel admins" in refused["errors"]["reason"]
    assert store.fact("F9").status == "expected"  # type: ignore[union-attr]
    assert store.search("qualification tests hbm3e") == []
    assert len(fake_slack.calls_to("views.open")) == 1


def test_global_and_message_shortcuts_open_the_form(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    slack.interactive(
        {
            "type": "shortcut",
            "callback_id": "add_summit_fact",
            "user": {"id": ADMIN},
            "team": {"id": "T0TEAM"},
            "trigger_id": fake_slack.issue_trigger(),
            "action_ts": "1.1",
        }
    )
    first = fake_slack.wait_for(lambda: fake_slack.calls_to("views.open", ok=True))[0]
    assert opened_view(first.params)["callback_id"] == "fact_form"
    slack.interactive(
        message_action(
            ADMIN,
            "LG signs on to Copilot <!here>",
            channel=("C0NEWS", "news"),
            response_url=fake_slack.response_url(),
            trigger_id=fake_slack.issue_trigger(),
        )
    )
    calls = fake_slack.wait_for(lambda: fake_slack.calls_to("views.open", ok=True)[1:] or None)
    view = opened_view(calls[0].params)
    fields = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    # Slack's markup is read back as the words a reader saw; no broadcast can form.
    assert fields[curation.STATEMENT]["initial_value"] == "LG signs on to Copilot @here"
    assert fields[curation.SOURCE_URL]["initial_value"].endswith(
        "/archives/C0NEWS/p1716000000.000100"
    )
    assert fields[curation.SOURCE_TITLE]["initial_value"] == "Slack message in #news"
    # A non-admin's shortcut opens nothing and gets a direct message saying who can.
    slack.interactive(
        {
            "type": "shortcut",
            "callback_id": "add_summit_fact",
            "user": {"id": BOB},
            "team": {"id": "T0TEAM"},
            "trigger_id": fake_slack.issue_trigger(),
        }
    )
    dm = fake_slack.wait_for(lambda: fake_slack.calls_to("chat.postMessage", ok=True))[0]
    assert dm.params["channel"] == BOB and "Only Summit Intel admins" in dm.params["text"]
    assert len(fake_slack.calls_to("views.open")) == 2


def test_two_admins_saving_at_the_same_moment_both_land(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore, served_url: str
) -> None:
    from tests.conftest import SIGNING_SECRET

    views = [open_form(slack, fake_slack, user=user)[0] for user in (ADMIN, OWNER)]
    replies: list[str] = []

    def save(view: dict[str, Any], user: str, n: int) -> None:
        sender = SlackSender(served_url, SIGNING_SECRET)
        values = {
            **GOOD,
            curation.STATEMENT: f"Concurrent development {n}: {'alpha' if n else 'beta'} deal",
        }
        replies.append(submit(sender, view, values, user=user).body)
        sender.close()

    threads = [
        threading.Thread(target=save, args=(v, u, n))
        for n, (v, u) in enumerate(zip(views, (ADMIN, OWNER), strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert replies == ["", ""]
    saved = [f for f in store.facts() if f.statement.startswith("Concurrent development")]
    assert len({fact.id for fact in saved}) == 2


def test_hostile_statement_is_stored_as_typed_and_never_pings(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore
) -> None:
    hostile = (
        "<!channel> <!here> Samsung tells <@U024BE7LH> about <http://evil.example|a deal> & more"
    )
    view, response_url = open_form(slack, fake_slack)
    assert submit(slack, view, {**GOOD, curation.STATEMENT: hostile}).body == ""
    assert store.search("evil deal samsung")[0].statement == hostile
    confirmation = fake_slack.wait_for(lambda: posts_to(fake_slack, response_url))[0]
    for text in [
        confirmation["text"],
        *block_texts(confirmation["blocks"]),
        *slack.command("/who", "samsung").texts(),
        *slack.command("/summit", "search evil deal").texts(),
    ]:
        assert "<!" not in text and "<@U024" not in text and "<http://evil" not in text


def test_a_save_acknowledged_before_kill_9_is_there_after_restart(
    tmp_path: Any, fake_slack: FakeSlack
) -> None:
    import os
    import signal

    from tests.processes import ServerProcess

    db = tmp_path / "summit.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SUMMITBOT_"))}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET="kill-test-secret",
        SLACK_API_URL=fake_slack.api_url,
        SUMMITBOT_DB=str(db),
        SUMMITBOT_ADMINS=ADMIN,
    )
    server = ServerProcess(env, tmp_path)
    try:
        slack = SlackSender(server.url, "kill-test-secret")
        view, _ = open_form(slack, fake_slack)
        assert submit(slack, view, GOOD).body == ""
    finally:
        server.stop(signal.SIGKILL)
    with FactStore(db) as store:
        saved = [f for f in store.facts() if f.statement == GOOD[curation.STATEMENT]]
        assert len(saved) == 1 and saved[0].added_by == ADMIN
        assert store.revisions_of(saved[0].id)[0].action == "added"


def test_an_admin_restores_a_retracted_fact_with_a_revision(
    slack: SlackSender, store: FactStore
) -> None:
    slack.command("/summit", "retract F9 wrong", user_id=ADMIN)
    refused = slack.command("/summit", "restore F9", user_id=BOB).joined()
    assert "Only Summit Intel admins can restore facts" in refused
    restored = slack.command("/summit", "restore f9", user_id=ADMIN).joined()
    assert "Restored `F9`" in restored
    fact = store.fact("F9")
    assert fact is not None and fact.status == "expected" and fact.retraction_reason is None
    assert [r.action for r in store.revisions_of("F9")] == ["retracted", "restored"]
    assert "not retracted" in slack.command("/summit", "restore F9", user_id=ADMIN).joined()


def test_an_import_numbers_new_facts_after_every_id_in_use_in_the_store_or_the_file(
    store: FactStore,
) -> None:
    from slackbot.core.bulk import BulkCuration
    from slackbot.core.curation import Curator

    def line(statement: str, fact_id: str | None = None) -> str:
        record = {"statement": statement, "entities": ["samsung"], "source_title": "Numbering"}
        return json.dumps(record | ({"id": fact_id} if fact_id else {}))

    first_free = number_of(store.next_fact_id())
    plain = [line(f"Samsung numbering test fact {word} for Microsoft") for word in "abc"]
    report = BulkCuration(Curator(store)).import_lines(plain, "U0ADMIN")
    assert not report.errors and report.added == 3
    assert number_of(store.next_fact_id()) == first_free + 3
    given = first_free + 3  # the file names the id the store's next new fact would take
    mixed = [
        line("Samsung numbering test, new before the given id"),
        line("Samsung numbering test, the given id", f"F{given}"),
        line("Samsung numbering test, new after the given id"),
        line("Samsung numbering test, a far id", "F900"),
    ]
    report = BulkCuration(Curator(store)).import_lines(mixed, "U0ADMIN")
    assert not report.errors and report.added == 4
    numbered = {f.statement: f.id for f in store.facts() if "numbering test" in f.statement}
    assert numbered["Samsung numbering test, the given id"] == f"F{given}"
    assert numbered["Samsung numbering test, a far id"] == "F900"
    assert numbered["Samsung numbering test, new before the given id"] == "F901"
    assert numbered["Samsung numbering test, new after the given id"] == "F902"
    for fact_id in numbered.values():
        assert [r.action for r in store.revisions_of(fact_id)] == ["imported"]


def test_an_import_refuses_a_statement_an_earlier_line_of_the_file_already_made(
    store: FactStore,
) -> None:
    from slackbot.core.bulk import BulkCuration
    from slackbot.core.curation import Curator

    def line(statement: str) -> str:
        return json.dumps(
            {"statement": statement, "entities": ["samsung"], "source_title": "Import test"}
        )

    lines = [
        line("Samsung ships a new import-test accelerator to Microsoft in Pangyo."),
        line("Samsung ships a new import test accelerator to Microsoft in Pangyo"),
        line("SK hynix ships a different import-test module to Microsoft."),
    ]
    report = BulkCuration(Curator(store)).import_lines(lines, "U0ADMIN")

    assert [number for number, _error in report.errors] == [2]
    assert "An earlier line of the file says this already" in report.errors[0][1]
    assert "/summit edit new" not in report.errors[0][1]
    # Nothing is stored from a file with a bad line.
    assert not [f for f in store.facts() if "import" in f.statement]
