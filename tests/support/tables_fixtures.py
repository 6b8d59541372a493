"""What the tests of local link tables (`elinkcli tables`, `link --from tables`) share: the
dataset and its files, the oracle of which file answers which link name and with what,
a changed and a grown version of gene2pubmed, and a Python that cannot import DuckDB.

Every expected value comes from `support.ncbi_files` (the dataset, `links`), never from
elinkcli: the file paths, row counts and link names are written out here from NCBI's
layout, not read from elinkcli.tables.catalog.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import random
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path

from conftest import TSV_HEADER

from support.ncbi_files import LINKNAMES, OWN_LINKNAMES, LinkData, links, make_data

# Where each file lies under the files' base URL (NCBI's FTP layout).
PATHS = {
    "gene2pubmed": "gene/DATA/gene2pubmed.gz",
    "gene2refseq": "gene/DATA/gene2refseq.gz",
    "gene2accession": "gene/DATA/gene2accession.gz",
    "pmc_ids": "pub/pmc/PMC-ids.csv.gz",
    "gene_orthologs": "gene/DATA/gene_orthologs.gz",
    "gene2ensembl": "gene/DATA/gene2ensembl.gz",
}
TABLE_NAMES = tuple(PATHS)
# Every table `tables list` names: these, and the SRA metadata table (its file, of another
# model, comes from tests/support/sra_files.py; this dataset's site does not serve it).
LISTED_TABLES = (*TABLE_NAMES, "sra_accessions")
# The file that answers each link name once all four are loaded (gene2accession holds
# every sequence, so it answers protein_gene and nuccore_gene before gene2refseq).
ANSWERED_BY = {
    "gene_pubmed": "gene2pubmed",
    "pubmed_gene": "gene2pubmed",
    "gene_protein_refseq": "gene2refseq",
    "gene_nuccore_refseqrna": "gene2refseq",
    "gene_nuccore_refseqgene": "gene2refseq",
    "gene_protein": "gene2accession",
    "gene_nuccore": "gene2accession",
    "protein_gene": "gene2accession",
    "nuccore_gene": "gene2accession",
    "pubmed_pmc": "pmc_ids",
    "pmc_pubmed": "pmc_ids",
}
assert set(ANSWERED_BY) == set(LINKNAMES)
# elinkcli's own link names (ELink has none) and the file that answers each.
OWN_ANSWERED_BY = {
    "gene_gene_ortholog": "gene_orthologs",
    "gene_ensembl": "gene2ensembl",
    "gene_ensembl_transcript": "gene2ensembl",
    "gene_ensembl_protein": "gene2ensembl",
}
assert set(OWN_ANSWERED_BY) == set(OWN_LINKNAMES)
# The date every file is served with (support.file_server's default Last-Modified).
SERVED_DATE = "2026-12-01"
LATER = datetime(2027, 1, 15, tzinfo=timezone.utc)
LATER_DATE = "2027-01-15"
# UIDs no file holds (the dataset's UIDs stay below these).
ABSENT = ("1", "99", "2999999999")


@functools.lru_cache(maxsize=1)
def dataset() -> LinkData:
    return make_data()


def rows_of(data: LinkData, table: str) -> int:
    """Data rows of a file (its header line not counted)."""
    return {
        "gene2pubmed": len(data.pubmed),
        "gene2refseq": len(data.refseq),
        "gene2accession": len(data.accession),
        "pmc_ids": len(data.pmc),
        "gene_orthologs": len(data.orthologs),  # pairs, as the file lists them
        "gene2ensembl": len(data.ensembl),
    }[table]


def taxon_rows(data: LinkData, table: str, taxon: int) -> int:
    if table == "gene_orthologs":  # a pair is kept when either side is of the taxon
        return sum(1 for t, _g, o, _og in data.orthologs if taxon in (t, o))
    rows: Iterable[int] = {
        "gene2pubmed": (t for t, _g, _p in data.pubmed),
        "gene2refseq": (r.tax_id for r in data.refseq),
        "gene2accession": (r.tax_id for r in data.accession),
        "gene2ensembl": (r.tax_id for r in data.ensembl),
    }[table]
    return sum(1 for t in rows if t == taxon)


def gene_taxa(data: LinkData) -> dict[str, int]:
    """{GeneID: tax_id} of every gene of the dataset."""
    found = {str(g): t for t, g, _p in data.pubmed}
    found.update({str(r.gene): r.tax_id for r in data.accession})
    return found


def source_ids(data: LinkData, db: str) -> list[str]:
    """Every UID of `db` the dataset names anywhere (as a source or a target)."""
    found: set[int] = set()
    if db == "gene":
        found |= {g for _t, g, _p in data.pubmed} | {r.gene for r in data.accession}
    elif db == "pubmed":
        found |= {p for _t, _g, p in data.pubmed} | {int(r.pmid) for r in data.pmc if r.pmid}
    elif db == "pmc":
        found |= {int(r.pmcid.removeprefix("PMC")) for r in data.pmc}
    else:  # nuccore, protein: GIs
        for r in data.accession:
            gis = (r.prot_gi,) if db == "protein" else (r.rna_gi, r.gen_gi)
            found |= {gi for gi in gis if gi is not None}
    return [str(n) for n in sorted(found)]


def probe_ids(data: LinkData, linkname: str, with_links: int = 12) -> list[str]:
    """Source ids to ask for `linkname`: some with links, every one of the database the
    dataset names without such links (up to 12), and ids no file holds, mixed."""
    dbfrom = {**LINKNAMES, **OWN_LINKNAMES}[linkname][0]
    view = links(data, linkname)
    having = list(view)
    rng = random.Random(linkname)
    chosen = rng.sample(having, min(with_links, len(having)))
    without = [i for i in source_ids(data, dbfrom) if i not in view][:12]
    ids = chosen + without + list(ABSENT)
    rng.shuffle(ids)
    return ids


def expected_pairs(view: dict[str, list[str]], ids: Sequence[str]) -> list[tuple[str, str]]:
    """(source_id, target_id) rows for `ids` in the order they are asked, each id once."""
    return [(i, t) for i in dict.fromkeys(ids) for t in view.get(i, [])]


def changed_data(data: LinkData) -> LinkData:
    """gene2pubmed as NCBI might publish it next: the first gene's rows gone, one new
    PMID for the second gene, nothing else changed."""
    genes = sorted({(g, t) for t, g, _p in data.pubmed})
    (dropped, _), (kept, kept_tax) = genes[0], genes[1]
    pubmed = [row for row in data.pubmed if row[1] != dropped]
    pubmed.append((kept_tax, kept, 45_000_001))
    return dataclasses.replace(data, pubmed=sorted(pubmed))


def changed_genes(data: LinkData) -> list[str]:
    """The genes whose gene_pubmed links `changed_data` changes, and one it does not."""
    genes = sorted({g for _t, g, _p in data.pubmed})
    return [str(genes[0]), str(genes[1]), str(genes[2])]


def grown_data(data: LinkData, extra: int, seed: int = 1) -> LinkData:
    """gene2pubmed with `extra` more rows (new PMIDs of the dataset's genes)."""
    rng = random.Random(seed)
    genes = sorted({(t, g) for t, g, _p in data.pubmed})
    rows = set(data.pubmed)
    while len(rows) < len(data.pubmed) + extra:
        tax, gene = rng.choice(genes)
        rows.add((tax, gene, rng.randint(40_000_001, 49_999_999)))
    return dataclasses.replace(data, pubmed=sorted(rows))


def gene2pubmed_stored(data: LinkData) -> bytes:
    """gene2pubmed as a gzip of stored (uncompressed) blocks: as long as the text, so a
    few thousand rows make a file past a megabyte."""
    lines = ["#tax_id\tGeneID\tPubMed_ID"] + [f"{t}\t{g}\t{p}" for t, g, p in data.pubmed]
    return gzip.compress(("\n".join(lines) + "\n").encode(), compresslevel=0, mtime=0)


def no_duckdb(directory: Path) -> Path:
    """A directory to put first on PYTHONPATH: its sitecustomize makes `import duckdb`
    fail as when the extra is not installed."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "sitecustomize.py").write_text("import sys\nsys.modules['duckdb'] = None\n")
    return directory


def tsv_text(
    rows: Iterable[tuple[str, str]],
    dbfrom: str,
    linkname: str,
    dbto: str,
    source: str | None,
) -> str:
    """`link` tsv output of (source_id, target_id) rows (UIDs), with the `source` column
    when `source` is given."""
    header = list(TSV_HEADER)
    if source is not None:
        header.append("source")
    lines = ["\t".join(header)]
    for uid, target in rows:
        cells = [dbfrom, uid, linkname, dbto, target, "", uid, ""]
        if source is not None:
            cells.append(source)
        lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"
