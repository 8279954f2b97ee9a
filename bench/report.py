"""What every benchmark section shares: the report table, the server process it measures,
the questions that defeat the answer cache, and number formatting."""

from __future__ import annotations

import itertools
import json
import os
import platform
import random
import re
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench import measure
from tests.fake_slack import BOT_TOKEN, FakeSlack
from tests.processes import ServerProcess

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-signing-secret"
ADMIN = "U0BENCH"


@dataclass
class Report:
    title: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        lines = [f"### {self.title}", "", "| " + " | ".join(self.header) + " |"]
        lines.append("|" + "---|" * len(self.header))
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        lines += [""] + [f"- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}"
    )


def cpu_seconds(pid: int) -> float:
    """User and system CPU time process ``pid`` has used (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """A server process, `summitbot serve` or the bare Bolt app, timed to healthy."""

    def __init__(
        self,
        module: str,
        fake: FakeSlack,
        db: Path | None,
        command: tuple[str, ...] = ("serve",),
        **extra_env: str,
    ) -> None:
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.api_url,
            "SUMMITBOT_ADMINS": ADMIN,
            "LOG_LEVEL": "INFO",
        }
        env.pop("SLACK_APP_TOKEN", None)
        env.update(extra_env)
        if db is not None:
            env["SUMMITBOT_DB"] = str(db)
        started = time.perf_counter()
        self.server = ServerProcess(env, db.parent if db else ROOT, module, command=command)
        self.url = self.server.url
        self.healthy_after = self._wait_healthy() - started

    def _wait_healthy(self) -> float:
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return time.perf_counter()
            except OSError:
                time.sleep(0.01)

    def cpu_seconds(self) -> float:
        """User and system CPU time the server process has used."""
        return cpu_seconds(self.server.pid)

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.server.pid}/status").read_text()
        kb = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
        return kb / 1024

    def stop(self) -> None:
        self.server.stop(signal.SIGTERM)


def diverse_questions(store_folder: Path, limit: int = 1500) -> dict[str, list[str]]:
    """Questions that defeat the answer cache: every name, alias and Korean name the store's
    entities have (for /whois and /chips) and word pairs for search."""
    names: list[str] = []
    with (store_folder / "synthetic.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record.get("type") != "entity":
                break  # entity lines come first
            names += [record["name"], *record.get("aliases", []), record.get("korean_name") or ""]
    names = [name for name in dict.fromkeys(names) if name][:limit]
    # Every pair of the benchmark's words, then triples to make up ``limit``: each search a
    # different set of words (a random draw of pairs repeated a third of them).
    rng = random.Random(14)
    words = measure.WORDS
    pairs = list(itertools.combinations(words, 2))
    triples = rng.sample(list(itertools.combinations(words, 3)), max(limit - len(pairs), 0))
    chosen = [*pairs, *triples][:limit]
    rng.shuffle(chosen)
    searches = [f"search {' '.join(picked)}" for picked in chosen]
    return {"/whois": names, "/chips": names, "/summit": searches}


def cpu_ms(server: Server, before: float, requests: int) -> float:
    """Server CPU per request since ``before`` (its ``cpu_seconds`` then)."""
    return (server.cpu_seconds() - before) * 1000 / requests


def fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def timed_import(lines: Path, db: Path) -> tuple[float, float, int]:
    """`summitbot import` in its own process: seconds, peak RSS (MB) and bytes it wrote."""
    env = {**os.environ, "SUMMITBOT_DB": str(db), "PYTHONPATH": str(ROOT)}
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        env.pop(name, None)
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "slackbot", "import", str(lines), "--by", "bench"],
        env=env,
        cwd=db.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    logged = process.stderr.read()
    # wait4 gives this child's own peak memory and block output, not all children's.
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"import failed: {logged.decode(errors='replace')[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_oublock * 512
