"""NCBI's bulk link files, loaded by `elinkcli tables get`, as a source of links: a batch
of UIDs answered by one local query, in ELink's shape, each LinkSet naming the table that
answered it (its `origin`).

Which requests a table takes (`choose`): with links_from "tables", every `neighbor`
request for a link name a loaded table answers, and a usage error for the others; with
"auto" (the default once a table is loaded), those of them whose table is fresh
(tables_max_age), ELink for the rest; with "elink", none.

elinkcli's own link names (gene_gene_ortholog, gene_ensembl...: ELink has none) are
answered from their table with "auto" and "tables", however old it is; with "elink", or
when their table is not loaded, they are a usage error naming `elinkcli tables get`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from elinkcli.errors import UsageError
from elinkcli.eutils.records import ELinkResult, IdLinkSet, LinkInfo, LinkSet, LinkSetDb
from elinkcli.tables.catalog import (
    OWN_DATABASES,
    LinkSpec,
    TableSpec,
    own_link,
    own_links,
    tables_answering,
)
from elinkcli.tables.store import Loaded, TablesError, TablesStore

if TYPE_CHECKING:
    from elinkcli.config import Settings
    from elinkcli.eutils.client import EutilsClient
    from elinkcli.eutils.requestlog import RequestLog
    from elinkcli.sources.base import LinkRequest, LinkSource
    from elinkcli.tables.lookup import Reader

# Ids a table is asked at once: one query, as fast for 50,000 ids as for 100.
REQUEST_SIZE = 50_000


def links_from(settings: Settings) -> str:
    """The effective links_from: as set, else "auto" once a table is loaded, else "elink"."""
    if settings.links_from:
        return settings.links_from
    if settings.tables_dir is not None and TablesStore(settings.tables_dir).any_loaded():
        return "auto"
    return "elink"


@dataclass
class TablesSource:
    """One link name answered from one loaded table."""

    store: TablesStore
    table: TableSpec
    link: LinkSpec
    reader: Reader
    acheck: bool = False
    # Targets as accession.version, not GIs (`-format acc`): from the table's own map.
    accessions: bool = False
    request_size: int = REQUEST_SIZE
    signature: str | None = None
    local: bool = True
    # The run's request log (--log): one line per query, naming the table and its date.
    log: RequestLog | None = field(default=None, repr=False)
    # `--idtype run` from a table that speaks accessions: the runs of the experiments each
    # answer names are read in the same query, and carried on its LinkSets.
    runs: bool = False

    def answer(self, uids: list[str]) -> ELinkResult:
        return self.answer_held(uids, every=True)[0]

    def answer_held(self, uids: list[str], every: bool = False) -> tuple[ELinkResult, list[str]]:
        """The answer for the ids the table holds (`every`: for all of them, those it does
        not hold without links), and the ids it does not hold."""
        started = time.monotonic()
        stamp = self.log.stamp() if self.log is not None else ""
        with self.store.reading(self.table.name) as loaded:
            if loaded is None:
                raise TablesError(f"table {self.table.name} was dropped during the run")
            runs: dict[str, list[str]] = {}
            if self.runs:
                found, runs = self.reader.links_and_runs(loaded, self.link, uids)
            else:
                found = self.reader.links(loaded, self.link, uids)
            origin = loaded.origin()
            if self.accessions:
                gis = list(dict.fromkeys(t for targets in found.values() for t in targets))
                accs = self.reader.accessions(loaded, self.link.dbto, gis)
                found = {u: [accs.get(t, t) for t in targets] for u, targets in found.items()}
        if self.log is not None:
            self.log.attempt(
                time=stamp,
                endpoint=f"table {origin}: {self.link.linkname}",
                ids=len(uids),
                status=None,
                ms=round((time.monotonic() - started) * 1000),
                try_=1,
                outcome="ok",
            )
        sets = []
        dbfrom = self.link.dbfrom
        asked = list(dict.fromkeys(uids))
        rest = [] if every else [u for u in asked if u not in found]
        for uid in asked if every else [u for u in asked if u in found]:
            targets = found.get(uid)
            if self.acheck:
                infos = (_info(self.link),) if targets else ()
                sets.append(LinkSet(dbfrom, id_link_sets=(IdLinkSet(uid, infos),), origin=origin))
            elif targets:
                lsdb = LinkSetDb(self.link.dbto, self.link.linkname, tuple(targets))
                held = tuple((t, tuple(runs[t])) for t in targets if t in runs)
                sets.append(LinkSet(dbfrom, (uid,), (lsdb,), origin=origin, runs=held))
            else:
                sets.append(LinkSet(dbfrom, (uid,), origin=origin))
        return ELinkResult(tuple(sets)), rest


@dataclass
class AutoSource:
    """A table loaded for some organisms, or holding only some records of the source
    database: what it holds answers from it, the other ids go to ELink (a --batch at a
    time, so one failed request fails no more ids than ELink alone would)."""

    tables: TablesSource
    elink: LinkSource
    signature: str | None = None
    local: bool = False

    def answer(self, uids: list[str]) -> ELinkResult:
        held, rest = self.tables.answer_held(uids)
        if not rest:
            return held
        asked = self.elink.answer(rest)
        return ELinkResult(held.linksets + asked.linksets, asked.errors)


def _info(link: LinkSpec) -> LinkInfo:
    return LinkInfo(link.dbto, link.linkname, "", "", "")


def cannot_answer(request: LinkRequest) -> str | None:
    """Why no table can answer `request`, or None."""
    if request.cmd == "acheck" and request.asks:
        return None
    if request.cmd != "neighbor":
        return f"`-cmd {request.cmd}` is ELink's alone"
    if request.union:
        return "a merged set (--union) is ELink's alone"
    if request.webenv:
        return "a History set is ELink's alone"
    f = request.filters
    if f.term or f.reldate or f.mindate or f.maxdate or f.datetype:
        return "--term and date limits are ELink's alone"
    if not request.linkname:
        return "every link table of a pair (--name all) is ELink's alone"
    return None


def _loaded_for(store: TablesStore, linkname: str) -> tuple[TableSpec, LinkSpec, Loaded] | None:
    for table, link in tables_answering(linkname):
        found = store.current(table.name)
        if found is not None:
            return table, link, found
    return None


def would_answer(linkname: str) -> str:
    names = [t.name for t, _ in tables_answering(linkname)]
    if not names:
        from elinkcli.tables.catalog import linknames

        return f"no table answers {linkname}; tables answer {', '.join(linknames())}"
    return f"{linkname} is answered by {' or '.join(names)}: `elinkcli tables get {names[0]}`"


def choose(client: EutilsClient, request: LinkRequest) -> LinkSource | None:
    """A table's source for `request`, or None for ELink (see the module's text)."""
    settings = client.settings
    mode = links_from(settings)
    name = request.asks if request.cmd == "acheck" else request.linkname
    if name is not None and own_link(name) is not None:
        return _choose_own(client, request, name)
    if request.db in OWN_DATABASES:
        names = ", ".join(n for n, (_t, s) in own_links().items() if s.dbto == request.db)
        raise UsageError(
            f"{request.db} is no Entrez database: elinkcli's own link names lead to it "
            f"from local tables ({names}); give one with --name"
        )
    if mode == "elink" or settings.tables_dir is None:
        return None
    reason = cannot_answer(request)
    if reason is not None:
        if mode == "tables":
            raise UsageError(f"--from tables: {reason} (--from auto or elink asks ELink)")
        return None
    assert name is not None
    store = TablesStore(settings.tables_dir)
    try:
        found = _loaded_for(store, name)
    except TablesError as exc:
        if mode == "tables":
            raise
        client.notice(f"{exc}; ELink answers {name} meanwhile", "tables")
        return None
    if found is None:
        if mode == "tables":
            raise UsageError(f"--from tables: no loaded table answers {name}; {would_answer(name)}")
        return None
    table, link, loaded = found
    if link.by_accession and mode != "tables":
        return None  # it speaks accessions, ELink UIDs: only when asked (--from tables)
    if not _has_duckdb():
        if mode == "tables":
            from elinkcli.tables.engine import duckdb_module

            duckdb_module()  # raises, saying how to install it
        client.notice(
            f"table {table.name} is loaded but DuckDB is not installed: ELink answers {name} "
            "(pip install 'elinkcli[tables]')",
            "tables",
        )
        return None
    if link.dbfrom != request.dbfrom:
        if mode == "tables":
            raise UsageError(
                f"--from tables: {name} links from {link.dbfrom}, not {request.dbfrom}"
            )
        return None
    if mode == "auto" and loaded.age() > settings.tables_max_age:
        client.notice(
            f"table {table.name} was loaded {loaded.age() / 86400:.0f} days ago, more than "
            f"tables_max_age: ELink answers {name} (`elinkcli tables update` refreshes it)",
            "tables",
        )
        return None
    accessions = request.filters.idtype == "acc" and not link.by_accession
    if accessions and table.kind != "gene2x":
        if mode == "tables":
            raise UsageError(f"--from tables: {table.name} holds no accessions of {link.dbto}")
        return None
    source = TablesSource(
        store,
        table,
        link,
        reader(),
        acheck=request.cmd == "acheck",
        accessions=accessions,
        log=client.log,
        runs=link.by_accession and link.dbto == "sra" and request.target_acc == "run",
    )
    if mode == "auto" and (loaded.taxa is not None or not link.complete):
        from elinkcli.sources.elink import ElinkSource, request_errors

        elink = ElinkSource(client, request.params, request_errors, cached=False)
        return AutoSource(source, elink)
    return source


def _choose_own(client: EutilsClient, request: LinkRequest, name: str) -> LinkSource:
    """The table's source for one of elinkcli's own link names; a UsageError when no
    loaded table can answer it (ELink has no such link name to fall back on)."""
    found = own_link(name)
    assert found is not None
    table, link = found
    get = f"`elinkcli tables get {table.name}`"
    own = f"{name} is elinkcli's own link name (ELink has none), answered by {get}"
    settings = client.settings
    if settings.links_from == "elink":
        raise UsageError(f"--from elink: {own}; use --from tables or auto")
    reason = cannot_answer(request)
    if reason is not None:
        raise UsageError(f"{own}: {reason}")
    if link.dbfrom != request.dbfrom:
        raise UsageError(f"{name} links from {link.dbfrom}, not {request.dbfrom}")
    if settings.tables_dir is None:
        raise UsageError(f"{own}, and no tables directory is set (tables_dir)")
    if request.filters.idtype == "acc":
        raise UsageError(f"{name} has no accessions (--idtype acc): its targets are ids")
    store = TablesStore(settings.tables_dir)
    if store.current(table.name) is None:
        raise UsageError(f"{name}: table {table.name} is not loaded; {get} loads it")
    if not _has_duckdb():
        from elinkcli.tables.engine import duckdb_module

        duckdb_module()  # raises, saying how to install it
    return TablesSource(
        store, table, link, reader(), acheck=request.cmd == "acheck", log=client.log
    )


def _has_duckdb() -> bool:
    import importlib.util

    return importlib.util.find_spec("duckdb") is not None


_READER: list[Reader] = []


def reader() -> Reader:
    """The process's one reader of tables (its DuckDB connections, one per thread)."""
    if not _READER:
        from elinkcli.tables.lookup import Reader

        _READER.append(Reader())
    return _READER[0]


def _sequence_table(settings: Settings) -> tuple[TablesStore, str] | None:
    """The loaded table that maps nuccore/protein accession.version <-> GI, if links may
    come from tables: gene2accession (every GenBank and RefSeq record), else gene2refseq."""
    if settings.tables_dir is None or links_from(settings) == "elink":
        return None
    store = TablesStore(settings.tables_dir)
    for name in ("gene2accession", "gene2refseq"):
        if store.current_or_none(name) is not None:
            return store, name
    return None


def local_records(settings: Settings, db: str, accessions: list[str]) -> dict[str, list[str]]:
    """{GI: [accession.version]} of the records of `db` (nuccore, protein) a loaded table
    knows under these accessions (a bare accession: every version it holds); {} when no
    table maps them. The ids module matches tokens to them as it matches ESummary's."""
    from elinkcli.tables.catalog import SEQUENCE_DBS

    found = _sequence_table(settings) if db in SEQUENCE_DBS else None
    if found is None:
        return {}
    store, name = found
    records: dict[str, list[str]] = {}
    with store.reading(name) as loaded:
        if loaded is None:
            return {}
        for options in reader().gis(loaded, db, accessions).values():
            for gi, acc in options:
                records.setdefault(gi, [])
                if acc not in records[gi]:
                    records[gi].append(acc)
    return records


def local_accessions(settings: Settings, db: str, uids: list[str]) -> dict[str, str]:
    """{GI: accession.version} for the GIs of `db` a loaded table holds ({} without one)."""
    from elinkcli.tables.catalog import SEQUENCE_DBS

    found = _sequence_table(settings) if db in SEQUENCE_DBS else None
    if found is None or not uids:
        return {}
    store, name = found
    with store.reading(name) as loaded:
        if loaded is None:
            return {}
        return reader().accessions(loaded, db, uids)


def by_accession(settings: Settings, db: str) -> bool:
    """Whether tokens of `db` go to a table that speaks accessions (sra_accessions, with
    links_from "tables"): kept as accessions, not resolved to UIDs."""
    if settings.links_from != "tables" or settings.tables_dir is None:
        return False
    from elinkcli.tables.catalog import SRA_DBS

    return db in SRA_DBS


def local_runs(settings: Settings, experiments: list[str]) -> dict[str, list[str]]:
    """{experiment accession: its live runs} from a loaded sra_accessions table ({}
    without one)."""
    if settings.tables_dir is None or links_from(settings) == "elink":
        return {}
    store = TablesStore(settings.tables_dir)
    with store.reading("sra_accessions") as loaded:
        if loaded is None:
            return {}
        return reader().runs(loaded, experiments)
