"""The citation services as sources of links: ELink's citation tables, NIH iCite and Europe
PMC, each answering a batch of PMIDs in ELink's shape (one LinkSet per source PMID, link
name pubmed_pubmed_citedin or pubmed_pubmed_refs), so they go through the same batching,
cache, --offline and --resume journal as every other source (elinkcli.commands.batching).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from elinkcli import validate as V
from elinkcli.cache.codec import request_signature
from elinkcli.errors import ResponseParseError, ResponseValueError
from elinkcli.eutils.client import EutilsClient
from elinkcli.eutils.parsers import load_json
from elinkcli.eutils.records import ELinkResult, LinkSet, LinkSetDb
from elinkcli.eutils.retry import error_text_kind
from elinkcli.eutils.services import EUROPEPMC, ICITE
from elinkcli.sources.base import FunctionSource, LinkRequest, LinkSource
from elinkcli.sources.elink import request_errors
from elinkcli.sources.select import source_for

SERVICES = ("elink", "icite", "europepmc")
LINKNAMES = {"cited": "pubmed_pubmed_citedin", "cites": "pubmed_pubmed_refs"}
# iCite answers up to 1,000 PMIDs a request (its support page says 200): ask 200.
ICITE_BATCH = 200
# Europe PMC's largest page.
EUROPEPMC_PAGE = 1000


def parse_icite(data: bytes) -> dict[str, tuple[list[str], list[str]]]:
    """{pmid: (cited_by, references)} of an iCite /pubs answer ({"data": [...]}, a list,
    or one record). Unknown PMIDs are absent from it."""
    doc = load_json(data, "iCite answer")
    if isinstance(doc, dict) and "data" in doc:
        records = doc["data"]
    elif isinstance(doc, dict) and "pmid" in doc:
        records = [doc]
    elif isinstance(doc, list):
        records = doc
    elif isinstance(doc, dict) and "error" in doc:
        text = V.text(str(doc["error"]), 300)
        # Asked again only when it says so (as NCBI's <ERROR> texts are read).
        transient = error_text_kind(text) == "transient"
        raise (ResponseParseError if transient else ResponseValueError)(f"iCite error: {text}")
    else:
        raise ResponseParseError("iCite answer holds no records")
    if not isinstance(records, list):
        raise ResponseParseError("iCite answer: data is not a list")
    out: dict[str, tuple[list[str], list[str]]] = {}
    for record in records:
        if not isinstance(record, dict) or "pmid" not in record:
            raise ResponseParseError("iCite answer: a record without pmid")
        out[_pmid(record["pmid"])] = (
            _pmids(record.get("cited_by")),
            _pmids(record.get("references")),
        )
    return out


def _pmid(value: Any) -> str:
    """A PMID as iCite writes it (a number, or a string of digits), as text."""
    return str(V.number(value, "an iCite PMID"))


def _pmids(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):  # the csv form: space-separated
        return list(V.uids(value.split(), "an iCite PMID"))
    if not isinstance(value, list):
        raise ResponseValueError(f"iCite answer: a PMID list is {type(value).__name__}")
    return [_pmid(v) for v in value]


@dataclass(frozen=True, slots=True)
class EuropePmcPage:
    hit_count: int
    entries: int  # every entry of the page, of any source
    pmids: tuple[str, ...]  # those that are PubMed records (source MED)
    error: str | None = None


def parse_europepmc(data: bytes, direction: str) -> EuropePmcPage:
    doc = load_json(data, "Europe PMC answer")
    if not isinstance(doc, dict):
        raise ResponseParseError("Europe PMC answer is not an object")
    if "errMsg" in doc:
        return EuropePmcPage(0, 0, (), V.text(str(doc["errMsg"]), 300))
    outer, inner = (
        ("citationList", "citation")
        if direction == "cited"
        else (
            "referenceList",
            "reference",
        )
    )
    try:
        hit_count = V.number(doc["hitCount"], "Europe PMC's hitCount")
        items = (doc.get(outer) or {}).get(inner) or []
    except (KeyError, TypeError, AttributeError):
        raise ResponseParseError(f"Europe PMC answer without hitCount or {outer}") from None
    if not isinstance(items, list):
        raise ResponseValueError(f"Europe PMC answer: {inner} is not a list")
    pmids = tuple(_pmid(i["id"]) for i in items if isinstance(i, dict) and i.get("source") == "MED")
    return EuropePmcPage(hit_count, len(items), pmids)


def _linkset(pmid: str, linkname: str, targets: Sequence[str]) -> LinkSet:
    return LinkSet(
        dbfrom="pubmed",
        ids=(pmid,),
        linksetdbs=(LinkSetDb(dbto="pubmed", linkname=linkname, ids=tuple(targets)),),
    )


# --- one source per service: a batch of PMIDs in, an ELinkResult out -----------------------


def citation_source(
    client: EutilsClient, service: str, direction: str, unknown: Callable[[str], None]
) -> LinkSource:
    """The source of `service` (one of SERVICES) for `direction` (cited or cites);
    `unknown(pmid)` is told each PMID iCite does not know."""
    linkname = LINKNAMES[direction]
    if service == "elink":
        request = LinkRequest(dbfrom="pubmed", cmd="neighbor", db="pubmed", linkname=linkname)
        return source_for(client, request, request_errors)
    if service == "icite":

        def icite(chunk: list[str]) -> ELinkResult:
            sets: list[LinkSet] = []
            for start in range(0, len(chunk), ICITE_BATCH):
                part = chunk[start : start + ICITE_BATCH]
                params = [("pmids", ",".join(part)), ("fl", "pmid,cited_by,references")]
                found = client.call("pubs", params, parse_icite, ids=part, service=ICITE)
                for pmid in part:
                    if pmid not in found:
                        unknown(pmid)
                # Every record iCite sent, asked or not: batching drops (and names) the others.
                for pmid, (cited_by, references) in found.items():
                    sets.append(
                        _linkset(pmid, linkname, cited_by if direction == "cited" else references)
                    )
            return ELinkResult(tuple(sets))

        signature = request_signature(client.base_url(ICITE), "pubs", [("links", linkname)])
        return FunctionSource(icite, signature)
    kind = "citations" if direction == "cited" else "references"

    def europepmc(chunk: list[str]) -> ELinkResult:
        return ELinkResult(
            tuple(_linkset(p, linkname, _europepmc_all(client, p, kind, direction)) for p in chunk)
        )

    signature = request_signature(
        client.base_url(EUROPEPMC), f"MED/{{pmid}}/{kind}", [("format", "json")]
    )
    return FunctionSource(europepmc, signature)


def _europepmc_all(client: EutilsClient, pmid: str, kind: str, direction: str) -> list[str]:
    """Every PubMed PMID of one record's citations (or references), page by page."""
    pmids: list[str] = []
    seen = 0
    page = 1
    while True:
        params = [("page", str(page)), ("pageSize", str(EUROPEPMC_PAGE)), ("format", "json")]
        result = client.call(
            f"MED/{pmid}/{kind}",
            params,
            lambda data: parse_europepmc(data, direction),
            lambda r: [r.error] if r.error else [],
            ids=[pmid],
            service=EUROPEPMC,
        )
        pmids.extend(result.pmids)
        seen += result.entries
        if result.entries == 0 or seen >= result.hit_count:
            return list(dict.fromkeys(pmids))
        page += 1
