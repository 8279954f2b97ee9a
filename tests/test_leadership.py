"""The replica that leads, on PostgreSQL (storage/leadership.py)."""

from __future__ import annotations

from storage.leadership import Leadership


def test_stopping_before_starting_stops_quietly(postgres_url: str) -> None:
    """A process that fails between building its scheduled work and starting it (its port
    taken, say) stops that work on its way out: that must not raise over the real error."""
    leadership = Leadership(postgres_url, lambda: None, lambda: None)
    leadership.stop()
    assert not leadership.leading.is_set()
