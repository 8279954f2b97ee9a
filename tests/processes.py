"""`summitbot serve` (or another server) as a separate process, as an operator starts it."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SERVING = re.compile(r"serving Slack at (http://[\d.:]+)/slack/events")
WORKING = re.compile(r"worker running; probes at (http://[\d.:]+)/readyz")


class ServerProcess:
    """Starts the server and waits until it says where it listens; keeps what it logs."""

    def __init__(
        self,
        env: dict[str, str],
        cwd: Path,
        module: str = "slackbot",
        command: tuple[str, ...] = ("serve",),
        ready: re.Pattern[str] | None = None,
        code: Path = REPO,
    ) -> None:
        """``command``: the summitbot command and its options (a worker says it is ready
        with its probe URL: ``ready`` is then what to wait for). ``code``: the checkout it
        runs (another revision's, to compare with)."""
        args = [sys.executable, "-m", module]
        if module == "slackbot":
            args += [*command, "--host", "127.0.0.1", "--port", "0"]
        self._ready = ready or SERVING
        self.process = subprocess.Popen(
            args, cwd=cwd, env={**env, "PYTHONPATH": str(code)}, stderr=subprocess.PIPE, text=True
        )
        self.logged: list[str] = []
        self.url = self._wait_for_url()
        self._reader = threading.Thread(target=self._keep_reading, daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _wait_for_url(self) -> str:
        assert self.process.stderr is not None
        while True:
            line = self.process.stderr.readline()
            if not line:
                raise RuntimeError(
                    f"the server exited ({self.process.wait()}): {''.join(self.logged)}"
                )
            self.logged.append(line)
            found = self._ready.search(line)
            if found:
                return found.group(1)

    def _keep_reading(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.logged.append(line)

    def log(self) -> str:
        self._reader.join(timeout=5)
        return "".join(self.logged)

    def stop(self, sig: int, timeout: float = 30) -> int:
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()
