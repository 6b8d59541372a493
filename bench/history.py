"""A large History set linked: how soon the first link request leaves, and the process's
peak memory, for this install and (with --compare) another.

    python bench/history.py [--ids 1000000] [--runs 3] [--compare /path/to/other/elinkcli]

Each run reads an ENTREZ_DIRECT message naming a stored set of `--ids` gene ids on the local
server and runs `elinkcli link -target protein --max-time 20` (with an API key: 10 requests
a second; the whole run would take many minutes). elinkcli reads the set a page of 10,000 at
a time from EFetch and links it 20,000 ids at a time, so memory follows one window; an
elinkcli that expands the whole set first holds it all, and asks nothing of ELink until it
has. Runs of the two commands are interleaved.
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

MEASURE = (
    "import resource, subprocess, sys, time; t = time.monotonic(); "
    "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
    "print(t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode)"
)


def one_run(fake: FakeEutils, command: str, message: bytes) -> tuple[float | None, float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        env = clean_env(
            {
                "ELINKCLI_BASE_URL": fake.base_url,
                "ELINKCLI_STATE_DIR": tmp,
                "ELINKCLI_CACHE_DIR": tmp,
                "NCBI_API_KEY": "bench-history-key",
            }
        )
        argv = [command, "link", "-target", "protein", "--batch", "1000", "--max-time", "20"]
        mark = len(fake.log)
        out = subprocess.run(
            [sys.executable, "-c", MEASURE, *argv], input=message, capture_output=True, env=env
        )
        began, rss, rc = out.stdout.split()
        links = elink_requests(fake, mark)
        first = links[0].start - float(began) if links else None
        return first, int(rss) / 1024, int(rc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compare", help="another elinkcli command, measured beside this one")
    args = parser.parse_args()
    commands = {"this": elinkcli()} | ({"other": args.compare} if args.compare else {})
    with FakeEutils() as fake:
        ids = [str(10_000_000 + i) for i in range(args.ids)]
        webenv, key = fake.store("gene", ids)
        message = (
            f"<ENTREZ_DIRECT>\n  <Db>gene</Db>\n  <WebEnv>{webenv}</WebEnv>\n"
            f"  <QueryKey>{key}</QueryKey>\n  <Count>{len(ids)}</Count>\n</ENTREZ_DIRECT>\n"
        ).encode()
        results: dict[str, list[tuple[float | None, float, int]]] = {n: [] for n in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                results[name].append(one_run(fake, command, message))
    print(f"History set of {args.ids:,} ids, --max-time 20, median of {args.runs}:")
    print("| command | first link request after | peak RSS | exit |")
    print("|---|---|---|---|")
    for name, runs in results.items():
        firsts = [r[0] for r in runs if r[0] is not None]
        first = f"{statistics.median(firsts):.2f} s" if firsts else "none in 20 s"
        peak = statistics.median(r[1] for r in runs)
        codes = ",".join(sorted({str(r[2]) for r in runs}))
        print(f"| {name} ({commands[name]}) | {first} | {peak:.0f} MB | {codes} |")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
