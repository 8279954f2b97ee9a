"""Section 15's other way: answering from SQL (the issue's alternative to a working set),
measured beside the working set's uncached answers in the same run.

What is measured is a lower bound of an answer from SQL, not an answer: for each question
of the working set's measurement (a name of the template's entities, asked in a workspace),
the two queries a `/whois` from SQL needs at the least, over the same 8 clients: the entity
whose name is nearest the question (``pg_trgm``'s similarity, for typos), then the latest
facts that name it and how many there are. No HTTP, no rendering, no aliases, Korean names,
namesakes or ranking, all of which the working set's figure includes: if even this is not
clearly faster than a whole answer from memory, answering from SQL is not "as fast"."""

from __future__ import annotations

import random
import statistics
import threading
import time

import psycopg

from bench import measure
from bench.report import fmt

CLIENTS = 8
INDEXES = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS bench_entity_names ON records "
    "USING gin ((doc->>'name') gin_trgm_ops) WHERE table_name = 'entities'",
    "CREATE INDEX IF NOT EXISTS bench_fact_entities ON records "
    "USING gin ((doc->'entity_ids')) WHERE table_name = 'facts'",
)
ENTITY = (
    "SELECT key FROM records WHERE workspace = %s AND table_name = 'entities' "
    "ORDER BY similarity(doc->>'name', %s) DESC LIMIT 1"
)
FACTS = (
    "SELECT doc, count(*) OVER () FROM records WHERE workspace = %s "
    "AND table_name = 'facts' AND doc->'entity_ids' ? %s "
    "ORDER BY doc->>'added_at' DESC LIMIT 5"
)


def _ask(url: str, questions: list[tuple[str, str]], latencies: list[float]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for workspace, name in questions:
            started = time.perf_counter()
            row = conn.execute(ENTITY, (workspace, name)).fetchone()
            assert row is not None, (workspace, name)
            conn.execute(FACTS, (workspace, row[0])).fetchall()
            latencies.append((time.perf_counter() - started) * 1000)


def answers_from_sql(
    url: str, warm: list[str], names: list[str], rounds: int, from_memory: measure.Stats
) -> list[list[str]]:
    """The same questions as the working set's uncached answers; returns section 15's row."""
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in INDEXES:
            conn.execute(statement)
        conn.execute("ANALYZE records")
    asked = [(workspace, name) for workspace in warm for name in names if name != "Samsung"]
    random.Random(30).shuffle(asked)
    asked = asked[: rounds * len(names)]
    latencies: list[float] = []
    clients = [
        threading.Thread(target=_ask, args=(url, asked[n::CLIENTS], latencies))
        for n in range(CLIENTS)
    ]
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    cuts = statistics.quantiles(latencies, n=100)
    return [
        [
            "",
            f"answering from SQL instead: the two queries a /whois needs at the least "
            f"(pg_trgm name match, then the entity's facts), 8 clients, the same "
            f"{len(asked)} questions, p50 / p99 (ms)",
            f"{fmt(cuts[49], 1)} / {fmt(cuts[98], 1)}",
            f"a whole uncached answer from the working set over HTTP: "
            f"{fmt(from_memory.p50, 1)} / {fmt(from_memory.p99, 1)}",
            "as fast as the working set",
        ]
    ]
