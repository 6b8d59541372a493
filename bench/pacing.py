"""How close request starts come to NCBI's limit when many processes share it on a busy
machine: the safety margin of the pacing interval, measured against a server that counts
arrivals.

    python bench/pacing.py [--rounds 5] [--processes 8] [--burners 4]

Each round starts `--processes` whole `elinkcli link` processes at once (each with its own
cache directory, one shared state directory) beside `--burners` CPU-spinning processes, and
records when each request reaches the local server. For each window of limit+1 consecutive
arrivals (4 without a key, 11 with one) it reports how much shorter than the nominal
limit x interval the window came out ("compression"): NCBI answers 429 once a window is
shorter than 1 s, so the interval's margin (limit x interval - 1 s) must exceed the worst
compression seen.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import elinkcli

from elinkcli import constants as C

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from conftest import clean_env
from support.burners import cpu_burners
from support.fake_eutils import FakeEutils

LINK = ("link", "-db", "gene", "-target", "protein", "--batch", "1", "-q")


def one_round(key: str | None, processes: int, per_process: int, burners: int) -> dict:
    limit = 10 if key else 3
    interval = C.START_INTERVAL_WITH_KEY if key else C.START_INTERVAL_NO_KEY
    with FakeEutils() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.rate_limit = limit
        extra = {"ELINKCLI_BASE_URL": fake.base_url, "ELINKCLI_STATE_DIR": f"{tmp}/state"}
        if key:
            extra["NCBI_API_KEY"] = key
        with cpu_burners(burners):
            began = time.monotonic()
            procs = []
            for p in range(processes):
                ids = ",".join(str(5000 + 100 * p + k) for k in range(per_process))
                env = clean_env({**extra, "ELINKCLI_CACHE_DIR": f"{tmp}/cache-{p}"})
                procs.append(
                    subprocess.Popen(
                        [elinkcli(), *LINK, "--id", ids],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                        env=env,
                    )
                )
            codes = [p.wait() for p in procs]
            wall = time.monotonic() - began
        starts = sorted(r.start for r in fake.log)
        spans = [starts[k + limit] - starts[k] for k in range(len(starts) - limit)]
        return {
            "limit": limit,
            "interval": interval,
            "requests": len(starts),
            "wall": wall,
            "429": sum(1 for r in fake.log if r.fault == "429"),
            "failed": sum(1 for c in codes if c != 0),
            "compression": limit * interval - min(spans),
            "margin": limit * interval - 1.0,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--burners", type=int, default=4)
    args = parser.parse_args()
    for key, per in ((None, 4), ("bench-key-0123456789abcdef0123456789ab", 10)):
        rounds = [one_round(key, args.processes, per, args.burners) for _ in range(args.rounds)]
        r0 = rounds[0]
        print(
            f"{'with' if key else 'without'} a key: limit {r0['limit']}/s, interval "
            f"{r0['interval'] * 1000:.0f} ms, margin {r0['margin'] * 1000:.0f} ms; "
            f"{args.rounds} rounds of {args.processes} processes x {per} requests beside "
            f"{args.burners} CPU burners"
        )
        for n, r in enumerate(rounds, 1):
            print(
                f"  round {n}: {r['requests']} requests in {r['wall']:.1f} s, "
                f"{r['429']} x 429, {r['failed']} failed, worst window compression "
                f"{r['compression'] * 1000:.0f} ms"
            )
        worst = max(r["compression"] for r in rounds)
        print(
            f"  worst compression {worst * 1000:.0f} ms of a {r0['margin'] * 1000:.0f} ms "
            f"margin; 429s in all: {sum(r['429'] for r in rounds)}"
        )


if __name__ == "__main__":
    main()
