"""The domain without Slack: matching, answers and their rendering within Block Kit limits."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from slackbot.core.intel import Ambiguous, CompanyCard, MentionCard, NoMatch, Roster, SummitIntel
from slackbot.core.matching import EntityMatcher
from slackbot.slack import render
from storage.api import Entity, Fact, Source
from storage.repository import FactStore
from storage.text import compact, fold
from tests.fake_slack import block_kit_problems


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("samsung", ["samsung"]),
        ("Samsung Electronics", ["samsung"]),
        ("samsnug", ["samsung"]),
        ("microsfot", ["microsoft"]),
        # Issue 26: a company's typo of two edits is forgiven, as a person's is.
        ("hynics", ["sk-hynix"]),
        ("samsng", ["samsung"]),
        ("telecon", ["sk-telecom"]),
        ("nvidea", []),
        ("abcdef", []),
        ("sk", ["sk-hynix", "sk-telecom"]),
        ("electronics", ["lg-electronics", "samsung"]),
        ("SK 하이닉스", ["sk-hynix"]),
        ("삼성", ["samsung"]),
        ("경계현", ["kyung-kye-hyun"]),
        ("유영상", ["ryu-young-sang"]),
        ("nadella", ["satya-nadella"]),
        ("Kwak Nohjung", ["kwak-noh-jung"]),
        ("mach", ["mach-1", "mach-2"]),
        ("galaxy ai", ["galaxy-ai"]),
        ("gemini", ["gemini"]),
        ("nvidia", []),
        ("x", []),
        ("!!!", []),
    ],
)
def test_matching(intel: SummitIntel, query: str, expected: list[str]) -> None:
    assert [entity.id for entity in intel.matcher.match(query)] == expected


@pytest.mark.parametrize(
    ("text", "compacted"),
    [
        ("SK-Hynix ", "skhynix"),
        ("snake_case\tand TABS\x0b", "snakecaseandtabs"),  # _ is a word character to \w
        ("LG  Electronics, Inc.", "lgelectronicsinc"),
        ("\uff2c\uff27 전자", "lg전자"),  # full width folds to ASCII; Hangul is a letter
        ("Straße", "strasse"),
    ],
)
def test_compact_keeps_letters_and_digits_only(text: str, compacted: str) -> None:
    # ASCII text takes a shortcut (a translation table, not the regex): both ways agree.
    assert compact(text) == compacted


def test_a_card_is_built_once_for_every_name_until_the_store_or_the_day_changes(
    store: FactStore,
) -> None:
    now = [datetime(2026, 11, 27, 12, tzinfo=UTC)]
    intel = SummitIntel(store, clock=lambda: now[0])
    first = intel.who("samsung")
    assert isinstance(first, CompanyCard)
    assert intel.who("삼성") is first and intel.who("Samsung Electronics") is first

    store.put_fact(
        Fact(
            id=store.next_fact_id(),
            statement="Samsung opens a card memo test lab.",
            kind="context",
            status="reported",
            entity_ids=("samsung",),
            source=Source("Memo test", None),
        )
    )
    written = intel.who("samsung")
    assert isinstance(written, CompanyCard) and written is not first
    shown = written.attendance.facts + written.on_the_table.facts + written.context.facts
    assert "Samsung opens a card memo test lab." in [fact.statement for fact in shown]
    assert intel.who("삼성") is written

    now[0] += timedelta(days=1)  # how long claims have been open changes at midnight
    assert intel.who("samsung") is not written


def test_who_answers_by_kind(intel: SummitIntel) -> None:
    assert isinstance(intel.who(""), Roster)
    assert isinstance(intel.who("sk"), Ambiguous)
    assert isinstance(intel.who("nvidia"), NoMatch)
    assert isinstance(intel.who("anthropic"), MentionCard)
    card = intel.who("cho joo-wan")
    assert isinstance(card, CompanyCard)
    assert card.company.id == "lg-electronics"
    assert card.highlighted is not None and card.highlighted.id == "cho-joo-wan"


def test_company_card_sorts_facts_into_sections(intel: SummitIntel) -> None:
    card = intel.who("sk hynix")
    assert isinstance(card, CompanyCard)
    assert [p.name for p in card.people] == ["Kwak Noh-jung"]
    assert {f.kind for f in card.on_the_table.facts} <= {"agenda", "hardware"}
    assert any("high bandwidth memory" in f.statement for f in card.on_the_table.facts)
    assert all(f.kind == "attendance" for f in card.attendance.facts)


def test_retracted_facts_are_left_out_with_a_note(intel: SummitIntel, store: FactStore) -> None:
    hbm = store.fact("F9")
    assert hbm is not None
    store.put_fact(replace(hbm, status="retracted", retraction_reason="denied"))
    card = intel.who("sk hynix")
    assert isinstance(card, CompanyCard)
    assert "F9" not in {f.id for f in card.on_the_table.facts}
    assert card.on_the_table.retracted_hidden == 1
    text = str(render.who(card, "sk hynix").to_dict())
    assert "F9 retracted — `/summit history F9`" in text
    assert "F9" not in {f.id for f in intel.search("high bandwidth memory", 10).facts}


def test_search_ranks_facts_matching_every_word_first(intel: SummitIntel) -> None:
    answer = intel.search("telecom language models", 10)
    assert answer.facts[0].id == "F19"
    assert intel.search("acelerators", 10).facts, "a typo still finds the accelerators"


def many_facts(store: FactStore, count: int) -> None:
    for n in range(count):
        store.add_fact(
            Fact(
                id="new",
                statement=f"Samsung HBM development number {n} " + "detail " * 60,
                kind="hardware",
                status="reported",
                entity_ids=("samsung", "hbm"),
                source=Source("A long source title " * 5, "https://example.com/x?a=1|2>3"),
                tags=("hbm",),
                origin="admin",
            )
        )


def test_long_answers_are_cut_within_block_kit_limits(intel: SummitIntel, store: FactStore) -> None:
    many_facts(store, 120)
    for message in (
        render.who(intel.who("samsung"), "samsung"),
        render.chips(intel.chips("")),
        render.search(intel.search("samsung hbm development", 10)),
        render.overview(intel.overview()),
    ):
        payload = message.to_dict()
        assert block_kit_problems(payload["blocks"], 50) == []
        assert payload["text"]
    card = str(render.who(intel.who("samsung"), "samsung").to_dict())
    assert "more — narrow it with `/summit search samsung &lt;words&gt;`" in card


def test_source_urls_cannot_break_out_of_their_link(intel: SummitIntel, store: FactStore) -> None:
    many_facts(store, 1)
    text = str(render.search(intel.search("development number", 1)).to_dict())
    assert "<https://example.com/x?a=1%7C2%3E3|" in text


def test_statements_are_escaped_wherever_they_are_shown(
    intel: SummitIntel, store: FactStore
) -> None:
    store.add_fact(
        Fact(
            id="new",
            statement="<!channel> Samsung <@U123> wins <http://evil.example|deal> & more",
            kind="context",
            status="reported",
            entity_ids=("samsung",),
            source=Source("<!here> title"),
            origin="admin",
        )
    )
    for message in (
        render.who(intel.who("samsung"), "samsung"),
        render.search(intel.search("samsung wins", 5)),
    ):
        text = str(message.to_dict())
        assert "<!channel>" not in text and "<!here>" not in text and "<@U123>" not in text
        assert "&lt;!channel&gt; Samsung &lt;@U123&gt;" in text


def test_no_rendered_text_holds_a_bare_angle_bracket(intel: SummitIntel) -> None:
    """In mrkdwn '<' starts a link or mention, so only real links may contain one."""
    import re

    from tests.slack_client import block_texts

    messages = [
        render.who(intel.who(query), query)
        for query in ("", "samsung", "sk", "anthropic", "hbm", "nvidia", "nadella")
    ]
    messages += [render.chips(intel.chips(q)) for q in ("", "hbm", "nothing")]
    messages += [render.overview(intel.overview()), render.help_message("x <y>")]
    messages += [render.search(intel.search(q, 10)) for q in ("hbm", "", "zzz")]
    for message in messages:
        payload = message.to_dict()
        for text in [payload["text"], *block_texts(payload["blocks"])]:
            assert not re.search(r"<(?!https?://[^|>]+\|[^>]+>)", text), text


def test_cached_answers_last_until_a_fact_they_show_changes(store: FactStore) -> None:
    from slackbot.slack.answering import AnswerCache, ephemeral_body

    intel = SummitIntel(store)
    cache = AnswerCache(store)
    built: list[str] = []

    def who(query: str) -> render.Message:
        built.append(query)
        return render.who(intel.who(query), query)

    for _ in range(2):
        for query in ("samsung", "sk hynix", "nvidia"):
            if cache.get(("/who", query)) is None:
                stamp = cache.stamp()
                message = who(query)
                cache.keep(("/who", query), message, ephemeral_body(message), stamp)
    assert built == ["samsung", "sk hynix", "nvidia"]
    many_facts(store, 1)  # a new fact naming Samsung (and HBM)
    assert cache.get(("/who", "samsung")) is None
    assert cache.get(("/who", "sk hynix")) is not None, "SK Hynix's card is unaffected"
    assert cache.get(("/who", "nvidia")) is None, "an answer without entities follows any write"


def test_chips_filter_by_a_tag(intel: SummitIntel) -> None:
    parts = [chip.part.name for chip in intel.chips("accelerator").parts]
    assert parts == ["Mach-1", "Mach-2"]
    assert not intel.chips("accelerator").unmatched


@pytest.mark.parametrize(
    ("command", "text"),
    [("/summit", "F9"), ("/summit", "f9"), ("/whois", "F009"), ("/chips", "f9")],
)
def test_a_fact_id_shows_that_one_fact_with_its_history_link(
    store: FactStore, command: str, text: str
) -> None:
    from slackbot.core.answers import answer
    from slackbot.core.curation import Curator
    from slackbot.slack.answering import render_answer

    intel = SummitIntel(store)
    found = answer(intel, Curator(store), command, text)
    message = render_answer(found, text, timezone="UTC").to_dict()
    shown = json.dumps(message, ensure_ascii=False)
    assert "Fact F9" in shown and "high bandwidth memory" in shown
    assert "/summit history F9" in shown and "/summit history F9" in message["text"]
    missing = render_answer(answer(intel, Curator(store), command, "F999"), "F999", timezone="UTC")
    assert "There is no fact F999" in missing.text


@pytest.mark.parametrize(
    ("spelling", "company"),
    [
        ("엘지전자", "LG Electronics"),
        ("엘지", "LG Electronics"),
        ("LG전자", "LG Electronics"),
        ("에스케이하이닉스", "SK Hynix"),
        ("SK하이닉스", "SK Hynix"),
        ("하이닉스", "SK Hynix"),
        ("삼성", "Samsung Electronics"),
        ("삼성전자", "Samsung Electronics"),
        ("에스케이텔레콤", "SK Telecom"),
    ],
)
def test_common_korean_spellings_find_the_company(
    intel: SummitIntel, spelling: str, company: str
) -> None:
    found = intel.who(spelling)
    assert isinstance(found, CompanyCard) and found.company.name == company


def test_hbm_is_not_every_memory_chip(intel: SummitIntel) -> None:
    hbm = intel.store.entity("hbm")
    assert hbm is not None and "memory chips" not in hbm.aliases


def test_vendors_and_people_read_as_names(intel: SummitIntel) -> None:
    hbm = render.who(intel.who("hbm"), "hbm").to_dict()
    shown = json.dumps(hbm, ensure_ascii=False)
    assert "Vendors:* Samsung Electronics, SK Hynix" in shown
    assert "samsung, sk-hynix" not in shown
    overview = json.dumps(render.overview(intel.overview()).to_dict(), ensure_ascii=False)
    assert "Satya Nadella (사티아 나델라) — CEO, Microsoft" in overview
    assert "(사티아 나델라), CEO" not in overview


def test_a_card_names_a_shared_source_once_and_only_the_statuses_it_shows(
    store: FactStore, intel: SummitIntel
) -> None:
    title = "Microsoft collaborates with Samsung &amp; South Korean tech giants for AI"
    message = render.who(intel.who("samsung"), "samsung").to_dict()
    card = json.dumps(message["blocks"], ensure_ascii=False)
    assert card.count(title) == 1 and "Source of every fact below" in card
    assert "Expected" in card and "Reported" in card and "Confirmed" not in card
    store.put_fact(
        Fact(
            store.next_fact_id(),
            "Samsung confirms an HBM order from Microsoft.",
            "hardware",
            "confirmed",
            ("samsung", "microsoft"),
            Source("Samsung newsroom", "https://news.samsung.com/hbm"),
        )
    )
    mixed_message = render.who(intel.who("samsung"), "samsung").to_dict()
    mixed = json.dumps(mixed_message["blocks"], ensure_ascii=False)
    assert "Source of every fact below" not in mixed
    assert mixed.count(title) > 1 and "Samsung newsroom" in mixed
    assert "Confirmed = official or settled" in mixed


def test_several_names_answer_the_first_and_name_the_others(store: FactStore) -> None:
    from slackbot.core.answers import answer
    from slackbot.core.curation import Curator
    from slackbot.slack.answering import render_answer

    asked = "Samsung Electronics, SK Hynix"
    message = render_answer(
        answer(SummitIntel(store), Curator(store), "/whois", asked), asked, timezone="UTC"
    )
    shown = json.dumps(message.to_dict(), ensure_ascii=False)
    assert "One name at a time" in shown and "/whois SK Hynix" in shown
    assert "Samsung Electronics at the MS CEO Summit 2024" in shown


def test_chips_shows_each_fact_once_and_reads_words_together(intel: SummitIntel) -> None:
    everything = render.chips(intel.chips("")).to_dict()
    shown = json.dumps(everything["blocks"], ensure_ascii=False)
    for fact_id in ("F11", "F15", "F16"):
        assert shown.count(f"· `{fact_id}`") == 1, f"{fact_id} is shown once"
    assert "_also: SSD_" in shown and "`F11` (under CXL drives)" in shown
    both = intel.chips("hbm samsung")
    assert [chip.part.name for chip in both.parts] == ["HBM"]
    assert {fact.id for fact in both.parts[0].facts.facts} == {"F9", "F10"}
    assert [chip.part.name for chip in intel.chips("sk hynix").parts] == ["HBM"]
    lg = render.chips(intel.chips("lg")).to_dict()
    assert "LG Electronics has no hardware on the table" in lg["text"]
    assert len(lg["blocks"]) == 1


def test_search_puts_every_word_first_and_reads_quoted_phrases(intel: SummitIntel) -> None:
    phrase = intel.search('"high bandwidth memory"', 10)
    assert [fact.id for fact in phrase.facts] == ["F9"] and phrase.total == 1
    assert intel.search("“high bandwidth memory”", 10).facts[0].id == "F9"
    assert intel.search('"bandwidth high memory"', 10).facts == []
    ranked = intel.search("hbm supply", 10)
    assert ranked.facts[0].id == "F9", "the fact with every word comes first"


def test_card_sections_hold_what_microsoft_and_the_company_may_do_together(
    intel: SummitIntel,
) -> None:
    for company in ("samsung", "lg electronics"):
        card = intel.who(company)
        assert isinstance(card, CompanyCard)
        on_the_table = [fact.id for fact in card.on_the_table.facts]
        assert "F13" in on_the_table, company
        shown = on_the_table + [f.id for f in card.context.facts + card.attendance.facts]
        assert "F7" not in shown, "a summit-wide fact is for the overview"
    assert [fact.id for fact in intel.overview().summit_wide] == ["F7"]
    samsung = intel.who("samsung")
    assert isinstance(samsung, CompanyCard)
    # Facts naming Samsung in their words, then by status, then the newest dated.
    assert [fact.id for fact in samsung.on_the_table.facts][:2] == ["F9", "F13"]
    hbm = intel.chips("hbm").parts[0]
    assert [fact.id for fact in hbm.facts.facts] == ["F9", "F10"]


@pytest.mark.parametrize("text", ["F1 · *Samsung* <https://x.example|HBM>", "", "삼성전자 " * 800])
def test_the_plain_text_blocks_give_the_json_slack_sdk_models_give(text: str) -> None:
    from slack_sdk.models.blocks import (
        ContextBlock,
        HeaderBlock,
        MarkdownTextObject,
        SectionBlock,
    )

    from slackbot.slack.render.base import MAX_HEADER_TEXT, MAX_SECTION_TEXT, clip

    long_text = clip(text, MAX_SECTION_TEXT)
    assert render.section(text).to_dict() == (
        SectionBlock(text=MarkdownTextObject(text=long_text)).to_dict()
    )
    assert render.context(text).to_dict() == (
        ContextBlock(elements=[MarkdownTextObject(text=long_text)]).to_dict()
    )
    if text:  # slack_sdk refuses an empty header
        short = clip(text, MAX_HEADER_TEXT)
        assert render.header(text).to_dict() == HeaderBlock(text=short).to_dict()
    from slack_sdk.models.blocks import ActionsBlock, ButtonElement

    from slackbot.slack.ids import SHARE_ACTION_ID

    value = json.dumps({"command": "/whois", "text": text[:500]}, ensure_ascii=False)
    model = ActionsBlock(
        elements=[ButtonElement(text="Share to channel", action_id=SHARE_ACTION_ID, value=value)]
    )
    assert render.share_button("/whois", text).to_dict() == model.to_dict()
    if text:  # a fact's statement is never empty
        from slack_sdk.models.blocks import Option, OverflowMenuElement

        from slackbot.slack.ids import FACT_MENU_ACTION
        from slackbot.slack.render.base import FactMenuSection

        menu = OverflowMenuElement(
            action_id=FACT_MENU_ACTION,
            options=[
                Option(value="edit:F9", text="Edit"),
                Option(value="retract:F9", text="Retract"),
            ],
        )
        section = SectionBlock(text=MarkdownTextObject(text=long_text), accessory=menu)
        assert FactMenuSection(long_text, "F9").to_dict() == section.to_dict()


def test_matching_a_large_roster_finds_what_a_plain_scan_finds() -> None:
    """Prefixes are found by bisection over sorted names and remembered; a scan of every
    name is the reference."""
    rng = random.Random(5)
    syllables = "sam sung han kim lee park won jin soo min hee young tech chip net".split()
    names = [" ".join(rng.sample(syllables, rng.randint(1, 3))) for _ in range(2000)]
    entities = [Entity(f"e{n}", name, "company") for n, name in enumerate(names)]
    matcher = EntityMatcher(entities)

    def scanned(query: str) -> set[str]:
        key = compact(query)
        exact = {e.id for e in entities if any(compact(n) == key for n in e.all_names())}
        if exact:
            return exact
        names = [(e.id, n) for e in entities for n in e.all_names()]
        prefixed = {id_ for id_, n in names if compact(n).startswith(key)}
        if prefixed or len(key) < 3:
            return prefixed
        return {id_ for id_, n in names for w in fold(n).split() if compact(w).startswith(key)}

    for query in ["sam", "sams", "samsung", "jin s", "hee", "tech chip", "youn", "ki", "net"]:
        expected = scanned(query)
        assert {e.id for e in matcher.match(query)} == expected, query
        assert {e.id for e in matcher.match(query)} == expected, "asked again, from memory"


@pytest.mark.parametrize("text", ["when", "When", "date"])
def test_summit_when_answers_the_date(store: FactStore, text: str) -> None:
    """Issue 26: `/summit when` gave the help."""
    from slackbot.core.answers import HelpWanted, answer
    from slackbot.core.curation import Curator
    from slackbot.slack.answering import render_answer

    found = answer(SummitIntel(store), Curator(store), "/summit", text)
    assert not isinstance(found, HelpWanted)
    message = render_answer(found, text, timezone="UTC")
    assert "2024-05-14" in message.text


def test_an_ambiguous_name_counts_the_facts_each_card_shows(intel: SummitIntel) -> None:
    """Issue 26: `/whois sk` said "6 fact(s)" for SK Telecom, whose card shows 5 (the
    summit-wide fact is the overview's, and retracted facts are left out)."""
    from slackbot.core.intel import Ambiguous, shown_facts

    found = intel.who("sk")
    assert isinstance(found, Ambiguous) and len(found.matches) >= 2
    for entity, count in found.matches:
        card = intel.card(entity)
        assert count == shown_facts(card), entity.name


def test_whois_alone_lists_everyone_the_overview_says_takes_part(intel: SummitIntel) -> None:
    """Issue 26: `/whois` left out Bill Gates, whom the overview names as taking part."""
    from slackbot.slack import render

    message = render.roster(intel.who(""))  # type: ignore[arg-type]
    shown = json.dumps(message.to_dict(), ensure_ascii=False)
    assert "Bill Gates" in shown and "Bill Gates" in message.text
    assert "Satya Nadella" in shown
