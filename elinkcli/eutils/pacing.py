"""Request-start pacing: starts keep to NCBI's rate while answers overlap in flight."""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path

from elinkcli.eutils.clock import Clock
from elinkcli.locks import FILE_MODE, LockFile, new_file

Notice = Callable[[str], None]


def _check_until(slot: float, until: float | None) -> None:
    if until is not None and slot > until:
        raise TimeoutError("no request start left before the time limit")


class StartPacer:
    """Hands out request starts to any number of threads: at most `burst` starts in any
    window of `burst` x `interval` seconds (so a sustained 1/`interval` a second, and a
    one-off start after a few others goes at once while the window has room).

    A caller reserves the next free slot under the lock and sleeps outside it, so several
    requests can be waiting for their slot, or in flight, at once.
    """

    def __init__(self, interval: float, clock: Clock, burst: int = 1) -> None:
        self.interval = interval
        self.clock = clock
        self.burst = max(1, burst)
        self.window = self.burst * interval
        # The last `burst` slots handed out, oldest first.
        self._slots: deque[float] = deque(maxlen=self.burst)
        self._lock = threading.Lock()

    def acquire(self, until: float | None = None) -> float:
        """Wait for this caller's slot; return the slot's time. TimeoutError, taking no
        slot, when the slot would come after `until` (a clock.monotonic() time)."""
        with self._lock:
            now = self.clock.monotonic()
            slot = max(now, self._slots[-1]) if self._slots else now
            if len(self._slots) == self.burst:
                slot = max(slot, self._slots[0] + self.window)
            _check_until(slot, until)
            self._slots.append(slot)
        self.clock.sleep(slot - now)
        return slot


# The most of a slot file read: room for many more start times than any window holds.
_SLOT_FILE_MAX = 4096


class SharedStartPacer:
    """StartPacer for every process of the user at once.

    The file holds the times (CLOCK_MONOTONIC, the same for every process of the machine)
    of the last `burst` request starts any process made. A process takes a start only
    under the file lock, at the moment it finds fewer than `burst` of them in the last
    window (`burst` x `interval` seconds), and records the start it actually made, so a
    process woken late (a busy machine) never lands `burst` + 1 starts within a window.
    The file is replaced atomically: a process killed at any point leaves the old times or
    the new ones, never an empty file. A time more than STALE seconds ahead (a clock from
    before a reboot) is dropped. One thread per process waits on the file at a time.

    The kernel drops the lock of a process that dies; a process that is stopped (Ctrl-Z)
    while holding it is waited for, and `notice` says so after NOTICE_AFTER seconds.
    """

    STALE = 60.0
    NOTICE_AFTER = 2.0
    LOCK_POLL = 0.05

    def __init__(
        self,
        interval: float,
        clock: Clock,
        path: Path,
        notice: Notice | None = None,
        burst: int = 1,
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.interval = interval
        self.burst = max(1, burst)
        self.window = self.burst * interval
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
                self._alone = StartPacer(self.interval, self.clock, self.burst)
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
                    starts = [
                        t for t in self._read(now) if now - self.window < t <= now + self.STALE
                    ]
                    if len(starts) < self.burst:
                        self._write([*starts, now])
                        return now
                    free = min(starts) + self.window
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

    def _read(self, now: float) -> list[float]:
        """The recorded starts; an unreadable file counts as a window full of starts just
        made (the careful reading: it costs one window, never a burst), and is written so.
        (A file of an older elinkcli, one time after its last start, reads as a start
        then: a wait a little longer than needed, never a burst.)"""
        try:
            with open(self.path, encoding="ascii", errors="replace") as f:
                text = f.read(_SLOT_FILE_MAX)  # a few times, never a whole stray file
        except FileNotFoundError:
            return []
        except OSError:
            text = "?"
        try:
            starts = [float(t) for t in text.split()[: self.burst * 4 + 1]]
        except ValueError:
            starts = [math.nan]
        if not starts or any(math.isnan(t) or math.isinf(t) for t in starts):
            starts = [now] * self.burst
            self._write(starts)
        return starts

    def _write(self, starts: list[float]) -> None:
        fd, tmp = new_file(self.path.parent, ".slot-")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(" ".join(map(repr, starts[-self.burst :])))
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
