"""Questions to loaded tables: the links of a batch of UIDs under one link name, and a
sequence database's accession.version <-> GI, each one DuckDB query over Parquet files."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from elinkcli.inert import quote
from elinkcli.tables.catalog import LinkSpec
from elinkcli.tables.engine import connect
from elinkcli.tables.engine import parquet as parquet_file
from elinkcli.tables.store import Loaded, TablesError

# UIDs DuckDB's BIGINT holds; longer ones name nothing in any table.
_MAX_DIGITS = 18
_ACCESSION = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\.[0-9]+)?")


def _relation(path: Path, view: str) -> str:
    def parquet(name: str) -> str:
        return parquet_file(path / f"{name}.parquet")

    if view == "gene_nuccore":
        rows = parquet("rows")
        return (
            f"(SELECT gene, rna_gi AS gi FROM {rows} UNION ALL "
            f"SELECT gene, gen_gi AS gi FROM {rows})"
        )
    return parquet(view)


def numbers(uids: Iterable[str]) -> list[int]:
    return [int(u) for u in uids if u.isascii() and u.isdigit() and len(u) <= _MAX_DIGITS]


class Reader:
    """DuckDB connections for reading tables, one per thread (a connection is not shared
    between threads), made when first asked."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self._base: Any = None

    def con(self) -> Any:
        con = getattr(self._local, "con", None)
        if con is None:
            with self._lock:
                if self._base is None:
                    self._base = connect()
                con = self._local.con = self._base.cursor()
        return con

    def links(self, loaded: Loaded, spec: LinkSpec, uids: Sequence[str]) -> dict[str, list[str]]:
        """{uid: its targets, highest UID first} for each of `uids` the table holds (with
        no targets when it holds the id but not such a link). A table that speaks
        accessions (sra_accessions) takes and gives accessions, upper case, in order."""
        if spec.by_accession:
            from elinkcli.tables import sra

            tokens = sra.wanted(uids)
            if not tokens:
                return {}
            sql = sra.links_sql(loaded.path, spec.view, spec.source, spec.target)
            return {src: targets or [] for src, targets in self._ask(loaded, sql, [tokens])}
        wanted = numbers(uids)
        if not wanted:
            return {}
        where = f"AND ({spec.where})" if spec.where else ""
        pick = (
            f"{spec.source} = $1" if len(wanted) == 1 else f"{spec.source} IN (SELECT unnest($1))"
        )
        sql = (
            "SELECT src::VARCHAR, "
            "list(dst::VARCHAR ORDER BY dst DESC) FILTER (WHERE dst IS NOT NULL) "
            f"FROM (SELECT DISTINCT {spec.source} AS src, {spec.target} AS dst "
            f"FROM {_relation(loaded.path, spec.view)} WHERE {pick} {where}) GROUP BY src"
        )
        param: Any = wanted[0] if len(wanted) == 1 else wanted
        rows = self._ask(loaded, sql, [param])
        return {src: targets or [] for src, targets in rows}

    def gis(
        self, loaded: Loaded, db: str, accessions: Sequence[str]
    ) -> dict[str, list[tuple[str, str]]]:
        """{accession as asked (lower case): [(GI, accession.version)]} for accessions of
        `db`: a versioned one names that version, a bare one every version."""
        asked = [a for a in accessions if _ACCESSION.fullmatch(a)]
        if not asked:
            return {}
        bases = sorted({a.split(".")[0].upper() for a in asked})
        sql = (
            "SELECT DISTINCT acc, gi::VARCHAR FROM "
            f"{_relation(loaded.path, 'accs')} WHERE db = $1 AND "
            "key IN (SELECT hash(b) FROM (SELECT unnest($2) AS b))"
        )
        found: dict[str, list[tuple[str, str]]] = {}
        by_base: dict[str, list[tuple[str, str]]] = {}
        for acc, gi in self._ask(loaded, sql, [db, bases]):
            by_base.setdefault(acc.split(".")[0].upper(), []).append((gi, acc))
        for a in asked:
            options = by_base.get(a.split(".")[0].upper(), [])
            if "." in a:
                options = [o for o in options if o[1].lower() == a.lower()]
            if options:
                found[a.lower()] = options
        return found

    def accessions(self, loaded: Loaded, db: str, gis: Sequence[str]) -> dict[str, str]:
        """{GI: accession.version} for GIs of `db` the table holds."""
        wanted = numbers(gis)
        if not wanted:
            return {}
        sql = (
            f"SELECT gi::VARCHAR, max(acc) FROM {_relation(loaded.path, 'seqs')} "
            "WHERE db = $1 AND gi IN (SELECT unnest($2)) AND acc IS NOT NULL GROUP BY gi"
        )
        return dict(self._ask(loaded, sql, [db, wanted]))

    def dois(self, loaded: Loaded, db: str, uids: Sequence[str]) -> dict[str, str]:
        """{UID: DOI} for the PMIDs (db pubmed) or PMC UIDs (db pmc) a loaded pmc_ids
        table (pmc.parquet: pmid, pmc, doi) names with a DOI; {} for another database."""
        column = {"pubmed": "pmid", "pmc": "pmc"}.get(db)
        wanted = numbers(uids)
        if column is None or not wanted:
            return {}
        sql = (
            f"SELECT {column}::VARCHAR, min(doi) FROM {_relation(loaded.path, 'pmc')} "
            f"WHERE {column} IN (SELECT unnest($1)) AND doi IS NOT NULL GROUP BY {column}"
        )
        return dict(self._ask(loaded, sql, [wanted]))

    def links_and_runs(
        self, loaded: Loaded, spec: LinkSpec, tokens: Sequence[str]
    ) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """For a link into sra from sra_accessions: ({token: its experiments}, {experiment:
        its live runs}) in one query."""
        from elinkcli.tables import sra

        wanted = sra.wanted(tokens)
        if not wanted:
            return {}, {}
        view = "by_project" if spec.view == "by_project" else "sra"
        links: dict[str, list[str]] = {}
        runs: dict[str, list[str]] = {}
        sql = sra.links_and_runs_sql(loaded.path, view, spec.source)
        for src, experiment, listed in self._ask(loaded, sql, [wanted]):
            links.setdefault(src, []).append(experiment)
            runs[experiment] = listed or []
        return links, runs

    def runs(self, loaded: Loaded, experiments: Sequence[str]) -> dict[str, list[str]]:
        """{experiment accession: its live runs} from a loaded sra_accessions table (an
        experiment it holds with no live run: [])."""
        from elinkcli.tables import sra

        tokens = sra.wanted(experiments)
        if not tokens:
            return {}
        return {e: runs or [] for e, runs in self._ask(loaded, sra.runs_sql(loaded.path), [tokens])}

    def sample(self, loaded: Loaded, spec: LinkSpec, n: int, seed: int) -> list[str]:
        """Up to `n` distinct source ids of a link name, drawn by `seed` (the same seed, the
        same ids); memory follows `n`, not the table."""
        where = f"AND ({spec.where})" if spec.where else ""
        sql = (
            f"SELECT s FROM (SELECT DISTINCT {spec.source}::VARCHAR AS s "
            f"FROM {_relation(loaded.path, spec.view)} WHERE {spec.source} IS NOT NULL {where}) "
            "ORDER BY hash(s || $1), s LIMIT $2"
        )
        return [row[0] for row in self._ask(loaded, sql, [str(seed), n])]

    def _ask(self, loaded: Loaded, sql: str, params: list[Any]) -> list[Any]:
        """The rows of a query; a table whose files cannot be read is a TablesError naming
        it, never DuckDB's own exception."""
        con = self.con()  # without DuckDB: how to install it
        import duckdb

        try:
            rows: list[Any] = con.execute(sql, params).fetchall()
        except duckdb.Error as exc:
            raise TablesError(
                f"table {loaded.name} cannot be read at {loaded.path} ({quote(str(exc), 200)}): "
                f"`elinkcli tables get {loaded.name}` loads it again"
            ) from None
        return rows

    def close(self) -> None:
        if self._base is not None:
            self._base.close()
            self._base = None
