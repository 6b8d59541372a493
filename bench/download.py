"""`elinkcli tables get` over a link of a given speed, with NCBI's `FILE.md5` published beside
the file: whole processes as a user runs them, this tree beside another (--compare),
interleaved.

    python bench/download.py [--experiments N] [--rate MB_PER_S] [--runs 3]
                             [--compare OTHER_TREE] [--workdir DIR]

The file is bench/sra_table.py's SRA_Accessions.tab of N experiments (default 1,000,000:
~0.85 GB; generated once into --workdir, default /tmp/elinkcli-bench-download, and reused),
with `SRA_Accessions.tab.md5` beside it. tests/support/file_server.py serves them on
127.0.0.1, each body at --rate MB/s at most (default 100: a fast link to NCBI; 0 for as
fast as the loopback goes). Each run loads the table into a fresh tables directory; the
time is the child's wall time. --compare runs OTHER_TREE's elinkcli (its source tree on
PYTHONPATH, with this Python) in turn with this one's.

What it shows: where the MD5 is taken as the bytes arrive, it costs nothing beside a link
slower than hashing (~1 GB/s); taken after the download, it is one more read of the file.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import HERE
from sra_table import write_file
from tables import file_server

ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))
from conftest import clean_env  # noqa: E402

FILE = Path("sra/reports/Metadata/SRA_Accessions.tab")


def served_file(workdir: Path, experiments: int) -> Path:
    """The file and its `.md5` under `workdir/served`, made unless already of that size."""
    path = workdir / "served" / FILE
    stamp = path.with_name("experiments")
    if not (path.exists() and stamp.exists() and stamp.read_text() == str(experiments)):
        write_file(path, experiments)
        digest = hashlib.md5(usedforsecurity=False)
        with open(path, "rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
        path.with_name(path.name + ".md5").write_text(f"MD5 ({path.name}) = {digest.hexdigest()}\n")
        stamp.write_text(str(experiments))
    return path


def timed_get(tree: Path, url: str, workdir: Path) -> float:
    with tempfile.TemporaryDirectory(dir=workdir) as tables:
        env = clean_env(
            {"ELINKCLI_TABLES_DIR": tables, "ELINKCLI_TABLES_URL": url, "PYTHONPATH": str(tree)}
        )
        began = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "elinkcli", "tables", "get", "sra_accessions"],
            env=env,
            cwd=tree,  # `-m` puts the working directory first on sys.path
            capture_output=True,
            text=True,
        )
        took = time.monotonic() - began
    if proc.returncode != 0:
        raise SystemExit(f"{tree}: exit {proc.returncode}: {proc.stderr.strip()}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--experiments", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=100.0, help="MB/s; 0: unlimited")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compare", type=Path, metavar="OTHER_TREE")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/elinkcli-bench-download"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    path = served_file(args.workdir, args.experiments)
    size = path.stat().st_size
    trees = {"this tree": ROOT}
    if args.compare:
        trees[str(args.compare)] = args.compare.resolve()
    times: dict[str, list[float]] = {name: [] for name in trees}
    with file_server(args.workdir / "served", args.rate or None) as url:
        for _ in range(args.runs):
            for name, tree in trees.items():
                times[name].append(timed_get(tree, url, args.workdir))
    link = f"{args.rate:g} MB/s" if args.rate else "unlimited"
    print(f"`tables get sra_accessions`: {size / 1e9:.2f} GB with its .md5, link {link}")
    print(f"median of {args.runs}, interleaved (s)")
    print("| tree | median | runs |")
    print("|---|--:|---|")
    for name, runs in times.items():
        shown = ", ".join(f"{t:.2f}" for t in runs)
        print(f"| {name} | {statistics.median(runs):.2f} | {shown} |")


if __name__ == "__main__":
    main()
