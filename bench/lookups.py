"""Requests and time for what is resolved before linking, whole processes against the
local server (tests/support/fake_eutils.py): a PubMed query message run again (ESearch in UID
ranges), and accessions resolved to UIDs (ESummary; ESearch read back through ESummary),
each first run and rerun from the cache.

    python bench/lookups.py [--hits 9999,12345,61234] [--accessions 1000]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import tempfile
import time
from collections import Counter

from common import elinkcli
from support.fake_eutils import FakeEutils, Table, _spread


def run(fake: FakeEutils, args: list[str], stdin: bytes, cache: str) -> str:
    env = dict(os.environ, ELINKCLI_BASE_URL=fake.base_url, ELINKCLI_CACHE_DIR=cache)
    before = len(fake.log)
    start = time.perf_counter()
    proc = subprocess.run([elinkcli(), *args, "-q"], input=stdin, capture_output=True, env=env)
    seconds = time.perf_counter() - start
    asked = Counter(r.path.rsplit("/", 1)[-1].removesuffix(".fcgi") for r in fake.log[before:])
    lines = len(proc.stdout.splitlines())
    return f"exit {proc.returncode}, {seconds:.1f} s, requests {dict(asked)}, {lines} lines out"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hits", default="9999,12345,61234")
    parser.add_argument("--accessions", type=int, default=1000)
    args = parser.parse_args()
    fake = FakeEutils().start()
    for n in map(int, args.hits.split(",")):
        fake.searches[("pubmed", f"q{n}")] = [
            str(u) for u in random.Random(n).sample(range(1, 41_000_000), n)
        ]
        msg = f"<ENTREZ_DIRECT><Db>pubmed</Db><Count>{n}</Count><Query>q{n}</Query></ENTREZ_DIRECT>"
        result = run(fake, ["link", "-target", "gene", "--batch", "1000", "--format", "uid"],
                     msg.encode(), tempfile.mkdtemp())  # fmt: skip
        print(f"query message, {n} hits: {result}")
    fake.tables["bioproject_sra"] = Table("bioproject", "sra", lambda u: _spread(u, 8_000_000, 4))
    n = args.accessions
    for i in range(n):
        fake.add_record("bioproject", 100_000 + i, f"PRJNA{500_000 + i}")
        fake.add_record("nuccore", 2_000_000 + i, f"NM_{i:06d}.1")
    for db, target, tokens in (
        ("bioproject", "sra", [f"PRJNA{500_000 + i}" for i in range(n)]),
        ("nuccore", "protein", [f"NM_{i:06d}" for i in range(n)]),
    ):
        cache = tempfile.mkdtemp()
        argv = ["link", "-db", db, "-target", target, "--id", ",".join(tokens)]
        print(f"{db}, {n} accessions, first run: {run(fake, argv, b'', cache)}")
        print(f"{db}, {n} accessions, rerun:     {run(fake, argv, b'', cache)}")
    fake.stop()


if __name__ == "__main__":
    main()
