"""Compare two recordings of the test suite's elinkcli runs (tests/support/record.py).

    ELINKCLI_RECORD=/tmp/before .venv/bin/python -m pytest -n 4 -q   # at the old commit
    ELINKCLI_RECORD=/tmp/after  .venv/bin/python -m pytest -n 4 -q   # at the new one
    python bench/compare_outputs.py /tmp/before /tmp/after

Runs are matched by test name (the function and its parameters; the file is left out, so
tests moved between files still match) and their number within the test. Prints how many
runs were compared, how many differ in exit status or stdout (each named), and exits 1 if
any do.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

# What differs between any two runs of the same command: the clock, and the byte sizes of
# a SQLite file (its pages) in `elinkcli cache info`.
VOLATILE = [
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)?"), "TIME"),
    (re.compile(r'("?(?:size_bytes|answers_bytes)"?[:\t] ?)\d+'), r"\1N"),
]


def steady(text: str) -> str:
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def load(where: Path) -> dict[tuple[str, int], dict]:
    runs: dict[tuple[str, int], dict] = {}
    for path in sorted(where.glob("runs-*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            record = json.loads(line)
            name = record["test"].rsplit("::", 1)[-1]
            record["stdout"] = steady(record["stdout"])
            runs[(name, record["n"])] = record
    return runs


def main(argv: list[str]) -> int:
    before, after = load(Path(argv[0])), load(Path(argv[1]))
    common = sorted(set(before) & set(after))
    # A run cut short by --max-time writes what it had in time: its rows depend on the clock.
    timed = [k for k in common if "--max-time" in before[k]["argv"] and before[k]["status"] == 4]
    differ = [
        key
        for key in common
        if key not in timed
        and (before[key]["status"], before[key]["stdout"], before[key]["argv"])
        != (after[key]["status"], after[key]["stdout"], after[key]["argv"])
    ]
    stderr_differ = [k for k in common if before[k]["stderr"] != after[k]["stderr"]]
    print(f"runs before: {len(before)}, after: {len(after)}, compared: {len(common)}")
    print(f"cut short by --max-time (rows depend on the clock; status compared): {len(timed)}")
    differ += [k for k in timed if before[k]["status"] != after[k]["status"]]
    print(f"differ in exit status, argv or stdout: {len(differ)}")
    print(f"differ in stderr only (timings, temp names): {len(stderr_differ)}")
    for key in differ[:50]:
        b, a = before[key], after[key]
        print(f"- {key[0]} #{key[1]}: status {b['status']} -> {a['status']}")
        if b["stdout"] != a["stdout"]:
            print(f"  before: {b['stdout'][:300]!r}\n  after:  {a['stdout'][:300]!r}")
    only = sorted(set(before) ^ set(after))
    print(f"runs in one recording only: {len(only)}")
    for key in only[:20]:
        print(f"- {key[0]} #{key[1]}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
