"""Who may curate: the configured ids, and workspace admins and owners per users.info."""

from __future__ import annotations

from typing import Any

from slackbot.core.admins import CACHE_SECONDS, CACHED_PEOPLE, AdminPolicy, Curators
from tests.fake_slack import ManualClock


class Directory:
    def __init__(self, users: dict[str, dict[str, Any] | None]) -> None:
        self.users = users
        self.asked: list[str] = []

    def __call__(self, user_id: str) -> dict[str, Any] | None:
        self.asked.append(user_id)
        return self.users.get(user_id)


def test_configured_admins_need_no_lookup() -> None:
    directory = Directory({})
    policy = AdminPolicy(frozenset({"U1"}), directory)
    assert policy.is_admin("U1") and directory.asked == []


def test_workspace_admins_and_owners_are_admins_and_the_answer_is_cached() -> None:
    clock = ManualClock()
    directory = Directory(
        {"UA": {"is_admin": True}, "UO": {"is_primary_owner": True}, "UM": {"is_admin": False}}
    )
    policy = AdminPolicy(frozenset(), directory, clock=clock, cache_seconds=300)
    assert policy.is_admin("UA") and policy.is_admin("UO") and not policy.is_admin("UM")
    assert policy.is_admin("UA") and not policy.is_admin("UM")
    assert directory.asked == ["UA", "UO", "UM"]
    clock.advance(301)
    directory.users["UM"] = {"is_admin": True}
    assert policy.is_admin("UM"), "a promotion is seen once the cache expires"


def test_a_failed_lookup_refuses_but_is_not_remembered() -> None:
    directory = Directory({"UA": None})
    policy = AdminPolicy(frozenset(), directory)
    assert not policy.is_admin("UA")
    directory.users["UA"] = {"is_owner": True}
    assert policy.is_admin("UA")


def test_workspace_admins_can_be_switched_off() -> None:
    directory = Directory({"UA": {"is_admin": True}})
    policy = AdminPolicy(frozenset({"U1"}), directory, workspace_admins=False)
    assert not policy.is_admin("UA") and directory.asked == []
    assert policy.curators() == Curators(("U1",), workspace_admins=False)
    assert AdminPolicy(frozenset(), directory).curators().workspace_admins


def test_the_answers_kept_are_bounded_and_dropped_once_expired() -> None:
    """Any member may ask, so the answers kept must not grow with the workspace: at most
    CACHED_PEOPLE, and an expired one is gone (before, every answer stayed for good)."""
    clock = ManualClock()
    policy = AdminPolicy(frozenset(), lambda _user: {"is_admin": False}, clock=clock)
    people = [f"U{n:06d}" for n in range(CACHED_PEOPLE + 500)]
    for person in people:
        assert not policy.is_admin(person)
    assert len(policy._cache) == CACHED_PEOPLE
    clock.advance(CACHE_SECONDS + 1)
    assert policy.known(people[-1]) is None  # expired: Slack is asked again
    assert len(policy._cache) == 0
