"""Shell completion of database and link-name values from the bundled catalog."""

from __future__ import annotations

import typer


def complete_database(incomplete: str) -> list[str]:
    from elinkcli.catalog import load_catalog

    return [db for db in load_catalog().databases if db.startswith(incomplete)]


def complete_linkname(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Link names starting with what was typed; only those from --db (and to --target) when
    they are given."""
    from elinkcli.catalog import load_catalog
    from elinkcli.ids.tokens import normalize_db

    catalog = load_catalog()
    db = ctx.params.get("db")
    target = ctx.params.get("target")
    names = (
        catalog.from_db(normalize_db(db), normalize_db(target) if target else None)
        if db
        else list(catalog.linknames.values())
    )
    return [(li.name, li.menu) for li in names if li.name.startswith(incomplete)]
