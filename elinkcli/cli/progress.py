"""A progress bar on stderr for people: only on a terminal, only for runs past two seconds."""

from __future__ import annotations

import time
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
