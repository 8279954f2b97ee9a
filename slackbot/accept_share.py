"""Sharing out connections among the processes of ``serve --processes N``.

The processes listen on one socket, and the kernel gives a new connection to whichever of
them calls accept() first: the one idle at that moment, which says nothing about how many
connections it already keeps open. Slack and the proxies in front of an app keep their
connections alive, so the processes answered uneven shares for as long as those connections
lasted: with 8 or 32 kept-alive clients, one process ran out of CPU while the other had
some left, and two processes answered only 1.0-1.4 times as many requests a second as one
(bench section 13, 2026-12-07).

So each process writes how many connections it holds into a slot of a small shared memory
(a memfd the supervisor makes and passes down, one slot per process), and it watches the
listening socket only while it holds no more than the least of the others. The least loaded
process always accepts, so no connection waits for lack of a taker. A slot not written for
``STALE_SECONDS`` (a process that died or hangs; each writes at every turn of its loop, at
least every quarter second) is left out, so the others take its share. gunicorn and
waitress have no such thing to reuse: gunicorn's workers accept in turn only because each
sync worker takes one connection at a time.
"""

from __future__ import annotations

import mmap
import os
import struct
import time
from collections.abc import Callable

# Per slot: the number of connections held, and when it was last written (monotonic ms;
# CLOCK_MONOTONIC is one clock for every process on the machine).
SLOT = struct.Struct("<qq")
STALE_SECONDS = 2.0


class AcceptShare:
    """One process's view of the shared slots: ``slot`` is its own."""

    def __init__(
        self, fd: int, slots: int, slot: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if not 0 <= slot < slots:
            raise ValueError(f"slot {slot} is not one of {slots}")
        self._memory = mmap.mmap(fd, SLOT.size * slots)
        self.fd = fd  # what the supervisor passes to each process it starts
        self.slots = slots
        self.slot = slot
        self._clock = clock

    @classmethod
    def make(cls, slots: int) -> int:
        """The supervisor's shared memory for ``slots`` processes: a descriptor to pass on."""
        fd = os.memfd_create("summitbot-accept-share", 0)
        os.ftruncate(fd, SLOT.size * slots)
        os.set_inheritable(fd, True)
        return fd

    def held(self, count: int) -> None:
        """This process holds ``count`` connections now."""
        SLOT.pack_into(self._memory, self.slot * SLOT.size, count, self._now_ms())

    def may_accept(self) -> bool:
        """Whether this process holds no more connections than the least loaded other."""
        now = self._now_ms()
        mine = SLOT.unpack_from(self._memory, self.slot * SLOT.size)[0]
        for slot in range(self.slots):
            count, written = SLOT.unpack_from(self._memory, slot * SLOT.size)
            fresh = written and now - written <= STALE_SECONDS * 1000
            if slot != self.slot and fresh and count < mine:
                return False
        return True

    def forget(self, slot: int) -> None:
        """Leaves ``slot`` out until its process writes again (the supervisor, when the
        process in it has exited)."""
        SLOT.pack_into(self._memory, slot * SLOT.size, 0, 0)

    def leave(self) -> None:
        """This process accepts no more (it is stopping): the others stop counting it."""
        self.forget(self.slot)

    def close(self) -> None:
        self._memory.close()

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)
