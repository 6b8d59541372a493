"""Where the whole list of ids an error names goes when a message shows only the first
ones: a file of the user's state directory, one id a line, the newest few kept."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

# Lists kept; older ones are removed when a new one is written.
KEPT = 20


def id_list_dir() -> Path:
    from elinkcli.config import default_state_dir

    return default_state_dir(os.environ) / "failed-ids"


def keep_ids(ids: Sequence[str], directory: Path | None = None) -> str:
    """Write every id to a new file; the words saying where (or why not) for the message."""
    directory = directory or id_list_dir()
    made: Path | None = None
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        # A new name (O_EXCL, mode 0600), never a file that was there.
        fd, name = tempfile.mkstemp(
            prefix=time.strftime("%Y%m%d-%H%M%S-"), suffix=".txt", dir=directory
        )
        made = Path(name)
        with open(fd, "w", encoding="utf-8") as out:
            out.writelines(f"{i}\n" for i in ids)
    except OSError as exc:
        if made is not None:
            with contextlib.suppress(OSError):
                made.unlink()
        return f"the whole list could not be kept ({exc.strerror or exc})"
    _prune(directory)
    return f"all {len(ids):,} in {made}"


def _prune(directory: Path) -> None:
    with contextlib.suppress(OSError):
        lists = sorted(directory.glob("*.txt"), key=lambda p: p.stat().st_mtime)
        for old in lists[:-KEPT]:
            old.unlink()
