"""Where `-o FILE` writes: a regular file atomically, with a journal of finished batches for
`--resume`; anything else (a FIFO, a device, /dev/stdout) straight through.

Names next to FILE (FILE.part, FILE.journal) are opened with O_NOFOLLOW and new ones with
O_EXCL, so a symbolic link planted there is never followed. The journal is also the run's
lock (flock, released by the kernel when the process dies, kill -9 included): a second run
on the same FILE is refused at start.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import stat
from pathlib import Path
from typing import IO

from elinkcli.errors import OutputError, UsageError
from elinkcli.locks import try_lock

JOURNAL_MAGIC = "elinkcli-journal 1"
_SHAPE = "shape "
# `batch INDEX OFFSET ROWS`, as batch_done writes it: ASCII digits, single spaces.
_BATCH_LINE = re.compile(r"batch ([0-9]{1,18}) ([0-9]{1,18}) ([0-9]{1,18})", re.ASCII)
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def check_output_path(path: Path) -> None:
    """A usage error, before anything is asked, for an -o that cannot be a file to write."""
    if str(path) in ("", "."):
        raise UsageError("-o needs a file name (or - for stdout)")
    try:
        is_dir = stat.S_ISDIR(os.stat(path).st_mode)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    if is_dir:
        raise UsageError(f"-o {path} is a directory: give a file name in it")


def open_output(
    path: Path, fingerprint: str, resume: bool = False, shape: str | None = None
) -> AtomicOutput | DirectOutput:
    """The output for `-o path`: a regular file (or a new name) atomic, else direct."""
    check_output_path(path)
    try:
        kind = os.stat(path).st_mode
    except FileNotFoundError:
        kind = stat.S_IFREG
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    if stat.S_ISREG(kind):
        return AtomicOutput(path, fingerprint, resume, shape)
    if resume:
        raise UsageError(f"--resume needs a regular file, and {path} is not one")
    return DirectOutput(path)


class DirectOutput:
    """A FIFO, a device or a terminal: written as it comes (nothing to rename, no journal)."""

    resumed = False
    rows = 0

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done: set[int] = set()
        try:
            self.stream: IO[str] = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror}") from None

    def batch_done(self, index: int, rows: int) -> None:
        pass

    def commit(self) -> None:
        try:
            self.stream.close()
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc.strerror}") from None

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self.stream.close()


class AtomicOutput:
    """FILE is written as FILE.part and renamed over FILE only when the run succeeds, so a
    failed run leaves the previous FILE untouched. FILE.journal records, after each finished
    batch, its index and the .part file's length then; `resume` cuts .part back to the last
    recorded length (dropping rows of a batch cut short) and skips the recorded batches.

    FILE may be a symbolic link to a regular file: the file it names is replaced, the link
    stays. The new file keeps the old one's permission bits."""

    def __init__(
        self, path: Path, fingerprint: str, resume: bool = False, shape: str | None = None
    ) -> None:
        self.path = path
        real = Path(os.path.realpath(path))
        self.target = real
        self.part = real.with_name(real.name + ".part")
        self.journal = real.with_name(real.name + ".journal")
        self.fingerprint = fingerprint
        self.shape = shape
        self.done: set[int] = set()
        self.rows = 0
        self._lock_fd = self._lock()
        try:
            offset = self._read_journal() if resume else 0
            if offset:
                self.stream = self._reopen_part(offset)
            else:
                self.done.clear()
                self.rows = 0
                self.stream = self._new_part()
                try:
                    self._write_header()
                except OSError as exc:  # a full disk
                    self.abort()
                    raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
        except BaseException:
            self._unlock()
            raise

    @property
    def resumed(self) -> bool:
        return bool(self.done)

    # --- the lock (the journal's inode) --------------------------------------------------

    def _lock(self) -> int:
        while True:
            try:
                fd = os.open(self.journal, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise UsageError(
                        f"{self.journal} is a symbolic link: not followed; remove it"
                    ) from None
                raise UsageError(f"cannot write {self.journal}: {exc.strerror}") from None
            if not try_lock(fd):
                os.close(fd)
                raise UsageError(
                    f"another elinkcli run is writing {self.path} (its journal "
                    f"{self.journal} is locked): wait for it, or give another -o"
                )
            # The journal may have been removed (a run committing) between open and flock.
            try:
                same = os.stat(self.journal, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                return fd
            os.close(fd)

    def _unlock(self) -> None:
        if self._lock_fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._lock_fd)
            self._lock_fd = -1

    # --- the journal ---------------------------------------------------------------------

    def _write_header(self) -> None:
        header = f"{JOURNAL_MAGIC} {self.fingerprint}\n"
        if self.shape is not None:
            header += _SHAPE + self.shape + "\n"
        os.ftruncate(self._lock_fd, 0)
        os.pwrite(self._lock_fd, header.encode("utf-8"), 0)
        os.fsync(self._lock_fd)

    def _read_journal(self) -> int:
        size = os.fstat(self._lock_fd).st_size
        if size == 0:
            with contextlib.suppress(OSError):
                os.unlink(self.journal)
            self._unlock()
            raise UsageError(f"nothing to resume: no journal {self.journal}")
        text = os.pread(self._lock_fd, size, 0).decode("utf-8", "replace")
        lines = text.splitlines()
        if not lines or lines[0] != f"{JOURNAL_MAGIC} {self.fingerprint}":
            raise UsageError(f"{self.journal} belongs to another run: {self._what_differs(lines)}")
        offset = 0
        for line in lines[1:]:
            if line.startswith(_SHAPE):
                continue
            batch = _BATCH_LINE.fullmatch(line)
            if batch is None:
                break  # a line cut short by a crash, or damaged: the ones before it stand
            self.done.add(int(batch[1]))
            offset, self.rows = int(batch[2]), int(batch[3])
        if offset:
            try:
                part_size = os.stat(self.part, follow_symlinks=False).st_size
            except FileNotFoundError:
                part_size = -1
            if part_size < offset:
                raise UsageError(f"{self.part} is shorter than its journal says: start again")
        return offset

    def _what_differs(self, lines: list[str]) -> str:
        """Which options differ from the journal's run (when it recorded them), else ids."""
        tail = "run without --resume to start again"
        old = next((line[len(_SHAPE) :] for line in lines if line.startswith(_SHAPE)), None)
        if old is None or self.shape is None:
            return f"other options or ids; {tail}"
        recorded, current = _read_shape(old), _read_shape(self.shape)
        if recorded is None or current is None:
            return f"other options or ids; {tail}"
        (command_was, was), (command_now, now) = recorded, current
        if command_was != command_now:
            return f"it was another command; {tail}"
        changed = [
            f"--{k.replace('_', '-')} (was {_shown(was.get(k))}, now {_shown(now.get(k))})"
            for k in sorted(set(was) | set(now))
            if was.get(k) != now.get(k)
        ]
        if changed:
            return f"other options: {', '.join(changed)}; {tail}"
        return f"other ids (the options are the same); {tail}"

    # --- the .part file ------------------------------------------------------------------

    def _new_part(self) -> IO[str]:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.part)  # an old .part, or a link planted there: never followed
        try:
            mode = stat.S_IMODE(os.stat(self.target).st_mode)
        except FileNotFoundError:
            mode = None
        try:
            fd = os.open(self.part, _NEW, 0o666)
            if mode is not None:
                os.fchmod(fd, mode)
        except OSError as exc:
            raise UsageError(f"cannot write {self.part}: {exc.strerror}") from None
        return open(fd, "w", encoding="utf-8", newline="")

    def _reopen_part(self, offset: int) -> IO[str]:
        try:
            fd = os.open(self.part, os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UsageError(f"{self.part} is a symbolic link: not followed") from None
            raise UsageError(f"cannot write {self.part}: {exc.strerror}") from None
        os.ftruncate(fd, offset)
        os.lseek(fd, offset, os.SEEK_SET)
        return open(fd, "w", encoding="utf-8", newline="")

    # --- batches, the end ----------------------------------------------------------------

    def batch_done(self, index: int, rows: int) -> None:
        """Record a finished batch (`rows`: rows written so far in the whole run)."""
        try:
            self.stream.flush()
            os.fsync(self.stream.fileno())
            offset = os.fstat(self.stream.fileno()).st_size
            line = f"batch {index} {offset} {rows}\n".encode()
            os.pwrite(self._lock_fd, line, os.fstat(self._lock_fd).st_size)
            os.fsync(self._lock_fd)
        except OSError as exc:
            raise OutputError(f"cannot write {self.part}: {exc.strerror}") from None
        self.done.add(index)

    def commit(self) -> None:
        try:
            self.stream.flush()
            os.fsync(self.stream.fileno())  # on disk before its name is FILE's
            self.stream.close()
            os.replace(self.part, self.target)
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc.strerror}") from None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.journal)
        self._unlock()

    def abort(self) -> None:
        """Leave FILE as it was. Keep .part and the journal when a batch was finished (so
        --resume can go on), else remove them: nothing was gained."""
        with contextlib.suppress(OSError):
            self.stream.close()
        if not self.done:
            for leftover in (self.part, self.journal):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(leftover)
        self._unlock()


def write_whole(out: AtomicOutput | DirectOutput, text: str) -> None:
    """Output made whole in memory (`link --history`'s message, `linkout convert`'s XML)
    into an -o opened by open_output: committed (FILE.part renamed over FILE), or, when it
    cannot be written, aborted (FILE untouched) with an OutputError naming FILE."""
    try:
        try:
            out.stream.write(text)
        except OSError as exc:
            raise OutputError(f"cannot write {out.path}: {exc.strerror or exc}") from None
        out.commit()
    except BaseException:
        out.abort()
        raise


def _read_shape(text: str) -> tuple[object, dict[str, object]] | None:
    """A journal's shape line, `[command, [[option, value], ...]]`; None when it is not
    that (a damaged journal: any JSON, nested however deep)."""
    try:
        command, pairs = json.loads(text)
        options = {key: value for key, value in pairs}
    except (ValueError, TypeError, RecursionError):
        return None
    if not all(isinstance(key, str) for key in options):
        return None
    return command, options


def _shown(value: object) -> str:
    """An option's value as typed, cut short."""
    if isinstance(value, list):
        value = ",".join(map(str, value))
    text = "none" if value is None else str(value)
    return text if len(text) <= 40 else text[:37] + "..."
