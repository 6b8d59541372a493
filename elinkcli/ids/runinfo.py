"""The runs of an sra experiment, from EFetch's `rettype=runinfo` CSV (NCBI's SRA RunInfo
table: a header whose first column is `Run`, then one line per run; its documented columns
are `Run,ReleaseDate,LoadDate,spots,bases,spots_with_mates,avgLength,size_MB,AssemblyName,
download_path,Experiment,…`). Pure parsing, no I/O."""

from __future__ import annotations

import csv
import io
import re

from elinkcli.errors import ResponseValueError

# A run accession (SRA, ENA, DDBJ): SRR…, ERR…, DRR….
RUN = re.compile(r"[SED]RR[0-9]{1,12}", re.ASCII)
# The longest field read: a real line's longest (download_path) is a URL of ~100 characters.
FIELD_MAX = 4096
# The most runs read from one answer (the largest experiments list a few tens of thousands).
RUNS_MAX = 1_000_000


def parse_runinfo(body: bytes | str) -> list[str]:
    """The run accessions of a runinfo CSV, in its order, each once. A body without a `Run`
    header, with a field longer than FIELD_MAX, or a `Run` value that is no run accession
    raises ResponseValueError (an empty body is no runs)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if not text.strip():
        return []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    column: int | None = None
    runs: dict[str, None] = {}
    try:
        for number, row in enumerate(reader, 1):
            if any(len(cell) > FIELD_MAX for cell in row):
                raise ResponseValueError(
                    f"runinfo line {number} has a field longer than {FIELD_MAX} characters"
                )
            if not row or not any(cell.strip() for cell in row):
                continue  # NCBI separates pages of runs with blank lines
            cells = [cell.strip() for cell in row]
            if "Run" in cells:  # the header (NCBI repeats it between pages)
                column = cells.index("Run")
                continue
            if column is None:
                raise ResponseValueError("runinfo CSV has no header with a 'Run' column")
            if column >= len(cells) or not RUN.fullmatch(cells[column]):
                shown = cells[column][:40] if column < len(cells) else ""
                raise ResponseValueError(
                    f"runinfo line {number}: {shown!r} is no run accession (SRR, ERR, DRR…)"
                )
            runs[cells[column]] = None
            if len(runs) > RUNS_MAX:
                raise ResponseValueError(f"runinfo lists more than {RUNS_MAX:,} runs")
    except csv.Error as exc:
        raise ResponseValueError(f"runinfo CSV cannot be read: {exc}") from None
    if column is None:
        raise ResponseValueError("runinfo CSV has no header with a 'Run' column")
    return list(runs)
