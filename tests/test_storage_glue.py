"""The store leans on TinyDB 4.x's private ``Table._update_table`` (see storage/tinydb_glue.py).
These tests fail when a TinyDB release changes what the override relies on."""

from __future__ import annotations

import inspect
from importlib.metadata import version
from pathlib import Path

from tinydb import Query, TinyDB
from tinydb.table import Table

from storage.snapshot import SnapshotStorage
from storage.tinydb_glue import InPlaceTable


def test_tinydb_still_routes_every_write_through_update_table() -> None:
    assert version("tinydb").split(".")[0] == "4"
    parameters = list(inspect.signature(Table._update_table).parameters)
    assert parameters == ["self", "updater"]
    # (upsert goes through update and insert.)
    for method in ("insert", "insert_multiple", "update", "remove", "truncate"):
        source = inspect.getsource(getattr(Table, method))
        assert "self._update_table(" in source, f"Table.{method} no longer calls _update_table"
    assert "_update_table" in InPlaceTable.__dict__


def test_the_override_writes_where_the_data_lies(tmp_path: Path) -> None:
    storage = SnapshotStorage(tmp_path / "glue.json")
    db = TinyDB(storage=lambda: storage)
    db.table_class = InPlaceTable
    table = db.table("things")
    first = table.insert({"name": "hbm"})
    table.insert_multiple([{"name": "ssd"}, {"name": "cxl"}])
    table.update({"name": "HBM"}, doc_ids=[first])
    table.remove(Query().name == "ssd")
    assert sorted(doc["name"] for doc in table.all()) == ["HBM", "cxl"]
    assert table.get(doc_id=first) == {"name": "HBM"}
