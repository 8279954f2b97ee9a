"""Issue 16, "Briefings": /summit brief (a file in the asker's DM through files.uploadV2)
and `summitbot brief --format md|csv`, every claim with its source."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from slackbot.config import Settings
from storage.api import Fact, Source
from storage.repository import FactStore
from tests.fake_slack import FakeSlack
from tests.fake_socket_mode import socket_mode_app
from tests.slack_client import SlackSender, block_texts

READER = "U0READER"


@pytest.fixture(autouse=True)
def people(fake_slack: FakeSlack) -> None:
    fake_slack.add_user(READER)


def add_dated(store: FactStore, statement: str, day: str, status: str = "confirmed") -> Fact:
    return store.add_fact(
        Fact(
            id="new",
            statement=statement,
            kind="hardware",
            status=status,
            entity_ids=("samsung", "hbm"),
            source=Source("HBM deal signed", f"https://www.news.example.com/{day}"),
            tags=("hbm",),
            happened_on=day,
            added_at="2024-09-04T00:00:00+00:00",
            origin="admin",
        )
    )


def uploaded(fake: FakeSlack) -> list[dict[str, Any]]:
    return fake.wait_for(
        lambda: [f for f in fake.files.values() if f.get("channel")] or None, timeout=10
    )


def said(reply: Any) -> str:
    body = reply.json()
    return "\n".join([body["text"], *block_texts(body["blocks"])])


def test_a_briefing_arrives_as_a_markdown_file_in_the_askers_dm_with_every_source(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore
) -> None:
    deal = add_dated(store, "Samsung signs an HBM supply deal with Microsoft.", "2024-09-03")
    reply = slack.command(
        "/summit", "brief samsung", user_id=READER, response_url=fake_slack.response_url()
    )
    assert "on its way to your direct messages with the app" in said(reply)
    (shared,) = uploaded(fake_slack)
    assert shared["channel"] == f"D{READER}"
    assert shared["filename"].startswith("summit-brief-samsung-electronics-")
    assert shared["filename"].endswith(".md")
    opened = fake_slack.calls_to("conversations.open", ok=True)
    assert opened and opened[0].params["users"] == READER
    text = shared["content"].decode()
    assert text.startswith("# Briefing: Samsung Electronics (삼성전자)")
    assert "## Facts" in text and "## Open claims" in text and "## Timeline" in text
    assert text.index("### May 2024") < text.index("### September 2024")
    assert "### Undated" not in text, "the seed's facts are dated by their article"
    # Every line that states something carries its source: title, outlet, link.
    stated = [line for line in text.splitlines() if line.startswith("- ")]
    assert stated and all("— Source: " in line for line in stated)
    assert (
        f"{deal.id} · 2024-09-03: Samsung signs an HBM supply deal with Microsoft. — Source: "
        "[HBM deal signed](https://www.news.example.com/2024-09-03), news.example.com"
    ) in text
    age = (date.today() - date(2024, 5, 1)).days
    assert f"F9, open {age} days (stale)" in text, "the seed's claims count from May 2024"


def test_a_csv_briefing_has_one_row_per_fact_and_defuses_formulas(
    slack: SlackSender, fake_slack: FakeSlack, store: FactStore
) -> None:
    add_dated(store, '=HYPERLINK("http://evil.example") HBM for Samsung', "2024-09-05")
    slack.command(
        "/summit", "brief hbm csv", user_id=READER, response_url=fake_slack.response_url()
    )
    (shared,) = uploaded(fake_slack)
    assert shared["filename"].endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(shared["content"].decode())))
    assert {row["id"] for row in rows} >= {"F9", "F10"}
    assert all(row["source_title"] for row in rows)
    formula = [row for row in rows if "HYPERLINK" in row["statement"]]
    assert formula and formula[0]["statement"].startswith("'=")
    assert [row["open_claim"] for row in rows if row["id"] == "F9"] == ["yes"]


def test_an_unclear_subject_is_answered_at_once_and_nothing_is_uploaded(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    several = said(slack.command("/summit", "brief sk", user_id=READER))
    assert "/summit brief sk hynix" in several
    assert "Say what the briefing is about" in said(slack.command("/summit", "brief"))
    assert "Nothing matches" in said(slack.command("/summit", "brief zzzzqq"))
    assert not fake_slack.calls_to("files.getUploadURLExternal")


def told_after_asking_for_a_brief(slack: SlackSender, fake_slack: FakeSlack) -> str:
    """What the asker is told, by the response URL, when the briefing cannot be uploaded."""
    watched = fake_slack.response_url()
    slack.command("/summit", "brief samsung", user_id=READER, response_url=watched)
    told = fake_slack.wait_for(
        lambda: [p for p in fake_slack.response_posts if "did not take the briefing" in str(p)]
    )
    return str(told[0])


def test_when_slack_refuses_the_file_the_asker_is_told_what_to_do(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    fake_slack.answer_next("files.completeUploadExternal", {"ok": False, "error": "not_allowed"})
    assert "files:write" in told_after_asking_for_a_brief(slack, fake_slack)


def test_an_upload_url_slack_never_gave_is_told_to_the_asker(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    # slack_sdk raises ValueError (not a Slack error) when the answer has no upload URL.
    fake_slack.answer_next("files.getUploadURLExternal", {"ok": True, "file_id": "F0NOURL"})
    assert "/summit brief samsung" in told_after_asking_for_a_brief(slack, fake_slack)


def test_a_briefing_over_socket_mode(
    fake_slack: FakeSlack, settings: Settings, store: FactStore
) -> None:
    with socket_mode_app(fake_slack, settings, store) as command:
        answer = command("/summit", "brief lg", READER)
        assert "on its way" in "\n".join(block_texts(answer["blocks"]))
        (shared,) = uploaded(fake_slack)
        assert shared["content"].decode().startswith("# Briefing: LG Electronics")


def test_the_cli_prints_a_briefing_in_either_format(tmp_path: Path) -> None:
    from tests.test_console_and_cli import summitbot

    markdown = summitbot(tmp_path, "brief", "samsung")
    assert markdown.returncode == 0, markdown.stderr
    assert markdown.stdout.startswith("# Briefing: Samsung Electronics")
    table = summitbot(tmp_path, "brief", "hbm", "--format", "csv")
    assert table.stdout.splitlines()[0].startswith("id,status,happened_on,reported_on,statement")
    unclear = summitbot(tmp_path, "brief", "sk")
    assert unclear.returncode == 2 and "SK Hynix" in unclear.stderr
    console = summitbot(tmp_path, "ask", "/summit brief hbm")
    assert "Briefing: HBM" in console.stdout
