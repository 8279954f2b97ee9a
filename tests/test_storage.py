"""The fact store: seeding, durability through kill -9, locking, in-memory reads."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from storage.api import (
    Entity,
    Fact,
    Revision,
    Source,
    StoreCorruptError,
    StoreLockedError,
    StoreWriteError,
)
from storage.repository import FactStore
from storage.seed import load_seed

REPO = Path(__file__).resolve().parent.parent


def make_fact(store: FactStore, statement: str, fact_id: str | None = None) -> Fact:
    return Fact(
        id=fact_id or store.next_fact_id(),
        statement=statement,
        kind="context",
        status="reported",
        entity_ids=("samsung",),
        source=Source("Test source", "https://example.com/a"),
        tags=("test",),
        added_by="U0ADMIN",
        origin="admin",
    )


def test_seed_holds_the_articles_companies_people_products_and_facts(store: FactStore) -> None:
    names = {entity.name for entity in store.entities()}
    assert {
        "Microsoft",
        "Samsung Electronics",
        "SK Hynix",
        "LG Electronics",
        "SK Telecom",
        "Bill Gates",
        "Satya Nadella",
        "Kyung Kye-hyun",
        "Kwak Noh-jung",
        "Cho Joo-wan",
        "Ryu Young-sang",
        "Google",
        "Anthropic",
        "HBM",
        "SSD",
        "CXL drives",
        "Mach-1",
        "Mach-2",
        "Gemini",
        "Galaxy AI",
    } <= names
    assert "Gemini / Galaxy AI" not in names, "two things, not one"
    korean = {entity.korean_name for entity in store.entities()}
    assert {"삼성전자", "SK하이닉스", "LG전자", "SK텔레콤", "마이크로소프트"} <= korean
    assert {"경계현", "곽노정", "조주완", "유영상"} <= korean
    assert store.fact_count() == len(load_seed()["facts"])


def test_seed_is_faithful_to_the_article(store: FactStore) -> None:
    facts = store.facts()
    # The article says what may or could happen; none of it is confirmed.
    assert not [fact for fact in facts if fact.status == "confirmed"]
    for fact in facts:
        if any(word in fact.statement for word in (" may ", " could ", " would ")):
            assert fact.status == "expected", fact.id
    talks = {fact.id for fact in store.search("high bandwidth memory")}
    assert all(store.fact(f).status in {"expected", "reported"} for f in talks)
    # The article gives one title: CEO, for Satya Nadella.
    roles = {entity.name: entity.role for entity in store.entities() if entity.role}
    assert roles == {"Satya Nadella": "CEO"}


def test_seed_is_idempotent_and_reset_rebuilds_only_the_seed_part(db_path: Path) -> None:
    with FactStore(db_path) as store:
        first = store.seed()
        assert first.facts_written == store.fact_count()
        assert store.seed().facts_written == 0
        edited = store.fact("F9")
        assert edited is not None
        store.put_fact(make_fact(store, "Edited by an admin", fact_id="F9"))
        own = make_fact(store, "An admin's own fact")
        store.put_fact(own)
        assert store.seed().facts_written == 0
        assert store.fact("F9").statement == "Edited by an admin"  # type: ignore[union-attr]
        report = store.seed(reset=True)
        assert report.facts_written == first.facts_written
        assert store.fact("F9").statement == edited.statement  # type: ignore[union-attr]
        assert store.fact(own.id) is not None


def test_writes_survive_a_restart_and_fact_ids_are_not_doc_ids(db_path: Path) -> None:
    with FactStore(db_path) as store:
        store.seed()
        added = make_fact(store, "Samsung signs an HBM supply deal")
        store.put_fact(added)
    with FactStore(db_path) as store:
        assert store.fact(added.id) == added
        assert store.fact(added.id.lower()) == added
        assert store.search("hbm supply deal")[0].id == added.id
        assert store.next_fact_id() == f"F{added.number + 1}"


def test_reads_are_served_from_memory_not_from_the_file(store: FactStore, db_path: Path) -> None:
    store.compact()
    db_path.write_text("this is no longer json")
    assert store.search("anthropic")
    assert store.facts_involving(["samsung"])


def test_a_torn_journal_tail_is_ignored(db_path: Path) -> None:
    journal = db_path.with_name(db_path.name + ".journal")
    with FactStore(db_path, compact_after=1000) as store:
        store.seed()
        store.compact()
        kept = store.add_fact(make_fact(store, "Written in full"))
        complete = journal.read_bytes()
    # As if the process died halfway through writing the next record.
    journal.write_bytes(complete + b'{"table": "facts", "key": "F99", "doc')
    with FactStore(db_path) as store:
        assert store.fact(kept.id) is not None
        assert store.fact("F99") is None


def test_a_corrupt_store_is_refused_with_what_to_do(db_path: Path) -> None:
    db_path.write_text("{ not json")
    with pytest.raises(StoreCorruptError, match="restore it from a backup"):
        FactStore(db_path)
    # The refused open released the process lock: with the store's files moved away, a new
    # store opens fine afterwards.
    for path in db_path.parent.glob(db_path.name + "*"):
        path.unlink()
    FactStore(db_path).close()


def test_a_second_process_on_the_same_store_is_refused_naming_the_holder(db_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from storage.repository import FactStore; "
            f"s = FactStore({str(db_path)!r}); print('ready', flush=True); sys.stdin.read()",
        ],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreLockedError, match=f"in use by process {holder.pid}"):
            FactStore(db_path)
    finally:
        holder.kill()
        holder.wait()
    FactStore(db_path).close()


WRITER = """
import sys
from storage.api import Fact, Source
from storage.repository import FactStore
store = FactStore(sys.argv[1], compact_after=int(sys.argv[2]), compact_min_bytes=0)
n = 0
while True:
    fact = Fact(id=store.next_fact_id(), statement=f"durable fact number {n}", kind="context",
                status="reported", entity_ids=("samsung",), source=Source("t"), origin="admin")
    store.put_fact(fact)
    print(fact.id, flush=True)  # acknowledged: put_fact returned
    n += 1
"""


@pytest.mark.parametrize(("compact_after", "kill_after"), [(500, 40), (7, 60), (1, 25)])
def test_every_acknowledged_write_survives_kill_9(
    db_path: Path, compact_after: int, kill_after: int
) -> None:
    with FactStore(db_path) as store:
        store.seed()
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db_path), str(compact_after)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    acknowledged = [writer.stdout.readline().strip() for _ in range(kill_after)]
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    with FactStore(db_path) as store:
        for fact_id in acknowledged:
            assert store.fact(fact_id) is not None, f"{fact_id} was acknowledged but lost"
        assert store.fact("F1") is not None


def test_concurrent_writers_and_readers_all_land(db_path: Path) -> None:
    with FactStore(db_path, compact_after=50, compact_min_bytes=0) as store:
        store.seed()
        errors: list[BaseException] = []
        lock = threading.Lock()
        written: list[str] = []

        def writer(n: int) -> None:
            try:
                for i in range(40):
                    fact = store.add_fact(make_fact(store, f"writer {n} fact {i} about hbm"))
                    with lock:
                        written.append(fact.id)
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

        def reader() -> None:
            try:
                for _ in range(200):
                    store.search("hbm writer")
                    store.facts_involving(["samsung"])
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
        threads += [threading.Thread(target=reader) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
    with FactStore(db_path) as store:
        assert len(set(written)) == 240
        assert all(store.fact(fact_id) is not None for fact_id in written)


def test_pages_of_facts_match_a_plain_scan(store: FactStore) -> None:
    """A card's sections (newest first, counts, retracted left out) equal a brute-force scan,
    with facts naming a company, its people, or both, and some retracted."""
    import random

    rng = random.Random(5)
    kinds = ("agenda", "hardware", "context", "attendance")
    for n in range(300):
        entities = rng.choice(
            [("samsung",), ("kyung-kye-hyun",), ("samsung", "kyung-kye-hyun"), ("sk-hynix",)]
        )
        fact = make_fact(store, f"page test fact {n} " + " ".join(rng.sample(kinds, 2)))
        store.add_fact(
            replace(
                fact,
                entity_ids=entities,
                kind=rng.choice(kinds),
                status="retracted" if n % 7 == 0 else "reported",
            )
        )
    every = store.facts()
    for ids in (["samsung"], ["samsung", "kyung-kye-hyun"], ["kyung-kye-hyun"], ["nobody"]):
        for section in (frozenset({"agenda", "hardware"}), frozenset({"attendance"}), None):
            (page,) = store.pages_involving(ids, [section], 10)
            named = [
                f
                for f in every
                if set(ids) & set(f.entity_ids) and (section is None or f.kind in section)
            ]
            active = [f for f in named if f.status != "retracted"]
            assert page.total == len(active)
            assert page.retracted == len(named) - len(active)
            expected = sorted(active, key=lambda f: f.number, reverse=True)[:10]
            assert [f.id for f in page.facts] == [f.id for f in expected]


def test_the_snapshot_is_a_database_plain_tinydb_opens(db_path: Path) -> None:
    with FactStore(db_path) as store:
        store.seed()
        added = store.add_fact(make_fact(store, "Samsung ships HBM3E samples to Redmond"))
    from tinydb import TinyDB

    plain = TinyDB(db_path)
    stored = {doc["id"]: doc for doc in plain.table("facts").all()}
    assert stored[added.id]["statement"] == "Samsung ships HBM3E samples to Redmond"
    assert stored[added.id]["entity_ids"] == ["samsung"]
    assert plain.table("facts").get(doc_id=added.number)["id"] == added.id  # type: ignore[index]
    assert len(plain.table("revisions")) == 0
    plain.close()


def test_a_store_written_by_plain_tinydb_loads_and_is_rewritten(db_path: Path) -> None:
    """Doc ids that are not the fact numbers and one-line JSON, as plain TinyDB writes them."""
    with FactStore(db_path) as store:
        store.seed()
        kept = store.add_fact(make_fact(store, "A fact kept across the rewrite"))
    from tinydb import TinyDB

    plain = TinyDB(db_path)
    docs = plain.table("facts").all()
    plain.table("facts").truncate()
    for doc in reversed(docs):  # new doc ids: F1 is no longer doc 1
        plain.table("facts").insert(dict(doc))
    plain.close()
    assert db_path.read_text().count("\n") == 0
    with FactStore(db_path) as store:
        assert store.fact(kept.id) == kept
        assert store.fact("F1") is not None and store.fact("F1").id == "F1"  # type: ignore[union-attr]
        assert [f.number for f in store.facts()] == sorted(f.number for f in store.facts())
        assert store.search("kept across the rewrite")[0].id == kept.id
        edited = replace(kept, statement="A fact edited after the rewrite", revision=2)
        store.put_fact(edited)
    assert db_path.read_text().count("\n") > 20
    with FactStore(db_path) as store:
        assert store.fact(kept.id) == edited
        assert store.search("edited after the rewrite")[0].id == kept.id
        assert not store.search("kept across")


def test_the_word_index_follows_edits_and_deletes(store: FactStore) -> None:
    first = store.add_fact(make_fact(store, "Zyxwv telecom model shared"))
    second = store.add_fact(make_fact(store, "Zyxwv telecom model unique words"))
    assert {f.id for f in store.search("zyxwv")} == {first.id, second.id}
    store.put_fact(replace(second, statement="Something else entirely", revision=2))
    assert [f.id for f in store.search("zyxwv")] == [first.id]
    assert store.search("something else entirely")[0].id == second.id
    store.put_fact(replace(first, statement="Qwerty replaced", revision=2))
    assert store.search("zyxwv") == []
    assert store.search_facts("zyxwv", 10).total == 0
    assert [f.id for f in store.search("qwerty")] == [first.id]
    assert store.similar_statements("Qwerty replaced", 90)[0][0].id == first.id


def test_near_duplicates_are_shortlisted_by_two_rare_words(store: FactStore) -> None:
    original = store.add_fact(make_fact(store, "Xylofab signs a Quorbit wafer deal with Samsung"))
    typo = "Xylofab signs a Qorbit wafer deal with Samsung"  # one rare word misspelt
    assert [f.id for f, _score in store.similar_statements(typo, 90)] == [original.id]
    # One shared word is not enough to be read (with common words, that was a third of a
    # large store); two are.
    both = store.add_fact(make_fact(store, "Vantrex supplies Glimmod parts"))
    store.add_fact(make_fact(store, "Vantrex ships other things"))
    assert list(store._words.sharing_rare_terms("Vantrex and Glimmod news")) == [both.number]


def test_the_saved_word_index_equals_one_built_from_the_facts(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="storage")
    with FactStore(db_path) as store:
        store.seed()
        for n in range(40):
            store.add_fact(make_fact(store, f"Saved index check {n} hbm wafer{n % 3}"))
    index_file = db_path.with_name(db_path.name + ".index")
    assert index_file.exists()

    def postings(store: FactStore) -> dict[str, dict[str, set[int]]]:
        indexes = {"statements": store._words.statements, "tags": store._words.tags}
        return {
            name: {term: set(index.get(term)) for term in index.postings}
            for name, index in indexes.items()
        }

    with FactStore(db_path) as store:
        restored = postings(store)
        found = [f.id for f in store.search("wafer1 hbm")]
    copied = db_path.parent / "copy" / db_path.name  # a backup restored elsewhere
    copied.parent.mkdir()
    copied.write_bytes(db_path.read_bytes())
    copied.with_name(index_file.name).write_bytes(index_file.read_bytes())
    with FactStore(copied) as store:
        assert [f.id for f in store.search("wafer1 hbm")] == found
    # Neither start built an index again or read a record for it.
    assert "indexes of" not in caplog.text and "every record" not in caplog.text
    index_file.unlink()
    with FactStore(db_path) as store:
        assert postings(store) == restored
        assert len(restored["statements"]) > 100
        assert [f.id for f in store.search("wafer1 hbm")] == found


def test_a_saved_word_index_not_matching_the_snapshot_is_rebuilt(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="storage")
    with FactStore(db_path) as store:
        store.seed()
    from tinydb import TinyDB

    plain = TinyDB(db_path)  # a change the saved index knows nothing about
    doc = dict(plain.table("facts").get(doc_id=1))  # type: ignore[arg-type]
    plain.table("facts").update({"statement": "Rewritten by hand: quokka"}, doc_ids=[1])
    plain.close()
    with FactStore(db_path) as store:
        assert [f.id for f in store.search("quokka")] == ["F1"]
        assert "F1" not in [f.id for f in store.search(doc["statement"])][:1]
    assert "saved for another snapshot" in caplog.text
    db_path.with_name(db_path.name + ".index").write_text("{ torn")
    with FactStore(db_path) as store:
        assert [f.id for f in store.search("quokka")] == ["F1"]


def test_records_handed_to_an_unfinished_compaction_are_replayed(db_path: Path) -> None:
    store = FactStore(db_path, compact_after=10**6)
    store.seed()
    store.compact()
    first = store.add_fact(make_fact(store, "Written before the compaction began"))
    # As if the process died after handing the journal over, before the snapshot was written.
    store._journal.hand_over(db_path.with_name(db_path.name + ".journal.folding"))
    second = store.add_fact(make_fact(store, "Written while the compaction ran"))
    store._journal.close()
    store._process_lock.release()
    with FactStore(db_path) as reopened:
        assert reopened.fact(first.id) == first
        assert reopened.fact(second.id) == second
    assert not db_path.with_name(db_path.name + ".journal.folding").exists()


def test_writes_go_on_while_a_background_compaction_writes_the_snapshot(db_path: Path) -> None:
    with FactStore(db_path, compact_after=5, compact_min_bytes=0) as store:
        store.seed()
        added = [store.add_fact(make_fact(store, f"Background compaction {n}")) for n in range(60)]
    with FactStore(db_path) as store:
        assert [store.fact(f.id) for f in added] == added
        assert len(store.search("background compaction")) == 60


def test_history_replayed_from_the_journal_is_not_overwritten_by_later_changes(
    db_path: Path,
) -> None:
    from storage.api import Revision

    store = FactStore(db_path, compact_after=10**6)
    store.seed()
    store.compact()
    fact = store.add_fact(make_fact(store, "History before the crash"))
    store.put_fact(fact, Revision(fact.id, 1, "2026-01-01T00:00:00+00:00", "U1", "added", {}))
    store._journal.close()  # as if killed: the revision is only in the journal
    store._process_lock.release()
    with FactStore(db_path) as reopened:
        second = Revision(fact.id, 2, "2026-01-02T00:00:00+00:00", "U2", "edited", {})
        reopened.put_fact(replace(fact, revision=2), second)
    with FactStore(db_path) as reopened:
        assert [r.number for r in reopened.revisions_of(fact.id)] == [1, 2]


def test_a_small_journal_is_not_folded_into_a_large_snapshot(db_path: Path) -> None:
    """Compaction waits for the journal to reach a share of the snapshot: 500 tiny records
    (a feed poll writes that many) no longer rewrite a store of 100,000 facts."""
    with FactStore(db_path, compact_after=5, compact_min_bytes=200_000) as store:
        store.seed()
        folding = db_path.with_name(db_path.name + ".journal.folding")
        for number in range(20):
            store.put_meta(f"note-{number}", {"n": number})
        assert store._journal.length >= 5 and store._journal.size < 200_000
        assert store._compaction is None and not folding.exists()
        for number in range(400):
            store.put_meta(f"bulk-{number}", {"text": "x" * 600})
        assert store._compaction is not None  # folded once the journal grew large enough


def test_a_close_spelling_found_once_is_found_again_after_new_words(store: FactStore) -> None:
    """Completions and typo matches are remembered per word, and forgotten when the words
    the store knows change."""
    assert store.search("quokkas") == []
    assert store.search("quokk") == []
    fact = Fact(
        store.next_fact_id(),
        "Samsung showed a quokka-sized HBM module.",
        "hardware",
        "reported",
        ("samsung",),
        Source("Test"),
    )
    store.put_fact(fact)
    assert [f.id for f in store.search("quokkas")] == [fact.id]
    assert [f.id for f in store.search("quokk")] == [fact.id]  # a completion, asked before
    store.delete_fact(fact.id)
    assert store.search("quokk") == []


def bulk_facts(store: FactStore, count: int, word: str) -> tuple[list[Fact], list[Revision]]:
    first = int(store.next_fact_id()[1:])
    facts = [
        replace(make_fact(store, f"Bulk {word} {n} packaging"), id=f"F{first + n}")
        for n in range(count)
    ]
    return facts, [
        Revision(f.id, 1, "2026-11-27T00:00:00+00:00", "U0", "imported", {}) for f in facts
    ]


def test_a_large_batch_is_written_once_as_the_snapshot_not_through_the_journal(
    db_path: Path,
) -> None:
    journal = db_path.with_name(db_path.name + ".journal")
    with FactStore(db_path, snapshot_batch=50) as store:
        store.seed()
        store.add_fact(make_fact(store, "Journaled before the batch"))
        assert journal.stat().st_size > 0
        facts, revisions = bulk_facts(store, 40, "wafer")
        steps: list[str] = []
        store.put_many([], facts, revisions, steps.append)
        assert journal.stat().st_size == 0, "the journal's records went into the snapshot"
        assert any("snapshot written" in step for step in steps)
        assert not any("journal" in step for step in steps), steps
        assert [f.id for f in store.search("wafer 39")][:1] == [facts[39].id]
        count = store.fact_count()
        history = store.revisions_of(facts[0].id)
    with FactStore(db_path) as store:
        assert store.fact_count() == count
        assert store.fact("F" + facts[-1].id[1:]) == facts[-1]
        assert store.revisions_of(facts[0].id) == history
        assert [f.statement for f in store.search("journaled before")] == [
            "Journaled before the batch"
        ]
        assert [f.id for f in store.search("wafer 39")][:1] == [facts[39].id]


def test_a_large_batch_that_cannot_be_written_changes_nothing(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FactStore(db_path, snapshot_batch=50) as store:
        store.seed()
        count, version = store.fact_count(), store.version
        facts, revisions = bulk_facts(store, 60, "disk")

        def disk_full(*_args: object) -> str:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(store._storage, "save_snapshot", disk_full)
        with pytest.raises(StoreWriteError, match="not saved: the disk is full"):
            store.put_many([Entity("kakao", "Kakao", "company")], facts, revisions)
        assert store.fact_count() == count and store.version == version
        assert store.entity("kakao") is None and not store.search("disk 12")
        monkeypatch.undo()
        store.put_many([], facts, revisions)  # the next try works
        assert store.fact_count() == count + 60
    with FactStore(db_path) as store:
        assert store.fact_count() == count + 60


def test_a_backups_own_revisions_replace_the_imported_ones_in_a_large_batch(
    db_path: Path,
) -> None:
    with FactStore(db_path, snapshot_batch=10) as store:
        facts, imported = bulk_facts(store, 10, "history")
        kept = [replace(r, action="added", by="U0ORIGINAL") for r in imported]
        store.put_many([], facts, imported + kept)
        assert [r.by for r in store.revisions_of(facts[3].id)] == ["U0ORIGINAL"]
    with FactStore(db_path) as store:
        assert [r.by for r in store.revisions_of(facts[3].id)] == ["U0ORIGINAL"]


def test_closing_a_large_store_leaves_its_durable_journal_for_the_next_start(
    db_path: Path,
) -> None:
    journal = db_path.with_name(db_path.name + ".journal")
    with FactStore(db_path, quick_snapshot_bytes=0) as store:
        store.seed()
        snapshot = db_path.read_bytes()
        added = store.add_fact(make_fact(store, "Saved just before the stop"))
    assert db_path.read_bytes() == snapshot, "no snapshot is written on the stop path"
    assert journal.stat().st_size > 0
    with FactStore(db_path, quick_snapshot_bytes=0) as store:
        assert store.fact(added.id) == added
    # The start folded the journal into a new snapshot, in the background.
    assert db_path.read_bytes() != snapshot
    with FactStore(db_path) as store:
        assert store.fact(added.id) == added


def test_records_read_back_after_a_restart_are_as_they_were_written(db_path: Path) -> None:
    """The snapshot stores each document with its key; the key is the store's own and must
    not show up in what meta() or slot() return once the store is loaded from it."""
    slot = {"status": "posted", "at": "2026-11-24T09:00:00+00:00"}
    with FactStore(db_path) as store:
        store.seed()
        store.record_slot("C0NEWS|2026-11-24T09:00", slot)
        written = (store.meta("source"), store.slot("C0NEWS|2026-11-24T09:00"))
    with FactStore(db_path) as store:
        assert (store.meta("source"), store.slot("C0NEWS|2026-11-24T09:00")) == written
    assert written[1] == slot and "key" not in (written[0] or {})
