"""`chain`: several hops in one run, every result a full path from a source id to a final id."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from elinkcli.catalog import load_catalog
from elinkcli.commands.batching import client_for
from elinkcli.commands.citations import DEFAULT_SOURCE, LINKNAMES, citation_batches, parse_sources
from elinkcli.commands.ledger import CountedIds, Ledger
from elinkcli.commands.link import link_batches
from elinkcli.config import Settings
from elinkcli.constants import DEFAULT_BATCH, WARN_ABOVE
from elinkcli.errors import PartialFailure, PermanentError, UsageError
from elinkcli.eutils.client import EutilsClient
from elinkcli.ids.tokens import normalize_db
from elinkcli.names import hop_of_linkname, name_problems

if TYPE_CHECKING:
    from elinkcli.ids.resolve import IdTable


@dataclass(frozen=True, slots=True)
class Hop:
    target: str
    linkname: str | None = None
    # "cited" / "cites": a citation hop (elinkcli.commands.citations), PubMed to PubMed, answered by
    # `sources` (empty: the run's --citations-from).
    citation: str | None = None
    sources: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Hop:
        """`TARGET[:LINKNAME]`, a bare LINKNAME the catalog knows (`nucleotide_protein`:
        protein, by nuccore_protein), or `cited[:SOURCES]` / `cites[:SOURCES]`."""
        head, _, rest = text.partition(":")
        if head.strip().lower() in LINKNAMES:
            direction = head.strip().lower()
            sources = parse_sources(rest) if rest.strip() else ()
            return cls("pubmed", LINKNAMES[direction], direction, sources)
        target, _, name = text.partition(":")
        if any(c.isdigit() for c in target):
            raise UsageError(
                f"hop {text!r} is not a database (no database name has a digit): ids go "
                "after -id (-id 672 7157, or -id 672,7157), hops after them"
            )
        target = normalize_db(target)
        if not name and (named := hop_of_linkname(target)):
            return cls(*named)  # a bare link name: its target from the catalog
        if not target or not target.replace("_", "").isalnum() or ":" in name:
            raise UsageError(f"bad hop {text!r}: expected TARGET or TARGET:LINKNAME")
        return cls(target, name.strip() or None)


@dataclass
class HopStats:
    db: str
    ids_in: int = 0
    links: int = 0
    requests: int = 0
    failed: CountedIds = field(default_factory=CountedIds)


def settle_names(db: str, hops: Sequence[Hop]) -> tuple[Hop, ...]:
    """Each hop named by its database alone asks for DB_TARGET (as `link --target` does,
    and EDirect's elink) when the catalog has it; `TARGET:all` stays every table."""
    from elinkcli.names import canonical_linkname, default_linkname

    settled: list[Hop] = []
    previous = normalize_db(db) if db else ""
    for hop in hops:
        if hop.citation is None:
            if hop.linkname is None and previous:
                hop = replace(hop, linkname=default_linkname(previous, hop.target))
            elif hop.linkname is not None:
                hop = replace(hop, linkname=canonical_linkname(hop.linkname))
        settled.append(hop)
        previous = hop.target
    return tuple(settled)


def request_name(hop: Hop) -> str | None:
    """The link name a hop sends (None: every table of the pair)."""
    from elinkcli.names import EVERY_TABLE

    return None if hop.linkname == EVERY_TABLE else hop.linkname


def plan(db: str, hops: Sequence[Hop], *, strict: bool = False) -> list[str]:
    """Check the path before any request. A link name that cannot lead from the previous hop's
    database to this hop's is refused; unknown names are returned as warnings (refused with
    `strict`)."""
    if not hops:
        raise UsageError("chain needs at least one hop: TARGET[:LINKNAME] ...")
    catalog = load_catalog()
    warnings: list[str] = []
    previous = normalize_db(db)
    for n, hop in enumerate(hops, start=1):
        if hop.citation is not None:
            if previous != "pubmed":
                raise UsageError(f"hop {n}: {hop.citation} links PubMed records, not {previous}")
            continue
        linkname = request_name(hop)
        known = catalog.get(linkname) if linkname else None
        if known is not None:
            if known.dbfrom and normalize_db(known.dbfrom) != previous:
                raise UsageError(
                    f"hop {n}: {hop.linkname} starts from {known.dbfrom}, "
                    f"but the previous hop is {previous}"
                )
            if known.dbto and normalize_db(known.dbto) != hop.target:
                raise UsageError(f"hop {n}: {hop.linkname} leads to {known.dbto}, not {hop.target}")
        for problem in name_problems(
            db=previous if n == 1 else None, target=hop.target, linkname=linkname
        ):
            if strict:
                raise UsageError(f"hop {n}: {problem} (--strict)")
            warnings.append(f"hop {n}: {problem}")
        previous = hop.target
    return warnings


def column_names(db: str, hops: Sequence[Hop]) -> list[str]:
    """One column per hop named after its database, made unique when a database repeats."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for name in [normalize_db(db), *(h.target for h in hops)]:
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return names


def chain(
    ids: Sequence[str],
    *,
    db: str,
    hops: Sequence[Hop],
    max_per_hop: int | None = None,
    warn_above: int = WARN_ABOVE,
    batch: int = DEFAULT_BATCH,
    warn: Callable[[str], None] = lambda _: None,
    client: EutilsClient | None = None,
    settings: Settings | None = None,
    stats: list[HopStats] | None = None,
    table: IdTable | None = None,
    citations_from: Sequence[str] = (DEFAULT_SOURCE,),
) -> Iterator[tuple[str, ...]]:
    """Every complete path (source id, id at hop 1, ..., final id), sources in input order,
    links in NCBI's order. Each hop asks about each distinct id once, per source (so
    provenance holds). Batches given up at any hop are reported at the end as
    PartialFailure, after every complete path. With a `table`, `ids` are the user's tokens
    (elinkcli.ids.resolve.build_table): the first hop asks for their UIDs and every path
    starts with the token."""
    if max_per_hop is not None and max_per_hop < 1:
        raise UsageError("--max-per-hop must be at least 1")
    dbs = [normalize_db(db), *(h.target for h in hops)]
    stats = stats if stats is not None else []
    failures: list[tuple[int, PartialFailure]] = []
    rejections: list[tuple[int, PermanentError]] = []
    adjacency: list[dict[str, list[str]]] = []
    with client_for(client, settings, Ledger()) as session:
        requests_before = session.counters.requests
        frontier = list(dict.fromkeys(ids))
        for n, hop in enumerate(hops, start=1):
            hop_stats = HopStats(dbs[n - 1], ids_in=len(frontier))
            stats.append(hop_stats)
            if len(frontier) > warn_above:
                warn(f"hop {n} ({dbs[n - 1]} -> {hop.target}): {len(frontier)} ids to link")
            edges: dict[str, dict[str, None]] = {}
            link_stats = Ledger()
            try:
                batches_of_rows = (
                    citation_batches(
                        frontier,
                        direction=hop.citation,
                        sources=hop.sources or tuple(citations_from),
                        batch=batch,
                        client=session,
                    )
                    if hop.citation is not None
                    else link_batches(
                        frontier,
                        db=dbs[n - 1],
                        target=hop.target,
                        name=request_name(hop),
                        batch=batch,
                        client=session,
                        stats=link_stats,
                        table=table if n == 1 else None,
                    )
                )
                for rows in batches_of_rows:
                    for row in rows:
                        source_id, target_id = row[1], row[4]
                        if source_id is None:
                            continue
                        targets = edges.setdefault(source_id, {})
                        if max_per_hop is None or len(targets) < max_per_hop:
                            targets.setdefault(target_id, None)
            except PartialFailure as exc:
                failures.append((n, exc))
                hop_stats.failed.extend(exc.ids)
            except PermanentError as exc:
                # Ids NCBI rejected: the hop's other links stand, the run ends with exit 3.
                rejections.append((n, exc))
            hop_stats.links = sum(len(t) for t in edges.values())
            hop_stats.requests = session.counters.requests - requests_before
            requests_before = session.counters.requests
            adjacency.append({k: list(v) for k, v in edges.items()})
            frontier = list(dict.fromkeys(t for v in edges.values() for t in v))
    yield from _paths(list(dict.fromkeys(ids)), adjacency)
    by_hop = sorted([*failures, *rejections], key=lambda item: item[0])
    problems = "; ".join(f"hop {n} ({dbs[n - 1]} -> {dbs[n]}): {exc}" for n, exc in by_hop)
    if failures:
        error = PartialFailure([f for _, exc in failures for f in exc.failures])
        error.args = (problems,)
        raise error
    if rejections:
        raise PermanentError(problems)


def _paths(
    sources: Sequence[str], adjacency: Sequence[dict[str, list[str]]]
) -> Iterator[tuple[str, ...]]:
    def walk(prefix: tuple[str, ...], depth: int) -> Iterator[tuple[str, ...]]:
        if depth == len(adjacency):
            yield prefix
            return
        for nxt in adjacency[depth].get(prefix[-1], ()):
            yield from walk((*prefix, nxt), depth + 1)

    for source in sources:
        yield from walk((source,), 0)
