"""Start-up time: `elinkcli --version` and `elinkcli --help` against a bare `python -c pass`,
and the floor under them (`import typer`, `import typer, requests`), interleaved, medians of
20 runs each (a busy machine moves all of them alike).

    python bench/startup.py
"""

from __future__ import annotations

import statistics
import sys

from common import elinkcli, timed

RUNS = 20


def main() -> None:
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "import typer": [sys.executable, "-c", "import typer"],
        "import typer, requests": [sys.executable, "-c", "import typer, requests"],
        "elinkcli --version": [elinkcli(), "--version"],
        "elinkcli --help": [elinkcli(), "--help"],
        "elinkcli link --help": [elinkcli(), "link", "--help"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(RUNS):
        for name, argv in commands.items():
            times[name].append(timed(argv))
    bare = statistics.median(times["python -c pass"])
    for name, took in times.items():
        median = statistics.median(took)
        print(f"{name:<24}{median * 1000:6.1f} ms  {median / bare:4.1f}x")


if __name__ == "__main__":
    main()
