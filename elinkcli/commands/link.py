"""`link`: ELink neighbor / neighbor_score, batched, with one provenance per source id."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from functools import wraps
from itertools import chain, repeat
from typing import TYPE_CHECKING, Any, ParamSpec

from elinkcli.catalog import load_catalog
from elinkcli.commands.batching import BatchHooks, check_batch, client_for, run_batches
from elinkcli.commands.ledger import KEEP, Ledger
from elinkcli.config import Settings
from elinkcli.constants import DEFAULT_BATCH, LINK_CMDS
from elinkcli.errors import (
    UsageError,
)
from elinkcli.eutils.client import EutilsClient
from elinkcli.eutils.params import IDTYPES, LinkFilters, elink_params
from elinkcli.eutils.records import ELinkResult, LinkSet
from elinkcli.ids.history import HistorySet, expand
from elinkcli.ids.resolve import accessions_of, build_table, dois_of, runs_of
from elinkcli.ids.tokens import normalize_db, uids_in
from elinkcli.models import LinkRow, LinkTuple, named_rows
from elinkcli.sources.base import LinkRequest
from elinkcli.sources.elink import NO_ID, all_errors, request_errors
from elinkcli.sources.select import source_for

if TYPE_CHECKING:
    from elinkcli.ids.packed import IdWindows
    from elinkcli.ids.resolve import IdTable

# source_uid and target_acc came last (after 0.x's six columns), so `cut -f5` still works.
LINK_COLUMNS = (
    "source_db",
    "source_id",
    "linkname",
    "target_db",
    "target_id",
    "score",
    "source_uid",
    "target_acc",
)
# With local tables in use, a ninth column says where each link came from: `cut -f1-8`
# gives the eight of ELink alone.
SOURCE_COLUMN = "source"
ELINK_ORIGIN = "elink"


P = ParamSpec("P")


def link_batches(
    ids: Sequence[str] = (),
    *,
    db: str,
    target: str,
    name: str | None = None,
    cmd: str = "neighbor",
    filters: LinkFilters = LinkFilters(),
    batch: int = DEFAULT_BATCH,
    union: bool = False,
    history: HistorySet | None = None,
    client: EutilsClient | None = None,
    settings: Settings | None = None,
    stats: Ledger | None = None,
    hooks: BatchHooks | None = None,
    table: IdTable | None = None,
    acc_from_elink: bool = False,
    provenance: bool = False,
) -> Iterator[list[LinkTuple]]:
    """Yield the rows of each batch, as a list, batch by batch, in input order. Rows are
    plain tuples in LinkRow's field order (LINK_COLUMNS): a popular record may have 100,000+
    links, and plain tuples are made in C; `link()` gives LinkRow named tuples.

    Each batch sends one `id=` per id, so each link is attributed to its own source id
    (with `union`, one comma-joined `id=` per batch, merged and de-duplicated, no source id).
    A `history` set (WebEnv + query key) is first expanded to its ids; with `union` it goes
    to ELink as it is, in one request.
    Batches given up after retries are skipped and reported at the end as PartialFailure;
    ids NCBI rejects raise PermanentError at the end, after every other row.

    With a `table` (elinkcli.ids.resolve.build_table), `ids` are the user's tokens: each
    row's source_id is the token, source_uid NCBI's UID. `filters.idtype == "acc"` fills
    target_acc (ESummary, or the UID's prefix form) instead of asking ELink for accessions,
    so target_id stays the UID; `filters.idtype == "doi"` fills it with each pubmed or pmc
    target's DOI (ESummary's ArticleIds) the same way; `filters.idtype == "run"` gives an
    sra target one row per run (target_acc the run, target_id the experiment: see
    _run_rows); with `acc_from_elink` too, ELink is
    asked for accessions (`idtype=acc`, no other request) and target_id and target_acc
    both hold them: for outputs of the accessions alone, from a database ELink echoes as
    UIDs.
    With `provenance`, each row has a ninth value (SOURCE_COLUMN): the local table that
    answered its source id (elinkcli.sources.tables), or "elink".
    """
    if cmd not in LINK_CMDS:
        raise UsageError(f"unknown --cmd {cmd!r} for link (choose {', '.join(LINK_CMDS)})")
    check_batch(batch)
    dbfrom, dbto = normalize_db(db), normalize_db(target)
    if filters.idtype not in IDTYPES:
        raise UsageError(f"unknown --idtype {filters.idtype!r} (choose acc, doi, run)")
    want_acc = filters.idtype
    acc_from_elink = want_acc == "acc" and acc_from_elink
    if not acc_from_elink:
        filters = replace(filters, idtype=None)
    # Build one request now, so option mistakes surface before any output or network use.
    elink_params(dbfrom=dbfrom, db=dbto, cmd=cmd, linkname=name, filters=filters, union=union)
    return _link_batches(
        list(ids),
        dbfrom,
        dbto,
        name,
        cmd,
        filters,
        batch,
        union,
        history,
        client,
        settings,
        stats if stats is not None else Ledger(),
        hooks,
        table,
        want_acc,
        acc_from_elink,
        provenance,
    )


def link_windows(
    packed: IdWindows,
    *,
    db: str,
    batch: int = DEFAULT_BATCH,
    client: EutilsClient,
    stats: Ledger,
    hooks: BatchHooks | None = None,
    warn: Callable[[str], None] = lambda text: None,
    **options: Any,
) -> Iterator[list[LinkTuple]]:
    """link_batches (same options) over a long input (a packed plain input, a History set
    expanded a page at a time), one window of ids at a time (elinkcli.commands.windows): memory
    follows one window; what fails in a window is raised once, after the last window."""
    from elinkcli.commands.windows import in_windows

    def run(table: IdTable, hooks: BatchHooks) -> Iterator[list[LinkTuple]]:
        return link_batches(
            table.tokens,
            db=db,
            batch=batch,
            client=client,
            stats=stats,
            hooks=hooks,
            table=table,
            **options,
        )

    return in_windows(
        packed,
        db=db,
        batch=batch,
        client=client,
        run=run,
        ledger=stats,
        hooks=hooks,
        warn=warn,
    )


def _link_batches(
    ids: list[str],
    dbfrom: str,
    dbto: str,
    name: str | None,
    cmd: str,
    filters: LinkFilters,
    batch: int,
    union: bool,
    history: HistorySet | None,
    client: EutilsClient | None,
    settings: Settings | None,
    stats: Ledger,
    hooks: BatchHooks | None,
    table: IdTable | None,
    want_acc: str | None,
    acc_from_elink: bool = False,
    provenance: bool = False,
) -> Iterator[list[LinkTuple]]:
    request = LinkRequest(dbfrom, cmd, dbto, name, filters, union, target_acc=want_acc)
    mark = stats.mark()
    seen_union: set[tuple[str, str]] = set()
    uids_of = uids_in(table)
    with client_for(client, settings, stats) as session:

        def finish(rows: list[LinkTuple], outcome: ELinkResult) -> list[LinkTuple]:
            if not want_acc or not rows:
                return rows
            if acc_from_elink:
                return [(*r[:7], r[4], *r[8:]) for r in rows]
            if want_acc == "run":
                known = {e: list(r) for ls in outcome.linksets for e, r in ls.runs}
                return _run_rows(session, dbto, rows, known)
            of = dois_of if want_acc == "doi" else accessions_of
            accs = of(session, dbto, [r[4] for r in rows])
            return [(*r[:7], accs.get(r[4]), *r[8:]) for r in rows]

        errors = all_errors if union else request_errors
        source = source_for(session, request, errors)
        if history is not None and union:
            on_history = replace(request, webenv=history.webenv, query_key=history.query_key)
            result = source_for(session, on_history, errors).answer([])
            stats.ids_in += history.count or len({i for ls in result.linksets for i in ls.ids})
            yield finish(_union_rows(result, [], cmd, stats, seen_union, provenance), result)
            return
        if history is not None:
            ids = expand(session, history)
        if table is None and ids:
            # A library call with ids as typed: `007` is 7, accessions are resolved.
            table = build_table(session, dbfrom, ids)
            stats.record_table(table)  # raised at the end, after every row
            ids = table.tokens
            uids_of = table.uids_of
        stats.ids_in += len(ids)
        outcomes = run_batches(session, ids, batch, source, stats, hooks, table)
        for chunk, outcome in outcomes:
            if union:
                rows = _union_rows(outcome, chunk, cmd, stats, seen_union, provenance)
            else:
                rows = _per_id_rows(outcome, chunk, cmd, stats, uids_of, provenance)
            yield finish(rows, outcome)
    stats.settle(mark)


def _run_rows(
    session: EutilsClient,
    dbto: str,
    rows: list[LinkTuple],
    known: dict[str, list[str]] | None = None,
) -> list[LinkTuple]:
    """`--idtype run`: each sra experiment's row once per run (target_id stays the
    experiment's UID, target_acc the run), one row with no run for an experiment with none
    listed. Runs `known` already (read by a local table beside the links) are not asked
    again. Rows into any other database are left as they are (no request). The ledger's
    `links` counts ELink's links (experiments), not these rows."""
    if dbto != "sra":
        return rows
    known = known or {}
    runs = known | runs_of(session, [r[4] for r in rows if r[4] not in known])
    out: list[LinkTuple] = []
    for r in rows:
        listed = runs.get(r[4])
        if listed:
            out.extend((*r[:7], run, *r[8:]) for run in listed)
        else:
            out.append(r)
    return out


def _add_rows(
    rows: list[LinkTuple],
    ls: LinkSet,
    source_id: str | None,
    cmd: str,
    source_uid: str | None = None,
    provenance: bool = False,
) -> None:
    origin = (repeat(ls.origin or ELINK_ORIGIN),) if provenance else ()
    for lsdb in ls.linksetdbs:
        scores = lsdb.scores if cmd == "neighbor_score" and lsdb.scores else repeat(None)
        fixed = (repeat(ls.dbfrom), repeat(source_id), repeat(lsdb.linkname), repeat(lsdb.dbto))
        # zip stops at the ids: the repeat()s are endless.
        rows.extend(
            zip(*fixed, lsdb.ids, scores, repeat(source_uid), repeat(None), *origin, strict=False)
        )


def _per_id_rows(
    result: ELinkResult,
    chunk: list[str],
    cmd: str,
    stats: Ledger,
    uids_of: Callable[[str], tuple[str, ...]] = uids_in(None),
    provenance: bool = False,
) -> list[LinkTuple]:
    by_id: dict[str, list[LinkSet]] = {}
    unattributed: list[LinkSet] = []
    for ls in result.linksets:
        echoed = [i for i in ls.ids if i not in NO_ID]
        if len(echoed) == 1:
            by_id.setdefault(echoed[0], []).append(ls)
        elif len(echoed) > 1:
            unattributed.append(ls)
    rows: list[LinkTuple] = []
    # Rows follow the request's order, whatever order NCBI answered in.
    for source_id in chunk:
        sets = by_id.pop(source_id, None)
        if sets is None:
            stats.ids_not_echoed.append(source_id)
            continue
        uids = uids_of(source_id)
        if len(uids) > 1:  # a token standing for several records: each must be answered
            answered = {ls.uid for ls in sets}
            stats.members_missing(source_id, (u for u in uids if u not in answered))
        _add_source_rows(rows, sets, source_id, cmd, stats, uids[0], provenance)
    # An id the request did not carry (batching drops those answers; here too): no row.
    stats.ids_unexpected.extend(by_id)
    for ls in unattributed:
        stats.ids_unexpected.extend(ls.ids)
        _add_rows(rows, ls, None, cmd, provenance=provenance)
    return rows


def _add_source_rows(
    rows: list[LinkTuple],
    sets: list[LinkSet],
    source_id: str,
    cmd: str,
    stats: Ledger,
    source_uid: str,
    provenance: bool = False,
) -> None:
    errors = [e for ls in sets for e in ls.errors]
    if errors:
        stats.rejected.append(f"{source_id} ({'; '.join(errors)})")
        stats.ids_failed.append(source_id)
        return
    before = len(rows)
    for ls in sets:
        for lsdb in ls.linksetdbs if ls.origin is None else ():  # a local table has no cap
            cap = load_catalog().max_links(lsdb.linkname)
            if cap is not None and len(lsdb.ids) >= cap:
                stats.capped.append((source_id, lsdb.linkname, len(lsdb.ids)))
        _add_rows(rows, ls, source_id, cmd, ls.uid or source_uid, provenance)
    if provenance:
        origin = sets[0].origin or ELINK_ORIGIN
        stats.origins[origin] = stats.origins.get(origin, 0) + 1
    n = len(rows) - before
    stats.links += n
    if not n and sets[0].origin is not None and len(stats.empty_in_table) < KEEP:
        stats.empty_in_table[source_id] = sets[0].origin
    (stats.ids_with_links if n else stats.ids_without_links).append(source_id)


def _union_rows(
    result: ELinkResult,
    chunk: list[str],
    cmd: str,
    stats: Ledger,
    seen: set[tuple[str, str]],
    provenance: bool = False,
) -> list[LinkTuple]:
    echoed = {i for ls in result.linksets for i in ls.ids}
    stats.ids_not_echoed.extend(i for i in chunk if i not in echoed)
    found: list[LinkTuple] = []
    for ls in result.linksets:
        _add_rows(found, ls, None, cmd, provenance=provenance)
    rows: list[LinkTuple] = []
    for row in found:
        key = (row[2], row[4])  # linkname, target_id
        if key not in seen:
            seen.add(key)
            rows.append(row)
    stats.links += len(rows)
    return rows


def _one_row_at_a_time(
    batches: Callable[P, Iterator[list[LinkTuple]]],
) -> Callable[P, Iterator[LinkRow]]:
    @wraps(batches)
    def rows(*args: P.args, **kwargs: P.kwargs) -> Iterator[LinkRow]:
        return chain.from_iterable(named_rows(b) for b in batches(*args, **kwargs))

    rows.__doc__ = (
        "Like link_batches (same arguments, typed the same), one LinkRow at a time. Options "
        "are checked at the call, before any request; requests start with the iteration "
        "(elinkcli.api.link is the same with the command line's options and defaults)."
    )
    rows.__name__ = rows.__qualname__ = "link"
    # inspect (help(), IDEs) sees link_batches' arguments with this return type.
    rows.__signature__ = inspect.signature(batches).replace(  # type: ignore[attr-defined]
        return_annotation="Iterator[LinkRow]"
    )
    return rows


link = _one_row_at_a_time(link_batches)
