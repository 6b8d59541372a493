"""Start-up and one-off lookups against the floor of elinkcli's dependencies: whole
processes, interleaved, medians of --runs each (a busy machine moves all of them alike).

    python bench/startup.py [--runs 9] [--compare OLD/bin/elinkcli]

The floors are what no elinkcli run can go under: `python -c "import typer"` for a run
that makes no request (every command parses its options with Typer), `import typer,
requests` for one that does. Each figure is printed with its ratio over `python -c pass`
and its distance above its floor:

- `elinkcli --version`, `elinkcli --help`, `elinkcli link --help`;
- one id answered from the cache (`link -db gene -target protein -id 672`);
- one id against a loopback server (tests/support/fake_eutils.py), the first request of
  its second (a fresh cache, the user's pacing state idle for a window);
- the same right after another such run (shared pacing state): with pacing by window it
  starts at once, as fewer than NCBI's 3 starts were made in the last 1.2 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from common import elinkcli

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from conftest import clean_env
from support.fake_eutils import FakeEutils

ONE = ["link", "-db", "gene", "-target", "protein", "-id", "672", "-q"]
# A pacing window without a key (constants.START_BURST_NO_KEY x START_INTERVAL_NO_KEY)
# and a margin: the next run is the first of its window.
IDLE = 1.3


def timed(argv: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{argv} failed: {proc.stderr.decode()[-300:]}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument(
        "--compare", metavar="OLD/bin/elinkcli", help="another install, interleaved beside"
    )
    args = parser.parse_args()
    # As installed from a wheel: bytecode compiled (PYTHONDONTWRITEBYTECODE would otherwise
    # make every run compile elinkcli from source).
    package = Path(__file__).resolve().parent.parent / "elinkcli"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
    py, cli = sys.executable, elinkcli()
    with FakeEutils() as fake, tempfile.TemporaryDirectory() as tmp:

        def env(cache: str | None = None, state: str | None = None) -> dict[str, str]:
            return clean_env(
                {
                    "ELINKCLI_BASE_URL": fake.base_url,
                    "ELINKCLI_CACHE_DIR": cache or tempfile.mkdtemp(dir=tmp),
                    "ELINKCLI_STATE_DIR": state or tempfile.mkdtemp(dir=tmp),
                }
            )

        def elinkcli_cases(cli: str, tag: str) -> dict[str, tuple[Callable[[], float], str]]:
            warm = tempfile.mkdtemp(dir=tmp)
            timed([cli, *ONE], env(warm))
            shared = tempfile.mkdtemp(dir=tmp)

            def first() -> float:
                time.sleep(IDLE)
                return timed([cli, *ONE], env(state=shared))

            def after() -> float:
                timed([cli, *ONE], env(state=shared))
                return timed([cli, *ONE], env(state=shared))

            return {
                f"{tag}--version": (lambda: timed([cli, "--version"]), "import typer"),
                f"{tag}--help": (lambda: timed([cli, "--help"]), "import typer"),
                f"{tag}link --help": (lambda: timed([cli, "link", "--help"]), "import typer"),
                f"{tag}one id from the cache": (
                    lambda: timed([cli, *ONE], env(warm)),
                    "import typer",
                ),
                f"{tag}one id, first of its second": (first, "import typer, requests"),
                f"{tag}one id, right after another": (after, "import typer, requests"),
            }

        cases: dict[str, tuple[Callable[[], float], str | None]] = {
            "python -c pass": (lambda: timed([py, "-c", "pass"]), None),
            "import typer": (lambda: timed([py, "-c", "import typer"]), None),
            "import typer, requests": (lambda: timed([py, "-c", "import typer, requests"]), None),
            **elinkcli_cases(cli, "elinkcli "),
        }
        if args.compare:
            cases.update(elinkcli_cases(args.compare, "(compared) "))
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, (run, _floor) in cases.items():
                times[name].append(run())
    med = {name: statistics.median(took) * 1000 for name, took in times.items()}
    bare = med["python -c pass"]
    print(f"median of {args.runs}, interleaved (ms; x python -c pass; above its floor)")
    print("| figure | ms | x `python -c pass` | floor | above the floor |")
    print("|---|--:|--:|---|--:|")
    for name, (_run, floor) in cases.items():
        above = f"+{med[name] - med[floor]:.0f} ms" if floor else ""
        print(f"| {name} | {med[name]:.0f} | {med[name] / bare:.1f} | {floor or ''} | {above} |")


if __name__ == "__main__":
    main()
