"""The store's own metrics (prometheus-client): how long durable writes take and how many
fail, by backend. Kept in storage, which knows nothing above it; the app's /metrics
(slackbot.telemetry) serves them with the rest."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Histogram

STORE_WRITES = Histogram(
    "summitbot_store_write_seconds",
    "Time to make one batch of changes durable (journal fsync, or a PostgreSQL commit)",
    ["backend"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30),
)
STORE_WRITE_FAILURES = Counter(
    "summitbot_store_write_failures", "Batches of changes that could not be stored", ["backend"]
)


@contextmanager
def timed_write(backend: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    except BaseException:
        STORE_WRITE_FAILURES.labels(backend).inc()
        raise
    finally:
        STORE_WRITES.labels(backend).observe(time.perf_counter() - started)
