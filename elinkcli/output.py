"""Atomic output files with a journal of finished batches, for cron jobs and `--resume`."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import IO

from elinkcli.errors import UsageError

JOURNAL_MAGIC = "elinkcli-journal 1"


class AtomicOutput:
    """FILE is written as FILE.part and renamed over FILE only when the run succeeds, so a
    failed run leaves the previous FILE untouched. FILE.journal records, after each finished
    batch, its index and the .part file's length then; `resume` cuts .part back to the last
    recorded length (dropping rows of a batch cut short) and skips the recorded batches."""

    def __init__(self, path: Path, fingerprint: str, resume: bool = False) -> None:
        self.path = path
        self.part = path.with_name(path.name + ".part")
        self.journal = path.with_name(path.name + ".journal")
        self.fingerprint = fingerprint
        self.done: set[int] = set()
        self.rows = 0
        offset = 0
        if resume:
            offset = self._read_journal()
        try:
            if offset:
                with self.part.open("r+b") as fh:
                    fh.truncate(offset)
                self.stream: IO[str] = self.part.open("a", encoding="utf-8", newline="")
            else:
                self.done.clear()
                self.rows = 0
                self.stream = self.part.open("w", encoding="utf-8", newline="")
                self.journal.write_text(f"{JOURNAL_MAGIC} {fingerprint}\n", "utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {self.part}: {exc.strerror}") from None

    @property
    def resumed(self) -> bool:
        return bool(self.done)

    def _read_journal(self) -> int:
        try:
            lines = self.journal.read_text("utf-8").splitlines()
        except FileNotFoundError:
            raise UsageError(f"nothing to resume: no journal {self.journal}") from None
        if not lines or lines[0] != f"{JOURNAL_MAGIC} {self.fingerprint}":
            raise UsageError(
                f"{self.journal} belongs to another run (other options or ids): "
                "run without --resume to start again"
            )
        offset = 0
        for line in lines[1:]:
            parts = line.split()
            if len(parts) != 4 or parts[0] != "batch" or not all(p.isdigit() for p in parts[1:]):
                break  # a line cut short by a crash: the ones before it stand
            self.done.add(int(parts[1]))
            offset, self.rows = int(parts[2]), int(parts[3])
        if offset and (not self.part.exists() or self.part.stat().st_size < offset):
            raise UsageError(f"{self.part} is shorter than its journal says: start again")
        return offset

    def batch_done(self, index: int, rows: int) -> None:
        """Record a finished batch (`rows`: rows written so far in the whole run)."""
        self.stream.flush()
        os.fsync(self.stream.fileno())
        offset = self.part.stat().st_size
        with self.journal.open("a", encoding="utf-8") as fh:
            fh.write(f"batch {index} {offset} {rows}\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.done.add(index)

    def commit(self) -> None:
        self.stream.close()
        os.replace(self.part, self.path)
        with contextlib.suppress(FileNotFoundError):
            self.journal.unlink()

    def abort(self) -> None:
        """Leave FILE as it was. Keep .part and the journal when a batch was finished (so
        --resume can go on), else remove them: nothing was gained."""
        with contextlib.suppress(OSError):
            self.stream.close()
        if not self.done:
            for leftover in (self.part, self.journal):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
