"""Scoring the feed pipeline's judgement on labelled headlines, for the tests and the
benchmark alike: which entities a headline names (precision and recall over headline and
entity pairs), the kind suggested for it, and whether two headlines tell one story.

The sets are headlines in the shapes English and Korean outlets write them, labelled by
hand: ``headlines.jsonl`` and ``story_pairs.jsonl`` were written first and the matcher's
rules improved on what they missed; the ``*_held_out`` sets were written after, without
running the matcher on them, and are scored apart (bench/labelled.py says what changed
after they were first scored)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from slackbot.core.feeds.classify import suggested_kind
from slackbot.core.feeds.dedupe import NearDuplicates
from slackbot.core.mentions import MentionFinder
from storage.api import Entity
from storage.seed import load_seed

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Scores:
    name: str
    items: int
    precision: float
    recall: float
    misses: list[str]  # what it got wrong, for the report


def seed_finder() -> MentionFinder:
    seed = load_seed()
    return MentionFinder([Entity.from_doc({**doc, "origin": "seed"}) for doc in seed["entities"]])


def _rows(name: str) -> list[dict[str, object]]:
    with (HERE / name).open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def entity_scores(name: str = "headlines.jsonl", finder: MentionFinder | None = None) -> Scores:
    finder = finder or seed_finder()
    rows = _rows(name)
    hits = wrong = missed = 0
    misses = []
    for row in rows:
        got = set(finder.entity_ids(str(row["text"])))
        wanted = set(row["entities"])  # type: ignore[call-overload]
        hits += len(got & wanted)
        wrong += len(got - wanted)
        missed += len(wanted - got)
        if got != wanted:
            misses.append(f"{row['text']}: +{sorted(got - wanted)} -{sorted(wanted - got)}")
    return Scores(name, len(rows), _ratio(hits, hits + wrong), _ratio(hits, hits + missed), misses)


def kind_accuracy(name: str = "headlines.jsonl") -> tuple[float, list[str]]:
    rows = _rows(name)
    misses = [
        f"{row['text']}: {suggested_kind(str(row['text']))}, labelled {row['kind']}"
        for row in rows
        if suggested_kind(str(row["text"])) != row["kind"]
    ]
    return 1 - len(misses) / len(rows), misses


def story_scores(name: str = "story_pairs.jsonl", finder: MentionFinder | None = None) -> Scores:
    """Precision and recall of "the same story" over labelled pairs: the first headline is
    seen, the second comes ``hours`` later."""
    finder = finder or seed_finder()
    rows = _rows(name)
    start = datetime(2024, 6, 1, tzinfo=UTC)
    true_same = false_same = missed = 0
    misses = []
    for row in rows:
        recent = NearDuplicates(finder.canonical, story=finder.story_names)
        recent.add("first", str(row["a"]), start)
        later = start + timedelta(hours=float(row["hours"]))  # type: ignore[arg-type]
        same = recent.find(str(row["b"]), later) == "first"
        if same and row["same"]:
            true_same += 1
        elif same:
            false_same += 1
            misses.append(f"told apart wrongly merged: {row['a']} | {row['b']}")
        elif row["same"]:
            missed += 1
            misses.append(f"one story kept apart: {row['a']} | {row['b']}")
    precision = _ratio(true_same, true_same + false_same)
    return Scores(name, len(rows), precision, _ratio(true_same, true_same + missed), misses)


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0
