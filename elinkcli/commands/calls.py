"""What elinkcli.api's functions do, without their documentation: the connection arguments
resolved as the command line resolves its options, the ids read as --id reads them (or a
History set, a query, a packed input), the command's plan made (elinkcli.commands.plans)
and run through the same code as the command line (elinkcli.commands.runs)."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from elinkcli.commands import connection, notices
from elinkcli.commands.batching import BatchHooks
from elinkcli.commands.connection import Connection, ConnectionArgs, Reach, Warn, warner
from elinkcli.commands.ledger import Ledger
from elinkcli.commands.plans.chain import ChainPlan
from elinkcli.commands.plans.check import CheckPlan
from elinkcli.commands.plans.citations import CitationPlan
from elinkcli.commands.plans.discover import DiscoverPlan
from elinkcli.commands.plans.link import LinkPlan
from elinkcli.commands.plans.linkout import LinkoutPlan
from elinkcli.config import Settings
from elinkcli.errors import UsageError
from elinkcli.ids.history import HistorySet
from elinkcli.ids.input import RunInput
from elinkcli.ids.packed import PackedIds
from elinkcli.ids.query import SearchQuery
from elinkcli.ids.tokens import check_ids, normalize_db, split_ids
from elinkcli.models import LinkRow, named_rows

if TYPE_CHECKING:
    from typing_extensions import Self

    from elinkcli.commands.chain import HopStats
    from elinkcli.commands.check import CheckRow
    from elinkcli.commands.citations import CitationRow, CitationStats
    from elinkcli.commands.discover import LinkNameRow, RecordLinkRow
    from elinkcli.commands.linkout import Resource
    from elinkcli.eutils.client import EutilsClient


T = TypeVar("T")
# What the API takes as ids: a string or strings (as --id reads them), or a stored set.
Ids = str | Iterable[str] | HistorySet | SearchQuery | PackedIds


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


def values(value: str | Iterable[str], what: str) -> tuple[str, ...]:
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


def run_input(ids: Ids, db: str | None, fallback_db: str | None = None) -> RunInput:
    """The source side of a call: ids as --id reads them, or a History set, a query to run
    again, or a packed long input (each of `db`, when given; else of `fallback_db`, the
    database a link name starts from)."""
    if isinstance(ids, (HistorySet, SearchQuery)):
        stated = normalize_db(ids.db)
        if db and normalize_db(db) != stated:
            raise UsageError(f"db {db} disagrees with the database of the set given ({stated})")
        if isinstance(ids, HistorySet):
            return RunInput(stated, history=ids)
        return RunInput(stated, query=ids)
    db = db or fallback_db
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

    def reach(self, say: Warn) -> Reach:
        return connection.reach(
            ConnectionArgs.of(self.connection, **dict(self.urls)), self.client, self.settings, say
        )


def _rows(
    reach: Reach,
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


class _Plan(Protocol):
    """A plan of a per-id command (elinkcli.commands.plans)."""

    @property
    def db(self) -> str | None: ...

    def for_db(self, db: str | None) -> Self: ...

    def vet(self, warn: Warn) -> None: ...


P = TypeVar("P", bound=_Plan)
Produce = Callable[[P, RunInput, "EutilsClient", Ledger, BatchHooks, Warn], Iterable[T]]


def _run(
    plan: P,
    ids: Ids,
    call: Call,
    produce: Produce[P, T],
    stats: Ledger | None,
    afterwards: Callable[[Ledger], Iterable[str]] = lambda _: (),
) -> Generator[T, None, None]:
    """A per-id command's call: the ids read, the plan settled for their database and its
    names vetted, the connection resolved (all now, before any request), then the rows
    `produce` gives on a client open for the iteration, and the warnings `afterwards`
    gives for the run's ledger, however the rows end."""
    say = warner(call.warn)
    run = run_input(ids, plan.db, getattr(plan, "name_db", None))
    plan = plan.for_db(run.db)
    plan.vet(say)
    reach = call.reach(say)
    if run.empty:
        return _nothing()
    ledger = stats if stats is not None else Ledger()
    return _rows(
        reach,
        lambda session: produce(plan, run, session, ledger, BatchHooks(), say),
        lambda: afterwards(ledger),
    )


def _unanswered(ledger: Ledger) -> Iterator[str]:
    yield from notices.not_echoed(ledger)
    yield from notices.unexpected(ledger)


def _cut_or_unasked(ledger: Ledger) -> Iterator[str]:
    yield from notices.unexpected(ledger)
    yield from notices.capped(ledger)


def link(
    plan: LinkPlan, ids: Ids, *, stats: Ledger | None, call: Call
) -> Generator[LinkRow, None, None]:
    from elinkcli.commands.runs import link_rows

    def rows(*args: Any) -> Iterator[LinkRow]:
        return chain.from_iterable(named_rows(batch) for batch in link_rows(*args))

    return _run(plan, ids, call, rows, stats, _cut_or_unasked)


def citations(
    plan: CitationPlan, ids: Ids, *, stats: CitationStats | None, call: Call
) -> Generator[CitationRow, None, None]:
    from elinkcli.commands.citations import CitationRow, CitationStats, check_pmids

    say = warner(call.warn)
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
    from elinkcli.commands.runs import check_rows

    return _run(plan, ids, call, check_rows, stats, _unanswered)


def discover(
    plan: DiscoverPlan, ids: Ids | None, *, stats: Ledger | None, call: Call
) -> Generator[LinkNameRow, None, None] | Generator[RecordLinkRow, None, None]:
    from elinkcli.commands.runs import discover_rows

    if ids is not None:
        return _run(plan, ids, call, discover_rows, stats, _unanswered)
    say = warner(call.warn)
    plan = plan.for_db(plan.db)
    plan.vet(say)
    return _names(plan, call.reach(say))


def _names(plan: DiscoverPlan, reach: Reach) -> Generator[LinkNameRow, None, None]:
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
    say = warner(call.warn)
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
    from elinkcli.commands.runs import linkout_rows

    return _run(plan, ids, call, linkout_rows, stats)
