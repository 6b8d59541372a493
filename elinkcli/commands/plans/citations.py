"""The plan of `link --cited / --cites`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from elinkcli.commands.batching import check_batch
from elinkcli.commands.plans import sources_named
from elinkcli.constants import DEFAULT_BATCH
from elinkcli.errors import UsageError
from elinkcli.ids.input import RunInput

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class CitationPlan:
    """`link --cited / --cites`: PubMed citation links from ELink, iCite and Europe PMC."""

    direction: str
    sources: tuple[str, ...]
    batch: int = DEFAULT_BATCH
    counts: bool = False

    @classmethod
    def make(
        cls,
        *,
        direction: str,
        sources: str | Sequence[str] | None = None,
        batch: int = DEFAULT_BATCH,
        counts: bool = False,
    ) -> CitationPlan:
        """`sources`: names (a list, or "icite,elink", or "all"); None or empty: the
        configuration's citations_from, settled by `settled`."""
        from elinkcli.sources.citations import LINKNAMES

        if direction not in LINKNAMES:
            raise UsageError(f"direction must be cited or cites, not {direction!r}")
        check_batch(batch)
        return cls(direction, sources_named(sources), batch, counts)

    def settled(self, citations_from: str) -> CitationPlan:
        """The plan with the configuration's sources when the call named none."""
        if self.sources:
            return self
        from elinkcli.commands.citations import parse_sources

        return replace(self, sources=parse_sources(citations_from))

    @staticmethod
    def check_input(run: RunInput) -> None:
        """Citations link PMIDs given as ids (not a stored set, not another database)."""
        if run.db not in (None, "pubmed"):
            raise UsageError(f"--cited/--cites link PubMed records: the ids are from {run.db}")
        if run.history is not None or run.query is not None:
            raise UsageError(
                "--cited/--cites take PMIDs: expand the set first (efetch -format uid), or give ids"
            )

    @staticmethod
    def check_link_options(
        *,
        cited: bool,
        cites: bool,
        target: str | None,
        name: str | None,
        union: bool,
        history: bool,
        related: bool,
        cmd: str,
        idtype: str | None,
        term: str | None,
    ) -> None:
        """`link` options that do not go with --cited / --cites."""
        if cited and cites:
            raise UsageError("--cited and --cites exclude each other: run one, then the other")
        if target not in (None, "pubmed"):
            raise UsageError("--cited/--cites link PubMed to PubMed: leave out --target")
        clashes = [
            flag
            for flag, on in (
                ("--name", name is not None),
                ("--union", union),
                ("--history", history),
                ("--related", related),
                ("-cmd neighbor_score", cmd != "neighbor"),
                ("--idtype", idtype is not None),
                ("--term", term is not None),
            )
            if on
        ]
        if clashes:
            raise UsageError(f"--cited/--cites do not go with {', '.join(clashes)}")
