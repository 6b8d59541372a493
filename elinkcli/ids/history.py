"""The History server: expand a stored set to ids, store ids, link into a stored set. (The
parsers, and the XML stack under them, are imported where a request is made: a run answered
from the cache makes none.)"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from elinkcli.constants import (
    DEFAULT_BATCH,
    EFETCH,
    ELINK,
    EPOST,
    EPOST_BATCH,
    ESEARCH,
    UILIST_PAGE,
)
from elinkcli.errors import IncompleteSetError, PermanentError
from elinkcli.eutils.client import EutilsClient
from elinkcli.eutils.params import LinkFilters, elink_params, epost_params

if TYPE_CHECKING:
    from elinkcli.eutils.records import ESearchResult, UidList

# A page of a stored set shorter than the set's count implies is asked this many times.
SHORT_PAGE_TRIES = 3


@dataclass(frozen=True, slots=True)
class HistorySet:
    db: str
    webenv: str
    query_key: str
    count: int | None = None


def expand(
    client: EutilsClient, hs: HistorySet, page: int = UILIST_PAGE, tries: int = SHORT_PAGE_TRIES
) -> list[str]:
    """Every id of a stored set, paged with retstart (no cap at 9,999 or 10,000).

    The set's count (asked of ESearch when `hs` has none) says how many ids each page must
    hold: a short page is asked again, up to `tries` times, then IncompleteSetError.
    """
    count = hs.count if hs.count is not None else history_count(client, hs)
    ids: list[str] = []
    try:
        for page_ids in expand_pages(client, hs, count, page, tries):
            ids.extend(page_ids)
    except IncompleteSetError as exc:
        raise IncompleteSetError(f"{exc}; nothing was linked") from None
    return ids


def expand_pages(
    client: EutilsClient,
    hs: HistorySet,
    count: int,
    page: int = UILIST_PAGE,
    tries: int = SHORT_PAGE_TRIES,
) -> Iterator[tuple[str, ...]]:
    """The ids of a stored set of `count` ids, a page at a time (see expand)."""
    from elinkcli.eutils.parsers import parse_uilist

    done = 0
    short = 0
    while done < count:
        want = min(page, count - done)
        params = [
            ("db", hs.db),
            ("WebEnv", hs.webenv),
            ("query_key", hs.query_key),
            ("rettype", "uilist"),
            ("retmode", "text"),
            ("retstart", str(done)),
            ("retmax", str(want)),
        ]
        chunk: UidList = client.call(EFETCH, params, parse_uilist, lambda r: r.errors)
        if len(chunk.ids) < want:
            short += 1
            if short < tries:
                continue
            got = done + len(chunk.ids)
            raise IncompleteSetError(
                f"the History server returned {got} of the {count} ids of query "
                f"#{hs.query_key}, asked {tries} times (has the WebEnv expired?)"
            )
        short = 0
        done += want
        yield chunk.ids[:want]


class HistoryIds:
    """A stored set's ids, expanded a page at a time and handed out in windows, as
    packed_ids.PackedIds hands out a long input: memory follows one window, never the set."""

    def __init__(self, client: EutilsClient, hs: HistorySet, page: int = UILIST_PAGE) -> None:
        self.client = client
        self.hs = hs
        self.page = page
        self.count = hs.count if hs.count is not None else history_count(client, hs)

    def windows(self, size: int) -> Iterator[tuple[list[str], int]]:
        """(ids, how many of the set are read so far), repeats dropped, `size` at a time."""
        from elinkcli.ids.packed import seen_store

        pending: list[str] = []
        read = 0
        with seen_store() as seen:
            pages = expand_pages(self.client, self.hs, self.count, self.page)
            try:
                for ids in pages:
                    pending.extend(ids)
                    read += len(ids)
                    while len(pending) >= size or (read >= self.count and pending):
                        window, pending = pending[:size], pending[size:]
                        fresh = seen.keep_new(list(dict.fromkeys(window)))
                        if fresh:
                            yield fresh, read - len(pending)
            except IncompleteSetError as exc:
                done = "nothing was linked" if read == 0 else "the ids before them are linked"
                raise IncompleteSetError(f"{exc}; {done}") from None


def history_count(client: EutilsClient, hs: HistorySet) -> int:
    """How many ids a stored set holds (ESearch `#KEY`, retmax 0)."""
    params = [
        ("db", hs.db),
        ("term", f"#{hs.query_key}"),
        ("WebEnv", hs.webenv),
        ("retmax", "0"),
    ]
    from elinkcli.eutils.parsers import parse_esearch

    result: ESearchResult = client.call(ESEARCH, params, parse_esearch, _errors)
    return result.count


def post(client: EutilsClient, db: str, ids: Sequence[str], batch: int = EPOST_BATCH) -> HistorySet:
    """Store ids on the History server, in batches into one WebEnv, as one query key."""
    from elinkcli.eutils.parsers import parse_epost

    webenv: str | None = None
    keys: list[str] = []
    for start in range(0, len(ids), batch):
        result = client.call(
            EPOST, epost_params(db, ids[start : start + batch], webenv), parse_epost, _errors
        )
        if not result.webenv or not result.query_key:
            raise PermanentError("EPost answered without WebEnv or QueryKey")
        webenv = result.webenv
        keys.append(result.query_key)
    if webenv is None:
        raise PermanentError("nothing to post: the id list is empty")
    return combine(client, db, webenv, keys)


def combine(client: EutilsClient, db: str, webenv: str, keys: Sequence[str]) -> HistorySet:
    """One query key for the union of `keys` (ESearch `#1 OR #2 ...`), with its count."""
    term = " OR ".join(f"#{k}" for k in dict.fromkeys(keys))
    params = [("db", db), ("term", term), ("WebEnv", webenv), ("usehistory", "y")]
    params.append(("retmax", "0"))
    from elinkcli.eutils.parsers import parse_esearch

    result: ESearchResult = client.call(ESEARCH, params, parse_esearch, _errors)
    return HistorySet(db, result.webenv or webenv, result.query_key or keys[-1], result.count)


def link_to_history(
    client: EutilsClient,
    *,
    db: str,
    target: str,
    ids: Sequence[str] = (),
    source: HistorySet | None = None,
    name: str | None = None,
    filters: LinkFilters = LinkFilters(),
    batch: int = DEFAULT_BATCH,
) -> HistorySet:
    """ELink neighbor_history: the links of `ids` (or of a stored set) stored as one set.

    Ids that fit in one request go to ELink directly; more are posted first (EPost in
    batches into one WebEnv). Every link table that comes back is merged into one key.
    """
    if source is None and len(ids) > batch:
        source = post(client, db, ids)
    params = elink_params(
        dbfrom=db,
        db=target,
        cmd="neighbor_history",
        ids=ids if source is None else (),
        union=True,
        linkname=name,
        filters=filters,
        webenv=source.webenv if source else None,
        query_key=source.query_key if source else None,
    )
    from elinkcli.eutils.elink_parser import parse_elink

    result = client.call(ELINK, params, parse_elink, lambda r: r.all_errors())
    keys = [h.query_key for ls in result.linksets for h in ls.histories if h.query_key]
    webenv = next((ls.webenv for ls in result.linksets if ls.webenv), None)
    webenv = webenv or (source.webenv if source else None)
    if not keys or webenv is None:
        return HistorySet(target, webenv or "", "", 0)
    return combine(client, target, webenv, keys)


def _errors(result: object) -> Sequence[str]:
    return getattr(result, "errors", ())
