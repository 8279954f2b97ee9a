"""StampedMemo: a value is given back only under the stamp it was built under."""

from __future__ import annotations

from slackbot.core.memo import StampedMemo


def test_a_value_is_kept_under_its_stamp_and_built_again_under_another() -> None:
    stamp = [1]
    built: list[str] = []
    memo: StampedMemo[str] = StampedMemo(size=2)

    def build(key: str) -> str:
        built.append(key)
        return f"{key}@{stamp[0]}"

    assert memo.get("a", lambda: stamp[0], lambda: build("a")) == "a@1"
    assert memo.get("a", lambda: stamp[0], lambda: build("a")) == "a@1"
    stamp[0] = 2
    assert memo.get("a", lambda: stamp[0], lambda: build("a")) == "a@2"
    assert built == ["a", "a"]


def test_a_value_built_while_the_stamp_moved_is_not_kept() -> None:
    stamp = [1]
    memo: StampedMemo[str] = StampedMemo()

    def build_during_a_write() -> str:
        value = f"built@{stamp[0]}"
        stamp[0] += 1  # a write lands while the value is built from the old state
        return value

    assert memo.get("a", lambda: stamp[0], build_during_a_write) == "built@1"
    assert len(memo) == 0
    assert memo.get("a", lambda: stamp[0], lambda: "fresh") == "fresh"
    assert len(memo) == 1


def test_the_least_recently_used_goes_first() -> None:
    memo: StampedMemo[str] = StampedMemo(size=2)
    for key in ("a", "b"):
        memo.get(key, lambda: 0, lambda key=key: key)
    memo.get("a", lambda: 0, lambda: "rebuilt")  # a is used again: b is the oldest
    memo.get("c", lambda: 0, lambda: "c")
    assert memo.get("a", lambda: 0, lambda: "rebuilt") == "a"
    assert memo.get("b", lambda: 0, lambda: "rebuilt") == "rebuilt"
