"""Start-up time: `elinkcli --version` and `elinkcli --help` against a bare `python -c pass`,
medians of 20 runs each.

    python bench/startup.py
"""

from __future__ import annotations

import sys

from common import elinkcli, median_time

RUNS = 20


def main() -> None:
    bare = median_time([sys.executable, "-c", "pass"], RUNS)
    print(f"python -c pass      {bare * 1000:6.1f} ms")
    for args in (["--version"], ["--help"], ["link", "--help"]):
        took = median_time([elinkcli(), *args], RUNS)
        print(f"elinkcli {' '.join(args):<11}{took * 1000:6.1f} ms  {took / bare:4.1f}x")


if __name__ == "__main__":
    main()
