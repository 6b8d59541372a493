"""Database and link names checked against the catalog: warnings, or errors with --strict.

The catalog is older than NCBI, so a name it lacks is never refused unless asked to be.
"""

from __future__ import annotations

from collections.abc import Callable

from elinkcli.catalog import Catalog, load_catalog
from elinkcli.errors import UsageError


def _hint(choices: list[str]) -> str:
    return f" (did you mean {' or '.join(choices)}?)" if choices else ""


def name_problems(
    *,
    db: str | None = None,
    target: str | None = None,
    linkname: str | None = None,
    catalog: Catalog | None = None,
) -> list[str]:
    catalog = catalog or load_catalog()
    problems = []
    for label, value in (("database", db), ("target database", target)):
        if value and not catalog.is_database(value):
            problems.append(f"unknown {label} {value!r}{_hint(catalog.suggest_database(value))}")
    if linkname:
        known = catalog.get(linkname)
        if known is None:
            hint = _hint(catalog.suggest_linkname(linkname, db))
            problems.append(f"link name {linkname!r} is not in the catalog{hint}")
        else:
            if db and known.dbfrom and known.dbfrom != db:
                problems.append(f"link name {linkname} starts from {known.dbfrom}, not {db}")
            if target and known.dbto and known.dbto != target:
                problems.append(f"link name {linkname} leads to {known.dbto}, not {target}")
    return problems


def vet_names(
    warn: Callable[[str], None],
    *,
    strict: bool = False,
    db: str | None = None,
    target: str | None = None,
    linkname: str | None = None,
) -> None:
    """Warn about each problem; with `strict`, refuse the first one before any request."""
    problems = name_problems(db=db, target=target, linkname=linkname)
    if strict and problems:
        raise UsageError(f"{problems[0]} (--strict)")
    for problem in problems:
        warn(problem)


def target_of(linkname: str) -> str | None:
    """The database a link name leads to, when the catalog knows it."""
    known = load_catalog().get(linkname)
    return known.dbto or None if known else None
