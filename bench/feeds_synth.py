"""Synthetic news feeds with a labelled answer for deduplication: ``feeds`` RSS documents of
``items`` each, a share of which retell a story another outlet also ran (the same story in
other words, within a week); every item is labelled with its story.

Stories are built so that telling them apart is not trivial: some are "siblings", the same
company, verb and object with one name or number changed, which a deduplicator must keep
apart."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

# Each company and the shorter name a retelling may use. MS and LG alone name Microsoft and
# LG Electronics only where an item confirms it (slackbot/core/namesakes.py): a retelling
# that shortens them writes MSFT and LGE, which need no confirmation.
COMPANIES = [
    ("Samsung Electronics", "Samsung"),
    ("SK Hynix", "SK hynix"),
    ("LG Electronics", "LGE"),
    ("SK Telecom", "SKT"),
    ("Microsoft", "MSFT"),
]
PARTNERS = ["Microsoft", "Google", "Anthropic", "Nvidia", "OpenAI", "AMD", "Intel", "Meta"]
VERBS = ["ships", "signs", "unveils", "expands", "tests", "delays", "doubles", "wins", "opens"]
OBJECTS = [
    "HBM3E samples",
    "CXL drives",
    "SSD orders",
    "AI data centre",
    "Mach-1 chips",
    "Copilot devices",
    "telco AI model",
    "packaging line",
    "memory contract",
    "cloud deal",
]
SYLLABLES = "ba ko ri mu se ta ni ve lo pu da ki zo re fa hi".split()
ADVERBS = ["reportedly", "officially", "quietly", "finally"]


@dataclass(frozen=True)
class Item:
    feed: int
    number: int
    story: int
    title: str
    published: datetime

    @property
    def link(self) -> str:
        return f"https://outlet{self.feed}.example/news/{self.number}"


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(3))


def _story_title(rng: random.Random, used: set[str]) -> tuple[str, str, str, list[str]]:
    company = rng.choice(COMPANIES)[0]
    words = [_word(rng), _word(rng)]
    while " ".join(words) in used:  # each story has its own project name
        words = [_word(rng), _word(rng)]
    used.add(" ".join(words))
    return company, rng.choice(VERBS), rng.choice(OBJECTS), words


def _headline(company: str, verb: str, thing: str, words: list[str], partner: str) -> str:
    return f"{company} {verb} {thing} for {partner} in {words[0].capitalize()} {words[1]} project"


def _retold(title: str, rng: random.Random, company: str) -> str:
    """The same story as another outlet words it."""
    short = dict(COMPANIES).get(company, company)
    options = [
        lambda t: f"{t} - Outlet {rng.randint(1, 99)}",
        lambda t: t.replace(company, short, 1),
        lambda t: t.replace(" in ", f" {rng.choice(ADVERBS)} in ", 1),
        lambda t: f"{t} | Korea Tech Daily",
    ]
    for change in rng.sample(options, 2):
        title = change(title)
    return title


def generate(
    feeds: int = 200, items: int = 50, near_share: float = 0.2, seed: int = 12
) -> list[Item]:
    rng = random.Random(seed)
    start = datetime(2024, 5, 1, tzinfo=UTC)
    total = feeds * items
    retellings = int(total * near_share)
    stories: list[tuple[str, str, datetime]] = []  # title, company, published
    used: set[str] = set()
    for _ in range(total - retellings):
        company, verb, thing, words = _story_title(rng, used)
        if stories and rng.random() < 0.05:
            # A sibling: the last story with another partner (a different development).
            base_title, base_company, published = stories[-1]
            partner = next(p for p in rng.sample(PARTNERS, len(PARTNERS)) if p not in base_title)
            old = next(p for p in PARTNERS if f" for {p} " in base_title)
            sibling = base_title.replace(f" for {old} ", f" for {partner} ")
            if sibling not in used:
                used.add(sibling)
                stories.append((sibling, base_company, published))
                continue
        published = start + timedelta(minutes=rng.randint(0, 60 * 24 * 20))
        headline = _headline(company, verb, thing, words, rng.choice(PARTNERS))
        used.add(headline)
        stories.append((headline, company, published))
    slots = [(feed, number) for feed in range(feeds) for number in range(items)]
    rng.shuffle(slots)
    made: list[Item] = []
    for story, (title, _company, published) in enumerate(stories):
        feed, number = slots[story]
        made.append(Item(feed, number, story, title, published))
    for feed, number in slots[len(stories) :]:
        story = rng.randrange(len(stories))
        title, company, published = stories[story]
        when = published + timedelta(hours=rng.randint(0, 48))
        made.append(Item(feed, number, story, _retold(title, rng, company), when))
    return made


def documents(made: list[Item]) -> dict[int, bytes]:
    """Each feed's RSS 2.0 document."""
    by_feed: dict[int, list[Item]] = {}
    for item in made:
        by_feed.setdefault(item.feed, []).append(item)
    out = {}
    for feed, feed_items in by_feed.items():
        entries = "".join(
            f"<item><title>{escape(item.title)}</title><link>{item.link}</link>"
            f'<guid isPermaLink="true">{item.link}</guid>'
            f"<pubDate>{format_datetime(item.published)}</pubDate></item>"
            for item in sorted(feed_items, key=lambda i: i.number)
        )
        out[feed] = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Outlet {feed}</title><link>https://outlet{feed}.example/</link>"
            f"{entries}</channel></rss>"
        ).encode()
    return out


def pair_scores(made: list[Item], groups: list[list[str]]) -> tuple[float, float, int, int]:
    """Precision and recall of putting items together: over pairs of items, those the
    deduplicator made one candidate against those that are one story."""
    story_of = {item.link: item.story for item in made}
    predicted = set()
    for links in groups:
        known = sorted(link for link in links if link in story_of)
        predicted |= {(a, b) for i, a in enumerate(known) for b in known[i + 1 :]}
    by_story: dict[int, list[str]] = {}
    for item in made:
        by_story.setdefault(item.story, []).append(item.link)
    truth = set()
    for links in by_story.values():
        ordered = sorted(links)
        truth |= {(a, b) for i, a in enumerate(ordered) for b in ordered[i + 1 :]}
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(truth) if truth else 1.0
    return precision, recall, len(predicted), len(truth)
