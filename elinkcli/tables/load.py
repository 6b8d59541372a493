"""A downloaded bulk file checked and loaded into a version directory of Parquet files.

The gzip stream is checked whole (every member's CRC and length, by zlib in a thread
beside DuckDB's load, so the check costs no wall time on two cores), its header line
must be the columns NCBI documents, and DuckDB reads the gzip itself (faster than
decompressing it first). Each table is written sorted by the column it is asked by, so a
lookup reads only the row groups that can hold its ids.
"""

from __future__ import annotations

import gzip
import threading
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from elinkcli.constants import ENV_TABLES_MEMORY
from elinkcli.inert import quote
from elinkcli.tables.catalog import TableSpec
from elinkcli.tables.engine import copy_to_parquet, parquet, sql_text
from elinkcli.tables.store import TablesError

_CHUNK = 1 << 20


@dataclass(frozen=True)
class LoadResult:
    rows: int
    files: tuple[str, ...]
    disk_bytes: int


class GzipCheck(threading.Thread):
    """Decompress a whole gzip file (every member), checking CRCs and lengths; counts its
    lines. `error` holds what was wrong, if anything."""

    def __init__(self, path: Path) -> None:
        super().__init__(name="elinkcli-gzip-check", daemon=True)
        self.path = path
        self.lines = 0
        self.error: str | None = None

    def run(self) -> None:
        try:
            self.lines = gzip_lines(self.path)
        except (OSError, zlib.error, EOFError) as exc:
            self.error = str(exc) or type(exc).__name__


def gzip_lines(path: Path) -> int:
    """The number of lines of a gzip file, every member decompressed and checked (zlib
    checks each member's CRC-32 and length); zlib.error or EOFError when it is damaged
    or cut short."""
    lines = 0
    with open(path, "rb") as f:
        inflate = zlib.decompressobj(wbits=31)
        started = False
        while True:
            data = f.read(_CHUNK)
            if not data:
                break
            while data:
                started = True
                out = inflate.decompress(data, _CHUNK * 8)
                lines += out.count(b"\n")
                if inflate.eof:
                    data = inflate.unused_data
                    inflate = zlib.decompressobj(wbits=31)
                    started = bool(data)
                else:
                    data = inflate.unconsumed_tail
        if started and not inflate.eof:
            raise EOFError("the gzip stream ends before its end (a cut transfer?)")
        if not started and lines == 0 and f.tell() == 0:
            raise EOFError("the file is empty")
    return lines


class DamagedFileError(TablesError):
    """The downloaded file is not what NCBI sends (a cut or corrupt gzip, another header,
    values that are not ids): it is fetched whole next time."""


def header_of(path: Path, csv: bool = False, plain: bool = False) -> list[str]:
    """The header line's column names (the `#` taken off), read from the gzip's start
    (`plain`: the file's): tab-separated, or with `csv` a CSV line."""
    try:
        if path.stat().st_size == 0:
            raise DamagedFileError(f"{path.name}: the server sent an empty file")
        with open(path, "rb") if plain else gzip.open(path, "rb") as f:
            first = f.readline(65536)
    except (OSError, EOFError, zlib.error) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise DamagedFileError(f"{path.name} is not a gzip file NCBI would send: {why}") from None
    text = first.decode("utf-8", "replace").rstrip("\r\n").lstrip("#")
    return [c.strip() for c in (_csv_fields(text) if csv else text.split("\t"))]


def _csv_fields(text: str) -> list[str]:
    import csv

    return next(csv.reader([text]), [])


def check_header(spec: TableSpec, found: Sequence[str]) -> int:
    """How many of the spec's columns the file has (gene files before 2021 lack the last
    three); TablesError when the header is not the documented one."""
    want = list(spec.columns)
    if spec.kind == "gene2x" and list(found) == want[:13]:
        return 13
    if list(found) != want:
        shown = quote("\t".join(found), 200)
        raise DamagedFileError(
            f"{spec.name}: the file's header is not NCBI's documented one ({shown}); "
            "elinkcli does not guess columns"
        )
    return len(want)


def _read_tsv(path: Path, names: Sequence[str], types: dict[str, str]) -> str:
    columns = ", ".join(f"'{n}': '{types.get(n, 'VARCHAR')}'" for n in names)
    return (
        f"read_csv('{sql_text(path)}', delim='\t', header=false, skip=1, "
        f"columns={{{columns}}}, nullstr='-', quote='', escape='', auto_detect=false, "
        "compression='gzip', strict_mode=true, null_padding=false)"
    )


def _taxa_filter(taxa: Sequence[int] | None) -> str:
    if not taxa:
        return ""
    return f"WHERE tax_id IN ({', '.join(str(int(t)) for t in taxa)})"


_GENE_NAMES = (
    "tax_id",
    "gene",
    "status",
    "rna_acc",
    "rna_gi",
    "prot_acc",
    "prot_gi",
    "gen_acc",
    "gen_gi",
    "start_pos",
    "end_pos",
    "orientation",
    "assembly",
    "pep_acc",
    "pep_gi",
    "symbol",
)
_ID_TYPES = {"tax_id": "INTEGER", "gene": "BIGINT", "pmid": "BIGINT"}
_GI_TYPES = {**_ID_TYPES, "rna_gi": "BIGINT", "prot_gi": "BIGINT", "gen_gi": "BIGINT"}


def load_file(
    con: Any, spec: TableSpec, gz: Path, into: Path, taxa: Sequence[int] | None
) -> LoadResult:
    """Load `gz` (a downloaded `spec` file) into the directory `into`; TablesError naming
    what was wrong with the file (the directory is then the caller's to remove)."""
    plain = spec.kind == "sra"  # the one file NCBI serves uncompressed
    width = check_header(spec, header_of(gz, csv=spec.kind == "pmc", plain=plain))
    check = GzipCheck(gz)
    if not plain:
        check.start()
    duck = _duck_errors(con)
    try:
        if spec.kind == "gene2pubmed":
            rows = _load_gene2pubmed(con, gz, into, taxa)
        elif spec.kind == "gene2x":
            rows = _load_gene2x(con, gz, into, taxa, width)
        elif spec.kind == "orthologs":
            rows = _load_orthologs(con, gz, into, taxa)
        elif spec.kind == "gene2ensembl":
            rows = _load_gene2ensembl(con, gz, into, taxa)
        elif plain:
            from elinkcli.tables.sra import load_sra

            rows = load_sra(con, gz, into)
        else:
            rows = _load_pmc(con, gz, into)
    except duck as exc:
        if not plain:
            check.join()
        if check.error:
            raise DamagedFileError(
                f"{spec.name}: the downloaded file is damaged ({check.error})"
            ) from None
        import duckdb

        text = quote(str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc), 300)
        if "No space left on device" in str(exc):
            raise TablesError(
                f"{spec.name}: the disk is full (No space left on device) for the table in "
                f"{into.parent}"
            ) from None
        if isinstance(exc, duckdb.OutOfMemoryException):
            raise TablesError(
                f"{spec.name}: the load needs more memory than DuckDB may use "
                f"({ENV_TABLES_MEMORY}, {limit_of(con)}): set it higher, e.g. "
                f"{ENV_TABLES_MEMORY}=4GB"
            ) from None
        if isinstance(exc, duckdb.IOException):
            raise TablesError(f"{spec.name}: the table cannot be written: {text}") from None
        raise DamagedFileError(f"{spec.name}: the file cannot be read: {text}") from None
    if not plain:
        check.join()
    if check.error:
        raise DamagedFileError(f"{spec.name}: the downloaded file is damaged ({check.error})")
    # The sra table keeps live rows only (its size is checked against the server's).
    if not taxa and spec.kind not in ("pmc", "sra") and rows != check.lines - 1:
        raise DamagedFileError(
            f"{spec.name}: {check.lines - 1} lines in the file but {rows} rows loaded"
        )
    files = tuple(sorted(p.name for p in into.glob("*.parquet")))
    return LoadResult(rows, files, sum(p.stat().st_size for p in into.glob("*.parquet")))


def limit_of(con: Any) -> str:
    """DuckDB's memory limit on `con`, as it says it."""
    try:
        row = con.execute("SELECT current_setting('memory_limit')").fetchone()
    except Exception:
        return "?"
    return str(row[0]) if row else "?"


def _duck_errors(con: Any) -> type[BaseException]:
    import duckdb

    return duckdb.Error


def _load_gene2pubmed(con: Any, gz: Path, into: Path, taxa: Sequence[int] | None) -> int:
    source = _read_tsv(gz, ("tax_id", "gene", "pmid"), _ID_TYPES)
    by_gene = into / "by_gene.parquet"
    rows = copy_to_parquet(
        con,
        f"SELECT tax_id, gene, pmid FROM {source} {_taxa_filter(taxa)} ORDER BY gene, pmid",
        by_gene,
    )
    copy_to_parquet(
        con,
        f"SELECT tax_id, gene, pmid FROM {parquet(by_gene)} ORDER BY pmid, gene",
        into / "by_pmid.parquet",
    )
    return rows


def _load_gene2x(con: Any, gz: Path, into: Path, taxa: Sequence[int] | None, width: int) -> int:
    source = _read_tsv(gz, _GENE_NAMES[:width], _GI_TYPES)
    rows_file = into / "rows.parquet"
    # In the file's order: NCBI sorts these files by tax_id, then GeneID, so each row group
    # holds a narrow range of GeneIDs and a lookup by gene reads few of them; a sort of the
    # whole would cost most of the load.
    rows = copy_to_parquet(
        con,
        "SELECT tax_id, gene, status, rna_acc, rna_gi, prot_acc, prot_gi, gen_acc, gen_gi "
        f"FROM {source} {_taxa_filter(taxa)}",
        rows_file,
    )
    parts = " UNION ALL ".join(
        f"SELECT '{db}' AS db, {gi} AS gi, {acc} AS acc, gene, tax_id FROM "
        f"{parquet(rows_file)} WHERE {gi} IS NOT NULL"
        for db, gi, acc in (
            ("nuccore", "rna_gi", "rna_acc"),
            ("protein", "prot_gi", "prot_acc"),
            ("nuccore", "gen_gi", "gen_acc"),
        )
    )
    seqs = into / "seqs.parquet"
    # Not made distinct here (a hash of every row would not fit the memory limit); the
    # queries are, and a sort spills to disk.
    copy_to_parquet(con, f"SELECT * FROM ({parts}) ORDER BY gi", seqs)
    # Accessions by a hash of their version-less form: a sort of numbers, not of text.
    copy_to_parquet(
        con,
        "SELECT hash(split_part(acc, '.', 1)) AS key, db, acc, gi "
        f"FROM {parquet(seqs)} WHERE acc IS NOT NULL ORDER BY key",
        into / "accs.parquet",
    )
    return rows


def _load_orthologs(con: Any, gz: Path, into: Path, taxa: Sequence[int] | None) -> int:
    """gene_orthologs: each pair once in the file, from one side; stored both ways (gene,
    other) sorted by gene, so a lookup by either gene reads few row groups. With `taxa`,
    a pair is kept when either side's organism is. The rows counted are the file's pairs."""
    names = ("tax_id", "gene", "relationship", "other_tax", "other")
    types = {**_ID_TYPES, "other_tax": "INTEGER", "other": "BIGINT"}
    source = _read_tsv(gz, names, types)
    keep = ""
    if taxa:
        listed = ", ".join(str(int(t)) for t in taxa)
        keep = f"WHERE tax_id IN ({listed}) OR other_tax IN ({listed})"
    pairs = f"(SELECT tax_id, gene, relationship, other_tax, other FROM {source} {keep})"
    rows = copy_to_parquet(
        con,
        f"SELECT gene, other, tax_id, other_tax, relationship FROM {pairs} "
        f"UNION ALL SELECT other, gene, other_tax, tax_id, relationship FROM {pairs} "
        "ORDER BY gene, other",
        into / "pairs.parquet",
    )
    return rows // 2


def _load_gene2ensembl(con: Any, gz: Path, into: Path, taxa: Sequence[int] | None) -> int:
    """gene2ensembl: one row per transcript (`-` is null), sorted by gene."""
    names = ("tax_id", "gene", "ensg", "rna_acc", "enst", "prot_acc", "ensp")
    source = _read_tsv(gz, names, _ID_TYPES)
    return copy_to_parquet(
        con,
        f"SELECT {', '.join(names)} FROM {source} {_taxa_filter(taxa)} ORDER BY gene, ensg, enst",
        into / "ensembl.parquet",
    )


def _load_pmc(con: Any, gz: Path, into: Path) -> int:
    names: tuple[str, ...] = ("journal", "issn", "eissn", "year", "volume", "issue", "page")
    names = (*names, "doi", "pmcid", "pmid", "manuscript", "release")
    columns = ", ".join(f"'{n}': 'VARCHAR'" for n in names)
    source = (
        f"read_csv('{sql_text(gz)}', delim=',', header=false, skip=1, columns={{{columns}}}, "
        "quote='\"', escape='\"', auto_detect=false, compression='gzip')"
    )
    return copy_to_parquet(
        con,
        "SELECT TRY_CAST(pmid AS BIGINT) AS pmid, "
        "TRY_CAST(regexp_extract(pmcid, '^PMC([0-9]+)$', 1) AS BIGINT) AS pmc, "
        "NULLIF(doi, '') AS doi, release "
        f"FROM {source} WHERE regexp_full_match(coalesce(pmcid, ''), 'PMC[0-9]+') "
        "ORDER BY pmid",
        into / "pmc.parquet",
    )
