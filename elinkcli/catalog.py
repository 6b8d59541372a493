"""The bundled link-name catalog (built by build_catalog), and name suggestions."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

CATALOG_FILE = Path(__file__).parent / "data" / "catalog.json"

# elinkcli's own link names, which ELink does not have, answered by local tables alone
# (elinkcli.tables.catalog says which): {name: (source database, target database)}.
OWN_LINKNAMES: dict[str, tuple[str, str]] = {
    "gene_gene_ortholog": ("gene", "gene"),
    "gene_ensembl": ("gene", "ensembl"),
    "gene_ensembl_transcript": ("gene", "ensembl"),
    "gene_ensembl_protein": ("gene", "ensembl"),
}
# The target databases of those that are no Entrez database.
OWN_DATABASES = ("ensembl",)


@dataclass(frozen=True, slots=True)
class LinkName:
    name: str
    dbfrom: str
    dbto: str
    # "source" (a real source states dbfrom/dbto), "pattern" (derived from the name), "".
    placed_by: str
    menu: str
    description: str
    max_links: int | None
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    built: str
    databases: tuple[str, ...]
    linknames: dict[str, LinkName]

    def get(self, name: str) -> LinkName | None:
        return self.linknames.get(name)

    def from_db(self, db: str, target: str | None = None) -> list[LinkName]:
        return [
            li
            for li in self.linknames.values()
            if li.dbfrom == db and (target is None or li.dbto == target)
        ]

    def is_database(self, name: str) -> bool:
        return name in self.databases

    def max_links(self, name: str) -> int | None:
        li = self.linknames.get(name)
        return li.max_links if li else None

    def suggest_database(self, name: str) -> list[str]:
        return _closest(name, self.databases)

    def suggest_linkname(self, name: str, db: str | None = None) -> list[str]:
        """Closest names; from `db` first when close ones exist there, then from anywhere."""
        local = _closest(name, [li.name for li in self.from_db(db)]) if db else []
        anywhere = _closest(name, list(self.linknames))
        return list(dict.fromkeys([*anywhere[:1], *local, *anywhere]))[:3]


def _closest(name: str, choices: Sequence[str]) -> list[str]:
    import difflib

    return difflib.get_close_matches(name, choices, n=3, cutoff=0.6)


@functools.cache
def load_catalog() -> Catalog:
    data = json.loads(CATALOG_FILE.read_text("utf-8"))
    links = {
        li["name"]: LinkName(
            name=li["name"],
            dbfrom=li["dbfrom"],
            dbto=li["dbto"],
            placed_by=li["placed_by"],
            menu=li["menu"],
            description=li["description"],
            max_links=li["max_links"],
            sources=tuple(li["sources"]),
        )
        for li in data["linknames"]
    }
    return Catalog(
        built=data["built"],
        databases=tuple(d["name"] for d in data["databases"]),
        linknames=links,
    )
