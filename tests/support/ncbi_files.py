"""A small, deterministic set of gene/PubMed/sequence/PMC links, written out as NCBI's bulk
link files and served by the fake E-utilities, so both describe the same links.

Where the shapes come from (every value is invented; only the shapes are NCBI's):

* `gene/DATA/gene2pubmed.gz`, `gene/DATA/gene2refseq.gz`, `gene/DATA/gene2accession.gz`:
  gzipped TSV with the column lists of NCBI's gene/DATA/README (a `#`-led header line, `-`
  for an empty field; gene2refseq and gene2accession share their 16 columns, gene2accession
  adds GenBank rows, status `-`, to the RefSeq ones).
* `gene/DATA/gene_orthologs.gz`: gzipped TSV `#tax_id GeneID relationship Other_tax_id
  Other_GeneID`, each ortholog pair once, from one side (relationship `Ortholog`).
* `gene/DATA/gene2ensembl.gz`: gzipped TSV `#tax_id GeneID Ensembl_gene_identifier
  RNA_nucleotide_accession.version Ensembl_rna_identifier protein_accession.version
  Ensembl_protein_identifier`, one row per transcript, `-` where empty.
* `pub/pmc/PMC-ids.csv.gz`: gzipped CSV with PMC-ids.csv's header (`Journal Title,ISSN,...,
  Release Date`), fields quoted only where needed (titles with commas or quotes), PMID,
  DOI or Manuscript Id empty where PMC has none.

`links(data, linkname)` is the oracle: source UID -> target UIDs, distinct, highest first;
`fake_tables(data)` and `add_records(fake, data)` make `FakeEutils` answer exactly those.
OWN_LINKNAMES are elinkcli's own link names (ELink has none: the fake ELink does not
answer them): gene_gene_ortholog (both directions of every pair) and gene_ensembl,
gene_ensembl_transcript, gene_ensembl_protein (targets are Ensembl ids, highest first as
text).
"""

from __future__ import annotations

import csv
import gzip
import io
import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from support.fake_eutils import FakeEutils, Table

__all__ = [
    "ASSEMBLIES",
    "ENSEMBL_COLUMNS",
    "GENE_COLUMNS",
    "LINKNAMES",
    "ORTHOLOG_COLUMNS",
    "OWN_LINKNAMES",
    "PMC_COLUMNS",
    "TAXA",
    "EnsemblRow",
    "GeneRow",
    "LinkData",
    "PmcRow",
    "add_records",
    "fake_tables",
    "gene2accession_bytes",
    "gene2ensembl_bytes",
    "gene2pubmed_bytes",
    "gene2refseq_bytes",
    "gene_orthologs_bytes",
    "links",
    "make_data",
    "ncbi_files",
    "pmc_ids_bytes",
]

TAXA = (9606, 10090, 7227)
# The assembly column of a row placed on a chromosome (NC_), per taxon.
ASSEMBLIES = {
    9606: "Reference GRCh38.p14 Primary Assembly",
    10090: "Reference GRCm39 C57BL/6J",
    7227: "Reference Release 6 plus ISO1 MT",
}
_CHROMOSOMES = {
    9606: ("NC_000001.11", "NC_000017.11", "NC_000023.11"),
    10090: ("NC_000067.7", "NC_000077.7"),
    7227: ("NC_004354.4", "NC_004353.4"),
}
GENE2PUBMED_HEADER = "#tax_id\tGeneID\tPubMed_ID"
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
# (dbfrom, dbto) of every link view `links` and `fake_tables` know.
LINKNAMES: dict[str, tuple[str, str]] = {
    "gene_pubmed": ("gene", "pubmed"),
    "pubmed_gene": ("pubmed", "gene"),
    "gene_protein_refseq": ("gene", "protein"),
    "gene_nuccore_refseqrna": ("gene", "nuccore"),
    "gene_nuccore_refseqgene": ("gene", "nuccore"),
    "gene_protein": ("gene", "protein"),
    "gene_nuccore": ("gene", "nuccore"),
    "protein_gene": ("protein", "gene"),
    "nuccore_gene": ("nuccore", "gene"),
    "pubmed_pmc": ("pubmed", "pmc"),
    "pmc_pubmed": ("pmc", "pubmed"),
}
# elinkcli's own link names (no ELink link name): answered by local tables alone.
OWN_LINKNAMES: dict[str, tuple[str, str]] = {
    "gene_gene_ortholog": ("gene", "gene"),
    "gene_ensembl": ("gene", "ensembl"),
    "gene_ensembl_transcript": ("gene", "ensembl"),
    "gene_ensembl_protein": ("gene", "ensembl"),
}
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
# Ensembl's prefixes per taxon (gene, transcript, protein; FlyBase's ids for the fly).
_ENSEMBL_PREFIXES = {
    9606: ("ENSG", "ENST", "ENSP", 11),
    10090: ("ENSMUSG", "ENSMUST", "ENSMUSP", 11),
    7227: ("FBgn", "FBtr", "FBpp", 7),
}
_JOURNALS = (
    ("Proc Natl Acad Sci U S A", "0027-8424", "1091-6490"),
    ("Nucleic Acids Res", "0305-1048", "1362-4962"),
    ("Genes, Brain and Behavior", "1601-1848", "1601-183X"),
    ('Journal of "Invented" Results', "1234-5678", ""),
    ('Cell, Tissue, and "Organ" Reports', "", "2345-6789"),
    ("PLoS One", "", "1932-6203"),
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class GeneRow:
    """One row of gene2refseq/gene2accession (the columns the link tables use)."""

    tax_id: int
    gene: int
    status: str
    rna_acc: str | None
    rna_gi: int | None
    prot_acc: str | None
    prot_gi: int | None
    gen_acc: str | None
    gen_gi: int | None
    symbol: str


@dataclass(frozen=True)
class EnsemblRow:
    """One row of gene2ensembl (None where the file has `-`)."""

    tax_id: int
    gene: int
    ensg: str
    rna_acc: str | None
    enst: str | None
    prot_acc: str | None
    ensp: str | None


class PmcRow(NamedTuple):
    """One row of PMC-ids.csv, every field a string as in the file ("" when empty)."""

    journal: str
    issn: str
    eissn: str
    year: str
    volume: str
    issue: str
    page: str
    doi: str
    pmcid: str
    pmid: str
    manuscript_id: str
    release_date: str


@dataclass
class LinkData:
    """The dataset, rows in file order."""

    pubmed: list[tuple[int, int, int]] = field(default_factory=list)  # (tax_id, GeneID, PMID)
    refseq: list[GeneRow] = field(default_factory=list)
    accession: list[GeneRow] = field(default_factory=list)  # refseq rows + GenBank rows
    pmc: list[PmcRow] = field(default_factory=list)
    # (tax_id, GeneID, Other_tax_id, Other_GeneID), each pair once, in file order.
    orthologs: list[tuple[int, int, int, int]] = field(default_factory=list)
    ensembl: list[EnsemblRow] = field(default_factory=list)


class _Draw:
    """Unique random numbers per name space, and GIs per accession."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: dict[str, set[int]] = defaultdict(set)
        self.gis: dict[str, int] = {}

    def number(self, space: str, low: int, high: int) -> int:
        while True:
            n = self.rng.randint(low, high)
            if n not in self.used[space]:
                self.used[space].add(n)
                return n

    def accession(self, prefix: str, digits: int) -> str:
        n = self.number(prefix, 1, 10**digits - 1)
        return f"{prefix}{n:0{digits}d}.{self.rng.randint(1, 4)}"

    def gi(self, accession: str) -> int:
        """The accession's GI (the same on every row that names it)."""
        if accession not in self.gis:
            self.gis[accession] = self.number("gi", 100_000_000, 2_000_000_000)
        return self.gis[accession]


def make_data(genes: int = 60, seed: int = 7) -> LinkData:
    """The dataset: `genes` genes over three taxa (gene i is of TAXA[i % 3]), the same for the
    same arguments. By gene index i:

    * PubMed: gene 0 has exactly 40 PMIDs; i % 5 == 4 none (unless i % 11 == 10, so every
      gene is in some file); the others 1-4 of their own, plus one PMID shared by every
      gene with i % 4 == 1 and one shared by genes 2, 3, 7.
    * RefSeq: i % 5 == 2 are models (XM_/XP_/XR_, status MODEL; gene 2 has one XM_/XP_
      pair and one XR_, none of them with a GI); the others curated (NM_/NP_/NR_);
      i % 12 == 0 (human) also have a RefSeqGene (NG_), so each of their transcripts (and
      proteins) is on two rows, one per genomic accession; i % 13 == 9 are not placed on a
      genome (genomic `-`); i % 17 == 16 are pseudogenes (one genomic-only row); i % 7 == 6
      have no RefSeq rows.
    * GenBank (gene2accession only, status `-`): 1-2 mRNA rows (M12345.1/AF123456.1 with a
      protein AAA12345.1), a genomic clone (AC012345.3) with a protein for i % 3 != 2;
      genes 1 and 4 (both mouse) share one clone. i % 11 == 10 have no rows at all.
    * PMC: about half the PMIDs, some PMIDs not in gene2pubmed, some rows without PMID.
    """
    if genes < 12:
        raise ValueError("make_data needs at least 12 genes for its special cases")
    rng = random.Random(seed)
    draw = _Draw(rng)
    gene_ids = sorted(rng.sample(range(1, 200_001), genes))
    taxa = [TAXA[i % 3] for i in range(genes)]
    symbols = [_symbol(rng, taxa[i], i) for i in range(genes)]

    # --- PubMed ---------------------------------------------------------------------------
    def pmid() -> int:
        return draw.number("pmid", 1, 40_000_000)

    pmids: dict[int, set[int]] = {i: set() for i in range(genes)}
    pmids[0] = {pmid() for _ in range(40)}
    for i in range(1, genes):
        if i % 5 != 4 or i % 11 == 10:
            pmids[i] = {pmid() for _ in range(rng.randint(1, 4))}
    genome_paper, trio_paper = pmid(), pmid()
    for i in range(genes):
        if i % 4 == 1 and i % 5 != 4:
            pmids[i].add(genome_paper)
    for i in (2, 3, 7):
        pmids[i].add(trio_paper)

    # --- RefSeq and GenBank rows ----------------------------------------------------------
    refseq: dict[int, list[GeneRow]] = {}
    genbank: dict[int, list[GeneRow]] = {}
    clone_of_1 = ""
    for i in range(genes):
        tax, gene, symbol = taxa[i], gene_ids[i], symbols[i]
        if i % 11 == 10:
            continue

        def row(
            status: str, rna: str | None, prot: str | None, gen: str | None, no_gi: bool = False
        ) -> GeneRow:
            return _row(draw, tax, gene, symbol, status, rna, prot, gen, no_gi)  # noqa: B023

        rows: list[GeneRow] = []
        if i % 7 != 6:
            chromosome = rng.choice(_CHROMOSOMES[tax])
            if i % 17 == 16:
                rows.append(row("INFERRED", None, None, chromosome))
            else:
                placements: list[str | None] = [chromosome]
                if i % 12 == 0:
                    placements.append(draw.accession("NG_", 6))
                if i % 13 == 9:
                    placements = [None]
                model = i % 5 == 2
                status = "MODEL" if model else rng.choice(("REVIEWED", "VALIDATED", "PROVISIONAL"))
                count = 2 if i in (0, 2) else rng.randint(1, 3)
                for t in range(count):
                    coding = (i, t) != (2, 1) and ((i, t) == (2, 0) or rng.random() < 0.8)
                    if model:
                        rna = draw.accession("XM_" if coding else "XR_", 9)
                        prot = draw.accession("XP_", 9) if coding else None
                    else:
                        rna = draw.accession("NM_" if coding else "NR_", 6)
                        prot = draw.accession("NP_", 6) if coding else None
                    no_gi = i == 2  # gene 2: an XM_/XP_ pair and an XR_ without GIs
                    rows += [row(status, rna, prot, gen, no_gi=no_gi) for gen in placements]
        refseq[i] = rows

        extra: list[GeneRow] = []
        for m in range(1 + (rng.random() < 0.5)):
            if m == 0 and rng.random() < 0.5:
                rna = draw.accession(rng.choice("MJUX"), 5)
            else:
                rna = draw.accession(rng.choice(("AF", "BC", "AK", "AY")), 6)
            extra.append(row("-", rna, draw.accession(rng.choice(("AAA", "AAH", "BAB")), 5), None))
        if i % 3 != 2:
            clone = clone_of_1 if i == 4 and clone_of_1 else draw.accession("AC", 6)
            if i == 1:
                clone_of_1 = clone
            extra.append(row("-", None, draw.accession("AAB", 5), clone))
        genbank[i] = extra

    order = sorted(range(genes), key=lambda i: (taxa[i], gene_ids[i]))
    data = LinkData()
    data.pubmed = sorted((taxa[i], gene_ids[i], p) for i in range(genes) for p in pmids[i])
    for i in order:
        data.refseq += refseq.get(i, [])
        data.accession += refseq.get(i, []) + genbank.get(i, [])

    # --- PMC ------------------------------------------------------------------------------
    all_pmids = sorted({p for ps in pmids.values() for p in ps})
    chosen = set(rng.sample(all_pmids, len(all_pmids) // 2)) | {genome_paper}
    chosen |= {pmid() for _ in range(5)}  # articles no gene links to
    pmc_pmids: list[str] = [str(p) for p in sorted(chosen)] + [""] * 4
    rows_pmc = []
    for n, pm in enumerate(pmc_pmids):
        title, issn, eissn = _JOURNALS[n % len(_JOURNALS)]
        number = draw.number("pmc", 1, 12_000_000)
        year = rng.randint(1990, 2026)
        rows_pmc.append(
            PmcRow(
                journal=title,
                issn=issn,
                eissn=eissn,
                year=str(year),
                volume=str(rng.randint(1, 120)),
                issue=str(rng.randint(1, 24)) if n % 4 else "",
                page=f"e{rng.randint(1000, 99999)}" if n % 3 == 0 else str(rng.randint(1, 2000)),
                doi="" if n % 6 == 5 else f"10.{rng.randint(1000, 9999)}/inv.{year}.{number}",
                pmcid=f"PMC{number}",
                pmid=pm,
                manuscript_id=f"NIHMS{rng.randint(10000, 2_000_000)}" if n % 5 == 1 else "",
                release_date=f"2027 {_MONTHS[n % 12]} {1 + n % 28}" if n % 7 == 3 else "live",
            )
        )
    data.pmc = sorted(rows_pmc, key=lambda r: int(r.pmcid[3:]))
    data.orthologs = _orthologs(gene_ids, taxa)
    data.ensembl = _ensembl(random.Random(seed * 1000 + 1), gene_ids, taxa, refseq)
    return data


def _orthologs(gene_ids: list[int], taxa: list[int]) -> list[tuple[int, int, int, int]]:
    """Ortholog pairs among the genes (drawn after the rest, so the other files are as
    before): genes i, i+1, i+2 (i % 3 == 0) are a human, a mouse and a fly gene; human-mouse
    unless i % 9 == 6, human-fly when i is even, mouse-fly (written from the fly's side)
    when i % 4 == 3, and gene 0 also with mouse gene 4. Every pair once, sorted by
    (tax_id, GeneID) as NCBI's file is."""
    edges: set[tuple[int, int]] = set()
    for i in range(0, len(gene_ids) - 2, 3):
        human, mouse, fly = i, i + 1, i + 2
        if i % 9 != 6:
            edges.add((human, mouse))
        if i % 2 == 0:
            edges.add((human, fly))
        if i % 4 == 3:
            edges.add((fly, mouse))
    edges.add((0, 4))
    rows = [(taxa[a], gene_ids[a], taxa[b], gene_ids[b]) for a, b in edges]
    return sorted(rows)


def _ensembl(
    rng: random.Random, gene_ids: list[int], taxa: list[int], refseq: dict[int, list[GeneRow]]
) -> list[EnsemblRow]:
    """gene2ensembl rows: genes with i % 4 == 3 have none; the others one Ensembl gene
    (gene 0 two) and a row per distinct RefSeq RNA (its protein, if any, with an Ensembl
    protein), or one row of `-` when they have no RefSeq RNA. Sorted by (tax_id, GeneID)."""
    used: set[str] = set()

    def ensembl_id(prefix: str, digits: int) -> str:
        while True:
            made = f"{prefix}{rng.randint(1, 10**digits - 1):0{digits}d}"
            if made not in used:
                used.add(made)
                return made

    rows: list[EnsemblRow] = []
    for i, gene in enumerate(gene_ids):
        if i % 4 == 3:
            continue
        tax = taxa[i]
        g_prefix, t_prefix, p_prefix, digits = _ENSEMBL_PREFIXES[tax]
        for _ in range(2 if i == 0 else 1):
            ensg = ensembl_id(g_prefix, digits)
            rnas: dict[str, str | None] = {}
            for r in refseq.get(i, []):
                if r.rna_acc is not None and r.rna_acc not in rnas:
                    rnas[r.rna_acc] = r.prot_acc
            if not rnas:
                rows.append(EnsemblRow(tax, gene, ensg, None, None, None, None))
            for rna, prot in rnas.items():
                enst = ensembl_id(t_prefix, digits)
                ensp = ensembl_id(p_prefix, digits) if prot is not None else None
                rows.append(EnsemblRow(tax, gene, ensg, rna, enst, prot, ensp))
    return sorted(rows, key=lambda r: (r.tax_id, r.gene))


def _row(
    draw: _Draw,
    tax: int,
    gene: int,
    symbol: str,
    status: str,
    rna: str | None,
    prot: str | None,
    gen: str | None,
    no_gi: bool,
) -> GeneRow:
    """A row; accessions get their GIs (none for RNA and protein when `no_gi`)."""

    def gi(acc: str | None) -> int | None:
        return None if acc is None or no_gi else draw.gi(acc)

    gen_gi = draw.gi(gen) if gen is not None else None
    return GeneRow(tax, gene, status, rna, gi(rna), prot, gi(prot), gen, gen_gi, symbol)


def _symbol(rng: random.Random, tax: int, i: int) -> str:
    if tax == 7227:
        return f"CG{rng.randint(1000, 99999)}"
    letters = "".join(rng.choice("ABCDEFGHIKLMNPRSTVWZ") for _ in range(rng.randint(2, 4)))
    name = f"{letters}{i + 1}"
    return name if tax == 9606 else name.capitalize()


# --- link views (the oracle) -------------------------------------------------------------


def _pairs(data: LinkData, linkname: str) -> Iterable[tuple[int, int | str]]:
    if linkname == "gene_gene_ortholog":
        return [(a, b) for _t, a, _o, b in data.orthologs] + [
            (b, a) for _t, a, _o, b in data.orthologs
        ]
    own_ensembl = {
        "gene_ensembl": "ensg",
        "gene_ensembl_transcript": "enst",
        "gene_ensembl_protein": "ensp",
    }
    if linkname in own_ensembl:
        column = own_ensembl[linkname]
        return (
            (r.gene, getattr(r, column)) for r in data.ensembl if getattr(r, column) is not None
        )
    if linkname == "gene_pubmed":
        return ((g, p) for _t, g, p in data.pubmed)
    if linkname == "pubmed_gene":
        return ((p, g) for _t, g, p in data.pubmed)
    if linkname == "gene_protein_refseq":
        return ((r.gene, r.prot_gi) for r in data.refseq if r.prot_gi is not None)
    if linkname == "gene_nuccore_refseqrna":
        return ((r.gene, r.rna_gi) for r in data.refseq if r.rna_gi is not None)
    if linkname == "gene_nuccore_refseqgene":
        return (
            (r.gene, r.gen_gi)
            for r in data.refseq
            if r.gen_gi is not None and (r.gen_acc or "").startswith("NG_")
        )
    if linkname == "gene_protein":
        return ((r.gene, r.prot_gi) for r in data.accession if r.prot_gi is not None)
    if linkname == "gene_nuccore":
        return (
            (r.gene, gi) for r in data.accession for gi in (r.rna_gi, r.gen_gi) if gi is not None
        )
    if linkname == "protein_gene":
        return ((r.prot_gi, r.gene) for r in data.accession if r.prot_gi is not None)
    if linkname == "nuccore_gene":
        return (
            (gi, r.gene) for r in data.accession for gi in (r.rna_gi, r.gen_gi) if gi is not None
        )
    pmc = [(int(r.pmid), int(r.pmcid.removeprefix("PMC"))) for r in data.pmc if r.pmid]
    if linkname == "pubmed_pmc":
        return pmc
    if linkname == "pmc_pubmed":
        return ((c, p) for p, c in pmc)
    known = ", ".join([*LINKNAMES, *OWN_LINKNAMES])
    raise KeyError(f"unknown link name {linkname!r}; known: {known}")


def links(data: LinkData, linkname: str) -> dict[str, list[str]]:
    """{source UID: target UIDs} of one link name: only sources with links, targets
    distinct and in descending numeric order (as the tables answer); null GIs skipped."""
    found: dict[int, set[int | str]] = defaultdict(set)
    for source, target in _pairs(data, linkname):
        found[source].add(target)
    return {
        str(source): [str(t) for t in sorted(targets, reverse=True)]
        for source, targets in sorted(found.items())
    }


def fake_tables(data: LinkData) -> dict[str, Table]:
    """FakeEutils link tables answering exactly `links(data, name)` for every LINKNAMES."""

    def lookup(view: dict[str, list[str]]) -> Callable[[str], list[str]]:
        return lambda uid: list(view.get(str(int(uid)) if uid.isdigit() else uid, []))

    return {
        name: Table(dbfrom, dbto, lookup(links(data, name)))
        for name, (dbfrom, dbto) in LINKNAMES.items()
    }


def add_records(fake: FakeEutils, data: LinkData) -> None:
    """Give `fake` a nuccore/protein record (UID = GI) with its accession.version for every
    GI in `data`, so accession-in ELink and the tables agree."""
    for r in data.accession:
        for db, acc, gi in (
            ("nuccore", r.rna_acc, r.rna_gi),
            ("protein", r.prot_acc, r.prot_gi),
            ("nuccore", r.gen_acc, r.gen_gi),
        ):
            if acc is not None and gi is not None:
                fake.add_record(db, gi, acc)


# --- renderings --------------------------------------------------------------------------


def _gzip(text: str) -> bytes:
    return gzip.compress(text.encode("utf-8"), mtime=0)


def _dash(value: object) -> str:
    return "-" if value is None else str(value)


def gene2pubmed_bytes(data: LinkData) -> bytes:
    lines = [GENE2PUBMED_HEADER] + [f"{t}\t{g}\t{p}" for t, g, p in data.pubmed]
    return _gzip("\n".join(lines) + "\n")


def _placement(r: GeneRow) -> tuple[str, str, str, str]:
    """(start, end, orientation, assembly) of a row, derived from its gene and genomic
    accession: on a chromosome (NC_) a gene's span on its taxon's reference assembly; on a
    RefSeqGene (NG_) 5001.. on +, no assembly; elsewhere unknown."""
    if r.gen_acc is None or not r.gen_acc.startswith(("NC_", "NG_")):
        return "-", "-", "?", "-"
    length = 2_000 + r.gene % 80_000
    if r.gen_acc.startswith("NG_"):
        return "5001", str(5001 + length), "+", "-"
    start = 10_000 + (r.gene * 7919) % 20_000_000
    return str(start), str(start + length), "+" if r.gene % 2 else "-", ASSEMBLIES[r.tax_id]


def _gene_rows_bytes(rows: list[GeneRow]) -> bytes:
    lines = ["#" + "\t".join(GENE_COLUMNS)]
    for r in rows:
        fields = (
            r.tax_id,
            r.gene,
            r.status,
            r.rna_acc,
            r.rna_gi,
            r.prot_acc,
            r.prot_gi,
            r.gen_acc,
            r.gen_gi,
            *_placement(r),
            None,  # mature_peptide_accession.version
            None,  # mature_peptide_gi
            r.symbol,
        )
        lines.append("\t".join(map(_dash, fields)))
    return _gzip("\n".join(lines) + "\n")


def gene2refseq_bytes(data: LinkData) -> bytes:
    return _gene_rows_bytes(data.refseq)


def gene2accession_bytes(data: LinkData) -> bytes:
    return _gene_rows_bytes(data.accession)


def pmc_ids_bytes(data: LinkData) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    writer.writerow(PMC_COLUMNS)
    writer.writerows(data.pmc)
    return _gzip(out.getvalue())


def gene_orthologs_bytes(data: LinkData) -> bytes:
    lines = ["#" + "\t".join(ORTHOLOG_COLUMNS)]
    lines += [f"{t}\t{g}\tOrtholog\t{ot}\t{og}" for t, g, ot, og in data.orthologs]
    return _gzip("\n".join(lines) + "\n")


def gene2ensembl_bytes(data: LinkData) -> bytes:
    lines = ["#" + "\t".join(ENSEMBL_COLUMNS)]
    for r in data.ensembl:
        fields = (r.tax_id, r.gene, r.ensg, r.rna_acc, r.enst, r.prot_acc, r.ensp)
        lines.append("\t".join(map(_dash, fields)))
    return _gzip("\n".join(lines) + "\n")


def ncbi_files(data: LinkData) -> dict[str, bytes]:
    """{upstream path: bytes}, as `FileServer(ncbi_files(data))` serves them."""
    return {
        "gene/DATA/gene2pubmed.gz": gene2pubmed_bytes(data),
        "gene/DATA/gene2refseq.gz": gene2refseq_bytes(data),
        "gene/DATA/gene2accession.gz": gene2accession_bytes(data),
        "pub/pmc/PMC-ids.csv.gz": pmc_ids_bytes(data),
        "gene/DATA/gene_orthologs.gz": gene_orthologs_bytes(data),
        "gene/DATA/gene2ensembl.gz": gene2ensembl_bytes(data),
    }
