"""Who cites a paper, and what it cites: PubMed citation links from ELink, NIH iCite and
Europe PMC, one service or several merged, batch by batch in input order.

Each service's answers are turned into ELink's own shape (one LinkSet per source PMID,
link name pubmed_pubmed_citedin or pubmed_pubmed_refs), so they go through the same
batching, cache, --offline and --resume journal as `link` (elinkcli.commands.batching). A row is
a link row with one more cell, `source`: the services that gave that link.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from elinkcli.accessions import is_uid
from elinkcli.commands.batching import BatchHooks, client_for, run_batches
from elinkcli.commands.ledger import CountedIds, Ledger, Tally
from elinkcli.commands.link import LINK_COLUMNS
from elinkcli.config import Settings
from elinkcli.constants import DEFAULT_BATCH
from elinkcli.errors import (
    GaveUpError,
    NCBIError,
    PartialFailure,
    UsageError,
)
from elinkcli.eutils.client import EutilsClient
from elinkcli.ids.tokens import batches
from elinkcli.inert import quote
from elinkcli.sources.citations import LINKNAMES, SERVICES, citation_source

# The most complete single source: iCite's NIH Open Citation Collection (docs/citations.md).
DEFAULT_SOURCE = "icite"
CITATION_COLUMNS = (*LINK_COLUMNS, "source")

Row = tuple[Any, ...]


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
    """What a run found: its links (rows, or the sum of the counts' `links` column), and per
    service the links it gave (`given`), the PMIDs it gave no answer for (`failed`: their
    counts are empty), the PMIDs it did not know, its requests (`per_service`).

    `before` holds the counts of the batches a --resume skipped (read back from the -o
    journal): `tally()` and `whole()` are the whole run's."""

    links: int = 0
    unknown: dict[str, CountedIds] = field(default_factory=dict)
    per_service: dict[str, Ledger] = field(default_factory=dict)
    given: dict[str, int] = field(default_factory=dict)
    failed: dict[str, CountedIds] = field(default_factory=dict)
    before: Tally = field(default_factory=dict)

    def tally(self) -> Tally:
        """The whole run's counts so far: "links", and "links.SERVICE" per service."""
        now = {"links": self.links, **{f"links.{s}": n for s, n in self.given.items()}}
        keys = dict.fromkeys([*now, *(k for k in self.before if k.startswith("links"))])
        return {k: now.get(k, 0) + self.before.get(k, 0) for k in keys}

    def whole(self, service: str) -> int:
        """The links `service` gave in the whole run."""
        return self.tally().get(f"links.{service}", 0)


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


def check_pmids(ids: Iterable[str]) -> None:
    """Citations link PubMed records by PMID: any other token is a UsageError."""
    for token in ids:
        if not is_uid(token):
            raise UsageError(
                f"{quote(repr(token), 60)} is not a PMID: citations link PubMed records by PMID"
            )


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
    check_pmids(ids)
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
    own = Ledger()
    for name in sources:
        stats.given.setdefault(name, 0)
    with client_for(client, settings, own) as session:
        gens = {}
        done_by = _all_done(sources, hooks)
        for name in sources:
            source = citation_source(session, name, direction, _unknown_to(stats, name))
            per = stats.per_service.setdefault(name, Ledger())
            service_hooks = BatchHooks(skip=hooks.skip, done=done_by(name))
            gens[name] = run_batches(session, ids, batch, source, per, service_hooks)
        failures: dict[str, NCBIError] = {}
        live = dict(gens)
        for _index, chunk in [
            (i, c) for i, c in enumerate(batches(ids, batch)) if i not in hooks.skip
        ]:
            links: dict[str, dict[str, list[str]]] = {i: {} for i in chunk}
            # Per service, the PMIDs of this batch it gave no answer for (given up, not
            # cached with --offline, or the service failed before): their counts are empty.
            missing = {name: set(chunk) for name in sources if name not in live}
            for name, gen in list(live.items()):
                try:
                    answered, result = next(gen)
                except StopIteration:
                    del live[name]
                    missing[name] = set(chunk)
                    continue
                except NCBIError as exc:
                    failures[name] = exc
                    del live[name]
                    missing[name] = set(chunk)
                    continue
                if len(answered) < len(chunk):
                    missing[name] = set(chunk) - set(answered)
                for ls in result.linksets:
                    if len(ls.ids) != 1 or ls.ids[0] not in links:
                        continue
                    found = links[ls.ids[0]]
                    for lsdb in ls.linksetdbs:
                        if lsdb.linkname != linkname:
                            continue
                        for target in lsdb.ids:
                            found.setdefault(target, []).append(name)
            for name in sources:  # in input order
                if name in missing:
                    stats.failed.setdefault(name, CountedIds()).extend(
                        i for i in chunk if i in missing[name]
                    )
            yield (
                _counts(chunk, links, sources, missing, stats)
                if counts
                else _rows(chunk, links, linkname, stats)
            )
        for name, gen in live.items():
            try:
                next(gen)
            except StopIteration:
                pass
            except NCBIError as exc:
                failures[name] = exc
    if failures:
        raise CitationSourceFailure(failures, len(sources) - len(failures))


def _unknown_to(stats: CitationStats, service: str) -> Callable[[str], None]:
    return lambda pmid: stats.unknown.setdefault(service, CountedIds()).append(pmid)


def _all_done(
    sources: Sequence[str], hooks: BatchHooks
) -> Callable[[str], Callable[[int, int], None]]:
    """Each service's `done`: a batch is done (hooks.done, the journal) once every service
    has given all its answers for it, never when one gave up on some of its PMIDs (a
    resumed run asks that batch again, of every service)."""
    waiting: dict[int, set[str]] = {}

    def done_by(name: str) -> Callable[[int, int], None]:
        def done(index: int, n_ids: int) -> None:
            left = waiting.setdefault(index, set(sources))
            left.discard(name)
            if not left:
                del waiting[index]
                hooks.done(index, n_ids)

        return done

    return done_by


def _rows(
    chunk: list[str], links: dict[str, dict[str, list[str]]], linkname: str, stats: CitationStats
) -> list[Row]:
    rows = [
        ("pubmed", pmid, linkname, "pubmed", target, None, pmid, None, ",".join(names))
        for pmid in chunk
        for target, names in links[pmid].items()
    ]
    stats.links += len(rows)
    for pmid in chunk:
        for names in links[pmid].values():
            for name in names:
                stats.given[name] = stats.given.get(name, 0) + 1
    return rows


COUNT_COLUMNS_HEAD = ("source_db", "source_id", "links")


def count_columns(sources: Sequence[str]) -> tuple[str, ...]:
    return (*COUNT_COLUMNS_HEAD, *sources)


def _counts(
    chunk: list[str],
    links: dict[str, dict[str, list[str]]],
    sources: Sequence[str],
    missing: dict[str, set[str]],
    stats: CitationStats,
) -> list[Row]:
    """One row per PMID: its links (those of the services that answered) and each
    service's count; None (an empty cell, null) where the service gave no answer for it,
    never 0, which says it answered with none. `links` is None when none answered."""
    out: list[Row] = []
    for pmid in chunk:
        found = links[pmid]
        per: list[int | None] = []
        for s in sources:
            if pmid in missing.get(s, ()):
                per.append(None)
                continue
            n = sum(1 for names in found.values() if s in names)
            stats.given[s] = stats.given.get(s, 0) + n
            per.append(n)
        answered = any(n is not None for n in per)
        stats.links += len(found)
        out.append(("pubmed", pmid, len(found) if answered else None, *per))
    return out
