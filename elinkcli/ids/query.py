"""A search run again: an Entrez query, with its date limits, read completely as UIDs.

Current EDirect writes PubMed searches as a message with a `<Query>` and no ids or WebEnv;
the next tool runs the query again. PubMed's ESearch hands out no more than the first
9,999 ids of a result, so a larger one is read in UID ranges, `(QUERY) AND FROM:TO[UID]`,
each halved until it holds at most 9,999 ids (as EDirect does). The union must hold
exactly as many ids as ESearch counts for the whole query: a short set is an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from elinkcli.constants import ESEARCH, SEARCH_PAGE, UID_CEILING
from elinkcli.errors import IncompleteSetError
from elinkcli.eutils.client import EutilsClient
from elinkcli.eutils.params import esearch_params

if TYPE_CHECKING:
    from elinkcli.eutils.records import ESearchResult


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A query to run again; `count` is what the message that carried it said."""

    db: str
    term: str
    mindate: str | None = None
    maxdate: str | None = None
    reldate: str | None = None
    datetype: str | None = None
    count: int | None = None

    def describe(self) -> str:
        limits = [
            f"{name} {value}"
            for name, value in (
                ("from", self.mindate),
                ("to", self.maxdate),
                ("last days", self.reldate),
                ("date type", self.datetype),
            )
            if value
        ]
        return f"{self.db} query {self.term!r}" + (f" ({', '.join(limits)})" if limits else "")


def _search(client: EutilsClient, query: SearchQuery, term: str, retmax: int) -> ESearchResult:
    params = esearch_params(
        query.db,
        term,
        retmax=retmax,
        mindate=query.mindate,
        maxdate=query.maxdate,
        reldate=query.reldate,
        datetype=query.datetype,
    )
    from elinkcli.eutils.parsers import parse_esearch  # only when a search is made

    return client.call(ESEARCH, params, parse_esearch, lambda r: r.errors)


def uid_range(term: str, low: int, high: int) -> str:
    return f"({term}) AND {low}:{high}[UID]"


def search_ids(
    client: EutilsClient,
    query: SearchQuery,
    *,
    page: int = SEARCH_PAGE,
    warn: Callable[[str], None] = lambda message: None,
) -> list[str]:
    """Every UID the query finds now, in ESearch's order within each UID range (ranges
    from the highest UIDs down). Raises IncompleteSetError when the ids handed out are
    not as many as ESearch counts."""
    first = _search(client, query, query.term, page)
    total = first.count
    if query.count is not None and query.count != total:
        warn(
            f"the {query.describe()} finds {total} records now; the message on stdin said "
            f"{query.count} (the database changed since the search ran)"
        )
    if total <= page:
        ids = list(dict.fromkeys(first.ids))
    else:
        ids = _read_ranges(client, query, page, _ceiling(client, query, first, page))
    if len(ids) != total:
        raise IncompleteSetError(
            f"ESearch counted {total} records for the {query.describe()} but handed out "
            f"{len(ids)} ids: nothing was linked"
        )
    return ids


def _ceiling(client: EutilsClient, query: SearchQuery, first: ESearchResult, page: int) -> int:
    """An upper bound of the query's UIDs: the highest one on the first page when a search
    above it finds nothing (one request instead of halving down from UID_CEILING)."""
    numeric = [int(i) for i in first.ids if i.isdigit()]
    if numeric:
        highest = max(numeric)
        above = _search(client, query, uid_range(query.term, highest + 1, UID_CEILING), 0)
        if above.count == 0:
            return highest
    return UID_CEILING


def _read_ranges(client: EutilsClient, query: SearchQuery, page: int, ceiling: int) -> list[str]:
    ids: dict[str, None] = {}
    todo = [(1, ceiling)]
    while todo:
        low, high = todo.pop()
        part = _search(client, query, uid_range(query.term, low, high), page)
        if part.count == 0:
            continue
        if part.count <= page:
            if len(part.ids) != part.count:
                raise IncompleteSetError(
                    f"ESearch counted {part.count} records for UIDs {low}-{high} of the "
                    f"{query.describe()} but handed out {len(part.ids)} ids: nothing was linked"
                )
            ids.update(dict.fromkeys(part.ids))
            continue
        if low == high:
            raise IncompleteSetError(f"ESearch counted {part.count} records for the one UID {low}")
        middle = (low + high) // 2
        todo += [(low, middle), (middle + 1, high)]  # the higher half is read first
    return list(ids)
