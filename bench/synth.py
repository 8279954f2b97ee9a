"""Realistic synthetic fact stores: companies, people and products with Korean names, and facts
with real-length statements, statuses, tags and sources, written as `summitbot import` lines."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

SYLLABLES = "ga na da ra ma ba sa a ja cha ka ta pa ha won jin soo min hee young jun seok".split()
HANGUL = "가나다라마바사아자차카타파하원진수민희영준석"
SECTORS = "Semiconductor Telecom Electronics Robotics Cloud Display Battery Mobility Bio".split()
PARTS = [
    ("HBM4", "hbm"),
    ("LPDDR6 modules", "memory"),
    ("PCIe 6 SSDs", "ssd"),
    ("CXL 3 memory expanders", "cxl"),
    ("NPU accelerators", "accelerator"),
    ("AI PC chips", "accelerator"),
    ("Copilot integrations", "ai-services"),
    ("Azure capacity", "cloud"),
    ("telecom LLMs", "llm"),
    ("edge AI modules", "edge"),
]
VERBS = [
    "signs a supply agreement with Microsoft for",
    "is said to be in talks with Microsoft about",
    "may start shipping samples of",
    "confirms a joint roadmap with Microsoft covering",
    "could expand its investment in",
    "announces a pilot programme with Microsoft for",
    "reports strong demand for",
    "opens a research centre in Pangyo focused on",
]
PLACES = "Seoul Suwon Icheon Pangyo Redmond Busan Incheon Daejeon Pyeongtaek Cheongju".split()
QUALIFIERS = [
    "according to people familiar with the matter",
    "as part of a multi-year plan announced at an investor event",
    "with volume production targeted for the second half of the year",
    "after months of qualification testing",
    "to support large language model training in Microsoft data centres",
    "pending regulatory approval in Korea and the United States",
]
STATUSES = ["reported"] * 5 + ["expected"] * 3 + ["confirmed"] * 2
KINDS = ["hardware", "partnership", "investment", "product", "agenda", "context"]


def _name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def _korean(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(HANGUL) for _ in range(length))


def synthetic_lines(facts: int, seed: int = 2024) -> Iterator[str]:
    """Entity lines first, then ``facts`` fact lines, all unique and valid."""
    rng = random.Random(seed)
    company_count = max(20, facts // 200)
    companies: list[str] = []
    seen: set[str] = set()
    n = 0
    while len(companies) < company_count:
        n += 1
        name = f"{_name(rng, 2)} {rng.choice(SECTORS)} {n}"
        if name.casefold() in seen:
            continue
        seen.add(name.casefold())
        entity_id = f"co-{n}"
        companies.append(entity_id)
        yield json.dumps(
            {
                "type": "entity",
                "id": entity_id,
                "name": name,
                "kind": "company",
                "aliases": [f"{name.split()[0]}{n}"],
                "korean_name": f"{_korean(rng, 3)}{n}",
            },
            ensure_ascii=False,
        )
    people: list[str] = []
    for n, company in enumerate(companies):
        for m in range(2):
            entity_id = f"person-{n}-{m}"
            people.append(entity_id)
            yield json.dumps(
                {
                    "type": "entity",
                    "id": entity_id,
                    "name": f"{_name(rng, 1)} {_name(rng, 1)}-{_name(rng, 1).lower()} {n}{m}",
                    "kind": "person",
                    "company_id": company,
                    "korean_name": f"{_korean(rng, 3)}{n}{m}",
                },
                ensure_ascii=False,
            )
    real = ["samsung", "sk-hynix", "lg-electronics", "sk-telecom", "microsoft"]
    for number in range(facts):
        part, tag = rng.choice(PARTS)
        subject = rng.choice(real) if rng.random() < 0.3 else rng.choice(companies)
        subject_name = subject.replace("-", " ").title() if subject in real else subject
        statement = (
            f"{subject_name} {rng.choice(VERBS)} {part} in {rng.choice(PLACES)}, "
            f"{rng.choice(QUALIFIERS)} (development {number})."
        )
        entities = [subject, "microsoft"] if subject != "microsoft" else [subject]
        if rng.random() < 0.2:
            entities.append(rng.choice(people))
        yield json.dumps(
            {
                "statement": statement,
                "kind": rng.choice(KINDS),
                "status": rng.choice(STATUSES),
                "entities": entities,
                "tags": [tag, rng.choice(["ai", "supply", "korea", "investment"])],
                "source_url": f"https://news.example.com/{number}",
                "source_title": f"Example Wire {number % 97}",
                "happened_on": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            },
            ensure_ascii=False,
        )


def write(path: str, facts: int) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for line in synthetic_lines(facts):
            handle.write(line + "\n")
