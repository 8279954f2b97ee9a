"""Entity cards kept for every name the entity is asked by (answering.CardCache)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from slackbot.app import Built
from slackbot.core.answers import LOOKUP_COMMAND
from slackbot.slack import i18n, render
from slackbot.slack.answering import message_for, render_answer


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The entities whose card was rendered afresh."""
    rendered: list[str] = []
    card = render.card

    def counted(answer: Any) -> render.Message:
        entity = getattr(answer, "company", None) or answer.entity
        rendered.append(entity.id)
        return card(answer)

    monkeypatch.setattr(render, "card", counted)
    return rendered


def share_value(message: render.Message) -> dict[str, str]:
    button = message.to_dict()["blocks"][-1]["elements"][0]
    value: dict[str, str] = json.loads(button["value"])
    return value


def without_button(message: render.Message) -> dict[str, Any]:
    shown = message.to_dict()
    shown["blocks"] = shown["blocks"][:-1]
    return shown


def test_every_name_of_an_entity_gets_the_one_card_with_its_own_question(
    built: Built, renders: list[str]
) -> None:
    services = built.services
    answers = [
        message_for(services, LOOKUP_COMMAND, name) for name in ("samsung", "삼성전자", "삼성")
    ]

    assert renders == ["samsung"]
    assert [share_value(m)["text"] for m in answers] == ["samsung", "삼성전자", "삼성"]
    assert without_button(answers[0]) == without_button(answers[1]) == without_button(answers[2])


def test_a_kept_card_is_the_card_rendered_afresh(built: Built) -> None:
    services = built.services
    message_for(services, LOOKUP_COMMAND, "sk hynix")  # kept now
    kept = message_for(services, LOOKUP_COMMAND, "하이닉스")
    found = services.intel.who("하이닉스")
    fresh = render_answer(found, "하이닉스", timezone=services.timezone)

    assert kept.to_dict() == fresh.to_dict()
    assert kept.depends_on == fresh.depends_on


def test_a_changed_fact_a_person_or_another_language_is_another_card(
    built: Built, renders: list[str]
) -> None:
    services = built.services
    before = message_for(services, LOOKUP_COMMAND, "samsung")
    fact = next(f for f in services.intel.store.facts() if "samsung" in f.entity_ids)
    services.intel.store.put_fact(replace(fact, statement=fact.statement + " (updated)"))
    after = message_for(services, LOOKUP_COMMAND, "Samsung Electronics")
    person = message_for(services, LOOKUP_COMMAND, "kyung kye-hyun")
    i18n.use("ko")
    try:
        korean = message_for(services, LOOKUP_COMMAND, "samsung")
    finally:
        i18n.use(None)

    assert renders == ["samsung", "samsung", "samsung", "samsung"]
    assert "(updated)" in json.dumps(after.to_dict()) and "(updated)" not in json.dumps(
        before.to_dict()
    )
    assert without_button(person) != without_button(after)  # the person is highlighted
    assert without_button(korean) != without_button(after)


def test_no_html_entity_shows_as_text_in_a_long_search(built: Built) -> None:
    """Slack's mrkdwn reads &amp;, &lt; and &gt; and nothing else: a search with more facts
    than it shows told people to use a &quot;quoted phrase&quot;, entities and all."""
    from slackbot.core.intel import SearchAnswer

    store = built.services.intel.store
    facts = store.facts()
    message = render.search(SearchAnswer("samsung", facts[:3], total=len(facts)))
    shown = json.dumps(message.to_dict(), ensure_ascii=False)
    assert "more" in shown
    for entity in ("&quot;", "&#39;", "&apos;", "&#"):
        assert entity not in shown, entity


def test_people_in_the_domains_plain_text_become_mentions_and_nothing_else_does() -> None:
    from slackbot.slack.render.base import with_mentions

    assert with_mentions("approved from a proposal by @U0ALICE") == (
        "approved from a proposal by <@U0ALICE>"
    )
    # Reasons stored before held Slack's markup; they read the same.
    assert with_mentions("a proposal by <@U0ALICE> by <@U0ADMIN>") == (
        "a proposal by <@U0ALICE> by <@U0ADMIN>"
    )
    # Anything else a reason holds stays text: no channel ping, no link, no e-mail mention.
    hostile = "<!channel> <https://x.test|click> mail@U0ALICE &amp; @here"
    assert with_mentions(hostile) == (
        "&lt;!channel&gt; &lt;https://x.test|click&gt; mail@U0ALICE &amp;amp; @here"
    )
