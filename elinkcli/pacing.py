"""Request-start pacing: starts keep to NCBI's rate while answers overlap in flight."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

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


class SharedStartPacer:
    """StartPacer for every process of the user at once: the next free slot lives in a file,
    read and moved on under a file lock. The kernel drops the lock of a process that dies, and
    a slot more than STALE seconds ahead (a clock from before a reboot) is reset, so a killed
    process never leaves the others stuck."""

    STALE = 60.0

    def __init__(self, interval: float, clock: Clock, path: Path) -> None:
        from filelock import FileLock  # 30 ms of imports: only when requests are made

        path.parent.mkdir(parents=True, exist_ok=True)
        self.interval = interval
        self.clock = clock
        self.path = path
        self._file_lock = FileLock(str(path) + ".lock", timeout=30)
        self._lock = threading.Lock()

    def acquire(self) -> float:
        with self._lock, self._file_lock:
            now = self.clock.monotonic()
            stored = self._read()
            if stored - now > self.STALE:
                stored = now
            slot = max(now, stored)
            self.path.write_text(repr(slot + self.interval))
        self.clock.sleep(slot - now)
        return slot

    def _read(self) -> float:
        try:
            return float(self.path.read_text() or "-inf")
        except (OSError, ValueError):
            return float("-inf")


def rate_file(directory: Path, api_key: str | None) -> Path:
    """One slot file per rate class: NCBI counts per IP without a key, per key with one.
    The file name holds a hash of the key, never the key."""
    if not api_key:
        return directory / "rate-nokey.slot"
    return directory / f"rate-{hashlib.sha256(api_key.encode()).hexdigest()[:16]}.slot"
