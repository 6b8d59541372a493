"""elinkcli beside its peers, whole processes on one loopback server, the way users meet them.

    python bench/peers.py [--runs 5]

Peers: a Biopython script (`Entrez.elink` + `Entrez.read` + a loop writing the same tsv;
its base URL pointed at the local server) and, when installed, EDirect's `elink`. Runs are
interleaved (elinkcli, Biopython, EDirect, elinkcli, ...) and the median of `--runs` is
reported with each process's peak RSS and the ratios. Cases:

- one id (`link -db gene -target protein -id 672`), each elinkcli run with an empty cache,
  and again answered from the cache, beside `python -c pass` and the floors of elinkcli's
  dependencies (`import typer`; `import typer, requests`), with the distance above them;
- 1,000 PubMed ids, `neighbor_score`, one request and one large answer (81 links each);
- 2,001 ids in three requests of up to 1,000.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import elinkcli

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from conftest import clean_env
from support.fake_eutils import FakeEutils, Table

# Runs a command, prints its wall time and peak RSS (KiB), so each is measured on its own.
MEASURE = (
    "import resource, subprocess, sys, time; t = time.perf_counter(); "
    "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE); "
    "w = time.perf_counter() - t; "
    "print(w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode); "
    "sys.stderr.write(p.stderr.decode()[-300:])"
)

BIOPYTHON = """
import sys
from Bio import Entrez

BASE, DBFROM, DB, CMD = sys.argv[1:5]
ids = sys.argv[5].split(",")
build = Entrez._build_request


def local(cgi, *args, **kwargs):
    cgi = cgi.replace("https://eutils.ncbi.nlm.nih.gov/entrez/eutils/", BASE)
    return build(cgi, *args, **kwargs)


Entrez._build_request = local
Entrez.email = "bench@example.org"
out = sys.stdout
out.write("source_db\\tsource_id\\tlinkname\\ttarget_db\\ttarget_id\\tscore\\n")
for start in range(0, len(ids), 1000):
    handle = Entrez.elink(dbfrom=DBFROM, db=DB, cmd=CMD, id=ids[start : start + 1000])
    for linkset in Entrez.read(handle, validate=False):
        source = linkset["IdList"][0]
        for db in linkset.get("LinkSetDb", []):
            for link in db["Link"]:
                out.write(
                    f"{DBFROM}\\t{source}\\t{db['LinkName']}\\t{db['DbTo']}\\t{link['Id']}"
                    f"\\t{link.get('Score', '')}\\n"
                )
"""


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, *argv], capture_output=True, text=True, env=env
    )
    wall, rss, code = out.stdout.split()
    if code != "0":
        raise SystemExit(f"{argv[0]} failed ({code}): {out.stderr}")
    return float(wall), int(rss) / 1024, int(code)


def pubmed_table(uid: str) -> list[str]:
    n = int(uid)
    return [str(30_000_000 + n * 97 + k) for k in range(81)]


def case(name, fake, dbfrom, db, cmd, ids, runs, *, cached: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = clean_env({"ELINKCLI_BASE_URL": fake.base_url, "ELINKCLI_STATE_DIR": tmp})
        joined = ",".join(ids)
        mine = [elinkcli(), "link", "-db", dbfrom, "-target", db, "-cmd", cmd]
        mine += ["--batch", "1000", "--format", "tsv", "-q", "--id", joined]
        peers: dict[str, list[str]] = {
            "elinkcli": mine,
            "biopython": [sys.executable, "-c", BIOPYTHON, fake.base_url, dbfrom, db, cmd, joined],
        }
        if shutil.which("elink"):
            peers["edirect"] = ["elink", "-base", fake.base_url, "-db", dbfrom, "-target", db]
            peers["edirect"] += ["-cmd", cmd, "-id", joined]
        if cached:
            peers["elinkcli (cache)"] = mine
            peers["python -c pass"] = [sys.executable, "-c", "pass"]
            # The floors: no run parses its options without Typer, none asks without
            # requests.
            peers["import typer"] = [sys.executable, "-c", "import typer"]
            peers["import typer, requests"] = [sys.executable, "-c", "import typer, requests"]
        results: dict[str, list[tuple[float, float, int]]] = {k: [] for k in peers}
        warm = tempfile.mkdtemp(dir=tmp)
        subprocess.run(mine, env={**env, "ELINKCLI_CACHE_DIR": warm}, capture_output=True)
        for _ in range(runs):
            for peer, argv in peers.items():
                cache = warm if peer == "elinkcli (cache)" else tempfile.mkdtemp(dir=tmp)
                results[peer].append(measure(argv, {**env, "ELINKCLI_CACHE_DIR": cache}))
    med = {
        k: (statistics.median(w for w, _, _ in v), max(r for _, r, _ in v))
        for k, v in results.items()
    }
    bio_wall, bio_rss = med["biopython"]
    print(f"{name} (median of {runs}, interleaved):")
    for peer, (wall, rss) in med.items():
        print(
            f"  {peer:<18} {wall * 1000:7.0f} ms  peak {rss:6.0f} MB   "
            f"Biopython / this: {bio_wall / wall:5.2f}x time, {bio_rss / rss:5.2f}x memory"
        )
    if cached:
        base = med["python -c pass"][0]
        typer_floor, request_floor = med["import typer"][0], med["import typer, requests"][0]
        print(f"  from the cache: {med['elinkcli (cache)'][0] / base:.1f}x python -c pass")
        cached_above = (med["elinkcli (cache)"][0] - typer_floor) * 1000
        asking_above = (med["elinkcli"][0] - request_floor) * 1000
        print(
            f"  above the floors: from the cache +{cached_above:.0f} ms over `import typer`; "
            f"asking +{asking_above:.0f} ms over `import typer, requests`"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    # As installed from a wheel: bytecode compiled (this machine sets PYTHONDONTWRITEBYTECODE,
    # which otherwise makes every run compile elinkcli from source: +90 ms).
    package = Path(__file__).resolve().parent.parent / "elinkcli"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
    fake = FakeEutils()
    fake.tables["pubmed_pubmed"] = Table("pubmed", "pubmed", pubmed_table, scored=True)
    with fake:
        began = time.monotonic()
        case("one id", fake, "gene", "protein", "neighbor", ["672"], args.runs, cached=True)
        pmids = [str(10_000_000 + i) for i in range(1000)]
        case("1,000 ids, one answer", fake, "pubmed", "pubmed", "neighbor_score", pmids, args.runs)
        more = [str(10_000_000 + i) for i in range(2001)]
        case("2,001 ids, 3 requests", fake, "pubmed", "pubmed", "neighbor_score", more, args.runs)
        print(f"({time.monotonic() - began:.0f} s in all)")


if __name__ == "__main__":
    main()
