"""Who cites a paper, and what it cites: PubMed citation links from ELink, NIH iCite and
Europe PMC, one service or several merged, batch by batch in input order.

Each service's answers are turned into ELink's own shape (one LinkSet per source PMID,
link name pubmed_pubmed_citedin or pubmed_pubmed_refs), so they go through the same
batching, cache, --offline and --resume journal as `link` (elinkcli.commands.batching). A row is
a link row with one more cell, `source`: the services that gave that link.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from elinkcli import validate as V
from elinkcli.cache.store import request_signature
from elinkcli.commands.batching import BatchHooks, batches, client_for, run_batches
from elinkcli.commands.link import LINK_COLUMNS, _request_errors
from elinkcli.config import Settings
from elinkcli.constants import DEFAULT_BATCH, ELINK
from elinkcli.errors import (
    GaveUpError,
    NCBIError,
    PartialFailure,
    ResponseParseError,
    ResponseValueError,
    UsageError,
)
from elinkcli.eutils.client import EutilsClient
from elinkcli.eutils.params import elink_params
from elinkcli.eutils.parsers import load_json, parse_elink
from elinkcli.eutils.retry import error_text_kind
from elinkcli.eutils.services import EUROPEPMC, ICITE
from elinkcli.ids.patterns import is_uid
from elinkcli.inert import quote
from elinkcli.models import ELinkResult, LinkSet, LinkSetDb, LinkStats

SERVICES = ("elink", "icite", "europepmc")
# The most complete single source: iCite's NIH Open Citation Collection (README, Citations).
DEFAULT_SOURCE = "icite"
LINKNAMES = {"cited": "pubmed_pubmed_citedin", "cites": "pubmed_pubmed_refs"}
CITATION_COLUMNS = (*LINK_COLUMNS, "source")
# iCite answers up to 1,000 PMIDs a request (its support page says 200): ask 200.
ICITE_BATCH = 200
# Europe PMC's largest page.
EUROPEPMC_PAGE = 1000

Row = tuple[Any, ...]


def parse_sources(text: str | None) -> tuple[str, ...]:
    """`elink,icite`, `all` or one name; in SERVICES order, each once."""
    if not text:
        return (DEFAULT_SOURCE,)
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    if names == ["all"]:
        return SERVICES
    unknown = [n for n in names if n not in SERVICES]
    if unknown or not names:
        raise UsageError(
            f"unknown citation source {', '.join(unknown) or repr(text)}: choose from "
            f"{', '.join(SERVICES)}, or all"
        )
    return tuple(n for n in SERVICES if n in names)


@dataclass
class CitationStats:
    """What a run found, per service: PMIDs it did not know, failures, requests."""

    links: int = 0
    unknown: dict[str, list[str]] = field(default_factory=dict)
    per_service: dict[str, LinkStats] = field(default_factory=dict)


# --- the services' answers, in ELink's shape ---------------------------------------------


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


# --- one fetch per service: a batch of PMIDs in, an ELinkResult out -----------------------


def _fetchers(
    client: EutilsClient, direction: str, stats: CitationStats
) -> dict[str, tuple[Callable[[list[str]], ELinkResult], str]]:
    """{service: (fetch(batch), cache signature)}."""
    linkname = LINKNAMES[direction]

    def elink_request(chunk: list[str]) -> list[tuple[str, str]]:
        return elink_params(
            dbfrom="pubmed", db="pubmed", cmd="neighbor", ids=chunk, linkname=linkname
        )

    def elink(chunk: list[str]) -> ELinkResult:
        return client.call(ELINK, elink_request(chunk), parse_elink, _request_errors, ids=chunk)

    def icite(chunk: list[str]) -> ELinkResult:
        sets: list[LinkSet] = []
        for part in batches(chunk, ICITE_BATCH):
            params = [("pmids", ",".join(part)), ("fl", "pmid,cited_by,references")]
            found = client.call("pubs", params, parse_icite, ids=part, service=ICITE)
            for pmid in part:
                if pmid not in found:
                    stats.unknown.setdefault("icite", []).append(pmid)
            # Every record iCite sent, asked or not: batching drops (and names) the others.
            for pmid, (cited_by, references) in found.items():
                sets.append(
                    _linkset(pmid, linkname, cited_by if direction == "cited" else references)
                )
        return ELinkResult(tuple(sets))

    kind = "citations" if direction == "cited" else "references"

    def europepmc(chunk: list[str]) -> ELinkResult:
        return ELinkResult(
            tuple(_linkset(p, linkname, _europepmc_all(client, p, kind, direction)) for p in chunk)
        )

    return {
        "elink": (elink, request_signature(client.base_url(), ELINK, elink_request([]))),
        "icite": (icite, request_signature(client.base_url(ICITE), "pubs", [("links", linkname)])),
        "europepmc": (
            europepmc,
            request_signature(
                client.base_url(EUROPEPMC), f"MED/{{pmid}}/{kind}", [("format", "json")]
            ),
        ),
    }


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


# --- the rows -------------------------------------------------------------------------------


class CitationSourceFailure(PartialFailure):
    """Some services failed (named, with the ids they gave up on); the others' rows stand."""

    def __init__(self, failures: dict[str, NCBIError], others: int = 0) -> None:
        ids = list(dict.fromkeys(i for f in failures.values() for i in getattr(f, "ids", ())))
        NCBIError.__init__(
            self,
            "; ".join(f"{name} failed: {exc}" for name, exc in failures.items())
            + ("; the rows of the other services are complete" if others else ""),
        )
        self.failures = tuple(
            g
            for f in failures.values()
            for g in (f.failures if isinstance(f, PartialFailure) else (f,))
            if isinstance(g, GaveUpError)
        )
        self.ids = tuple(ids)
        self.services = dict(failures)


def citation_batches(
    ids: Sequence[str],
    *,
    direction: str,
    sources: Sequence[str] = (DEFAULT_SOURCE,),
    batch: int = DEFAULT_BATCH,
    counts: bool = False,
    client: EutilsClient | None = None,
    settings: Settings | None = None,
    stats: CitationStats | None = None,
    hooks: BatchHooks | None = None,
) -> Iterator[list[Row]]:
    """Rows (CITATION_COLUMNS) of each batch of source PMIDs, in input order; with `counts`,
    one row per source PMID: (source_id, links, count per service in `sources`).

    A link several services give is one row, `source` naming them all ("icite,europepmc").
    A service that fails is named at the end (CitationSourceFailure, exit 4) after every
    row the others gave; PMIDs a service does not know are in `stats.unknown`.
    """
    if direction not in LINKNAMES:
        raise UsageError(f"direction must be cited or cites, not {direction!r}")
    sources = tuple(sources)
    bad = [s for s in sources if s not in SERVICES]
    if bad or not sources:
        raise UsageError(
            f"unknown citation source {', '.join(bad)}: choose from {', '.join(SERVICES)}"
        )
    for token in ids:
        if not is_uid(token):
            raise UsageError(
                f"{quote(repr(token), 60)} is not a PMID: citations link PubMed records by PMID"
            )
    return _citation_batches(
        list(ids),
        direction,
        sources,
        batch,
        counts,
        client,
        settings,
        stats or CitationStats(),
        hooks,
    )


def _citation_batches(
    ids: list[str],
    direction: str,
    sources: tuple[str, ...],
    batch: int,
    counts: bool,
    client: EutilsClient | None,
    settings: Settings | None,
    stats: CitationStats,
    hooks: BatchHooks | None,
) -> Iterator[list[Row]]:
    hooks = hooks or BatchHooks()
    linkname = LINKNAMES[direction]
    own = LinkStats()
    with client_for(client, settings, own) as session:
        fetchers = _fetchers(session, direction, stats)
        gens = {}
        for n, name in enumerate(sources):
            fetch, signature = fetchers[name]
            per = stats.per_service.setdefault(name, LinkStats())
            # Only the last service marks a batch done: the journal may hold a batch once
            # every service has given its rows.
            service_hooks = hooks if n == len(sources) - 1 else BatchHooks(skip=hooks.skip)
            gens[name] = run_batches(session, ids, batch, fetch, per, signature, service_hooks)
        failures: dict[str, NCBIError] = {}
        live = dict(gens)
        for _index, chunk in [
            (i, c) for i, c in enumerate(batches(ids, batch)) if i not in hooks.skip
        ]:
            links: dict[str, dict[str, list[str]]] = {i: {} for i in chunk}
            for name, gen in list(live.items()):
                try:
                    _, result = next(gen)
                except StopIteration:
                    del live[name]
                    continue
                except NCBIError as exc:
                    failures[name] = exc
                    del live[name]
                    continue
                for ls in result.linksets:
                    if len(ls.ids) != 1 or ls.ids[0] not in links:
                        continue
                    found = links[ls.ids[0]]
                    for lsdb in ls.linksetdbs:
                        if lsdb.linkname != linkname:
                            continue
                        for target in lsdb.ids:
                            found.setdefault(target, []).append(name)
            yield _counts(chunk, links, sources) if counts else _rows(chunk, links, linkname, stats)
        for name, gen in live.items():
            try:
                next(gen)
            except StopIteration:
                pass
            except NCBIError as exc:
                failures[name] = exc
    if failures:
        raise CitationSourceFailure(failures, len(sources) - len(failures))


def _rows(
    chunk: list[str], links: dict[str, dict[str, list[str]]], linkname: str, stats: CitationStats
) -> list[Row]:
    rows = [
        ("pubmed", pmid, linkname, "pubmed", target, None, pmid, None, ",".join(names))
        for pmid in chunk
        for target, names in links[pmid].items()
    ]
    stats.links += len(rows)
    return rows


COUNT_COLUMNS_HEAD = ("source_db", "source_id", "links")


def count_columns(sources: Sequence[str]) -> tuple[str, ...]:
    return (*COUNT_COLUMNS_HEAD, *sources)


def _counts(
    chunk: list[str], links: dict[str, dict[str, list[str]]], sources: Sequence[str]
) -> list[Row]:
    out = []
    for pmid in chunk:
        found = links[pmid]
        per = [sum(1 for names in found.values() if s in names) for s in sources]
        out.append(("pubmed", pmid, len(found), *per))
    return out
