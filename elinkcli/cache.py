"""On-disk cache of ELink answers, one entry per source id, in SQLite (safe for many
processes at once: WAL journal, busy timeout). Keys hold the request without credentials:
the API key never reaches the disk."""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

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


def request_signature(base_url: str, endpoint: str, params: Sequence[tuple[str, str]]) -> str:
    """What identifies a per-id answer: server, endpoint and parameters, ids and credentials
    left out (the client adds tool/email/api_key itself; they never come through here)."""
    kept = sorted((k, v) for k, v in params if k != "id")
    return json.dumps([base_url, endpoint, kept], separators=(",", ":"))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc) or type(exc).__name__


def remove_files(path: Path) -> list[Path]:
    """Remove a cache file and its WAL companions, whatever state they are in."""
    gone = []
    for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
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


@dataclass(frozen=True)
class CacheInfo:
    path: Path
    entries: int
    fresh: int
    size_bytes: int
    oldest: float | None
    newest: float | None
    damaged: str | None = None


class CacheUnusableError(ElinkError):
    """The cache cannot be read (damaged, not a database, unreadable) and the run depends
    on it (--offline), or a cache command cannot do its work on it."""


class LinkSetCache:
    """Per-id answers in SQLite. The cache only ever speeds a run up: a damaged file, a full
    disk or a read-only directory is said once through `on_problem`, and the run goes on
    without it (reads find nothing, writes are skipped). With `required` (--offline, where
    a run has nothing else) the first such problem is CacheUnusableError instead."""

    def __init__(
        self,
        directory: Path,
        ttl: float,
        *,
        max_bytes: int = CACHE_MAX_BYTES,
        clock: Any = time,
        on_problem: Callable[[str], None] | None = None,
        required: bool = False,
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
        self._written = 0
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self._set_up()
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

    def _set_up(self) -> None:
        """WAL mode and the schema. SQLite does not wait (busy timeout) for the journal-mode
        switch, so when several processes create the cache at once, ask again for a while."""
        give_up = time.monotonic() + 30
        while True:
            try:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
                self.db.executescript(SCHEMA)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > give_up:
                    raise
                time.sleep(0.05)

    def __enter__(self) -> LinkSetCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(AttributeError, sqlite3.Error):
            self.db.close()

    def get_many(self, signature: str, ids: Iterable[str]) -> dict[str, list[LinkSet]]:
        """Fresh entries for these ids: {id: the LinkSets NCBI answered for it}."""
        values = self.get_values(signature, ids)
        try:
            return {uid: [decode_linkset(d) for d in value] for uid, value in values.items()}
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            self._unusable(ValueError(f"an entry of an unknown shape ({type(exc).__name__})"))
            return {}

    def put_many(self, signature: str, answers: Mapping[str, Sequence[LinkSet]]) -> None:
        self.put_values(
            signature,
            {uid: [encode_linkset(ls) for ls in linksets] for uid, linksets in answers.items()},
        )

    def get_values(self, signature: str, ids: Iterable[str]) -> dict[str, Any]:
        """Fresh entries for these ids, as the JSON values they were put (none when the
        cache cannot be read)."""
        if not self.readable:
            return {}
        try:
            return self._get_values(signature, ids)
        except (sqlite3.Error, ValueError) as exc:  # ValueError: a value that is not JSON
            self._unusable(exc)
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
        if not self.writable:
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
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?)", rows)
        self._written += sum(r[3] for r in rows)
        if self._written > self.max_bytes // 20:
            self._written = 0
            self.trim()

    def info(self) -> CacheInfo:
        """What the cache holds; `damaged` says why it cannot be used (an integrity check
        that reads the whole file: `cache info` only)."""
        if self.readable:
            try:
                self._check()
                oldest = self.clock.time() - self.ttl
                n, size, first, last, fresh = self.db.execute(
                    "SELECT count(*), coalesce(sum(size), 0), min(created), max(created), "
                    "coalesce(sum(created >= ?), 0) FROM entries",
                    (oldest,),
                ).fetchone()
                return CacheInfo(self.path, n, fresh, size, first, last)
            except sqlite3.Error as exc:
                self.readable = self.writable = False
                self.problem = _reason(exc)
        return CacheInfo(self.path, 0, 0, 0, None, None, damaged=self.problem)

    def _check(self) -> None:
        """SQLite's quick integrity check, its first finding as DatabaseError."""
        (check,) = self.db.execute("PRAGMA quick_check(1)").fetchone()
        if check != "ok":
            found = [line for line in str(check).splitlines() if not line.startswith("***")]
            raise sqlite3.DatabaseError("; ".join(found) or "failed its integrity check")

    def clear(self) -> int | None:
        """Remove every entry: their number. A cache that cannot be used is removed as a
        file instead (made anew at the next run): None."""
        if self.readable:
            try:
                self._check()
                with self.db:
                    n = self.db.execute("DELETE FROM entries").rowcount
                self.db.execute("VACUUM")
                return n
            except sqlite3.Error as exc:
                self.problem = self.problem or _reason(exc)
        self.close()
        remove_files(self.path)
        return None

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
        with self.db:
            n = self.db.execute(
                "DELETE FROM entries WHERE created < ?", (self.clock.time() - self.ttl,)
            ).rowcount
        n += self.trim()
        self.db.execute("VACUUM")
        return n

    def trim(self) -> int:
        """Oldest entries out until the cache is under 90 % of its bound."""
        (size,) = self.db.execute("SELECT coalesce(sum(size), 0) FROM entries").fetchone()
        if size <= self.max_bytes:
            return 0
        removed = 0
        target = self.max_bytes * 0.9
        rows = self.db.execute("SELECT key, size FROM entries ORDER BY created").fetchall()
        doomed = []
        for key, entry_size in rows:
            if size <= target:
                break
            doomed.append((key,))
            size -= entry_size
            removed += 1
        with self.db:
            self.db.executemany("DELETE FROM entries WHERE key = ?", doomed)
        return removed


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


def decode_linkset(d: dict[str, Any]) -> LinkSet:
    return LinkSet(
        dbfrom=d["dbfrom"],
        ids=tuple(d["ids"]),
        linksetdbs=tuple(
            LinkSetDb(dbto, name, tuple(ids), tuple(scores) if scores else None, info)
            for dbto, name, ids, scores, info in d["dbs"]
        ),
        id_checks=tuple(IdCheck(i, tuple((k, v) for k, v in attrs)) for i, attrs in d["checks"]),
        id_link_sets=tuple(
            IdLinkSet(i, tuple(LinkInfo(*li) for li in infos)) for i, infos in d["acheck"]
        ),
        id_url_sets=tuple(
            IdUrlSet(i, tuple(_decode_objurl(o) for o in objs), info) for i, objs, info in d["urls"]
        ),
        has_idchecklist=d["flags"][0],
        has_idurllist=d["flags"][1],
        infos=tuple(d["infos"]),
    )


def _decode_objurl(o: list[Any]) -> ObjUrl:
    url, lng, icon, name, stypes, cats, attrs, p = o
    return ObjUrl(
        url, lng, icon, name, tuple(stypes), tuple(cats), tuple(attrs), Provider(*p) if p else None
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
