"""Where the scheduler runs. On the embedded store there is one process, and it runs the
scheduler. On PostgreSQL every replica answers requests but only the leader (storage.
leadership) runs digests and feed polls; the others stand by and take over when it goes."""

from __future__ import annotations

from typing import Any

from slackbot.config import Settings
from slackbot.core.measures import LEADER
from slackbot.scheduler import Scheduling
from slackbot.stores import leadership
from storage.api import replica_name


class ScheduledWork:
    def __init__(self, scheduler: Scheduling, settings: Settings) -> None:
        self.scheduler = scheduler
        self.name = replica_name()
        self._leadership = leadership(settings, self._gained, self._lost, self.name)
        if self._leadership is not None:
            scheduler.set_leader(self.leader)

    def _gained(self) -> None:
        LEADER.set(1)
        self.scheduler.lead()

    def _lost(self) -> None:
        LEADER.set(0)
        self.scheduler.step_down()

    def start(self) -> None:
        if self._leadership is None:
            self.scheduler.start()
            LEADER.set(1)
        else:
            self._leadership.start()

    def stop(self) -> None:
        LEADER.set(0)
        if self._leadership is not None:
            self._leadership.stop()
        self.scheduler.shutdown()

    def leader(self) -> str | None:
        """The replica running the scheduler."""
        if self._leadership is None:
            return self.name
        if self._leadership.leading.is_set():
            return self.name
        return self._leadership.leader()

    def health(self) -> dict[str, Any]:
        """What GET /healthz adds: this replica, the one that leads, whether this one's
        scheduler runs, and a ``problem`` when digests and feed polls run nowhere."""
        leader = self.leader()
        state = self.scheduler.state()
        report: dict[str, Any] = {
            "replica": self.name,
            "leader": leader,
            "scheduler": state,
            "store": "postgresql" if self._leadership else "embedded",
        }
        if leader is None:
            report["problem"] = "no replica leads: no digest is posted and no feed is polled"
        elif leader == self.name and state != "running":
            report["problem"] = f"this replica leads but its scheduler is {state}"
        return report
