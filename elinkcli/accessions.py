"""Which accessions each Entrez database knows, how NCBI's search finds them, and where
ESummary names them: pure data and matching, no I/O (imported when ids are checked)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise


@dataclass(frozen=True, slots=True)
class Pattern:
    """An accession form of a database: its regular expression, an example, and the
    ESearch field that finds it (None: no search; see `how`)."""

    regex: re.Pattern[str]
    example: str
    field: str | None = None


def _p(regex: str, example: str, field: str | None = None) -> Pattern:
    # re.ASCII: without it IGNORECASE folds the long s and the Kelvin sign into s and k.
    return Pattern(re.compile(regex, re.IGNORECASE | re.ASCII), example, field)


_REFSEQ = _p(r"[A-Z]{2}_[A-Z]{0,4}[0-9]+(\.[0-9]+)?", "NM_000546.6", "ACCN")
_REFSEQ_AA = _p(r"[A-Z]{2}_[A-Z]{0,4}[0-9]+(\.[0-9]+)?", "NP_000537.3", "ACCN")
_GENBANK_NT = _p(r"[A-Z]{1,6}[0-9]{5,10}(\.[0-9]+)?", "AL032671.1", "ACCN")
_GENBANK_AA = _p(r"[A-Z]{1,6}[0-9]{5,10}(\.[0-9]+)?", "CAA42669.1", "ACCN")  # also UniProt P04637
_PDB = _p(r"[0-9][A-Z0-9]{3}(_[A-Z0-9]{1,4})?", "1TUP_A", "ACCN")

PATTERNS: dict[str, tuple[Pattern, ...]] = {
    "nuccore": (_REFSEQ, _GENBANK_NT),
    "nucest": (_GENBANK_NT,),
    "nucgss": (_GENBANK_NT,),
    "popset": (_GENBANK_NT,),
    "protein": (_REFSEQ_AA, _GENBANK_AA, _PDB),
    "assembly": (_p(r"GC[AF]_[0-9]{9}(\.[0-9]+)?", "GCF_000001405.40", "ASAC"),),
    "annotinfo": (_p(r"GC[AF]_[0-9]{9}(\.[0-9]+)?", "GCF_000001405.40", "ASAC"),),
    "biosample": (_p(r"SAM(N|EA|D)[0-9]+", "SAMN02604091", "ACCN"),),
    "sra": (_p(r"[SED]R[APRSX][0-9]{6,}", "SRR390728", "ACCN"),),
    "bioproject": (_p(r"PRJ[A-Z]{2}[0-9]+", "PRJNA257197", "PRJA"),),
    "genome": (_p(r"PRJ[A-Z]{2}[0-9]+", "PRJNA257197", "PRJA"),),
    "clinvar": (_p(r"[RSV]CV[0-9]{9}(\.[0-9]+)?", "VCV000012345", "VACC"),),
    "gds": (_p(r"(GSE|GDS|GPL|GSM)[0-9]+", "GSE12345", "ALL"),),
    "mesh": (_p(r"[CDM][0-9]{6,9}", "D000001", "MHUI"),),
    "gtr": (_p(r"GTR[0-9]{6,}(\.[0-9]+)?", "GTR000500240", "GTRACC"),),
    "books": (_p(r"NBK[0-9]+", "NBK25499", "AID"),),
    "snp": (_p(r"rs[0-9]+", "rs334", "RS"), _p(r"ss[0-9]+", "ss2", "SS")),
    "pmc": (_p(r"PMC[0-9]+", "PMC3531190"),),
    "cdd": (
        _p(r"(cd|sd|pfam|smart|COG|KOG|PRK|TIGR|CHL|MTH|PHA|PLN|PTZ|NF)[0-9]+", "cd00001", "ACCN"),
    ),
    "dbvar": (_p(r"[ne]s[dtv][0-9]+", "nsv1000001", "ACCN"),),
    "medgen": (_p(r"CN?[0-9]{4,}", "C0006142", "ACCN"),),
    "proteinclusters": (_p(r"(PRK|PTZ|PLN|PHA|CLS[A-Z])[0-9]+", "PRK00001", "ACCN"),),
}

# Databases ELink and ESummary take accessions of directly (accession.version, or a bare
# accession for its current version).
SEQUENCE_DBS = frozenset({"nuccore", "nucest", "nucgss", "popset", "protein"})

# Where a version 1 DocSum names the record's accessions, per database; the first is the
# one written as the record's accession (target_acc). Databases not listed have no field
# known to name it: their accessions are searched one per request.
# Sequence DocSums from before `AccessionVersion` (to about 2013) name the version only in
# `Extra`, a FASTA defline (`gi|28628843|gb|AAO49381.1|AF485325_1[28628843]`): read after
# AccessionVersion, before the bare `Caption`.
SUMMARY_ITEMS: dict[str, tuple[str, ...]] = {
    "nuccore": ("AccessionVersion", "Extra", "Caption"),
    "nucest": ("AccessionVersion", "Extra", "Caption"),
    "nucgss": ("AccessionVersion", "Extra", "Caption"),
    "popset": ("AccessionVersion", "Extra", "Caption"),
    "protein": ("AccessionVersion", "Extra", "Caption"),
    "bioproject": ("Project_Acc",),
    "biosample": ("Accession",),
    "gds": ("Accession",),
    "assembly": ("AssemblyAccession", "Genbank", "RefSeq"),
    "sra": ("ExpXml", "Runs"),
}
# Accessions that are the UID with a prefix: nothing to ask.
UID_PREFIXES = {"pmc": "PMC", "snp": "rs"}

_UID = re.compile(r"[0-9]+", re.ASCII)
# In sra's ExpXml and Runs: the experiment's and the runs' accessions (ExpXml also names
# the submitter, study and sample, which are not the record's own).
_ACC_ATTR = {
    "ExpXml": re.compile(r'<Experiment\b[^>]*?\bacc="([^"]+)"'),
    "Runs": re.compile(r'<Run\b[^>]*?\bacc="([^"]+)"'),
}

# In sra's ExpXml: how many runs the experiment has (ESummary's Runs may list fewer).
_TOTAL_RUNS = re.compile(r'<Statistics\b[^>]*?\btotal_runs="([0-9]{1,9})"')
_RUN_ACC = re.compile(r"[SED]RR[0-9]{1,12}", re.ASCII)


def summary_runs(items: list[tuple[str, str]]) -> tuple[list[str], int | None]:
    """An sra DocSum's runs: the run accessions its `Runs` item lists (in order, each once),
    and the run count its ExpXml's `<Statistics total_runs=…>` gives (None: not given)."""
    runs: list[str] = []
    total: int | None = None
    for name, text in items:
        if name == "Runs" and text:
            runs += [a for a in _ACC_ATTR["Runs"].findall(text) if _RUN_ACC.fullmatch(a)]
        elif name == "ExpXml" and text and total is None:
            found = _TOTAL_RUNS.search(text)
            total = int(found.group(1)) if found else None
    return list(dict.fromkeys(runs)), total


# The seq-id types of a FASTA defline whose next field is an accession.version (GenBank,
# EMBL, DDBJ, RefSeq, the TPA ones, UniProt): `gb|AAO49381.1|`, `sp|P04637.2|P53_HUMAN`.
# Others (`gnl|WGS:…|tag`, `pdb|1TUP|A`, `pir||…`, `lcl|…`) name no accession.version.
EXTRA_TYPES = frozenset({"gb", "emb", "dbj", "ref", "tpg", "tpe", "tpd", "sp", "tr"})
# An Extra is short (`gi|544687983|ref|NZ_APJW01000002.1||gnl|WGS:NZ_APJW01|ibis.contig.1`):
# only its start is read, a few fields of it.
EXTRA_LIMIT = 500
EXTRA_FIELDS = 16
# The longest id an answer may name (elinkcli.validate's token): a longer version number
# is no accession.
ACCESSION_MAX = 64


def extra_accessions(db: str, extra: str) -> list[str]:
    """The accession.versions a DocSum's `Extra` (a FASTA defline of seq-ids) names, each
    of an accession form of `db` with a version; any other field is ignored."""
    fields = extra[:EXTRA_LIMIT].split("|", EXTRA_FIELDS)[:EXTRA_FIELDS]
    found = []
    for kind, value in pairwise(fields):
        accession = value.strip()
        if (
            kind.strip().lower() in EXTRA_TYPES
            and "." in accession
            and len(accession) <= ACCESSION_MAX
            and pattern_of(db, accession) is not None
        ):
            found.append(accession)
    return found


def is_uid(token: str) -> bool:
    return bool(_UID.fullmatch(token))


def uid_form(token: str) -> str:
    """A UID as NCBI reads it: leading zeros dropped (`007` is 7)."""
    return token.lstrip("0") or "0"


# Accessions that name several records of a database: an sra submission (SRA…), study
# (SRP…) or sample (SRS…) names each experiment of it (one sra UID is one experiment).
_SETS = {"sra": re.compile(r"[SED]R[APS][0-9]{6,}", re.IGNORECASE | re.ASCII)}


def names_several(db: str, token: str) -> bool:
    """Does `token` name a set of records of `db` (each linked, the token kept)?"""
    regex = _SETS.get(db)
    return regex is not None and regex.fullmatch(token) is not None


def pattern_of(db: str, token: str) -> Pattern | None:
    return next((p for p in PATTERNS.get(db, ()) if p.regex.fullmatch(token)), None)


def accepted(db: str) -> str:
    """What `db` takes, for a message: 'a numeric UID, or an accession such as ...'."""
    examples = [p.example for p in PATTERNS.get(db, ())]
    if db in DOI_DBS:
        accessions = f", an accession such as {', '.join(examples)}" if examples else ""
        return f"a numeric UID{accessions}, or a DOI such as {DOI_EXAMPLE}"
    if not examples:
        return "a numeric UID (no accession form is known for it)"
    return "a numeric UID, or an accession such as " + ", ".join(examples)


def summary_accessions(db: str, items: list[tuple[str, str]]) -> list[str]:
    """The accessions a DocSum's items name, the record's own first."""
    wanted = SUMMARY_ITEMS.get(db, ())
    found: list[str] = []
    for name in wanted:
        for item, text in items:
            if item != name or not text:
                continue
            if name in _ACC_ATTR:
                found += _ACC_ATTR[name].findall(text)
            elif name == "Extra":
                found += extra_accessions(db, text)
            else:
                found.append(text)
    return list(dict.fromkeys(found))


def base(accession: str) -> str:
    """An accession without its version."""
    head, dot, tail = accession.rpartition(".")
    return head if dot and _UID.fullmatch(tail) else accession


def names_record(token: str, accessions: list[str]) -> bool:
    """Does `token` name the record with these accessions? A version-less token names
    any version of its accession; case does not matter."""
    t = token.lower()
    forms = [a.lower() for a in accessions]
    if t in forms:
        return True
    return base(t) == t and any(base(a) == t for a in forms)


def how(db: str) -> str:
    """How elinkcli finds the UID of an accession of `db`, for docs/accessions.md's table."""
    first = PATTERNS[db][0]
    if db in UID_PREFIXES:
        text = f"the number after `{UID_PREFIXES[db]}` is the UID (no request)"
        rest = [p for p in PATTERNS[db][1:] if p.field]
        return text + "".join(
            f"; `{p.example}` by ESearch `[{p.field}]`, one a request" for p in rest
        )
    if db in SEQUENCE_DBS:
        return (
            "ESummary of the accessions themselves: `AccessionVersion`, `Extra` "
            "(older DocSums) or `Caption` says which"
        )
    if db in SUMMARY_ITEMS:
        items = "`, `".join(SUMMARY_ITEMS[db])
        return (
            f"ESearch of `ACC[{first.field}]` terms OR'ed, 100 a request, then ESummary of "
            f"the UIDs: `{items}` says which accession is which UID"
        )
    return f"ESearch `ACC[{first.field}]`, one accession a request"


def readme_table() -> str:
    """The table of every accession form elinkcli reads in docs/accessions.md (a test keeps
    them equal)."""
    rows = ["| database | accessions (example) | how the UID is found |", "|---|---|---|"]
    for db, patterns in PATTERNS.items():
        forms = ", ".join(f"`{p.example}`" for p in patterns)
        rows.append(f"| {db} | {forms} | {how(db)} |")
        if db in _SETS:
            rows.append(
                f"| {db} | `SRP012345`, `SRS012345`, `SRA012345` (and `ERP…`, `DRS…`: a study, "
                "a sample, a submission) | one ESearch `ACC[ACCN]` per accession, paged: every "
                "experiment it names, each row keeping the token |"
            )
    rows.append(doi_row())
    return "\n".join(rows)


# --- DOIs ----------------------------------------------------------------------------------

# Databases whose records a DOI names (ESearch's `[doi]` field, ESummary's ArticleIds).
DOI_DBS = frozenset({"pubmed", "pmc"})
DOI_EXAMPLE = "10.1038/nature12373"
# A DOI: `10.` a registrant code, `/`, a suffix of printable ASCII without spaces, commas
# (the id separators) or double quotes (the ESearch term is quoted). `<>;()[]` may occur.
_DOI = re.compile(r"10\.[0-9]{4,9}(?:\.[0-9]+)*/[!#-+\--~]+", re.ASCII)
# The prefixes a DOI is written with: `doi:`, a doi.org URL (whose path is percent-encoded:
# `%2C` is a comma, the one way to give a DOI that holds one).
_DOI_PREFIX = re.compile(r"doi:\s*|https?://(?:dx\.)?doi\.org/", re.IGNORECASE | re.ASCII)
# The longest DOI read (CrossRef's longest are about 300 characters).
DOI_MAX = 400


def doi_of(token: str) -> str | None:
    """The DOI a token names (`10.1038/nature12373`, `doi:10.1038/…`,
    `https://doi.org/10.1038/…`), without its prefix; None: the token is no DOI."""
    text = token.strip()
    prefix = _DOI_PREFIX.match(text)
    if prefix:
        text = text[prefix.end() :]
        if prefix.group().lower().endswith("/"):
            from urllib.parse import unquote

            try:
                text = unquote(text, errors="strict") if "%" in text else text
            except UnicodeDecodeError:
                return None
    if len(text) > DOI_MAX or not _DOI.fullmatch(text.replace(",", "!")):
        return None
    if '"' in text or not text.isascii() or any(c.isspace() for c in text):
        return None
    return text


def is_doi(db: str, token: str) -> bool:
    return db in DOI_DBS and doi_of(token) is not None


def summary_dois(items: list[tuple[str, str]]) -> list[str]:
    """The DOIs a pubmed or pmc DocSum names: version 1's `ArticleIds` item `doi` (and the
    record's `DOI` item), version 2.0's `ArticleId` whose `IdType` is doi (its `Value`)."""
    found: list[str] = []
    after_doi_type = False
    for name, text in items:
        lowered = name.lower()
        if lowered == "doi" or (lowered == "value" and after_doi_type):
            doi = doi_of(text)
            if doi is not None:
                found.append(doi)
        if lowered == "idtype":
            after_doi_type = text.strip().lower() == "doi"
        elif lowered == "value":
            after_doi_type = False
    return list(dict.fromkeys(found))


def doi_row() -> str:
    """docs/accessions.md's row for DOIs."""
    return (
        f"| {', '.join(sorted(DOI_DBS, reverse=True))} | `{DOI_EXAMPLE}`, `doi:{DOI_EXAMPLE}`, "
        f'`https://doi.org/{DOI_EXAMPLE}` | ESearch of `"DOI"[doi]` terms OR\'ed, 100 a '
        "request, then ESummary of the UIDs: `ArticleIds` `doi` says which DOI is which UID |"
    )
