"""Reruns: a 1,000-id job served from the cache (after one run that filled it).

python bench/rerun.py
"""

from __future__ import annotations

import os
import tempfile

from common import elinkcli, median_time, timed
from support.fake_eutils import FakeEutils


def main() -> None:
    ids = "".join(f"{1000 + i}\n" for i in range(1000)).encode()
    with FakeEutils() as fake, tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "ELINKCLI_BASE_URL": fake.base_url, "ELINKCLI_CACHE_DIR": cache}
        env.pop("NCBI_API_KEY", None)
        argv = [elinkcli(), "link", "-db", "gene", "-target", "protein"]
        first = timed(argv, stdin=ids, env=env)
        asked = len(fake.log)
        again = median_time(argv, 5, stdin=ids, env=env)
        print(f"first run: {first:.2f} s, {asked} requests")
        print(
            f"rerun from the cache: {again:.3f} s (median of 5), "
            f"{len(fake.log) - asked} more requests"
        )


if __name__ == "__main__":
    main()
