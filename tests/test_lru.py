"""The app's one least-recently-used cache (storage/lru.py), shared by request threads."""

from __future__ import annotations

import threading

import pytest

from storage.api import LeastRecentlyUsed


def test_the_least_recently_used_goes_first() -> None:
    cache: LeastRecentlyUsed[str, int] = LeastRecentlyUsed(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent
    cache.put("c", 3)
    assert "b" not in cache and cache.get("a") == 1 and cache.get("c") == 3
    assert cache.get("b") is None and cache.get("b", 0) == 0
    assert cache.room() == 0
    cache.pop("a")
    cache.pop("a")  # popping what is not there is nothing
    assert len(cache) == 1 and cache.room() == 1
    cache.clear()
    assert len(cache) == 0
    with pytest.raises(ValueError):
        LeastRecentlyUsed(0)


def test_what_is_dropped_is_handed_back_and_peeking_leaves_the_order() -> None:
    """The workspaces a replica holds are kept here: what is dropped must be closed."""
    cache: LeastRecentlyUsed[str, int] = LeastRecentlyUsed(2)
    assert cache.put("a", 1) == () and cache.put("b", 2) == ()
    assert cache.peek("a") == 1  # not made the most recent
    assert cache.put("c", 3) == (("a", 1),)
    assert cache.items() == [("b", 2), ("c", 3)]
    assert cache.pop("b") == 2 and cache.pop("b") is None
    unbounded: LeastRecentlyUsed[int, int] = LeastRecentlyUsed(None)
    assert all(unbounded.put(n, n) == () for n in range(10_000)) and len(unbounded) == 10_000


def test_threads_reading_and_putting_at_once_never_break_it_nor_overfill_it() -> None:
    cache: LeastRecentlyUsed[int, int] = LeastRecentlyUsed(64)
    failures: list[BaseException] = []

    def churn(offset: int) -> None:
        try:
            for n in range(20_000):
                key = (n * 7 + offset) % 200
                if cache.get(key) not in (None, key):
                    raise AssertionError(f"{key} held another's value")
                cache.put(key, key)
                if n % 97 == 0:
                    cache.pop(key)
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=churn, args=(offset,)) for offset in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(cache) <= 64
