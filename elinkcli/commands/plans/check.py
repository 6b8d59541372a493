"""`check`'s plan."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from elinkcli.commands.batching import check_batch
from elinkcli.commands.plans import Warn, db_named
from elinkcli.constants import DEFAULT_BATCH
from elinkcli.errors import UsageError
from elinkcli.names import canonical_linkname, vet_names

if TYPE_CHECKING:
    pass


CHECK_CMDS = ("ncheck", "lcheck")


@dataclass(frozen=True)
class CheckPlan:
    """`check`: ELink ncheck, lcheck, or acheck for one link name."""

    db: str | None
    cmd: str | None
    name: str | None
    keep: str | None = None  # "Y" or "N": only the rows with that answer
    batch: int = DEFAULT_BATCH
    strict: bool = False

    @classmethod
    def make(
        cls,
        *,
        db: str | None,
        cmd: str | None = None,
        name: str | None = None,
        only: str | None = None,
        batch: int = DEFAULT_BATCH,
        strict: bool = False,
    ) -> CheckPlan:
        if (cmd is None) == (name is None):
            raise UsageError("check needs exactly one of --cmd ncheck, --cmd lcheck or --name")
        if cmd is not None and cmd not in CHECK_CMDS:
            raise UsageError(f"unknown --cmd {cmd!r} for check (choose ncheck or lcheck)")
        if only not in (None, "yes", "no"):
            raise UsageError(f"--only must be yes or no, not {only!r}")
        check_batch(batch)
        keep = {"yes": "Y", "no": "N"}.get(only) if only else None
        # An old `nucleotide_*` name is asked as NCBI names it today (acheck lists those).
        name = canonical_linkname(name) if name is not None else None
        return cls(db_named(db), cmd, name, keep, batch, strict)

    def for_db(self, db: str | None) -> CheckPlan:
        return replace(self, db=db_named(db))

    def vet(self, warn: Warn) -> None:
        vet_names(warn, strict=self.strict, db=self.db, linkname=self.name)

    @property
    def label(self) -> str:
        return self.cmd or self.name or ""
