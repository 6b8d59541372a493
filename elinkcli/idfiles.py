"""Where the whole list of ids an error names goes when a message shows only the first
ones: a file of the user's state directory, one id a line, the newest few kept."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Sequence
from pathlib import Path

# Lists kept; older ones are removed when a new one is written.
KEPT = 20
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def id_list_dir() -> Path:
    from elinkcli.config import default_state_dir

    return default_state_dir(os.environ) / "failed-ids"


def keep_ids(ids: Sequence[str], directory: Path | None = None) -> str:
    """Write every id to a new file; the words saying where (or why not) for the message."""
    directory = directory or id_list_dir()
    name = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}.txt"
    path = directory / name
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, _NEW, 0o600)
        with open(fd, "w", encoding="utf-8") as out:
            out.writelines(f"{i}\n" for i in ids)
    except OSError as exc:
        with contextlib.suppress(OSError):
            path.unlink()
        return f"the whole list could not be kept ({exc.strerror or exc})"
    _prune(directory)
    return f"all {len(ids):,} in {path}"


def _prune(directory: Path) -> None:
    with contextlib.suppress(OSError):
        lists = sorted(directory.glob("*.txt"), key=lambda p: p.stat().st_mtime)
        for old in lists[:-KEPT]:
            old.unlink()
