"""`link`'s plan."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from elinkcli.commands.batching import check_batch
from elinkcli.commands.plans import Warn, db_named
from elinkcli.constants import DEFAULT_BATCH, LINK_CMDS
from elinkcli.errors import UsageError
from elinkcli.eutils.params import LinkFilters, elink_params
from elinkcli.ids.tokens import normalize_db
from elinkcli.names import target_of, vet_names

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class LinkPlan:
    """`link`: ELink neighbor / neighbor_score (or neighbor_history with `history`)."""

    db: str | None
    target: str | None
    name: str | None = None
    cmd: str = "neighbor"
    related: bool = False
    union: bool = False
    history: bool = False
    filters: LinkFilters = field(default_factory=LinkFilters)
    batch: int = DEFAULT_BATCH
    strict: bool = False
    # A long input is linked window by window (not with --union, --history or an eLinkResult
    # document to write: those need every id at once).
    windowed: bool = True

    @classmethod
    def make(
        cls,
        *,
        db: str | None,
        target: str | None = None,
        name: str | None = None,
        cmd: str = "neighbor",
        related: bool = False,
        union: bool = False,
        history: bool = False,
        term: str | None = None,
        datetype: str | None = None,
        reldate: int | None = None,
        mindate: str | None = None,
        maxdate: str | None = None,
        idtype: str | None = None,
        batch: int = DEFAULT_BATCH,
        strict: bool = False,
        fmt: str | None = None,
    ) -> LinkPlan:
        """The plan of these options (fmt: the output format asked, if any)."""
        if related and target and db and normalize_db(target) != normalize_db(db):
            raise UsageError("--related links within --db: leave out --target, or drop --related")
        if not target and name and not related:
            target = target_of(name)
        if not target and not related:
            raise UsageError("link needs a target database: --target DB (e.g. -target protein)")
        if history and fmt not in (None, "edirect"):
            raise UsageError("--history writes an ENTREZ_DIRECT message: use --format edirect")
        if history and cmd != "neighbor":
            raise UsageError("--history goes with -cmd neighbor")
        if cmd not in LINK_CMDS:
            raise UsageError(f"unknown --cmd {cmd!r} for link (choose {', '.join(LINK_CMDS)})")
        check_batch(batch)
        filters = LinkFilters(
            term=term,
            datetype=datetype,
            reldate=reldate,
            mindate=mindate,
            maxdate=maxdate,
            idtype=idtype,
        )
        made = cls(
            db=db_named(db),
            target=db_named(target),
            name=name,
            cmd=cmd,
            related=related,
            union=union,
            history=history,
            filters=filters,
            batch=batch,
            strict=strict,
            windowed=not (union or history or fmt == "xml"),
        )
        if made.db is not None:
            made = made.for_db(made.db)
        return made

    def for_db(self, db: str | None) -> LinkPlan:
        """The plan for an input of `db`: --related's target and link name settled; the
        request checked (filters that do not go together are a UsageError now)."""
        db = db_named(db)
        target, name = self.target, self.name
        if self.related:
            target = target or db
            if not target:
                raise UsageError("--related links within the source database: give --db")
            name = name or f"{target}_{target}"
        assert target is not None
        request_filters = replace(self.filters, idtype=None)
        elink_params(
            dbfrom=db or target,
            db=target,
            cmd=self.cmd,
            linkname=name,
            filters=request_filters,
            union=self.union,
        )
        return replace(self, db=db, target=target, name=name)

    def vet(self, warn: Warn) -> None:
        """Names the catalog does not know, warned about (refused with --strict)."""
        from elinkcli.ids.resolve import has_accessions

        assert self.target is not None
        vet_names(warn, strict=self.strict, db=self.db, target=self.target, linkname=self.name)
        if self.filters.idtype == "acc" and not has_accessions(self.target):
            warn(f"{self.target} records have no accession NCBI names: target_acc stays empty")
