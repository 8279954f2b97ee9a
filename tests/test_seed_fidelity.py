"""The shipped seed says what the article says, in its tense, and no more.

Each seed fact is pinned to the article sentence it comes from: the sentence must be in the
article, the statement must be made of that sentence's words, and what the sentence says
may, could or would happen stays Expected."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from storage.seed import load_seed

ARTICLE = Path(__file__).resolve().parent.parent.parent / "shared" / "seed" / "summit-article.txt"

SOURCES = {
    "F1": "Microsoft is gearing up to convene a meeting with top executives from leading South "
    "Korean tech firms during the MS CEO Summit 2024 set for May 14, 2024.",
    "F2": "Both Bill Gates and CEO Satya Nadella will engage with the top executives of the "
    "South Korean companies",
    "F3": "including key figures like Kyung Kye-hyun from Samsung Electronics",
    "F4": "Kwak Noh-jung of SK Hynix",
    "F5": "Cho Joo-wan representing LG Electronics",
    "F6": "Ryu Young-sang from SK Telecom",
    "F7": "The primary focus of the summit will revolve around enhancing partnerships and "
    "fostering the growth of artificial intelligence technologies.",
    "F8": "The summit presents an opportunity for Microsoft to potentially acquire essential "
    "hardware crucial for AI advancements and embed its AI services within the products of "
    "these companies.",
    "F9": "Notably, discussions with Samsung and SK Hynix may revolve around the provision of "
    "high bandwidth memory chips crucial for AI development",
    "F10": "given their status as major players in the memory chip market.",
    "F11": "Apart from memory chips, negotiations may also encompass high-performance "
    "components like solid-state drives and compute express link drives, essential for large "
    "language model development.",
    "F12": "This shift highlights Microsoft's heightened emphasis on bolstering its AI "
    "capabilities through strategic hardware acquisitions.",
    "F13": "Microsoft may explore opportunities to integrate its AI services into the products "
    "of partnering companies like Samsung and LG Electronics.",
    "F14": "This move would not only expand their customer base and product offerings but also "
    "strengthen existing collaborations.",
    "F15": "Samsung, for instance, is actively developing new AI accelerators, namely the "
    "Mach-1 and Mach-2, slated for mass production.",
    "F16": "Microsoft could potentially leverage these accelerators in the future",
    "F17": "despite Samsung's current reliance on Google's Gemini for Galaxy AI support.",
    "F18": "SK Telecom's recent $100 million investment in AI startup Anthropic",
    "F19": "underscores a concerted effort to create large language models tailored for "
    "telecom companies.",
}
# Lower case: "May 14" is a month.
MODALS = re.compile(r"\b(may|could|would|potentially)\b")
STOPWORDS = set("the a an of and to in for its their with at on by is are be will as".split())


def words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9$-]+", text.lower()) if w not in STOPWORDS}


@pytest.fixture(scope="module")
def article() -> str:
    if not ARTICLE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI has ../shared beside the clone; {ARTICLE} is missing")
        pytest.skip("the source article (../shared/seed) is not here")
    return " ".join(ARTICLE.read_text().split())


def test_every_seed_fact_is_pinned_to_a_sentence_of_the_article(article: str) -> None:
    facts = {fact["id"]: fact for fact in load_seed()["facts"]}
    assert set(facts) == set(SOURCES), "every fact has its sentence, and no more"
    for fact_id, sentence in SOURCES.items():
        assert sentence in article, f"{fact_id}: not a sentence of the article"


@pytest.mark.parametrize("fact_id", sorted(SOURCES, key=lambda f: int(f[1:])))
def test_each_statement_says_what_its_sentence_says(fact_id: str) -> None:
    fact = next(f for f in load_seed()["facts"] if f["id"] == fact_id)
    statement, sentence = fact["statement"], SOURCES[fact_id]
    content = words(statement) - {"summit", "microsoft's", "leaders", "named", "among", "key"}
    shared = content & (words(sentence) | words(" ".join(SOURCES.values())))
    assert len(shared) >= 0.6 * len(content), (fact_id, content - shared)
    if MODALS.search(sentence):
        assert fact["status"] == "expected", f"{fact_id} says what may happen: Expected"
    assert "happened_on" not in fact, "the article dates nothing but the summit (the event)"


def test_the_preview_keeps_its_tense_and_its_open_lists() -> None:
    facts = {fact["id"]: fact["statement"] for fact in load_seed()["facts"]}
    assert "gearing up to convene" in facts["F1"] and "including" in facts["F1"]
    for fact_id in ("F2", "F3", "F4", "F5", "F6", "F7"):
        assert "will" in facts[fact_id], f"{fact_id} is about a summit still to come"
    seed = load_seed()
    assert seed["event"]["date"] == "2024-05-14"
    themes = seed["event"]["themes"]
    assert themes and all(re.match(r"^F\d+: ", theme) for theme in themes), "themes cite facts"
    entities = {entity["id"]: entity for entity in seed["entities"]}
    assert "company_id" not in entities["bill-gates"], "the article ties Gates to no company"
    assert {"gemini", "galaxy-ai"} <= set(entities) and "gemini-galaxy-ai" not in entities
    assert "memory chips" not in entities["hbm"]["aliases"]
