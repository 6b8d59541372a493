"""Millions of ids on stdin: how soon the first request leaves, and the process's peak memory.

    python bench/bigstdin.py [--ids 5000000] [--runs 3]

Each run pipes the ids into `elinkcli link -db gene -target protein` against the local
server, with `--max-time 8` (at NCBI's rate the whole run would take hours). The first
request's moment is the server's arrival time of the first ELink request, from the start
of the process; peak RSS is the child's, from getrusage.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

from common import elinkcli
from conftest import clean_env
from support.fake_eutils import FakeEutils, elink_requests


def one_run(fake: FakeEutils, stdin_path: str) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory() as tmp, open(stdin_path, "rb") as stdin:
        env = clean_env({"ELINKCLI_BASE_URL": fake.base_url, "ELINKCLI_STATE_DIR": tmp})
        env["ELINKCLI_CACHE_DIR"] = tmp
        argv = [elinkcli(), "link", "-db", "gene", "-target", "protein", "--max-time", "8"]
        mark = len(fake.log)
        code = (
            "import resource, subprocess, sys, time; t = time.monotonic(); "
            "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
            "stderr=subprocess.DEVNULL); "
            "print(t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode)"
        )
        out = subprocess.run(
            [sys.executable, "-c", code, *argv], stdin=stdin, capture_output=True, env=env
        )
        began, rss, rc = out.stdout.split()
        first = elink_requests(fake, mark)[0].start
        return first - float(began), int(rss) / 1024, int(rc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    package = os.path.join(os.path.dirname(__file__), "..", "elinkcli")
    subprocess.run([sys.executable, "-m", "compileall", "-q", package], check=True)
    with tempfile.NamedTemporaryFile("w", suffix=".ids", delete=False) as fh:
        fh.write("".join(f"{10_000_000 + i}\n" for i in range(args.ids)))
    try:
        with FakeEutils() as fake:
            results = [one_run(fake, fh.name) for _ in range(args.runs)]
    finally:
        os.unlink(fh.name)
    firsts = [r[0] for r in results]
    peaks = [r[1] for r in results]
    print(
        f"{args.ids:,} ids on stdin, {args.runs} runs: first request after "
        f"{min(firsts):.2f}-{max(firsts):.2f} s (median {statistics.median(firsts):.2f}), "
        f"peak {min(peaks):.0f}-{max(peaks):.0f} MB; exit {sorted({r[2] for r in results})} "
        f"(4: --max-time 8 ended it, as meant)"
    )


if __name__ == "__main__":
    main()
