"""`link`'s plan."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from elinkcli.commands.batching import check_batch
from elinkcli.commands.plans import Warn, db_named
from elinkcli.constants import DEFAULT_BATCH, LINK_CMDS
from elinkcli.errors import UsageError
from elinkcli.eutils.params import IDTYPES, LinkFilters, elink_params
from elinkcli.ids.tokens import normalize_db
from elinkcli.names import (
    EVERY_TABLE,
    canonical_linkname,
    default_linkname,
    pair_tables,
    source_of,
    target_of,
    vet_names,
)

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
    # `--name all`: every link table of the pair (no linkname sent).
    every_table: bool = False
    # The link name was not given: DB_TARGET, EDirect's default for -target alone.
    default_name: bool = False
    # The database the link name starts from: the source database when nothing else says.
    name_db: str | None = None
    # --idtype acc answered by ELink itself (idtype=acc): for outputs of accessions alone.
    acc_from_elink: bool = False

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
        name = canonical_linkname(name) if name is not None else None
        every_table = name == EVERY_TABLE
        if every_table:
            name = None
        if not target and name and not related:
            target = target_of(name)
        if not target and not related and not name and cmd == "neighbor_score":
            related = True  # EDirect's -cmd score alone: links within the database
        if not target and not related:
            raise UsageError("link needs a target database: --target DB (e.g. -target protein)")
        if history and fmt not in (None, "edirect"):
            raise UsageError("--history writes an ENTREZ_DIRECT message: use --format edirect")
        if history and cmd != "neighbor":
            raise UsageError("--history goes with -cmd neighbor")
        if cmd not in LINK_CMDS:
            raise UsageError(f"unknown --cmd {cmd!r} for link (choose {', '.join(LINK_CMDS)})")
        check_batch(batch)
        if idtype not in IDTYPES:
            raise UsageError(f"unknown --idtype {idtype!r} (choose acc, doi, run)")
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
            every_table=every_table,
            name_db=source_of(name) if name else None,
        )
        if made.db is not None:
            made = made.for_db(made.db)
        return made

    def for_db(self, db: str | None) -> LinkPlan:
        """The plan for an input of `db`: --related's target and link name settled; the
        request checked (filters that do not go together are a UsageError now)."""
        db = db_named(db)
        target = self.target
        name = None if self.default_name else self.name  # chosen again for this db
        default_name = False
        if self.related:
            target = target or db
            if not target:
                raise UsageError("--related links within the source database: give --db")
            name = name or (None if self.every_table else f"{target}_{target}")
        elif name is None and not self.every_table and db and target:
            name = default_linkname(db, target)
            default_name = name is not None
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
        return replace(self, db=db, target=target, name=name, default_name=default_name)

    def accessions_only(self) -> LinkPlan:
        """The plan for an output of the target accessions alone (uid, edirect): ELink is
        asked for them (`idtype=acc`, no ESummary) where it can give them — a sequence
        target, from a database whose ids it still echoes as UIDs."""
        from elinkcli.accessions import SEQUENCE_DBS

        if (
            self.filters.idtype == "acc"
            and self.target in SEQUENCE_DBS
            and self.db is not None
            and self.db not in SEQUENCE_DBS
            and not self.union
        ):
            return replace(self, acc_from_elink=True)
        return self

    def name_note(self) -> str | None:
        """For people: the link name EDirect's default chose, and the pair's other tables."""
        if not self.default_name or not self.db or not self.target:
            return None
        others = [n for n in pair_tables(self.db, self.target) if n != self.name]
        if not others:
            return None
        shown = ", ".join(others[:6]) + (f" and {len(others) - 6} more" if len(others) > 6 else "")
        return (
            f"linked with {self.name} (the default for --target {self.target}, as EDirect's); "
            f"{self.db} -> {self.target} also has {shown}: --name NAME for one, "
            f"--name {EVERY_TABLE} for every table"
        )

    def vet(self, warn: Warn) -> None:
        """Names the catalog does not know, warned about (refused with --strict)."""
        from elinkcli.accessions import DOI_DBS
        from elinkcli.ids.resolve import has_accessions

        assert self.target is not None
        vet_names(warn, strict=self.strict, db=self.db, target=self.target, linkname=self.name)
        for note in self.filters.notes(self.db or self.target):
            warn(note)
        if self.filters.idtype == "doi" and self.target not in DOI_DBS:
            warn(
                f"{self.target} records have no DOI NCBI names (pubmed and pmc do): "
                "target_acc stays empty, and uid and edirect write their UIDs"
            )
        if self.filters.idtype == "run" and self.target != "sra":
            warn(
                f"{self.target} records have no runs (sra experiments do): target_acc stays "
                "empty, and uid and edirect write their UIDs"
            )
        if self.filters.idtype == "acc" and not has_accessions(self.target):
            warn(
                f"{self.target} records have no accession NCBI names: target_acc stays empty, "
                "and uid and edirect write their UIDs"
            )
