"""Build elinkcli/data/catalog.json from the shared link-name data.

    python tools/build_catalog.py ../shared/data [--out elinkcli/data/catalog.json]

Inputs: linknames.tsv (link names with menu, description, max links, and dbfrom/dbto where
a real source states them) and databases.tsv (Entrez database names seen in EInfo lists).
For names no source places, dbfrom/dbto are derived from the `dbfrom_dbto[_qualifier]`
pattern only when both parts are known databases; the others are kept without them.
Run it again when NCBI changes; the file records the date and the inputs' checksums.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import html
import json
from pathlib import Path
from typing import Any, cast

DEFAULT_OUT = Path(__file__).parent / "data" / "catalog.json"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def clean(text: str) -> str:
    """Source texts are HTML-escaped, some twice (`&amp;#160;`): unescape fully, fold spaces."""
    previous = None
    while previous != text:
        previous, text = text, html.unescape(text)
    return " ".join(text.replace("\xa0", " ").split())


def derive(name: str, databases: set[str]) -> tuple[str, str] | None:
    parts = name.split("_")
    if len(parts) >= 2 and parts[0] in databases and parts[1] in databases:
        return parts[0], parts[1]
    return None


def build(data_dir: Path) -> dict[str, object]:
    db_rows = _rows(data_dir / "databases.tsv")
    databases = {r["db"]: r for r in db_rows}
    known = set(databases)
    links: list[dict[str, Any]] = []
    for r in _rows(data_dir / "linknames.tsv"):
        dbfrom, dbto, placed_by = r["dbfrom"], r["dbto"], "source"
        if not (dbfrom and dbto):
            derived = derive(r["linkname"], known)
            dbfrom, dbto, placed_by = (*derived, "pattern") if derived else ("", "", "")
        links.append(
            {
                "name": r["linkname"],
                "dbfrom": dbfrom,
                "dbto": dbto,
                "placed_by": placed_by,
                "menu": clean(r["menu"]),
                "description": clean(r["description"]),
                "max_links": int(r["max_links"]) if r["max_links"].isdigit() else None,
                "sources": r["sources"].split(";") if r["sources"] else [],
            }
        )
    return {
        "built": dt.date.today().isoformat(),
        "provenance": {
            name: hashlib.sha256((data_dir / name).read_bytes()).hexdigest()[:16]
            for name in ("linknames.tsv", "databases.tsv")
        },
        "note": "link names from NCBI's 2016 link description page plus newer EInfo/ELink "
        "answers; names added since 2016 are missing unless a response shows them",
        "databases": [
            {
                "name": name,
                "in_einfo_dblist": row["in_einfo_dblist"] == "yes",
                "last_seen": row["dblist_last_vintage"],
            }
            for name, row in sorted(databases.items())
        ],
        "linknames": sorted(links, key=lambda li: li["name"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    catalog = build(args.data_dir)
    args.out.write_text(json.dumps(catalog, indent=0, ensure_ascii=False) + "\n", "utf-8")
    links = cast("list[dict[str, Any]]", catalog["linknames"])
    placed = sum(1 for li in links if li["placed_by"])
    print(f"{args.out}: {len(links)} link names, {placed} placed")


if __name__ == "__main__":
    main()
