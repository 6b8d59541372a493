"""Parsing speed and peak memory: an 11 MB neighbor_score answer (160,000 links) parsed and
written as TSV to a file, by elinkcli and by Biopython's Entrez.read plus a loop writing the same
rows. Each runs in its own process, so peak memory (ru_maxrss) is its own.

    python bench/parse.py            # needs `pip install biopython` for the comparison
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from common import big_neighbor_score

ELINKCLI = """
import json, resource, sys, time
from elinkcli.commands.link import LINK_COLUMNS, _per_id_rows
from elinkcli.commands.ledger import Ledger
from elinkcli.eutils.elink_parser import parse_elink
from elinkcli.output.writers import TsvWriter
data = open(sys.argv[1], "rb").read()
best = None
for _ in range(5):
    out = open(sys.argv[2], "w")
    start = time.perf_counter()
    result = parse_elink(data)
    writer = TsvWriter(out, LINK_COLUMNS)
    # as `elinkcli link` does for each batch: rows in input order, written at once
    rows = _per_id_rows(result, ["15718680"], "neighbor_score", Ledger())
    writer.write_many(rows)
    out.close()
    del result, rows  # as the next batch would find it
    took = time.perf_counter() - start
    best = took if best is None else min(best, took)
rows = sum(1 for _ in open(sys.argv[2])) - 1
print(json.dumps({"seconds": best, "rows": rows,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

BIOPYTHON = """
import io, json, resource, sys, time
from Bio import Entrez
data = open(sys.argv[1], "rb").read()
best = None
for _ in range(3):
    out = open(sys.argv[2], "w")
    start = time.perf_counter()
    record = Entrez.read(io.BytesIO(data), validate=False)
    out.write("source_db\\tsource_id\\tlinkname\\ttarget_db\\ttarget_id\\tscore\\n")
    for linkset in record:
        for db in linkset["LinkSetDb"]:
            for link in db["Link"]:
                out.write(f"pubmed\\t{linkset['IdList'][0]}\\t{db['LinkName']}\\t{db['DbTo']}"
                          f"\\t{link['Id']}\\t{link.get('Score', '')}\\n")
    out.close()
    del record
    took = time.perf_counter() - start
    best = took if best is None else min(best, took)
rows = sum(1 for _ in open(sys.argv[2])) - 1
print(json.dumps({"seconds": best, "rows": rows,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

BASELINE = """
import json, resource, sys
data = open(sys.argv[1], "rb").read()
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(code: str, path: Path) -> dict[str, float]:
    out = path.with_suffix(".tsv")
    proc = subprocess.run(
        [sys.executable, "-c", code, str(path), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "neighbor_score.xml"
        path.write_bytes(big_neighbor_score(160_000))
        size = path.stat().st_size / 1e6
        ours = run(ELINKCLI, path)
        base = run(BASELINE, path)
        print(f"response: {size:.1f} MB, {ours['rows']:.0f} links")
        print(f"python + the response in memory: peak {base['peak_mb']:.0f} MB")
        print(f"elinkcli : {ours['seconds']:.3f} s, peak {ours['peak_mb']:.0f} MB")
        try:
            bio = run(BIOPYTHON, path)
        except subprocess.CalledProcessError as exc:
            print(f"biopython: not measured ({exc.stderr.strip().splitlines()[-1]})")
            return
        print(f"biopython: {bio['seconds']:.3f} s, peak {bio['peak_mb']:.0f} MB")
        print(
            f"speed-up {bio['seconds'] / ours['seconds']:.1f}x; "
            f"peak memory {ours['peak_mb'] / bio['peak_mb']:.2f} of Biopython's"
        )


if __name__ == "__main__":
    main()
