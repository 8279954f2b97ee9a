"""Where the store meets TinyDB's internals: tables of model records (``RecordTable``) and an
in-place table write. Everything here leans on TinyDB 4.x private behaviour; the tests in
``tests/test_storage_glue.py`` fail when TinyDB changes it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

from tinydb.table import Table

from storage.stored_records import CACHED_RECORDS, StoredRecords


@dataclass(frozen=True)
class Codec:
    """How a table's records become TinyDB documents and back."""

    decode: Callable[[dict[str, Any]], Any]
    encode: Callable[[Any], dict[str, Any]]
    # How many decoded records the table keeps (storage.stored_records).
    cached: int = CACHED_RECORDS


class RecordTable(MutableMapping[str, dict[str, Any]]):
    """A raw TinyDB table (``{"7": document}``) that keeps model records, not documents.

    A large table held as TinyDB documents costs a dict per document on top of the record
    the store works with; this one keeps only the records (``records``, by int doc id, most
    of them left in the snapshot file until read), encodes a document when TinyDB asks for
    one and decodes what TinyDB writes."""

    def __init__(self, codec: Codec) -> None:
        self.codec = codec
        self.records = StoredRecords(codec.decode, codec.cached)

    def __getitem__(self, doc_id: str) -> dict[str, Any]:
        return self.codec.encode(self.records[int(doc_id)])

    def __setitem__(self, doc_id: str, doc: dict[str, Any]) -> None:
        self.records[int(doc_id)] = self.codec.decode(doc)

    def __delitem__(self, doc_id: str) -> None:
        del self.records[int(doc_id)]

    def __contains__(self, doc_id: object) -> bool:
        try:
            return int(doc_id) in self.records  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return False

    def __iter__(self) -> Iterator[str]:
        return map(str, self.records)

    def __len__(self) -> int:
        return len(self.records)

    def documents(self) -> Iterator[tuple[int, dict[str, Any]]]:
        encode = self.codec.encode
        return ((doc_id, encode(record)) for doc_id, record in self.records.scan())


Tables = dict[str, "dict[str, Any] | RecordTable"]


class _DocIdView(MutableMapping[int, Any]):
    """A table's raw ``{"7": doc}`` mapping seen as ``{7: doc}``, the form TinyDB's updaters
    use. TinyDB updates a document by changing the dict it reads; a ``RecordTable`` builds
    that dict afresh, so what was read is written back when the updater is done."""

    def __init__(self, raw: MutableMapping[str, Any]) -> None:
        self._raw = raw
        self._read: dict[int, Any] = {}

    def __getitem__(self, doc_id: int) -> Any:
        doc = self._raw[str(doc_id)]
        self._read[doc_id] = doc
        return doc

    def __setitem__(self, doc_id: int, doc: Any) -> None:
        self._read.pop(doc_id, None)
        self._raw[str(doc_id)] = doc

    def __delitem__(self, doc_id: int) -> None:
        self._read.pop(doc_id, None)
        del self._raw[str(doc_id)]

    def write_back(self) -> None:
        if isinstance(self._raw, RecordTable):
            for doc_id, doc in self._read.items():
                self._raw[str(doc_id)] = doc
        self._read.clear()

    def __contains__(self, doc_id: object) -> bool:
        return str(doc_id) in self._raw

    def __iter__(self) -> Iterator[int]:
        return (int(doc_id) for doc_id in self._raw)

    def __len__(self) -> int:
        return len(self._raw)


class InPlaceTable(Table):
    """A TinyDB table that updates the in-memory data where it lies.

    TinyDB's own ``_update_table`` copies the whole table twice (to int keys and back) on
    every write, so a write costs time in proportion to the table; with ``SnapshotStorage``
    the data is already in memory and can be changed in place, in time proportional to the
    change."""

    # Overrides TinyDB 4.x's private Table._update_table(updater), which TinyDB calls for
    # every insert, update and remove; the pinned signature and call sites are checked by
    # tests/test_storage_glue.py. The storage is a SnapshotStorage (it has ``table()``).
    def _update_table(self, updater: Callable[[dict[int, Any]], None]) -> None:
        storage: Any = self._storage
        view = _DocIdView(storage.table(self.name))
        updater(view)  # type: ignore[arg-type]
        view.write_back()
        self.clear_cache()
