"""Several `summitbot serve` processes on one PostgreSQL database, as a team runs them: any
replica answers, a save on one is seen on another within a second, exactly one runs the
scheduler, and another takes over when it is killed."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from datetime import datetime
from pathlib import Path

from slackbot.core.digests.schedule import slot_key
from storage.postgres import PostgresStore
from tests.fake_slack import BOT_TOKEN, FakeSlack
from tests.postgres import channels_due_now, seconds_until
from tests.processes import ServerProcess
from tests.slack_client import SlackSender, block_actions
from tests.test_curation import ADMIN, GOOD, open_form, posts_to, submit

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

        # An answer computed on replica 1, shared to the channel through replica 2.
        answered = senders[0].command("/whois", "samsung", user_id=ADMIN).json()
        actions = next(b for b in answered["blocks"] if b["type"] == "actions")
        share = actions["elements"][0]
        response_url = fake_slack.response_url()
        shared = senders[1].interactive(
            block_actions(
                ADMIN,
                {"type": "button", "action_id": share["action_id"], "value": share["value"]},
                response_url=response_url,
                trigger_id=fake_slack.issue_trigger(),
            )
        )
        assert shared.status == 200
        posts = fake_slack.wait_for(lambda: posts_to(fake_slack, response_url))
        assert posts[0]["response_type"] == "in_channel"
        assert f"Shared by <@{ADMIN}>" in json.dumps(posts[0]["blocks"])

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


CHANNELS = [f"C{number:04d}" for number in range(200)]
NEWS = "Samsung and Microsoft sign an HBM supply agreement for Azure"


def headlines(fake_slack: FakeSlack) -> dict[str, int]:
    posted = {channel: 0 for channel in CHANNELS}
    for call in fake_slack.calls_to("chat.postMessage", ok=True):
        if NEWS in call.params.get("text", "") and call.params["channel"] in posted:
            posted[call.params["channel"]] += 1
    return posted


def test_a_leader_killed_mid_fan_out_is_replaced_and_no_slot_is_posted_twice(
    fake_slack: FakeSlack, postgres_url: str, tmp_path: Path
) -> None:
    due_at = channels_due_now(postgres_url, fake_slack, CHANNELS, NEWS, ADMIN)
    fake_slack.slow("chat.postMessage", 0.03)  # the fan-out takes several seconds
    replicas = [start_replica(fake_slack, postgres_url, tmp_path / n) for n in ("a", "b")]
    senders = [SlackSender(r.url, SECRET, fake_slack) for r in replicas]
    try:
        seconds_until(lambda: all(health(s)["leader"] for s in senders), 15, every=0.05)
        leader = str(health(senders[0])["leader"])
        dead = [str(health(s)["replica"]) for s in senders].index(leader)
        seconds_until(lambda: sum(headlines(fake_slack).values()) >= 40, 30, every=0.02)
        replicas[dead].stop(signal.SIGKILL)
        survivor = senders[1 - dead]
        took_over = seconds_until(lambda: health(survivor)["leader"] not in (None, leader), 15)
        assert took_over < 15

        def settled() -> bool:
            with PostgresStore(postgres_url, follow=False) as store:
                return all(store.slot(key) for key in slot_keys(store, due_at))

        seconds_until(settled, 60, every=0.5)
        posted = headlines(fake_slack)
        assert max(posted.values()) == 1, "no slot is posted twice"
        with PostgresStore(postgres_url, follow=False) as store:
            slots = {key.split("|")[0]: store.slot(key) or {} for key in slot_keys(store, due_at)}
        states = {channel: slot.get("status") for channel, slot in slots.items()}
        for channel in CHANNELS:
            # Posted, or cut off by the kill: the next digest carries it ("may repeat").
            assert posted[channel] == 1 or states[channel] in ("claimed", "posting"), channel
        assert sum(1 for c in CHANNELS if posted[c] == 0) <= 1, "at most the post in flight"
    finally:
        for sender in senders:
            sender.close()
        for replica in replicas:
            replica.stop(signal.SIGTERM)


def slot_keys(store: PostgresStore, due_at: datetime) -> list[str]:
    return [slot_key(subscription, due_at) for subscription in store.subscriptions()]


def test_a_rolling_deploy_fails_no_request_and_posts_each_digest_once(
    fake_slack: FakeSlack, postgres_url: str, tmp_path: Path
) -> None:
    """The recipe in docs/store.md: start the new version beside the old on the same database,
    take the old one out of the load balancer's rotation, stop it with SIGTERM."""
    channels_due_now(postgres_url, fake_slack, CHANNELS, NEWS, ADMIN)
    old = start_replica(fake_slack, postgres_url, tmp_path / "old")
    old_sender = SlackSender(old.url, SECRET, fake_slack)
    seconds_until(lambda: sum(headlines(fake_slack).values()) == len(CHANNELS), 60, every=0.1)
    rotation = [old.url]
    failures: list[str] = []
    answered = [0]
    stop = threading.Event()

    def load() -> None:
        turn = 0
        while not stop.is_set():
            url = rotation[turn % len(rotation)]
            turn += 1
            sender = SlackSender(url, SECRET)
            try:
                reply = sender.command("/whois", "samsung")
                if reply.status != 200 or "Samsung Electronics" not in reply.body:
                    failures.append(f"{url}: {reply.status} {reply.body[:100]}")
                answered[0] += 1
            except OSError as error:
                failures.append(f"{url}: {error}")
            finally:
                sender.close()

    clients = [threading.Thread(target=load) for _ in range(4)]
    for client in clients:
        client.start()
    new = start_replica(fake_slack, postgres_url, tmp_path / "new")
    new_sender = SlackSender(new.url, SECRET, fake_slack)
    try:
        assert health(new_sender)["ok"]
        rotation.append(new.url)
        time.sleep(0.5)
        rotation.remove(old.url)  # the load balancer stops sending to the old one
        time.sleep(0.2)
        assert old.stop(signal.SIGTERM, timeout=15) == 0
        new_name = str(health(new_sender)["replica"])
        seconds_until(lambda: health(new_sender)["leader"] == new_name, 15, every=0.1)
        time.sleep(0.5)
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=10)
        old_sender.close()
        new_sender.close()
        new.stop(signal.SIGTERM)
    assert failures == [] and answered[0] > 20
    assert set(headlines(fake_slack).values()) == {1}, "each digest posted once, none missed"
