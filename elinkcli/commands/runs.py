"""Each command's rows from its plan (elinkcli.commands.plans) and its input (a RunInput):
the one code the command line and elinkcli.api both run.

Every function here is a generator started by its caller's iteration: ids are expanded
(a History set, a query), resolved (accessions to UIDs) and linked batch by batch, and
what kept ids from being linked is raised once, after every row that could be produced.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

from elinkcli.commands.batching import BatchHooks
from elinkcli.commands.ledger import Ledger, Mark
from elinkcli.ids.input import RunInput

if TYPE_CHECKING:
    from elinkcli.commands.chain import HopStats
    from elinkcli.commands.check import CheckRow
    from elinkcli.commands.citations import CitationStats
    from elinkcli.commands.discover import RecordLinkRow
    from elinkcli.commands.linkout import Resource
    from elinkcli.commands.plans.chain import ChainPlan
    from elinkcli.commands.plans.check import CheckPlan
    from elinkcli.commands.plans.citations import CitationPlan
    from elinkcli.commands.plans.discover import DiscoverPlan
    from elinkcli.commands.plans.link import LinkPlan
    from elinkcli.commands.plans.linkout import LinkoutPlan
    from elinkcli.eutils.client import EutilsClient
    from elinkcli.ids.history import HistorySet
    from elinkcli.ids.packed import IdWindows
    from elinkcli.ids.resolve import IdTable
    from elinkcli.models import LinkTuple

Warn = Callable[[str], None]
R = TypeVar("R")


def settled(items: Iterable[R], ledger: Ledger, mark: Mark) -> Iterator[R]:
    """`items`, then what the ledger recorded since `mark` as kept from being linked, raised
    (Ledger.settle): after every row that could be produced."""
    yield from items
    ledger.settle(mark)


def by_table(
    run: RunInput,
    client: EutilsClient,
    ledger: Ledger,
    hooks: BatchHooks,
    batch: int,
    rows: Callable[[IdTable, BatchHooks], Iterator[R]],
    warn: Warn,
) -> Iterator[R]:
    """What `rows` gives for the run's ids as a table (tokens and UIDs), then what kept ids
    from being linked, raised. A History set is read a page at a time and run a window at a
    time (elinkcli.commands.windows), never expanded whole."""
    if run.history is None:
        mark = ledger.mark()
        table = run.id_table(client, warn)
        ledger.record_table(table)
        return settled(rows(table, hooks), ledger, mark)
    from elinkcli.commands.windows import in_windows
    from elinkcli.ids.history import HistoryIds

    return in_windows(
        HistoryIds(client, run.history),
        db=run.db or "",
        batch=batch,
        client=client,
        run=rows,
        ledger=ledger,
        hooks=hooks,
        warn=warn,
    )


def link_rows(
    plan: LinkPlan,
    run: RunInput,
    client: EutilsClient,
    stats: Ledger,
    hooks: BatchHooks,
    warn: Warn,
    explain: bool = False,
) -> Iterator[list[LinkTuple]]:
    """`link`'s rows, batch by batch (LinkRow's fields as plain tuples). A long input (a
    packed plain input, a History set) is linked a window at a time when the plan allows;
    the run's source ids go to the ledger once known (the eLinkResult writer places the
    ids without links by them). With `explain`, after the rows, the ledger's `why` says
    why ids got no links where that can be known (elinkcli.commands.why; not for a long
    input or --union)."""
    from elinkcli.commands.link import link_batches, link_windows
    from elinkcli.sources.select import tables_may_answer

    if run.empty:
        return iter(())
    assert plan.target is not None
    options = dict(
        db=run.db or "",
        target=plan.target,
        name=plan.name,
        cmd=plan.cmd,
        filters=plan.filters,
        batch=plan.batch,
        client=client,
        stats=stats,
        hooks=hooks,
        acc_from_elink=plan.acc_from_elink,
        provenance=tables_may_answer(client.settings),
    )
    long_input: IdWindows | None = run.packed if plan.windowed else None
    if run.history is not None and plan.windowed:
        from elinkcli.ids.history import HistoryIds

        long_input = HistoryIds(client, run.history)
    if long_input is not None:
        return link_windows(long_input, warn=warn, **options)  # type: ignore[arg-type]
    stored = run.history if plan.union else None  # a union of a stored set: one request
    mark = stats.mark()
    table = None
    ids = list(run.ids)
    if stored is None:
        table = run.id_table(client, warn)
        stats.record_table(table)
        ids = table.tokens
    stats.set_tokens(ids)
    rows = link_batches(ids, union=plan.union, history=stored, table=table, **options)  # type: ignore[arg-type]
    if explain and not plan.union:
        uid_of = table.uid if table is not None else str

        def why() -> None:
            from elinkcli.commands.why import explain as explained

            stats.why.update(explained(client, stats, run.db or "", plan.name, uid_of))

        rows = _then(rows, why)
    return settled(rows, stats, mark)


def _then(items: Iterable[R], after: Callable[[], None]) -> Iterator[R]:
    yield from items
    after()


def link_to_history(plan: LinkPlan, run: RunInput, client: EutilsClient, warn: Warn) -> HistorySet:
    """--history: the linked set stored on NCBI's History server (ELink neighbor_history)."""
    from elinkcli.ids.history import HistorySet
    from elinkcli.ids.history import link_to_history as store

    assert plan.target is not None
    if run.empty:
        return HistorySet(plan.target, "", "", 0)
    assert run.db is not None
    uids: list[str] = []
    if run.history is None:
        table = run.id_table(client, warn)
        ledger = Ledger()
        ledger.record_table(table)
        ledger.settle()  # before anything is stored
        uids = list(dict.fromkeys(u for t in table.tokens for u in table.uids_of(t)))
    return store(
        client,
        db=run.db,
        target=plan.target,
        ids=uids,
        source=run.history,
        name=plan.name,
        filters=plan.filters,
        batch=plan.batch,
    )


def per_record(
    command: Callable[..., Iterator[R]],
    run: RunInput,
    client: EutilsClient,
    stats: Ledger,
    hooks: BatchHooks,
    warn: Warn,
    batch: int,
    **options: object,
) -> Iterator[R]:
    """What a per-id command of elinkcli.commands (check, discover_records, linkout) gives
    for the run's ids, table by table (a History set a window at a time), with `options`."""
    if run.empty:
        return iter(())

    def rows(table: IdTable, hooks: BatchHooks) -> Iterator[R]:
        return command(
            table.tokens,
            db=run.db or "",
            batch=batch,
            client=client,
            stats=stats,
            hooks=hooks,
            table=table,
            **options,
        )

    return by_table(run, client, stats, hooks, batch, rows, warn)


def check_rows(
    plan: CheckPlan,
    run: RunInput,
    client: EutilsClient,
    stats: Ledger,
    hooks: BatchHooks,
    warn: Warn,
) -> Iterator[CheckRow]:
    """`check`'s rows, one per input id (only those with the plan's answer, if it keeps one)."""
    from elinkcli.commands.check import check

    found = per_record(
        check, run, client, stats, hooks, warn, plan.batch, cmd=plan.cmd, name=plan.name
    )
    return (r for r in found if plan.keep is None or r.value == plan.keep)


def discover_rows(
    plan: DiscoverPlan,
    run: RunInput,
    client: EutilsClient,
    stats: Ledger,
    hooks: BatchHooks,
    warn: Warn,
) -> Iterator[RecordLinkRow]:
    """`discover` with ids: per record, the link names that have links (acheck)."""
    from elinkcli.commands.discover import discover_records

    return per_record(
        discover_records, run, client, stats, hooks, warn, plan.batch, target=plan.target
    )


def linkout_rows(
    plan: LinkoutPlan,
    run: RunInput,
    client: EutilsClient,
    stats: Ledger,
    hooks: BatchHooks,
    warn: Warn,
) -> Iterator[Resource]:
    """`linkout`'s resources, one per distinct URL and provider of each record."""
    from elinkcli.commands.linkout import ResourceFilter, linkout

    return per_record(
        linkout,
        run,
        client,
        stats,
        hooks,
        warn,
        plan.batch,
        mode=plan.mode,
        holding=plan.holding,
        where=plan.where or ResourceFilter(),
    )


def chain_paths(
    plan: ChainPlan,
    run: RunInput,
    client: EutilsClient,
    stats: list[HopStats],
    warn: Warn,
) -> Iterator[tuple[str, ...]]:
    """`chain`'s paths; from an eLinkResult input with one LinkSet per earlier source, each
    path starts at that earlier source."""
    from elinkcli.commands.chain import chain

    if run.empty:
        return iter(())
    ledger = Ledger()
    mark = ledger.mark()
    table = run.id_table(client, warn)
    ledger.record_table(table)
    paths = settled(
        chain(
            table.tokens,
            db=plan.db or "",
            hops=list(plan.hops),
            max_per_hop=plan.max_per_hop,
            warn_above=plan.warn_above,
            batch=plan.batch,
            warn=warn,
            client=client,
            stats=stats,
            table=table,
            citations_from=plan.citations_from,
        ),
        ledger,
        mark,
    )
    if not (run.origin_db and run.origins):
        return paths
    return ((origin, *path) for path in paths for origin in run.origins.get(path[0], ()))


def citation_rows(
    plan: CitationPlan,
    run: RunInput,
    client: EutilsClient,
    stats: CitationStats,
    hooks: BatchHooks,
) -> Iterator[list[tuple[object, ...]]]:
    """The citation links of the input's PMIDs, batch by batch (or their counts)."""
    from elinkcli.commands.citations import citation_batches

    plan.check_input(run)
    return citation_batches(
        list(run.ids),
        direction=plan.direction,
        sources=plan.sources,
        batch=plan.batch,
        counts=plan.counts,
        client=client,
        stats=stats,
        hooks=hooks,
    )
