"""Pure functions that build E-utilities request parameters. No I/O here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from elinkcli.constants import DATE_TYPES, NEIGHBOR_CMDS
from elinkcli.errors import UsageError

Params = list[tuple[str, str]]


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
    and 5)."""
    neighbor = cmd in NEIGHBOR_CMDS
    if neighbor and not db:
        raise UsageError(f"cmd {cmd} needs a target database (--target)")
    if linkname and not neighbor:
        raise UsageError(f"--name goes with cmd neighbor or neighbor_score, not {cmd}")
    if filters.term and db != dbfrom:
        raise UsageError("--term limits links only within one database: --target must equal --db")
    if filters.has_dates():
        if not neighbor or dbfrom != "pubmed":
            raise UsageError("date filters work only when linking from pubmed with cmd neighbor")
        if filters.datetype and filters.datetype not in DATE_TYPES:
            raise UsageError(
                f"unknown --datetype {filters.datetype!r} (choose {', '.join(DATE_TYPES)})"
            )
        if (filters.mindate is None) != (filters.maxdate is None):
            raise UsageError("--mindate and --maxdate go together")
    if filters.idtype not in (None, "acc"):
        raise UsageError(f"unknown --idtype {filters.idtype!r} (only 'acc')")
    if filters.holding and cmd not in ("llinks", "llinkslib"):
        raise UsageError("--holding goes with LinkOut (llinks) only")


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
