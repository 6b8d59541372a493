"""The one interface of a source of links: answer a batch of UIDs for one request.

A source is what `link`, `check`, `discover`, `linkout`, `chain` and the citation links ask;
elinkcli.commands.batching runs every source the same way — batches in input order, the
cache (per UID, under the source's signature), --offline, the --resume journal, failures
kept for the end, and each answer's ids mapped back to the tokens the user gave. Pacing and
retries are the client's (elinkcli.eutils), for every source that asks over HTTP.

A new source of links (local link tables, another service) is one module here with a class
that has these two members; no command changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from elinkcli.eutils.params import LinkFilters, Params, elink_params
from elinkcli.eutils.records import ELinkResult


@dataclass(frozen=True)
class LinkRequest:
    """What a command asks of every batch, in ELink's terms, without the ids: the source
    database, the command (neighbor, acheck, ncheck, lcheck, llinks, prlinks...), the target
    database and link name, the limits, one merged set (union), a stored History set."""

    dbfrom: str
    cmd: str
    db: str | None = None
    linkname: str | None = None
    filters: LinkFilters = field(default_factory=LinkFilters)
    union: bool = False
    webenv: str | None = None
    query_key: str | None = None
    # The link name an acheck answer is read for (`check --name`): never sent, so a source
    # of that one link name (a local table) can answer in its place.
    asks: str | None = None
    # What the rows' target_acc will hold (`--idtype acc|doi|run`, filled after the links
    # are in): never sent; a source may get it ready beside its answer (a local table's
    # runs of the experiments it answers).
    target_acc: str | None = None

    def params(self, uids: Sequence[str]) -> Params:
        """ELink's parameters for these UIDs (none: the request's name in the cache)."""
        return elink_params(
            dbfrom=self.dbfrom,
            cmd=self.cmd,
            ids=uids,
            db=self.db,
            linkname=self.linkname,
            filters=self.filters,
            union=self.union,
            webenv=self.webenv,
            query_key=self.query_key,
        )


class LinkSource(Protocol):
    """Where the links of a batch of UIDs come from."""

    @property
    def signature(self) -> str | None:
        """What names this source's request (without ids) in the cache; None: not cached."""
        ...

    def answer(self, uids: list[str]) -> ELinkResult:
        """The answer for these UIDs, in ELink's shape: one LinkSet per UID that echoes it
        (ids that name nothing may be left out). Raises the errors of elinkcli.errors:
        GaveUpError fails the batch and the run goes on; others end the run."""
        ...


def request_size(source: LinkSource, asked: int) -> int:
    """How many ids to ask a source at once: its own `request_size` when it has one (a
    local table answers 50,000 ids in one query as fast as 100), else the run's --batch."""
    size = getattr(source, "request_size", None)
    return size if isinstance(size, int) and size > 0 else asked


def is_local(source: LinkSource) -> bool:
    """A source that asks no network (a local table): --offline does not stop it."""
    return bool(getattr(source, "local", False))


@dataclass(frozen=True)
class FunctionSource:
    """A source from a function: `answer(uids)`, cached under `signature` (None: not)."""

    function: Callable[[list[str]], ELinkResult]
    signature: str | None = None

    def answer(self, uids: list[str]) -> ELinkResult:
        return self.function(uids)
