"""Pure functions that build E-utilities request parameters. No I/O here."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from elinkcli.constants import DATE_TYPES, NEIGHBOR_CMDS
from elinkcli.errors import UsageError
from elinkcli.inert import quote

Params = list[tuple[str, str]]


# --idtype: target_acc filled with accessions (ESummary, or ELink idtype=acc), DOIs
# (ESummary; never sent to ELink), or an sra experiment's runs, one row each (ESummary,
# EFetch runinfo; never sent to ELink).
IDTYPES = (None, "acc", "doi", "run")


@dataclass(frozen=True, slots=True)
class LinkFilters:
    """ELink options that narrow the links returned."""

    term: str | None = None
    datetype: str | None = None
    reldate: int | None = None
    mindate: str | None = None
    maxdate: str | None = None
    idtype: str | None = None
    holding: str | None = None

    def has_dates(self) -> bool:
        return any(v is not None for v in (self.datetype, self.reldate, self.mindate, self.maxdate))

    def notes(self, dbfrom: str | None) -> list[str]:
        """The warnings these filters deserve when linking from `dbfrom` (date_notes)."""
        return date_notes(dbfrom, self)


def identity_params(tool: str, email: str | None, api_key: str | None) -> Params:
    """`tool`, `email` and `api_key`: sent with every request."""
    params = [("tool", tool)]
    if email:
        params.append(("email", email))
    if api_key:
        params.append(("api_key", api_key))
    return params


def elink_params(
    *,
    dbfrom: str,
    cmd: str,
    ids: Sequence[str] = (),
    db: str | None = None,
    linkname: str | None = None,
    filters: LinkFilters = LinkFilters(),
    union: bool = False,
    webenv: str | None = None,
    query_key: str | None = None,
) -> Params:
    """ELink parameters. One `id=` per id keeps one LinkSet per source id; `union` joins them."""
    check_link_params(dbfrom=dbfrom, db=db, cmd=cmd, linkname=linkname, filters=filters)
    params: Params = [("dbfrom", dbfrom), ("cmd", cmd)]
    if db:
        params.append(("db", db))
    if linkname:
        params.append(("linkname", linkname))
    if webenv:
        params += [("WebEnv", webenv), ("query_key", query_key or "1")]
    elif union:
        params.append(("id", ",".join(ids)))
    else:
        params += [("id", i) for i in ids]
    f = filters
    for key, value in (
        ("term", f.term),
        ("datetype", f.datetype),
        ("reldate", f.reldate),
        ("mindate", f.mindate),
        ("maxdate", f.maxdate),
        ("idtype", f.idtype),
        ("holding", f.holding),
    ):
        if value is not None and value != "":
            params.append((key, str(value)))
    return params


def check_link_params(
    *, dbfrom: str, db: str | None, cmd: str, linkname: str | None, filters: LinkFilters
) -> None:
    """Refuse combinations ELink ignores or misreads (docs/reference/eutils-facts.md, facts 4
    and 5), and dates that are no dates. Date filters from another database than pubmed,
    or --mindate without --maxdate, are sent: NCBI has answered them (date_notes has the
    warnings)."""
    neighbor = cmd in NEIGHBOR_CMDS
    if neighbor and not db:
        raise UsageError(f"cmd {cmd} needs a target database (--target)")
    if linkname and not neighbor:
        raise UsageError(f"--name goes with cmd neighbor or neighbor_score, not {cmd}")
    if filters.term and db != dbfrom:
        raise UsageError("--term limits links only within one database: --target must equal --db")
    if filters.has_dates():
        if not neighbor:
            raise UsageError(f"date filters go with cmd neighbor or neighbor_score, not {cmd}")
        if filters.datetype and filters.datetype not in DATE_TYPES:
            raise UsageError(
                f"unknown --datetype {filters.datetype!r} (choose {', '.join(DATE_TYPES)})"
            )
        check_dates(filters)
    if filters.idtype not in (None, "acc"):  # ELink's own idtype (doi and run are never sent)
        raise UsageError(f"unknown idtype {filters.idtype!r} for ELink (only 'acc')")
    if filters.holding and cmd not in ("llinks", "llinkslib"):
        raise UsageError("--holding goes with LinkOut (llinks) only")


# YYYY, YYYY/MM or YYYY/MM/DD, as ELink and ESearch take dates (a month or day of one
# digit too).
_DATE = re.compile(r"([0-9]{4})(?:/([0-9]{1,2})(?:/([0-9]{1,2}))?)?", re.ASCII)


def check_dates(filters: LinkFilters) -> None:
    """Refuse a --mindate / --maxdate that is no YYYY[/MM[/DD]] date, a negative --reldate."""
    for option, value in (("--mindate", filters.mindate), ("--maxdate", filters.maxdate)):
        if value is not None and not _is_date(value):
            raise UsageError(
                f"{option} {quote(repr(value), 80)} is not a date: "
                "write YYYY, YYYY/MM or YYYY/MM/DD"
            )
    if filters.reldate is not None and filters.reldate < 0:
        raise UsageError(f"--reldate is a number of days, not {filters.reldate}")


def _is_date(text: str) -> bool:
    match = _DATE.fullmatch(text)
    if match is None:
        return False
    _, month, day = match.groups()
    return 1 <= int(month or 1) <= 12 and 1 <= int(day or 1) <= 31


def date_notes(dbfrom: str | None, filters: LinkFilters) -> list[str]:
    """Date filters sent although documented otherwise, one warning each (docs/usage.md,
    "Date filters"): from another database than pubmed (docs/reference/eutils-facts.md,
    fact 5, binds them to links from pubmed), and mindate or maxdate alone (documented as
    a pair; NCBI answered `mindate=1995` alone: elink3 in tests/fixtures/eutils)."""
    notes = []
    if filters.has_dates() and dbfrom and dbfrom != "pubmed":
        notes.append(
            f"date filters from {dbfrom}: documented for links from pubmed only; "
            "sent as given (NCBI may ignore them)"
        )
    if filters.mindate is not None and filters.maxdate is None:
        notes.append("--mindate without --maxdate: sent alone, as NCBI has answered it")
    if filters.maxdate is not None and filters.mindate is None:
        notes.append("--maxdate without --mindate: sent alone (NCBI documents them as a pair)")
    return notes


def epost_params(db: str, ids: Sequence[str], webenv: str | None = None) -> Params:
    params: Params = [("db", db), ("id", ",".join(ids))]
    if webenv:
        params.append(("WebEnv", webenv))
    return params


def einfo_params(db: str | None = None) -> Params:
    return [("db", db), ("version", "2.0")] if db else []


def esearch_params(
    db: str,
    term: str,
    *,
    retmax: int,
    mindate: str | None = None,
    maxdate: str | None = None,
    reldate: str | None = None,
    datetype: str | None = None,
) -> Params:
    """ESearch for the UIDs of `term`, with the date limits of an EDirect query message."""
    params: Params = [("db", db), ("term", term), ("retmax", str(retmax))]
    for key, value in (
        ("datetype", datetype),
        ("reldate", reldate),
        ("mindate", mindate),
        ("maxdate", maxdate),
    ):
        if value:
            params.append((key, value))
    return params
