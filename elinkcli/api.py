"""elinkcli from Python: what each command does, as a function.

    from elinkcli.api import link

    for row in link(["672"], db="gene", target="protein", name="gene_protein_refseq"):
        print(row.source_id, row.target_id)

`link`, `check`, `discover`, `chain` and `linkout` are the commands of the same names;
`citations` is `elinkcli link --cited / --cites`. Each takes the command's options as
typed keyword arguments and does what the command does between reading its options and
writing its rows: ids checked and de-duplicated, accessions (NM_000546.6, PRJNA257197...)
resolved to UIDs with the token kept as source_id, link names checked against the catalog,
the cache, offline mode, the configuration file and the environment (ELINKCLI_BASE_URL,
NCBI_API_KEY, NCBI_EMAIL, ELINKCLI_CONFIG...) read as the command line reads them. The
options become the same plan the command line makes (elinkcli.commands.plans) and run
through the same code (elinkcli.commands.runs). `ids` may also be a stored set, as on
stdin: an elinkcli.ids.history.HistorySet (read a page at a time), an
elinkcli.ids.query.SearchQuery (run again), or an elinkcli.ids.packed.PackedIds (a long
input, linked a window at a time).

Every function returns a generator of the library's frozen rows (LinkRow, CheckRow,
LinkNameRow, RecordLinkRow, Resource, CitationRow, or a path tuple for `chain`): bad
options raise at the call, before any request; requests start with the iteration and rows
come batch by batch. The connection (and the cache) is closed when the generator ends, or
when it is closed (`gen.close()`, `contextlib.closing(gen)`, or dropping it).

Errors are the typed exceptions of elinkcli.errors (UsageError, PermanentError,
UnknownIdsError, PartialFailure, CacheMissError...), raised after every row that could
be produced; nothing here prints or exits. What the command line writes on stderr as a
warning goes to `warn(text)` when given, else to the "elinkcli" logger (WARNING); retry
and run-length notices go to that logger at INFO.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Generator, Iterable, Sequence
from typing import TYPE_CHECKING, Literal, overload

from elinkcli import constants as C
from elinkcli.commands import calls
from elinkcli.commands.calls import Call, Ids
from elinkcli.commands.chain import Hop, HopStats
from elinkcli.commands.check import CheckRow
from elinkcli.commands.citations import CitationRow
from elinkcli.commands.connection import CacheMode, Connection, documented
from elinkcli.commands.discover import LinkNameRow, RecordLinkRow
from elinkcli.commands.ledger import Ledger
from elinkcli.commands.linkout import Resource, ResourceFilter
from elinkcli.commands.plans.chain import ChainPlan
from elinkcli.commands.plans.check import CheckPlan
from elinkcli.commands.plans.citations import CitationPlan
from elinkcli.commands.plans.discover import DiscoverPlan
from elinkcli.commands.plans.link import LinkPlan
from elinkcli.commands.plans.linkout import LinkoutPlan
from elinkcli.config import Settings
from elinkcli.models import LinkRow, SourcedLinkRow

if sys.version_info >= (3, 11):
    from typing import Unpack
else:
    from typing_extensions import Unpack

if TYPE_CHECKING:
    from elinkcli.commands.citations import CitationStats
    from elinkcli.eutils.client import EutilsClient

__all__ = [
    "CacheMode",
    "CheckRow",
    "CitationRow",
    "Connection",
    "Hop",
    "LinkNameRow",
    "LinkRow",
    "RecordLinkRow",
    "Resource",
    "SourcedLinkRow",
    "chain",
    "check",
    "citations",
    "discover",
    "link",
    "linkout",
]

Warn = Callable[[str], None]


# --- the commands ------------------------------------------------------------------------------


@documented
def link(
    ids: Ids,
    *,
    db: str,
    target: str | None = None,
    name: str | None = None,
    cmd: Literal["neighbor", "neighbor_score"] = "neighbor",
    related: bool = False,
    union: bool = False,
    term: str | None = None,
    datetype: str | None = None,
    reldate: int | None = None,
    mindate: str | None = None,
    maxdate: str | None = None,
    idtype: Literal["acc", "doi", "run"] | None = None,
    batch: int = C.DEFAULT_BATCH,
    strict: bool = False,
    stats: Ledger | None = None,
    warn: Warn | None = None,
    settings: Settings | None = None,
    client: EutilsClient | None = None,
    **connection: Unpack[Connection],
) -> Generator[LinkRow, None, None]:
    """Link records of one database to another (`elinkcli link`, ELink neighbor): one
    LinkRow per link, in input order, each with the source id it came from. With local
    tables in play (`links_from` "tables" or "auto", the default once `elinkcli tables get`
    loaded one), each is a SourcedLinkRow: a LinkRow with `source`, the table and upstream
    date that answered ("gene2pubmed 2026-12-01") or "elink". PubMed
    citations (`link --cited / --cites`) are `citations()`.

    Args:
        ids: UIDs or accessions of `db` (a string is split on commas and spaces, like
            --id); repeats are dropped. Accessions are resolved: source_id is the token
            given, source_uid NCBI's UID. None at all: no rows, no request.
        db: the source database (gene, pubmed, nuccore...).
        target: the target database; optional with a link name the catalog knows, or
            with `related`.
        name: the link name (gene_protein_refseq...); None: DB_TARGET when the catalog
            has it (as EDirect's -target alone), else every table; "all": every table.
        cmd: "neighbor", or "neighbor_score" (fills `score`; without `target`, within `db`).
        related: links within `db` (target = db, name DB_DB unless given).
        union: one merged, de-duplicated set (source_id None) instead of one per id.
        term, datetype, reldate, mindate, maxdate: ELink's limits (--term, --datetype,
            --reldate, --mindate, --maxdate).
        idtype: "acc" fills target_acc with each target's accession; "doi" with each
            pubmed or pmc target's DOI; "run" gives an sra target one row per run, the
            run in target_acc (target_id the experiment's UID).
        batch: ids per request (1-1000).
        strict: an unknown database or link name is a UsageError, not a warning.
        stats: a Ledger to fill in (counts, ids without links, capped tables...).
        warn: called with each warning; None: the "elinkcli" logger.

    Raises (elinkcli.errors): UsageError at the call; after the rows, UnknownIdsError
    (ids that name no record), PermanentError (ids or a request NCBI rejected),
    PartialFailure (batches given up after retries), CacheMissError (offline).
    """
    call = Call(connection, client, settings, warn)
    plan = LinkPlan.make(
        db=db,
        target=target,
        name=name,
        cmd=cmd,
        related=related,
        union=union,
        term=term,
        datetype=datetype,
        reldate=reldate,
        mindate=mindate,
        maxdate=maxdate,
        idtype=idtype,
        batch=batch,
        strict=strict,
    )
    return calls.link(plan, ids, stats=stats, call=call)


@documented
def citations(
    ids: Ids,
    *,
    direction: Literal["cited", "cites"] = "cited",
    sources: str | Sequence[str] | None = None,
    batch: int = C.DEFAULT_BATCH,
    stats: CitationStats | None = None,
    warn: Warn | None = None,
    icite_url: str | None = None,
    europepmc_url: str | None = None,
    settings: Settings | None = None,
    client: EutilsClient | None = None,
    **connection: Unpack[Connection],
) -> Generator[CitationRow, None, None]:
    """Who cites these papers, or what they cite (`elinkcli link -db pubmed --cited` or
    `--cites`): one CitationRow per link, source PMIDs in input order; a link several
    services give is one row, `source` naming them all.

    Args:
        ids: PMIDs (a string is split on commas and spaces); repeats are dropped.
        direction: "cited" (the papers citing each PMID) or "cites" (its references).
        sources: "icite", "europepmc", "elink", several (a list, or "icite,elink"), or
            "all"; None: the configuration's citations_from (default "icite").
        batch: PMIDs per batch (1-1000).
        stats: a CitationStats to fill in (links, PMIDs a service does not know).
        warn: called with each warning; None: the "elinkcli" logger.
        icite_url, europepmc_url: the services' base URLs (ELINKCLI_ICITE_URL,
            ELINKCLI_EUROPEPMC_URL).

    Raises (elinkcli.errors): UsageError at the call (an id that is not a PMID...);
    after the rows, CitationSourceFailure (a PartialFailure: services that failed, the
    others' rows stand), CacheMissError (offline).
    """
    call = Call(
        connection,
        client,
        settings,
        warn,
        (("icite_url", icite_url), ("europepmc_url", europepmc_url)),
    )
    plan = CitationPlan.make(direction=direction, sources=sources, batch=batch)
    return calls.citations(plan, ids, stats=stats, call=call)


@documented
def check(
    ids: Ids,
    *,
    db: str,
    cmd: Literal["ncheck", "lcheck"] | None = None,
    name: str | None = None,
    only: Literal["yes", "no"] | None = None,
    batch: int = C.DEFAULT_BATCH,
    strict: bool = False,
    stats: Ledger | None = None,
    warn: Warn | None = None,
    settings: Settings | None = None,
    client: EutilsClient | None = None,
    **connection: Unpack[Connection],
) -> Generator[CheckRow, None, None]:
    """Does each record have links (`elinkcli check`)? One CheckRow per input id, in
    input order: value "Y" or "N" ("" when NCBI did not answer for it, with a warning).

    Args:
        ids: UIDs or accessions of `db` (a string is split on commas and spaces).
        db: the source database.
        cmd: "ncheck" (neighbors in the same database) or "lcheck" (LinkOut links).
        name: instead of cmd, a link name: does the record list it (ELink acheck)?
        only: "yes" or "no": keep only the rows with that answer.
        batch: ids per request (1-1000).
        strict: an unknown database or link name is a UsageError, not a warning.
        stats: a Ledger to fill in.
        warn: called with each warning; None: the "elinkcli" logger.

    Raises (elinkcli.errors): UsageError at the call (not exactly one of cmd and
    name...); after the rows, UnknownIdsError, PermanentError, PartialFailure,
    CacheMissError.
    """
    call = Call(connection, client, settings, warn)
    plan = CheckPlan.make(db=db, cmd=cmd, name=name, only=only, batch=batch, strict=strict)
    return calls.check(plan, ids, stats=stats, call=call)


@overload
def discover(
    ids: None = None,
    *,
    db: str,
    target: str | None = None,
    batch: int = C.DEFAULT_BATCH,
    strict: bool = False,
    stats: Ledger | None = None,
    warn: Warn | None = None,
    settings: Settings | None = None,
    client: EutilsClient | None = None,
    **connection: Unpack[Connection],
) -> Generator[LinkNameRow, None, None]: ...


@overload
def discover(
    ids: Ids,
    *,
    db: str,
    target: str | None = None,
    batch: int = C.DEFAULT_BATCH,
    strict: bool = False,
    stats: Ledger | None = None,
    warn: Warn | None = None,
    settings: Settings | None = None,
    client: EutilsClient | None = None,
    **connection: Unpack[Connection],
) -> Generator[RecordLinkRow, None, None]: ...


@documented
def discover(
    ids: Ids | None = None,
    *,
    db: str,
    target: str | None = None,
    batch: int = C.DEFAULT_BATCH,
    strict: bool = False,
    stats: Ledger | None = None,
    warn: Warn | None = None,
    settings: Settings | None = None,
    client: EutilsClient | None = None,
    **connection: Unpack[Connection],
) -> Generator[LinkNameRow, None, None] | Generator[RecordLinkRow, None, None]:
    """Which links exist (`elinkcli discover`). Without ids: every link name from `db`,
    NCBI's EInfo merged with the bundled catalog, one LinkNameRow each (attested_by says
    who knows it; cache="offline": the catalog alone, no network). With ids: per record,
    the link names that have links (ELink acheck), one RecordLinkRow each.

    Args:
        ids: None, or UIDs or accessions of `db` (a string is split on commas and
            spaces).
        db: the source database.
        target: only the link names leading to this database.
        batch: ids per request (1-1000), with ids.
        strict: an unknown database is a UsageError, not a warning.
        stats: a Ledger to fill in, with ids.
        warn: called with each warning; None: the "elinkcli" logger.

    Raises (elinkcli.errors): UsageError at the call; PermanentError (NCBI rejected the
    database); with ids, after the rows, UnknownIdsError, PartialFailure, CacheMissError.
    """
    call = Call(connection, client, settings, warn)
    plan = DiscoverPlan.make(db=db, target=target, batch=batch, strict=strict)
    return calls.discover(plan, ids, stats=stats, call=call)


@documented
def chain(
    ids: Ids,
    *,
    db: str,
    hops: str | Sequence[str | Hop],
    max_per_hop: int | None = None,
    warn_above: int = C.WARN_ABOVE,
    citations_from: str | Sequence[str] | None = None,
    batch: int = C.DEFAULT_BATCH,
    strict: bool = False,
    stats: list[HopStats] | None = None,
    warn: Warn | None = None,
    icite_url: str | None = None,
    europepmc_url: str | None = None,
    settings: Settings | None = None,
    client: EutilsClient | None = None,
    **connection: Unpack[Connection],
) -> Generator[tuple[str, ...], None, None]:
    """Several hops in one run (`elinkcli chain`): every complete path, a tuple (source
    id, id at hop 1, ..., final id), sources in input order. The path is checked against
    the catalog at the call. Paths come once every hop is done (each hop asks about each
    distinct id once).

    Args:
        ids: UIDs or accessions of `db` (a string is split on commas and spaces); a path
            starts with the token given.
        db: the source database.
        hops: each "TARGET" or "TARGET:LINKNAME", or "cited" / "cites" (PubMed citations,
            "cited:europepmc" for other sources), or a Hop; a string is split on spaces.
        max_per_hop: keep at most this many links per source at each hop.
        warn_above: warn when a hop has more ids than this to link.
        citations_from: the sources of citation hops ("icite", "elink,icite", "all" or a
            list); None: the configuration's citations_from (default "icite").
        batch: ids per request (1-1000).
        strict: an unknown database or link name is a UsageError, not a warning.
        stats: a list to which each hop's HopStats is appended.
        warn: called with each warning; None: the "elinkcli" logger.
        icite_url, europepmc_url: the citation services' base URLs.

    Raises (elinkcli.errors): UsageError at the call (a hop that cannot follow the
    previous one...); after the paths, UnknownIdsError, PermanentError (named by hop),
    PartialFailure.
    """
    call = Call(
        connection,
        client,
        settings,
        warn,
        (("icite_url", icite_url), ("europepmc_url", europepmc_url)),
    )
    hop_list = hops.split() if isinstance(hops, str) else list(hops)
    plan = ChainPlan.make(
        db=db,
        hops=hop_list,
        max_per_hop=max_per_hop,
        warn_above=warn_above,
        batch=batch,
        strict=strict,
        citations_from=citations_from,
    )
    return calls.chain_paths(plan, ids, stats=stats, call=call)


@documented
def linkout(
    ids: Ids,
    *,
    db: str,
    mode: Literal["all", "primary", "libraries"] = "all",
    holding: str | None = None,
    categories: str | Iterable[str] = (),
    subject_types: str | Iterable[str] = (),
    attributes: str | Iterable[str] = (),
    providers: str | Iterable[str] = (),
    free: bool = False,
    batch: int = C.DEFAULT_BATCH,
    strict: bool = False,
    stats: Ledger | None = None,
    warn: Warn | None = None,
    settings: Settings | None = None,
    client: EutilsClient | None = None,
    **connection: Unpack[Connection],
) -> Generator[Resource, None, None]:
    """The LinkOut (external) resources of records (`elinkcli linkout`): one Resource
    per distinct URL and provider, in input order.

    Args:
        ids: UIDs or accessions of `db` (a string is split on commas and spaces).
        db: the source database.
        mode: "all" (ELink llinks), "primary" (prlinks, --primary), or "libraries"
            (llinkslib, --libraries; NCBI now rejects it: PermanentError).
        holding: only this provider's links (its NameAbbr; not with "primary").
        categories, subject_types, attributes, providers: keep a resource matching any
            of the values of each one given (case-insensitive; a string is one value).
        free: drop resources that need registration or a subscription/fee.
        batch: ids per request (1-1000).
        strict: an unknown database is a UsageError, not a warning.
        stats: a Ledger to fill in.
        warn: called with each warning; None: the "elinkcli" logger.

    Raises (elinkcli.errors): UsageError at the call; after the rows, UnknownIdsError,
    PermanentError, PartialFailure, CacheMissError.
    """
    call = Call(connection, client, settings, warn)
    where = ResourceFilter(
        categories=calls.values(categories, "categories"),
        subject_types=calls.values(subject_types, "subject_types"),
        attributes=calls.values(attributes, "attributes"),
        providers=calls.values(providers, "providers"),
        free=free,
    )
    plan = LinkoutPlan.make(
        db=db, mode=mode, holding=holding, where=where, batch=batch, strict=strict
    )
    return calls.linkout(plan, ids, stats=stats, call=call)
