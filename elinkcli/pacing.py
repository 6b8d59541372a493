"""Request-start pacing: starts keep to NCBI's rate while answers overlap in flight."""

from __future__ import annotations

import threading

from elinkcli.clock import Clock


class StartPacer:
    """Hands out start times at least `interval` seconds apart, to any number of threads.

    A caller reserves the next free slot under the lock and sleeps outside it, so several
    requests can be waiting for their slot, or in flight, at once.
    """

    def __init__(self, interval: float, clock: Clock) -> None:
        self.interval = interval
        self.clock = clock
        self._next = float("-inf")
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for this caller's slot; return the slot's time."""
        with self._lock:
            now = self.clock.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        self.clock.sleep(slot - now)
        return slot
