"""Database and link names checked against the catalog: warnings, or errors with --strict.

The catalog is older than NCBI, so a name it lacks is never refused unless asked to be.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

from elinkcli.catalog import OWN_DATABASES, OWN_LINKNAMES, Catalog, load_catalog
from elinkcli.constants import DB_ALIASES
from elinkcli.errors import UsageError

# A link name is read for its old database names (`nucleotide_protein`) only when it has
# at most this many of them.
_OLD_PARTS = 3


def canonical_linkname(name: str, catalog: Catalog | None = None) -> str:
    """A link name with NCBI's old database name in it (`nucleotide_protein`,
    `protein_nucleotide`, `nucleotide_nucleotide_comp`) as the catalog's name of today
    (`nuccore_protein`...), read as `-db nucleotide` is read as nuccore. Only a form the
    catalog knows is taken (`gene_pmc_nucleotide` stays: no `gene_pmc_nuccore` exists);
    any other name comes back as NCBI spells names (lower case, no spaces around)."""
    name = name.strip().lower()
    parts = name.split("_")
    old = [i for i, part in enumerate(parts) if part in DB_ALIASES]
    if not old or len(old) > _OLD_PARTS:
        return name
    catalog = catalog or load_catalog()
    for n in range(len(old), 0, -1):
        for chosen in combinations(old, n):
            renamed = [DB_ALIASES[p] if i in chosen else p for i, p in enumerate(parts)]
            candidate = "_".join(renamed)
            if catalog.get(candidate) is not None:
                return candidate
    return name


def _same_db(a: str, b: str) -> bool:
    return DB_ALIASES.get(a, a) == DB_ALIASES.get(b, b)


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
        if value and value in OWN_DATABASES and label == "target database":
            continue
        if value and not catalog.is_database(value):
            problems.append(f"unknown {label} {value!r}{_hint(catalog.suggest_database(value))}")
    own = OWN_LINKNAMES.get(linkname.strip().lower()) if linkname else None
    if linkname and own is not None:
        dbfrom, dbto = own
        if db and not _same_db(dbfrom, db):
            problems.append(f"link name {linkname} starts from {dbfrom}, not {db}")
        if target and not _same_db(dbto, target):
            problems.append(f"link name {linkname} leads to {dbto}, not {target}")
    elif linkname:
        known = catalog.get(canonical_linkname(linkname, catalog))
        if known is None:
            hint = _hint(catalog.suggest_linkname(linkname, db))
            problems.append(f"link name {linkname!r} is not in the catalog{hint}")
        else:
            if db and known.dbfrom and not _same_db(known.dbfrom, db):
                problems.append(f"link name {linkname} starts from {known.dbfrom}, not {db}")
            if target and known.dbto and not _same_db(known.dbto, target):
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
    """The database a link name leads to, when the catalog knows it (nuccore for one that
    says nucleotide)."""
    own = OWN_LINKNAMES.get(linkname)
    if own is not None:
        return own[1]
    known = load_catalog().get(canonical_linkname(linkname))
    if known is None or not known.dbto:
        return None
    return DB_ALIASES.get(known.dbto, known.dbto)


def hop_of_linkname(text: str) -> tuple[str, str] | None:
    """A chain hop written as a bare link name (`nucleotide_protein`): (the database it
    leads to, the link name to send), when `text` is no database and the catalog knows the
    name and where it leads; None otherwise."""
    catalog = load_catalog()
    if catalog.is_database(text) or text in DB_ALIASES:
        return None
    name = canonical_linkname(text, catalog)
    target = target_of(name)
    return (target, name) if target else None


# `--name all`: every link table of the pair (ELink without a linkname).
EVERY_TABLE = "all"


def source_of(linkname: str) -> str | None:
    """The database a link name starts from, when the catalog knows it."""
    own = OWN_LINKNAMES.get(linkname)
    if own is not None:
        return own[0]
    known = load_catalog().get(linkname)
    return known.dbfrom or None if known else None


def default_linkname(db: str, target: str) -> str | None:
    """`DB_TARGET`, the link name EDirect's elink asks for with -target alone, when the
    catalog has it; None (every table of the pair) when it does not."""
    name = f"{db}_{target}"
    if name in OWN_LINKNAMES:
        return name  # elinkcli's own (gene_ensembl)
    return name if load_catalog().get(name) is not None else None


def pair_tables(db: str, target: str) -> list[str]:
    """The catalog's link names from `db` to `target`, by name."""
    # elinkcli's own link names to its own databases (gene -> ensembl).
    own = [
        n for n, pair in OWN_LINKNAMES.items() if pair == (db, target) and target in OWN_DATABASES
    ]
    return sorted([li.name for li in load_catalog().from_db(db, target)] + own)
