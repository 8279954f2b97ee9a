"""The digests' tables in the store: channel subscriptions, and the slot records that say
whether a channel's digest for a given time went out (claimed, posting, retrying, posted).
A part of ``FactStore`` (which provides the locks and the journaled write), kept apart
because it is its own idea, as ``ReviewTables`` is."""

from __future__ import annotations

from typing import Any

from storage.models import Subscription
from storage.tables import SLOTS, SUBSCRIPTIONS, Change, TablePart, copy_document

# Digest slot states that are not final (see slackbot.core.digests).
OPEN_SLOT_STATES = frozenset({"claimed", "posting", "retrying"})


class DigestTables(TablePart):
    """Subscriptions and slots, read from memory, written through ``FactStore._write``."""

    def _init_digest_tables(self) -> None:
        self._subscriptions: dict[str, Subscription] = {}
        self._slots: dict[str, dict[str, Any]] = {}
        # Slots not settled yet (claimed, posting, retrying): few, looked at often.
        self._open_slots: dict[str, dict[str, Any]] = {}

    def _remember_digest_doc(self, table_name: str, key: str, doc: dict[str, Any]) -> None:
        if table_name == SUBSCRIPTIONS:
            self._subscriptions[key] = Subscription.from_doc(doc)
            return
        self._slots[key] = doc
        if doc.get("status") in OPEN_SLOT_STATES:
            self._open_slots[key] = doc
        else:
            self._open_slots.pop(key, None)

    def _forget_digest_doc(self, table_name: str, key: str) -> None:
        if table_name == SUBSCRIPTIONS:
            self._subscriptions.pop(key, None)
            return
        self._slots.pop(key, None)
        self._open_slots.pop(key, None)

    def subscription(self, channel_id: str) -> Subscription | None:
        with self._reads:
            return self._subscriptions.get(channel_id)

    def subscriptions(self) -> list[Subscription]:
        with self._reads:
            return list(self._subscriptions.values())

    def put_subscription(self, subscription: Subscription) -> None:
        with self._lock:
            self._write([(SUBSCRIPTIONS, subscription.channel_id, subscription.to_doc())])

    def delete_subscription(self, channel_id: str) -> None:
        with self._lock:
            self._write([(SUBSCRIPTIONS, channel_id, None)])

    def slot(self, key: str) -> dict[str, Any] | None:
        with self._reads:
            doc = self._slots.get(key)
        return copy_document(doc) if doc is not None else None

    def open_slots(self, channel_id: str | None = None) -> dict[str, dict[str, Any]]:
        """Slots claimed, part-posted or waiting for a retry, by key (one channel's when
        ``channel_id`` is given)."""
        with self._reads:
            found = {
                key: doc
                for key, doc in self._open_slots.items()
                if channel_id is None or key.startswith(channel_id + "|")
            }
        # Documents are replaced on write, never changed in place: copied outside the lock.
        return {key: copy_document(doc) for key, doc in found.items()}

    def record_slot(
        self, key: str, record: dict[str, Any], subscription: Subscription | None = None
    ) -> None:
        """Records a digest slot's outcome, with the subscription's new marks, in one batch."""
        with self._lock:
            changes: list[Change] = [(SLOTS, key, record)]
            if subscription is not None:
                changes.append((SUBSCRIPTIONS, subscription.channel_id, subscription.to_doc()))
            self._write(changes)
