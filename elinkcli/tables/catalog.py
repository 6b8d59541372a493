"""The NCBI bulk link files elinkcli knows: where each lies upstream, what it holds, and the
ELink link names its local table answers (docs/tables.md says where files and ELink differ),
and elinkcli's own link names (`own`: orthologs, Ensembl ids), which ELink does not have.
"""

from __future__ import annotations

from dataclasses import dataclass

# elinkcli's own link names and databases (ELink has none): named in the catalog module,
# which the name checks read; the tables below answer them.
from elinkcli.catalog import OWN_DATABASES, OWN_LINKNAMES
from elinkcli.tables.sra import SRA_COLUMNS

# Where NCBI's FTP site is served over HTTPS (ELINKCLI_TABLES_URL, config tables_url).
DEFAULT_TABLES_URL = "https://ftp.ncbi.nlm.nih.gov/"

GENE_COLUMNS = (
    "tax_id",
    "GeneID",
    "status",
    "RNA_nucleotide_accession.version",
    "RNA_nucleotide_gi",
    "protein_accession.version",
    "protein_gi",
    "genomic_nucleotide_accession.version",
    "genomic_nucleotide_gi",
    "start_position_on_the_genomic_accession",
    "end_position_on_the_genomic_accession",
    "orientation",
    "assembly",
    "mature_peptide_accession.version",
    "mature_peptide_gi",
    "Symbol",
)
PMC_COLUMNS = (
    "Journal Title",
    "ISSN",
    "eISSN",
    "Year",
    "Volume",
    "Issue",
    "Page",
    "DOI",
    "PMCID",
    "PMID",
    "Manuscript Id",
    "Release Date",
)
ORTHOLOG_COLUMNS = ("tax_id", "GeneID", "relationship", "Other_tax_id", "Other_GeneID")
ENSEMBL_COLUMNS = (
    "tax_id",
    "GeneID",
    "Ensembl_gene_identifier",
    "RNA_nucleotide_accession.version",
    "Ensembl_rna_identifier",
    "protein_accession.version",
    "Ensembl_protein_identifier",
)


@dataclass(frozen=True)
class LinkSpec:
    """One ELink link name a table answers: from which part (`view`) of the table, which
    column holds the source UID and which the target, and a condition rows must meet.
    `complete`: an id absent from a table loaded for every organism has no such links
    (False where the table holds only some records of the source database: gene2refseq
    holds RefSeq proteins only, so a GenBank protein's protein_gene is ELink's to say).
    `own`: elinkcli's own link name, which ELink does not have: only a table answers it."""

    linkname: str
    dbfrom: str
    dbto: str
    view: str
    source: str
    target: str
    where: str = ""
    complete: bool = True
    own: bool = False
    about: str = ""
    # The table speaks accessions, not UIDs (sra_accessions: NCBI publishes no sra UIDs):
    # it answers only when asked to (links_from "tables"), never in ELink's place.
    by_accession: bool = False


@dataclass(frozen=True)
class TableSpec:
    """One bulk file: its name for `tables get NAME`, its path under the files' base URL,
    its columns (the header line, as NCBI writes it), its kind of loading, what it is
    about, its size upstream (as last seen, before a HEAD request tells), and the links
    it answers (asked in the order tables are given here, the first loaded one answers)."""

    name: str
    path: str
    columns: tuple[str, ...]
    kind: str
    about: str
    size_note: str
    links: tuple[LinkSpec, ...]
    taxon_column: str | None = "tax_id"

    def answers(self) -> tuple[str, ...]:
        return tuple(link.linkname for link in self.links)


def _gene_links(refseq: bool) -> tuple[LinkSpec, ...]:
    forward: tuple[LinkSpec, ...]
    if refseq:
        forward = (
            LinkSpec("gene_protein_refseq", "gene", "protein", "rows", "gene", "prot_gi"),
            LinkSpec("gene_nuccore_refseqrna", "gene", "nuccore", "rows", "gene", "rna_gi"),
            LinkSpec(
                "gene_nuccore_refseqgene",
                "gene",
                "nuccore",
                "rows",
                "gene",
                "gen_gi",
                "gen_acc LIKE 'NG\\_%' ESCAPE '\\'",
            ),
        )
    else:
        forward = (
            LinkSpec("gene_protein", "gene", "protein", "rows", "gene", "prot_gi"),
            LinkSpec("gene_nuccore", "gene", "nuccore", "gene_nuccore", "gene", "gi"),
        )
    reverse = (
        LinkSpec(
            "protein_gene", "protein", "gene", "seqs", "gi", "gene", "db = 'protein'", not refseq
        ),
        LinkSpec(
            "nuccore_gene", "nuccore", "gene", "seqs", "gi", "gene", "db = 'nuccore'", not refseq
        ),
    )
    return forward + reverse


TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "gene2pubmed",
        "gene/DATA/gene2pubmed.gz",
        ("tax_id", "GeneID", "PubMed_ID"),
        "gene2pubmed",
        "Gene records and the PubMed articles about them",
        "~250 MB",
        (
            LinkSpec("gene_pubmed", "gene", "pubmed", "by_gene", "gene", "pmid"),
            LinkSpec("pubmed_gene", "pubmed", "gene", "by_pmid", "pmid", "gene"),
        ),
    ),
    TableSpec(
        "gene2refseq",
        "gene/DATA/gene2refseq.gz",
        GENE_COLUMNS,
        "gene2x",
        "Gene records and their RefSeq RNAs, proteins and genomic sequences",
        "~2 GB",
        _gene_links(refseq=True),
    ),
    TableSpec(
        "gene2accession",
        "gene/DATA/gene2accession.gz",
        GENE_COLUMNS,
        "gene2x",
        "Gene records and every GenBank and RefSeq sequence of them",
        "~4 GB",
        _gene_links(refseq=False),
    ),
    TableSpec(
        "pmc_ids",
        "pub/pmc/PMC-ids.csv.gz",
        PMC_COLUMNS,
        "pmc",
        "PubMed Central articles: PMCID, PMID and DOI",
        "~160 MB",
        (
            LinkSpec("pubmed_pmc", "pubmed", "pmc", "pmc", "pmid", "pmc"),
            LinkSpec("pmc_pubmed", "pmc", "pubmed", "pmc", "pmc", "pmid"),
        ),
        taxon_column=None,
    ),
    TableSpec(
        "gene_orthologs",
        "gene/DATA/gene_orthologs.gz",
        ORTHOLOG_COLUMNS,
        "orthologs",
        "Ortholog pairs of Gene records across organisms (elinkcli's own link name)",
        "?",
        (
            LinkSpec(
                "gene_gene_ortholog",
                "gene",
                "gene",
                "pairs",
                "gene",
                "other",
                own=True,
                about="orthologs of a gene in other organisms (gene_orthologs, both directions)",
            ),
        ),
    ),
    TableSpec(
        "gene2ensembl",
        "gene/DATA/gene2ensembl.gz",
        ENSEMBL_COLUMNS,
        "gene2ensembl",
        "Gene records and their Ensembl genes, transcripts and proteins (elinkcli's own "
        "link names)",
        "?",
        (
            LinkSpec(
                "gene_ensembl",
                "gene",
                "ensembl",
                "ensembl",
                "gene",
                "ensg",
                own=True,
                about="Ensembl gene ids of a gene (ENSG...), from gene2ensembl",
            ),
            LinkSpec(
                "gene_ensembl_transcript",
                "gene",
                "ensembl",
                "ensembl",
                "gene",
                "enst",
                own=True,
                about="Ensembl transcript ids of a gene (ENST...), from gene2ensembl",
            ),
            LinkSpec(
                "gene_ensembl_protein",
                "gene",
                "ensembl",
                "ensembl",
                "gene",
                "ensp",
                own=True,
                about="Ensembl protein ids of a gene (ENSP...), from gene2ensembl",
            ),
        ),
    ),
)


def _sra_link(
    linkname: str, dbfrom: str, dbto: str, view: str, source: str, target: str
) -> LinkSpec:
    return LinkSpec(linkname, dbfrom, dbto, view, source, target, by_accession=True)


SRA_TABLE = TableSpec(
    "sra_accessions",
    "sra/reports/Metadata/SRA_Accessions.tab",
    SRA_COLUMNS,
    "sra",
    "SRA runs, experiments, samples and studies with their BioProject and BioSample, in "
    "accessions (answers with --from tables)",
    "~28 GB, uncompressed",
    (
        _sra_link("bioproject_sra", "bioproject", "sra", "by_project", "bioproject", "experiment"),
        _sra_link("biosample_sra", "biosample", "sra", "sra", "biosample", "experiment"),
        _sra_link("gds_sra", "gds", "sra", "sra", "gsm", "experiment"),
        _sra_link("sra_bioproject", "sra", "bioproject", "sra", "sra", "bioproject"),
        _sra_link("sra_biosample", "sra", "biosample", "sra", "sra", "biosample"),
    ),
    taxon_column=None,
)
TABLES = (*TABLES, SRA_TABLE)
# The databases whose tokens sra_accessions answers as accessions.
SRA_DBS = frozenset(s.dbfrom for s in SRA_TABLE.links)

BY_NAME = {t.name: t for t in TABLES}
# Sequence databases whose accession.version <-> GI the gene2x tables map.
SEQUENCE_DBS = ("nuccore", "protein")


def table_named(name: str) -> TableSpec | None:
    return BY_NAME.get(name.strip().lower().replace("-", "_").removesuffix(".gz"))


def tables_answering(linkname: str) -> list[tuple[TableSpec, LinkSpec]]:
    """The tables that answer a link name, in the order they are asked."""
    order = {"gene2accession": 0, "gene2refseq": 1}
    found = [(t, s) for t in TABLES for s in t.links if s.linkname == linkname]
    return sorted(found, key=lambda pair: order.get(pair[0].name, 0))


def linknames() -> tuple[str, ...]:
    """Every link name some table answers, once."""
    return tuple(dict.fromkeys(s.linkname for t in TABLES for s in t.links))


__all__ = ["OWN_DATABASES", "OWN_LINKNAMES"]


def own_links() -> dict[str, tuple[TableSpec, LinkSpec]]:
    """elinkcli's own link names (ELink has none of them): {name: (its table, its spec)}."""
    return {s.linkname: (t, s) for t in TABLES for s in t.links if s.own}


def own_link(linkname: str) -> tuple[TableSpec, LinkSpec] | None:
    """The table and spec of one of elinkcli's own link names, or None for ELink's."""
    return own_links().get(linkname)
