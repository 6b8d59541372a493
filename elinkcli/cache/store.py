"""On-disk cache of ELink answers, one entry per source id, in SQLite (safe for many
processes at once: WAL journal, busy timeout). Keys hold the request without credentials:
the API key never reaches the disk."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from elinkcli import validate as V
from elinkcli.constants import CACHE_MAX_BYTES
from elinkcli.errors import ElinkError
from elinkcli.models import (
    IdCheck,
    IdLinkSet,
    IdUrlSet,
    LinkInfo,
    LinkSet,
    LinkSetDb,
    ObjUrl,
    Provider,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created REAL NOT NULL,
    size INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_created ON entries (created);
"""
FILE_NAME = "cache.sqlite3"
# The format of the files this code writes (key derivation, value encoding, schema), kept
# in SQLite's user_version. A file of another format is set aside, never read.
FORMAT = 1
# Rows deleted at a time while trimming (the oldest first).
TRIM_CHUNK = 500
# The WAL file is cut back to this after each checkpoint.
WAL_SIZE_LIMIT = 8 * 1024 * 1024
# SQLite's WAL keeps its index in shared memory, which a network file system does not share
# between machines ("WAL does not work over a network filesystem"): there the cache uses a
# rollback journal, which needs only POSIX locks.
NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "ncpfs",
        "afs",
        "9p",
        "v9fs",
        "lustre",
        "gpfs",
        "beegfs",
        "ceph",
        "glusterfs",
        "ocfs2",
        "gfs2",
        "panfs",
        "pvfs2",
        "orangefs",
        "davfs",
        "vboxsf",
        "drvfs",
        "fuse.sshfs",
        "fuse.glusterfs",
        "fuse.ceph",
        "fuse.cephfs",
        "fuse.s3fs",
        "fuse.rclone",
        "fuse.davfs2",
        "fuse.gcsfuse",
    }
)
MOUNTINFO = Path("/proc/self/mountinfo")


def filesystem_type(path: Path, mountinfo: Path | None = None) -> str | None:
    """The type of the file system that holds `path` (an existing directory), from Linux's
    mountinfo (the last mount on the longest mount point above it); None where unknown."""
    try:
        text = (mountinfo or MOUNTINFO).read_text(encoding="utf-8", errors="replace")
        target = os.path.realpath(path)
    except (OSError, ValueError):
        return None
    found: str | None = None
    longest = -1
    for line in text.splitlines():
        left, dash, right = line.partition(" - ")
        fields, after = left.split(), right.split()
        if not dash or len(fields) < 5 or not after:
            continue
        mount = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4])
        inside = target == mount or target.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) >= longest:
            found, longest = after[0], len(mount)
    return found


def journal_for(directory: Path, setting: str = "auto") -> tuple[str, str]:
    """("wal" or "delete", why): WAL, but a rollback journal on a network file system, or
    as the setting (cache_journal) says."""
    if setting in ("wal", "delete"):
        return setting, f"cache_journal = {setting}"
    fs = filesystem_type(directory)
    if fs is not None and fs.lower() in NETWORK_FILESYSTEMS:
        return "delete", f"{fs} is a network file system: WAL cannot work there"
    return "wal", f"a local file system ({fs})" if fs else "WAL"


def request_signature(base_url: str, endpoint: str, params: Sequence[tuple[str, str]]) -> str:
    """What identifies a per-id answer: server, endpoint and parameters, ids and credentials
    left out (the client adds tool/email/api_key itself; they never come through here)."""
    kept = sorted((k, v) for k, v in params if k != "id")
    return json.dumps([base_url, endpoint, kept], separators=(",", ":"))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc) or type(exc).__name__


COMPANIONS = ("-journal", "-wal", "-shm")


def set_aside_files(path: Path, *, companions: bool = False) -> list[Path]:
    """Cache files of other formats set aside beside `path` (FILE.format-N), with their
    journal files or without."""
    try:
        found = sorted(path.parent.glob(f"{path.name}.format-*"))
    except OSError:
        return []
    return [p for p in found if companions or not p.name.endswith(COMPANIONS)]


def lock_path(path: Path) -> Path:
    """The lock every process holds shared while it has the cache open (not SQLite's own
    FILE.lock, which its dot-file locking uses)."""
    return path.with_name(path.name + "-open.lock")


def remove_files(path: Path) -> list[Path]:
    """Remove a cache file, its WAL companions and the files set aside beside it, whatever
    state they are in."""
    gone = []
    companions = [path.with_name(path.name + suffix) for suffix in COMPANIONS]
    for name in [path, *companions, *set_aside_files(path, companions=True)]:
        try:
            name.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            why = exc.strerror or str(exc)
            raise CacheUnusableError(f"cannot remove the cache file {name}: {why}") from None
        gone.append(name)
    return gone


def _key(signature: str, uid: str) -> str:
    return hashlib.sha256(f"{signature}\0{uid}".encode()).hexdigest()


def _file_bytes(path: Path) -> int:
    """The bytes the cache takes on disk: the database and its WAL."""
    total = 0
    for name in (path, path.with_name(path.name + "-wal")):
        with contextlib.suppress(OSError):
            total += name.stat().st_size
    return total


@dataclass(frozen=True)
class CacheInfo:
    path: Path
    entries: int
    fresh: int
    # The files on disk (database and WAL), which the size bound applies to.
    size_bytes: int
    oldest: float | None
    newest: float | None
    damaged: str | None = None
    # The answers themselves, as JSON.
    answers_bytes: int = 0
    journal: str | None = None
    set_aside: tuple[Path, ...] = ()


class CacheUnusableError(ElinkError):
    """The cache cannot be read (damaged, not a database, unreadable) and the run depends
    on it (--offline), or a cache command cannot do its work on it."""


class _Busy(Exception):
    """A file of another format is open in another process: it cannot be set aside now."""


class OpenLock:
    """A shared lock (flock) on FILE.lock, held by every process while it has the cache
    open. Renaming or removing the database is done only under the exclusive lock, so never
    under a process using it. (filelock has exclusive locks only; this needs shared ones.)
    Without flock (Windows) the system itself refuses to rename an open file."""

    WAIT = 5.0  # seconds to wait for another process's set-aside (or a stopped one)

    def __init__(self, path: Path) -> None:
        self.fd: int | None = None
        self.held = False
        try:
            import fcntl
        except ImportError:
            self.flock = None
            return
        self.flock = fcntl
        try:
            self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:
            with contextlib.suppress(OSError):  # a read-only place: flock works on any fd
                self.fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        self.shared()

    def _take(self, kind: int, wait: float) -> bool:
        if self.fd is None or self.flock is None:
            return False
        give_up = time.monotonic() + wait
        while True:
            try:
                self.flock.flock(self.fd, kind | self.flock.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= give_up:
                    return False
                time.sleep(0.01)
            except OSError:  # no locks on this file system: nothing to coordinate with
                self.close()
                return False

    def shared(self) -> None:
        """Hold the shared lock (again); `held` is False when it could not be had in WAIT
        seconds (another process stopped while it held the exclusive lock)."""
        self.held = self.flock is not None and self._take(self.flock.LOCK_SH, self.WAIT)

    def exclusive(self) -> bool:
        """The exclusive lock now, or False: another process has the cache open (or is
        stopped holding the lock). True where there is no lock to take (no flock, or no
        lock file in a read-only place, where renaming fails by itself)."""
        if self.flock is None or self.fd is None:
            return True
        if not self.held:
            return False
        return self._take(self.flock.LOCK_EX, 0)

    def close(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None
            self.held = False


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
        self._lock: OpenLock | None = None
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self.journal, self.journal_reason = journal_for(directory, journal)
            self._lock = OpenLock(lock_path(self.path))
            if self._lock.fd is not None and not self._lock.held:
                raise _Busy("another elinkcli process holds it to set it aside or remove it")
            self._open()
        except _Busy as busy:
            self.close()
            self._unusable(busy)
        except (OSError, sqlite3.Error) as exc:
            self._unusable(exc)

    def _unusable(self, exc: BaseException, *, writing: bool = False) -> None:
        """Stop using the cache (only writing to it, for a write error), said once."""
        reason = _reason(exc)
        self.problem = self.problem or reason
        if self.required and not writing:
            raise CacheUnusableError(
                f"the cache {self.path} cannot be read ({reason}); "
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
                f"({reason}): {what}; `elinkcli cache clear` starts it afresh"
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
            self.journal, self.journal_reason = "delete", f"WAL failed here ({_reason(exc)})"
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
        if self._lock is not None and not self._lock.exclusive():
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
                f"cannot be set aside here: {_reason(exc)}"
            ) from None
        finally:
            if self._lock is not None:
                self._lock.shared()
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
        if self._lock is not None:
            self._lock.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
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
        return self.get_values(signature, ids, _linksets)

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
        keys = {_key(signature, uid): uid for uid in ids}
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
            rows.append((_key(signature, uid), value, now, len(value)))
        with self._transaction():
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
        with self._transaction():
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

    # --- cache commands ----------------------------------------------------------------------

    def info(self) -> CacheInfo:
        """What the cache holds; `damaged` says why it cannot be used (an integrity check
        that reads the whole file: `cache info` only)."""
        aside = tuple(set_aside_files(self.path))
        if self.readable:
            try:
                self._check()
                oldest = self.clock.time() - self.ttl
                n, size, first, last, fresh = self.db.execute(
                    "SELECT count(*), coalesce(sum(size), 0), min(created), max(created), "
                    "coalesce(sum(created >= ?), 0) FROM entries",
                    (oldest,),
                ).fetchone()
                return CacheInfo(
                    self.path,
                    n,
                    fresh,
                    _file_bytes(self.path),
                    first,
                    last,
                    answers_bytes=size,
                    journal=self.journal,
                    set_aside=aside,
                )
            except sqlite3.Error as exc:
                self.readable = self.writable = False
                self.problem = _reason(exc)
        return CacheInfo(
            self.path,
            0,
            0,
            _file_bytes(self.path),
            None,
            None,
            damaged=self.problem,
            set_aside=aside,
        )

    def _check(self) -> None:
        """SQLite's quick integrity check, its first finding as DatabaseError."""
        (check,) = self.db.execute("PRAGMA quick_check(1)").fetchone()
        if check != "ok":
            found = [line for line in str(check).splitlines() if not line.startswith("***")]
            raise sqlite3.DatabaseError("; ".join(found) or "failed its integrity check")

    def clear(self) -> int | None:
        """Remove every entry (and the files of other formats set aside): their number. A
        cache that cannot be used is removed as a file instead (made anew at the next run):
        None."""
        if self.readable:
            try:
                self._check()
                with self._transaction():
                    n = self.db.execute("DELETE FROM entries").rowcount
                self._vacuum()
                for aside in set_aside_files(self.path, companions=True):
                    with contextlib.suppress(FileNotFoundError):
                        aside.unlink()
                return n
            except sqlite3.Error as exc:
                self.problem = self.problem or _reason(exc)
        with contextlib.suppress(AttributeError, sqlite3.Error):
            self.db.close()
        if self._lock is not None and not self._lock.exclusive():
            raise CacheUnusableError(
                f"the cache {self.path} is open in another elinkcli process: "
                "`elinkcli cache clear` again when it has ended"
            )
        try:
            remove_files(self.path)
        finally:
            self.close()
        return None

    def _vacuum(self) -> None:
        """Rebuild the file small, with incremental auto-vacuum from now on (a file from
        before formats were numbered has none)."""
        self.db.execute("PRAGMA auto_vacuum=INCREMENTAL")
        self.db.execute("VACUUM")
        if self.journal == "wal":
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def prune(self) -> int:
        """Drop expired entries, trim to the size bound, give the space back."""
        if not self.readable:
            raise CacheUnusableError(self._damaged_text())
        try:
            return self._prune()
        except sqlite3.Error as exc:
            self.problem = self.problem or _reason(exc)
            raise CacheUnusableError(self._damaged_text()) from None

    def _damaged_text(self) -> str:
        return (
            f"the cache {self.path} cannot be used ({self.problem}); "
            "`elinkcli cache clear` removes it"
        )

    def _prune(self) -> int:
        self._check()
        with self._transaction():
            n = self.db.execute(
                "DELETE FROM entries WHERE created < ?", (self.clock.time() - self.ttl,)
            ).rowcount
        n += self.trim()
        self._vacuum()
        return n


# --- LinkSet <-> JSON: explicit, so nothing but data is ever read back --------------------


def encode_linkset(ls: LinkSet) -> dict[str, Any]:
    return {
        "dbfrom": ls.dbfrom,
        "ids": list(ls.ids),
        "dbs": [
            [d.dbto, d.linkname, list(d.ids), d.scores and list(d.scores), d.info]
            for d in ls.linksetdbs
        ],
        "checks": [[c.id, [list(a) for a in c.attrs]] for c in ls.id_checks],
        "acheck": [
            [
                s.id,
                [
                    [li.dbto, li.linkname, li.menutag, li.htmltag, li.priority, li.url]
                    for li in s.linkinfos
                ],
            ]
            for s in ls.id_link_sets
        ],
        "urls": [[s.id, [_encode_objurl(o) for o in s.objurls], s.info] for s in ls.id_url_sets],
        "flags": [ls.has_idchecklist, ls.has_idurllist],
        "infos": list(ls.infos),
    }


def _encode_objurl(o: ObjUrl) -> list[Any]:
    p = o.provider
    provider = [p.name, p.name_abbr, p.id, p.url, p.url_lng, p.iconurl] if p else None
    return [
        o.url,
        o.url_lng,
        o.iconurl,
        o.linkname,
        list(o.subject_types),
        list(o.categories),
        list(o.attributes),
        provider,
    ]


def _linksets(value: Any) -> list[LinkSet]:
    return [decode_linkset(d) for d in _list(value)]


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError("not a list")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("not a flag")
    return value


def _text(value: Any, limit: int = V.TEXT_LIMIT) -> str:
    return V.text(_str(value), limit)


def _opt_text(value: Any, limit: int = V.TEXT_LIMIT) -> str | None:
    return None if value is None else _text(value, limit)


def _texts(value: Any, limit: int = V.TEXT_LIMIT) -> tuple[str, ...]:
    return tuple(_text(v, limit) for v in _list(value))


def _score(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10**15:
        raise TypeError("not a score")
    return value


def decode_linkset(d: Any) -> LinkSet:
    """A LinkSet from its cached JSON, every field checked as the answer's parser checks it
    (TypeError, ValueError, ResponseValueError on anything else)."""
    if not isinstance(d, dict):
        raise TypeError("not an object")
    flags = _list(d["flags"])
    return LinkSet(
        dbfrom=V.name(_str(d["dbfrom"]), "DbFrom"),
        ids=V.tokens(map(_str, _list(d["ids"]))),
        linksetdbs=tuple(_linksetdb(_list(item)) for item in _list(d["dbs"])),
        id_checks=tuple(
            IdCheck(
                V.token(_str(i)),
                tuple((_text(k, 100), _text(v, 100)) for k, v in map(_list, _list(attrs))),
            )
            for i, attrs in map(_list, _list(d["checks"]))
        ),
        id_link_sets=tuple(
            IdLinkSet(V.token(_str(i)), tuple(_linkinfo(_list(li)) for li in _list(infos)))
            for i, infos in map(_list, _list(d["acheck"]))
        ),
        id_url_sets=tuple(
            IdUrlSet(
                V.token(_str(i)),
                tuple(_decode_objurl(_list(o)) for o in _list(objs)),
                _opt_text(info, 1000),
            )
            for i, objs, info in map(_list, _list(d["urls"]))
        ),
        has_idchecklist=_flag(flags[0]),
        has_idurllist=_flag(flags[1]),
        infos=_texts(d["infos"], 1000),
    )


def _linksetdb(item: list[Any]) -> LinkSetDb:
    dbto, name, ids, scores, info = item
    return LinkSetDb(
        V.name(_str(dbto), "DbTo"),
        V.name(_str(name), "LinkName"),
        V.uids(map(_str, _list(ids))),
        tuple(map(_score, _list(scores))) if scores else None,
        _opt_text(info, 1000),
    )


def _linkinfo(item: list[Any]) -> LinkInfo:
    dbto, name, menutag, htmltag, priority, url = item
    return LinkInfo(
        V.name(_str(dbto), "DbTo"),
        V.name(_str(name), "LinkName"),
        _text(menutag, 1000),
        _text(htmltag, 1000),
        _text(priority, 20),
        _opt_text(url),
    )


def _decode_objurl(o: list[Any]) -> ObjUrl:
    url, lng, icon, name, stypes, cats, attrs, p = o
    provider = None
    if p is not None:
        pname, abbr, pid, purl, plng, picon = _list(p)
        provider = Provider(
            _text(pname, 1000),
            _text(abbr, 200),
            _text(pid, 64),
            _opt_text(purl),
            _opt_text(plng, 20),
            _opt_text(picon),
        )
    return ObjUrl(
        _text(url),
        _opt_text(lng, 20),
        _opt_text(icon),
        _opt_text(name, 1000),
        _texts(stypes, 200),
        _texts(cats, 200),
        _texts(attrs, 200),
        provider,
    )


def rename_linkset(ls: LinkSet, name: Callable[[str], str]) -> LinkSet:
    """The LinkSet with every source id it speaks for renamed (its IdList, check ids,
    acheck and LinkOut sets); the links themselves are left as they are."""
    return replace(
        ls,
        ids=tuple(map(name, ls.ids)),
        id_checks=tuple(replace(c, id=name(c.id)) for c in ls.id_checks),
        id_link_sets=tuple(replace(s, id=name(s.id)) for s in ls.id_link_sets),
        id_url_sets=tuple(replace(s, id=name(s.id)) for s in ls.id_url_sets),
    )


def linkset_ids(ls: LinkSet) -> tuple[str, ...]:
    """The source ids an answer's LinkSet speaks for, whatever the cmd."""
    return (
        ls.ids
        or tuple(c.id for c in ls.id_checks)
        or tuple(s.id for s in ls.id_link_sets)
        or tuple(s.id for s in ls.id_url_sets)
    )
