"""Workspaces kept apart, on every backend: what one stores, another never sees, and one
can be deleted whole without touching another (see conftest: BETA is filled beside ALPHA
for every test)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from storage.api import Feed, Repository, Revision, Subscription
from tests.storage_contract.conftest import (
    ALPHA,
    BETA,
    BETA_WORD,
    NOW,
    OpenWorkspaces,
    a_fact,
    assert_sees_nothing_of_beta,
    fill_beta,
    fingerprint,
)


def test_a_workspace_sees_nothing_of_another_while_both_are_open(
    open_workspaces: OpenWorkspaces,
) -> None:
    workspaces = open_workspaces()
    alpha, beta = workspaces.store(ALPHA), workspaces.store(BETA)
    alpha.seed()
    fill_beta(beta)
    assert_sees_nothing_of_beta(alpha)
    # A typo of a word only BETA uses finds nothing in ALPHA: the word index is its own.
    assert alpha.search_facts("zebracron", None).total == 0
    assert beta.search_facts("zebracron", None).total == 1
    # Ids are counted per workspace.
    assert alpha.next_fact_id() != beta.next_fact_id()
    assert alpha.fact_count() + 1 == beta.fact_count()
    again = workspaces.store(ALPHA)
    # Kept open, not loaded again; unless the working set let it go for BETA's.
    assert again is alpha or (alpha.closed and fingerprint(again) == fingerprint(alpha))


def test_a_working_set_lets_go_of_the_least_recently_asked_for(postgres_url: str) -> None:
    """A replica holding two workspaces at most: asked for a third, it lets go of the one
    asked for longest ago, and reads it back from the database when it is asked again."""
    from storage.postgres_workspaces import PostgresWorkspaces

    with PostgresWorkspaces(postgres_url, poll_seconds=0.2, working_set=2) as workspaces:
        alpha, beta = workspaces.store(ALPHA), workspaces.store(BETA)
        alpha.seed()
        fill_beta(beta)
        kept = fingerprint(alpha)
        assert workspaces.store(ALPHA) is alpha  # asked again: now the most recent
        gamma = workspaces.store("T0GAMMA")
        assert workspaces.held() == [ALPHA, "T0GAMMA"]
        assert beta.closed and not alpha.closed and not gamma.closed
        beta_again = workspaces.store(BETA)
        assert beta_again is not beta and beta_again.search_facts(BETA_WORD, None).total == 1
        assert workspaces.held() == ["T0GAMMA", BETA] and alpha.closed
        assert fingerprint(workspaces.store(ALPHA)) == kept


def test_the_same_ids_in_two_workspaces_are_two_records(open_workspaces: OpenWorkspaces) -> None:
    workspaces = open_workspaces()
    alpha, beta = workspaces.store(ALPHA), workspaces.store(BETA)
    alpha.seed()
    beta.seed()
    ours = a_fact(alpha, "Alpha's own note about Samsung.")
    theirs = a_fact(beta, "Beta's own note about Samsung.")
    assert ours.id == theirs.id
    found_alpha, found_beta = alpha.fact(ours.id), beta.fact(ours.id)
    assert found_alpha is not None and found_alpha.statement.startswith("Alpha")
    assert found_beta is not None and found_beta.statement.startswith("Beta")


def test_deleting_a_workspace_deletes_it_alone(open_workspaces: OpenWorkspaces) -> None:
    workspaces = open_workspaces()
    alpha = workspaces.store(ALPHA)
    alpha.seed()
    kept = fingerprint(alpha)
    fill_beta(workspaces.store(BETA))
    assert {ALPHA, BETA} <= set(workspaces.stored())
    workspaces.delete(BETA)
    assert BETA not in workspaces.stored()
    assert fingerprint(workspaces.store(ALPHA)) == kept
    fresh: Repository = workspaces.store(BETA)
    assert fresh.event() is None and fresh.fact_count() == 0
    assert fresh.search_facts(BETA_WORD, None).total == 0
    workspaces.close()
    again = open_workspaces()
    assert fingerprint(again.store(ALPHA)) == kept
    assert again.store(BETA).fact_count() == 0


def test_a_workspace_id_never_names_a_path(tmp_path: object) -> None:
    from pathlib import Path

    from storage.embedded_workspaces import EmbeddedWorkspaces

    assert isinstance(tmp_path, Path)
    with EmbeddedWorkspaces(tmp_path / "w") as workspaces:
        for bad in ("../escape", "T0/..", "a b", "x" * 65):
            with pytest.raises(ValueError, match="not a workspace id"):
                workspaces.store(bad)
    assert not (tmp_path / "escape").exists()


def test_the_scheduled_works_questions_name_only_the_workspaces_with_work_due(
    open_workspaces: OpenWorkspaces,
) -> None:
    """What the leader's scheduler asks of every workspace without holding its store:
    whose subscriptions there are, whose retries, feeds and corrections are due. Each
    answer names ALPHA or BETA only for what that workspace has."""
    earlier, now = "2026-11-24T07:00:00.000000+00:00", NOW
    later = "2026-11-24T09:00:00.000000+00:00"
    mark = "corrections-mark"
    workspaces = open_workspaces()
    alpha, beta = workspaces.store(ALPHA), workspaces.store(BETA)
    for store, channel in ((alpha, "C0ALPHA"), (beta, "C0BETA")):
        store.put_subscription(Subscription(channel, "daily", "09:00", "UTC"))
    found = sorted((ws, s.channel_id) for ws, s in workspaces.every_subscription())
    assert found == [(ALPHA, "C0ALPHA"), (BETA, "C0BETA")]

    alpha.record_slot("C0ALPHA|a", {"status": "retrying", "at": earlier, "next_try": earlier})
    beta.record_slot("C0BETA|b", {"status": "retrying", "at": earlier, "next_try": later})
    beta.record_slot("C0BETA|c", {"status": "posted", "at": earlier})
    assert workspaces.with_retries_due(now) == {ALPHA}
    assert workspaces.with_retries_due(later) == {ALPHA, BETA}

    feed = Feed("1", "https://news.example/rss", "News")
    alpha.put_feed(replace(feed, next_fetch_at=later))
    alpha.put_feed(replace(feed, id="2", paused=True, next_fetch_at=earlier))
    beta.put_feed(replace(feed, next_fetch_at=earlier))
    assert workspaces.with_feeds_due(now) == {BETA}
    assert workspaces.with_feeds_due(later) == {ALPHA, BETA}
    beta.put_feed(replace(feed, next_fetch_at=None))  # never fetched: due
    assert workspaces.with_feeds_due(earlier) == {BETA}

    assert workspaces.with_status_changes_after(mark) == set()
    for store in (alpha, beta):
        fact = a_fact(store, f"A status that changes in {store is alpha}.")
        store.put_fact(
            replace(fact, status="confirmed"),
            Revision(fact.id, 2, now, "U0TEST", "edited", {"status": ["reported", "confirmed"]}),
        )
        fact = a_fact(store, f"A fact whose tags change in {store is alpha}.")
        store.put_fact(
            replace(fact, tags=("x",)),
            Revision(fact.id, 2, later, "U0TEST", "edited", {"tags": [[], ["x"]]}),
        )
    alpha.put_meta(mark, {"since": earlier})
    beta.put_meta(mark, {"since": now})  # BETA's status change is not after it
    assert workspaces.with_status_changes_after(mark) == {ALPHA}
    assert workspaces.with_status_changes_after("another-mark") == set()
