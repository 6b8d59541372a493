"""elinkcli's own link names from gene_orthologs and gene2ensembl: the catalog marks them,
the loaders store them as the lookups read them (orthologs both ways, sorted by gene),
and the command line's name checks know them. Expected values come from the dataset."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest
from support.ncbi_files import (
    ENSEMBL_COLUMNS,
    ORTHOLOG_COLUMNS,
    OWN_LINKNAMES,
    LinkData,
    gene2ensembl_bytes,
    gene_orthologs_bytes,
    links,
)
from support.tables_fixtures import taxon_rows

from elinkcli.catalog import OWN_LINKNAMES as catalog_own
from elinkcli.names import default_linkname, name_problems, pair_tables, source_of, target_of
from elinkcli.tables.catalog import (
    BY_NAME,
    OWN_DATABASES,
    linknames,
    own_link,
    own_links,
    table_named,
    tables_answering,
)
from elinkcli.tables.load import DamagedFileError, check_header, header_of, load_file
from elinkcli.tables.store import Loaded, Upstream

duckdb = pytest.importorskip("duckdb")


def load(tmp_path: Path, con: Any, table: str, body: bytes, taxa: Any = None) -> Loaded:
    gz = tmp_path / f"{table}.gz"
    gz.write_bytes(body)
    into = tmp_path / "v"
    into.mkdir()
    result = load_file(con, BY_NAME[table], gz, into, taxa)
    return Loaded(table, into.name, into, Upstream("x"), result.rows, None, 0.0, (), 0)


def ask(loaded: Loaded, linkname: str, uids: list[str]) -> dict[str, list[str]]:
    from elinkcli.tables.lookup import Reader

    (_t, spec) = next(p for p in tables_answering(linkname) if p[0].name == loaded.name)
    reader = Reader()
    try:
        return reader.links(loaded, spec, uids)
    finally:
        reader.close()


# --- the catalog -------------------------------------------------------------------------


def test_catalog_marks_own_link_names() -> None:
    assert set(own_links()) == set(OWN_LINKNAMES)
    assert {n: (s.dbfrom, s.dbto) for n, (_t, s) in own_links().items()} == catalog_own
    for name, (dbfrom, dbto) in OWN_LINKNAMES.items():
        found = own_link(name)
        assert found is not None
        assert (found[1].dbfrom, found[1].dbto, found[1].own) == (dbfrom, dbto, True)
        assert name in linknames()
    assert own_link("gene_pubmed") is None and "ensembl" in OWN_DATABASES
    assert not any(s.own for t in ("gene2pubmed", "gene2refseq") for s in BY_NAME[t].links)
    assert table_named("gene_orthologs.gz") is BY_NAME["gene_orthologs"]
    assert BY_NAME["gene_orthologs"].path == "gene/DATA/gene_orthologs.gz"
    assert BY_NAME["gene2ensembl"].path == "gene/DATA/gene2ensembl.gz"
    assert BY_NAME["gene_orthologs"].columns == ORTHOLOG_COLUMNS
    assert BY_NAME["gene2ensembl"].columns == ENSEMBL_COLUMNS


def test_names_know_own_link_names_and_ensembl() -> None:
    assert name_problems(db="gene", target="ensembl", linkname="gene_ensembl") == []
    assert name_problems(db="gene", target="gene", linkname="gene_gene_ortholog") == []
    assert name_problems(db="gene", target="ensembl") == []
    assert default_linkname("gene", "ensembl") == "gene_ensembl"
    assert target_of("gene_ensembl_protein") == "ensembl" and source_of("gene_ensembl") == "gene"
    assert target_of("gene_gene_ortholog") == "gene"
    assert pair_tables("gene", "ensembl") == [
        "gene_ensembl",
        "gene_ensembl_protein",
        "gene_ensembl_transcript",
    ]
    wrong = name_problems(db="pubmed", target="ensembl", linkname="gene_ensembl")
    assert wrong == ["link name gene_ensembl starts from gene, not pubmed"]
    assert name_problems(db="gene", target="protein", linkname="gene_ensembl") == [
        "link name gene_ensembl leads to ensembl, not protein"
    ]


# --- headers -----------------------------------------------------------------------------


def test_headers_as_ncbi_writes_them(tmp_path: Path, data: LinkData) -> None:
    for table, body in (
        ("gene_orthologs", gene_orthologs_bytes(data)),
        ("gene2ensembl", gene2ensembl_bytes(data)),
    ):
        path = tmp_path / f"{table}.gz"
        path.write_bytes(body)
        found = header_of(path)
        assert check_header(BY_NAME[table], found) == len(BY_NAME[table].columns)
        with pytest.raises(DamagedFileError, match="header"):
            check_header(BY_NAME[table], found[:-1])


# --- loading and lookups -----------------------------------------------------------------


def test_orthologs_load_both_ways_sorted_by_gene(tmp_path: Path, con: Any, data: LinkData) -> None:
    loaded = load(tmp_path, con, "gene_orthologs", gene_orthologs_bytes(data))
    assert loaded.rows == len(data.orthologs)
    rows = con.execute(
        f"SELECT gene, other FROM read_parquet('{loaded.path / 'pairs.parquet'}')"
    ).fetchall()
    pairs = [(g, o) for _t, g, _ot, o in data.orthologs]
    assert rows == sorted(pairs + [(o, g) for g, o in pairs])
    view = links(data, "gene_gene_ortholog")
    asked = [*view, "1", "2999999999"]
    assert ask(loaded, "gene_gene_ortholog", asked) == view
    # Both directions of each pair.
    for g, o in pairs:
        assert str(o) in view[str(g)] and str(g) in view[str(o)]


def test_orthologs_taxon_keeps_a_pair_when_either_side_is_kept(
    tmp_path: Path, con: Any, data: LinkData
) -> None:
    loaded = load(tmp_path, con, "gene_orthologs", gene_orthologs_bytes(data), (10090,))
    assert loaded.rows == taxon_rows(data, "gene_orthologs", 10090)
    kept = [(g, o) for t, g, ot, o in data.orthologs if 10090 in (t, ot)]
    assert kept and len(kept) < len(data.orthologs)
    found = ask(loaded, "gene_gene_ortholog", [str(g) for g, _o in kept])
    for g, o in kept:
        assert str(o) in found[str(g)]


def test_gene2ensembl_answers_genes_transcripts_proteins(
    tmp_path: Path, con: Any, data: LinkData
) -> None:
    loaded = load(tmp_path, con, "gene2ensembl", gene2ensembl_bytes(data))
    assert loaded.rows == len(data.ensembl)
    genes = [*sorted({str(r.gene) for r in data.ensembl}), "1"]
    for linkname in ("gene_ensembl", "gene_ensembl_transcript", "gene_ensembl_protein"):
        view = links(data, linkname)
        found = ask(loaded, linkname, genes)
        # Genes the table holds without such links (no transcript, no protein) have none.
        assert {k: v for k, v in found.items() if v} == view, linkname
    two = next(g for g, ids in links(data, "gene_ensembl").items() if len(ids) == 2)
    assert ask(loaded, "gene_ensembl", [two])[two] == sorted(
        links(data, "gene_ensembl")[two], reverse=True
    )


def test_gene2ensembl_taxon_filter(tmp_path: Path, con: Any, data: LinkData) -> None:
    loaded = load(tmp_path, con, "gene2ensembl", gene2ensembl_bytes(data), (9606,))
    assert loaded.rows == taxon_rows(data, "gene2ensembl", 9606) > 0
    prefixes = con.execute(
        f"SELECT DISTINCT left(ensg, 4) FROM read_parquet('{loaded.path / 'ensembl.parquet'}')"
    ).fetchall()
    assert prefixes == [("ENSG",)]


def test_a_line_count_that_differs_is_damaged(tmp_path: Path, con: Any, data: LinkData) -> None:
    text = gzip.decompress(gene_orthologs_bytes(data)).decode()
    # A stray blank line: DuckDB skips it, the line count does not.
    body = gzip.compress((text + "\n").encode(), mtime=0)
    with pytest.raises(DamagedFileError, match="lines in the file"):
        load(tmp_path, con, "gene_orthologs", body)
