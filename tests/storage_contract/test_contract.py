"""Every backend: the same answers to the same calls (see conftest for the backends)."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from storage.api import Entity, Fact, Repository, Revision, Source, Subscription
from storage.repository import FactStore
from tests.storage_contract.conftest import NOW, Opener, a_fact


def test_the_tinydb_store_is_a_repository() -> None:
    def typed(store: FactStore) -> Repository:
        return store  # mypy checks that FactStore implements the protocol

    assert typed


def test_seed_gives_the_event_entities_and_facts(repository: Repository) -> None:
    event = repository.event()
    assert event is not None and event.date == "2024-05-14"
    assert repository.entity("samsung") is not None
    assert repository.fact_count() == len(repository.facts()) > 0
    assert sum(repository.status_counts().values()) == repository.fact_count()


def test_fact_ids_are_accepted_in_every_spelling(repository: Repository) -> None:
    fact = a_fact(repository, "Samsung ships HBM samples to Microsoft.")
    number = fact.number
    for spelling in (f"F{number}", f"f{number}", f"F00{number}"):
        found = repository.fact(spelling)
        assert found is not None and found.id == fact.id
    assert repository.fact("X9") is None and repository.fact("F") is None


def test_next_fact_id_follows_the_highest(repository: Repository) -> None:
    first = a_fact(repository, "First contract fact about Samsung.")
    assert repository.next_fact_id() == f"F{first.number + 1}"


def test_entities_are_stored_and_replaced(repository: Repository) -> None:
    repository.put_entity(Entity("naver", "Naver", "company", aliases=("NHN",)))
    repository.put_entity(Entity("naver", "Naver Corp", "company"))
    stored = repository.entity("naver")
    assert stored is not None and stored.name == "Naver Corp"
    assert "naver" in {entity.id for entity in repository.entities()}


def test_reading_facts_by_what_they_name(repository: Repository) -> None:
    both = a_fact(
        repository, "Samsung and LG compare notes on Copilot.", "samsung", "lg-electronics"
    )
    tagged = a_fact(repository, "LG ships AI TVs.", "lg-electronics", tags=("ai-tv",))
    assert repository.named_together("samsung", "lg-electronics")
    assert not repository.named_together("anthropic", "lg-electronics")
    assert repository.has_tag("ai-tv") and repository.has_tag("ai-tv", "lg-electronics")
    assert not repository.has_tag("ai-tv", "samsung") and not repository.has_tag("no-such-tag")
    involving = {fact.id for fact in repository.facts_involving(["lg-electronics"])}
    assert {both.id, tagged.id} <= involving
    assert repository.count_involving("lg-electronics") >= 2
    (page,) = repository.pages_involving(["lg-electronics"], [None], 1)
    assert page.facts == [tagged] and page.total >= 2


def test_search_ranks_and_counts(repository: Repository) -> None:
    fact = a_fact(repository, "Quokka memory partnership between Samsung and Microsoft.")
    result = repository.search_facts("quokka memory", 5)
    assert result.facts[0].id == fact.id and result.total >= 1
    assert repository.similar_statements(fact.statement, 90.0)[0][0].id == fact.id


def test_every_change_is_in_the_history_in_order(repository: Repository) -> None:
    fact = a_fact(repository, "Samsung opens an AI lab with Microsoft.")
    later = "2026-11-25T08:00:00.000000+00:00"
    repository.put_fact(
        replace(fact, status="confirmed", revision=2),
        Revision(fact.id, 2, later, "U0TEST", "edited", {"status": ["reported", "confirmed"]}),
    )
    assert [r.number for r in repository.revisions_of(fact.id)] == [1, 2]
    since = [r.fact_id for r in repository.revisions_since(NOW)]
    assert fact.id in since
    assert repository.version > 0


def test_a_bulk_write_is_one_batch(repository: Repository) -> None:
    steps: list[str] = []
    number = int(repository.next_fact_id()[1:])
    facts = [
        Fact(
            f"F{number + n}",
            f"Bulk fact {n} about Samsung",
            "context",
            "reported",
            ("samsung",),
            Source("Bulk"),
        )
        for n in range(3)
    ]
    revisions = [Revision(f.id, 1, NOW, "import", "imported", {}) for f in facts]
    repository.put_many([Entity("kakao", "Kakao", "company")], facts, revisions, steps.append)
    assert all(repository.fact(f.id) for f in facts) and repository.entity("kakao")
    assert steps, "a bulk write reports its steps"


def test_subscriptions_and_slots(repository: Repository) -> None:
    subscription = Subscription("C0NEWS", "daily", "09:00", "UTC", since=NOW, created_by="U0A")
    repository.put_subscription(subscription)
    assert repository.subscription("C0NEWS") == subscription
    assert [s.channel_id for s in repository.subscriptions()] == ["C0NEWS"]
    repository.record_slot("C0NEWS|2026-11-24T09:00", {"status": "claimed", "at": NOW})
    assert "C0NEWS|2026-11-24T09:00" in repository.open_slots("C0NEWS")
    assert repository.open_slots("C0OTHER") == {}
    moved = replace(subscription, since="2026-11-24T09:00:00.000000+00:00")
    repository.record_slot("C0NEWS|2026-11-24T09:00", {"status": "posted", "at": NOW}, moved)
    assert repository.open_slots() == {}
    assert repository.slot("C0NEWS|2026-11-24T09:00") == {"status": "posted", "at": NOW}
    assert repository.subscription("C0NEWS") == moved
    repository.delete_subscription("C0NEWS")
    assert repository.subscription("C0NEWS") is None


def test_a_transaction_holds_reads_and_writes_together(repository: Repository) -> None:
    with repository.transaction():
        fact_id = repository.next_fact_id()
        fact = a_fact(repository, "Inside a transaction, Samsung signs.")
    assert fact.id == fact_id


def test_everything_survives_closing_and_opening_again(open_repository: Opener) -> None:
    store = open_repository()
    store.seed()
    fact = a_fact(store, "Samsung and Microsoft renew their agreement.")
    store.put_subscription(Subscription("C0KEEP", "daily", "09:00", "UTC", since=NOW))
    store.record_slot("C0KEEP|2026-11-24T09:00", {"status": "retrying", "at": NOW})
    store.close()
    again = open_repository()
    try:
        assert again.fact(fact.id) == fact
        assert again.subscription("C0KEEP") is not None
        assert "C0KEEP|2026-11-24T09:00" in again.open_slots()
        assert again.event() is not None
    finally:
        again.close()


@pytest.mark.parametrize("reset", [False, True])
def test_seeding_again_keeps_admins_facts(repository: Repository, reset: bool) -> None:
    fact = a_fact(repository, "An admin's own fact about Samsung.")
    repository.seed(reset=reset)
    assert repository.fact(fact.id) is not None


def test_a_claims_outcome_and_review_day_survive_a_reopen(open_repository: Opener) -> None:
    """Issue 16: an open claim's settling fields are stored like every other field."""
    store = open_repository()
    store.seed()
    claim = store.fact("F9")
    assert claim is not None and claim.outcome is None and claim.review_on is None
    store.put_fact(
        replace(claim, outcome="F13", review_on="2025-01-31", did_not_happen=True, revision=2)
    )
    store.close()
    reopened = open_repository()
    try:
        kept = reopened.fact("F9")
        assert kept is not None
        assert (kept.outcome, kept.review_on, kept.did_not_happen) == ("F13", "2025-01-31", True)
    finally:
        reopened.close()


def test_readers_do_not_wait_for_a_writer(repository: Repository) -> None:
    """A writer holds the store from reading what it decides on until its records are
    applied (durably committed first: an fsync, or a round trip to the database); readers
    go on meanwhile and see the store as it was before the write."""
    fact = a_fact(repository, "Samsung and Microsoft sign a readers' test agreement")
    writing = threading.Event()
    finish = threading.Event()

    def writer() -> None:
        with repository.transaction():
            writing.set()
            finish.wait(30)
            repository.put_fact(replace(fact, status="confirmed"))

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert writing.wait(10)
        seen: list[Fact | None] = []
        reader = threading.Thread(target=lambda: seen.append(repository.fact(fact.id)))
        reader.start()
        reader.join(timeout=10)
        assert not reader.is_alive(), "a read waited for the writer"
        assert seen[0] is not None and seen[0].status == "reported"
    finally:
        finish.set()
        thread.join()
    stored = repository.fact(fact.id)
    assert stored is not None and stored.status == "confirmed"


def test_documents_read_from_the_store_are_copies(repository: Repository) -> None:
    """A caller that changes what it read (a correction marked on a post before its write
    fails) changes nothing stored: the next snapshot would write it, and it would never be
    posted."""
    repository.put_meta("announced:F1", {"posts": [{"channel": "C0NEWS", "ts": "1.0"}]})
    read = repository.meta("announced:F1")
    assert read is not None
    read["posts"][0]["corrected"] = "retracted"
    read["posts"].append({"channel": "C0OTHER", "ts": "2.0"})
    assert repository.meta("announced:F1") == {"posts": [{"channel": "C0NEWS", "ts": "1.0"}]}

    key = "C0NEWS|2026-11-24T09:00"
    repository.record_slot(key, {"status": "claimed", "at": NOW, "parts": [{"ts": "1.0"}]})
    slot = repository.slot(key)
    assert slot is not None
    slot["status"] = "posted"
    slot["parts"][0]["ts"] = "9.9"
    repository.open_slots()[key]["status"] = "posted"
    repository.open_slots("C0NEWS")[key]["parts"].clear()
    expected = {"status": "claimed", "at": NOW, "parts": [{"ts": "1.0"}]}
    assert repository.slot(key) == expected
    assert repository.open_slots("C0NEWS") == {key: expected}


def test_documents_written_are_not_held_by_reference(repository: Repository) -> None:
    doc = {"posts": [{"channel": "C0NEWS", "ts": "1.0"}]}
    repository.put_meta("announced:F2", doc)
    doc["posts"][0]["ts"] = "changed after the write"
    record = {"status": "claimed", "at": NOW}
    repository.record_slot("C0NEWS|2026-11-25T09:00", record)
    record["status"] = "changed after the write"
    assert repository.meta("announced:F2") == {"posts": [{"channel": "C0NEWS", "ts": "1.0"}]}
    assert repository.slot("C0NEWS|2026-11-25T09:00") == {"status": "claimed", "at": NOW}


def test_an_event_is_claimed_once(open_repository: Opener) -> None:
    """A retried delivery of an event (or the same event at a second replica) finds it
    claimed: the app answers it once."""
    store = open_repository()
    try:
        assert store.claim_event("Ev0001") is True
        assert store.claim_event("Ev0001") is False
        assert store.claim_event("Ev0002") is True
        results: list[bool] = []
        threads = [
            threading.Thread(target=lambda: results.append(store.claim_event("Ev0003")))
            for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [False] * 7 + [True]
    finally:
        store.close()
