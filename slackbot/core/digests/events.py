"""What the digest service tells the rest of the app (its port; see slackbot.core.signals)."""

from __future__ import annotations

from dataclasses import dataclass, field

from slackbot.core.digests.compose import Digest
from slackbot.core.signals import Question, Signal


@dataclass(frozen=True)
class DigestEvents:
    # A channel's subscription was saved, turned off or suspended: its job is due again.
    changed: Signal[[str]] = field(default_factory=Signal)
    # Nothing may be posted any more (the app was uninstalled, its token revoked).
    halted: Signal[[]] = field(default_factory=Signal)
    # Slack took a digest: the channel, its first post's ts, and what it showed.
    posted: Signal[[str, str, Digest]] = field(default_factory=Signal)
    # Which replica runs the scheduler (for /digest status): answered where there are
    # several (slackbot.leading), unasked with one process.
    leader: Question[str | None] = field(default_factory=Question)

    def disconnect_all(self) -> None:
        """Lets every receiver of every signal go (the service is closing)."""
        for signal in (self.changed, self.halted, self.posted):
            signal.disconnect_all()
