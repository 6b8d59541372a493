"""Where loaded tables live on disk, and the one way a table is switched: a reader sees the
old version or the new one, never half of one.

    TABLES_DIR/
      gene2pubmed.json                 the table in use (replaced atomically): its version
      gene2pubmed.v<stamp>/            that version's Parquet files, and `.readers`
      gene2pubmed.lock                 held by the one `tables get` loading it
      downloads/gene2pubmed.gz.part    a transfer to resume, with .part.json

A load writes a new version directory under a fresh name, then replaces the record
(`NAME.json`) in one rename. A reader holds a shared lock on its version's `.readers`
while it asks; an old version is removed only when no reader holds it, else at the next
load, update or drop. A load killed at any point leaves the record as it was.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from elinkcli.errors import ElinkError
from elinkcli.locks import FILE_MODE, LockFile, new_file
from elinkcli.tables.catalog import BY_NAME

RECORD_FORMAT = 1
READERS = ".readers"
# A record larger than this is not one of ours.
_RECORD_BYTES = 1 << 20


class TablesError(ElinkError):
    """A table cannot be loaded, read or dropped (its files, the disk, the lock)."""


@dataclass(frozen=True)
class Upstream:
    """What the server said of the file a table was loaded from."""

    url: str
    size: int | None = None
    last_modified: str | None = None
    etag: str | None = None
    md5: str | None = None


@dataclass(frozen=True)
class Loaded:
    """One table in use: its version directory and where it came from."""

    name: str
    version: str
    path: Path
    upstream: Upstream
    rows: int
    taxa: tuple[int, ...] | None
    loaded_at: float
    files: tuple[str, ...]
    disk_bytes: int

    def origin(self) -> str:
        """How rows it answered name it: `gene2pubmed 2026-12-01` (the upstream date)."""
        return f"{self.name} {self.upstream_date()}"

    def upstream_date(self) -> str:
        """The file's Last-Modified as a date (YYYY-MM-DD), else the day it was loaded."""
        from email.utils import parsedate_to_datetime

        if self.upstream.last_modified:
            with contextlib.suppress(TypeError, ValueError, IndexError):
                return parsedate_to_datetime(self.upstream.last_modified).strftime("%Y-%m-%d")
        return time.strftime("%Y-%m-%d", time.gmtime(self.loaded_at))

    def age(self, now: float | None = None) -> float:
        return max(0.0, (time.time() if now is None else now) - self.loaded_at)


class TablesStore:
    """The tables directory (created when first loaded into)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    # --- reading ---------------------------------------------------------------------

    def any_loaded(self) -> bool:
        """Whether any table is in use: a directory listing, nothing opened."""
        try:
            with os.scandir(self.root) as entries:
                return any(e.name.endswith(".json") and e.name[:-5] in BY_NAME for e in entries)
        except OSError:
            return False

    def current(self, name: str) -> Loaded | None:
        """The table in use under `name`; None when none is (or its record is damaged:
        TablesError says so)."""
        path = self.root / f"{name}.json"
        try:
            with open(path, "rb") as f:
                data = f.read(_RECORD_BYTES + 1)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TablesError(f"cannot read {path}: {exc.strerror}") from None
        try:
            return _loaded(name, self.root, json.loads(data))
        except (ValueError, TypeError, KeyError) as exc:
            raise TablesError(
                f"the record of table {name} ({path}) is damaged ({exc}): "
                f"`elinkcli tables get {name}` loads it again, `tables drop {name}` removes it"
            ) from None

    def current_or_none(self, name: str) -> Loaded | None:
        """The table in use, or None when none is or its record is damaged."""
        try:
            return self.current(name)
        except TablesError:
            return None

    def loaded(self) -> list[Loaded]:
        out = []
        for name in BY_NAME:
            with contextlib.suppress(TablesError):
                found = self.current(name)
                if found is not None:
                    out.append(found)
        return out

    @contextlib.contextmanager
    def reading(self, name: str) -> Iterator[Loaded | None]:
        """The table in use, held for reading: a load that switches meanwhile does not
        remove it until the reader lets go."""
        for _ in range(5):
            found = self.current(name)
            if found is None:
                yield None
                return
            try:
                lock = LockFile(found.path / READERS, read_only=True)
            except FileNotFoundError:  # switched and removed between the two reads
                continue
            except OSError as exc:
                raise TablesError(
                    f"cannot read table {name} at {found.path}: {exc.strerror or exc}"
                ) from None
            try:
                lock.take(shared=True, wait=5.0)
                if not (found.path / READERS).exists():
                    continue
                yield found
                return
            finally:
                lock.close()
        raise TablesError(f"table {name} kept changing while it was read: try again")

    # --- writing ---------------------------------------------------------------------

    def prepare(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            (self.root / "downloads").mkdir(exist_ok=True)
        except OSError as exc:
            where = exc.filename if exc.filename is not None else self.root
            raise TablesError(
                f"cannot make the tables directory: {where}: {exc.strerror or exc}"
            ) from None

    def loader_lock(self, name: str) -> LockFile:
        self.prepare()
        try:
            return LockFile(self.root / f"{name}.lock", follow=False)
        except OSError as exc:
            raise TablesError(
                f"cannot lock table {name} in {self.root}: {exc.strerror or exc}"
            ) from None

    def staging(self, name: str) -> Path:
        """A new, empty version directory to load into (not yet in use)."""
        self.prepare()
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)
        path = self.root / f"{name}.v{stamp}.tmp"
        try:
            path.mkdir()
            (path / READERS).touch(FILE_MODE)
        except OSError as exc:
            raise TablesError(f"cannot make {path}: {exc.strerror or exc}") from None
        return path

    def publish(self, name: str, staged: Path, record: dict[str, Any]) -> Loaded:
        """Make the loaded `staged` directory the table in use: renamed to its version's
        name, then the record replaced in one rename (synced first, so a crash leaves the
        old record or the whole new one). Older versions no reader holds are removed."""
        final = staged.with_suffix("")
        record = {**record, "format": RECORD_FORMAT, "version": final.name}
        target = self.root / f"{name}.json"
        temporary: Path | None = None
        try:
            staged.rename(final)
            fd, temporary = new_file(self.root, f".{name}.json.")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(record, f, indent=1)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temporary, target)
            _sync_dir(self.root)
        except OSError as exc:
            if temporary is not None:
                with contextlib.suppress(OSError):
                    temporary.unlink()
            why = exc.strerror or exc
            raise TablesError(f"cannot switch table {name} to its new version: {why}") from None
        self.clean(name)
        loaded = self.current(name)
        assert loaded is not None
        return loaded

    def clean(self, name: str) -> list[Path]:
        """Remove versions of `name` not in use that no reader holds, and loads that were
        cut short (only called by the holder of the table's loader lock)."""
        in_use = None
        with contextlib.suppress(TablesError):
            found = self.current(name)
            in_use = found.path.name if found else None
        removed: list[Path] = []
        try:
            candidates = list(self.root.glob(f"{name}.v*"))
        except OSError:
            return removed
        for path in candidates:
            if path.name == in_use or not path.is_dir():
                continue
            if not path.name.endswith(".tmp"):
                try:
                    lock = LockFile(path / READERS, read_only=True)
                except OSError:
                    lock = None
                if lock is not None:
                    try:
                        if not lock.take():
                            continue  # a reader still has it
                        (path / READERS).unlink(missing_ok=True)
                    finally:
                        lock.close()
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        return removed

    def drop(self, name: str) -> bool:
        """Stop using table `name` and remove its files (a version a reader still holds
        goes at the next drop or load). False when it was not loaded."""
        path = self.root / f"{name}.json"
        existed = path.exists()
        try:
            path.unlink(missing_ok=True)
            _sync_dir(self.root)
        except OSError as exc:
            raise TablesError(f"cannot remove {path}: {exc.strerror or exc}") from None
        self.clean(name)
        return existed

    def download_path(self, name: str, upstream: str) -> Path:
        """Where the transfer of table `name` goes: its name with the suffix of its file
        upstream (`upstream`, a path: `.gz`, `.tab`) and `.part`."""
        self.prepare()
        return self.root / "downloads" / f"{name}{PurePosixPath(upstream).suffix}.part"


def _sync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _loaded(name: str, root: Path, data: Any) -> Loaded:
    if not isinstance(data, dict) or data.get("format") != RECORD_FORMAT:
        raise ValueError("not a table record of this version of elinkcli")
    version = data["version"]
    if not isinstance(version, str) or not version.startswith(f"{name}.v") or "/" in version:
        raise ValueError("bad version")
    up = data["upstream"]
    if not isinstance(up, dict) or not isinstance(up.get("url"), str):
        raise ValueError("bad upstream")
    files = data["files"]
    if not isinstance(files, list) or not all(
        isinstance(f, str) and "/" not in f and f.endswith(".parquet") for f in files
    ):
        raise ValueError("bad files")
    taxa = data.get("taxa")
    if taxa is not None and not (
        isinstance(taxa, list) and all(isinstance(t, int) and not isinstance(t, bool) for t in taxa)
    ):
        raise ValueError("bad taxa")

    def opt(key: str, kind: type) -> Any:
        value = up.get(key)
        if value is not None and not isinstance(value, kind):
            raise ValueError(f"bad {key}")
        return value

    rows, loaded_at, disk = data["rows"], data["loaded_at"], data.get("disk_bytes", 0)
    if not isinstance(rows, int) or not isinstance(loaded_at, (int, float)):
        raise ValueError("bad counts")
    return Loaded(
        name=name,
        version=version,
        path=root / version,
        upstream=Upstream(
            url=up["url"],
            size=opt("size", int),
            last_modified=opt("last_modified", str),
            etag=opt("etag", str),
            md5=opt("md5", str),
        ),
        rows=rows,
        taxa=tuple(taxa) if taxa is not None else None,
        loaded_at=float(loaded_at),
        files=tuple(files),
        disk_bytes=int(disk) if isinstance(disk, int) else 0,
    )
