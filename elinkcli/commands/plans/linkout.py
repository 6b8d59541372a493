"""`linkout`'s plan."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from elinkcli.commands.batching import check_batch
from elinkcli.commands.plans import Warn, db_named
from elinkcli.constants import DEFAULT_BATCH
from elinkcli.errors import UsageError
from elinkcli.eutils.params import LinkFilters, elink_params
from elinkcli.names import vet_names

if TYPE_CHECKING:
    from elinkcli.commands.linkout import ResourceFilter


@dataclass(frozen=True)
class LinkoutPlan:
    """`linkout`: ELink llinks, prlinks or llinkslib, resources filtered."""

    db: str | None
    mode: str = "all"
    holding: str | None = None
    where: ResourceFilter | None = None
    batch: int = DEFAULT_BATCH
    strict: bool = False

    @classmethod
    def make(
        cls,
        *,
        db: str | None,
        mode: str = "all",
        holding: str | None = None,
        where: ResourceFilter | None = None,
        batch: int = DEFAULT_BATCH,
        strict: bool = False,
    ) -> LinkoutPlan:
        from elinkcli.commands.linkout import MODES

        if mode not in MODES:
            raise UsageError(f"unknown LinkOut mode {mode!r}")
        if holding and mode == "primary":
            raise UsageError("--holding goes with llinks or --libraries, not --primary")
        check_batch(batch)
        elink_params(
            dbfrom=db_named(db) or "pubmed", cmd=MODES[mode], filters=LinkFilters(holding=holding)
        )
        return cls(db_named(db), mode, holding, where, batch, strict)

    def for_db(self, db: str | None) -> LinkoutPlan:
        return replace(self, db=db_named(db))

    def vet(self, warn: Warn) -> None:
        vet_names(warn, strict=self.strict, db=self.db)
