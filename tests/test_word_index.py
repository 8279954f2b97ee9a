"""The word index's vocabulary: the sorted terms that completions and typo matching read,
kept in order as facts come and go rather than sorted again after each change."""

from __future__ import annotations

import random

from storage.index import FactTermIndex, NameTermIndex


def test_the_vocabulary_stays_sorted_and_split_as_terms_come_and_go() -> None:
    rng = random.Random(7)
    index = FactTermIndex()
    pool = [f"w{n}" for n in range(40)] + [str(n) for n in range(40)] + ["hbm", "hbm4"]
    facts: dict[int, set[str]] = {}
    index.vocabulary()  # built while empty: later terms go in one at a time
    for step in range(2000):
        number = rng.randrange(60)
        if number in facts:
            index.remove(number, facts.pop(number))
        else:
            facts[number] = set(rng.sample(pool, 3))
            index.add(number, facts[number])
        if step % 97 == 0:
            in_use = sorted({term for terms in facts.values() for term in terms})
            assert index.vocabulary() == in_use
            assert index._spelled_like("word") == [t for t in in_use if not t.isdigit()]
            assert index._spelled_like("12") == [t for t in in_use if t.isdigit()]


def test_a_new_word_completes_at_once_and_a_gone_one_no_longer_does() -> None:
    index = FactTermIndex()
    index.add(1, {"memory", "2024"})
    assert index.expand("anten") == []
    index.add(2, {"antenna"})
    assert index.expand("anten") == [("antenna", 0.8)]
    assert index.expand("antena") == [("antenna", 0.8)]  # a typo
    index.remove(2, {"antenna"})
    assert index.expand("anten") == [] and index.expand("antena") == []


def test_words_are_not_close_spellings_of_numbers_nor_numbers_of_words() -> None:
    index = FactTermIndex()
    index.add(1, {str(n) for n in range(10_000, 10_300)} | {"yield"})
    assert index.expand("10001x") == []
    assert index.expand("yeild") == [("yield", 0.8)]
    assert all(term.isdigit() for term, _ in index.expand("100000"))


def test_entity_name_terms_keep_their_order_too() -> None:
    names = NameTermIndex()
    names.vocabulary()
    names.set_names("samsung", ["Samsung Electronics"], [])
    names.set_names("sk-hynix", ["SK Hynix"], [])
    assert names.vocabulary() == ["electronic", "hynix", "samsung", "sk"]
    names.set_names("samsung", ["Samsung"], ["Samsung Electronics"])
    assert names.vocabulary() == ["hynix", "samsung", "sk"]
