"""Records left in the snapshot file until read (storage.stored_records), and the layout and
indexes saved beside a snapshot so that a start reads none of them."""

from __future__ import annotations

import random
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from storage import repository
from storage.api import Fact, Revision, Source, StoreCorruptError
from storage.loading import WARM_PER_ENTITY
from storage.repository import FactStore
from storage.snapshot import SnapshotStorage
from storage.tinydb_glue import Codec, RecordTable

CODEC = Codec(lambda doc: (doc["n"], doc["text"]), lambda r: {"n": r[0], "text": r[1]})


def _saved(storage: SnapshotStorage) -> None:
    """Writes the storage's data as the snapshot and reads its records from there after."""
    written = storage.copy()
    storage.rebase(written, storage.save_snapshot(written))


def test_records_in_the_file_and_in_memory_read_as_one_dict(tmp_path: Path) -> None:
    storage = SnapshotStorage(tmp_path / "records.json", {"things": CODEC})
    table = storage.table("things")
    assert isinstance(table, RecordTable)
    records = table.records
    model: dict[int, Any] = {}
    rng = random.Random(7)
    for step in range(3000):
        doc_id = rng.randrange(1, 400)
        action = rng.random()
        if action < 0.55:
            value = (doc_id, f"thing {doc_id} at step {step}")
            records[doc_id] = model[doc_id] = value
        elif action < 0.8 and doc_id in model:
            del records[doc_id]
            del model[doc_id]
        elif action < 0.8:
            with pytest.raises(KeyError):
                del records[doc_id]
        if step % 250 == 249:
            _saved(storage)  # the file part changes under the records
        assert (doc_id in records) == (doc_id in model)
        assert records.get(doc_id) == model.get(doc_id)
    assert len(records) == len(model)
    assert list(records) == sorted(model)
    assert dict(records.scan()) == model
    # Read back from the file alone, by a storage that knows nothing of this one.
    reread = SnapshotStorage(storage.path, {"things": CODEC})
    reread.load()
    table = reread.table("things")
    assert isinstance(table, RecordTable)
    assert dict(table.records.scan()) == model


def test_writes_made_while_a_copy_is_written_out_stay_after_the_rebase(tmp_path: Path) -> None:
    storage = SnapshotStorage(tmp_path / "records.json", {"things": CODEC})
    table = storage.table("things")
    assert isinstance(table, RecordTable)
    records = table.records
    for n in range(1, 11):
        records[n] = (n, "first")
    _saved(storage)
    records[3] = (3, "changed before the copy")
    records[11] = (11, "added before the copy")
    del records[4]
    written = storage.copy()
    layout = storage.save_snapshot(written)
    # Meanwhile (as in a background compaction): every kind of later write.
    records[3] = (3, "changed after the copy")
    del records[11]
    records[4] = (4, "back after the copy")
    records[12] = (12, "added after the copy")
    del records[5]
    expected = dict(records.scan())
    storage.rebase(written, layout)
    assert dict(records.scan()) == expected
    assert {doc_id: records[doc_id] for doc_id in records} == expected
    assert len(records) == len(expected)
    assert 11 not in records and 5 not in records


def make_fact(store: FactStore, statement: str, **changes: Any) -> Fact:
    fact = Fact(
        id=store.next_fact_id(),
        statement=statement,
        kind="context",
        status="reported",
        entity_ids=("samsung",),
        source=Source("Test source", f"https://example.com/{statement.replace(' ', '-')}"),
        tags=("test",),
        added_by="U0ADMIN",
        origin="admin",
    )
    return replace(fact, **changes)


def _everything(store: FactStore) -> dict[str, Any]:
    """What a store answers, as far as its indexes decide it."""
    return {
        "facts": store.facts(),
        "counts": store.status_counts(),
        "samsung": store.facts_involving(["samsung"]),
        "pages": store.pages_involving(["samsung", "sk-hynix"], [None, frozenset({"context"})], 3),
        "search": [f.id for f in store.search("hbm memory")],
        "history": store.revisions_since(""),
        "history of F20": store.revisions_of("F20"),
        "cites": store.has_fact_source(["https://example.com/hbm-order-2"]),
        "tagged": store.has_tag("test", "samsung"),
        "next": store.next_fact_id(),
    }


def _history_store(db_path: Path) -> dict[str, Any]:
    with FactStore(db_path, compact_after=7, compact_min_bytes=0) as store:
        store.seed()
        for n in range(30):
            fact = make_fact(store, f"hbm order {n}")
            store.add_fact(
                fact, Revision(fact.id, 1, f"2026-11-{n % 20 + 1:02d}", "U0A", "added", {})
            )
        edited = replace(store.fact("F20") or make_fact(store, "x"), status="retracted")
        store.put_fact(edited, Revision("F20", 2, "2026-11-30", "U0A", "retracted", {}))
        store.delete_fact("F21")
        return _everything(store)


def _newest_of_each_entity(store: FactStore) -> set[int]:
    return {
        number
        for entity in store.entities()
        for number in store._index.of_entities([entity.id])[-WARM_PER_ENTITY:]
    }


def test_a_store_reopened_reads_only_its_entities_newest_facts(db_path: Path) -> None:
    before = _history_store(db_path)
    with FactStore(db_path) as store:
        assert store._facts._changed == {} and store._revision_records._changed == {}
        # What a card shows first is decoded at start (the cache has room for all here);
        # nothing else is read.
        assert set(store._facts._cache) == _newest_of_each_entity(store)
        assert len(store._revision_records._cache) == 0
        assert _everything(store) == before


def test_warming_stops_where_the_cache_is_full(db_path: Path, monkeypatch: Any) -> None:
    _history_store(db_path)
    monkeypatch.setattr(repository, "FACT_CODEC", replace(repository.FACT_CODEC, cached=10))
    monkeypatch.setattr(
        repository, "RECORD_CODECS", {**repository.RECORD_CODECS, "facts": repository.FACT_CODEC}
    )
    with FactStore(db_path) as store:
        assert len(store._facts._cache) <= 10
        assert len(store.facts()) > 10  # all there, read from the file when asked


def test_a_store_without_its_saved_layout_reads_every_record_once(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    before = _history_store(db_path)
    index_file = db_path.with_name(db_path.name + ".index")
    for damage in (b"", b"{ torn", b'{"snapshot": "0:0", "regions": {}}'):
        index_file.write_bytes(damage)
        with FactStore(db_path) as store:
            assert _everything(store) == before
        # Saved again at that start: the next one reads only what it warms.
        with FactStore(db_path) as store:
            assert set(store._facts._cache) == _newest_of_each_entity(store)
            assert _everything(store) == before


def test_a_damaged_record_line_is_refused_at_start(db_path: Path) -> None:
    _history_store(db_path)
    raw = db_path.read_bytes()
    at = raw.index(b'"statement"')
    db_path.write_bytes(raw[:at] + b'"statement" "broken' + raw[at + 13 :])
    with pytest.raises(StoreCorruptError):
        FactStore(db_path)


def test_facts_written_during_a_background_compaction_are_kept(db_path: Path) -> None:
    store = FactStore(db_path, compact_after=10**6)
    store.seed()
    added = [store.add_fact(make_fact(store, f"before {n}")) for n in range(5)]
    started, release = threading.Event(), threading.Event()
    save = store._storage.save_snapshot

    def slow_save(tables: Any) -> Any:
        started.set()
        release.wait(10)
        return save(tables)

    store._storage.save_snapshot = slow_save  # type: ignore[method-assign]
    store.compact(wait=False)
    assert started.wait(10)
    added += [store.add_fact(make_fact(store, f"during {n}")) for n in range(5)]
    store.put_fact(replace(added[0], status="confirmed"))
    store.delete_fact(added[1].id)
    release.set()
    assert store._compaction is not None
    store._compaction.join()
    expected = _everything(store)
    assert store.fact(added[0].id) == replace(added[0], status="confirmed")
    assert store.fact(added[1].id) is None
    store.close()
    with FactStore(db_path) as reopened:
        assert _everything(reopened) == expected
