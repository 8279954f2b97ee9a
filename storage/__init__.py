"""The fact store. Only this package touches TinyDB; everything above it uses
``storage.api.Repository``."""

from storage.api import FactPage, Repository, SearchResult, SeedReport, utc_now
from storage.files import StoreCorruptError, StoreLockedError, StoreOpenError
from storage.journal import JournalCorruptError, StoreWriteError
from storage.models import (
    ENTITY_KINDS,
    FACT_KINDS,
    FACT_STATUSES,
    Candidate,
    Entity,
    Event,
    Fact,
    Feed,
    Revision,
    Source,
    Subscription,
)
from storage.repository import FactStore

__all__ = [
    "ENTITY_KINDS",
    "FACT_KINDS",
    "FACT_STATUSES",
    "Candidate",
    "Entity",
    "Event",
    "Fact",
    "FactPage",
    "FactStore",
    "Feed",
    "JournalCorruptError",
    "Repository",
    "Revision",
    "SearchResult",
    "SeedReport",
    "Source",
    "StoreCorruptError",
    "StoreLockedError",
    "StoreOpenError",
    "StoreWriteError",
    "Subscription",
    "utc_now",
]
