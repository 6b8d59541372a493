"""NCBI's SRA metadata table (`sra/reports/Metadata/SRA_Accessions.tab`) as a local table:
BioProject and BioSample <-> SRA experiments <-> runs, in accessions.

The file is uncompressed (about 28 GB, one line per SRA object: submission, study, sample,
experiment, run, analysis). Only the live runs and experiments are kept, and of them only
the columns a link needs, read in one streaming pass (DuckDB spills its sorts to disk):

- `sra.parquet`: one row per live run (and one, with no run, per live experiment), its
  experiment, sample, study, submission, BioSample, BioProject and GEO sample (GSM, from
  `Alias`), sorted by experiment;
- `by_project.parquet`: the same rows sorted by BioProject, which `bioproject_sra` asks by.

Entrez's sra UIDs are in no NCBI file: this table speaks accessions. A link it answers
goes from an accession to accessions (target_id is `SRX…`, `PRJNA…`, `SAMN…`), which is
why it answers only when asked to (`--from tables`), never in place of ELink's UIDs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from elinkcli.tables.engine import copy_to_parquet, parquet, sql_text

SRA_COLUMNS = (
    "Accession",
    "Submission",
    "Status",
    "Updated",
    "Published",
    "Received",
    "Type",
    "Center",
    "Visibility",
    "Alias",
    "Experiment",
    "Sample",
    "Study",
    "Loaded",
    "Spots",
    "Bases",
    "Md5sum",
    "BioSample",
    "BioProject",
    "ReplacedBy",
)
_NAMES = (
    "acc",
    "submission",
    "status",
    "updated",
    "published",
    "received",
    "type",
    "center",
    "visibility",
    "alias",
    "experiment",
    "sample",
    "study",
    "loaded",
    "spots",
    "bases",
    "md5",
    "biosample",
    "bioproject",
    "replaced_by",
)
# Where a token of each kind is looked up (view "sra": sra.parquet, "by_project").
SRA_KEYS = ("run", "experiment", "sample", "study", "submission")
# The accessions the table holds, as a token must be written to be asked (any case).
_ACCESSION = re.compile(
    r"[SED]R[APRSX][0-9]{1,12}|PRJ[A-Z]{2}[0-9]{1,12}|SAM(?:N|EA|D)[0-9]{1,12}|GSM[0-9]{1,12}",
    re.IGNORECASE | re.ASCII,
)


# A token of each database the table answers from, for messages.
EXAMPLES = {
    "bioproject": "PRJNA257197",
    "biosample": "SAMN02604091",
    "sra": "SRR390728, SRX…, SRP…, SRS…",
    "gds": "GSM1234567",
}


def is_sra_accession(token: str) -> bool:
    return _ACCESSION.fullmatch(token) is not None


def load_sra(con: Any, path: Path, into: Path) -> int:
    """Load the plain SRA_Accessions.tab at `path` into `into`; the rows kept (live runs
    and experiments). DuckDB reads only the columns named here from each line."""
    columns = ", ".join(f"'{n}': 'VARCHAR'" for n in _NAMES)
    source = (
        f"read_csv('{sql_text(path)}', delim='\t', header=false, skip=1, "
        f"columns={{{columns}}}, nullstr='-', quote='', escape='', auto_detect=false, "
        "compression='none', strict_mode=true, null_padding=false)"
    )
    rows_file = into / "sra.parquet"
    rows = copy_to_parquet(
        con,
        "SELECT CASE WHEN type = 'RUN' THEN upper(acc) END AS run, "
        "upper(CASE WHEN type = 'EXPERIMENT' THEN acc ELSE experiment END) AS experiment, "
        "upper(sample) AS sample, upper(study) AS study, upper(submission) AS submission, "
        "upper(biosample) AS biosample, upper(bioproject) AS bioproject, "
        "NULLIF(upper(regexp_extract(alias, '^(GSM[0-9]+)', 1)), '') AS gsm "
        f"FROM {source} WHERE status = 'live' AND type IN ('RUN', 'EXPERIMENT') "
        "AND (type = 'EXPERIMENT' OR experiment IS NOT NULL) ORDER BY experiment, run",
        rows_file,
    )
    copy_to_parquet(
        con,
        f"SELECT * FROM {parquet(rows_file)} WHERE bioproject IS NOT NULL "
        "ORDER BY bioproject, experiment, run",
        into / "by_project.parquet",
    )
    return int(rows)


def links_sql(path: Path, view: str, source: str, target: str) -> str:
    """A query of {token (upper case): its targets, in order} for tokens $1 (a list):
    `source` the column a token is looked up in ("sra": any of SRA_KEYS), `target` the
    column of the targets."""

    rel = parquet(path / f"{'by_project' if view == 'by_project' else 'sra'}.parquet")
    keys = SRA_KEYS if source == "sra" else (source,)
    parts = " UNION ALL ".join(
        f"SELECT {k} AS src, {target} AS dst FROM {rel} WHERE {k} IN (SELECT unnest($1))"
        for k in keys
    )
    return (
        "SELECT src, list(DISTINCT dst ORDER BY dst) FILTER (WHERE dst IS NOT NULL) "
        f"FROM ({parts}) GROUP BY src"
    )


def links_and_runs_sql(path: Path, view: str, source: str) -> str:
    """A query of (token, experiment, its live runs) for tokens $1, for a link into sra: the
    rows that give a token its experiments name their runs too, so one pass gives both."""
    rel = parquet(path / f"{view}.parquet")
    return (
        "SELECT src, experiment, list(DISTINCT run ORDER BY run) FILTER (WHERE run IS NOT NULL) "
        f"FROM (SELECT {source} AS src, experiment, run FROM {rel} "
        f"WHERE {source} IN (SELECT unnest($1))) GROUP BY src, experiment ORDER BY src, experiment"
    )


def runs_sql(path: Path) -> str:
    """A query of {experiment: its live runs, in order} for experiments $1."""
    rel = parquet(path / "sra.parquet")
    return (
        "SELECT experiment, list(DISTINCT run ORDER BY run) FILTER (WHERE run IS NOT NULL) "
        f"FROM {rel} WHERE experiment IN (SELECT unnest($1)) GROUP BY experiment"
    )


def wanted(tokens: Sequence[str]) -> list[str]:
    """The tokens the table may hold, upper case, each once."""
    return list(dict.fromkeys(t.upper() for t in tokens if is_sra_accession(t)))
