"""`discover`: which link names exist from a database (EInfo + the catalog), and which of
them a given record actually has (ELink acheck)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from elinkcli.catalog import load_catalog
from elinkcli.commands.batching import BatchHooks, check_batch, client_for, per_id_elink
from elinkcli.commands.ledger import Ledger
from elinkcli.config import Settings
from elinkcli.constants import DEFAULT_BATCH, EINFO
from elinkcli.eutils.client import EutilsClient
from elinkcli.eutils.params import einfo_params
from elinkcli.eutils.parsers import parse_einfo
from elinkcli.eutils.records import EInfoResult
from elinkcli.ids.tokens import normalize_db, uids_in
from elinkcli.models import FieldRow
from elinkcli.sources.base import LinkRequest

if TYPE_CHECKING:
    from elinkcli.ids.resolve import IdTable

# acheck lists LinkOut providers with this priority (docs/reference/eutils-facts.md, fact 12).
LINKOUT_PRIORITY = "255"


@dataclass(frozen=True, slots=True)
class LinkNameRow(FieldRow):
    source_db: str
    linkname: str
    target_db: str
    menu: str
    description: str
    max_links: int | None
    # "einfo", "catalog" or "einfo+catalog": who says this link name exists.
    attested_by: str


@dataclass(frozen=True, slots=True)
class RecordLinkRow(FieldRow):
    source_db: str
    source_id: str
    linkname: str
    target_db: str
    menu: str
    priority: str
    linkout: str
    max_links: int | None
    # NCBI's UID for source_id (the token as given).
    source_uid: str


NAME_COLUMNS = LinkNameRow.columns()
RECORD_COLUMNS = RecordLinkRow.columns()


def discover(
    db: str,
    *,
    target: str | None = None,
    offline: bool = False,
    client: EutilsClient | None = None,
    settings: Settings | None = None,
) -> list[LinkNameRow]:
    """Every link name from `db`: EInfo's LinkList merged with the bundled catalog.

    `offline` uses the catalog alone and touches no network.
    """
    db = normalize_db(db)
    catalog = load_catalog()
    merged: dict[str, LinkNameRow] = {
        li.name: LinkNameRow(db, li.name, li.dbto, li.menu, li.description, li.max_links, "catalog")
        for li in catalog.from_db(db)
    }
    if not offline:
        with client_for(client, settings, Ledger()) as session:
            info: EInfoResult = session.call(
                EINFO, einfo_params(db), parse_einfo, lambda r: r.errors
            )
        for dbinfo in info.dbinfo:
            for link in dbinfo.links:
                known = catalog.get(link.name)
                merged[link.name] = LinkNameRow(
                    db,
                    link.name,
                    link.dbto,
                    link.menu,
                    link.description,
                    catalog.max_links(link.name),
                    "einfo+catalog" if known else "einfo",
                )
    for row in own_rows(db, settings or (client.settings if client is not None else None)):
        merged.setdefault(row.linkname, row)
    rows = sorted(merged.values(), key=lambda r: r.linkname)
    return [r for r in rows if target is None or r.target_db == normalize_db(target)]


# attested_by of elinkcli's own link names (ELink has none): answered by a loaded table.
OWN = "elinkcli"


def own_rows(db: str, settings: Settings | None) -> list[LinkNameRow]:
    """elinkcli's own link names from `db` whose table is loaded (gene_gene_ortholog,
    gene_ensembl...), attested_by "elinkcli"; none without a tables directory."""
    if settings is None or settings.tables_dir is None:
        return []
    from elinkcli.tables.catalog import own_links
    from elinkcli.tables.store import TablesStore

    store = TablesStore(settings.tables_dir)
    rows = []
    for name, (table, spec) in own_links().items():
        if spec.dbfrom != db or store.current_or_none(table.name) is None:
            continue
        about = f"{spec.about}; elinkcli's own link name (ELink has none), table {table.name}"
        rows.append(LinkNameRow(db, name, spec.dbto, "", about, None, OWN))
    return rows


def discover_records(
    ids: Sequence[str],
    *,
    db: str,
    target: str | None = None,
    batch: int = DEFAULT_BATCH,
    client: EutilsClient | None = None,
    settings: Settings | None = None,
    stats: Ledger | None = None,
    hooks: BatchHooks | None = None,
    table: IdTable | None = None,
) -> Iterator[RecordLinkRow]:
    """Per record, the link names that have links (acheck), in input order."""
    uids_of = uids_in(table)
    check_batch(batch)
    dbfrom = normalize_db(db)
    dbto = normalize_db(target) if target else None
    catalog = load_catalog()
    stats = stats if stats is not None else Ledger()
    stats.ids_in += len(ids)

    request = LinkRequest(dbfrom=dbfrom, cmd="acheck")
    run = per_id_elink(
        ids, batch, request, client=client, settings=settings, stats=stats, hooks=hooks, table=table
    )
    for chunk, result in run:
        by_id = {(s.id, ls.uid): s for ls in result.linksets for s in ls.id_link_sets}
        for source_id in chunk:
            uids = uids_of(source_id)
            sets = [(u, by_id.get((source_id, u), by_id.get((source_id, None)))) for u in uids]
            if all(found is None for _, found in sets):
                stats.ids_not_echoed.append(source_id)
                continue
            if len(uids) > 1:  # a token standing for several records: each must be answered
                stats.members_missing(source_id, (u for u, f in sets if f is None))
            infos = [
                (u, li)
                for u, found in sets
                for li in (found.linkinfos if found else ())
                if dbto is None or li.dbto == dbto
            ]
            (stats.ids_with_links if infos else stats.ids_without_links).append(source_id)
            stats.links += len(infos)
            for u, li in infos:
                yield RecordLinkRow(
                    dbfrom,
                    source_id,
                    li.linkname,
                    li.dbto,
                    li.menutag or li.htmltag,
                    li.priority,
                    "Y" if li.priority == LINKOUT_PRIORITY or li.dbto == "LinkOut" else "N",
                    catalog.max_links(li.linkname),
                    u,
                )
