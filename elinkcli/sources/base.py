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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from elinkcli.eutils.records import ELinkResult


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


@dataclass(frozen=True)
class FunctionSource:
    """A source from a function: `answer(uids)`, cached under `signature` (None: not)."""

    function: Callable[[list[str]], ELinkResult]
    signature: str | None = None

    def answer(self, uids: list[str]) -> ELinkResult:
        return self.function(uids)
