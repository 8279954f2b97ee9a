"""Every backend: feeds and candidates (the review queue) kept as the contract says."""

from __future__ import annotations

from dataclasses import replace

from storage.api import Candidate, Fact, Feed, Repository, Revision, Source
from tests.storage_contract.conftest import Opener

NOW = "2026-11-24T08:00:00.000000+00:00"


def a_candidate(repository: Repository, title: str, *keys: str, **fields: object) -> Candidate:
    values: dict[str, object] = {
        "published_at": NOW,
        "found_at": NOW,
        "link": f"https://news.example/{title.replace(' ', '-')}",
        "keys": keys,
    }
    values.update(fields)
    return Candidate(repository.next_candidate_id(), title, **values)  # type: ignore[arg-type]


def test_feeds_are_stored_listed_and_deleted(repository: Repository) -> None:
    assert repository.feeds() == [] and repository.next_feed_id() == "1"
    first = Feed("1", "https://news.example/rss", "News", must=("hbm",), seen=("guid:a",))
    repository.put_feed(first)
    repository.put_feed(Feed(repository.next_feed_id(), "https://b.example/atom", "B"))
    assert [f.id for f in repository.feeds()] == ["1", "2"]
    assert repository.feed("1") == first
    repository.delete_feed("1")
    assert repository.feed("1") is None and repository.next_feed_id() == "3"


def test_a_poll_keeps_the_feed_and_its_candidates_together(open_repository: Opener) -> None:
    repository = open_repository()
    feed = Feed("1", "https://news.example/rss", "News", etag='"v1"', seen=("guid:a",))
    first = a_candidate(repository, "Samsung ships HBM", "guid:a", "link:https://n.example/a")
    second = replace(first, id="C2", title="SK Hynix invests", keys=("guid:b",))
    repository.record_poll(feed, [first, second])
    repository.close()
    reopened = open_repository()
    try:
        assert reopened.feed("1") == feed
        assert reopened.candidate("c1") == first  # ids are read in either case
        assert reopened.candidate_with_key(["nothing", "guid:b"]) == second
        assert reopened.candidate_with_key(["link:https://n.example/a"]) == first
        assert reopened.next_candidate_id() == "C3"
    finally:
        reopened.close()


def test_candidates_by_state_and_time_newest_first(repository: Repository) -> None:
    old = a_candidate(repository, "old", published_at="2026-11-01T00:00:00+00:00")
    repository.put_candidate(old)
    new = a_candidate(repository, "new", published_at="2026-11-20T00:00:00+00:00")
    repository.put_candidate(new)
    done = replace(a_candidate(repository, "done"), state="rejected")
    repository.put_candidate(done)
    assert [c.title for c in repository.candidates()] == ["done", "new", "old"]
    assert [c.title for c in repository.candidates("pending")] == ["new", "old"]
    assert [c.title for c in repository.candidates(since="2026-11-10")] == ["done", "new"]


def test_a_merged_candidate_is_known_by_its_new_keys(repository: Repository) -> None:
    first = a_candidate(repository, "story", "guid:a")
    repository.put_candidate(first)
    merged = replace(first, keys=("guid:a", "guid:b"), sources=(Source("Other", "https://o"),))
    repository.put_candidate(merged)
    assert repository.candidate_with_key(["guid:b"]) == merged
    assert repository.candidates() == [merged]


def test_a_decision_stores_the_fact_with_the_candidate(open_repository: Opener) -> None:
    repository = open_repository()
    repository.seed()
    candidate = a_candidate(repository, "Samsung ships HBM", "guid:a")
    repository.put_candidate(candidate)
    fact = Fact(
        repository.next_fact_id(),
        "Samsung ships HBM",
        "hardware",
        "reported",
        ("samsung",),
        Source("News", "https://news.example/a"),
        added_at=NOW,
        updated_at=NOW,
        added_by="U0ADMIN",
        origin="feed",
    )
    approved = replace(candidate, state="approved", fact_id=fact.id, decided_by="U0ADMIN")
    revision = Revision(fact.id, 1, NOW, "U0ADMIN", "added", {}, "approved from News")
    assert not repository.has_fact_source(["https://news.example/a"])
    repository.record_decision(approved, fact, revision)
    repository.close()
    reopened = open_repository()
    try:
        assert reopened.candidate(candidate.id) == approved
        assert reopened.fact(fact.id) == fact
        assert reopened.revisions_of(fact.id) == [revision]
        assert reopened.has_fact_source(["https://elsewhere", "https://news.example/a"])
        reopened.delete_fact(fact.id)
        assert not reopened.has_fact_source(["https://news.example/a"])
    finally:
        reopened.close()
