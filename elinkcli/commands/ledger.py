"""One record per id of a run (the ledger): what became of each source id — linked, found
without links, not echoed by NCBI, answered unasked, failed, rejected, not cached, naming no
record — with the run's counts. The summary, the writers (the eLinkResult document's empty
LinkSets), the warnings and the error that ends a run all read it; the commands and the
batching write it, and nothing else keeps per-id lists.

It counts every id and keeps the names of at most KEEP per outcome (a run may have millions),
except where a name is needed for each id: the ids that end the run with an error (they are
listed in full, elinkcli.output.idfiles), and every id with `keeping_all` (--format xml).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple, Protocol

from elinkcli.errors import (
    CacheMissError,
    GaveUpError,
    PartialFailure,
    PermanentError,
    UnknownIdsError,
)

if TYPE_CHECKING:
    from elinkcli.ids.resolve import IdTable

# Names kept per outcome: the summary lists at most this many, the warnings fewer.
KEEP = 1000
# The start of the error that names the ids NCBI rejected (each "id (NCBI's reason)").
REJECTED = "NCBI rejected id(s): "


class CountedIds(list[str]):
    """Ids counted, the first `keep` of them kept (None: all): len() is the count, the items
    are the ones kept."""

    def __init__(self, keep: int | None = KEEP) -> None:
        super().__init__()
        self.keep = keep
        self.total = 0

    def append(self, item: str) -> None:
        self.total += 1
        if self.keep is None or super().__len__() < self.keep:
            super().append(item)

    def extend(self, items: Iterable[str]) -> None:
        for item in items:
            self.append(item)

    def __len__(self) -> int:
        return self.total

    def __bool__(self) -> bool:
        return self.total > 0


# A run's counts by name ("with", "links", "links.icite"...), as an -o run's journal keeps
# them after each finished batch (elinkcli.output.files) and a --resume reads them back.
Tally = dict[str, int]


class Tallied(Protocol):
    """What counts a run (a Ledger, a CitationStats): `tally()`, the whole run's counts so
    far (`before` included); `before`, those of the batches a --resume skips (with "ids",
    how many ids they held), read back from the journal."""

    before: Tally

    def tally(self) -> Tally: ...


class RejectedIdsError(PermanentError):
    """Ids NCBI rejected (each with its reason); the other ids' rows stand."""

    def __init__(self, rejected: Sequence[str]) -> None:
        super().__init__(REJECTED + "; ".join(rejected))
        self.rejected = tuple(rejected)


class Mark(NamedTuple):
    """Where a part of a run began in the ledger's records of failure."""

    misses: int
    gave_up: int
    rejected: int
    unknown: int


@dataclass(slots=True)
class Ledger:
    """The record of one run, filled in as batches finish."""

    ids_in: int = 0
    # The run's source ids in input order, once known (tokens resolved, a query or History
    # set expanded); kept with `keeping_all` only.
    tokens: list[str] = field(default_factory=list)
    ids_with_links: CountedIds = field(default_factory=CountedIds)
    ids_without_links: CountedIds = field(default_factory=CountedIds)
    ids_not_echoed: CountedIds = field(default_factory=CountedIds)
    # "TOKEN (UID)": a record a study/sample token stands for that NCBI did not answer,
    # while others of the token were (the token is counted by what those gave).
    members_not_echoed: CountedIds = field(default_factory=CountedIds)
    ids_unexpected: CountedIds = field(default_factory=CountedIds)
    ids_failed: CountedIds = field(default_factory=CountedIds)
    # (source id, link name, link count) where the count reached the table's cap.
    capped: list[tuple[str, str, int]] = field(default_factory=list)
    links: int = 0
    requests: int = 0
    retries: int = 0
    cache_hits: int = 0
    # Source ids answered by each origin: a local table ("gene2pubmed 2026-12-01") or
    # "ELink" (elinkcli.sources.tables), when a table answered any.
    origins: dict[str, int] = field(default_factory=dict)
    # Ids a local table answered without links, and the table (its first KEEP), and why
    # ids got no links where that is known (elinkcli.commands.why, `link --why`).
    empty_in_table: dict[str, str] = field(default_factory=dict)
    why: dict[str, str] = field(default_factory=dict)
    # --adaptive-batch: ids in each request made, in order.
    request_sizes: list[int] = field(default_factory=list)
    # What kept ids from being linked, raised once its part of the run is over (settle):
    # ids not in the cache with --offline; requests given up after retries (their ids);
    # ids NCBI rejected, "id (reason)"; tokens that name no record, (token, why).
    misses: list[str] = field(default_factory=list)
    gave_up: list[GaveUpError] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    unknown: list[tuple[str, str]] = field(default_factory=list)
    # Whether the run's length was announced (once a run).
    announced: bool = False
    keep_all: bool = False
    # The counts of the batches finished before a --resume (Tallied): the summary is the
    # whole run's.
    before: Tally = field(default_factory=dict)

    @classmethod
    def keeping_all(cls, tokens: Sequence[str] = ()) -> Ledger:
        """A ledger that keeps every id's name (the eLinkResult writer places each); its
        tokens, when already known."""
        return cls(
            tokens=list(tokens),
            ids_with_links=CountedIds(None),
            ids_without_links=CountedIds(None),
            ids_not_echoed=CountedIds(None),
            members_not_echoed=CountedIds(None),
            ids_unexpected=CountedIds(None),
            ids_failed=CountedIds(None),
            keep_all=True,
        )

    def tally(self) -> Tally:
        """The whole run's counts so far: this process's, and those finished before a
        --resume (`before`)."""
        now = {
            "with": len(self.ids_with_links),
            "without": len(self.ids_without_links),
            "not_echoed": len(self.ids_not_echoed),
            "members_not_echoed": len(self.members_not_echoed),
            "unexpected": len(self.ids_unexpected),
            "failed": len(self.ids_failed),
            "links": self.links,
        }
        return {key: n + self.before.get(key, 0) for key, n in now.items()}

    def set_tokens(self, tokens: Sequence[str]) -> None:
        """The run's source ids, once known (kept only when every name is)."""
        if self.keep_all:
            self.tokens[:] = tokens

    def members_missing(self, token: str, uids: Iterable[str]) -> None:
        """Records of `token` (one standing for several) that NCBI did not answer."""
        self.members_not_echoed.extend(f"{token} ({u})" for u in uids)

    def record_table(self, table: IdTable) -> None:
        """What resolving the ids found: tokens naming no record, requests given up."""
        self.unknown.extend(table.problems)
        self.gave_up.extend(table.failed)

    def mark(self) -> Mark:
        return Mark(len(self.misses), len(self.gave_up), len(self.rejected), len(self.unknown))

    def settle(self, since: Mark | None = None, *, requests_only: bool = False) -> None:
        """Raise what was recorded since `since` (a part of the run): ids not cached
        (CacheMissError), else requests given up (PartialFailure, exit 4), else ids NCBI
        rejected (RejectedIdsError), else tokens naming no record (UnknownIdsError, 3).
        `requests_only`: the first two only (what the batching itself records)."""
        since = since or Mark(0, 0, 0, 0)
        misses = self.misses[since.misses :]
        if misses:
            raise CacheMissError(misses)
        gave_up = self.gave_up[since.gave_up :]
        if gave_up:
            raise PartialFailure(gave_up)
        if requests_only:
            return
        rejected = self.rejected[since.rejected :]
        if rejected:
            raise RejectedIdsError(rejected)
        unknown = self.unknown[since.unknown :]
        if unknown:
            raise UnknownIdsError(unknown)
