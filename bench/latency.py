"""Wall time of `elinkcli link` against a local server that answers late.

Starts tests/support/fake_eutils.py on 127.0.0.1 with a fixed answer delay, runs the installed
elinkcli as a subprocess, and reports wall time against the ideal
(requests - 1) x start interval + one answer delay, and against a serial client.

    python bench/latency.py                       # 60 ids, 12 requests, 1 s late
    python bench/latency.py --ids 5000 --batch 100 --delay 1
    python bench/latency.py --ids 20000 --batch 100 --delay 1 --adaptive
    python bench/latency.py --ids 20000 --delay 0.5 --delay-per-id 0.005 --adaptive
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from support.fake_eutils import FakeEutils, Faults

from elinkcli.constants import START_INTERVAL_NO_KEY


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", type=int, default=60)
    parser.add_argument("--batch", type=int, default=5)
    parser.add_argument("--delay", type=float, default=1.0)
    parser.add_argument(
        "--delay-per-id", type=float, default=0.0, help="more seconds per id in a request"
    )
    parser.add_argument("--adaptive", action="store_true", help="run with --adaptive-batch")
    args = parser.parse_args()
    exe = Path(sys.executable).parent / "elinkcli"
    ids = "\n".join(str(1000 + i) for i in range(args.ids)) + "\n"
    faults = Faults(delay=args.delay, delay_per_id=args.delay_per_id)
    with FakeEutils(faults=faults) as fake, tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "ELINKCLI_BASE_URL": fake.base_url, "ELINKCLI_CACHE_DIR": cache}
        env.pop("NCBI_API_KEY", None)
        start = time.perf_counter()
        proc = subprocess.run(
            [str(exe), "link", "-db", "gene", "-target", "protein", "--batch", str(args.batch)]
            + (["--adaptive-batch"] if args.adaptive else []),
            input=ids.encode(),
            capture_output=True,
            env=env,
            check=True,
        )
        wall = time.perf_counter() - start
        requests = len(fake.requests_to("elink.fcgi"))
        sizes = [len(r.values("id")) for r in fake.requests_to("elink.fcgi")]
        overlap = max(sum(1 for r in fake.log if r.start <= q.start < r.end) for q in fake.log)
    rows = proc.stdout.count(b"\n") - 1
    ideal = (requests - 1) * START_INTERVAL_NO_KEY + args.delay
    rate_bound = requests / 3
    print(
        f"ids={args.ids} batch={args.batch}{' adaptive' if args.adaptive else ''} "
        f"delay={args.delay}s+{args.delay_per_id}s/id requests={requests} "
        f"(sizes {min(sizes)}-{max(sizes)}) rows={rows}"
    )
    print(f"wall={wall:.2f}s  ideal={ideal:.2f}s  requests/3+delay={rate_bound + args.delay:.2f}s")
    print(
        f"wall/(requests/rate)={wall / rate_bound:.2f}  serial would take >= "
        f"{requests * (args.delay + START_INTERVAL_NO_KEY):.1f}s  max in flight={overlap}"
    )


if __name__ == "__main__":
    main()
