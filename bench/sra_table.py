"""The sra_accessions local table at scale: `elinkcli tables get sra_accessions` loading an
SRA_Accessions.tab-shaped file of N experiments, then `elinkcli link --from tables` of
bioproject_sra (without --idtype, then with --idtype run) and sra_bioproject (run tokens)
for 1 to 100,000 ids (at most as many as the file holds), ids on stdin, tsv to a file, each a
whole process as a user runs it.

    python bench/sra_table.py [--experiments N] [--sizes 1,1000,100000] [--workdir DIR]
                              [--keep]

The file (uncompressed, NCBI's 20 columns, `-` for empty fields) is generated in chunks
into --workdir (default /tmp/elinkcli-bench-sra) and deleted at the end unless --keep. Its
shape, per experiment i (0 <= i < N), every value a formula of i, so the expected row count
of any lookup is computed here, not read from elinkcli:

* one SUBMISSION line (SRA{i}) and one SAMPLE line (SRS{i}, SAMN{10^7+i}); one STUDY line
  per 20 experiments (SRP{i//20}, BioProject PRJNA{10^5 + i//20});
* the EXPERIMENT line SRX{i} (Alias `GSM{3*10^6+i}` for i % 4 == 1, else a quoted phrase
  with spaces), suppressed for i % 97 == 5 (its runs too);
* runs SRR{2i} and, for i % 5 == 0, SRR{2i+1} (none for i % 50 == 3): ~1.18 per experiment;
  the first run withdrawn for i % 31 == 7.

So about 4.2 lines per experiment (the real file has ~1.2 runs per experiment too). The file
is served by tests/support/file_server.py --root on 127.0.0.1 (ELINKCLI_TABLES_URL), and
measured with bench/tables.py's wrapper: the child's wall time and peak RSS
(getrusage(RUSAGE_CHILDREN) of a wrapper whose only child is elinkcli); the table's disk
(its version directory) beside the file's size. Every lookup's row count is checked against
the generator's; a mismatch is printed and the exit status is 1.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

from common import elinkcli
from tables import child_env, dir_bytes, file_server, phase_watcher, run_measured

from elinkcli.tables.catalog import BY_NAME
from elinkcli.tables.sra import SRA_COLUMNS

TABLE = "sra_accessions"
HEADER = "\t".join(SRA_COLUMNS)
STAMP = "2024-03-05 11:22:33"
PER_STUDY = 20
SEED = 20261207
CHUNK = 20_000  # experiments per write


# --- the model: every value a formula of the experiment number ------------------------------


def suppressed(i: int) -> bool:
    return i % 97 == 5


def run_numbers(i: int) -> list[int]:
    """The run numbers of experiment i (SRR{n})."""
    if i % 50 == 3:
        return []
    return [2 * i, 2 * i + 1] if i % 5 == 0 else [2 * i]


def run_live(i: int, n: int) -> bool:
    return not suppressed(i) and not (i % 31 == 7 and n == 2 * i)


def project(i: int) -> str:
    return f"PRJNA{100_000 + i // PER_STUDY}"


def lines_of(i: int) -> list[str]:
    study = f"SRP{i // PER_STUDY:06d}"
    sub, sample, exp = f"SRA{i:07d}", f"SRS{i:07d}", f"SRX{i:07d}"
    biosample, bioproject = f"SAMN{10_000_000 + i}", project(i)
    dates = f"{STAMP}\t{STAMP}\t{STAMP}"
    status = "suppressed" if suppressed(i) else "live"
    gsm = f"GSM{3_000_000 + i}" if i % 4 == 1 else None
    out = [
        f"{sub}\t{sub}\tlive\t{dates}\tSUBMISSION\tGEO\tpublic\t{sub}\t-\t-\t-\t-\t-\t-\t"
        f"{'0' * 32}\t-\t-\t-"
    ]
    if i % PER_STUDY == 0:
        out.append(
            f"{study}\t{sub}\tlive\t{dates}\tSTUDY\tGEO\tpublic\tGSE{100_000 + i // PER_STUDY}\t"
            f"-\t-\t-\t-\t-\t-\t{'1' * 32}\t-\t{bioproject}\t-"
        )
    out.append(
        f"{sample}\t{sub}\tlive\t{dates}\tSAMPLE\tGEO\tpublic\t{gsm or 'tissue sample'}\t-\t-\t-"
        f"\t-\t-\t-\t{'2' * 32}\t{biosample}\t-\t-"
    )
    alias = gsm or f'library "{exp}" rep 1'
    out.append(
        f"{exp}\t{sub}\t{status}\t{dates}\tEXPERIMENT\tGEO\tpublic\t{alias}\t-\t{sample}\t"
        f"{study}\t-\t-\t-\t{'3' * 32}\t{biosample}\t{bioproject}\t-"
    )
    for k, n in enumerate(run_numbers(i)):
        live = "live" if run_live(i, n) else "withdrawn"
        out.append(
            f"SRR{n:08d}\t{sub}\t{live}\t{dates}\tRUN\tGEO\tpublic\t{gsm or 'run'}_r{k + 1}\t"
            f"{exp}\t{sample}\t{study}\t1\t{1_000_000 + n % 977}\t{150_000_000 + n % 9973}\t"
            f"{'4' * 32}\t{biosample}\t{bioproject}\t-"
        )
    return out


def write_file(path: Path, experiments: int) -> tuple[int, int]:
    """The file of `experiments` experiments; (lines, bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = 1
    with open(path, "w", buffering=1 << 22) as f:
        f.write(HEADER + "\n")
        for start in range(0, experiments, CHUNK):
            chunk = [
                line for i in range(start, min(start + CHUNK, experiments)) for line in lines_of(i)
            ]
            lines += len(chunk)
            f.write("\n".join(chunk))
            f.write("\n")
    return lines, path.stat().st_size


def live_table_rows(experiments: int) -> int:
    """What the table keeps: live experiments and their live runs."""
    return sum(
        1 + sum(run_live(i, n) for n in run_numbers(i))
        for i in range(experiments)
        if not suppressed(i)
    )


def project_run_rows(p: int, experiments: int, per_run: bool = True) -> int:
    """Rows of `link bioproject_sra --idtype run` for project number p: per live experiment,
    its live runs (one row without a run when it has none); without --idtype (`per_run`
    false), one per live experiment."""
    first, last = p * PER_STUDY, min((p + 1) * PER_STUDY, experiments)
    return sum(
        max(1, sum(run_live(i, n) for n in run_numbers(i))) if per_run else 1
        for i in range(first, last)
        if not suppressed(i)
    )


def draw_projects(
    n: int, experiments: int, rng: random.Random, per_run: bool = True
) -> tuple[list[str], int]:
    """n project accessions (2% not in the file) and the rows they link to."""
    count = -(-experiments // PER_STUDY)
    picked = rng.sample(range(count), min(n, count))
    tokens, rows = [], 0
    for k, p in enumerate(picked):
        if k % 50 == 49:
            tokens.append(f"PRJNA{900_000_000 + p}")  # absent
        else:
            tokens.append(f"PRJNA{100_000 + p}")
            rows += project_run_rows(p, experiments, per_run)
    return tokens, rows


def draw_runs(n: int, experiments: int, rng: random.Random) -> tuple[list[str], int]:
    """n run accessions (of any status; 2% not in the file) and the rows they link to (one
    project each for a live run of a live experiment)."""
    tokens, rows = [], 0
    for k, i in enumerate(rng.sample(range(experiments), min(n, experiments))):
        numbers = run_numbers(i)
        if k % 50 == 49 or not numbers:
            tokens.append(f"SRR{2 * experiments + 10 + k:08d}")  # absent
            continue
        number = numbers[-1]
        tokens.append(f"SRR{number:08d}")
        rows += run_live(i, number)
    return tokens, rows


# --- measurements -------------------------------------------------------------------------------


def fmt(seconds: float) -> str:
    return f"{seconds:.3f}" if seconds < 10 else f"{seconds:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--experiments", type=int, default=2_000_000)
    parser.add_argument("--sizes", default="1,1000,100000")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/elinkcli-bench-sra"))
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    work: Path = args.workdir
    if work.exists():
        shutil.rmtree(work)
    served = work / "served"
    path = served / BY_NAME[TABLE].path
    failures: list[str] = []
    out: list[str] = [
        "| Measurement | Input | Wall (s) | Rows | Rows expected | Peak RSS (MB) | Disk (MB) "
        "| Notes |",
        "|---|---|--:|--:|--:|--:|--:|---|",
    ]

    def row(
        what: str, size: str, wall: float, rows: int, want: int, peak: float, disk: str, note: str
    ) -> None:
        ok = rows == want
        if not ok:
            failures.append(f"{what} {size}: {rows} rows, expected {want}")
        out.append(
            f"| {what} | {size} | {fmt(wall)} | {rows:,} | {want:,}{'' if ok else ' MISMATCH'} "
            f"| {peak:,.0f} | {disk} | {note} |"
        )

    try:
        began = time.perf_counter()
        lines, size = write_file(path, args.experiments)
        made = time.perf_counter() - began
        print(
            f"generated {path}: {args.experiments:,} experiments, {lines:,} lines, "
            f"{size / 1e6:,.0f} MB in {made:.1f} s",
            file=sys.stderr,
        )
        want_rows = live_table_rows(args.experiments)
        tables_dir = work / "tables"
        with file_server(served) as url:
            env = child_env(work, url, tables_dir)
            load = run_measured(
                [elinkcli(), "tables", "get", TABLE],
                env,
                watch=phase_watcher(tables_dir, TABLE, size),
            )
            if load.rc != 0:
                raise SystemExit(f"tables get failed ({load.rc}): {load.stderr}")
            versions = [p for p in tables_dir.glob(f"{TABLE}.v*") if p.is_dir()]
            disk = sum(dir_bytes(p) for p in versions)
            info = subprocess.run(
                [elinkcli(), "tables", "info", TABLE], env=env, capture_output=True, check=True
            )
            got_rows = int(json.loads(info.stdout)["rows"])
            down = load.phases.get("downloaded")
            note = (
                f"file {size / 1e6:,.0f} MB, {lines:,} lines; table {100 * disk / size:.1f}% of "
                f"it" + (f"; download {down:.1f} s, load {load.wall - down:.1f} s" if down else "")
            )
            row(
                "tables get sra_accessions",
                f"{args.experiments:,} experiments",
                load.wall,
                got_rows,
                want_rows,
                load.peak_mb,
                f"{disk / 1e6:,.1f}",
                note,
            )
            rng = random.Random(SEED)
            for linkname, draw, argv in (
                (
                    "bioproject_sra (no --idtype)",
                    lambda n, e, r: draw_projects(n, e, r, per_run=False),
                    ["-db", "bioproject", "-target", "sra"],
                ),
                (
                    "bioproject_sra --idtype run",
                    draw_projects,
                    ["-db", "bioproject", "-target", "sra", "--idtype", "run"],
                ),
                ("sra_bioproject (runs)", draw_runs, ["-db", "sra", "-target", "bioproject"]),
            ):
                for n in sizes:
                    tokens, want = draw(n, args.experiments, rng)
                    ids = work / f"ids-{n}.txt"
                    ids.write_text("".join(t + "\n" for t in tokens))
                    result = work / f"out-{n}.tsv"
                    run = run_measured(
                        [elinkcli(), "link", *argv, "--from", "tables", "-format", "tsv"],
                        env,
                        stdin=ids,
                        stdout=result,
                    )
                    if run.rc != 0:
                        failures.append(f"{linkname} {n}: exit {run.rc}: {run.stderr[-500:]}")
                    with open(result, "rb") as f:
                        got = max(sum(1 for _ in f) - 1, 0)
                    row(linkname, f"{len(tokens):,} ids", run.wall, got, want, run.peak_mb, "", "")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("\n".join(out))
    if failures:
        print("\n".join(failures), file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
