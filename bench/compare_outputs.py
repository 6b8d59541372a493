"""Compare two recordings of the test suite's elinkcli runs (tests/support/record.py).

    ELINKCLI_RECORD=/tmp/before .venv/bin/python -m pytest -n 4 -q   # at the old commit
    ELINKCLI_RECORD=/tmp/after  .venv/bin/python -m pytest -n 4 -q   # at the new one
    python bench/compare_outputs.py /tmp/before /tmp/after

Runs are matched by test id and their number within the test. Prints how many runs were
compared, how many differ in exit status or stdout (each named), and exits 1 if any do.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def load(where: Path) -> dict[tuple[str, int], dict]:
    runs: dict[tuple[str, int], dict] = {}
    for path in sorted(where.glob("runs-*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            record = json.loads(line)
            runs[(record["test"], record["n"])] = record
    return runs


def main(argv: list[str]) -> int:
    before, after = load(Path(argv[0])), load(Path(argv[1]))
    common = sorted(set(before) & set(after))
    differ = [
        key
        for key in common
        if (before[key]["status"], before[key]["stdout"], before[key]["argv"])
        != (after[key]["status"], after[key]["stdout"], after[key]["argv"])
    ]
    stderr_differ = [k for k in common if before[k]["stderr"] != after[k]["stderr"]]
    print(f"runs before: {len(before)}, after: {len(after)}, compared: {len(common)}")
    print(f"differ in exit status, argv or stdout: {len(differ)}")
    print(f"differ in stderr only (timings, temp names): {len(stderr_differ)}")
    for key in differ[:50]:
        b, a = before[key], after[key]
        print(f"- {key[0]} #{key[1]}: status {b['status']} -> {a['status']}")
        if b["stdout"] != a["stdout"]:
            print(f"  before: {b['stdout'][:300]!r}\n  after:  {a['stdout'][:300]!r}")
    only = sorted(set(before) ^ set(after))
    print(f"runs in one recording only: {len(only)}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
