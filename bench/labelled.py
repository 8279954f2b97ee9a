"""Section 11: the feed pipeline's judgement on hand-labelled headlines (tests/labelled):
which entities a headline names, the kind suggested, and whether two headlines tell one
story, beside the plain approaches in the same run (every name matched as written; stories
found by their words alone, as before issue 26)."""

from __future__ import annotations

from bench.report import Report, fmt
from slackbot.core.mentions import MentionFinder
from storage.api import Entity
from storage.seed import load_seed
from tests.labelled.scoring import Scores, entity_scores, kind_accuracy, seed_finder, story_scores


def _plain_finder() -> MentionFinder:
    seed = load_seed()
    entities = [Entity.from_doc({**doc, "origin": "seed"}) for doc in seed["entities"]]
    return MentionFinder(entities, namesakes=(), confirm_weak_names=False)


class _WordsOnly(MentionFinder):
    """Stories compared by their words alone: no companies, products or amounts."""

    def story_names(self, text: str) -> tuple[frozenset[str], frozenset[str]]:
        return frozenset(), frozenset()


def _words_only() -> MentionFinder:
    seed = load_seed()
    return _WordsOnly([Entity.from_doc({**doc, "origin": "seed"}) for doc in seed["entities"]])


def _row(what: str, ours: Scores, plain: Scores, target: str) -> list[str]:
    return [
        what,
        str(ours.items),
        f"{fmt(ours.precision, 3)} / {fmt(ours.recall, 3)}",
        f"{fmt(plain.precision, 3)} / {fmt(plain.recall, 3)}",
        target,
    ]


def labelled_section() -> Report:
    report = Report(
        "11. Names and stories on labelled headlines (precision / recall)",
        ["set", "items", "Summit Intel", "plain baseline", "target"],
    )
    ours, plain = seed_finder(), _plain_finder()
    for name, label in (
        ("headlines.jsonl", "names: headlines (English and Korean)"),
        ("headlines_held_out.jsonl", "names: held-out headlines"),
    ):
        target = "≥ 0.97 / ≥ 0.95" if "held" not in name else ""
        report.rows.append(
            _row(label, entity_scores(name, ours), entity_scores(name, plain), target)
        )
    for name, label in (
        ("story_pairs.jsonl", "one story: labelled pairs"),
        ("story_pairs_held_out.jsonl", "one story: held-out pairs"),
    ):
        target = "≥ 0.9 / ≥ 0.9" if "held" not in name else ""
        report.rows.append(
            _row(label, story_scores(name, ours), story_scores(name, _words_only()), target)
        )
    for name, label in (
        ("headlines.jsonl", "suggested kind right: headlines"),
        ("headlines_held_out.jsonl", "suggested kind right: held-out"),
    ):
        accuracy, _misses = kind_accuracy(name)
        count = entity_scores(name, ours).items
        report.rows.append([label, str(count), fmt(accuracy, 3), "", "≥ 0.85"])
    report.notes.append(
        "Names: precision and recall over (headline, entity) pairs. The plain baseline "
        "matches every name and alias as written (no namesakes of the Samsung, LG and SK "
        "groups, no confirmation of MS, LG, Gates); stories: the plain baseline is the "
        "words-only comparison used before (token-set ratio after normalising names)."
    )
    report.notes.append(
        "The first sets were written before the rules and the rules improved on what they "
        "missed, so their figures are in-sample. The held-out sets were written afterwards; "
        "scored as they came they gave names 0.957 / 1.000 and stories 0.857 / 1.000, and "
        "two changes followed from what they showed (the short form Samsung Heavy known as "
        "a namesake; one company alone in two languages no longer one story on its kind "
        "alone), so they are held out no longer. Story pairs: the second headline comes "
        "`hours` after the first; a quarter or more of the pairs are across English and "
        "Korean."
    )
    return report
