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
3. `epost | elink -target protein`: the same ids (EDirect asks for DB_TARGET; so does
   elinkcli).
4. `epost | elink -target protein -format acc` (2,350 gene ids, ~4,700 targets): time and
   requests; elinkcli's uid/edirect out asks ELink for accessions, its tsv asks ESummary.

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


MESSAGE_ID = re.compile(r"<Id>([^<]+)</Id>")


def message(db: str, ids: list[str]) -> bytes:
    """What `epost -db DB -id ...` hands to elink: the ids in an ENTREZ_DIRECT message."""
    inner = "".join(f"<Id>{i}</Id>" for i in ids)
    return (
        f"<ENTREZ_DIRECT><Db>{db}</Db><Count>{len(ids)}</Count><Step>1</Step>{inner}"
        "</ENTREZ_DIRECT>\n"
    ).encode()


def piped(tool: str, args: list[str], stdin: bytes, env: dict[str, str], base: str, out: Path):
    """`... | elink ARGS` or `... | elinkcli link ARGS`, stdin a message: (seconds, the ids
    of the message written; EDirect's History set is read with `efetch -format uid`)."""
    feed = out.with_suffix(".in")
    feed.write_bytes(stdin)
    command = ["elink", "-base", base, *args] if tool == "edirect" else [elinkcli(), "link", *args]
    argv = ["sh", "-c", " ".join(f"'{a}'" for a in command) + f" < '{feed}'"]
    took = measure(argv, out, env)["seconds"]
    text = out.read_text()
    if "<WebEnv>" in text:  # EDirect's History set: its ids read by efetch, not timed
        with out.open("rb") as fh:
            uids = subprocess.run(
                ["efetch", "-base", base, "-format", "uid"], stdin=fh, capture_output=True,
                text=True, env=env, check=True,
            ).stdout  # fmt: skip
        return took, uids.split()
    return took, MESSAGE_ID.findall(text)


def target_alone(tmp: Path) -> None:
    """The issue's first case: `-target` alone, EDirect asking for DB_TARGET."""
    print("3. epost -db gene -id (200 ids) | elink -target protein: the same ids?")
    ids = [str(1000 + i) for i in range(200)]
    with FakeEutils() as fake:
        env = environment(fake)
        env["ELINKCLI_CACHE_DIR"] = str(tmp / "cache3")
        got = {}
        for tool in ("edirect", "elinkcli"):
            took, found = piped(
                tool, ["-target", "protein"], message("gene", ids), env, fake.base_url,
                tmp / f"{tool}3.xml",
            )  # fmt: skip
            got[tool] = found
            print(f"   {tool:9s} {took:6.2f} s  {len(set(found)):5d} ids")
        names = {r.get("linkname") for r in fake.requests_to("elink.fcgi")}
        print(f"   same id set: {'yes' if set(got['edirect']) == set(got['elinkcli']) else 'NO'}"
              f"; link names asked: {sorted(map(str, names))}")  # fmt: skip


def format_acc(tmp: Path, n_ids: int) -> None:
    """-format acc into a pipe: EDirect 19.0 sends no idtype (its bug) and writes UIDs;
    elinkcli asks ELink for accessions (idtype=acc) and needs no other request; the tsv
    with target_acc (ESummary, 200 targets a request) is the other way."""
    ids = [str(1000 + i) for i in range(n_ids)]
    print(f"4. epost -db gene ({n_ids} ids) | elink -target protein -format acc")
    with FakeEutils() as fake:
        targets = {t for i in ids for _n, _d, ts in fake.links("gene", i, "protein", "gene_protein")
                   for t in ts}  # fmt: skip
        for uid in targets:
            fake.add_record("protein", uid, f"XP_{int(uid):09d}.1")
        env = environment(fake)
        for tool, extra in (
            ("edirect", []),
            ("elinkcli", []),
            ("elinkcli-tsv", ["--format", "tsv"]),
        ):
            env["ELINKCLI_CACHE_DIR"] = str(tmp / f"cache4-{tool}")
            before = len(fake.log)
            took, found = piped(
                "edirect" if tool == "edirect" else "elinkcli",
                ["-target", "protein", "-format", "acc", *extra], message("gene", ids), env,
                fake.base_url, tmp / f"{tool}4.xml",
            )  # fmt: skip
            requests = len(fake.log) - before
            rows = (tmp / f"{tool}4.xml").read_text().count("\n") - 1
            shown = f"{len(set(found)):5d} ids" if tool != "elinkcli-tsv" else f"{rows:5d} rows"
            accs = sum(1 for f in found if f.startswith("XP_"))
            print(f"   {tool:12s} {took:6.2f} s  {requests:3d} requests  {shown}"
                  f"  ({accs} accessions)")  # fmt: skip
    print(f"   targets: {len(targets)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=1.0)
    parser.add_argument("--acc-ids", type=int, default=2350)
    args = parser.parse_args()
    if shutil.which("elink") is None or shutil.which("xtract") is None:
        raise SystemExit("EDirect's elink and xtract are not on PATH")
    edirect = subprocess.run(["elink", "-version"], capture_output=True, text=True).stdout
    ours = subprocess.check_output([elinkcli(), "--version"], text=True)
    print(f"EDirect {edirect.strip()}, {ours.strip()}")
    with tempfile.TemporaryDirectory() as tmp:
        at_the_rate_limit(args.ids, args.delay, Path(tmp))
        big_answer(Path(tmp))
        target_alone(Path(tmp))
        format_acc(Path(tmp), args.acc_ids)


if __name__ == "__main__":
    main()
