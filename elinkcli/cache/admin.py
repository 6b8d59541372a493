"""What `elinkcli cache info|clear|prune` does to a cache: say what it holds, empty it (or
remove a file that cannot be used), drop what expired."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from elinkcli.cache.fs import COMPANIONS, file_bytes, set_aside_files
from elinkcli.cache.store import CacheUnusableError, reason

if TYPE_CHECKING:
    from elinkcli.cache.store import LinkSetCache


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


def info(cache: LinkSetCache) -> CacheInfo:
    """What the cache holds; `damaged` says why it cannot be used (an integrity check
    that reads the whole file: `cache info` only)."""
    aside = tuple(set_aside_files(cache.path))
    if cache.readable:
        try:
            check(cache.db)
            oldest = cache.clock.time() - cache.ttl
            n, size, first, last, fresh = cache.db.execute(
                "SELECT count(*), coalesce(sum(size), 0), min(created), max(created), "
                "coalesce(sum(created >= ?), 0) FROM entries",
                (oldest,),
            ).fetchone()
            return CacheInfo(
                cache.path,
                n,
                fresh,
                file_bytes(cache.path),
                first,
                last,
                answers_bytes=size,
                journal=cache.journal,
                set_aside=aside,
            )
        except sqlite3.Error as exc:
            cache.readable = cache.writable = False
            cache.problem = reason(exc)
    return CacheInfo(
        cache.path,
        0,
        0,
        file_bytes(cache.path),
        None,
        None,
        damaged=cache.problem,
        set_aside=aside,
    )


def check(db: sqlite3.Connection) -> None:
    """SQLite's quick integrity check, its first finding as DatabaseError."""
    (found,) = db.execute("PRAGMA quick_check(1)").fetchone()
    if found != "ok":
        lines = [line for line in str(found).splitlines() if not line.startswith("***")]
        raise sqlite3.DatabaseError("; ".join(lines) or "failed its integrity check")


def clear(cache: LinkSetCache) -> int | None:
    """Remove every entry (and the files of other formats set aside): their number. A
    cache that cannot be used is removed as a file instead (made anew at the next run):
    None."""
    if cache.readable:
        try:
            check(cache.db)
            with cache.transaction():
                n = cache.db.execute("DELETE FROM entries").rowcount
            vacuum(cache)
            for aside in set_aside_files(cache.path, companions=True):
                with contextlib.suppress(FileNotFoundError):
                    aside.unlink()
            return n
        except sqlite3.Error as exc:
            cache.problem = cache.problem or reason(exc)
    with contextlib.suppress(AttributeError, sqlite3.Error):
        cache.db.close()
    if cache.open_lock is not None and not cache.open_lock.exclusive():
        raise CacheUnusableError(
            f"the cache {cache.path} is open in another elinkcli process: "
            "`elinkcli cache clear` again when it has ended"
        )
    try:
        remove_files(cache.path)
    finally:
        cache.close()
    return None


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


def vacuum(cache: LinkSetCache) -> None:
    """Rebuild the file small, with incremental auto-vacuum from now on (a file from
    before formats were numbered has none)."""
    cache.db.execute("PRAGMA auto_vacuum=INCREMENTAL")
    cache.db.execute("VACUUM")
    if cache.journal == "wal":
        cache.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


def prune(cache: LinkSetCache) -> int:
    """Drop expired entries, trim to the size bound, give the space back."""
    if not cache.readable:
        raise CacheUnusableError(_damaged_text(cache))
    try:
        check(cache.db)
        with cache.transaction():
            n = cache.db.execute(
                "DELETE FROM entries WHERE created < ?", (cache.clock.time() - cache.ttl,)
            ).rowcount
        n += cache.trim()
        vacuum(cache)
        return n
    except sqlite3.Error as exc:
        cache.problem = cache.problem or reason(exc)
        raise CacheUnusableError(_damaged_text(cache)) from None


def _damaged_text(cache: LinkSetCache) -> str:
    return (
        f"the cache {cache.path} cannot be used ({cache.problem}); "
        "`elinkcli cache clear` removes it"
    )
