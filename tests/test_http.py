"""Slash commands, buttons and events as Slack sends them: signed HTTP to the served app."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from slackbot import server as server_module
from slackbot.app import Built
from slackbot.server import GracefulServer
from storage.postgres import PostgresStore
from storage.repository import FactStore
from tests.fake_slack import BOT_TOKEN, FakeSlack, block_kit_problems
from tests.slack_client import DEFAULT_USER, SlackSender


@pytest.fixture(params=["tinydb", "postgres"])
def store(request: pytest.FixtureRequest, db_path: Path) -> Iterator[FactStore]:
    """Every test here runs on both backends: the embedded store and PostgreSQL."""
    if request.param == "postgres":
        backend: FactStore = PostgresStore(request.getfixturevalue("postgres_url"))
    else:
        backend = FactStore(db_path)
    backend.seed()
    yield backend
    backend.close()


def answer(slack: SlackSender, command: str, text: str = "") -> dict[str, Any]:
    reply = slack.command(command, text)
    assert reply.status == 200, reply.body
    message = reply.json()
    assert message["response_type"] == "ephemeral"
    assert message["text"].strip(), "every answer carries a plain-text fallback"
    assert block_kit_problems(message["blocks"], 50) == []
    return message


def shown(message: dict[str, Any]) -> str:
    from tests.slack_client import block_texts

    return "\n".join([message["text"], *block_texts(message["blocks"])])


def test_who_samsung_is_a_cited_company_card(slack: SlackSender) -> None:
    message = answer(slack, "/who", "samsung")
    text = shown(message)
    assert "Samsung Electronics" in text
    assert "Kyung Kye-hyun" in text and "경계현" in text
    assert "On the table with Microsoft" in text
    assert "high bandwidth memory" in text
    assert ":crystal_ball: Expected" in text and ":newspaper: Reported" in text
    assert "Microsoft collaborates with Samsung &amp; South Korean tech giants for AI" in text
    assert any(block["type"] == "actions" for block in message["blocks"]), "share button"


@pytest.mark.parametrize(
    ("query", "company"),
    [
        ("SAMSUNG", "Samsung Electronics"),
        ("  samsung   electronics ", "Samsung Electronics"),
        ("samsnug", "Samsung Electronics"),
        ("삼성전자", "Samsung Electronics"),
        ("hynix", "SK Hynix"),
        ("SK하이닉스", "SK Hynix"),
        ("SKT", "SK Telecom"),
        ("LGE", "LG Electronics"),
        ("MS", "Microsoft"),
        ("마이크로소프트", "Microsoft"),
    ],
)
def test_who_forgives_case_spacing_aliases_hangul_and_typos(
    slack: SlackSender, query: str, company: str
) -> None:
    blocks = answer(slack, "/who", query)["blocks"]
    assert blocks[0]["type"] == "header"
    assert blocks[0]["text"]["text"].startswith(company)


def test_who_person_shows_their_company_with_them_highlighted(slack: SlackSender) -> None:
    text = shown(answer(slack, "/who", "곽노정"))
    assert "SK Hynix at the MS CEO Summit 2024" in text
    assert "*:point_right: Kwak Noh-jung (곽노정)*" in text


def test_who_ambiguous_query_shows_every_match(slack: SlackSender) -> None:
    text = shown(answer(slack, "/who", "sk"))
    assert "2 matches" in text
    assert "SK Hynix" in text and "SK Telecom" in text


@pytest.mark.parametrize(
    ("query", "statement"), [("anthropic", "$100 million"), ("google", "Gemini")]
)
def test_who_mentioned_company_shows_the_facts_naming_it(
    slack: SlackSender, query: str, statement: str
) -> None:
    text = shown(answer(slack, "/who", query))
    assert "mentioned, not attending" in text
    assert statement in text


def test_who_without_match_lists_what_exists(slack: SlackSender) -> None:
    text = shown(answer(slack, "/who", "nvidia"))
    assert "Nothing matches “nvidia”" in text
    for company in ("Samsung Electronics", "SK Hynix", "LG Electronics", "SK Telecom"):
        assert company in text


def test_who_alone_lists_attending_companies_with_their_people(slack: SlackSender) -> None:
    text = shown(answer(slack, "/who"))
    for name in ("Samsung Electronics", "Kyung Kye-hyun", "Ryu Young-sang", "Satya Nadella"):
        assert name in text


def test_chips_groups_the_hardware_by_part(slack: SlackSender) -> None:
    text = shown(answer(slack, "/chips"))
    for part in ("*HBM*", "*SSD*", "*CXL drives*", "*Mach-1*", "*Mach-2*"):
        assert part in text
    assert "Samsung Electronics, SK Hynix" in text
    assert "not named in the source" in text


def test_chips_filters_by_part_and_by_vendor(slack: SlackSender) -> None:
    hbm = shown(answer(slack, "/chips", "hbm"))
    assert "*HBM*" in hbm and "*Mach-1*" not in hbm
    samsung = shown(answer(slack, "/chips", "samsung"))
    assert "*HBM*" in samsung and "*Mach-1*" in samsung and "*SSD*" not in samsung
    unknown = shown(answer(slack, "/chips", "quantum widget"))
    assert "No hardware matches" in unknown and "*HBM*" in unknown


def test_summit_overview_help_and_search(slack: SlackSender) -> None:
    overview = shown(answer(slack, "/summit"))
    assert "MS CEO Summit 2024" in overview and "2024-05-14" in overview
    assert "Closed-door" in overview and "Bill Gates" in overview and "Satya Nadella" in overview
    helped = shown(answer(slack, "/summit", "help"))
    for command in ("/who", "/chips", "/summit search", "/digest"):
        assert command in helped
    unknown = shown(answer(slack, "/summit", "frobnicate now"))
    assert "I don't know “frobnicate now”" in unknown and "/chips" in unknown
    found = answer(slack, "/summit", "search anthropic investment")
    assert "$100 million" in found["blocks"][1]["text"]["text"]


def test_unknown_summit_subcommand_and_empty_search_say_what_to_do(slack: SlackSender) -> None:
    assert "Tell me what to look for" in shown(answer(slack, "/summit", "search   "))
    assert "No facts match" in shown(answer(slack, "/summit", "search zeppelin"))


HOSTILE = [
    "",
    "   \t  ",
    "x" * 4000,
    "삼성 🚀 \u202e\u0000\u0007 ñ",
    "<!channel> hello",
    "<!here>",
    "<@U024BE7LH> ping",
    "<http://evil.example|click me>",
    '{"json": [1, 2]}',
    "'; DROP TABLE facts; --",
    "&lt;!channel&gt;",
]


@pytest.mark.parametrize("command", ["/who", "/chips", "/summit", "/summit search"])
@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_gets_a_clean_answer_that_cannot_ping_or_link(
    slack: SlackSender, command: str, text: str
) -> None:
    name, _, prefix = command.partition(" ")
    message = answer(slack, name, f"{prefix} {text}" if prefix else text)
    for shown_text in [message["text"], *_all_strings(message["blocks"])]:
        assert "<!" not in shown_text
        assert "<@" not in shown_text
        assert "<http://evil" not in shown_text


def _all_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() if key != "value" for s in _all_strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _all_strings(item)]
    return []


def test_requests_that_are_not_signed_by_slack_are_refused(slack: SlackSender) -> None:
    assert slack.command("/who", "samsung", secret="wrong-secret").status == 401
    stale = int(time.time()) - 6 * 60
    assert slack.command("/who", "samsung", timestamp=stale).status == 401
    assert slack.command("/who", "samsung", signed=False).status == 401
    for not_a_number in ("abc", "12.5", "", " "):
        # slack_sdk's verifier raises on these; Slack's scheme says: not signed.
        assert slack.command("/who", "samsung", timestamp=not_a_number).status == 401
    assert slack.command("/who", "samsung").status == 200


def test_malformed_payloads_get_4xx_and_the_app_keeps_serving(slack: SlackSender) -> None:
    for body in ("payload=not-json", "payload=%7B%22type%22%3A", "payload=[]", "%%%"):
        reply = slack.post(body)
        assert 400 <= reply.status < 500, (body, reply.status)
    reply = slack.post("{not json", content_type="application/json")
    assert 400 <= reply.status < 500
    assert slack.command("/who", "samsung").status == 200


def test_health_and_other_paths(slack: SlackSender) -> None:
    assert slack.get("/healthz").status == 200
    assert slack.get("/slack/events").status == 405
    assert slack.get("/nope").status == 404


def test_url_verification_echoes_the_challenge(slack: SlackSender) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "t"})
    reply = slack.post(body, content_type="application/json")
    assert reply.status == 200 and "c-123" in reply.body


def test_share_to_channel_posts_the_answer_for_everyone(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    message = answer(slack, "/who", "samsung")
    button = next(b for b in message["blocks"] if b["type"] == "actions")["elements"][0]
    payload = {
        "type": "block_actions",
        "user": {"id": DEFAULT_USER, "username": "alice", "team_id": "T0TEAM"},
        "team": {"id": "T0TEAM", "domain": "summit"},
        "api_app_id": "A0SUMMIT",
        "container": {"type": "message", "is_ephemeral": True},
        "channel": {"id": "C0GENERAL", "name": "general"},
        "trigger_id": fake_slack.issue_trigger(),
        "response_url": fake_slack.response_url(),
        "actions": [
            {
                "type": "button",
                "action_id": button["action_id"],
                "block_id": "b1",
                "value": button["value"],
                "action_ts": "1.2",
            }
        ],
    }
    assert slack.interactive(payload).status == 200
    posts = fake_slack.wait_for(lambda: fake_slack.response_posts)
    post = posts[0]
    assert post["response_type"] == "in_channel"
    assert post["replace_original"] is False
    assert f"Shared by <@{DEFAULT_USER}>" in json.dumps(post["blocks"])
    assert "Kyung Kye-hyun" in json.dumps(post["blocks"])
    assert not any(block["type"] == "actions" for block in post["blocks"])


def test_share_with_a_tampered_button_value_answers_instead_of_crashing(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    payload = {
        "type": "block_actions",
        "user": {"id": DEFAULT_USER},
        "team": {"id": "T0TEAM"},
        "channel": {"id": "C0GENERAL"},
        "response_url": fake_slack.response_url(),
        "actions": [{"type": "button", "action_id": "share_answer", "value": "{broken"}],
    }
    assert slack.interactive(payload).status == 200
    post = fake_slack.wait_for(lambda: fake_slack.response_posts)[0]
    assert post["response_type"] == "ephemeral"
    assert "run the command again" in post["text"]


def test_app_home_is_published_when_opened(slack: SlackSender, fake_slack: FakeSlack) -> None:
    reply = slack.event({"type": "app_home_opened", "user": DEFAULT_USER, "tab": "home"})
    assert reply.status == 200
    call = fake_slack.wait_for(lambda: fake_slack.calls_to("views.publish", ok=True))[0]
    assert call.token == BOT_TOKEN
    assert call.params["user_id"] == DEFAULT_USER
    view = call.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["type"] == "home"
    assert "MS CEO Summit 2024" in json.dumps(view) and "/chips" in json.dumps(view)


def test_200_concurrent_commands_from_16_clients_are_all_acknowledged(served_url: str) -> None:
    from tests.conftest import SIGNING_SECRET

    queries = ["samsung", "sk", "곽노정", "hbm", "anthropic", "samsnug", "", "nvidia"]
    statuses: list[int] = []
    lock = threading.Lock()

    def client(number: int) -> None:
        sender = SlackSender(served_url, SIGNING_SECRET)
        try:
            for i in range(number, 200, 16):
                command = ("/who", "/chips", "/summit")[i % 3]
                reply = sender.command(command, queries[i % len(queries)])
                ok = reply.status == 200 and bool(reply.json()["text"])
                with lock:
                    statuses.append(200 if ok else reply.status)
        finally:
            sender.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(statuses) == 200
    assert set(statuses) == {200}


def test_an_idle_server_waits_for_work_instead_of_spinning(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The serving loop's wait is a quarter second; waitress reads its own loop timeout as a
    whole number of seconds, so a quarter given to waitress became 0, and an idle server
    spun a core at 100%."""
    turns = [0]
    real_loop = server_module.wasyncore.loop

    def counted_loop(*args: Any, **kwargs: Any) -> None:
        turns[0] += 1
        real_loop(*args, **kwargs)

    monkeypatch.setattr(server_module.wasyncore, "loop", counted_loop)
    server = GracefulServer(built.ingress, "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    time.sleep(1.0)
    server.stop()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert turns[0] <= 10, f"{turns[0]} turns of the loop in an idle second"


def test_a_workspace_that_never_installed_the_app_gets_no_data(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    """A one-workspace app answers its token's team only: a request signed with the app's
    secret but from another team (sharing the app's credentials, or forged in a workspace
    it was never installed in) is told to install it, whichever way it is answered."""
    from slackbot.slack.tenants import NOT_INSTALLED

    ours = slack.command("/whois", "samsung")
    assert "Samsung" in ours.joined()
    for command, text in (("/whois", "samsung"), ("/summit", "search hbm"), ("/summit", "add")):
        reply = slack.command(command, text, team_id="T0STRANGER")
        assert reply.status == 200 and reply.body == NOT_INSTALLED, (command, text)
    payload = {
        "type": "block_actions",
        "user": {"id": DEFAULT_USER, "team_id": "T0STRANGER"},
        "team": {"id": "T0STRANGER"},
        "actions": [{"action_id": "share_answer", "value": '{"command": "/whois"}'}],
    }
    assert slack.interactive(payload).body == NOT_INSTALLED
    posted_before = len(fake_slack.calls)
    mention = {"type": "app_mention", "user": DEFAULT_USER, "channel": "C0GENERAL"}
    stranger = slack.event(mention | {"text": "<@U0BOT> who samsung", "ts": "1.1"}, team_id="T0X")
    assert stranger.status == 200
    # Our own mention after it is answered; the stranger's never is.
    slack.event(mention | {"text": "<@U0BOT> who lg", "ts": "1.2"})

    def answers() -> list[str]:
        chat = [c for c in fake_slack.calls[posted_before:] if c.method.startswith("chat.")]
        return [str(c.params.get("thread_ts")) for c in chat]

    fake_slack.wait_for(answers)
    assert answers() == ["1.2"]


def test_a_retried_event_is_answered_once(slack: SlackSender, fake_slack: FakeSlack) -> None:
    """Slack retries an event it thinks was missed, with the same event id and
    X-Slack-Retry-Num; the app answers it once."""
    fake_slack.add_channel("C0RETRY", "retry", bot_member=True)
    mention = {"type": "app_mention", "user": DEFAULT_USER, "channel": "C0RETRY", "ts": "5.1"}
    mention["text"] = "<@U0BOT> who samsung"
    assert slack.event(mention, event_id="Ev0RETRY").status == 200
    for attempt in (1, 2):
        retry = {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_timeout"}
        assert slack.event(mention, event_id="Ev0RETRY", headers=retry).status == 200
    # A different event after them is answered, and by then the retries would have been.
    assert slack.event(mention | {"ts": "5.2"}, event_id="Ev0OTHER").status == 200
    fake_slack.wait_for(lambda: len(fake_slack.calls_to("chat.postMessage")) >= 2)
    threads = [c.params.get("thread_ts") for c in fake_slack.calls_to("chat.postMessage")]
    assert sorted(threads) == ["5.1", "5.2"]
