"""Peak memory of `elinkcli link` must follow one batch, not the whole job: the same run
over 10 and over 100 batches (2,000 links per source id, one id per batch).

    python bench/memory.py
"""

from __future__ import annotations

import os
import resource
import subprocess
import tempfile

from common import elinkcli
from support.fake_eutils import FakeEutils, Table


def peak_mb(n_batches: int) -> float:
    fake = FakeEutils(
        tables={
            "gene_protein": Table(
                "gene", "protein", lambda u: [str(int(u) * 10_000 + j) for j in range(2000)]
            )
        }
    )
    with fake, tempfile.TemporaryDirectory() as cache:
        env = {
            **os.environ,
            "ELINKCLI_BASE_URL": fake.base_url,
            "ELINKCLI_CACHE_DIR": cache,
            "NCBI_API_KEY": "bench",  # the faster pacing; the fake server ignores the key
        }
        ids = "".join(f"{100 + i}\n" for i in range(n_batches)).encode()
        argv = [elinkcli(), "link", "-db", "gene", "-target", "protein", "--batch", "1"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        with open(os.devnull, "wb") as sink:
            subprocess.run(argv, input=ids, stdout=sink, env=env, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(after, before) / 1024


def main() -> None:
    for n in (10, 100):
        print(f"{n:4d} batches ({n * 2000:,} rows): peak {peak_mb(n):.0f} MB")


if __name__ == "__main__":
    main()
