"""--format table on a terminal: 3,000 gene ids -> 72,000 protein links answered from a
warmed cache, the whole `elinkcli link` process with stdout and stderr on a pseudo-terminal
(as a person runs it) of 160 and of 80 columns, beside --format tsv on the same terminal.

    python bench/table_view.py                 # 5 runs of each, interleaved
    python bench/table_view.py --runs 3 --compare /tmp/old/bin/elinkcli

Each run: wall time (start to exit, the terminal read as fast as it writes), CPU time
(user + system, which a busy machine moves less) and the peak RSS of the process
(os.wait4's rusage: that child alone). Medians over the runs; also the
lines the terminal got and the widest of them, stderr's summary left out (in terminal
cells), which must not pass the terminal's width.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time

from common import elinkcli
from rich.cells import cell_len
from support.fake_eutils import FakeEutils, Table

IDS = 3000
PER_ID = 24  # 72,000 rows
FIRST_ID = 5_680_399


def targets(uid: str) -> list[str]:
    return [str(100_000_000 + int(uid) * 31 + j) for j in range(PER_ID)]


def on_terminal(argv: list[str], env: dict[str, str], stdin: str, columns: int) -> dict:
    """Run argv with stdout and stderr on one pty of `columns` x 50; what it took."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    with open(stdin, "rb") as ids:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=ids, stdout=terminal, stderr=terminal, env=env)
    os.close(terminal)
    chunks = []
    while True:
        try:
            data = os.read(controller, 1 << 16)
        except OSError:  # EIO: the last writer is gone
            break
        if not data:
            break
        chunks.append(data)
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    os.close(controller)
    if proc.returncode != 0:
        raise SystemExit(f"{argv} exited {proc.returncode}")
    lines = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n").split("\n")
    return {
        "seconds": took,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,
        "lines": len(lines) - (lines[-1] == ""),
        # The rows' lines (stderr's summary is a terminal's to wrap).
        "widest": max(cell_len(line) for line in lines if not line.startswith("elinkcli:")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--compare", action="append", default=[], help="another elinkcli command to time beside"
    )
    args = parser.parse_args()
    commands = [elinkcli(), *args.compare]
    cases = [("tsv", 160), ("table", 160), ("table", 80)]
    fake = FakeEutils(tables={"gene_protein": Table("gene", "protein", targets)})
    with fake, tempfile.TemporaryDirectory() as state:
        ids_file = os.path.join(state, "ids.txt")
        with open(ids_file, "w") as f:
            f.writelines(f"{FIRST_ID + i}\n" for i in range(IDS))
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        env.update(
            ELINKCLI_BASE_URL=fake.base_url,
            ELINKCLI_CACHE_DIR=state,
            ELINKCLI_STATE_DIR=state,
            ELINKCLI_CONFIG=os.devnull,
            NCBI_API_KEY="bench",  # the faster pacing; the fake server ignores the key
            TERM="xterm-256color",
        )
        base = ["link", "-db", "gene", "-target", "protein"]
        with open(ids_file, "rb") as ids:  # warm the cache (requests made once)
            subprocess.run(
                [elinkcli(), *base, "--format", "tsv"],
                stdin=ids,
                stdout=subprocess.DEVNULL,
                env=env,
                check=True,
            )
        asked = len(fake.log)
        got: dict[tuple[str, str, int], list[dict]] = {}
        for _ in range(args.runs):
            for command in commands:
                for fmt, columns in cases:
                    result = on_terminal([command, *base, "--format", fmt], env, ids_file, columns)
                    got.setdefault((command, fmt, columns), []).append(result)
        more = len(fake.log) - asked
    print(f"Python {sys.version.split()[0]}; {IDS:,} ids, {IDS * PER_ID:,} rows from the cache")
    print(f"requests after the warm-up: {more}")
    for (command, fmt, columns), results in got.items():
        seconds = statistics.median(r["seconds"] for r in results)
        cpu = statistics.median(r["cpu"] for r in results)
        tsv_cpu = statistics.median(r["cpu"] for r in got[(command, "tsv", 160)])
        peak = statistics.median(r["peak_mb"] for r in results)
        tsv = statistics.median(r["seconds"] for r in got[(command, "tsv", 160)])
        tsv_peak = statistics.median(r["peak_mb"] for r in got[(command, "tsv", 160)])
        print(
            f"{command} --format {fmt} on a {columns}-column pty: {seconds:.2f} s "
            f"({seconds / tsv:.2f}x tsv), CPU {cpu:.2f} s ({cpu / tsv_cpu:.2f}x), "
            f"peak {peak:.0f} MB ({peak - tsv_peak:+.0f} MB), "
            f"{results[0]['lines']:,} lines, widest {results[0]['widest']} "
            f"(median of {len(results)})"
        )


if __name__ == "__main__":
    main()
