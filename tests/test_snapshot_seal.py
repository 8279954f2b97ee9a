"""A damaged snapshot (issue 27, item 6): a fact's line deleted, a line changed, garbage
appended. Each once started the app with an INFO line and the fact silently gone; now the
seal refuses the start naming what is damaged, and `summitbot repair` says what it restores
and what it drops. Real store files, the real CLI in a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tinydb import TinyDB

from storage.errors import StoreCorruptError
from storage.repository import FactStore
from tests.test_faults import summitbot


@pytest.fixture
def sealed(tmp_path: Path) -> Path:
    db = tmp_path / "data" / "summit.json"
    with FactStore(db) as store:
        store.seed()
        store.compact()
    return db


def fact_line(db: Path, fact_id: str) -> bytes:
    for line in db.read_bytes().splitlines(keepends=True):
        if f'"id":"{fact_id}"'.encode() in line and b'"statement"' in line:
            return line
    raise AssertionError(f"{fact_id} is not in the snapshot")


def test_a_sealed_snapshot_is_still_a_file_plain_tinydb_opens(sealed: Path) -> None:
    with TinyDB(sealed) as plain:
        assert "_seal" in plain.tables()
        assert len(plain.table("facts")) > 10


def test_a_deleted_line_refuses_the_start_naming_the_fact_and_repair_drops_only_it(
    sealed: Path,
) -> None:
    with FactStore(sealed) as store:
        count = store.fact_count()
    line = fact_line(sealed, "F7")
    sealed.write_bytes(sealed.read_bytes().replace(line, b""))
    refused = summitbot(sealed, "ask", "/whois samsung")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "is damaged" in refused.stderr and "(F7) is missing" in refused.stderr
    assert "summitbot repair" in refused.stderr

    repaired = summitbot(sealed, "repair")
    assert repaired.returncode == 0, repaired.stderr
    said = repaired.stdout
    assert f"{count - 1:,} facts" in said or "records are intact and restored" in said
    assert "dropped: facts doc" in said and "(F7) (its line is gone)" in said
    assert "kept as summit.json.bad-" in said
    assert list(sealed.parent.glob("summit.json.bad-*"))
    with FactStore(sealed) as store:
        assert store.fact("F7") is None and store.fact_count() == count - 1


def test_garbage_appended_refuses_the_start_and_repair_keeps_every_record(sealed: Path) -> None:
    with FactStore(sealed) as store:
        count = store.fact_count()
    with sealed.open("ab") as handle:
        handle.write(b'{"facts": {"999": {"statement": "planted"}}}\n')
    with pytest.raises(StoreCorruptError, match="bytes follow its end"):
        FactStore(sealed)
    repaired = summitbot(sealed, "repair")
    assert repaired.returncode == 0 and "bytes after the end" in repaired.stdout
    with FactStore(sealed) as store:
        assert store.fact_count() == count


def test_a_changed_line_is_named_and_dropped(sealed: Path) -> None:
    line = fact_line(sealed, "F3")
    changed = line.replace(b"Samsung", b"Samsunk", 1)
    assert changed != line
    sealed.write_bytes(sealed.read_bytes().replace(line, changed))
    with pytest.raises(StoreCorruptError, match=r"\(F3\) is changed"):
        FactStore(sealed)
    repaired = summitbot(sealed, "repair")
    assert "(F3) (changed)" in repaired.stdout
    with FactStore(sealed) as store:
        assert store.fact("F3") is None and store.fact("F4") is not None


def test_an_intact_store_is_left_as_it_is_by_repair(sealed: Path) -> None:
    before = sealed.read_bytes()
    repaired = summitbot(sealed, "repair")
    assert repaired.returncode == 0 and "the snapshot is intact" in repaired.stdout
    assert sealed.read_bytes() == before


def test_a_snapshot_from_before_seals_opens_and_is_sealed_at_the_next_compaction(
    sealed: Path,
) -> None:
    raw = sealed.read_bytes()
    start = raw.index(b'"_seal":{')
    # As an older version wrote it: the last table closes the file.
    unsealed = raw[:start].rstrip(b",\n") + b"\n}\n"
    assert unsealed.endswith(b"}\n}\n")
    sealed.write_bytes(unsealed)
    sealed.with_name(sealed.name + ".index").unlink(missing_ok=True)
    json.loads(unsealed)  # still the JSON document TinyDB reads
    with FactStore(sealed) as store:
        count = store.fact_count()
        assert count > 10
        store.compact()
    assert b'"_seal":{' in sealed.read_bytes()
    with FactStore(sealed) as store:
        assert store.fact_count() == count
