"""What elinkcli.api's functions do, without their documentation: the connection arguments
resolved as the command line resolves its options, the ids read as --id reads them (or a
History set, a query, a packed input), the command's plan made (elinkcli.commands.plans)
and run through the same code as the command line (elinkcli.commands.runs)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from itertools import chain
from typing import TYPE_CHECKING, Literal, TypedDict, TypeVar

from elinkcli import constants as C
from elinkcli.commands import notices
from elinkcli.commands.batching import BatchHooks
from elinkcli.commands.ledger import Ledger
from elinkcli.commands.plans import (
    ChainPlan,
    CheckPlan,
    CitationPlan,
    DiscoverPlan,
    LinkoutPlan,
    LinkPlan,
)
from elinkcli.config import Settings
from elinkcli.errors import UsageError
from elinkcli.ids.history import HistorySet
from elinkcli.ids.input import RunInput
from elinkcli.ids.packed import PackedIds
from elinkcli.ids.query import SearchQuery
from elinkcli.ids.tokens import check_ids, normalize_db, split_ids
from elinkcli.inert import line
from elinkcli.models import LinkRow

if TYPE_CHECKING:
    from elinkcli.commands.chain import HopStats
    from elinkcli.commands.check import CheckRow
    from elinkcli.commands.citations import CitationRow, CitationStats
    from elinkcli.commands.discover import LinkNameRow, RecordLinkRow
    from elinkcli.commands.linkout import Resource
    from elinkcli.eutils.client import EutilsClient

logger = logging.getLogger("elinkcli")

T = TypeVar("T")
Warn = Callable[[str], None]
StrPath = str | os.PathLike[str]
# The command line's --refresh, --no-cache and --offline; "use" reads and writes the cache.
CacheMode = Literal["use", "refresh", "off", "offline"]
CACHE_MODES = ("use", "refresh", "off", "offline")
# What the API takes as ids: a string or strings (as --id reads them), or a stored set.
Ids = str | Iterable[str] | HistorySet | SearchQuery | PackedIds


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

    def _new_client(self) -> EutilsClient:
        from elinkcli.eutils.requestlog import RequestLog
        from elinkcli.sources.connect import connect

        log = RequestLog.open(os.fspath(self.log)) if self.log is not None else None
        warn = self.warn

        def notice(kind: str, text: str) -> None:
            # The command line shows these two only on a terminal or with --verbose.
            if kind in ("retry", "estimate"):
                logger.info("%s", text)
            else:
                warn(text)

        try:
            return connect(self.settings, log=log, on_notice=notice)
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


def run_input(ids: Ids, db: str | None) -> RunInput:
    """The source side of a call: ids as --id reads them, or a History set, a query to run
    again, or a packed long input (each of `db`, when given)."""
    if isinstance(ids, (HistorySet, SearchQuery)):
        stated = normalize_db(ids.db)
        if db and normalize_db(db) != stated:
            raise UsageError(f"db {db} disagrees with the database of the set given ({stated})")
        if isinstance(ids, HistorySet):
            return RunInput(stated, history=ids)
        return RunInput(stated, query=ids)
    if db is None:
        raise UsageError("db is required")
    if isinstance(ids, PackedIds):
        ids.check(db)
        return RunInput(db, packed=ids)
    return RunInput(db, tuple(_tokens(ids, db)))


@dataclass(frozen=True)
class Call:
    """What every call has beside its command's options: the connection arguments, the
    caller's client or settings, and where warnings go."""

    connection: Connection
    client: EutilsClient | None = None
    settings: Settings | None = None
    warn: Warn | None = None
    urls: tuple[tuple[str, str | None], ...] = ()

    def reach(self, say: Warn) -> _Reach:
        return _reach(
            _Connection.of(self.connection, **dict(self.urls)), self.client, self.settings, say
        )


def _rows(
    reach: _Reach,
    produce: Callable[[EutilsClient], Iterable[T]],
    afterwards: Callable[[], Iterable[str]] = tuple,
) -> Generator[T, None, None]:
    """What `produce` gives on a client open for the call; then the warnings `afterwards`
    gives, however the rows end."""
    with reach.open() as session:
        try:
            yield from produce(session)
        finally:
            _say(afterwards(), reach.warn)


def link(
    plan: LinkPlan, ids: Ids, *, stats: Ledger | None, call: Call
) -> Generator[LinkRow, None, None]:
    say = _warner(call.warn)
    run = run_input(ids, plan.db)
    plan = plan.for_db(run.db)
    plan.vet(say)
    reach = call.reach(say)
    if run.empty:
        return _nothing()
    run_stats = stats if stats is not None else Ledger()

    def rows(session: EutilsClient) -> Iterator[LinkRow]:
        from elinkcli.commands.runs import link_rows

        batches = link_rows(plan, run, session, run_stats, BatchHooks(), say)
        return chain.from_iterable(map(LinkRow._make, batch) for batch in batches)

    return _rows(reach, rows, lambda: (*notices.unexpected(run_stats), *notices.capped(run_stats)))


def citations(
    plan: CitationPlan, ids: Ids, *, stats: CitationStats | None, call: Call
) -> Generator[CitationRow, None, None]:
    from elinkcli.commands.citations import CitationRow, CitationStats, check_pmids

    say = _warner(call.warn)
    run = run_input(ids, "pubmed")
    plan.check_input(run)
    check_pmids(run.ids)
    reach = call.reach(say)
    plan = plan.settled(reach.settings.citations_from)
    if run.empty:
        return _nothing()
    run_stats = stats if stats is not None else CitationStats()

    def rows(session: EutilsClient) -> Iterator[CitationRow]:
        from elinkcli.commands.runs import citation_rows

        batches = citation_rows(plan, run, session, run_stats, BatchHooks())
        return chain.from_iterable(map(CitationRow._make, batch) for batch in batches)

    def afterwards() -> Iterator[str]:
        yield from notices.unknown_pmids(run_stats.unknown)
        for name, service_stats in run_stats.per_service.items():
            yield from (f"{name}: {t}" for t in notices.unexpected(service_stats))

    return _rows(reach, rows, afterwards)


def check(
    plan: CheckPlan, ids: Ids, *, stats: Ledger | None, call: Call
) -> Generator[CheckRow, None, None]:
    say = _warner(call.warn)
    run = run_input(ids, plan.db)
    plan = plan.for_db(run.db)
    plan.vet(say)
    reach = call.reach(say)
    if run.empty:
        return _nothing()
    run_stats = stats if stats is not None else Ledger()

    def rows(session: EutilsClient) -> Iterator[CheckRow]:
        from elinkcli.commands.runs import check_rows

        return check_rows(plan, run, session, run_stats, BatchHooks(), say)

    return _rows(
        reach, rows, lambda: (*notices.not_echoed(run_stats), *notices.unexpected(run_stats))
    )


def discover(
    plan: DiscoverPlan, ids: Ids | None, *, stats: Ledger | None, call: Call
) -> Generator[LinkNameRow, None, None] | Generator[RecordLinkRow, None, None]:
    say = _warner(call.warn)
    run = run_input(ids, plan.db) if ids is not None else None
    plan = plan.for_db(run.db if run is not None else plan.db)
    plan.vet(say)
    reach = call.reach(say)
    if run is None:
        return _names(plan, reach)
    if run.empty:
        return _nothing()
    run_stats = stats if stats is not None else Ledger()

    def rows(session: EutilsClient) -> Iterator[RecordLinkRow]:
        from elinkcli.commands.runs import discover_rows

        assert run is not None
        return discover_rows(plan, run, session, run_stats, BatchHooks(), say)

    return _rows(
        reach, rows, lambda: (*notices.not_echoed(run_stats), *notices.unexpected(run_stats))
    )


def _names(plan: DiscoverPlan, reach: _Reach) -> Generator[LinkNameRow, None, None]:
    """Every link name from the plan's database (the catalog alone when offline)."""
    from elinkcli.commands.discover import discover as link_names

    db = plan.db or ""
    if reach.settings.cache_mode == "offline":
        yield from link_names(db, target=plan.target, offline=True)
        return
    with reach.open() as session:
        found = link_names(db, target=plan.target, client=session)
    yield from found


def chain_paths(
    plan: ChainPlan, ids: Ids, *, stats: list[HopStats] | None, call: Call
) -> Generator[tuple[str, ...], None, None]:
    say = _warner(call.warn)
    run = run_input(ids, plan.db)
    reach = call.reach(say)
    plan = plan.for_db(run.db).settled(reach.settings.citations_from)
    plan.vet(say)
    if run.empty:
        return _nothing()
    hop_stats = stats if stats is not None else []

    def paths(session: EutilsClient) -> Iterator[tuple[str, ...]]:
        from elinkcli.commands.runs import chain_paths as walk

        return walk(plan, run, session, hop_stats, say)

    return _rows(reach, paths)


def linkout(
    plan: LinkoutPlan, ids: Ids, *, stats: Ledger | None, call: Call
) -> Generator[Resource, None, None]:
    say = _warner(call.warn)
    run = run_input(ids, plan.db)
    plan = plan.for_db(run.db)
    plan.vet(say)
    reach = call.reach(say)
    if run.empty:
        return _nothing()
    run_stats = stats if stats is not None else Ledger()

    def rows(session: EutilsClient) -> Iterator[Resource]:
        from elinkcli.commands.runs import linkout_rows

        return linkout_rows(plan, run, session, run_stats, BatchHooks(), say)

    return _rows(reach, rows)


def values(value: str | Iterable[str], what: str) -> tuple[str, ...]:
    """A repeatable option: one string is one value."""
    return _values(value, what)
