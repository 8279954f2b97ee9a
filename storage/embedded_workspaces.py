"""Many workspaces on the embedded store: a store file of each workspace's own, under one
folder. A single-workspace app needs none of this (its store is SUMMITBOT_DB); it is here so
that the embedded store keeps every workspace apart as PostgreSQL does, which the storage
contract suite checks of both."""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path
from typing import Any

from storage.models import Subscription, slot_retry_due
from storage.repository import FactStore

# Slack's team and enterprise ids are letters and digits; anything else never names a
# folder (a workspace id is not typed by people, but a path is no place to trust one).
WORKSPACE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
DEFAULT_FOLDER = "_default"


class EmbeddedWorkspaces:
    """``storage.api.Workspaces`` on the embedded store: ``<root>/<workspace>/summit.json``."""

    def __init__(self, root: str | Path, **store_options: Any) -> None:
        self.root = Path(root)
        self._options = store_options
        self._stores: dict[str, FactStore] = {}
        self._lock = threading.Lock()

    def _folder(self, workspace: str) -> Path:
        if workspace == "":
            return self.root / DEFAULT_FOLDER
        if not WORKSPACE_ID.fullmatch(workspace):
            raise ValueError(f"not a workspace id: {workspace!r}")
        return self.root / workspace

    def store(self, workspace: str) -> FactStore:
        with self._lock:
            store = self._stores.get(workspace)
            if store is None or store.closed:
                store = FactStore(self._folder(workspace) / "summit.json", **self._options)
                self._stores[workspace] = store
            return store

    def stored(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(
            "" if folder.name == DEFAULT_FOLDER else folder.name
            for folder in self.root.iterdir()
            if (folder / "summit.json").exists()
        )

    def delete(self, workspace: str) -> None:
        with self._lock:
            store = self._stores.pop(workspace, None)
            if store is not None:
                store.close()
            shutil.rmtree(self._folder(workspace), ignore_errors=True)

    # The scheduled work's questions, asked of each store: the embedded store holds every
    # workspace in memory anyway (PostgreSQL answers them in one query each).

    def every_subscription(self) -> list[tuple[str, Subscription]]:
        return [(ws, s) for ws in self.stored() for s in self.store(ws).subscriptions()]

    def with_retries_due(self, now: str) -> set[str]:
        return {
            ws
            for ws in self.stored()
            if any(slot_retry_due(slot, now) for slot in self.store(ws).open_slots().values())
        }

    def with_feeds_due(self, now: str) -> set[str]:
        return {ws for ws in self.stored() if any(feed.due(now) for feed in self.store(ws).feeds())}

    def with_status_changes_after(self, mark: str) -> set[str]:
        found = set()
        for ws in self.stored():
            store = self.store(ws)
            marked = store.meta(mark)
            if marked is not None and any(
                "status" in revision.changes
                for revision in store.revisions_since(str(marked["since"]))
            ):
                found.add(ws)
        return found

    def close(self) -> None:
        with self._lock:
            stores = list(self._stores.values())
            self._stores.clear()
        for store in stores:
            store.close()

    def __enter__(self) -> EmbeddedWorkspaces:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
