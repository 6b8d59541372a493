"""The cache file: writing a batch, and trimming a cache at its size bound.

    python bench/cache.py                 # 2,000-id job; a 64 MB bound for the trim
    python bench/cache.py --bound-mb 512  # the default bound (takes a minute to fill)
    python bench/cache.py --compare /tmp/old/bin/elinkcli   # beside another install

1. Whole processes, interleaved, median of 5: `elinkcli link` of 2,000 ids in 2 requests
   (--batch 1000, with a key) against the local server, with a cold cache (every answer
   written) and with --no-cache; the difference is what writing the cache costs a run.
   CPU time of the process (user + system), which a busy machine moves less than wall
   time; --compare times another install beside it (a release, an older checkout).
2. In one process, the same 2,000 entries written as the cache writes them (one
   transaction) and, for comparison, one transaction per row (SQLite's autocommit, as
   before issue 20).
3. A cache filled to its bound, then one more batch written: the time of that write with
   its trim, the rows trimmed, the file's size on disk against the bound, and the
   process's peak memory (trimming loads no keys).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import elinkcli, timed
from support.fake_eutils import FakeEutils

from elinkcli.cache import admin
from elinkcli.cache.codec import encode_linkset, entry_key
from elinkcli.cache.store import LinkSetCache
from elinkcli.eutils.records import LinkSet, LinkSetDb


def answers(first: int, n: int, links: int = 30) -> dict[str, list[LinkSet]]:
    return {
        str(i): [
            LinkSet(
                "gene",
                (str(i),),
                (
                    LinkSetDb(
                        "protein", "gene_protein", tuple(str(9 * i + k) for k in range(links))
                    ),
                ),
            )
        ]
        for i in range(first, first + n)
    }


def cpu_timed(argv: list[str], *, stdin: bytes, env: dict[str, str]) -> float:
    """The child's CPU seconds (user + system): steadier than wall time on a busy machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    timed(argv, stdin=stdin, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def whole_processes(runs: int, commands: list[str]) -> None:
    """Each command (this install's elinkcli, and any other given), interleaved: the CPU
    time of the whole process, with a cold cache and with none."""
    ids = "".join(f"{100_000 + i}\n" for i in range(2000)).encode()
    cold: dict[str, list[float]] = {c: [] for c in commands}
    none: dict[str, list[float]] = {c: [] for c in commands}
    with FakeEutils() as fake:
        env = {**os.environ, "ELINKCLI_BASE_URL": fake.base_url, "NCBI_API_KEY": "k"}
        for _ in range(runs):
            for command in commands:
                argv = [command, "link", "-db", "gene", "-target", "protein", "--batch", "1000"]
                with tempfile.TemporaryDirectory() as cache:
                    run_env = {**env, "ELINKCLI_CACHE_DIR": cache}
                    cold[command].append(cpu_timed(argv, stdin=ids, env=run_env))
                none[command].append(cpu_timed([*argv, "--no-cache"], stdin=ids, env=env))
    for command in commands:
        c, n = statistics.median(cold[command]), statistics.median(none[command])
        print(
            f"1. {command} link, 2,000 ids, 2 requests, CPU time: cold cache {c * 1000:.0f} "
            f"ms, --no-cache {n * 1000:.0f} ms (median of {runs}): writing costs "
            f"{(c - n) * 1000:.0f} ms"
        )


def in_process() -> None:
    batch = answers(0, 2000)
    with tempfile.TemporaryDirectory() as d:
        cache = LinkSetCache(Path(d), 10**8)
        start = time.perf_counter()
        cache.put_many("sig", batch)
        one = time.perf_counter() - start
        import json

        rows = [
            (entry_key("sig2", uid), json.dumps([encode_linkset(x) for x in v]), 0.0, 0)
            for uid, v in batch.items()
        ]
        start = time.perf_counter()
        cache.db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?)", rows)
        per_row = time.perf_counter() - start
        cache.close()
    print(
        f"2. 2,000 entries in one process: one transaction {one * 1000:.0f} ms "
        f"(encoding included); a transaction per row {per_row * 1000:.0f} ms"
    )


def trim(bound_mb: int) -> None:
    bound = bound_mb * 1024 * 1024
    with tempfile.TemporaryDirectory() as d:
        cache = LinkSetCache(Path(d), 10**8, max_bytes=bound)
        first = 0
        cache.max_bytes = 10**12  # fill without trimming
        while cache.used_bytes() < bound:
            cache.put_many("sig", answers(first, 2000))
            first += 2000
        entries = admin.info(cache).entries
        cache.max_bytes = bound
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        cache.put_many("sig", answers(first, 2000))
        took = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        cache.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        size = os.path.getsize(cache.path)
        info = admin.info(cache)
        left = info.entries
        cache.close()
    print(
        f"3. a {bound_mb} MB bound, {entries:,} entries: the next batch written and trimmed in "
        f"{took * 1000:.0f} ms ({entries + 2000 - left:,} oldest removed), file "
        f"{size / 2**20:.1f} MB ({size / bound:.2f} of the bound; the answers "
        f"{info.answers_bytes / 2**20:.1f} MB), peak memory "
        f"{before / 1024:.0f} MB before, {after / 1024:.0f} MB after"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bound-mb", type=int, default=64)
    parser.add_argument(
        "--compare", action="append", default=[], help="another elinkcli command to time beside"
    )
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}")
    whole_processes(args.runs, [elinkcli(), *args.compare])
    in_process()
    trim(args.bound_mb)


if __name__ == "__main__":
    main()
