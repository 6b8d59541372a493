"""A long plain list of ids kept as the bytes it came in, handed out in windows.

Millions of ids as Python strings cost ~60 bytes each, and checking and de-duplicating
them all before the first request costs seconds. Kept packed (one id per line, 9-10 bytes
each) the input is checked at C speed, and each window becomes strings only when its
turn comes; ids already handed out are remembered in a temporary SQLite file, not in
memory. Windows hold whole batches, so a window ends where a batch ends.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterator
from typing import Protocol

from elinkcli.errors import ElinkError, UsageError
from elinkcli.ids.tokens import check_ids, decode_input, split_ids

# Plain inputs with more ids than this are read in windows of about this many ids.
WINDOW = 20_000
# Every separator split_ids knows (whitespace, commas) made a newline, in one C pass.
_SEPARATORS = b" \t\r\x0b\x0c\x1c\x1d\x1e\x1f,"
_TO_NEWLINES = bytes.maketrans(_SEPARATORS, b"\n" * len(_SEPARATORS))
_ONLY_DIGITS = re.compile(rb"[0-9\n]*")


class IdWindows(Protocol):
    """A long source of ids handed out in windows: a packed input, a History set."""

    count: int

    def windows(self, size: int) -> Iterator[tuple[list[str], int]]: ...


class SeenStoreError(ElinkError):
    """The temporary file of ids already handed out cannot be written (full or
    unwritable temporary directory)."""


class PackedIds:
    """Plain ids, newline-separated in one bytes object; `count` counts repeats too."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.count = data.count(b"\n") + 1 if data else 0
        self.digest = hashlib.sha256(data).hexdigest()

    @classmethod
    def from_input(cls, data: bytes, source: str = "stdin") -> PackedIds:
        """The ids of a plain input (any of newlines, spaces, tabs, commas between ids)."""
        if not data.isascii() or b"\x00" in data:
            # Rare in ids: decoded (a one-line reason for binary or non-UTF-8 input) and
            # split on Unicode whitespace as well.
            return cls("\n".join(split_ids([decode_input(data, source)])).encode())
        data = data.translate(_TO_NEWLINES)
        while b"\n\n" in data:
            data = data.replace(b"\n\n", b"\n")
        return cls(data.strip(b"\n"))

    def check(self, db: str) -> None:
        """Every id a UID or an accession form of `db` (UsageError naming the first that is
        not), before anything is asked."""
        if _ONLY_DIGITS.fullmatch(self.data):
            return
        for chunk in self._chunks(WINDOW):
            check_ids(chunk, db)

    def windows(self, size: int) -> Iterator[tuple[list[str], int]]:
        """(ids, how many input ids are read so far): the ids in input order, repeats
        dropped (first occurrence kept), `size` at a time (fewer where repeats were
        dropped)."""
        read = 0
        with seen_store() as seen:
            for chunk in self._chunks(size):
                read += len(chunk)
                fresh = seen.keep_new(list(dict.fromkeys(chunk)))
                if fresh:
                    yield fresh, read

    def _chunks(self, size: int) -> Iterator[list[str]]:
        """`size` lines at a time as strings, walking the buffer once."""
        data, pos = self.data, 0
        while pos < len(data):
            end = pos
            for _ in range(size):
                end = data.find(b"\n", end) + 1
                if end == 0:
                    end = len(data) + 1
                    break
            yield data[pos : end - 1].decode().split("\n")
            pos = end


class _Seen:
    """Ids already handed out, in a private temporary SQLite file (removed on close)."""

    def __enter__(self) -> _Seen:
        try:
            self.db = sqlite3.connect("")  # "" is a temporary on-disk database
            self.db.execute("CREATE TABLE seen (id TEXT PRIMARY KEY)")
        except sqlite3.Error as exc:
            raise SeenStoreError(_why(exc)) from None
        self.last = 0
        return self

    def __exit__(self, *exc: object) -> None:
        self.db.close()

    def keep_new(self, ids: list[str]) -> list[str]:
        """`ids` (no repeats among them) less those seen before; all now seen."""
        try:
            self.db.executemany("INSERT OR IGNORE INTO seen VALUES (?)", ((i,) for i in ids))
            added = self.db.execute("SELECT id FROM seen WHERE rowid > ?", (self.last,))
            new = {row[0] for row in added}
            self.last = self.db.execute("SELECT max(rowid) FROM seen").fetchone()[0] or 0
        except sqlite3.Error as exc:
            raise SeenStoreError(_why(exc)) from None
        return ids if len(new) == len(ids) else [i for i in ids if i in new]


def seen_store() -> _Seen:
    """`with seen_store() as seen:` ids already handed out (seen.keep_new), on disk."""
    return _Seen()


def _why(exc: sqlite3.Error) -> str:
    return (
        f"cannot keep the list of ids already asked in a temporary file ({exc}); "
        "set TMPDIR to a writable directory with free space"
    )


def check_window_size(batch: int) -> int:
    """Ids per window: whole batches, about WINDOW ids."""
    if batch <= 0:
        raise UsageError("--batch must be positive")
    return max(batch, WINDOW // batch * batch)
