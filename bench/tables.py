"""Local link tables at NCBI's scale: `elinkcli tables get` loading NCBI-shaped gene2pubmed
and gene2refseq files, and `elinkcli link -db gene -target pubmed --from tables` answering
1 to 1,000,000 gene ids from the loaded table, each a whole process as a user runs it.

    python bench/tables.py [--workdir DIR] [--quick] [--pubmed-rows N] [--refseq-rows N]
                           [--skip-refseq] [--sizes 1,1000,100000,1000000] [--runs 3]
                           [--compare-format] [--regenerate]

The files are generated once into --workdir (default /tmp/elinkcli-bench-tables; several
GB at the defaults; nothing is written in the repository) and reused while their row
counts match (--regenerate makes them again): gene2pubmed with 30,000,000 rows (~3 M
genes over GeneIDs 1..150,000,000, most with 1-5 PMIDs, a few, TP53's 11,627 among them,
with 10,000 or more; tax_ids mostly 9606/10090/10116; PMIDs 1..41,000,000, recent ones
likelier; genome papers shared by every gene of a taxon), gene2refseq with 50,000,000 rows
of the 16 columns (NM_/XM_/NR_/XR_ RNAs, NP_/XP_ proteins, NC_/NG_/NT_/NW_ placements, GIs
with some `-`), both sorted by tax_id then GeneID as NCBI's are, made by DuckDB SQL with
the header line as a gzip member of its own.

They are served by tests/support/file_server.py on 127.0.0.1 (ELINKCLI_TABLES_URL), and
measured, the child's wall time and peak RSS (getrusage of a small wrapper's only child):

* load: `elinkcli tables get NAME` into a fresh tables directory: wall time (the loopback
  download included), rows/s, the table's disk size, peak RSS; the download and the load
  are told apart by watching the `.part` file reach the served size. A gene2refseq load
  that runs out of DuckDB's memory is run again with ELINKCLI_TABLES_MEMORY=2GB, then 4GB.
* link: 1 .. 1,000,000 gene ids (drawn with a fixed seed from the file's genes, 2% absent
  from it) on stdin, tsv to a file: wall time, rows written, rows/s, peak RSS (median
  of --runs runs), beside what ELink would take at 3 (10 with a key) requests/s with
  --batch 100: computed, not run.
* --compare-format: the same gene2pubmed in a DuckDB database file against Parquet (what
  elinkcli writes), in this process: load time, disk size, lookup time per size.

Targets (PASS/FAIL): 1,000,000 ids in under 60 s at under 2 GB peak; gene2pubmed loaded at
1 M rows/s or more (the whole `tables get`); one id in 0.5 s or less, start-up included.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import HERE, elinkcli

from elinkcli.tables.catalog import BY_NAME, GENE_COLUMNS

ROOT = HERE.parent
PUBMED_HEADER = "#tax_id\tGeneID\tPubMed_ID"
REFSEQ_HEADER = "#" + "\t".join(GENE_COLUMNS)
FILES = {name: BY_NAME[name].path for name in ("gene2pubmed", "gene2refseq")}
SEED = 20261201
# Bumped when the generator's output changes: files of another version are made again.
GENERATOR = 2
MAX_GENE = 150_000_000
MAX_PMID = 41_000_000
# Genes famous enough to have 10,000 or so PMIDs (real GeneIDs, counts of the right size).
FAMOUS = (
    (9606, 7157, 11_627),  # TP53
    (9606, 7124, 10_480),  # TNF
    (9606, 1956, 10_020),  # EGFR
    (9606, 3569, 9_310),  # IL6
    (9606, 7422, 8_750),  # VEGFA
    (9606, 348, 7_420),  # APOE
    (10090, 22059, 6_130),  # Trp53
    (9606, 672, 5_260),  # BRCA1
)
OTHER_TAXA = (7955, 7227, 6239, 559292, 3702, 83333, 9913, 9031, 8364, 284812, 9615, 9823)
GENE_ID_SQL = f"(1 + (i * 48271 + 7777) % {MAX_GENE})"
# The taxon of candidate gene i, the same in both files (so they share genes).
TAX_SQL = (
    "CASE WHEN hash(i, 2) % 100 < 14 THEN 9606 WHEN hash(i, 2) % 100 < 26 THEN 10090 "
    "WHEN hash(i, 2) % 100 < 33 THEN 10116 "
    f"ELSE {list(OTHER_TAXA)}[(hash(i, 3) % {len(OTHER_TAXA)})::INTEGER + 1] END"
)
TARGET_IDS_S = 60.0
TARGET_PEAK_MB = 2048.0
TARGET_LOAD_RATE = 1_000_000.0
TARGET_ONE_ID_S = 0.5
ELINK_BATCH = 100


def unit(expr: str) -> str:
    """A uniform number in (0, 1] from a hash expression (53 bits of it: PMIDs drawn from
    it take any of the 41 M values)."""
    return f"(((({expr}) >> 11) + 1) / 9007199254740992.0)"


# --- generating the files -------------------------------------------------------------------


def duck(workdir: Path, memory: str = "8GB") -> Any:
    import duckdb

    spill = workdir / "spill"
    spill.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(
        ":memory:",
        config={
            "threads": os.cpu_count() or 2,
            "memory_limit": memory,
            "temp_directory": str(spill),
        },
    )


def genes_with_counts(con: Any, name: str, rows: int, count_sql: str, famous: list[tuple]) -> None:
    """Temp table `name` (tax_id, gene, n): candidate genes in a fixed order, each with n
    rows, cut where the rows add up to exactly `rows` (the famous genes' included)."""
    left = rows - sum(n for _, _, n in famous)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name}_famous (tax_id INTEGER, gene BIGINT, n INTEGER)"
    )
    if famous:
        con.executemany(f"INSERT INTO {name}_famous VALUES (?, ?, ?)", famous)
    candidates = max(1000, left // 2)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS "
        f"SELECT tax_id, gene, least(n, {left} - (c - n))::INTEGER AS n FROM ("
        f"  SELECT *, sum(n) OVER (ORDER BY i ROWS UNBOUNDED PRECEDING) AS c FROM ("
        f"    SELECT i, {GENE_ID_SQL} AS gene, {TAX_SQL} AS tax_id, ({count_sql})::INTEGER AS n "
        f"    FROM range({candidates}) r(i)) "
        f"  WHERE gene NOT IN (SELECT gene FROM {name}_famous)) "
        f"WHERE c - n < {left} "
        f"UNION ALL SELECT tax_id, gene, n FROM {name}_famous"
    )
    total = con.execute(f"SELECT sum(n) FROM {name}").fetchone()[0]
    if total != rows:
        raise SystemExit(f"{name}: {total} rows drawn, not {rows} (too few candidates)")


def with_header(header: str, body: Path, out: Path) -> None:
    """`out`: the header line as one gzip member, then DuckDB's gzip body (more members)."""
    with open(out, "wb") as f:
        f.write(gzip.compress((header + "\n").encode(), compresslevel=6, mtime=0))
        with open(body, "rb") as src:
            shutil.copyfileobj(src, f, 1 << 22)
    body.unlink()


def copy_tsv(con: Any, select: str, body: Path) -> None:
    con.execute(
        f"COPY ({select}) TO '{body}' (FORMAT csv, DELIMITER '\t', HEADER false, "
        "QUOTE '', NULLSTR '-', COMPRESSION gzip)"
    )


def make_gene2pubmed(con: Any, out: Path, rows: int, genes_file: Path) -> None:
    scale = min(1.0, rows / 3_000_000)
    famous = [(t, g, max(1, int(n * scale))) for t, g, n in FAMOUS]
    # Most genes 1-5 PMIDs (1/u: P(n >= k) = 1/k), capped at 6,000 below the famous ones.
    genes_with_counts(con, "g2p", rows, f"least(6000, floor(1.0 / {unit('hash(i, 11)')}))", famous)
    con.execute(f"COPY (SELECT DISTINCT gene FROM g2p) TO '{genes_file}' (FORMAT parquet)")
    # A non-mammal's first row cites its genome paper (one PMID per taxon, shared by every
    # gene of it, as NCBI's file has); recent PMIDs likelier (sqrt of a uniform).
    pmid = (
        f"CASE WHEN k = 0 AND tax_id NOT IN (9606, 10090, 10116) THEN 10000000 + tax_id % 9000000 "
        f"ELSE 1 + floor({MAX_PMID - 1} * sqrt({unit('hash(gene, k, 13)')}))::BIGINT END"
    )
    body = out.with_suffix(".body.gz")
    copy_tsv(
        con,
        f"SELECT tax_id, gene, {pmid} AS pmid FROM "
        "(SELECT tax_id, gene, unnest(range(n)) AS k FROM g2p) ORDER BY tax_id, gene, pmid",
        body,
    )
    with_header(PUBMED_HEADER, body, out)


def make_gene2refseq(con: Any, out: Path, rows: int) -> None:
    # 1 to 40 rows a gene (1 + a Pareto, alpha 1.3: mostly 1-4).
    genes_with_counts(
        con, "g2r", rows, f"1 + least(39, floor(pow({unit('hash(i, 21)')}, -1 / 1.3)) - 1)", []
    )
    # Stored sorted by (tax_id, gene); unnest keeps a row's order, so the file comes out
    # sorted as NCBI's is without sorting 50 M wide rows.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE g2r_sorted AS SELECT tax_id, gene, n, "
        "['REVIEWED','VALIDATED','PROVISIONAL','PREDICTED','INFERRED','MODEL','NA']"
        "[(hash(gene, 1) % 7)::INTEGER + 1] AS status, "
        "(1 + hash(gene, 2) % 24)::INTEGER AS chrom, "
        "CASE WHEN hash(gene, 3) % 10 < 4 THEN 'LOC' || gene ELSE "
        "chr((65 + hash(gene, 4) % 26)::INTEGER) || chr((65 + hash(gene, 5) % 26)::INTEGER) "
        "|| chr((65 + hash(gene, 6) % 26)::INTEGER) || (hash(gene, 7) % 30)::VARCHAR END "
        "AS symbol FROM g2r ORDER BY tax_id, gene"
    )
    con.execute("DROP TABLE g2r")
    h = "hash(gene, k, {})"
    rna_kind = f"({h.format(31)} % 100)"
    rna_prefix = (
        f"CASE WHEN {rna_kind} < 8 THEN NULL WHEN status = 'MODEL' THEN "
        f"(CASE WHEN {rna_kind} < 85 THEN 'XM_' ELSE 'XR_' END) "
        f"WHEN {rna_kind} < 85 THEN 'NM_' ELSE 'NR_' END"
    )
    number = f"lpad(({h.format(32)} % 1200000)::VARCHAR, 6, '0')"
    version = f"'.' || (1 + {h.format(33)} % 5)::VARCHAR"
    gi = "CASE WHEN {0} % 100 < 3 THEN NULL ELSE 1 + ({0} >> 8) % 2700000000 END"
    place = f"({h.format(41)} % 100)"
    gen_acc = (
        f"CASE WHEN {place} < 60 THEN 'NC_0000' || lpad(chrom::VARCHAR, 2, '0') || '.' || "
        f"(10 + chrom % 3)::VARCHAR WHEN {place} < 72 THEN 'NG_' || "
        f"lpad(({h.format(42)} % 90000)::VARCHAR, 6, '0') || '.1' "
        f"WHEN {place} < 78 THEN 'NT_' || lpad(({h.format(42)} % 200000)::VARCHAR, 6, '0') "
        f"|| '.1' WHEN {place} < 84 THEN 'NW_' || lpad(({h.format(42)} % 30000000)::VARCHAR, 9, "
        "'0') || '.1' END"
    )
    gen_gi = (
        f"CASE WHEN {place} < 60 THEN 568815500 + chrom WHEN {place} < 84 THEN "
        f"1 + {h.format(43)} % 2700000000 END"
    )
    start = f"({h.format(44)} % 248000000)"
    assembly = (
        f"CASE WHEN {place} < 60 OR ({place} >= 72 AND {place} < 84) THEN "
        "CASE tax_id WHEN 9606 THEN 'Reference GRCh38.p14 Primary Assembly' "
        "WHEN 10090 THEN 'Reference GRCm39 C57BL/6J' WHEN 10116 THEN 'Reference GRCr8' "
        "ELSE 'Reference assembly ASM' || (tax_id % 997)::VARCHAR || 'v1' END END"
    )
    select = (
        "SELECT tax_id, gene, status, "
        f"CASE WHEN rp IS NOT NULL THEN rp || num || ver END AS rna_acc, "
        f"CASE WHEN rp IS NOT NULL THEN {gi.format(h.format(34))} END AS rna_gi, "
        "CASE WHEN rp IN ('NM_', 'XM_') THEN replace(replace(rp, 'NM_', 'NP_'), 'XM_', 'XP_') "
        "|| num || ver END AS prot_acc, "
        f"CASE WHEN rp IN ('NM_', 'XM_') THEN {gi.format(h.format(35))} END AS prot_gi, "
        f"{gen_acc} AS gen_acc, {gen_gi} AS gen_gi, "
        f"CASE WHEN {place} < 84 THEN {start} END AS start_pos, "
        f"CASE WHEN {place} < 84 THEN {start} + 500 + {h.format(45)} % 200000 END AS end_pos, "
        f"CASE WHEN {place} >= 84 THEN '?' WHEN {h.format(46)} % 2 = 0 THEN '+' ELSE '-' END "
        "AS orientation, "
        f"{assembly} AS assembly, "
        f"CASE WHEN rp = 'NM_' AND {h.format(47)} % 100 < 2 THEN 'NP_' || "
        f"lpad(({h.format(48)} % 1200000)::VARCHAR, 6, '0') || '.1' END AS pep_acc, "
        f"CASE WHEN rp = 'NM_' AND {h.format(47)} % 100 < 2 THEN 1 + {h.format(49)} % 2700000000 "
        "END AS pep_gi, symbol "
        f"FROM (SELECT *, {rna_prefix} AS rp, {number} AS num, {version} AS ver FROM "
        "(SELECT tax_id, gene, status, chrom, symbol, unnest(range(n)) AS k FROM g2r_sorted))"
    )
    body = out.with_suffix(".body.gz")
    old = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    con.execute("SET preserve_insertion_order = true")
    try:
        copy_tsv(con, select, body)
    finally:
        con.execute(f"SET preserve_insertion_order = {old}")
        con.execute("DROP TABLE g2r_sorted")
    with_header(REFSEQ_HEADER, body, out)


def ensure_files(args: argparse.Namespace) -> dict[str, int]:
    """Generate what is missing (or of other row counts) under workdir/files; {name: rows}."""
    files = args.workdir / "files"
    meta_path = args.workdir / "files.json"
    meta: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        meta = json.loads(meta_path.read_text())
    wanted = {"gene2pubmed": args.pubmed_rows}
    if not args.skip_refseq:
        wanted["gene2refseq"] = args.refseq_rows
    con = None
    for name, rows in wanted.items():
        path = files / FILES[name]
        made = {"rows": rows, "generator": GENERATOR}
        fresh = meta.get(name) == made and path.is_file()
        if name == "gene2pubmed":
            fresh = fresh and (args.workdir / "genes.parquet").is_file()
        if fresh and not args.regenerate:
            print(f"{name}: reusing {path} ({rows:,} rows, {mb(path.stat().st_size)} MB)")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        meta.pop(name, None)
        meta_path.write_text(json.dumps(meta))
        con = con or duck(args.workdir)
        began = time.perf_counter()
        if name == "gene2pubmed":
            make_gene2pubmed(con, path, rows, args.workdir / "genes.parquet")
        else:
            make_gene2refseq(con, path, rows)
        took = time.perf_counter() - began
        meta[name] = made
        meta_path.write_text(json.dumps(meta))
        print(
            f"{name}: generated {rows:,} rows in {took:.1f} s: {path} "
            f"({mb(path.stat().st_size)} MB gzip)",
            flush=True,
        )
    if con is not None:
        con.close()
    shutil.rmtree(args.workdir / "spill", ignore_errors=True)
    return wanted


# --- running elinkcli ------------------------------------------------------------------------

# Runs its arguments as its one child and prints the child's wall time, peak RSS (KB) and
# exit status: the measurement holds nothing of the bench's own memory or start-up.
WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "p = subprocess.run(sys.argv[1:])\n"
    "w = time.perf_counter() - t\n"
    "sys.__stderr__.write(f'@@bench {w} "
    "{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss} {p.returncode}\\n')\n"
)


@dataclass
class Run:
    wall: float
    peak_mb: float
    rc: int
    stderr: str
    phases: dict[str, float] = field(default_factory=dict)


def run_measured(
    argv: list[str],
    env: dict[str, str],
    *,
    stdin: Path | None = None,
    stdout: Path | None = None,
    watch: Any = None,
) -> Run:
    with contextlib.ExitStack() as stack:
        fin = stack.enter_context(open(stdin, "rb")) if stdin else subprocess.DEVNULL
        fout = stack.enter_context(open(stdout, "wb")) if stdout else subprocess.DEVNULL
        ferr = stack.enter_context(tempfile.TemporaryFile())
        began = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", WRAPPER, *argv], stdin=fin, stdout=fout, stderr=ferr, env=env
        )
        phases = watch(proc, began) if watch else {}
        proc.wait()
        ferr.seek(0)
        text = ferr.read().decode("utf-8", "replace")
    lines = text.splitlines()
    mark = next(line for line in reversed(lines) if line.startswith("@@bench "))
    wall, rss, rc = mark.split()[1:]
    rest = "\n".join(line for line in lines if not line.startswith("@@bench "))
    return Run(float(wall), int(rss) / 1024, int(rc), rest, phases)


def child_env(work: Path, base_url: str, tables_dir: Path) -> dict[str, str]:
    """No user config, key, e-mail or cache: a fresh cache/state directory under `work`;
    ELink pointed at a closed port (a table run must not ask it)."""
    drop = ("ELINKCLI_", "NCBI_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop) and k != "EMAIL"}
    state = Path(tempfile.mkdtemp(prefix="state-", dir=work))
    env.update(
        ELINKCLI_CONFIG=os.devnull,
        ELINKCLI_CACHE_DIR=str(state / "cache"),
        ELINKCLI_STATE_DIR=str(state),
        ELINKCLI_TABLES_DIR=str(tables_dir),
        ELINKCLI_TABLES_URL=base_url,
        ELINKCLI_BASE_URL="http://127.0.0.1:9/eutils/",
    )
    return env


@contextlib.contextmanager
def file_server(root: Path, rate: float | None = None) -> Any:
    """tests/support/file_server.py serving `root` (bodies at `rate` MB/s at most); its URL."""
    server = ROOT / "tests" / "support" / "file_server.py"
    proc = subprocess.Popen(
        [sys.executable, str(server), "--root", str(root), "--port", "0"]
        + (["--rate", str(rate)] if rate else []),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http://"):
            raise SystemExit(f"the file server did not start: {url!r}")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def mb(n: float) -> str:
    return f"{n / 1e6:,.0f}"


def gz_lines(path: Path) -> int:
    """Lines of a gzip file (zcat | wc -l: faster than Python's gzip)."""
    zcat = subprocess.Popen(["zcat", str(path)], stdout=subprocess.PIPE)
    out = subprocess.run(["wc", "-l"], stdin=zcat.stdout, capture_output=True, check=True)
    zcat.wait()
    return int(out.stdout.split()[0])


# --- measurements ----------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the final table."""

    what: str
    size: str
    wall: float
    rows: int | None = None
    peak_mb: float | None = None
    disk_mb: float | None = None
    note: str = ""
    target: str = ""


def phase_watcher(tables_dir: Path, name: str, size: int) -> Any:
    """Watches a `tables get`: when its .part file has the whole file (download done)."""
    part = tables_dir / "downloads" / f"{name}.gz.part"

    def watch(proc: subprocess.Popen, began: float) -> dict[str, float]:
        phases: dict[str, float] = {}
        while proc.poll() is None:
            if "downloaded" not in phases:
                with contextlib.suppress(OSError):
                    if part.stat().st_size >= size:
                        phases["downloaded"] = time.perf_counter() - began
            time.sleep(0.02)
        phases["ended"] = time.perf_counter() - began
        return phases

    return watch


def measure_load(
    args: argparse.Namespace,
    base_url: str,
    name: str,
    rows: int,
    tables_dir: Path,
    memory: str | None = None,
) -> tuple[Row, Run]:
    """One `tables get NAME` into an empty tables directory (ELINKCLI_TABLES_MEMORY=memory
    when given, else elinkcli's default)."""
    shutil.rmtree(tables_dir, ignore_errors=True)
    gz = args.workdir / "files" / FILES[name]
    size = gz.stat().st_size
    env = child_env(args.workdir, base_url, tables_dir)
    if memory:
        env["ELINKCLI_TABLES_MEMORY"] = memory
    label = f"`tables get {name}`" + (f" (ELINKCLI_TABLES_MEMORY={memory})" if memory else "")
    busy = load_note()
    run = run_measured(
        [elinkcli(), "tables", "get", name], env, watch=phase_watcher(tables_dir, name, size)
    )
    failed = run.rc != 0
    # A failed load keeps the download to resume from: not a table's size.
    disk = None if failed else dir_bytes(tables_dir)
    down = run.phases.get("downloaded")
    load = run.phases["ended"] - down if down is not None else None
    split = (
        f"download {down:.1f} s ({size / down / 1e6:,.0f} MB/s) + check and load {load:.1f} s"
        + ("" if failed else f" ({rows / load / 1e6:.2f} M rows/s)")
        if down is not None and load
        else "phases not seen"
    )
    print(
        f"{label}: {rows:,} rows, {'FAILED after' if failed else 'in'} {run.wall:.1f} s "
        f"({rows / run.wall / 1e6:.2f} M rows/s), {split}; "
        + (f"table {mb(disk)} MB on disk" if disk is not None else "no table")
        + f" (file {mb(size)} MB), peak {run.peak_mb:,.0f} MB, exit {run.rc}; {busy}",
        flush=True,
    )
    if run.stderr.strip():
        print("  stderr: " + run.stderr.strip().replace("\n", "\n  stderr: "))
    target = ""
    if name == "gene2pubmed":
        ok = not failed and rows / run.wall >= TARGET_LOAD_RATE
        target = f"≥ 1 M rows/s: {'PASS' if ok else 'FAIL'}"
    note = split
    if failed:
        why = "out of memory (DuckDB)" if "Out of Memory" in run.stderr else "see the log"
        note = f"**FAILED** (exit {run.rc}: {why}) after {split}"
    row = Row(
        label,
        f"{rows:,} rows",
        run.wall,
        None if failed else rows,
        run.peak_mb,
        None if disk is None else disk / 1e6,
        note,
        target,
    )
    return row, run


def load_note() -> str:
    """Other work on the machine just before a measurement (it slows every number): the
    processes runnable besides this one, sampled for half a second from /proc/loadavg (the
    load average would count the bench's own last measurement)."""
    cores = os.cpu_count() or 1
    samples = []
    try:
        for _ in range(20):
            with open("/proc/loadavg") as f:
                samples.append(int(f.read().split()[3].split("/")[0]) - 1)
            time.sleep(0.025)
    except (OSError, ValueError, IndexError):
        return f"load average {os.getloadavg()[0]:.1f} on {cores} cores"
    others = statistics.mean(samples)
    warn = " (busy: timings inflated)" if others >= 0.5 else ""
    return f"{others:.1f} other runnable processes on {cores} cores{warn}"


def draw_ids(args: argparse.Namespace, sizes: list[int]) -> dict[int, Path]:
    """For each size, a file of that many gene ids: drawn without repeats from the file's
    genes with a fixed seed, 2% of them (at least one past a single id) absent from it,
    more when the file has fewer genes than that."""
    import duckdb

    genes = [
        r[0]
        for r in duckdb.connect()
        .execute(f"SELECT gene FROM '{args.workdir / 'genes.parquet'}' ORDER BY gene")
        .fetchall()
    ]
    present = set(genes)
    out = {}
    for n in sizes:
        rng = random.Random(SEED + n)
        # A file with fewer genes than asked (--quick) is padded with absent ids.
        chosen = rng.sample(genes, min(len(genes), n if n == 1 else n - max(1, n // 50)))
        absent_n = n - len(chosen)
        absent: list[int] = []
        while len(absent) < absent_n:
            x = rng.randrange(1, MAX_GENE)
            if x not in present:
                absent.append(x)
        ids = chosen + absent
        rng.shuffle(ids)
        path = args.workdir / f"ids-{n}.txt"
        path.write_text("".join(f"{i}\n" for i in ids))
        print(f"{n:,} ids: {len(chosen):,} from the file's genes, {absent_n:,} absent from it")
        out[n] = path
    return out


def expected_rows(args: argparse.Namespace, ids: dict[str, Path]) -> dict[str, int]:
    """The distinct (gene, PMID) pairs of each ids file, straight from the generated file:
    what a right answer has."""
    gz = args.workdir / "files" / FILES["gene2pubmed"]
    source = (
        f"read_csv('{gz}', delim='\t', header=false, skip=1, columns={{'tax_id': 'INTEGER', "
        "'gene': 'BIGINT', 'pmid': 'BIGINT'}, auto_detect=false, compression='gzip')"
    )
    out = {}
    with duck(args.workdir, "4GB") as con:
        con.execute(f"CREATE TEMP TABLE pairs AS SELECT DISTINCT gene, pmid FROM {source}")
        for key, path in ids.items():
            out[key] = con.execute(
                "SELECT count(*) FROM pairs WHERE gene IN (SELECT column0 FROM "
                f"read_csv('{path}', header=false, columns={{'column0': 'BIGINT'}}))"
            ).fetchone()[0]
    shutil.rmtree(args.workdir / "spill", ignore_errors=True)
    return out


def elink_estimate(n: int) -> tuple[int, float, float]:
    requests = math.ceil(n / ELINK_BATCH)
    return requests, requests / 3, requests / 10


def ratio(slow: float, fast: float) -> str:
    x = slow / fast
    return f"{x:,.1f}x" if x < 10 else f"{x:,.0f}x"


def fmt_duration(s: float) -> str:
    if s < 120:
        return f"{s:.1f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


def measure_link(
    args: argparse.Namespace,
    base_url: str,
    tables_dir: Path,
    n: int,
    ids: Path,
    label: str,
    expected: int,
) -> Row:
    out = args.workdir / f"out-{n}.tsv"
    argv = [elinkcli(), "link", "-db", "gene", "-target", "pubmed", "--from", "tables"]
    runs = []
    busy = load_note()
    for _ in range(args.runs):
        env = child_env(args.workdir, base_url, tables_dir)
        run = run_measured(argv, env, stdin=ids, stdout=out)
        runs.append(run)
        if run.rc != 0:
            print(f"  link {label} FAILED (exit {run.rc}):\n{run.stderr}")
            break
    wall = statistics.median(r.wall for r in runs)
    peak = max(r.peak_mb for r in runs)
    with open(out, "rb") as f:
        lines = sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 22), b""))
    with open(out, "rb") as f:
        first = f.readline()
    header = 1 if first.startswith(b"source_db") else 0
    rows = lines - header
    right = "rows as expected" if rows == expected else f"WRONG: {expected:,} rows expected"
    requests, at3, at10 = elink_estimate(n)
    rate = f"{rows / wall:,.0f} rows/s" if wall else ""
    print(
        f"link {label}: {wall:.2f} s (median of {len(runs)}: "
        f"{', '.join(f'{r.wall:.2f}' for r in runs)}), {rows:,} rows ({rate}), peak "
        f"{peak:,.0f} MB, exit {runs[-1].rc}, {right}; ELink: {requests:,} requests = "
        f"{fmt_duration(at3)} at 3/s ({ratio(at3, wall)}), {fmt_duration(at10)} at 10/s "
        f"({ratio(at10, wall)}); {busy}",
        flush=True,
    )
    if runs[-1].stderr.strip():
        print("  stderr: " + runs[-1].stderr.strip()[:2000].replace("\n", "\n  stderr: "))
    target = ""
    ok = runs[-1].rc == 0
    if n == 1_000_000:
        ok = ok and wall < TARGET_IDS_S and peak < TARGET_PEAK_MB
        target = f"< 60 s, < 2 GB: {'PASS' if ok else 'FAIL'}"
    elif n == 1 and label.startswith("1 id"):
        target = f"≤ 0.5 s: {'PASS' if ok and wall <= TARGET_ONE_ID_S else 'FAIL'}"
    note = "" if rows == expected else right + "; "
    note += (
        f"ELink: {fmt_duration(at3)} at 3/s ({ratio(at3, wall)} slower), "
        f"{fmt_duration(at10)} at 10/s ({ratio(at10, wall)}), {requests:,} requests"
    )
    return Row("`link --from tables` gene_pubmed", label, wall, rows, peak, None, note, target)


# --- DuckDB file against Parquet -------------------------------------------------------------


def lookup_sql(relation: str) -> str:
    """elinkcli's gene_pubmed lookup (elinkcli.tables.lookup.Reader.links)."""
    return (
        "SELECT src::VARCHAR, list(dst::VARCHAR ORDER BY dst DESC) FILTER (WHERE dst IS NOT NULL) "
        f"FROM (SELECT DISTINCT gene AS src, pmid AS dst FROM {relation} "
        "WHERE gene IN (SELECT unnest($1))) GROUP BY src"
    )


def compare_format(args: argparse.Namespace, sizes: dict[int, Path]) -> list[Row]:
    import duckdb

    gz = args.workdir / "files" / FILES["gene2pubmed"]
    work = Path(tempfile.mkdtemp(prefix="formats-", dir=args.workdir))
    config = {
        "memory_limit": "1GB",
        "preserve_insertion_order": False,
        "temp_directory": str(work / "spill"),
    }
    source = (
        f"read_csv('{gz}', delim='\t', header=false, skip=1, columns={{'tax_id': 'INTEGER', "
        "'gene': 'BIGINT', 'pmid': 'BIGINT'}, nullstr='-', quote='', escape='', "
        "auto_detect=false, compression='gzip')"
    )
    select = f"SELECT tax_id, gene, pmid FROM {source} ORDER BY gene, pmid"
    rows: list[Row] = []
    parquet = work / "by_gene.parquet"
    began = time.perf_counter()
    with duckdb.connect(":memory:", config=config) as con:
        con.execute(
            f"COPY ({select}) TO '{parquet}' (FORMAT parquet, COMPRESSION zstd, "
            "ROW_GROUP_SIZE 122880)"
        )
    parquet_load = time.perf_counter() - began
    dbfile = work / "gene2pubmed.duckdb"
    began = time.perf_counter()
    with duckdb.connect(str(dbfile), config=config) as con:
        con.execute(f"CREATE TABLE by_gene AS {select}")
        con.execute("CHECKPOINT")
    db_load = time.perf_counter() - began
    kinds = {
        "Parquet (zstd)": (
            parquet_load,
            parquet.stat().st_size,
            ":memory:",
            f"read_parquet('{parquet}')",
        ),
        "DuckDB file": (db_load, dbfile.stat().st_size, str(dbfile), "by_gene"),
    }
    print(f"\n--compare-format: gene2pubmed by gene, {args.pubmed_rows:,} rows, in-process")
    for kind, (load, disk, database, relation) in kinds.items():
        print(f"{kind}: loaded in {load:.1f} s, {mb(disk)} MB", flush=True)
        rows.append(
            Row(
                f"format: {kind} load",
                f"{args.pubmed_rows:,} rows",
                load,
                args.pubmed_rows,
                None,
                disk / 1e6,
                "one sorted table (elinkcli also writes by_pmid)"
                if kind.startswith("Parquet")
                else "one sorted table",
            )
        )
        for n, path in sizes.items():
            ids = [int(x) for x in path.read_text().split()]
            took = []
            found = 0
            for _ in range(3):
                began = time.perf_counter()
                cfg = {k: v for k, v in config.items() if k != "temp_directory"}
                with duckdb.connect(database, read_only=database != ":memory:", config=cfg) as con:
                    param: Any = ids
                    result = con.execute(lookup_sql(relation), [param]).fetchall()
                took.append(time.perf_counter() - began)
                found = sum(len(r[1] or ()) for r in result)
            t = statistics.median(took)
            print(f"  {n:>9,} ids: {t * 1000:8.1f} ms (connect + query), {found:,} links")
            rows.append(Row(f"format: {kind} lookup", f"{n:,} ids", t, found))
    shutil.rmtree(work, ignore_errors=True)
    return rows


# --- the report ------------------------------------------------------------------------------


def markdown(rows: list[Row]) -> str:
    out = [
        "| Measurement | Input | Wall (s) | Rows | Rows/s | Peak RSS (MB) | Disk (MB) | Notes "
        "| Target |",
        "|---|---|--:|--:|--:|--:|--:|---|---|",
    ]
    for r in rows:
        cells = [
            r.what,
            r.size,
            f"{r.wall:.3f}" if r.wall < 10 else f"{r.wall:.1f}",
            f"{r.rows:,}" if r.rows is not None else "",
            f"{r.rows / r.wall:,.0f}" if r.rows and r.wall else "",
            f"{r.peak_mb:,.0f}" if r.peak_mb is not None else "",
            f"{r.disk_mb:,.0f}" if r.disk_mb is not None else "",
            r.note,
            r.target,
        ]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "elinkcli-bench-tables"
    )
    parser.add_argument("--pubmed-rows", type=int, default=30_000_000)
    parser.add_argument("--refseq-rows", type=int, default=50_000_000)
    parser.add_argument("--skip-refseq", action="store_true", help="no gene2refseq")
    parser.add_argument(
        "--sizes",
        default="1,1000,100000,1000000",
        help="numbers of gene ids for link (comma-separated)",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of each link size (median)")
    parser.add_argument("--quick", action="store_true", help="3 M / 5 M rows: a fast check")
    parser.add_argument("--regenerate", action="store_true", help="make the files again")
    parser.add_argument(
        "--compare-format", action="store_true", help="also DuckDB file against Parquet, in-process"
    )
    args = parser.parse_args()
    if args.quick:
        args.pubmed_rows, args.refseq_rows = 3_000_000, 5_000_000
        if args.workdir == parser.get_default("workdir"):
            args.workdir = args.workdir.with_name(args.workdir.name + "-quick")
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    args.workdir = args.workdir.resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(args.workdir).free
    print(f"workdir {args.workdir} ({free / 1e9:.0f} GB free); {load_note()}")
    package = ROOT / "elinkcli"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)

    counts = ensure_files(args)
    for name, rows in counts.items():
        path = args.workdir / "files" / FILES[name]
        print(f"{name}: {path.stat().st_size / 1e6:,.0f} MB, {rows:,} rows + header")
    for stale in args.workdir.glob("state-*"):
        shutil.rmtree(stale, ignore_errors=True)

    results: list[Row] = []
    pubmed_dir = args.workdir / "tables-gene2pubmed"
    ids = draw_ids(args, sizes)
    tp53 = args.workdir / "ids-tp53.txt"
    tp53.write_text("7157\n")
    expected = expected_rows(args, {**{str(n): p for n, p in ids.items()}, "tp53": tp53})
    with file_server(args.workdir / "files") as base_url:
        print(f"file server at {base_url}\n", flush=True)
        row, run = measure_load(args, base_url, "gene2pubmed", counts["gene2pubmed"], pubmed_dir)
        results.append(row)
        if run.rc != 0:
            raise SystemExit("gene2pubmed did not load: nothing to link from")
        if "gene2refseq" in counts:
            refseq_dir = args.workdir / "tables-gene2refseq"
            row, run = measure_load(
                args, base_url, "gene2refseq", counts["gene2refseq"], refseq_dir
            )
            results.append(row)
            # Out of DuckDB's memory at elinkcli's default limit: how much it takes.
            for memory in ("2GB", "4GB"):
                if run.rc == 0 or "Out of Memory" not in run.stderr:
                    break
                row, run = measure_load(
                    args, base_url, "gene2refseq", counts["gene2refseq"], refseq_dir, memory
                )
                results.append(row)
            shutil.rmtree(refseq_dir, ignore_errors=True)
        print()
        for n in sizes:
            label = f"{n:,} id" + ("s" if n != 1 else "")
            results.append(
                measure_link(args, base_url, pubmed_dir, n, ids[n], label, expected[str(n)])
            )
        results.append(
            measure_link(args, base_url, pubmed_dir, 1, tp53, "TP53 alone (7157)", expected["tp53"])
        )
    if args.compare_format:
        results += compare_format(args, ids)
    for stale in args.workdir.glob("state-*"):
        shutil.rmtree(stale, ignore_errors=True)

    import duckdb

    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(
        f"\n{os.cpu_count()} cores, {ram:.0f} GiB RAM, Python {sys.version.split()[0]}, "
        f"DuckDB {duckdb.__version__}; {load_note()} at the end\n"
    )
    print(markdown(results))
    verdicts = [r for r in results if r.target]
    print("\nTargets:")
    for r in verdicts:
        print(f"  {r.what} {r.size}: {r.target}")
    print(f"\n(generated data and tables stay in {args.workdir}; remove it when done)")


if __name__ == "__main__":
    main()
