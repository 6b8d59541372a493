"""elinkcli and EDirect's `elink` side by side, against the same local server.

Needs EDirect on PATH (Debian/Ubuntu: `apt install ncbi-entrez-direct`; or NCBI's
installer): its `-base URL` option points it at tests/support/fake_eutils.py, as
ELINKCLI_BASE_URL does for elinkcli. Two runs:

1. N ids, gene -> protein (-cmd neighbor: one link set per id in both tools), the server
   answering every request late: wall time, requests, wall / (requests / 3 per second),
   and whether both found the same (source, target) pairs.
2. One pubmed id whose neighbor_score answer is 11 MB (160,000 links), written as tsv:
   `elinkcli link ... -cmd neighbor_score` against `elink ... | xtract` printing the same
   source / target / score lines. Wall time and the largest process's peak memory.

    python bench/edirect.py                      # 1,000 ids, 1 s late
    python bench/edirect.py --ids 5000 --delay 1
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import elinkcli
from support.fake_eutils import FakeEutils, Faults, Table, default_tables

# Runs a command and reports its wall time and the largest descendant's peak RSS.
MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.run(sys.argv[2:], stdout=open(sys.argv[1], "wb"), stderr=subprocess.PIPE)
took = time.perf_counter() - start
if proc.returncode:
    sys.exit(proc.stderr.decode(errors="replace")[-2000:])
print(json.dumps({"seconds": took,
                  "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""

LINKSET = re.compile(r"<LinkSet>(.*?)</LinkSet>", re.S)
SOURCE = re.compile(r"<IdList>\s*<Id>([^<]+)</Id>")
TARGET = re.compile(r"<Link>\s*<Id>([^<]+)</Id>")


def measure(argv: list[str], out: Path, env: dict[str, str]) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, str(out), *argv],
        capture_output=True,
        text=True,
        env=env,
    )
    if proc.returncode:
        raise SystemExit(f"{argv[0]} failed:\n{proc.stderr}")
    return json.loads(proc.stdout)


def edirect_pairs(xml: str) -> set[tuple[str, str]]:
    pairs = set()
    for block in LINKSET.findall(xml):
        source = SOURCE.search(block)
        if source:
            pairs.update((source.group(1), t) for t in TARGET.findall(block))
    return pairs


def tsv_pairs(tsv: str) -> set[tuple[str, str]]:
    lines = tsv.splitlines()[1:]
    return {(cells[1], cells[4]) for cells in (line.split("\t") for line in lines)}


def environment(fake: FakeEutils) -> dict[str, str]:
    env = {**os.environ, "ELINKCLI_BASE_URL": fake.base_url}
    for key in ("NCBI_API_KEY", "ELINKCLI_API_KEY"):
        env.pop(key, None)
    return env


def at_the_rate_limit(n_ids: int, delay: float, tmp: Path) -> None:
    ids = [str(1000 + i) for i in range(n_ids)]
    print(f"1. {n_ids} ids, gene -> protein (-cmd neighbor), every answer {delay:g} s late")
    results = {}
    for tool in ("elinkcli", "edirect"):
        with FakeEutils(faults=Faults(delay=delay)) as fake:
            env = environment(fake)
            env["ELINKCLI_CACHE_DIR"] = str(tmp / "cache")  # empty: every id is asked
            shutil.rmtree(tmp / "cache", ignore_errors=True)
            out = tmp / f"{tool}.out"
            common = ["-db", "gene", "-target", "protein", "-cmd", "neighbor"]
            if tool == "elinkcli":
                argv = [elinkcli(), "link", *common, "-id", ",".join(ids)]
            else:
                argv = ["elink", "-base", fake.base_url, *common, "-id", ",".join(ids)]
            took = measure(argv, out, env)["seconds"]
            requests = len(fake.requests_to("elink.fcgi"))
        text = out.read_text()
        pairs = tsv_pairs(text) if tool == "elinkcli" else edirect_pairs(text)
        results[tool] = (took, requests, pairs)
        print(
            f"   {tool:9s} {took:6.1f} s  {requests:3d} requests "
            f"({n_ids / requests:.0f} ids each)  wall/(requests/3) = {took / (requests / 3):.2f}"
            f"  links {len(pairs)}"
        )
    same = results["elinkcli"][2] == results["edirect"][2]
    print(
        f"   same (source, target) pairs: {'yes' if same else 'NO'}; "
        f"elinkcli {results['edirect'][0] / results['elinkcli'][0]:.1f}x faster"
    )


def big_answer(tmp: Path, n_links: int = 160_000) -> None:
    source = "15718680"
    tables = default_tables()
    tables["pubmed_pubmed"] = Table(
        "pubmed", "pubmed", lambda u: [str(30_000_000 + 7 * i) for i in range(n_links)], True
    )
    print(f"2. one neighbor_score answer of {n_links:,} links, written as tsv")
    rows = {}
    with FakeEutils(tables=tables) as fake:
        env = environment(fake)
        env["ELINKCLI_CACHE_DIR"] = str(tmp / "cache2")
        args = ["-db", "pubmed", "-target", "pubmed", "-cmd", "neighbor_score", "-id", source]
        runs = {
            "elinkcli": [elinkcli(), "link", *args, "--no-cache"],
            "edirect": [
                "sh",
                "-c",
                f"elink -base {fake.base_url} {' '.join(args)} | "
                "xtract -pattern LinkSet -SRC IdList/Id -block Link -deq '\\n' "
                "-element '&SRC' Id Score",
            ],
        }
        size = len(
            fake.answer(
                "/entrez/eutils/elink.fcgi",
                [("dbfrom", "pubmed"), ("db", "pubmed"), ("cmd", "neighbor_score"), ("id", source)],
            )[2]
        )
        print(f"   answer: {size / 1e6:.1f} MB")
        for tool, argv in runs.items():
            out = tmp / f"{tool}.tsv"
            best = min((measure(argv, out, env) for _ in range(3)), key=lambda m: m["seconds"])
            lines = out.read_text().splitlines()
            if tool == "elinkcli":
                lines = ["\t".join(line.split("\t")[i] for i in (1, 4, 5)) for line in lines[1:]]
            rows[tool] = [line.rstrip("\t") for line in lines if line.strip()]
            print(
                f"   {tool:9s} {best['seconds']:6.2f} s  peak {best['peak_mb']:4.0f} MB"
                f"  {len(rows[tool]):,} rows"
            )
    print(f"   same rows: {'yes' if rows['elinkcli'] == rows['edirect'] else 'NO'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=1.0)
    args = parser.parse_args()
    if shutil.which("elink") is None or shutil.which("xtract") is None:
        raise SystemExit("EDirect's elink and xtract are not on PATH")
    edirect = subprocess.run(["elink", "-version"], capture_output=True, text=True).stdout
    ours = subprocess.check_output([elinkcli(), "--version"], text=True)
    print(f"EDirect {edirect.strip()}, {ours.strip()}")
    with tempfile.TemporaryDirectory() as tmp:
        at_the_rate_limit(args.ids, args.delay, Path(tmp))
        big_answer(Path(tmp))


if __name__ == "__main__":
    main()
