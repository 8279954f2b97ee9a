"""Several `summitbot serve` processes on one PostgreSQL database, as a team runs them: any
replica answers, a save on one is seen on another within a second, exactly one runs the
scheduler, and another takes over when it is killed."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

from tests.fake_slack import BOT_TOKEN, FakeSlack
from tests.postgres import seconds_until
from tests.processes import ServerProcess
from tests.slack_client import SlackSender
from tests.test_curation import ADMIN, GOOD, open_form, submit

SECRET = "replica-test-secret"


def start_replica(fake_slack: FakeSlack, url: str, folder: Path) -> ServerProcess:
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SUMMITBOT_"))}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake_slack.api_url,
        SUMMITBOT_DATABASE_URL=url,
        SUMMITBOT_ADMINS=ADMIN,
    )
    return ServerProcess(env, folder)


def health(slack: SlackSender) -> dict[str, object]:
    reply = slack.get("/healthz")
    assert reply.status == 200
    report: dict[str, object] = json.loads(reply.body)
    return report


def test_replicas_share_every_save_and_one_leads_until_it_is_killed(
    fake_slack: FakeSlack, postgres_url: str, tmp_path: Path
) -> None:
    fake_slack.add_user(ADMIN)
    replicas = [start_replica(fake_slack, postgres_url, tmp_path / n) for n in ("a", "b", "c")]
    senders = [SlackSender(r.url, SECRET, fake_slack) for r in replicas]
    try:
        seconds_until(lambda: all(health(s)["leader"] for s in senders), 15, every=0.05)
        leaders = {health(s)["leader"] for s in senders}
        assert len(leaders) == 1, leaders
        leader = str(leaders.pop())
        names = [str(health(s)["replica"]) for s in senders]
        assert leader in names and all(health(s)["store"] == "postgresql" for s in senders)

        # A modal opened on replica 1 is submitted to replica 2; replica 3 answers with it.
        view, _ = open_form(senders[0], fake_slack)
        assert submit(senders[1], view, GOOD).body == ""
        seen_after = seconds_until(
            lambda: (
                "qualification tests"
                in senders[2]
                .command("/summit", "search qualification tests", user_id=ADMIN)
                .joined()
            ),
            5,
            every=0.05,
        )
        assert seen_after < 1.0

        # A digest set up on replica 1; replica 3's /digest status names the leader.
        fake_slack.add_channel("C0NEWS", "news")
        set_up = senders[0].command(
            "/digest", "daily 09:00 Asia/Seoul", user_id=ADMIN, channel_id="C0NEWS"
        )
        assert "09:00" in set_up.joined(), set_up.joined()
        status = senders[2].command("/digest", "status", user_id=ADMIN, channel_id="C0NEWS")
        assert f"Posted by: replica {leader} (the scheduler's leader)" in status.joined()

        # kill -9 the leader: another replica leads within 15 s.
        dead = names.index(leader)
        replicas[dead].stop(signal.SIGKILL)
        alive = [s for i, s in enumerate(senders) if i != dead]
        took_over = seconds_until(
            lambda: all(health(s)["leader"] not in (None, leader) for s in alive), 15, every=0.05
        )
        assert took_over < 15
        assert len({health(s)["leader"] for s in alive}) == 1
    finally:
        for sender in senders:
            sender.close()
        for replica in replicas:
            replica.stop(signal.SIGTERM)
