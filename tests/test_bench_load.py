"""bench/load.py, the load generator of section 13: every request it sends is signed as
Slack signs it and answered, and an answer other than 200 is counted, not hidden."""

from __future__ import annotations

from bench import load
from tests.conftest import SIGNING_SECRET
from tests.fake_slack import FakeSlack


def test_each_client_sends_its_share_and_every_answer_is_counted(
    served_url: str, fake_slack: FakeSlack
) -> None:
    names = ["samsung", "sk hynix", "lg", "skt", "microsoft", "곽노정"] * 5
    found = load.commands(
        served_url, SIGNING_SECRET, "/whois", names, 4, 24, response_urls=fake_slack.response_url
    )
    assert (found.answered, found.failed) == (24, 0)
    assert found.rps > 0 and 0 < found.p50 <= found.p99


def test_answers_refused_are_counted_as_failed(served_url: str) -> None:
    found = load.commands(served_url, "not-the-signing-secret", "/whois", ["samsung"], 2, 10)
    assert (found.answered, found.failed) == (10, 10)
    assert found.rps == 0
