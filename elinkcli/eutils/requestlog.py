"""The request log (--log FILE): one JSON line per HTTP attempt, for cron jobs and bug reports.

Each line holds `time` (UTC, when the attempt was sent), `endpoint`, `ids` (how many ids
the request carried), `status` (null without an HTTP answer), `ms`, `try`, `outcome`
(ok, retried, gave up, rejected) and, when not ok, `error`. Nothing else of the request
goes in: never the API key (the client redacts the error text), no other parameter.
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

from elinkcli.errors import UsageError
from elinkcli.inert import line

OUTCOMES = ("ok", "retried", "gave up", "rejected")
STDERR = "-"


def utc_stamp(seconds: float) -> str:
    """Seconds since the epoch as UTC ISO-8601 with milliseconds: 2024-05-01T12:00:00.123Z."""
    moment = datetime.fromtimestamp(seconds, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Trace:
    """One HTTP attempt, for the request log: when it was sent, what status came back."""

    time: str = ""
    sent: float | None = None  # clock.monotonic() at sending; None: nothing was sent
    ended: float = 0.0
    status: int | None = None  # None: no HTTP answer (timeout, refused connection)


class RequestLog:
    """JSON lines to a text stream, one `write` per line under a lock, flushed at once.

    Safe to share between the client's worker threads. `wall` (seconds since the epoch)
    is injectable so tests get fixed times. After close(), or once the stream failed,
    lines are dropped: logging never breaks a run.
    """

    def __init__(
        self, stream: TextIO, *, owned: bool = False, wall: Callable[[], float] = time.time
    ) -> None:
        self.stream = stream
        self.owned = owned
        self.wall = wall
        self._lock = threading.Lock()
        self._open = True

    @classmethod
    def open(cls, target: str | Path, *, wall: Callable[[], float] = time.time) -> RequestLog:
        """`-` is stderr; a file is opened for appending (a cron job's log accumulates).

        A file that cannot be written is a UsageError, before any request is made.
        """
        if str(target) == STDERR:
            return cls(sys.stderr, wall=wall)
        path = Path(target)
        try:
            stream = path.open("a", encoding="utf-8")
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise UsageError(f"--log: cannot write the request log {path}: {reason}") from None
        return cls(stream, owned=True, wall=wall)

    def stamp(self) -> str:
        """Now, as the `time` of a line."""
        return utc_stamp(self.wall())

    def traced(
        self,
        trace: Trace,
        endpoint: str,
        params: Sequence[tuple[str, str]],
        attempt: int,
        outcome: str,
        error: Exception | None = None,
    ) -> None:
        """The line of one traced attempt; none when nothing was sent (cache, offline)."""
        if trace.sent is None:
            return
        self.attempt(
            time=trace.time,
            endpoint=endpoint,
            ids=sum(len([i for i in v.split(",") if i]) for k, v in params if k == "id"),
            status=trace.status,
            ms=round((trace.ended - trace.sent) * 1000),
            try_=attempt,
            outcome=outcome,
            error=None if error is None else line(str(error)),
        )

    def attempt(
        self,
        *,
        time: str,
        endpoint: str,
        ids: int,
        status: int | None,
        ms: int,
        try_: int,
        outcome: str,
        error: str | None = None,
    ) -> None:
        """One line for one HTTP attempt; `error` (one line) only when not ok."""
        entry: dict[str, object] = {
            "time": time,
            "endpoint": endpoint,
            "ids": ids,
            "status": status,
            "ms": ms,
            "try": try_,
            "outcome": outcome,
        }
        if outcome != "ok":
            entry["error"] = " ".join((error or "").split())
        self.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def write(self, line: str) -> None:
        with self._lock:
            if not self._open:
                return
            try:
                self.stream.write(line)
                self.stream.flush()
            except (OSError, ValueError):
                self._open = False  # a full disk or a closed stderr: stop logging, go on

    def close(self) -> None:
        """Close the file (never stderr); later lines are dropped."""
        with self._lock:
            self._open = False
            if self.owned:
                with contextlib.suppress(OSError):
                    self.stream.close()
