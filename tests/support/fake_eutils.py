"""A small E-utilities server on 127.0.0.1 for end-to-end tests and benchmarks.

It answers elink (neighbor, neighbor_score, ncheck, lcheck, acheck, llinks),
epost and efetch (uilist) from a deterministic link table, keeps NCBI's semantics
(one LinkSet per `id=` parameter, one merged LinkSet for a comma-joined `id=`), and
can inject what NCBI sends on bad days: 429, 5xx, truncated bodies, HTML pages,
<ERROR> replies, late answers and dropped connections.

Run it alone: python tests/support/fake_eutils.py --port 8765 [--delay 1.0]
"""

from __future__ import annotations

import argparse
import random
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

ELINK_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n'
    '<!DOCTYPE eLinkResult PUBLIC "-//NLM//DTD elink 20101123//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20101123/elink.dtd">\n'
)
EPOST_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n'
    '<!DOCTYPE ePostResult PUBLIC "-//NLM//DTD epost 20090526//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20090526/epost.dtd">\n'
)
ESEARCH_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n'
    '<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
)
_UID_RANGE = re.compile(r"\((?P<query>.*)\) AND (?P<low>\d+):(?P<high>\d+)\[UID\]", re.IGNORECASE)


def search_year(uid: str) -> int:
    """The publication year of a record, for date limits: 1950 + uid % 76."""
    return 1950 + int(uid) % 76


def _year(date: str | None) -> int | None:
    return int(date.split("/")[0]) if date else None


DATABASES = frozenset(
    {"pubmed", "protein", "nuccore", "nucleotide", "gene", "structure", "taxonomy", "pmc"}
    | {"snp", "clinvar", "omim", "bioproject", "biosample", "sra", "assembly", "cdd"}
    | {"gds", "mesh", "genome", "gtr", "books", "dbvar", "ipg", "medgen", "proteinclusters"}
    | {"seqannot", "annotinfo"}
)
ESUMMARY_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n'
    '<!DOCTYPE eSummaryResult PUBLIC "-//NLM//DTD esummary v1 20041029//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20041029/esummary-v1.dtd">\n'
)

# Databases whose ELink and ESummary take accession(.version) in `id=` (a bare accession
# names its current, highest, version).
SEQUENCE_DBS = frozenset({"nuccore", "protein"})

# The ESearch field that finds a database's accessions, as EDirect's LookupSpecialAccessions
# writes them (docs/reference/accessions.md); `ACC[OTHER]` finds nothing. snp: rs… [RS],
# ss… [SS].
ACCESSION_FIELDS: dict[str, frozenset[str]] = {
    **dict.fromkeys(("assembly", "annotinfo"), frozenset({"ASAC"})),
    **dict.fromkeys(
        ("biosample", "sra", "cdd", "dbvar", "ipg", "medgen", "proteinclusters", "seqannot"),
        frozenset({"ACCN"}),
    ),
    **dict.fromkeys(("bioproject", "genome"), frozenset({"PRJA"})),
    "clinvar": frozenset({"VACC"}),
    "gds": frozenset({"ALL"}),
    "mesh": frozenset({"MHUI"}),
    "gtr": frozenset({"GTRACC"}),
    "books": frozenset({"AID"}),
    "snp": frozenset({"RS", "SS"}),
    **dict.fromkeys(SEQUENCE_DBS, frozenset({"ACCN", "PACC"})),
}
_ACC_TERM = re.compile(
    r'\s*"?(?P<acc>[A-Za-z0-9][A-Za-z0-9_.\-]*)"?\s*\[\s*(?P<field>[A-Za-z]+)\s*\]\s*'
)
_OR = re.compile(r"\s+OR\s+", re.IGNORECASE)
# A DOI search term, as elinkcli writes it: `"10.1038/nature12373"[doi]` (parenthesized or
# not); DOIs hold no spaces, so the terms split on ` OR `.
_DOI_TERM = re.compile(r'\s*\(?\s*"(?P<doi>[^"]+)"\s*\[\s*doi\s*\]\s*\)?\s*', re.IGNORECASE)
# Databases whose records have DOIs (ESearch's [doi] field, ESummary's ArticleIds).
DOI_DBS = frozenset({"pubmed", "pmc"})


def split_version(accession: str) -> tuple[str, int | None]:
    """(`NM_000546`, 6) for `NM_000546.6`; (accession, None) when it has no version."""
    head, dot, tail = accession.rpartition(".")
    return (head, int(tail)) if dot and head and tail.isdigit() else (accession, None)


def accession_matches(term: str, accession: str) -> bool:
    """Does a searched accession name this one? Case does not matter; a version-less term
    matches every version, a versioned term only that version."""
    term, accession = term.lower(), accession.lower()
    if term == accession:
        return True
    return split_version(term)[1] is None and split_version(accession)[0] == term


def _uid_form(uid: str) -> str:
    """A UID as NCBI reads it: `007` is 7."""
    return str(int(uid)) if uid.isdigit() else uid


@dataclass(frozen=True)
class Table:
    """One link table: dbfrom -> dbto under a link name."""

    dbfrom: str
    dbto: str
    targets: Callable[[str], list[str]]
    scored: bool = False


def _spread(uid: str, base: int, count_mod: int, stride: int = 1) -> list[str]:
    """Deterministic links: uid n has n % count_mod of them (so some have none)."""
    n = int(uid) if uid.isdigit() else sum(map(ord, uid))
    return [str(base + n * 7 + j * stride) for j in range(n % count_mod)]


def default_tables() -> dict[str, Table]:
    return {
        "gene_protein": Table("gene", "protein", lambda u: _spread(u, 1_000_000, 5)),
        "gene_protein_refseq": Table("gene", "protein", lambda u: _spread(u, 1_000_000, 5)[:2]),
        "gene_pubmed": Table("gene", "pubmed", lambda u: _spread(u, 2_000_000, 4, 3)),
        "pubmed_gene": Table("pubmed", "gene", lambda u: _spread(u, 3_000_000, 3)),
        "pubmed_pubmed": Table(
            "pubmed", "pubmed", lambda u: [u, *_spread(u, 4_000_000, 6)], scored=True
        ),
        "protein_gene": Table("protein", "gene", lambda u: _spread(u, 5_000_000, 2)),
        "protein_structure": Table("protein", "structure", lambda u: _spread(u, 6_000_000, 3)),
        "nuccore_protein": Table("nuccore", "protein", lambda u: _spread(u, 7_000_000, 4)),
    }


def count_ids(params: Iterable[tuple[str, str]]) -> int:
    return sum(len(v.split(",")) for k, v in params if k == "id")


@dataclass
class Faults:
    """What to do to the next requests. `script` wins over the rates; it is used up in order.

    `by_id` wins over both: {id: faults for the next requests with an `id=` parameter of
    exactly that value}, each list used up in order (then such requests are answered
    cleanly), so a test gives one batch its faults whatever order concurrent requests
    arrive in.
    """

    script: list[str] = field(default_factory=list)
    rates: dict[str, float] = field(default_factory=dict)
    delay: float = 0.0
    retry_after: str | None = None
    seed: int = 0
    by_id: dict[str, list[str]] = field(default_factory=dict)
    # Answers that depend on the request's size: `delay_per_id` more seconds per id asked,
    # and a 502 (a gateway giving up) for a request of more than `max_ids` ids.
    delay_per_id: float = 0.0
    max_ids: int | None = None
    # Answers wait until this is set (a test holds a run mid-request as long as it needs,
    # whatever the machine's load), at most 120 s.
    hold: threading.Event | None = None

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def next(self, params: Iterable[tuple[str, str]] = ()) -> str | None:
        params = list(params)
        if self.max_ids is not None and count_ids(params) > self.max_ids:
            return "502"
        with self._lock:
            for key, value in params:
                queue = self.by_id.get(value) if key == "id" else None
                if queue:
                    return queue.pop(0) or None
            if self.script:
                return self.script.pop(0) or None
            roll = self._rng.random()
            for kind, rate in self.rates.items():
                if roll < rate:
                    return kind
                roll -= rate
        return None


@dataclass
class Logged:
    path: str
    params: list[tuple[str, str]]
    start: float
    end: float = 0.0
    fault: str | None = None

    def values(self, key: str) -> list[str]:
        return [v for k, v in self.params if k == key]

    def get(self, key: str) -> str | None:
        vals = self.values(key)
        return vals[0] if vals else None


class QuietServer(ThreadingHTTPServer):
    """A client that goes away mid-answer (a killed elinkcli, a test's timeout) is what some
    tests do on purpose: no traceback on the test run's stderr for it."""

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class FakeEutils:
    def __init__(self, tables: dict[str, Table] | None = None, faults: Faults | None = None):
        self.tables = tables if tables is not None else default_tables()
        self.faults = faults or Faults()
        self.log: list[Logged] = []
        self.histories: dict[str, dict[str, tuple[str, list[str]]]] = {}
        self.unknown_ids: set[str] = set()
        self.silent_ids: set[str] = set()
        self._holding: str | None = None
        self.rate_limit: int | None = None
        # The window `rate_limit` counts starts in (NCBI's is 1 s).
        self.rate_window = 1.0
        # Searches ESearch answers: {(db, query): UIDs}, and UIDs counted but never handed
        # out (a server that loses records).
        self.searches: dict[tuple[str, str], list[str]] = {}
        self.search_lost: set[str] = set()
        # Where a "redirect:CODE" fault points.
        self.redirect_location = ""
        # The accession model: {db: {uid: accessions of that record}} (see add_record).
        self.records: dict[str, dict[str, list[str]]] = {}
        # The DOI model: {db: {uid: DOI}} for pubmed and pmc records (see add_doi).
        self.dois: dict[str, dict[str, str]] = {}
        # Sequence DocSums as NCBI wrote them before `AccessionVersion` (Biopython's
        # esummary3.xml, tests/fixtures/eutils/responses/esummary3.bp-2008.xml): the bare
        # accession in Caption, the version only in Extra (`gi|UID|gb|ACC.V|[UID]`).
        self.old_docsums = False
        # sra DocSums whose Runs item lists only the first `runs_cut_at` runs (ExpXml's
        # total_runs still counts them all), as NCBI's ESummary does for experiments with
        # many runs: the rest are EFetch runinfo's (None: every run listed).
        self.runs_cut_at: int | None = None
        # sra UIDs whose EFetch runinfo answer is broken (a CSV with no Run column).
        self.runinfo_broken: set[str] = set()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- the link model, also the oracle for tests ---------------------------------------

    def links(self, dbfrom: str, uid: str, db: str, linkname: str | None = None):
        """[(linkname, dbto, [targets])] for one source id, as NCBI would answer it."""
        if uid in self.unknown_ids:
            return []
        out = []
        for name, table in sorted(self.tables.items()):
            if table.dbfrom != dbfrom or table.dbto != db:
                continue
            if linkname and name != linkname:
                continue
            targets = table.targets(uid)
            if targets:
                out.append((name, table.dbto, targets))
        return out

    def acheck(self, dbfrom: str, uid: str):
        """[(linkname, dbto, targets)] of every table from dbfrom in which uid has links."""
        if uid in self.unknown_ids:
            return []
        return [
            (name, table.dbto, table.targets(uid))
            for name, table in sorted(self.tables.items())
            if table.dbfrom == dbfrom and table.targets(uid)
        ]

    def linkout(self, uid: str, cmd: str = "llinks", holding: str | None = None) -> list[dict]:
        """The LinkOut resources NCBI would list for uid, duplicates included (as NCBI sends
        them): none for multiples of 3; a subscription full-text link; a free MedlinePlus
        link sent twice; for even ids a registration-only structure resource. prlinks: the
        primary (first) one only; `holding`: that provider's only."""
        if uid in self.unknown_ids or not uid.isdigit() or int(uid) % 3 == 0:
            return []
        n = int(uid)
        pub = {
            "url": f"https://journal.example/article/{n}",
            "iconurl": f"/corehtml/query/egifs/https:--journal.example-icon{n % 2}.png",
            "linkname": None,
            "categories": ["Full Text Sources"],
            "subject_types": [],
            "attributes": ["subscription/membership/fee required"],
            "provider": ("Example Journal Publishing", "exjournal", "7898"),
        }
        medline = {
            "url": f"https://medlineplus.example/topic{n}.html",
            "iconurl": "https://medlineplus.example/images/linkout_sm.gif",
            "linkname": f"Health topic {n}",
            "categories": ["Medical"],
            "subject_types": ["consumer health"],
            "attributes": ["free resource"],
            "provider": ("MedlinePlus Health Information", "MEDPLUS", "3162"),
        }
        found = [pub, medline, dict(medline)]
        if n % 2 == 0:
            found.append(
                {
                    "url": f"http://modbase.example/search?databaseID={n}",
                    "iconurl": None,
                    "linkname": None,
                    "categories": ["Molecular Biology Databases"],
                    "subject_types": ["structure"],
                    "attributes": ["registration required"],
                    "provider": (
                        "MODBASE, Database of Comparative Protein Structure Models",
                        "modbase",
                        "5447",
                    ),
                }
            )
        if cmd == "prlinks":
            found = found[:1]
        if holding:
            found = [r for r in found if r["provider"][1].lower() == holding.lower()]
        return found

    def has_linkout(self, uid: str) -> bool:
        """lcheck and acheck agree with llinks: a record has LinkOut when llinks lists any."""
        return bool(self.linkout(uid))

    # --- the accession model, also the oracle for tests -----------------------------------

    def add_record(self, db: str, uid: str | int, *accessions: str) -> None:
        """Record `uid` of `db` with its accessions (added to any it has). Sequence dbs:
        `accession.version`, one UID per version (a bare accession names the highest);
        sra: one UID is an experiment, `SRX…` with its runs `SRR…` (and optionally its
        study `SRP…`, sample `SRS…`, submission `SRA…`); assembly: `GCF_…` and/or `GCA_…`
        (the first is the record's own); snp: `rs…`."""
        if not str(uid).isdigit():
            raise ValueError(f"a UID is a number, not {uid!r}")
        accs = self.records.setdefault(db, {}).setdefault(_uid_form(str(uid)), [])
        accs.extend(a for a in accessions if a not in accs)

    def add_doi(self, db: str, uid: str | int, doi: str) -> None:
        """Record `uid` of pubmed or pmc with its DOI: ESearch's `"DOI"[doi]` finds it (any
        case), its DocSum names it in ArticleIds (several records may share one DOI)."""
        if db not in DOI_DBS:
            raise ValueError(f"{db} records have no DOI")
        self.add_record(db, uid)
        self.dois.setdefault(db, {})[_uid_form(str(uid))] = doi

    def doi_search(self, db: str, term: str) -> tuple[list[str], list[str]] | None:
        """An ESearch of `"DOI"[doi]` terms OR'ed: (the UIDs found, sorted numerically; the
        terms that found nothing). None: `term` is not such a search."""
        parts = _OR.split(term.strip())
        matched = [_DOI_TERM.fullmatch(p) for p in parts]
        if not parts or not all(matched):
            return None
        found: set[str] = set()
        missing: list[str] = []
        known = self.dois.get(db, {})
        for m in matched:
            assert m is not None
            wanted = m["doi"].lower()
            uids = {uid for uid, doi in known.items() if doi.lower() == wanted}
            if not uids:
                missing.append(f'"{m["doi"]}"[doi]')
            found |= uids
        return sorted(found, key=int), missing

    def accession_version(self, db: str, uid: str) -> str | None:
        """A record's accession.version (its first accession with a version, else its first
        accession); None for a record it does not know or one without accessions."""
        accs = self.records.get(db, {}).get(_uid_form(uid)) or []
        versioned = [a for a in accs if split_version(a)[1] is not None]
        return (versioned or accs or [None])[0]

    def record_uid(self, db: str, token: str) -> str | None:
        """The UID of the record `token` names: a known UID (`007` is 7), or for sequence dbs
        an accession.version (that version only) or a bare accession (its highest version);
        None when it names no known record."""
        known = self.records.get(db, {})
        if token.isdigit():
            uid = _uid_form(token)
            return uid if uid in known else None
        if db not in SEQUENCE_DBS:
            return None
        base, version = split_version(token.lower())
        best: tuple[int, str] | None = None
        for uid, accs in known.items():
            for acc in accs:
                acc_base, acc_version = split_version(acc.lower())
                if acc_base != base:
                    continue
                if version is not None and acc_version == version:
                    return uid
                if version is None and (best is None or (acc_version or 0) > best[0]):
                    best = (acc_version or 0, uid)
        return best[1] if best else None

    def accession_search(self, db: str, term: str) -> tuple[list[str], list[str]] | None:
        """An ESearch of `ACC[FIELD]` terms OR'ed (any case of OR, parentheses optional):
        (the union of UIDs found, sorted numerically; the terms that found nothing, as
        written). A term whose FIELD is not the one for `db` (ACCESSION_FIELDS) finds
        nothing. None: `term` is not such a search."""
        parts = _OR.split(term.replace("(", " ").replace(")", " ").strip())
        matched = [_ACC_TERM.fullmatch(p) for p in parts]
        if not parts or not all(matched):
            return None
        fields = ACCESSION_FIELDS.get(db, frozenset())
        found: set[str] = set()
        missing: list[str] = []
        for m in matched:
            assert m is not None
            acc, fld = m["acc"], m["field"].upper()
            ok = fld in fields and (db != "snp" or acc[:2].lower() == fld.lower())
            uids = (
                {
                    uid
                    for uid, accs in self.records.get(db, {}).items()
                    if any(accession_matches(acc, a) for a in accs)
                }
                if ok
                else set()
            )
            if not uids:
                missing.append(f"{acc}[{m['field']}]")
            found |= uids
        return sorted(found, key=int), missing

    # --- serving -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/entrez/eutils/"

    def start(self, port: int = 0) -> FakeEutils:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = QuietServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeEutils:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def requests_to(self, endpoint: str) -> list[Logged]:
        return [r for r in self.log if r.path.endswith(endpoint)]

    # --- answers ---------------------------------------------------------------------------

    def answer(self, path: str, params: list[tuple[str, str]]) -> tuple[int, str, bytes]:
        endpoint = path.rsplit("/", 1)[-1]
        get = dict(params).get
        if endpoint == "elink.fcgi":
            return 200, "text/xml", self._elink(params, get).encode()
        if endpoint == "epost.fcgi":
            return 200, "text/xml", self._epost(get).encode()
        if endpoint == "efetch.fcgi":
            return self._efetch(get)
        if endpoint == "einfo.fcgi":
            return 200, "text/xml", self._einfo(get).encode()
        if endpoint == "esearch.fcgi":
            return 200, "text/xml", self._esearch(get).encode()
        if endpoint == "esummary.fcgi":
            return 200, "text/xml", self._esummary(params, get).encode()
        return 404, "text/html", b"<html><body>Not found</body></html>"

    def _ids(self, params: Iterable[tuple[str, str]], get) -> list[list[str]]:
        """One group per id= parameter (a comma list is one group), else a history set (with
        ids, as NCBI does, a WebEnv only says where neighbor_history stores its result: what
        EDirect's elink sends from its second group on)."""
        if get("WebEnv") and not any(k == "id" for k, _ in params):
            _db, ids = self.histories.get(get("WebEnv"), {}).get(get("query_key") or "1", ("", []))
            return [ids] if ids else []
        return [[i for i in v.split(",") if i] for k, v in params if k == "id"]

    def _elink(self, params: list[tuple[str, str]], get) -> str:
        dbfrom, db, cmd = get("dbfrom") or "", get("db") or "pubmed", get("cmd") or "neighbor"
        linkname = get("linkname")
        for name in (dbfrom, db):
            if name not in DATABASES:
                return f"{ELINK_HEAD}<eLinkResult><ERROR>Invalid db name specified: {escape(name)}</ERROR></eLinkResult>\n"
        if linkname and linkname not in self.tables:
            return f"{ELINK_HEAD}<eLinkResult><ERROR>Invalid link name: {escape(linkname)}</ERROR></eLinkResult>\n"
        if cmd == "llinkslib":
            return f"{ELINK_HEAD}<eLinkResult><ERROR>llinkslib command not supported</ERROR></eLinkResult>\n"
        self._holding = get("holding")
        groups = self._ids(params, get)
        if not groups and get("WebEnv"):
            return f"{ELINK_HEAD}<eLinkResult><ERROR>Empty history ID list</ERROR></eLinkResult>\n"
        if not groups:
            return f"{ELINK_HEAD}<eLinkResult><ERROR>Empty id list - nothing todo</ERROR></eLinkResult>\n"
        acc = get("idtype") == "acc"
        if cmd == "neighbor_history":
            groups = [self.link_uids(dbfrom, group) for group in groups]
            return self._neighbor_history(dbfrom, db, linkname, groups, get("WebEnv"), acc)
        parts = [ELINK_HEAD, "<eLinkResult>\n"]
        for group in groups:
            group = [i for i in group if i not in self.silent_ids]
            if not group:
                continue
            group = self.link_uids(dbfrom, group)
            parts.append(self._linkset(dbfrom, db, cmd, linkname, group, acc))
        parts.append("</eLinkResult>\n")
        return "".join(parts)

    def link_uids(self, dbfrom: str, group: list[str]) -> list[str]:
        """The ids ELink answers for: sequence dbs take accession(.version) of known records
        for their UIDs (a bare one: the highest version) and drop accessions they do not
        know; numbers (and every id of other dbs) are answered as sent."""
        if dbfrom not in SEQUENCE_DBS:
            return group
        out: dict[str, None] = {}
        for token in group:
            uid = token if token.isdigit() else self.record_uid(dbfrom, token)
            if uid is not None:
                out[uid] = None
        return list(out)

    def shown_id(self, db: str, uid: str, acc: bool) -> str:
        """An id as ELink writes it: with `idtype=acc`, a known sequence record's
        accession.version; else (and for anything else) the UID."""
        if acc and db in SEQUENCE_DBS:
            return self.accession_version(db, uid) or uid
        return uid

    def _linkset(
        self,
        dbfrom: str,
        db: str,
        cmd: str,
        linkname: str | None,
        group: list[str],
        acc: bool = False,
    ) -> str:
        out = [f"<LinkSet>\n\t<DbFrom>{dbfrom}</DbFrom>\n"]
        if cmd in ("llinks", "prlinks"):
            out.append("\t<IdUrlList>\n")
            for uid in group:
                out.append(f"\t\t<IdUrlSet>\n\t\t\t<Id>{uid}</Id>\n")
                resources = self.linkout(uid, cmd, self._holding)
                if not resources:
                    out.append("\t\t\t<Info>No links</Info>\n")
                for r in resources:
                    out.append(_objurl_xml(r))
                out.append("\t\t</IdUrlSet>\n")
            out.append("\t</IdUrlList>\n</LinkSet>\n")
            return "".join(out)
        if cmd == "acheck":
            out.append("\t<IdCheckList>\n")
            for uid in group:
                out.append(f"\t\t<IdLinkSet>\n\t\t\t<Id>{uid}</Id>\n")
                for name, dbto, _targets in self.acheck(dbfrom, uid):
                    out.append(
                        f"\t\t\t<LinkInfo>\n\t\t\t\t<DbTo>{dbto}</DbTo>\n"
                        f"\t\t\t\t<LinkName>{name}</LinkName>\n"
                        f"\t\t\t\t<MenuTag>{name} menu</MenuTag>\n"
                        f"\t\t\t\t<HtmlTag>{name} html</HtmlTag>\n"
                        f"\t\t\t\t<Priority>128</Priority>\n\t\t\t</LinkInfo>\n"
                    )
                if self.has_linkout(uid):
                    out.append(
                        "\t\t\t<LinkInfo>\n\t\t\t\t<DbTo>LinkOut</DbTo>\n"
                        "\t\t\t\t<LinkName>ExternalLink</LinkName>\n"
                        "\t\t\t\t<MenuTag>LinkOut</MenuTag>\n\t\t\t\t<HtmlTag>LinkOut</HtmlTag>\n"
                        "\t\t\t\t<Priority>255</Priority>\n\t\t\t</LinkInfo>\n"
                    )
                out.append("\t\t</IdLinkSet>\n")
            out.append("\t</IdCheckList>\n</LinkSet>\n")
            return "".join(out)
        if cmd in ("ncheck", "lcheck"):
            attr = "HasNeighbor" if cmd == "ncheck" else "HasLinkOut"
            out.append("\t<IdCheckList>\n")
            for uid in group:
                has = (
                    any(self.links(dbfrom, uid, dbfrom))
                    if cmd == "ncheck"
                    else self.has_linkout(uid)
                )
                out.append(f'\t\t<Id {attr}="{"Y" if has else "N"}">{uid}</Id>\n')
            out.append("\t</IdCheckList>\n</LinkSet>\n")
            return "".join(out)
        echo = "".join(f"\t\t<Id>{self.shown_id(dbfrom, i, acc)}</Id>\n" for i in group)
        out.append(f"\t<IdList>\n{echo}\t</IdList>\n")
        merged: dict[str, tuple[str, dict[str, None]]] = {}
        for uid in group:
            for name, dbto, targets in self.links(dbfrom, uid, db, linkname):
                merged.setdefault(name, (dbto, {}))[1].update(dict.fromkeys(targets))
        for name, (dbto, targets) in merged.items():
            scored = cmd == "neighbor_score" and self.tables[name].scored
            out.append(f"\t<LinkSetDb>\n\t\t<DbTo>{dbto}</DbTo>\n\t\t<LinkName>{name}</LinkName>\n")
            for rank, target in enumerate(targets):
                score = (
                    f"\n\t\t\t<Score>{max(1, 100_000_000 - rank * 1000)}</Score>" if scored else ""
                )
                shown = self.shown_id(dbto, target, acc)
                out.append(f"\t\t<Link>\n\t\t\t<Id>{shown}</Id>{score}\n\t\t</Link>\n")
            out.append("\t</LinkSetDb>\n")
        out.append("</LinkSet>\n")
        return "".join(out)

    def store(self, db: str, ids: list[str], webenv: str | None = None) -> tuple[str, str]:
        """Put a set on the history server; (WebEnv, QueryKey)."""
        with self._lock:
            webenv = webenv or f"MCID_fake{len(self.histories) + 1:04d}"
            keys = self.histories.setdefault(webenv, {})
            key = str(len(keys) + 1)
            keys[key] = (db, list(ids))
        return webenv, key

    def _neighbor_history(self, dbfrom, db, linkname, groups, webenv, acc=False) -> str:
        ids = [i for group in groups for i in group]
        merged: dict[str, tuple[str, dict[str, None]]] = {}
        for uid in ids:
            for name, dbto, targets in self.links(dbfrom, uid, db, linkname):
                merged.setdefault(name, (dbto, {}))[1].update(dict.fromkeys(targets))
        out = [ELINK_HEAD, "<eLinkResult>\n<LinkSet>\n", f"\t<DbFrom>{dbfrom}</DbFrom>\n"]
        echo = "".join(f"\t\t<Id>{self.shown_id(dbfrom, i, acc)}</Id>\n" for i in ids)
        out.append(f"\t<IdList>\n{echo}\t</IdList>\n")
        for name, (dbto, targets) in merged.items():
            webenv, key = self.store(dbto, list(targets), webenv)
            out.append(
                f"\t<LinkSetDbHistory>\n\t\t<DbTo>{dbto}</DbTo>\n\t\t<LinkName>{name}</LinkName>\n"
                f"\t\t<QueryKey>{key}</QueryKey>\n\t</LinkSetDbHistory>\n"
            )
        if webenv is None:
            webenv, _ = self.store(db, [])
        out.append(f"\t<WebEnv>{webenv}</WebEnv>\n</LinkSet>\n</eLinkResult>\n")
        return "".join(out)

    def _einfo(self, get) -> str:
        head = (
            '<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eInfoResult PUBLIC "-//NLM//DTD einfo 20190110//EN" '
            '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20190110/einfo.dtd">\n'
        )
        db = get("db")
        if not db:
            names = "".join(f"<DbName>{d}</DbName>" for d in sorted(DATABASES))
            return f"{head}<eInfoResult><DbList>{names}</DbList></eInfoResult>\n"
        if db not in DATABASES:
            return f"{head}<eInfoResult><ERROR>Can not retrieve DbInfo for db={escape(db)}</ERROR></eInfoResult>\n"
        links = "".join(
            f"<Link><Name>{name}</Name><Menu>{name} menu</Menu>"
            f"<Description>{name} description</Description><DbTo>{t.dbto}</DbTo></Link>"
            for name, t in sorted(self.tables.items())
            if t.dbfrom == db
        )
        return (
            f"{head}<eInfoResult><DbInfo><DbName>{db}</DbName><MenuName>{db}</MenuName>"
            f"<Description>{db} records</Description><Count>1000</Count>"
            f"<FieldList></FieldList><LinkList>{links}</LinkList></DbInfo></eInfoResult>\n"
        )

    def _esearch(self, get) -> str:
        """`#1 OR #2` over one WebEnv, stored as a new key; else a query of `searches`."""
        db, webenv, term = get("db") or "", get("WebEnv") or "", get("term") or ""
        if not webenv:
            return self._query(get, db, term)
        sets = self.histories.get(webenv, {})
        ids: dict[str, None] = {}
        # `#1 OR #2`, and EDirect's `(#1) OR (#2)`.
        for key in (t.strip().strip("()").strip().lstrip("#") for t in term.split(" OR ")):
            if key not in sets:
                return (
                    '<?xml version="1.0" ?>\n<eSearchResult><ERROR>Invalid query key: '
                    f"{escape(key)}</ERROR></eSearchResult>\n"
                )
            ids.update(dict.fromkeys(sets[key][1]))
        webenv, key = self.store(db, list(ids), webenv)
        retmax = int(get("retmax") or 20)
        shown = "".join(f"<Id>{i}</Id>" for i in list(ids)[:retmax])
        return (
            f"{ESEARCH_HEAD}<eSearchResult><Count>{len(ids)}</Count><RetMax>{min(retmax, len(ids))}</RetMax>"
            f"<RetStart>0</RetStart><QueryKey>{key}</QueryKey><WebEnv>{webenv}</WebEnv>"
            f"<IdList>{shown}</IdList></eSearchResult>\n"
        )

    def search_result(self, db: str, term: str, get=lambda key: None) -> list[str]:
        """The UIDs a search finds, as ESearch counts them: most recent (highest) first,
        within a `(QUERY) AND FROM:TO[UID]` range and the date limits when given."""
        low, high = 0, None
        ranged = _UID_RANGE.fullmatch(term)
        if ranged:
            term, low, high = ranged["query"], int(ranged["low"]), int(ranged["high"])
        found = self.searches.get((db, term), [])
        first = _year(get("mindate")) or 0
        last = _year(get("maxdate")) or 9999
        return sorted(
            (
                uid
                for uid in found
                if low <= int(uid) <= (high if high is not None else int(uid))
                and first <= search_year(uid) <= last
            ),
            key=int,
            reverse=True,
        )

    def _query(self, get, db: str, term: str) -> str:
        if db not in DATABASES:
            return f"{ESEARCH_HEAD}<eSearchResult><ERROR>Invalid db name specified: {escape(db)}</ERROR></eSearchResult>\n"
        ranged = _UID_RANGE.fullmatch(term)
        inner = ranged["query"] if ranged else term
        if (db, inner) not in self.searches and db in DOI_DBS:
            by_doi = self.doi_search(db, inner)
            if by_doi is not None:
                return self._accession_answer(get, term, ranged, *by_doi)
        if (db, inner) not in self.searches:
            by_accession = self.accession_search(db, inner)
            if by_accession is not None:
                return self._accession_answer(get, term, ranged, *by_accession)
        found = self.search_result(db, term, get)
        start, retmax = int(get("retstart") or 0), int(get("retmax") or 20)
        if db == "pubmed" and start > 9998:
            return (
                f"{ESEARCH_HEAD}<eSearchResult><ERROR>Search Backend failed: Exception:\n'retstart' "
                "cannot be larger than 9998. For PubMed, ESearch can only retrieve the first 9,999 "
                "records matching the query.</ERROR></eSearchResult>\n"
            )
        end = start + retmax
        if db == "pubmed":
            end = min(end, 9999)
        shown = [i for i in found[start:end] if i not in self.search_lost]
        ids = "".join(f"<Id>{i}</Id>" for i in shown)
        missing = (
            ""
            if found or not term
            else (f"<ErrorList><PhraseNotFound>{escape(term)}</PhraseNotFound></ErrorList>")
        )
        return (
            f"{ESEARCH_HEAD}<eSearchResult><Count>{len(found)}</Count><RetMax>{len(shown)}</RetMax>"
            f"<RetStart>{start}</RetStart><IdList>{ids}</IdList><TranslationSet/>"
            f"<QueryTranslation>{escape(term)}</QueryTranslation>{missing}</eSearchResult>\n"
        )

    def _accession_answer(
        self, get, term: str, ranged: re.Match[str] | None, found: list[str], missing: list[str]
    ) -> str:
        """An ESearch of OR'ed accession terms: the union in UID order, a PhraseNotFound for
        every term that found nothing."""
        if ranged:
            low, high = int(ranged["low"]), int(ranged["high"])
            found = [u for u in found if low <= int(u) <= high]
        start, retmax = int(get("retstart") or 0), int(get("retmax") or 20)
        shown = found[start : start + retmax]
        ids = "".join(f"<Id>{i}</Id>" for i in shown)
        errors = "".join(f"<PhraseNotFound>{escape(t)}</PhraseNotFound>" for t in missing)
        errors = f"<ErrorList>{errors}</ErrorList>" if errors else ""
        warning = (
            ""
            if found
            else "<WarningList><OutputMessage>No items found.</OutputMessage></WarningList>"
        )
        return (
            f"{ESEARCH_HEAD}<eSearchResult><Count>{len(found)}</Count><RetMax>{len(shown)}</RetMax>"
            f"<RetStart>{start}</RetStart><IdList>{ids}</IdList><TranslationSet/>"
            f"<QueryTranslation>{escape(term)}</QueryTranslation>{errors}{warning}</eSearchResult>\n"
        )

    def _esummary(self, params: list[tuple[str, str]], get) -> str:
        """Version 1 DocSums, one per known id in request order (an id naming a record
        already answered is not answered again); an unknown id is an <ERROR> in its place."""
        db = get("db") or "pubmed"
        if db not in DATABASES:
            return f"{ESUMMARY_HEAD}<eSummaryResult><ERROR>Invalid db name specified: {escape(db)}</ERROR></eSummaryResult>\n"
        ids = [i for group in self._ids(params, get) for i in group]
        if not ids:
            text = "Empty history ID list" if get("WebEnv") else "Empty id list - nothing todo"
            return f"{ESUMMARY_HEAD}<eSummaryResult><ERROR>{text}</ERROR></eSummaryResult>\n"
        parts = [ESUMMARY_HEAD, "<eSummaryResult>\n"]
        done: set[str] = set()
        for position, token in enumerate(ids):
            uid = self.record_uid(db, token.strip())
            if uid is None:
                parts.append(f"<ERROR>Invalid uid {escape(token)} at position={position}</ERROR>\n")
            elif uid not in done:
                done.add(uid)
                parts.append(self.docsum(db, uid))
        parts.append("</eSummaryResult>\n")
        return "".join(parts)

    def docsum(self, db: str, uid: str) -> str:
        """The version 1 DocSum of a known record, with the items naming its accessions."""
        accs = self.records.get(db, {}).get(uid, [])
        title = f"{db} record {uid}"
        items: list[tuple[str, str, str]] = []  # (name, type, text already escaped)

        def item(name: str, text: str, kind: str = "String") -> None:
            items.append((name, kind, escape(text)))

        if db in SEQUENCE_DBS and self.old_docsums:
            acc = self.accession_version(db, uid) or ""
            item("Caption", split_version(acc)[0])
            item("Title", title)
            item("Extra", f"gi|{uid}|{'ref' if '_' in acc else 'gb'}|{acc}|[{uid}]")
            item("Gi", uid, "Integer")
        elif db in SEQUENCE_DBS:
            acc = self.accession_version(db, uid) or ""
            item("Caption", split_version(acc)[0])
            item("Title", title)
            item("Extra", f"gi|{uid}|ref|{acc}|")
            item("Gi", uid, "Integer")
            item("AccessionVersion", acc)
        elif db == "bioproject":
            item("Project_Id", uid)
            item("Project_Acc", accs[0] if accs else "")
            item("Title", title)
        elif db in ("biosample", "gds"):
            item("Title", title)
            item("Accession", accs[0] if accs else "")
        elif db == "assembly":
            genbank = next((a for a in accs if a.upper().startswith("GCA_")), "")
            refseq = next((a for a in accs if a.upper().startswith("GCF_")), "")
            item("AssemblyAccession", accs[0] if accs else "")
            item("Title", title)
            synonym = (
                f'<Item Name="Genbank" Type="String">{escape(genbank)}</Item>'
                f'<Item Name="RefSeq" Type="String">{escape(refseq)}</Item>'
            )
            items.append(("Synonym", "Structure", synonym))
        elif db == "sra":
            item("Title", title)
            item("ExpXml", _sra_expxml(uid, accs, title))
            item("Runs", _sra_runs(uid, accs, self.runs_cut_at))
        elif db in DOI_DBS:
            # As NCBI's version 1 pubmed and pmc DocSums name a record's ids (no recording
            # in tests/fixtures holds one; the shape is that of
            # esummary.fcgi?db=pubmed&id=23845962 and db=pmc&id=3761280): a List item
            # `ArticleIds` with one String item per id, `doi` among them, and pubmed's
            # top-level `DOI` item too. A record without a DOI has no `doi` item.
            doi = self.dois.get(db, {}).get(uid)
            item("Title", title)
            ids = [("pubmed", uid)] if db == "pubmed" else [("pmid", ""), ("pmcid", f"PMC{uid}")]
            if doi:
                ids.insert(1, ("doi", doi))
            listed = "".join(
                f'<Item Name="{n}" Type="String">{escape(t)}</Item>' for n, t in ids if t
            )
            items.append(("ArticleIds", "List", listed))
            if doi and db == "pubmed":
                item("DOI", doi)
        elif db == "snp":
            rs = next((a for a in accs if a.lower().startswith("rs")), f"rs{uid}")
            item("SNP_ID", rs[2:], "Integer")
            item("Title", title)
        else:
            item("Title", title)
        body = "".join(f'\t<Item Name="{n}" Type="{k}">{t}</Item>\n' for n, k, t in items)
        return f"<DocSum>\n\t<Id>{uid}</Id>\n{body}</DocSum>\n"

    def _epost(self, get) -> str:
        db = get("db") or ""
        if db not in DATABASES:
            return f"{EPOST_HEAD}<ePostResult>\n\t<ERROR>Invalid db name specified: {escape(db)}</ERROR>\n</ePostResult>\n"
        ids = [i for i in (get("id") or "").split(",") if i]
        webenv, key = self.store(db, ids, get("WebEnv"))
        return (
            f"{EPOST_HEAD}<ePostResult>\n\t<QueryKey>{key}</QueryKey>\n"
            f"\t<WebEnv>{webenv}</WebEnv>\n</ePostResult>\n"
        )

    def _efetch(self, get) -> tuple[int, str, bytes]:
        if get("rettype") == "runinfo":
            return self._runinfo(get)
        stored = self.histories.get(get("WebEnv") or "", {}).get(get("query_key") or "1")
        if stored is None:
            body = b"<eFetchResult>\n\t<ERROR>Cannot retrieve query from history</ERROR>\n</eFetchResult>\n"
            return 200, "text/xml", body
        _db, ids = stored
        start = int(get("retstart") or 0)
        count = min(int(get("retmax") or 20), 10_000)
        return 200, "text/plain", "".join(f"{i}\n" for i in ids[start : start + count]).encode()

    def sra_runs(self, uid: str) -> list[str]:
        """The runs of sra experiment `uid`, in order (the oracle for --idtype run)."""
        accs = self.records.get("sra", {}).get(_uid_form(uid), [])
        return [a for a in accs if len(a) > 3 and a[2].upper() == "R"]

    def _runinfo(self, get) -> tuple[int, str, bytes]:
        """EFetch db=sra rettype=runinfo: NCBI's SRA RunInfo CSV, its header naming the
        documented columns (Run first), one line per run of each asked experiment; an
        unknown id gives the header alone."""
        ids = [i for i in (get("id") or "").split(",") if i]
        if any(_uid_form(i) in self.runinfo_broken for i in ids):
            return 200, "text/plain", b"Error,Message\nbroken,no runs here\n"
        lines = [",".join(RUNINFO_COLUMNS)]
        for uid in ids:
            accs = self.records.get("sra", {}).get(_uid_form(uid), [])
            experiment = next((a for a in accs if len(a) > 3 and a[2].upper() == "X"), "")
            for run in self.sra_runs(uid):
                values = dict.fromkeys(RUNINFO_COLUMNS, "")
                values.update(
                    Run=run,
                    spots="1000",
                    bases=str(100_000 + int(_uid_form(uid))),
                    avgLength="100",
                    download_path=f"https://sra-downloadb.be-md.ncbi.nlm.nih.gov/sos5/sra-pub-zq-11/{run}/{run}.lite.1",
                    Experiment=experiment,
                    LibraryName=f'"lib, {run}"',
                    Platform="ILLUMINA",
                )
                lines.append(",".join(values.values()))
        return 200, "text/plain", ("\n".join(lines) + "\n").encode()


# NCBI's documented SRA RunInfo columns (EFetch db=sra rettype=runinfo, as SRA Run
# Selector's RunInfo table): the fake writes these, the first being Run.
RUNINFO_HEADER = (
    "Run,ReleaseDate,LoadDate,spots,bases,spots_with_mates,avgLength,size_MB,AssemblyName,"
    "download_path,Experiment,LibraryName,LibraryStrategy,LibrarySelection,LibrarySource,"
    "LibraryLayout,InsertSize,InsertDev,Platform,Model,SRAStudy,BioProject,Study_Pubmed_id,"
    "ProjectID,Sample,BioSample,SampleType,TaxID,ScientificName,SampleName,g1k_pop_code,"
    "source,g1k_analysis_group,Subject_ID,Sex,Disease,Tumor,Affection_Status,"
    "Analyte_Type,Histological_Type,Body_Site,CenterName,Submission,"
    "dbgap_study_accession,Consent,RunHash,ReadHash"
)
RUNINFO_COLUMNS = RUNINFO_HEADER.split(",")


def _sra_expxml(uid: str, accs: list[str], title: str) -> str:
    """The XML (to be escaped into the DocSum) NCBI puts in an sra ExpXml item, in NCBI's
    order: Submitter, Experiment, Study, Organism, Sample come before anything else."""

    def kind(letter: str) -> str:
        return next((a for a in accs if len(a) > 3 and a[2].upper() == letter), "")

    runs = [a for a in accs if len(a) > 3 and a[2].upper() == "R"]
    parts = [
        f"<Summary><Title>{escape(title)}</Title>"
        '<Platform instrument_model="Illumina HiSeq 2500">ILLUMINA</Platform>'
        f'<Statistics total_runs="{len(runs)}" total_spots="{1000 * len(runs)}"/></Summary>'
    ]
    if kind("A"):
        parts.append(f'<Submitter acc="{kind("A")}" center_name="EXAMPLE" contact_name=""/>')
    parts.append(f'<Experiment acc="{kind("X")}" ver="1" status="public" name="{uid}"/>')
    if kind("P"):
        parts.append(f'<Study acc="{kind("P")}" name="Study of {uid}"/>')
    parts.append('<Organism taxid="9606" ScientificName="Homo sapiens"/>')
    if kind("S"):
        parts.append(f'<Sample acc="{kind("S")}" name=""/>')
    return "".join(parts)


def _sra_runs(uid: str, accs: list[str], cut_at: int | None = None) -> str:
    """The XML NCBI puts in an sra Runs item: one <Run acc=…/> per run of the experiment
    (the first `cut_at` of them, when set; ExpXml's Statistics total_runs counts all). No
    recording in tests/fixtures holds an sra DocSum (`grep -il "Run acc"` finds none): the
    shape is that of NCBI's esummary.fcgi?db=sra answers, Runs and ExpXml holding escaped
    XML."""
    runs = [a for a in accs if len(a) > 3 and a[2].upper() == "R"]
    return "".join(
        f'<Run acc="{a}" total_spots="1000" total_bases="{100_000 + int(uid)}" '
        'load_done="true" is_public="true" cluster_name="public" static_data_available="true"/>'
        for a in runs[:cut_at]
    )


def elink_requests(fake: FakeEutils, since: int = 0) -> list[Logged]:
    """The ELink requests in `fake`'s log from entry `since` on, in log order."""
    return [r for r in fake.log[since:] if r.path.endswith("/elink.fcgi")]


def _objurl_xml(r: dict) -> str:
    name, abbr, pid = r["provider"]
    parts = [f"\t\t\t<ObjUrl>\n\t\t\t\t<Url>{escape(r['url'])}</Url>\n"]
    if r["iconurl"]:
        parts.append(f"\t\t\t\t<IconUrl>{escape(r['iconurl'])}</IconUrl>\n")
    if r["linkname"]:
        parts.append(f"\t\t\t\t<LinkName>{escape(r['linkname'])}</LinkName>\n")
    parts += [f"\t\t\t\t<SubjectType>{escape(v)}</SubjectType>\n" for v in r["subject_types"]]
    parts += [f"\t\t\t\t<Category>{escape(v)}</Category>\n" for v in r["categories"]]
    parts += [f"\t\t\t\t<Attribute>{escape(v)}</Attribute>\n" for v in r["attributes"]]
    parts.append(
        f"\t\t\t\t<Provider>\n\t\t\t\t\t<Name>{escape(name)}</Name>\n"
        f"\t\t\t\t\t<NameAbbr>{abbr}</NameAbbr>\n\t\t\t\t\t<Id>{pid}</Id>\n"
        "\t\t\t\t</Provider>\n\t\t\t</ObjUrl>\n"
    )
    return "".join(parts)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeEutils
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._serve(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8")
        self._serve(parse_qsl(body, keep_blank_values=True))

    def _serve(self, params: list[tuple[str, str]]) -> None:
        fake = self.fake
        entry = Logged(urlsplit(self.path).path, params, time.monotonic())
        with fake._lock:
            fake.log.append(entry)
            # NCBI's limit: more than `rate_limit` request starts in the last second is a 429.
            over = fake.rate_limit is not None and (
                sum(1 for r in fake.log if entry.start - r.start < fake.rate_window)
                > fake.rate_limit
            )
        fault = "429" if over else fake.faults.next(params)
        entry.fault = fault
        delay = fake.faults.delay + fake.faults.delay_per_id * count_ids(params)
        if delay:
            time.sleep(delay)
        if fake.faults.hold is not None:
            fake.faults.hold.wait(120)
        try:
            self._reply(fault, fake, entry, params)
        finally:
            entry.end = time.monotonic()

    def _reply(self, fault: str | None, fake: FakeEutils, entry: Logged, params) -> None:
        if fault == "slow":
            time.sleep(30)
        if fault == "drop":
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        if fault in ("429", "500", "502", "503"):
            body = (
                b'{"error":"API rate limit exceeded","api-key":"127.0.0.1","count":"4","limit":"3"}'
                if fault == "429"
                else b"<html><body><h1>Server Error</h1></body></html>"
            )
            headers = (
                {"Retry-After": fake.faults.retry_after}
                if fault == "429" and fake.faults.retry_after
                else {}
            )
            self._send(
                int(fault), "application/json" if fault == "429" else "text/html", body, headers
            )
            return
        if fault and fault.startswith("redirect"):
            # "redirect:307": answer with that code, Location = fake.redirect_location.
            code = int(fault.partition(":")[2] or 307)
            self._send(
                code, "text/html", b"<html>Moved</html>", {"Location": fake.redirect_location}
            )
            return
        if fault == "400":
            self._send(400, "text/html", b"<html><body>Bad Request</body></html>")
            return
        if fault == "html":
            self._send(
                200, "text/html", b"<!DOCTYPE html><html><body>Service unavailable</body></html>"
            )
            return
        if fault == "empty":
            self._send(200, "text/xml", b"")
            return
        if fault == "error":
            body = (
                ELINK_HEAD
                + "<eLinkResult>\n\t<ERROR>TXCLIENT(#exLinkSrv2) Error: EOF</ERROR>\n</eLinkResult>\n"
            ).encode()
            self._send(200, "text/xml", body)
            return
        status, ctype, body = fake.answer(entry.path, params)
        if fault == "truncated":
            body = body[: max(1, len(body) * 2 // 3)]
        self._send(status, ctype, body)

    def _send(
        self, status: int, ctype: str, body: bytes, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    fake = FakeEutils(faults=Faults(delay=args.delay)).start(args.port)
    print(fake.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
