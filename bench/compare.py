"""Section 14: this checkout beside an earlier revision, in the same run.

A change meant to keep behaviour and speed (issue 29's simpler house) must show that the
figures did not get worse; figures from different runs differ by more than such a change
does (machines of this kind have differed by 2x). So both are measured here, one after the
other, rounds interleaved: the earlier revision checked out with ``git worktree``, each
served by its own ``summitbot serve`` on a copy of the same store, answering the same
uncached questions (/whois, /chips, /summit search) at 8 and 32 clients from bench/load.py.
The store is the embedded one: both revisions must read its format."""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench import load
from bench.report import SECRET, Report, diverse_questions, fmt
from tests.fake_slack import BOT_TOKEN, FakeSlack
from tests.processes import ServerProcess
from tests.slack_client import DEFAULT_USER

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = (8, 32)


@contextmanager
def checked_out(revision: str, folder: Path) -> Iterator[Path]:
    """``revision`` of this repository, checked out into ``folder`` for the run."""
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(folder), revision],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    try:
        yield folder
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(folder)], cwd=ROOT, capture_output=True
        )


@contextmanager
def serving(tree: Path, store: Path, fake: FakeSlack) -> Iterator[str]:
    """``summitbot serve`` of the code in ``tree`` (this venv's packages), on ``store``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SUMMITBOT_"))}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake.api_url,
        SUMMITBOT_DB=str(store),
        LOG_LEVEL="INFO",
    )
    server = ServerProcess(env, tree, code=tree)
    try:
        yield server.url
    finally:
        server.stop(signal.SIGTERM)


def compare_section(
    revision: str, db: Path, size: int, requests: int, tmp: Path, rounds: int = 3
) -> Report:
    short = (
        subprocess.run(
            ["git", "rev-parse", "--short", revision], cwd=ROOT, check=True, capture_output=True
        )
        .stdout.decode()
        .strip()
    )
    report = Report(
        f"14. This checkout beside {short}, same run, {size:,} facts: uncached answers (ms)",
        [
            "command",
            "clients",
            f"{short} p50 / rps",
            "this checkout p50 / rps",
            "rps this / before",
        ],
    )
    questions = diverse_questions(db.parent)
    found: dict[tuple[str, str, int], list[load.Load]] = {}
    with checked_out(revision, tmp / f"at-{short}") as before, FakeSlack() as fake:
        fake.add_user(DEFAULT_USER)
        trees = {"before": before, "after": ROOT}
        for round_number in range(rounds):
            for name, tree in trees.items():
                store = tmp / f"{name}-{round_number}" / "summit.json"
                store.parent.mkdir()
                shutil.copy(db, store)
                shutil.copy(db.with_name("summit.json.index"), store.with_name("summit.json.index"))
                with serving(tree, store, fake) as url:
                    for command, asked in questions.items():
                        for clients in CLIENTS:
                            measured = load.commands(
                                url,
                                SECRET,
                                command,
                                asked,
                                clients,
                                requests,
                                response_urls=fake.response_url,
                            )
                            found.setdefault((name, command, clients), []).append(measured)
                            print(f"  {name} {command} {clients}: {measured}", flush=True)
    for command in questions:
        for clients in CLIENTS:
            cells = []
            rates = []
            for name in ("before", "after"):
                runs = found[(name, command, clients)]
                p50 = statistics.median(run.p50 for run in runs)
                rps = statistics.median(run.rps for run in runs)
                rates.append(rps)
                cells.append(f"{fmt(p50, 2)} / {fmt(rps, 0)}")
            report.rows.append([command, str(clients), *cells, fmt(rates[1] / rates[0], 2)])
    report.notes.append(
        f"Medians of {rounds} rounds, the two servers taking turns; one process each "
        "(summitbot serve, the embedded store), the clients of bench/load.py. "
        f"`python -m bench --compare {revision} --rounds {rounds}`."
    )
    return report
