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
NCBI_API_KEY, NCBI_EMAIL, ELINKCLI_CONFIG...) read as the command line reads them.

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

import logging
import os
import sys
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Literal, NamedTuple, TypedDict, TypeVar, overload

from elinkcli import constants as C
from elinkcli.commands import notices
from elinkcli.commands.chain import Hop, HopStats
from elinkcli.commands.check import CheckRow
from elinkcli.commands.discover import LinkNameRow, RecordLinkRow
from elinkcli.commands.linkout import Resource, ResourceFilter
from elinkcli.config import Settings
from elinkcli.errors import UnknownIdsError, UsageError
from elinkcli.ids.tokens import check_ids, normalize_db, split_ids
from elinkcli.inert import line
from elinkcli.models import LinkRow, LinkStats

if sys.version_info >= (3, 11):
    from typing import Unpack
else:
    from typing_extensions import Unpack

if TYPE_CHECKING:
    from elinkcli.commands.citations import CitationStats
    from elinkcli.eutils.client import EutilsClient
    from elinkcli.ids.resolve import IdTable

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
    "chain",
    "check",
    "citations",
    "discover",
    "link",
    "linkout",
]

logger = logging.getLogger("elinkcli")

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., object])
Warn = Callable[[str], None]
StrPath = str | os.PathLike[str]
# The command line's --refresh, --no-cache and --offline; "use" reads and writes the cache.
CacheMode = Literal["use", "refresh", "off", "offline"]
CACHE_MODES = ("use", "refresh", "off", "offline")


class CitationRow(NamedTuple):
    """One citation link (`citations()`, the command line's `link --cited / --cites`):
    LinkRow's fields, and `source`, the services that gave it ("icite,europepmc")."""

    source_db: str
    source_id: str
    linkname: str
    target_db: str
    target_id: str
    score: int | None
    source_uid: str
    target_acc: str | None
    source: str


_CONNECTION_DOC = """
    Connection (keyword arguments of every function, typed by elinkcli.api.Connection;
    each left out: the environment, else the configuration file, else the default, as for
    the command line):
        base_url: E-utilities base URL (ELINKCLI_BASE_URL).
        email: sent to NCBI with each request (NCBI_EMAIL, EMAIL).
        api_key: NCBI API key, 10 requests/s instead of 3 (NCBI_API_KEY).
        tool: the tool name sent to NCBI (default "elinkcli").
        timeout: seconds to wait for an answer (--timeout).
        deadline: seconds for one request with its retries (--deadline).
        max_time: the whole run, seconds or "30m" (--max-time; ELINKCLI_MAX_TIME).
        cache: "use" (default), "refresh" (ask again), "off", or "offline" (the cache
            only, no network: CacheMissError for what it lacks).
        cache_dir: the cache directory (ELINKCLI_CACHE_DIR).
        cache_ttl: how long an answer stays fresh, seconds or "7d" (--cache-ttl).
        adaptive_batch: request sizes follow NCBI's answers (--adaptive-batch).
        log: append one JSON line per HTTP attempt to this file ("-": stderr) (--log).
        config: a configuration file to read instead of the user's (ELINKCLI_CONFIG),
            or False for none.
        settings: ready elinkcli.config.Settings, used as they are (then leave the
            arguments above unset).
        client: a ready elinkcli.eutils.client.EutilsClient, used and left open (then leave
            settings and the arguments above unset).
"""


class Connection(TypedDict, total=False):
    """How every function reaches NCBI: the keyword arguments documented under
    "Connection" in each docstring (each left out: environment, config file, default)."""

    base_url: str
    email: str
    api_key: str
    tool: str
    timeout: float
    deadline: float
    max_time: str | float
    cache: CacheMode
    cache_dir: StrPath
    cache_ttl: str | float
    adaptive_batch: bool
    log: StrPath
    config: StrPath | Literal[False]


def _documented(fn: F) -> F:
    """The connection arguments' documentation, written once, after each docstring."""
    fn.__doc__ = (fn.__doc__ or "") + _CONNECTION_DOC
    return fn


# --- reaching NCBI as the command line does ------------------------------------------------


@dataclass(frozen=True)
class _Connection:
    """The connection arguments of a call, resolved as `make_client` in elinkcli.cli does."""

    base_url: str | None = None
    email: str | None = None
    api_key: str | None = None
    tool: str | None = None
    timeout: float | None = None
    deadline: float | None = None
    max_time: str | float | None = None
    cache: str = "use"
    cache_dir: StrPath | None = None
    cache_ttl: str | float | None = None
    adaptive_batch: bool | None = None
    log: StrPath | None = None
    config: StrPath | Literal[False] | None = None
    icite_url: str | None = None
    europepmc_url: str | None = None

    @classmethod
    def of(cls, connection: Connection, **urls: str | None) -> _Connection:
        """The arguments of a call; a name that is not one is the TypeError Python gives."""
        unknown = [k for k in connection if k not in Connection.__annotations__]
        if unknown:
            raise TypeError(f"unexpected keyword argument {unknown[0]!r}")
        return cls(**connection, **urls)

    def given(self) -> list[str]:
        default = _Connection()
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(default, f.name)]

    def settings(self, warn: Warn) -> Settings:
        """The effective settings: these arguments, else the environment, else the config
        file, else the defaults. A bad value or config file is a UsageError, now."""
        from pathlib import Path

        from elinkcli.config import resolve

        environ = dict(os.environ)
        if self.config is False:
            environ[C.ENV_CONFIG] = os.devnull
        elif self.config is not None:
            environ[C.ENV_CONFIG] = os.fspath(self.config)
        resolved = resolve(
            base_url=self.base_url,
            email=self.email,
            api_key=self.api_key,
            cache_dir=Path(os.fspath(self.cache_dir)) if self.cache_dir is not None else None,
            cache_ttl=None if self.cache_ttl is None else str(self.cache_ttl),
            timeout=self.timeout,
            deadline=self.deadline,
            max_time=self.max_time,
            icite_url=self.icite_url,
            europepmc_url=self.europepmc_url,
            cache_mode=self.cache,
            adaptive_batch=self.adaptive_batch,
            environ=environ,
        )
        for warning in resolved.config_warnings:
            warn(warning)
        settings = resolved.settings
        if self.tool is not None:
            if not self.tool.strip() or any(c in self.tool for c in "\n\r\x00"):
                raise UsageError(f"tool must be a name of one line, not {self.tool!r}")
            settings = replace(settings, tool=self.tool.strip())
        for text in notices.clear_key(settings.base_url, settings.api_key):
            warn(text)
        return settings


@dataclass(frozen=True)
class _Reach:
    """How a call reaches NCBI: the caller's client (left open), or settings for a client
    of our own, made when the iteration starts and closed when it ends."""

    settings: Settings
    client: EutilsClient | None
    log: StrPath | None
    warn: Warn

    @contextmanager
    def open(self) -> Iterator[EutilsClient]:
        if self.client is not None:
            yield self.client
            return
        client = self._new_client()
        try:
            yield client
        finally:
            client.close()

    def per_record(
        self,
        db: str,
        tokens: Sequence[str],
        produce: Callable[[EutilsClient, IdTable], Iterable[T]],
        afterwards: Callable[[], Iterable[str]] = tuple,
    ) -> Generator[T, None, None]:
        """What `produce` gives for the tokens' table (accessions resolved), on a client
        open for the run; then the warnings `afterwards` gives, however the rows end, and
        the tokens that name no record raised (UnknownIdsError)."""
        with self.open() as session:
            table = _id_table(session, db, tokens, self.warn)
            try:
                yield from produce(session, table)
            finally:
                _say(afterwards(), self.warn)
            _then_unknown(table)

    def _new_client(self) -> EutilsClient:
        from elinkcli.eutils.client import EutilsClient
        from elinkcli.eutils.requestlog import RequestLog

        log = RequestLog.open(os.fspath(self.log)) if self.log is not None else None
        warn = self.warn

        def notice(kind: str, text: str) -> None:
            # The command line shows these two only on a terminal or with --verbose.
            if kind in ("retry", "estimate"):
                logger.info("%s", text)
            else:
                warn(text)

        try:
            return EutilsClient(self.settings, log=log, on_notice=notice)
        except BaseException:
            if log is not None:
                log.close()
            raise


def _reach(
    connection: _Connection,
    client: EutilsClient | None,
    settings: Settings | None,
    warn: Warn,
) -> _Reach:
    """Check and resolve the connection arguments now (no network, no file opened but
    the config file)."""
    if connection.cache not in CACHE_MODES:
        raise UsageError(f"cache must be one of {', '.join(CACHE_MODES)}, not {connection.cache!r}")
    given = connection.given()
    if client is not None:
        if settings is not None or given:
            clash = ", ".join(["settings"] * (settings is not None) + given)
            raise UsageError(f"client= is used as it is: leave out {clash}")
        return _Reach(client.settings, client, None, warn)
    if settings is not None:
        if [g for g in given if g != "log"]:
            clash = ", ".join(g for g in given if g != "log")
            raise UsageError(f"settings= are used as they are: leave out {clash}")
        return _Reach(settings, None, connection.log, warn)
    return _Reach(connection.settings(warn), None, connection.log, warn)


def _warner(warn: Warn | None) -> Warn:
    """The caller's `warn`, else the logger; either gets inert text (elinkcli.inert)."""

    def to_log(text: str) -> None:
        logger.warning("%s", text)

    chosen = warn if warn is not None else to_log

    def say(text: str) -> None:
        chosen(line(text))

    return say


# --- ids, as the command line reads --id -----------------------------------------------------


def _tokens(ids: str | Iterable[str], db: str) -> list[str]:
    """The ids as --id reads them: split on commas and white space, checked for `db` (a
    UID or an accession form the database has), repeats dropped. None given: []."""
    if isinstance(ids, (bytes, bytearray)):
        raise UsageError("ids are text: decode them first")
    values = [ids] if isinstance(ids, str) else list(ids)
    texts: list[str] = []
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool):
            texts.append(str(value))
        elif isinstance(value, str):
            texts.append(value)
        else:
            raise UsageError(f"ids are strings (UIDs or accessions), not {type(value).__name__}")
    tokens = split_ids(texts)
    return check_ids(tokens, db) if tokens else []


def _id_table(client: EutilsClient, db: str, tokens: Sequence[str], warn: Warn) -> IdTable:
    """The tokens with their UIDs (accessions resolved); the ones that name no record are
    warned about at once and raised (UnknownIdsError) after every row (`_then_unknown`)."""
    from elinkcli.ids.resolve import build_table

    table = build_table(client, db, tokens)
    if table.problems:
        warn(str(UnknownIdsError(table.problems)))
    return table


def _then_unknown(table: IdTable) -> None:
    table.unfinished()


def _values(value: str | Iterable[str], what: str) -> tuple[str, ...]:
    """A repeatable option: one string is one value."""
    if isinstance(value, str):
        return (value,)
    values = tuple(value)
    if not all(isinstance(v, str) for v in values):
        raise UsageError(f"{what} are strings")
    return values


def _say(texts: Iterable[str], warn: Warn) -> None:
    for text in texts:
        warn(text)


def _nothing() -> Generator[T, None, None]:
    yield from ()


# --- the commands ------------------------------------------------------------------------------


@_documented
def link(
    ids: str | Iterable[str],
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
    idtype: Literal["acc"] | None = None,
    batch: int = C.DEFAULT_BATCH,
    strict: bool = False,
    stats: LinkStats | None = None,
    warn: Warn | None = None,
    settings: Settings | None = None,
    client: EutilsClient | None = None,
    **connection: Unpack[Connection],
) -> Generator[LinkRow, None, None]:
    """Link records of one database to another (`elinkcli link`, ELink neighbor): one
    LinkRow per link, in input order, each with the source id it came from. PubMed
    citations (`link --cited / --cites`) are `citations()`.

    Args:
        ids: UIDs or accessions of `db` (a string is split on commas and spaces, like
            --id); repeats are dropped. Accessions are resolved: source_id is the token
            given, source_uid NCBI's UID. None at all: no rows, no request.
        db: the source database (gene, pubmed, nuccore...).
        target: the target database; optional with a link name the catalog knows, or
            with `related`.
        name: the link name (gene_protein_refseq...); None: every link to `target`.
        cmd: "neighbor", or "neighbor_score" (fills `score`).
        related: links within `db` (target = db, name DB_DB unless given).
        union: one merged, de-duplicated set (source_id None) instead of one per id.
        term, datetype, reldate, mindate, maxdate: ELink's limits (--term, --datetype,
            --reldate, --mindate, --maxdate).
        idtype: "acc" fills target_acc with each target's accession.
        batch: ids per request (1-1000).
        strict: an unknown database or link name is a UsageError, not a warning.
        stats: a LinkStats to fill in (counts, ids without links, capped tables...).
        warn: called with each warning; None: the "elinkcli" logger.

    Raises (elinkcli.errors): UsageError at the call; after the rows, UnknownIdsError
    (ids that name no record), PermanentError (ids or a request NCBI rejected),
    PartialFailure (batches given up after retries), CacheMissError (offline).
    """
    from elinkcli.commands.link import link_batches
    from elinkcli.eutils.params import LinkFilters
    from elinkcli.ids.resolve import has_accessions
    from elinkcli.names import target_of, vet_names

    say = _warner(warn)
    db = normalize_db(db)
    if related and target and normalize_db(target) != db:
        raise UsageError("related links within db: leave out target, or drop related")
    if not target and name and not related:
        target = target_of(name)
    if related:
        target = target or db
        name = name or f"{normalize_db(target)}_{normalize_db(target)}"
    if not target:
        raise UsageError("link needs a target database: target=DB (e.g. target='protein')")
    target = normalize_db(target)
    filters = LinkFilters(
        term=term,
        datetype=datetype,
        reldate=reldate,
        mindate=mindate,
        maxdate=maxdate,
        idtype=idtype,
    )
    # The library checks cmd, batch and filters at the call; its generator is not started.
    link_batches((), db=db, target=target, name=name, cmd=cmd, filters=filters, batch=batch)
    tokens = _tokens(ids, db)
    vet_names(say, strict=strict, db=db, target=target, linkname=name)
    if idtype == "acc" and not has_accessions(target):
        say(f"{target} records have no accession NCBI names: target_acc stays empty")
    reach = _reach(_Connection.of(connection), client, settings, say)
    if not tokens:
        return _nothing()
    run_stats = stats if stats is not None else LinkStats()

    def rows(session: EutilsClient, table: IdTable) -> Iterator[LinkRow]:
        for batch_rows in link_batches(
            table.tokens,
            db=db,
            target=target,
            name=name,
            cmd=cmd,
            filters=filters,
            batch=batch,
            union=union,
            client=session,
            stats=run_stats,
            table=table,
        ):
            yield from map(LinkRow._make, batch_rows)

    return reach.per_record(
        db, tokens, rows, lambda: (*notices.unexpected(run_stats), *notices.capped(run_stats))
    )


@_documented
def citations(
    ids: str | Iterable[str],
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
    from elinkcli.commands.batching import check_batch
    from elinkcli.commands.citations import CitationStats, citation_batches, parse_sources

    say = _warner(warn)
    if direction not in ("cited", "cites"):
        raise UsageError(f"direction must be cited or cites, not {direction!r}")
    check_batch(batch)
    tokens = _tokens(ids, "pubmed")
    sources_text = sources if sources is None or isinstance(sources, str) else ",".join(sources)
    urls = {"icite_url": icite_url, "europepmc_url": europepmc_url}
    reach = _reach(_Connection.of(connection, **urls), client, settings, say)
    chosen = parse_sources(sources_text if sources_text else reach.settings.citations_from)
    # Checks the ids and sources at the call; this generator is not started.
    citation_batches(tokens, direction=direction, sources=chosen, batch=batch)
    if not tokens:
        return _nothing()
    run_stats = stats if stats is not None else CitationStats()

    def rows() -> Generator[CitationRow, None, None]:
        with reach.open() as session:
            try:
                for batch_rows in citation_batches(
                    tokens,
                    direction=direction,
                    sources=chosen,
                    batch=batch,
                    client=session,
                    stats=run_stats,
                ):
                    yield from map(CitationRow._make, batch_rows)
            finally:
                _say(notices.unknown_pmids(run_stats.unknown), say)
                for name, service_stats in run_stats.per_service.items():
                    _say((f"{name}: {t}" for t in notices.unexpected(service_stats)), say)

    return rows()


@_documented
def check(
    ids: str | Iterable[str],
    *,
    db: str,
    cmd: Literal["ncheck", "lcheck"] | None = None,
    name: str | None = None,
    only: Literal["yes", "no"] | None = None,
    batch: int = C.DEFAULT_BATCH,
    strict: bool = False,
    stats: LinkStats | None = None,
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
        stats: a LinkStats to fill in.
        warn: called with each warning; None: the "elinkcli" logger.

    Raises (elinkcli.errors): UsageError at the call (not exactly one of cmd and
    name...); after the rows, UnknownIdsError, PermanentError, PartialFailure,
    CacheMissError.
    """
    from elinkcli.commands.check import check as check_rows
    from elinkcli.names import vet_names

    say = _warner(warn)
    db = normalize_db(db)
    if only not in (None, "yes", "no"):
        raise UsageError(f"only must be yes or no, not {only!r}")
    keep = {"yes": "Y", "no": "N"}.get(only) if only else None
    # The library checks cmd, name and batch at the call; its generator is not started.
    check_rows((), db=db, cmd=cmd, name=name, batch=batch)
    tokens = _tokens(ids, db)
    vet_names(say, strict=strict, db=db, linkname=name)
    reach = _reach(_Connection.of(connection), client, settings, say)
    if not tokens:
        return _nothing()
    run_stats = stats if stats is not None else LinkStats()

    def rows(session: EutilsClient, table: IdTable) -> Iterator[CheckRow]:
        for row in check_rows(
            table.tokens,
            db=db,
            cmd=cmd,
            name=name,
            batch=batch,
            client=session,
            stats=run_stats,
            table=table,
        ):
            if keep is None or row.value == keep:
                yield row

    return reach.per_record(
        db, tokens, rows, lambda: (*notices.not_echoed(run_stats), *notices.unexpected(run_stats))
    )


@overload
def discover(
    ids: None = None,
    *,
    db: str,
    target: str | None = None,
    batch: int = C.DEFAULT_BATCH,
    strict: bool = False,
    stats: LinkStats | None = None,
    warn: Warn | None = None,
    settings: Settings | None = None,
    client: EutilsClient | None = None,
    **connection: Unpack[Connection],
) -> Generator[LinkNameRow, None, None]: ...


@overload
def discover(
    ids: str | Iterable[str],
    *,
    db: str,
    target: str | None = None,
    batch: int = C.DEFAULT_BATCH,
    strict: bool = False,
    stats: LinkStats | None = None,
    warn: Warn | None = None,
    settings: Settings | None = None,
    client: EutilsClient | None = None,
    **connection: Unpack[Connection],
) -> Generator[RecordLinkRow, None, None]: ...


@_documented
def discover(
    ids: str | Iterable[str] | None = None,
    *,
    db: str,
    target: str | None = None,
    batch: int = C.DEFAULT_BATCH,
    strict: bool = False,
    stats: LinkStats | None = None,
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
        stats: a LinkStats to fill in, with ids.
        warn: called with each warning; None: the "elinkcli" logger.

    Raises (elinkcli.errors): UsageError at the call; PermanentError (NCBI rejected the
    database); with ids, after the rows, UnknownIdsError, PartialFailure, CacheMissError.
    """
    from elinkcli.commands.batching import check_batch
    from elinkcli.commands.discover import discover as link_names
    from elinkcli.commands.discover import discover_records
    from elinkcli.names import vet_names

    say = _warner(warn)
    db = normalize_db(db)
    target = normalize_db(target) if target else None
    check_batch(batch)
    tokens = _tokens(ids, db) if ids is not None else None
    vet_names(say, strict=strict, db=db, target=target)
    reach = _reach(_Connection.of(connection), client, settings, say)

    if tokens is None:
        offline = reach.settings.cache_mode == "offline"

        def names() -> Generator[LinkNameRow, None, None]:
            if offline:
                yield from link_names(db, target=target, offline=True)
                return
            with reach.open() as session:
                found = link_names(db, target=target, client=session)
            yield from found

        return names()
    if not tokens:
        return _nothing()
    run_stats = stats if stats is not None else LinkStats()

    def records(session: EutilsClient, table: IdTable) -> Iterator[RecordLinkRow]:
        return discover_records(
            table.tokens,
            db=db,
            target=target,
            batch=batch,
            client=session,
            stats=run_stats,
            table=table,
        )

    return reach.per_record(
        db,
        tokens,
        records,
        lambda: (*notices.not_echoed(run_stats), *notices.unexpected(run_stats)),
    )


@_documented
def chain(
    ids: str | Iterable[str],
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
    from elinkcli.commands.batching import check_batch
    from elinkcli.commands.chain import chain as chain_paths
    from elinkcli.commands.chain import plan
    from elinkcli.commands.citations import parse_sources

    say = _warner(warn)
    db = normalize_db(db)
    hop_list = hops.split() if isinstance(hops, str) else list(hops)
    parsed = [h if isinstance(h, Hop) else Hop.parse(h) for h in hop_list]
    if max_per_hop is not None and max_per_hop < 1:
        raise UsageError("max_per_hop must be at least 1")
    if warn_above < 1:
        raise UsageError("warn_above must be at least 1")
    check_batch(batch)
    tokens = _tokens(ids, db)
    for warning in plan(db, parsed, strict=strict):
        say(warning)
    urls = {"icite_url": icite_url, "europepmc_url": europepmc_url}
    reach = _reach(_Connection.of(connection, **urls), client, settings, say)
    chosen = (
        citations_from
        if citations_from is None or isinstance(citations_from, str)
        else ",".join(citations_from)
    )
    sources = parse_sources(chosen or reach.settings.citations_from)
    if not tokens:
        return _nothing()
    hop_stats = stats if stats is not None else []

    def paths(session: EutilsClient, table: IdTable) -> Iterator[tuple[str, ...]]:
        return chain_paths(
            table.tokens,
            db=db,
            hops=parsed,
            max_per_hop=max_per_hop,
            warn_above=warn_above,
            batch=batch,
            warn=say,
            client=session,
            stats=hop_stats,
            table=table,
            citations_from=sources,
        )

    return reach.per_record(db, tokens, paths)


@_documented
def linkout(
    ids: str | Iterable[str],
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
    stats: LinkStats | None = None,
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
        stats: a LinkStats to fill in.
        warn: called with each warning; None: the "elinkcli" logger.

    Raises (elinkcli.errors): UsageError at the call; after the rows, UnknownIdsError,
    PermanentError, PartialFailure, CacheMissError.
    """
    from elinkcli.commands.linkout import linkout as resources
    from elinkcli.names import vet_names

    say = _warner(warn)
    db = normalize_db(db)
    if holding and mode == "primary":
        raise UsageError("holding goes with mode 'all' or 'libraries', not 'primary'")
    where = ResourceFilter(
        categories=_values(categories, "categories"),
        subject_types=_values(subject_types, "subject_types"),
        attributes=_values(attributes, "attributes"),
        providers=_values(providers, "providers"),
        free=free,
    )
    # The library checks mode, holding and batch at the call; its generator is not started.
    resources((), db=db, mode=mode, holding=holding, where=where, batch=batch)
    tokens = _tokens(ids, db)
    vet_names(say, strict=strict, db=db)
    reach = _reach(_Connection.of(connection), client, settings, say)
    if not tokens:
        return _nothing()
    run_stats = stats if stats is not None else LinkStats()

    def rows(session: EutilsClient, table: IdTable) -> Iterator[Resource]:
        return resources(
            table.tokens,
            db=db,
            mode=mode,
            holding=holding,
            where=where,
            batch=batch,
            client=session,
            stats=run_stats,
            table=table,
        )

    return reach.per_record(db, tokens, rows)
