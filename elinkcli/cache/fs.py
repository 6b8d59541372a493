"""The cache's files on disk: their names, the file system under them and the journal it
allows, and the lock every process holds while it has the cache open."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from elinkcli import locks

FILE_NAME = "cache.sqlite3"
# SQLite's journal files beside the database.
COMPANIONS = ("-journal", "-wal", "-shm")
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


def set_aside_files(path: Path, *, companions: bool = False) -> list[Path]:
    """Cache files of other formats set aside beside `path` (FILE.format-N), with their
    journal files or without."""
    try:
        found = sorted(path.parent.glob(f"{path.name}.format-*"))
    except OSError:
        return []
    return [p for p in found if companions or not p.name.endswith(COMPANIONS)]


def file_bytes(path: Path) -> int:
    """The bytes the cache takes on disk: the database and its WAL."""
    total = 0
    for name in (path, path.with_name(path.name + "-wal")):
        with contextlib.suppress(OSError):
            total += name.stat().st_size
    return total


def lock_path(path: Path) -> Path:
    """The lock every process holds shared while it has the cache open (not SQLite's own
    FILE.lock, which its dot-file locking uses)."""
    return path.with_name(path.name + "-open.lock")


class OpenLock:
    """A shared lock (elinkcli.locks) on FILE-open.lock, held by every process while it has
    the cache open. Renaming or removing the database is done only under the exclusive
    lock, so never under a process using it."""

    WAIT = 5.0  # seconds to wait for another process's set-aside (or a stopped one)

    def __init__(self, path: Path) -> None:
        self.held = False
        self._file: locks.LockFile | None = None
        with contextlib.suppress(OSError):  # no lock file at all: nothing to hold
            self._file = locks.LockFile(path, read_only=True)
        self.shared()

    @property
    def fd(self) -> int | None:
        """The lock file's descriptor; None where there is no lock to hold."""
        return None if self._file is None else self._file.fd

    def _take(self, wait: float, *, shared: bool) -> bool:
        if self._file is None:
            return False
        try:
            return self._file.take(wait, shared=shared)
        except OSError:  # no locks on this file system: nothing to coordinate with
            self.close()
            return False

    def shared(self) -> None:
        """Hold the shared lock (again); `held` is False when it could not be had in WAIT
        seconds (another process stopped while it held the exclusive lock)."""
        self.held = self._take(self.WAIT, shared=True)

    def exclusive(self) -> bool:
        """The exclusive lock now, or False: another process has the cache open (or is
        stopped holding the lock). True where there is no lock to take (no lock file in a
        read-only place, where renaming fails by itself, or no locks on the file system)."""
        if self.fd is None:
            return True
        if not self.held:
            return False
        return self._take(0, shared=False)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self.held = False
