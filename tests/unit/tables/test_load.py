"""elinkcli.tables.load: a downloaded file checked (every gzip member, the header) and
loaded into Parquet with DuckDB. The files are the dataset's (support.ncbi_files) and the
Parquet written is read back here with DuckDB's own SQL, compared with the dataset.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from typing import Any

import pytest
from support.ncbi_files import (
    GENE_COLUMNS,
    LinkData,
    gene2pubmed_bytes,
    gene2refseq_bytes,
    links,
    pmc_ids_bytes,
)
from support.tables_fixtures import taxon_rows

from elinkcli.tables.catalog import BY_NAME
from elinkcli.tables.load import check_header, gzip_lines, header_of, load_file
from elinkcli.tables.store import Loaded, TablesError, Upstream

duckdb = pytest.importorskip("duckdb")


def write(path: Path, body: bytes) -> Path:
    path.write_bytes(body)
    return path


def parquet(con: Any, path: Path, sql: str) -> list[tuple]:
    rows: list[tuple] = con.execute(sql.format(t=f"read_parquet('{path}')")).fetchall()
    return rows


def loaded(name: str, into: Path, rows: int) -> Loaded:
    return Loaded(name, into.name, into, Upstream("x"), rows, None, 0.0, (), 0)


# --- the gzip check ----------------------------------------------------------------------


def test_gzip_lines_counts_every_member(tmp_path: Path) -> None:
    first, second = b"#h\na\nb\n", b"c\nd\ne\nf\n"
    path = write(tmp_path / "f.gz", gzip.compress(first) + gzip.compress(second))
    assert gzip_lines(path) == (first + second).count(b"\n") == 7


def test_gzip_lines_of_a_big_file_across_reads(tmp_path: Path) -> None:
    text = b"".join(b"%d\t%d\n" % (n, n * 7) for n in range(300_000))
    path = write(tmp_path / "f.gz", gzip.compress(text, compresslevel=1))
    assert gzip_lines(path) == 300_000


def test_a_cut_gzip_is_eof_error(tmp_path: Path) -> None:
    body = gzip.compress(b"".join(b"%d\n" % n for n in range(5000)))
    path = write(tmp_path / "f.gz", body[: len(body) // 2])
    with pytest.raises(EOFError):
        gzip_lines(path)
    member = gzip.compress(b"a\n")
    whole_then_cut = write(tmp_path / "g.gz", member + member[:10])
    with pytest.raises(EOFError):
        gzip_lines(whole_then_cut)


def test_a_bad_checksum_or_junk_after_the_end_is_zlib_error(tmp_path: Path) -> None:
    body = bytearray(gzip.compress(b"a\nb\n"))
    body[-8] ^= 0xFF  # the CRC-32
    with pytest.raises(zlib.error):
        gzip_lines(write(tmp_path / "crc.gz", bytes(body)))
    with pytest.raises(zlib.error):
        gzip_lines(write(tmp_path / "junk.gz", gzip.compress(b"a\n") + b"<html>"))


def test_an_empty_file_is_eof_error(tmp_path: Path) -> None:
    with pytest.raises(EOFError):
        gzip_lines(write(tmp_path / "e.gz", b""))


# --- headers -----------------------------------------------------------------------------


def test_headers_as_ncbi_writes_them(tmp_path: Path, data: LinkData) -> None:
    assert check_header(BY_NAME["gene2pubmed"], header_of(write(
        tmp_path / "a.gz", gene2pubmed_bytes(data)))) == 3  # fmt: skip
    assert header_of(tmp_path / "a.gz") == ["tax_id", "GeneID", "PubMed_ID"]
    refseq = write(tmp_path / "r.gz", gene2refseq_bytes(data))
    assert check_header(BY_NAME["gene2refseq"], header_of(refseq)) == 16
    pmc = write(tmp_path / "p.gz", pmc_ids_bytes(data))
    assert check_header(BY_NAME["pmc_ids"], header_of(pmc, csv=True)) == 12
    assert check_header(BY_NAME["gene2accession"], list(GENE_COLUMNS[:13])) == 13


@pytest.mark.parametrize(
    ("table", "header"),
    [
        ("gene2pubmed", ["tax_id", "GeneID", "PMID"]),
        ("gene2pubmed", ["tax_id", "GeneID", "PubMed_ID", "Extra"]),
        ("gene2pubmed", ["GeneID", "tax_id", "PubMed_ID"]),
        ("gene2refseq", list(GENE_COLUMNS[:12])),
        ("gene2pubmed", list(GENE_COLUMNS[:13])),  # 13 columns only for gene2x files
        ("pmc_ids", ["Journal Title", "ISSN"]),
    ],
)
def test_a_header_that_is_not_ncbis_is_refused(table: str, header: list[str]) -> None:
    with pytest.raises(TablesError, match=table):
        check_header(BY_NAME[table], header)


def test_a_file_that_is_not_gzip_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TablesError, match="not a gzip"):
        header_of(write(tmp_path / "h.gz", b"<html><body>Not Found</body></html>"))


# --- loading -----------------------------------------------------------------------------


def test_gene2pubmed_loads_every_row_sorted_for_both_lookups(
    tmp_path: Path, con: Any, data: LinkData
) -> None:
    gz = write(tmp_path / "g.gz", gene2pubmed_bytes(data))
    into = tmp_path / "v"
    into.mkdir()
    result = load_file(con, BY_NAME["gene2pubmed"], gz, into, None)
    assert result.rows == len(data.pubmed)
    assert result.files == ("by_gene.parquet", "by_pmid.parquet")
    by_gene = parquet(con, into / "by_gene.parquet", "SELECT tax_id, gene, pmid FROM {t}")
    assert sorted(by_gene) == sorted(data.pubmed)
    assert [(g, p) for _t, g, p in by_gene] == sorted((g, p) for _t, g, p in data.pubmed)
    by_pmid = parquet(con, into / "by_pmid.parquet", "SELECT pmid, gene FROM {t}")
    assert by_pmid == sorted((p, g) for _t, g, p in data.pubmed)


def test_a_taxon_filter_keeps_only_those_taxa(tmp_path: Path, con: Any, data: LinkData) -> None:
    gz = write(tmp_path / "g.gz", gene2pubmed_bytes(data))
    into = tmp_path / "v"
    into.mkdir()
    result = load_file(con, BY_NAME["gene2pubmed"], gz, into, (9606, 7227))
    want = taxon_rows(data, "gene2pubmed", 9606) + taxon_rows(data, "gene2pubmed", 7227)
    assert result.rows == want
    rows = parquet(con, into / "by_gene.parquet", "SELECT tax_id, gene, pmid FROM {t}")
    assert sorted(rows) == sorted(r for r in data.pubmed if r[0] in (9606, 7227))


def old_gene_file(data: LinkData) -> bytes:
    """gene2refseq as NCBI wrote it before 2021: its first 13 columns."""
    text = gzip.decompress(gene2refseq_bytes(data)).decode()
    lines = ["\t".join(line.split("\t")[:13]) for line in text.splitlines()]
    return gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)


def refseq_sequences(data: LinkData, linkname: str) -> dict[str, list[str]]:
    """protein_gene or nuccore_gene of gene2refseq's rows alone, highest gene first."""
    found: dict[str, set[str]] = {}
    for r in data.refseq:
        gis = (r.prot_gi,) if linkname == "protein_gene" else (r.rna_gi, r.gen_gi)
        for gi in gis:
            if gi is not None:
                found.setdefault(str(gi), set()).add(str(r.gene))
    return {k: sorted(v, key=int, reverse=True) for k, v in found.items()}


@pytest.mark.parametrize("form", ["16 columns", "13 columns"])
def test_gene2refseq_loads_and_answers_its_links(
    tmp_path: Path, con: Any, data: LinkData, form: str
) -> None:
    from elinkcli.tables.lookup import Reader

    body = gene2refseq_bytes(data) if form == "16 columns" else old_gene_file(data)
    gz = write(tmp_path / "r.gz", body)
    into = tmp_path / "gene2refseq.v1"
    into.mkdir()
    result = load_file(con, BY_NAME["gene2refseq"], gz, into, None)
    assert result.rows == len(data.refseq)
    table = loaded("gene2refseq", into, result.rows)
    reader = Reader()
    try:
        for spec in BY_NAME["gene2refseq"].links:
            view = links(data, spec.linkname)
            if spec.linkname in ("protein_gene", "nuccore_gene"):
                view = refseq_sequences(data, spec.linkname)  # RefSeq sequences only
            answered = reader.links(table, spec, list(view))
            assert {k: v for k, v in answered.items() if v} == view, spec.linkname
    finally:
        reader.close()


def test_pmc_csv_with_quoted_commas_is_read_right(tmp_path: Path, con: Any, data: LinkData) -> None:
    assert any("," in r.journal for r in data.pmc) and any('"' in r.journal for r in data.pmc)
    gz = write(tmp_path / "p.gz", pmc_ids_bytes(data))
    into = tmp_path / "v"
    into.mkdir()
    result = load_file(con, BY_NAME["pmc_ids"], gz, into, None)
    assert result.rows == len(data.pmc)
    rows = parquet(con, into / "pmc.parquet", "SELECT pmc, pmid, doi FROM {t}")
    want = [(int(r.pmcid[3:]), int(r.pmid) if r.pmid else None, r.doi or None) for r in data.pmc]
    assert sorted(rows, key=lambda r: r[0]) == sorted(want)


def test_a_damaged_gzip_is_refused_as_damaged(tmp_path: Path, con: Any, data: LinkData) -> None:
    body = bytearray(gene2pubmed_bytes(data))
    body[-8] ^= 0xFF  # the CRC-32: the text itself reads fine
    gz = write(tmp_path / "g.gz", bytes(body))
    into = tmp_path / "v"
    into.mkdir()
    with pytest.raises(TablesError, match="damaged"):
        load_file(con, BY_NAME["gene2pubmed"], gz, into, None)


def test_a_header_mismatch_loads_nothing(tmp_path: Path, con: Any) -> None:
    gz = write(tmp_path / "g.gz", gzip.compress(b"#tax_id\tGeneID\tPMID\n9606\t1\t2\n"))
    into = tmp_path / "v"
    into.mkdir()
    with pytest.raises(TablesError, match="header"):
        load_file(con, BY_NAME["gene2pubmed"], gz, into, None)
    assert list(into.iterdir()) == []


def test_a_row_that_is_no_number_is_refused(tmp_path: Path, con: Any) -> None:
    body = b"#tax_id\tGeneID\tPubMed_ID\n9606\t1\t2\n9606\tnot-a-gene\t3\n"
    gz = write(tmp_path / "g.gz", gzip.compress(body))
    into = tmp_path / "v"
    into.mkdir()
    with pytest.raises(TablesError) as caught:
        load_file(con, BY_NAME["gene2pubmed"], gz, into, None)
    assert "\n" not in str(caught.value)
