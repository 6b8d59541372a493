"""Where `-o FILE` writes: a regular file atomically, with a journal of finished batches for
`--resume`; anything else (a FIFO, a device, /dev/stdout) straight through.

Names next to FILE (FILE.part, FILE.journal) are opened with O_NOFOLLOW and new ones with
O_EXCL, so a symbolic link planted there is never followed. The journal is also the run's
lock (flock, released by the kernel when the process dies, kill -9 included): a second run
on the same FILE is refused at start.

A run that commits FILE leaves a record of it in the user's state directory (`finished/`):
which command line wrote it, and the file's identity then. So `--resume` can tell a FILE
this very command completed (nothing to resume: left as it is) from one written by another
command line or changed since (refused), and starts afresh when neither FILE nor its
journal exists.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from elinkcli.errors import OutputError, UsageError
from elinkcli.locks import FILE_MODE, new_file, try_lock

JOURNAL_MAGIC = "elinkcli-journal 1"
_SHAPE = "shape "
# `batch INDEX OFFSET ROWS [NAME=COUNT ...]`, as batch_done writes it: ASCII digits, single
# spaces; the counts are the run's so far (ids done, links...), for a resumed run's summary.
_BATCH_LINE = re.compile(
    r"batch ([0-9]{1,18}) ([0-9]{1,18}) ([0-9]{1,18})((?: [a-z][a-z_.]{0,39}=[0-9]{1,18}){0,64})",
    re.ASCII,
)
_COUNT_NAME = re.compile(r"[a-z][a-z_.]{0,39}", re.ASCII)
# Records of finished outputs kept (the newest; older ones are removed as new ones come).
FINISHED_KEPT = 500
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


class OutputComplete(Exception):
    """`--resume` of a FILE this command line already completed: nothing to do, FILE is
    left as it is (not an error: the run ends with exit 0 and says so)."""


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
        self.tally: dict[str, int] = {}
        try:
            self.stream: IO[str] = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror}") from None

    def batch_done(self, index: int, rows: int, counts: Mapping[str, int] | None = None) -> None:
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
        # The counts the journal's last finished batch recorded (a resumed run's "before").
        self.tally: dict[str, int] = {}
        self._lock_fd = self._lock()
        try:
            offset = self._read_journal() if resume else 0
            if offset:
                self.stream = self._reopen_part(offset)
            else:
                self.done.clear()
                self.rows = 0
                self.tally = {}
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
                fd = os.open(
                    self.journal,
                    os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
                    FILE_MODE,
                )
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
            return self._no_journal()
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
            self.tally = _read_counts(batch[4])
        if offset:
            try:
                part_size = os.stat(self.part, follow_symlinks=False).st_size
            except FileNotFoundError:
                part_size = -1
            if part_size < offset:
                raise UsageError(f"{self.part} is shorter than its journal says: start again")
        return offset

    def _no_journal(self) -> int:
        """--resume without a journal: a fresh run when FILE does not exist either (0);
        OutputComplete when FILE is what this command line completed, untouched since;
        else refused, naming why."""
        try:
            now = os.stat(self.target)
        except FileNotFoundError:
            return 0
        except OSError as exc:
            self._drop_journal()
            raise UsageError(f"cannot read {self.path}: {exc.strerror}") from None
        record = _finished_record(self.target)
        tail = "run without --resume to start again"
        if record is None:
            why = (
                f"no journal {self.journal}, and no record that this command line wrote "
                f"{self.path}; {tail}"
            )
        elif record["fingerprint"] != self.fingerprint:
            lines = [f"{JOURNAL_MAGIC} {record['fingerprint']}"]
            shape = record.get("shape")
            if isinstance(shape, str):
                lines.append(_SHAPE + shape)
            why = f"{self.path} was written by another run: {self._what_differs(lines)}"
        elif record.get("identity") != _identity(now):
            why = f"{self.path} has changed since this command line wrote it; {tail}"
        else:
            self._drop_journal()
            raise OutputComplete(f"{self.path} is complete: nothing to resume")
        self._drop_journal()
        raise UsageError(f"nothing to resume: {why}")

    def _drop_journal(self) -> None:
        """Remove the (empty) journal this run made, and let go of its lock."""
        with contextlib.suppress(OSError):
            os.unlink(self.journal)
        self._unlock()

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
            fd = os.open(self.part, _NEW, FILE_MODE)
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

    def batch_done(self, index: int, rows: int, counts: Mapping[str, int] | None = None) -> None:
        """Record a finished batch (`rows`: rows written so far in the whole run; `counts`:
        the run's counts so far, read back by a --resume as `tally`)."""
        shown = "".join(
            f" {name}={n}"
            for name, n in (counts or {}).items()
            if _COUNT_NAME.fullmatch(name) and 0 <= n < 10**18
        )
        try:
            self.stream.flush()
            os.fsync(self.stream.fileno())
            offset = os.fstat(self.stream.fileno()).st_size
            line = f"batch {index} {offset} {rows}{shown}\n".encode()
            start = os.fstat(self._lock_fd).st_size
            try:
                os.pwrite(self._lock_fd, line, start)
                os.fsync(self._lock_fd)
                self.done.add(index)
            except KeyboardInterrupt:
                # Ctrl-C once the line is written: the journal keeps the batch, and so
                # must what the interrupted run says it keeps.
                if os.fstat(self._lock_fd).st_size >= start + len(line):
                    self.done.add(index)
                raise
        except OSError as exc:
            raise OutputError(f"cannot write {self.part}: {exc.strerror}") from None

    def commit(self) -> None:
        try:
            self.stream.flush()
            os.fsync(self.stream.fileno())  # on disk before its name is FILE's
            self.stream.close()
            os.replace(self.part, self.target)
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc.strerror}") from None
        if self.shape is not None:  # a run --resume may be given again
            _remember_finished(self.target, self.fingerprint, self.shape)
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


def _read_counts(text: str) -> dict[str, int]:
    """` name=count name=count` (a journal line's tail, already checked) as a dict."""
    return {name: int(n) for name, _, n in (part.partition("=") for part in text.split())}


# --- records of finished outputs ------------------------------------------------------------


def finished_dir() -> Path:
    from elinkcli.config import default_state_dir

    return default_state_dir(os.environ) / "finished"


def _record_path(target: Path) -> Path:
    return finished_dir() / (hashlib.sha256(os.fsencode(target)).hexdigest()[:32] + ".json")


def _identity(st: os.stat_result) -> list[int]:
    """What tells the file a run wrote from one put there or changed since."""
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns]


def _remember_finished(target: Path, fingerprint: str, shape: str) -> None:
    """Record that `fingerprint`'s command line completed `target` (as it is now). Best
    effort: without it, a later --resume of this FILE is refused, as before."""
    directory = finished_dir()
    made: Path | None = None
    try:
        record = {
            "path": os.fsdecode(target),
            "fingerprint": fingerprint,
            "shape": shape,
            "identity": _identity(os.stat(target)),
        }
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, made = new_file(directory, ".record-")
        with open(fd, "w", encoding="utf-8") as out:
            json.dump(record, out)
        os.replace(made, _record_path(target))
        made = None
    except (OSError, ValueError):
        return
    finally:
        if made is not None:
            with contextlib.suppress(OSError):
                os.unlink(made)
    with contextlib.suppress(OSError):
        records = sorted(directory.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
        for old in records[:-FINISHED_KEPT]:
            old.unlink()


def _finished_record(target: Path) -> dict[str, object] | None:
    """The record of the run that completed `target`, if any (and readable, and its)."""
    try:
        record = json.loads(_record_path(target).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("path") != os.fsdecode(target):
        return None
    if not isinstance(record.get("fingerprint"), str):
        return None
    return record


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
