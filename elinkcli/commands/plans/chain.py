"""`chain`'s plan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from elinkcli.commands.batching import check_batch
from elinkcli.commands.plans import Warn, db_named, sources_named
from elinkcli.constants import DEFAULT_BATCH, WARN_ABOVE
from elinkcli.errors import UsageError

if TYPE_CHECKING:
    from elinkcli.commands.chain import Hop


@dataclass(frozen=True)
class ChainPlan:
    """`chain`: several hops, every complete path from a source id to a final id."""

    db: str | None
    hops: tuple[Hop, ...]
    max_per_hop: int | None = None
    warn_above: int = WARN_ABOVE
    batch: int = DEFAULT_BATCH
    strict: bool = False
    # The sources of citation hops; empty: the configuration's (see `settled`).
    citations_from: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def make(
        cls,
        *,
        db: str | None,
        hops: Sequence[str | Hop],
        max_per_hop: int | None = None,
        warn_above: int = WARN_ABOVE,
        batch: int = DEFAULT_BATCH,
        strict: bool = False,
        citations_from: str | Sequence[str] | None = None,
    ) -> ChainPlan:
        from elinkcli.commands.chain import Hop

        parsed = tuple(h if isinstance(h, Hop) else Hop.parse(h) for h in hops)
        if max_per_hop is not None and max_per_hop < 1:
            raise UsageError("--max-per-hop must be at least 1")
        if warn_above < 1:
            raise UsageError("--warn-above must be at least 1")
        check_batch(batch)
        sources = sources_named(citations_from)
        made = cls(db_named(db), parsed, max_per_hop, warn_above, batch, strict, sources)
        return made.for_db(made.db) if made.db else made

    def for_db(self, db: str | None) -> ChainPlan:
        """The path checked from `db` (a hop that cannot follow the one before is a
        UsageError; unknown names are warnings, kept for `vet`)."""
        db = db_named(db) or ""
        from elinkcli.commands.chain import plan, settle_names

        hops = settle_names(db, self.hops)
        warnings = plan(db, hops, strict=self.strict)
        return replace(self, db=db, hops=hops, warnings=tuple(warnings))

    def settled(self, citations_from: str) -> ChainPlan:
        """The plan with the configuration's citation sources when the call named none."""
        if self.citations_from:
            return self
        from elinkcli.commands.citations import parse_sources

        return replace(self, citations_from=parse_sources(citations_from))

    def vet(self, warn: Warn) -> None:
        for warning in self.warnings:
            warn(warning)
