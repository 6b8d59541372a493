"""Progress bars on stderr for people, only on a terminal: ids linked (runs past two
seconds), bytes of a file transfer."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

SHOW_AFTER = 2.0


class Progress:
    def __init__(self, total_ids: int, *, enabled: bool) -> None:
        self.enabled = enabled and total_ids > 0
        self.total = total_ids
        self.started = time.monotonic()
        self.done = 0
        self.links = 0
        self.client: Any = None
        self._bar: Any = None
        self._task: Any = None

    def watch(self, client: Any) -> None:
        self.client = client

    def advance(self, n_ids: int, rows: int) -> None:
        if not self.enabled:
            return
        self.done += n_ids
        self.links = rows
        if self._bar is None and time.monotonic() - self.started < SHOW_AFTER:
            return
        if self._bar is None:
            self._start()
        counters = self.client.counters if self.client is not None else None
        self._bar.update(
            self._task,
            completed=self.done,
            links=self.links,
            requests=counters.requests if counters else 0,
            retries=counters.retries if counters else 0,
        )

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        self._bar = RichProgress(
            TextColumn("ids"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(
                "• {task.fields[links]} rows • {task.fields[requests]} requests"
                " • {task.fields[retries]} retries •"
            ),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._task = self._bar.add_task("link", total=self.total, links=0, requests=0, retries=0)
        self._bar.start()

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def transfer_bar() -> Callable[[int, int | None], None]:
    """A progress bar on a terminal's stderr (none elsewhere): `[#####.....]  45.2%  112.0
    of 247.9 MB  12.3 MB/s`, redrawn at most 5 times a second, ended by a newline."""
    if not (sys.stderr is not None and sys.stderr.isatty()):
        return lambda done, total: None
    import shutil

    first = time.monotonic()
    last = [0.0, 0]

    def show(done: int, total: int | None) -> None:
        now = time.monotonic()
        end = total is not None and done >= total
        if now - last[0] < 0.2 and not end:
            return
        if not last[1]:
            last[1] = done  # bytes already there (a resumed transfer): not counted in speed
        last[0] = now
        speed = (done - last[1]) / max(now - first, 1e-3) / 1e6
        width = max(10, min(40, shutil.get_terminal_size().columns - 44))
        if total:
            filled = round(width * min(done, total) / total)
            bar = f"[{'#' * filled}{'.' * (width - filled)}] {100 * done / total:5.1f}%"
            amount = f"{done / 1e6:,.1f} of {total / 1e6:,.1f} MB"
        else:
            bar, amount = "", f"{done / 1e6:,.1f} MB"
        sys.stderr.write(f"\r{bar}  {amount}  {speed:,.1f} MB/s\x1b[K")
        if end:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show
