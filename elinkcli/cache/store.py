"""The answer store: one entry per source id in SQLite (safe for many processes at once:
WAL journal, busy timeout), read and written a batch at a time, trimmed to its size bound.
Keys hold the request without credentials: the API key never reaches the disk."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from elinkcli.cache.codec import decode_linksets, encode_linkset, entry_key
from elinkcli.cache.fs import COMPANIONS, FILE_NAME, OpenLock, journal_for, lock_path
from elinkcli.constants import CACHE_MAX_BYTES
from elinkcli.errors import ElinkError
from elinkcli.eutils.records import LinkSet

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created REAL NOT NULL,
    size INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_created ON entries (created);
"""
# The format of the files this code writes (key derivation, value encoding, schema), kept
# in SQLite's user_version. A file of another format is set aside, never read.
FORMAT = 1
# Rows deleted at a time while trimming (the oldest first).
TRIM_CHUNK = 500
# The WAL file is cut back to this after each checkpoint.
WAL_SIZE_LIMIT = 8 * 1024 * 1024


def reason(exc: BaseException) -> str:
    """An error in a few words, for a message."""
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc) or type(exc).__name__


class CacheUnusableError(ElinkError):
    """The cache cannot be read (damaged, not a database, unreadable) and the run depends
    on it (--offline), or a cache command cannot do its work on it."""


class _Busy(Exception):
    """A file of another format is open in another process: it cannot be set aside now."""


class LinkSetCache:
    """Per-id answers in SQLite. The cache only ever speeds a run up: a damaged file, a full
    disk, a read-only directory or a file of another format that cannot be set aside is said
    once through `on_problem`, and the run goes on without it (reads find nothing, writes
    are skipped). With `required` (--offline, where a run has nothing else) the first such
    problem is CacheUnusableError instead.

    The journal is WAL (readers never wait for a writer), but a rollback journal on a
    network file system, where WAL cannot work, or where SQLite refuses WAL; `journal`
    ("auto", "wal", "delete") overrides the choice. Each batch is written in one
    transaction; the size bound is the database's pages in use, the oldest answers going
    first, a chunk at a time, until it is under 90 % of the bound."""

    def __init__(
        self,
        directory: Path,
        ttl: float,
        *,
        max_bytes: int = CACHE_MAX_BYTES,
        clock: Any = time,
        on_problem: Callable[[str], None] | None = None,
        required: bool = False,
        journal: str = "auto",
    ) -> None:
        self.path = directory / FILE_NAME
        self.ttl = ttl
        self.max_bytes = max_bytes
        self.clock = clock
        self.on_problem = on_problem
        self.required = required
        self.readable = self.writable = True
        # Why the cache is not used (the first problem met), for `cache info`.
        self.problem: str | None = None
        # The journal in use, and why that one.
        self.journal, self.journal_reason = "wal", ""
        # Where a file of another format was put, when this open set one aside.
        self.set_aside_to: Path | None = None
        # The format of the file as found (None: new, or not a database).
        self.file_format: int | None = None
        # Held shared while the cache is open; exclusive to set a file aside or remove it.
        self.open_lock: OpenLock | None = None
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self.journal, self.journal_reason = journal_for(directory, journal)
            self.open_lock = OpenLock(lock_path(self.path))
            if self.open_lock.fd is not None and not self.open_lock.held:
                raise _Busy("another elinkcli process holds it to set it aside or remove it")
            self._open()
        except _Busy as busy:
            self.close()
            self._unusable(busy)
        except (OSError, sqlite3.Error) as exc:
            self._unusable(exc)

    def _unusable(self, exc: BaseException, *, writing: bool = False) -> None:
        """Stop using the cache (only writing to it, for a write error), said once."""
        why = reason(exc)
        self.problem = self.problem or why
        if self.required and not writing:
            raise CacheUnusableError(
                f"the cache {self.path} cannot be read ({why}); "
                "`elinkcli cache clear` starts it afresh"
            ) from None
        said = not (self.readable and self.writable)
        self.writable = False
        if not writing:
            self.readable = False
        if self.on_problem is not None and not said:
            what = "answers are not kept" if writing else "running without it"
            self.on_problem(
                f"the cache {self.path} cannot be {'written' if writing else 'used'} "
                f"({why}): {what}; `elinkcli cache clear` starts it afresh"
            )

    # --- opening -----------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30, isolation_level=None)

    def _open(self) -> None:
        """Connect, set a file of another format aside, then the journal and the schema."""
        self.db = self._connect()
        version = self.file_format = self._format()
        if version not in (None, FORMAT):
            if self.required:
                raise sqlite3.DatabaseError(
                    f"made in another format ({version}; this elinkcli reads {FORMAT})"
                )
            self._set_aside(version)
            self.db = self._connect()
            version = self.file_format = self._known_format()
        try:
            self._set_up(self.journal, new=version is None)
        except sqlite3.OperationalError as exc:
            if self.journal != "wal" or "locked" in str(exc):
                raise
            # WAL's shared memory could not be made here: a rollback journal may still work.
            # (The shared lock keeps the file under this name the one just read.)
            self.db.close()
            self.db = self._connect()
            self.journal, self.journal_reason = "delete", f"WAL failed here ({reason(exc)})"
            self._set_up("delete", new=self._known_format() is None)

    def _format(self) -> int | None:
        """The file's format: None for a new, empty file. A file from before formats were
        numbered holds format 1's table and is taken as format 1 (0 if it holds more)."""
        (version,) = self.db.execute("PRAGMA user_version").fetchone()
        if version:
            return int(version)
        tables = [row[0] for row in self.db.execute("SELECT name FROM sqlite_master")]
        if not tables:
            return None
        columns = [row[1] for row in self.db.execute("PRAGMA table_info(entries)")]
        ours = columns == ["key", "value", "created", "size"]
        kinds = self.db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
        return FORMAT if ours and kinds.fetchone() == (1,) else 0

    def _known_format(self) -> int | None:
        version = self._format()
        if version not in (None, FORMAT):
            raise sqlite3.DatabaseError(f"made in another format ({version})")
        return version

    def _set_aside(self, version: int) -> None:
        """Rename a file of another format, with its journal files, to FILE.format-N
        (replacing an earlier one), said once; only under the exclusive lock, when no other
        elinkcli process has the cache open (they would go on in the renamed file, and
        SQLite finds a database's journal files by its name)."""
        if self.open_lock is not None and not self.open_lock.exclusive():
            raise _Busy(
                f"made in another format ({version}; this elinkcli writes {FORMAT}) and open "
                "in another process"
            )
        try:
            self.db.close()
            aside = self.path.with_name(f"{self.path.name}.format-{version}")
            for suffix in ("", *COMPANIONS):
                source = self.path.with_name(self.path.name + suffix)
                target = aside.with_name(aside.name + suffix)
                if source.exists() or not suffix:
                    os.replace(source, target)
                else:  # an earlier file's journal must not pair with this one
                    with contextlib.suppress(FileNotFoundError):
                        target.unlink()
            self.set_aside_to = aside
        except OSError as exc:
            raise _Busy(
                f"made in another format ({version}; this elinkcli writes {FORMAT}) and it "
                f"cannot be set aside here: {reason(exc)}"
            ) from None
        finally:
            if self.open_lock is not None:
                self.open_lock.shared()
        if self.on_problem is not None:
            self.on_problem(
                f"the cache {self.path} was made in another format ({version}; this elinkcli "
                f"writes {FORMAT}): kept as {aside.name}, a new cache started"
            )

    def _set_up(self, journal: str, *, new: bool) -> None:
        """The journal and the schema. SQLite does not wait (busy timeout) for a journal-mode
        switch, so when several processes create the cache at once, ask again for a while."""
        give_up = time.monotonic() + 30
        while True:
            try:
                self._set_up_once(journal, new=new)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > give_up:
                    raise
                time.sleep(0.05)

    def _set_up_once(self, journal: str, *, new: bool) -> None:
        if new:
            # Pages freed by trimming go back to the file system (incremental_vacuum).
            self.db.execute("PRAGMA auto_vacuum=INCREMENTAL")
        (mode,) = self.db.execute(f"PRAGMA journal_mode={journal.upper()}").fetchone()
        if journal == "wal" and mode != "wal":
            self.journal, self.journal_reason = "delete", "SQLite refused WAL here"
            (mode,) = self.db.execute("PRAGMA journal_mode=DELETE").fetchone()
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        (version,) = self.db.execute("PRAGMA user_version").fetchone()
        if version != FORMAT or new:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version={FORMAT}")
                self.db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self.db.execute("ROLLBACK")
                raise
        self.journal = mode

    def __enter__(self) -> LinkSetCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(AttributeError, sqlite3.Error):
            self.db.close()
        if self.open_lock is not None:
            self.open_lock.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction (the connection is in autocommit mode, so without it each
        statement would be its own)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- entries -------------------------------------------------------------------------------

    def get_many(self, signature: str, ids: Iterable[str]) -> dict[str, list[LinkSet]]:
        """Fresh entries for these ids: {id: the LinkSets NCBI answered for it}. An entry
        that is not what elinkcli writes (damaged, or made by hand) makes the cache unusable
        for the run, as a damaged file does: every value is checked as an answer is."""
        return self.get_values(signature, ids, decode_linksets)

    def put_many(self, signature: str, answers: Mapping[str, Sequence[LinkSet]]) -> None:
        self.put_values(
            signature,
            {uid: [encode_linkset(ls) for ls in linksets] for uid, linksets in answers.items()},
        )

    def get_values(
        self, signature: str, ids: Iterable[str], check: Callable[[Any], Any] = lambda v: v
    ) -> dict[str, Any]:
        """Fresh entries for these ids, as the JSON values they were put, each passed through
        `check` (which raises on a value of another shape); none when the cache cannot be
        read, or holds an entry `check` refuses."""
        if not self.readable:
            return {}
        try:
            return {key: check(value) for key, value in self._get_values(signature, ids).items()}
        except sqlite3.Error as exc:
            self._unusable(exc)
        except (ElinkError, KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            self._unusable(ValueError(f"an entry of an unknown shape ({type(exc).__name__})"))
        except RecursionError:
            self._unusable(ValueError("an entry of an unknown shape (nested too deeply)"))
        return {}

    def _get_values(self, signature: str, ids: Iterable[str]) -> dict[str, Any]:
        keys = {entry_key(signature, uid): uid for uid in ids}
        found: dict[str, Any] = {}
        oldest = self.clock.time() - self.ttl
        items = list(keys)
        for start in range(0, len(items), 500):
            part = items[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = self.db.execute(
                f"SELECT key, value FROM entries WHERE key IN ({marks}) AND created >= ?",
                [*part, oldest],
            )
            for key, value in rows:
                found[keys[key]] = json.loads(value)
        return found

    def put_values(self, signature: str, values: Mapping[str, Any]) -> None:
        """Keep these answers: one transaction for them all, then trimmed to the bound."""
        if not self.writable or not values:
            return
        try:
            self._put_values(signature, values)
        except sqlite3.Error as exc:
            self._unusable(exc, writing=True)

    def _put_values(self, signature: str, values: Mapping[str, Any]) -> None:
        now = self.clock.time()
        rows = []
        for uid, item in values.items():
            value = json.dumps(item, separators=(",", ":"))
            rows.append((entry_key(signature, uid), value, now, len(value)))
        with self.transaction():
            self.db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?)", rows)
        self.trim()

    # --- size ------------------------------------------------------------------------------------

    def used_bytes(self) -> int:
        """The database's pages in use (its size less the free pages trimming left)."""
        (pages,) = self.db.execute("PRAGMA page_count").fetchone()
        (free,) = self.db.execute("PRAGMA freelist_count").fetchone()
        (page_size,) = self.db.execute("PRAGMA page_size").fetchone()
        return int((pages - free) * page_size)

    def trim(self) -> int:
        """Over the bound: the oldest entries out, TRIM_CHUNK at a time (no key is loaded),
        until the pages in use are under 90 % of the bound; the freed pages go back to the
        file system where the file allows it. The number removed."""
        if self.used_bytes() <= self.max_bytes:
            return 0
        target = self.max_bytes * 0.9
        removed = 0
        with self.transaction():
            while self.used_bytes() > target:
                n = self.db.execute(
                    "DELETE FROM entries WHERE rowid IN "
                    "(SELECT rowid FROM entries ORDER BY created, rowid LIMIT ?)",
                    (TRIM_CHUNK,),
                ).rowcount
                if n <= 0:
                    break
                removed += n
        # executescript steps the pragma to its end; execute() frees one page a call.
        self.db.executescript("PRAGMA incremental_vacuum;")
        return removed
