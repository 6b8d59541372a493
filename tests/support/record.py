"""Recording of every elinkcli run a test makes, for before/after comparisons of a change
that must not change behaviour (`bench/compare_outputs.py` compares two recordings).

Off unless ELINKCLI_RECORD names a directory: then each `subprocess.run` of elinkcli in
the tests appends one JSON line (test id, run number in the test, exit status, stdout)
to a file per test process there. Temporary paths and port numbers are normalized.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

_TEMP = re.compile(r"/tmp/[^\s\"'\t<>]*")
_PORT = re.compile(r"(127\.0\.0\.1|localhost):\d+")
_counts: dict[str, int] = {}


def _is_elinkcli(args: Any) -> bool:
    if isinstance(args, (str, bytes)):
        return False
    argv = [str(a) for a in args]
    if not argv:
        return False
    return Path(argv[0]).name == "elinkcli" or argv[1:3] == ["-m", "elinkcli"]


def normalize(data: bytes | str | None) -> str:
    if data is None:
        return ""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return _PORT.sub(r"\1:PORT", _TEMP.sub("/tmp/X", text))


def install() -> None:
    where = os.environ.get("ELINKCLI_RECORD")
    if not where:
        return
    Path(where).mkdir(parents=True, exist_ok=True)
    out = Path(where) / f"runs-{os.getpid()}.jsonl"
    original = subprocess.run

    def run(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess:
        proc = original(*args, **kwargs)
        argv = args[0] if args else kwargs.get("args")
        if _is_elinkcli(argv) and kwargs.get("capture_output"):
            test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" (", 1)[0]
            n = _counts[test] = _counts.get(test, 0) + 1
            record = {
                "test": test,
                "n": n,
                "argv": [normalize(str(a)) for a in list(argv)[1:]],
                "status": proc.returncode,
                "stdout": normalize(proc.stdout),
                "stderr": normalize(proc.stderr),
            }
            with out.open("a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")
        return proc

    subprocess.run = run  # type: ignore[assignment]
