"""File locks on `fcntl.flock`, shared or exclusive, taken at once or within a time: the
cache's open lock, the -o journal's and the pacing slot file's.

A flock belongs to the open file (the descriptor), not to the process: two descriptors of
one file exclude each other, in one process too, and the kernel drops a lock when its
descriptor is closed or its process dies (kill -9 included). A file system without locks
(an NFS mount without lockd: ENOLCK) raises OSError. (elinkcli runs on POSIX systems only.)

Every file elinkcli makes (an -o file, its .part and journal, lock files, the pacing slot
file, the cache's lock) is made with FILE_MODE less the umask: never the execute bit, and
never more open than the umask lets it be. `new_file` makes one under a fresh name.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import time
from pathlib import Path

# The mode files are made with; the kernel takes the umask off (0644 with umask 022).
FILE_MODE = 0o666


def new_file(directory: Path, prefix: str, suffix: str = "") -> tuple[int, Path]:
    """A new file in `directory` under a name no file had (O_EXCL, never through a symbolic
    link), mode FILE_MODE less the umask (tempfile.mkstemp makes 0600); (fd, path), opened
    for writing."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for _ in range(100):
        path = directory / f"{prefix}{secrets.token_hex(6)}{suffix}"
        try:
            return os.open(path, flags, FILE_MODE), path
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no new file name found", str(directory))


def try_lock(fd: int, *, shared: bool = False) -> bool:
    """Take the lock on `fd` now (or turn the one it holds into the other kind): False
    when another descriptor holds it in a way that excludes this one (a turn that fails
    leaves none held: the kernel lets go of the old one first). OSError where there are no
    locks (see above)."""
    try:
        fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def lock_within(fd: int, wait: float, *, shared: bool = False, poll: float = 0.01) -> bool:
    """The lock on `fd` within `wait` seconds (asked again every `poll` seconds), or False;
    with `wait` 0, asked once. OSError as try_lock."""
    give_up = time.monotonic() + wait
    while not try_lock(fd, shared=shared):
        if time.monotonic() >= give_up:
            return False
        time.sleep(poll)
    return True


class LockFile:
    """A file opened for its lock, made when missing (with `mode`). With `read_only`, a
    file that cannot be opened for writing (a read-only place) is opened for reading: a
    flock needs no more. With `follow` False a symbolic link there is refused (ELOOP).
    OSError when it cannot be opened at all; the lock goes with `close()`."""

    def __init__(
        self, path: Path, *, mode: int = FILE_MODE, read_only: bool = False, follow: bool = True
    ) -> None:
        self.path = path
        flags = os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
        try:
            self.fd: int | None = os.open(path, os.O_RDWR | os.O_CREAT | flags, mode)
        except OSError:
            if not read_only:
                raise
            self.fd = os.open(path, os.O_RDONLY | flags)

    def take(self, wait: float = 0.0, *, shared: bool = False, poll: float = 0.01) -> bool:
        """The lock within `wait` seconds, or False (see lock_within); False once closed."""
        if self.fd is None:
            return False
        return lock_within(self.fd, wait, shared=shared, poll=poll)

    def close(self) -> None:
        """Close the file, and so let go of its lock."""
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None

    def __enter__(self) -> LockFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
