"""Request-start pacing: starts keep to NCBI's rate while answers overlap in flight."""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from elinkcli.eutils.clock import Clock
from elinkcli.locks import FILE_MODE, LockFile, new_file

Notice = Callable[[str], None]


def _check_until(slot: float, until: float | None) -> None:
    if until is not None and slot > until:
        raise TimeoutError("no request start left before the time limit")


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

    def acquire(self, until: float | None = None) -> float:
        """Wait for this caller's slot; return the slot's time. TimeoutError, taking no
        slot, when the slot would come after `until` (a clock.monotonic() time)."""
        with self._lock:
            now = self.clock.monotonic()
            slot = max(now, self._next)
            _check_until(slot, until)
            self._next = slot + self.interval
        self.clock.sleep(slot - now)
        return slot


class SharedStartPacer:
    """StartPacer for every process of the user at once.

    The file holds the time (CLOCK_MONOTONIC, the same for every process of the machine)
    before which no process may start a request. A process takes a start only under the
    file lock, at the moment it finds that time passed, and records the start it actually
    made, so a process woken late (a busy machine) never lands two starts closer than the
    interval. The file is replaced atomically: a process killed at any point leaves the old
    time or the new one, never an empty file. A time more than STALE seconds ahead (a clock
    from before a reboot) is reset. One thread per process waits on the file at a time.

    The kernel drops the lock of a process that dies; a process that is stopped (Ctrl-Z)
    while holding it is waited for, and `notice` says so after NOTICE_AFTER seconds.
    """

    STALE = 60.0
    NOTICE_AFTER = 2.0
    LOCK_POLL = 0.05

    def __init__(
        self, interval: float, clock: Clock, path: Path, notice: Notice | None = None
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.interval = interval
        self.clock = clock
        self.path = path
        self.notice = notice
        # Opened at each start taken, closed (so let go of) after it.
        self.lock_path = Path(str(path) + ".lock")
        # This process's threads take their starts in the order they asked (a plain lock
        # is not fair: the first batch could start last, and every later answer would
        # wait for it to be handed over in input order).
        self._turn = threading.Condition()
        self._tickets = 0
        self._serving = 0
        # Set when the file cannot be written (a full disk, a read-only directory).
        self._alone: StartPacer | None = None

    def acquire(self, until: float | None = None) -> float:
        if self._alone is None:
            try:
                return self._acquire_shared(until)
            except TimeoutError:  # an OSError too, but the time limit's, not the file's
                raise
            except OSError as exc:
                self._alone = StartPacer(self.interval, self.clock)
                if self.notice is not None:
                    self.notice(
                        f"cannot use {self.path} ({exc.strerror or exc}): this process "
                        "paces its requests alone"
                    )
        return self._alone.acquire(until)

    def _acquire_shared(self, until: float | None) -> float:
        with self._in_turn():
            while True:
                with self._locked(until):
                    now = self.clock.monotonic()
                    free = self._read(now)
                    if free - now > self.STALE:
                        free = now
                    if free <= now:
                        self._write(now + self.interval)
                        return now
                _check_until(free, until)
                self.clock.sleep(free - now)

    @contextlib.contextmanager
    def _in_turn(self) -> Iterator[None]:
        with self._turn:
            ticket = self._tickets
            self._tickets += 1
            while ticket != self._serving:
                self._turn.wait()
        try:
            yield
        finally:
            with self._turn:
                self._serving += 1
                self._turn.notify_all()

    @contextlib.contextmanager
    def _locked(self, until: float | None) -> Iterator[None]:
        """The file lock, waited for as long as it takes (a stopped holder is said once);
        OSError where the lock file cannot be opened or locked."""
        waited_since = time.monotonic()
        said = False
        with LockFile(self.lock_path, mode=FILE_MODE, follow=False) as lock:
            while not lock.take(0.5, poll=self.LOCK_POLL):
                _check_until(self.clock.monotonic(), until)
                waited = time.monotonic() - waited_since
                if not said and waited >= self.NOTICE_AFTER and self.notice is not None:
                    said = True
                    self.notice(
                        f"waiting for another elinkcli process, which holds the rate-limit "
                        f"lock {self.path}.lock (stopped with Ctrl-Z? resume it with fg, or "
                        "end it)"
                    )
            yield

    def _read(self, now: float) -> float:
        """The stored time; an unreadable file counts as a start just made (the careful
        reading: it costs one interval, never a burst), and is written so."""
        try:
            free = float(self.path.read_text())
        except FileNotFoundError:
            return float("-inf")
        except (OSError, ValueError):
            free = math.nan
        if math.isnan(free):
            free = now + self.interval
            self._write(free)
        return free

    def _write(self, free: float) -> None:
        fd, tmp = new_file(self.path.parent, ".slot-")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(repr(free))
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def rate_file(directory: Path, api_key: str | None) -> Path:
    """One slot file per rate class: NCBI counts per IP without a key, per key with one.
    The file name holds a hash of the key, never the key."""
    if not api_key:
        return directory / "rate-nokey.slot"
    return directory / f"rate-{hashlib.sha256(api_key.encode()).hexdigest()[:16]}.slot"
