"""What each command is asked to do: its options after inference, checked and frozen, made in
one place. The command line (elinkcli.cli) and the Python API (elinkcli.api) both build a
plan here from what the user gave, and both run it through elinkcli.commands.runs.

Making a plan needs no network and opens no file: a bad option is a UsageError at once,
before any request or output. What depends on the input (its database, for `-related`)
is settled by `for_db` once the input is read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from elinkcli.commands.batching import check_batch
from elinkcli.constants import DEFAULT_BATCH, LINK_CMDS, WARN_ABOVE
from elinkcli.errors import UsageError
from elinkcli.eutils.params import LinkFilters, elink_params
from elinkcli.ids.input import RunInput
from elinkcli.ids.tokens import normalize_db
from elinkcli.names import target_of, vet_names

if TYPE_CHECKING:
    from elinkcli.commands.chain import Hop
    from elinkcli.commands.linkout import ResourceFilter

Warn = Callable[[str], None]
CHECK_CMDS = ("ncheck", "lcheck")


def _sources(sources: str | Sequence[str] | None) -> tuple[str, ...]:
    """Citation services named (a list, or "icite,elink", or "all"); none: ()."""
    text = sources if sources is None or isinstance(sources, str) else ",".join(sources)
    if not text:
        return ()
    from elinkcli.commands.citations import parse_sources

    return parse_sources(text)


def _db(db: str | None) -> str | None:
    return normalize_db(db) if db else None


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
            db=_db(db),
            target=_db(target),
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
        db = _db(db)
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
        return cls(direction, _sources(sources), batch, counts)

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
        return cls(_db(db), cmd, name, keep, batch, strict)

    def for_db(self, db: str | None) -> CheckPlan:
        return replace(self, db=_db(db))

    def vet(self, warn: Warn) -> None:
        vet_names(warn, strict=self.strict, db=self.db, linkname=self.name)

    @property
    def label(self) -> str:
        return self.cmd or self.name or ""


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
        return cls(_db(db), _db(target), batch, strict)

    def for_db(self, db: str | None) -> DiscoverPlan:
        db = _db(db)
        if not db:
            raise UsageError("discover needs a database: --db DB")
        return replace(self, db=db)

    def vet(self, warn: Warn) -> None:
        vet_names(warn, strict=self.strict, db=self.db, target=self.target)


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
            dbfrom=_db(db) or "pubmed", cmd=MODES[mode], filters=LinkFilters(holding=holding)
        )
        return cls(_db(db), mode, holding, where, batch, strict)

    def for_db(self, db: str | None) -> LinkoutPlan:
        return replace(self, db=_db(db))

    def vet(self, warn: Warn) -> None:
        vet_names(warn, strict=self.strict, db=self.db)


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
        sources = _sources(citations_from)
        made = cls(_db(db), parsed, max_per_hop, warn_above, batch, strict, sources)
        return made.for_db(made.db) if made.db else made

    def for_db(self, db: str | None) -> ChainPlan:
        """The path checked from `db` (a hop that cannot follow the one before is a
        UsageError; unknown names are warnings, kept for `vet`)."""
        db = _db(db) or ""
        from elinkcli.commands.chain import plan

        warnings = plan(db, self.hops, strict=self.strict)
        return replace(self, db=db, warnings=tuple(warnings))

    def settled(self, citations_from: str) -> ChainPlan:
        """The plan with the configuration's citation sources when the call named none."""
        if self.citations_from:
            return self
        from elinkcli.commands.citations import parse_sources

        return replace(self, citations_from=parse_sources(citations_from))

    def vet(self, warn: Warn) -> None:
        for warning in self.warnings:
            warn(warning)
