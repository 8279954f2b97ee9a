"""Briefings to take away: one company's or product's facts with their statuses, dates and
full citations (title, outlet, link), its open claims, and its timeline, written as
Markdown or CSV. Every line that states something carries its source: a briefing is read
away from Slack, where nobody can click through to ask where a claim came from."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from slackbot.core.claims import ClaimState, SubjectUnclear, is_open, subject_of
from slackbot.core.intel import SummitIntel
from slackbot.core.timeline import date_order
from storage.api import Entity, Fact, first_day

FORMATS = ("md", "csv")
STATUS_WORDS = {
    "confirmed": "Confirmed",
    "reported": "Reported",
    "expected": "Expected",
    "retracted": "Retracted",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = (
    "id",
    "status",
    "happened_on",
    "reported_on",
    "statement",
    "open_claim",
    "outcome",
    "source_title",
    "outlet",
    "link",
)


@dataclass(frozen=True)
class Briefing:
    subject: Entity
    facts: list[Fact]  # every active fact naming it (its people too), in date order
    claims: dict[str, ClaimState]  # the Expected ones among them
    retracted: int
    today: date

    @property
    def open_claims(self) -> list[ClaimState]:
        opened = [state for state in self.claims.values() if is_open(state.claim)]
        return sorted(opened, key=lambda state: (-state.open_days, state.claim.number))

    def filename(self, kind: str) -> str:
        slug = "".join(ch if ch.isalnum() else "-" for ch in self.subject.name.lower())
        return f"summit-brief-{slug.strip('-') or self.subject.id}-{self.today}.{kind}"


def briefing(intel: SummitIntel, query: str) -> Briefing | SubjectUnclear:
    found = subject_of(intel.matcher, query, "brief")
    if isinstance(found, SubjectUnclear):
        return found
    subject, involved = found
    facts = intel.store.facts_involving(involved)
    active = [fact for fact in facts if fact.status != "retracted"]
    ordered = sorted(active, key=date_order)
    book = intel.claims
    today = book.today()
    claims = {fact.id: state for fact in ordered if (state := book.state(fact, today)) is not None}
    return Briefing(subject, ordered, claims, len(facts) - len(active), today)


def outlet(fact: Fact) -> str:
    """Who published the source: its web address's host, without www."""
    host = urlsplit(fact.source.url or "").hostname or ""
    return host.removeprefix("www.")


def citation(fact: Fact) -> str:
    """Title, outlet and link, as Markdown."""
    title = _md(fact.source.title or "source")
    where = outlet(fact)
    if fact.source.url:
        return f"[{title}]({fact.source.url})" + (f", {where}" if where else "")
    return title


def _md(text: str) -> str:
    """Text as Markdown shows it: no accidental links, emphasis or tables."""
    for mark in ("\\", "[", "]", "*", "_", "`", "|", "<", ">", "#"):
        text = text.replace(mark, "\\" + mark)
    return " ".join(text.split())


def _claim_note(state: ClaimState | None) -> str:
    if state is None:
        return ""
    if state.outcome is not None:
        outcome = state.outcome
        when = f" on {outcome.happened_on}" if outcome.happened_on else ""
        if state.claim.did_not_happen:
            return f" → did not happen{when} ({outcome.id})"
        return f" → {STATUS_WORDS.get(outcome.status, outcome.status)}{when} ({outcome.id})"
    stale = ", stale" if state.stale else ""
    return f" (open claim, {state.open_days} days{stale})"


def markdown(brief: Briefing) -> str:
    subject = brief.subject
    name = _md(subject.name) + (f" ({_md(subject.korean_name)})" if subject.korean_name else "")
    lines = [
        f"# Briefing: {name}",
        "",
        f"Summit Intel, {brief.today}. {len(brief.facts)} fact(s); "
        f"{len(brief.open_claims)} open claim(s); {brief.retracted} retracted fact(s) left out.",
        "",
        "## Facts",
        "",
    ]
    if not brief.facts:
        lines.append("No facts name it yet.")
    for fact in brief.facts:
        status = STATUS_WORDS.get(fact.status, fact.status)
        note = _claim_note(brief.claims.get(fact.id))
        when = fact.dated_on or "undated"
        lines.append(
            f"- **{status}**{note} · {fact.id} · {when}: {_md(fact.statement)} "
            f"— Source: {citation(fact)}"
        )
    lines += ["", "## Open claims", ""]
    if not brief.open_claims:
        lines.append("None: every Expected fact has its outcome.")
    for state in brief.open_claims:
        claim = state.claim
        stale = " (stale)" if state.stale else ""
        review = f"; review on {claim.review_on}" if claim.review_on else ""
        lines.append(
            f"- {claim.id}, open {state.open_days} days{stale}{review}: {_md(claim.statement)} "
            f"— Source: {citation(claim)}"
        )
    lines += ["", "## Timeline", ""]
    month = None
    for fact in brief.facts:
        dated = fact.dated_on
        label = date.fromisoformat(first_day(dated)).strftime("%B %Y") if dated else "Undated"
        if label != month:
            lines += ([""] if month else []) + [f"### {label}", ""]
            month = label
        when = fact.dated_on or "undated"
        lines.append(f"- {when} · {fact.id} · {_md(fact.statement)} — Source: {citation(fact)}")
    return "\n".join(lines).rstrip() + "\n"


def rows(brief: Briefing) -> list[dict[str, str]]:
    found = []
    for fact in brief.facts:
        state = brief.claims.get(fact.id)
        found.append(
            {
                "id": fact.id,
                "status": fact.status,
                "happened_on": fact.happened_on or "",
                "reported_on": fact.reported_on or "",
                "statement": fact.statement,
                "open_claim": "yes" if state is not None and state.outcome is None else "",
                "outcome": state.outcome.id if state is not None and state.outcome else "",
                "source_title": fact.source.title or "",
                "outlet": outlet(fact),
                "link": fact.source.url or "",
            }
        )
    return found


def as_csv(brief: Briefing) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows(brief):
        # A cell starting with = + - @ is run as a formula by spreadsheets (CSV injection).
        writer.writerow({k: "'" + v if v[:1] in FORMULA_STARTS else v for k, v in row.items()})
    return out.getvalue()


def render(brief: Briefing, kind: str) -> str:
    if kind not in FORMATS:
        raise ValueError(f"a briefing is md or csv, not {kind!r}")
    return markdown(brief) if kind == "md" else as_csv(brief)


def parse_request(text: str) -> tuple[str, str]:
    """``samsung``, ``samsung csv`` or ``samsung --format md``: what, and in which format."""
    words = text.split()
    kind = "md"
    if words and words[-1].lower() in FORMATS:
        kind = words.pop().lower()
        if words and words[-1] == "--format":
            words.pop()
    return " ".join(words), kind
