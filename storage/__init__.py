"""The fact store. Only this package touches TinyDB."""

from storage.files import StoreCorruptError, StoreLockedError, StoreOpenError
from storage.journal import JournalCorruptError, StoreWriteError
from storage.models import (
    ENTITY_KINDS,
    FACT_KINDS,
    FACT_STATUSES,
    Entity,
    Event,
    Fact,
    Revision,
    Source,
    Subscription,
)
from storage.repository import FactStore, SeedReport

__all__ = [
    "ENTITY_KINDS",
    "FACT_KINDS",
    "FACT_STATUSES",
    "Entity",
    "Event",
    "Fact",
    "FactStore",
    "JournalCorruptError",
    "Revision",
    "SeedReport",
    "Source",
    "StoreCorruptError",
    "StoreLockedError",
    "StoreOpenError",
    "StoreWriteError",
    "Subscription",
]
