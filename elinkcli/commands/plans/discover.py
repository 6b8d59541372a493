"""`discover`'s plan."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from elinkcli.commands.batching import check_batch
from elinkcli.commands.plans import Warn, db_named
from elinkcli.constants import DEFAULT_BATCH
from elinkcli.errors import UsageError
from elinkcli.names import vet_names

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class DiscoverPlan:
    """`discover`: the link names of a database, or of each record (acheck)."""

    db: str | None
    target: str | None = None
    batch: int = DEFAULT_BATCH
    strict: bool = False

    @classmethod
    def make(
        cls,
        *,
        db: str | None,
        target: str | None = None,
        batch: int = DEFAULT_BATCH,
        strict: bool = False,
        fmt: str | None = None,
    ) -> DiscoverPlan:
        check_batch(batch)
        if fmt == "edirect":
            raise UsageError("discover lists link names, not records: choose another --format")
        return cls(db_named(db), db_named(target), batch, strict)

    def for_db(self, db: str | None) -> DiscoverPlan:
        db = db_named(db)
        if not db:
            raise UsageError("discover needs a database: --db DB")
        return replace(self, db=db)

    def vet(self, warn: Warn) -> None:
        vet_names(warn, strict=self.strict, db=self.db, target=self.target)
