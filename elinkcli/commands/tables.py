"""`elinkcli tables` as library code: NCBI's bulk link files listed, fetched, checked,
loaded, updated, dropped, and compared with ELink (the command line calls these)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from elinkcli.errors import UsageError
from elinkcli.inert import size_text
from elinkcli.tables.catalog import TABLES, TableSpec, table_named, tables_answering
from elinkcli.tables.store import Loaded, TablesError, TablesStore

if TYPE_CHECKING:
    from elinkcli.config import Settings
    from elinkcli.eutils.client import EutilsClient
    from elinkcli.eutils.download import Remote, Transfer

Say = Callable[[str], None]


@dataclass(frozen=True)
class TableStatus:
    """One known file, and the table loaded from it if any."""

    name: str
    path: str
    answers: tuple[str, ...]
    about: str
    size_note: str
    loaded: Loaded | None
    upstream_size: int | None = None
    upstream_modified: str | None = None
    # Why a table's record cannot be read (damaged), if so.
    problem: str | None = None


def spec_of(name: str) -> TableSpec:
    spec = table_named(name)
    if spec is None:
        raise UsageError(f"no table named {name!r}: choose {', '.join(t.name for t in TABLES)}")
    return spec


def store_of(settings: Settings) -> TablesStore:
    if settings.tables_dir is None:
        raise UsageError("no tables directory is set (tables_dir, ELINKCLI_TABLES_DIR)")
    return TablesStore(settings.tables_dir)


def url_of(settings: Settings, spec: TableSpec) -> str:
    return settings.tables_url + spec.path


def list_tables(
    settings: Settings, remote: Callable[[str], Remote | None] | None = None
) -> list[TableStatus]:
    """Every known file; with `remote` (a HEAD of a URL, None when that file cannot be
    had), what the server says of each now. A server given up on after retries is not
    asked for the other files: they are all on it."""
    from elinkcli.errors import GaveUpError

    store = store_of(settings)
    out = []
    for spec in TABLES:
        problem = None
        try:
            loaded = store.current(spec.name)
        except TablesError as exc:
            loaded, problem = None, str(exc)
        try:
            now = remote(url_of(settings, spec)) if remote else None
        except GaveUpError:
            now, remote = None, None
        out.append(
            TableStatus(
                spec.name,
                spec.path,
                spec.answers(),
                spec.about,
                spec.size_note,
                loaded,
                now.size if now else None,
                now.last_modified if now else None,
                problem,
            )
        )
    return out


def parse_taxa(values: Sequence[str]) -> tuple[int, ...] | None:
    """--taxon values (`9606`, `9606,10090`) as NCBI Taxonomy ids; None for none."""
    taxa: list[int] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not (part.isascii() and part.isdigit()) or len(part) > 9 or int(part) == 0:
                raise UsageError(f"--taxon takes NCBI Taxonomy ids (9606 for human), not {part!r}")
            taxa.append(int(part))
    return tuple(sorted(set(taxa))) or None


@dataclass
class Fetcher:
    """The HTTP side of `tables get`: a session and how transfers go."""

    transfer: Transfer
    _session: Any = None

    @property
    def session(self) -> Any:
        if self._session is None:
            from elinkcli.eutils.exchange import new_session

            self._session = new_session(1)
        return self._session

    def head(self, url: str) -> Remote:
        from elinkcli.eutils.download import head

        return head(self.session, url, self.transfer)

    def try_head(self, url: str) -> Remote | None:
        """The HEAD of `url`, None when the server refuses that file (404...); GaveUpError
        when the server could not be reached after retries."""
        from elinkcli.errors import GaveUpError, NCBIError

        try:
            return self.head(url)
        except GaveUpError:
            raise
        except NCBIError:
            return None

    def close(self) -> None:
        if self._session is not None:
            self._session.close()


def get_table(
    settings: Settings,
    name: str,
    fetcher: Fetcher,
    *,
    taxa: Sequence[int] | None = None,
    only_if_changed: bool = False,
    say: Say = lambda text: None,
) -> tuple[Loaded | None, str]:
    """Download table `name` (resuming an earlier transfer), check it, load it into a new
    version and switch to it. (the table now in use, what happened: "loaded", "unchanged"
    with `only_if_changed` when upstream is as loaded). A second `get` of the same table
    waits for the first, then finds it loaded. Whatever fails leaves the table in use as
    it was, and says so."""
    from elinkcli.eutils.download import discard, download, published_md5
    from elinkcli.tables.load import DamagedFileError

    spec = spec_of(name)
    if taxa and spec.taxon_column is None:
        raise UsageError(f"--taxon: {spec.name} holds no organisms")
    store = store_of(settings)
    url = url_of(settings, spec)
    from elinkcli.tables.engine import duckdb_module

    duckdb_module()  # without DuckDB, say how to install it before any download
    lock = store.loader_lock(spec.name)
    started = time.time()
    try:
        waited = not lock.take()
        if waited:
            say(f"another elinkcli is loading {spec.name}: waiting for it to finish")
            lock.take(wait=float("inf"), poll=0.5)
        before = store.current_or_none(spec.name)
        same_taxa = before is not None and tuple(taxa or ()) == (before.taxa or ())
        if waited and before is not None and before.loaded_at >= started and same_taxa:
            return before, "unchanged"  # the other `get` loaded it meanwhile
        now = _kept_on_failure(lambda: fetcher.head(url), before)
        if only_if_changed and before is not None and same_taxa and _same_upstream(before, now):
            return before, "unchanged"
        part = store.download_path(spec.name, spec.path)
        if spec.kind == "sra":
            _room_for(spec, now, part, before)
        fetched = _kept_on_failure(
            lambda: download(fetcher.session, url, part, fetcher.transfer, now), before
        )
        remote = fetched.remote
        md5 = published_md5(fetcher.session, url, fetcher.transfer)
        if md5 is not None and fetched.md5 != md5:
            discard(part)
            raise TablesError(
                f"{spec.name}: the download does not match the MD5 NCBI publishes; {_kept(before)}"
            )
        staged = store.staging(spec.name)
        try:
            result = _load(spec, part, staged, taxa)
        except BaseException as exc:
            import shutil

            shutil.rmtree(staged, ignore_errors=True)
            if isinstance(exc, DamagedFileError):
                discard(part)  # fetched whole next time
            if isinstance(exc, (TablesError, OSError)):
                raise TablesError(f"{_message(exc)}; {_kept(before)}") from None
            raise
        record = {
            "name": spec.name,
            "upstream": {
                "url": remote.url,
                "size": remote.size,
                "last_modified": remote.last_modified,
                "etag": remote.etag,
                "md5": md5,
            },
            "rows": result.rows,
            "taxa": list(taxa) if taxa else None,
            "loaded_at": time.time(),
            "files": list(result.files),
            "disk_bytes": result.disk_bytes,
        }
        loaded = store.publish(spec.name, staged, record)
        discard(part)
        return loaded, "loaded"
    finally:
        lock.close()


T = TypeVar("T")

# A table's share of its plain file's size, with the sorts' spill files: bench/sra_table.py
# measures 2% on generated values; real ones compress less, and the sorts spill to disk.
TABLE_SHARE = 0.25


def _room_for(spec: TableSpec, remote: Remote, part: Path, before: Loaded | None) -> None:
    """Refuse, before any byte of it, a plain file the disk cannot hold with its table."""
    import shutil

    if remote.size is None:
        return
    have = part.stat().st_size if part.exists() else 0
    need = max(remote.size - have, 0) + int(remote.size * TABLE_SHARE)
    free = shutil.disk_usage(part.parent).free
    if free < need:
        file, table = size_text(remote.size), size_text(remote.size * TABLE_SHARE)
        raise TablesError(
            f"{spec.name}: the file is {file} (uncompressed) and its table about {table}: "
            f"{size_text(need)} must be free in {part.parent}, {size_text(free)} is; set --dir "
            f"or ELINKCLI_TABLES_DIR to a larger disk; {_kept(before)}"
        )


def _kept_on_failure(what: Callable[[], T], before: Loaded | None) -> T:
    """`what()`; a failure to fetch says, as every failure of `get` does, which table stays
    in use (the same error, its text completed)."""
    from elinkcli.errors import ElinkError, GaveUpError

    try:
        return what()
    except GaveUpError as exc:
        raise GaveUpError(f"{exc}; {_kept(before)}", exc.ids, exc.tries) from None
    except ElinkError as exc:
        raise type(exc)(f"{exc}; {_kept(before)}") from None


def _message(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return f"cannot write the table: {exc.strerror or exc}"
    return str(exc)


def _kept(before: Loaded | None) -> str:
    if before is None:
        return "no table was loaded"
    return f"the table loaded before ({before.origin()}) is still in use"


def _same_upstream(before: Loaded, now: Remote) -> bool:
    up = before.upstream
    return (
        up.size == now.size
        and up.last_modified == now.last_modified
        and (up.etag is None or now.etag is None or up.etag == now.etag)
    )


def _load(spec: TableSpec, gz: Path, into: Path, taxa: Sequence[int] | None) -> Any:
    from elinkcli.tables.engine import connect
    from elinkcli.tables.load import load_file

    con = connect(temp_dir=into / "spill")
    try:
        return load_file(con, spec, gz, into, taxa)
    finally:
        con.close()
        import shutil

        shutil.rmtree(into / "spill", ignore_errors=True)


def update_tables(
    settings: Settings, names: Sequence[str], fetcher: Fetcher, say: Say = lambda text: None
) -> list[tuple[str, str]]:
    """Load again the tables (all loaded ones when `names` is empty) whose file changed
    upstream (size, Last-Modified, ETag); [(name, "loaded" | "unchanged")]."""
    store = store_of(settings)
    chosen = [spec_of(n).name for n in names] or [t.name for t in store.loaded()]
    out = []
    for name in chosen:
        before = store.current_or_none(name)
        taxa = before.taxa if before else None
        _, what = get_table(settings, name, fetcher, taxa=taxa, only_if_changed=True, say=say)
        out.append((name, what))
    return out


def drop_table(settings: Settings, name: str) -> bool:
    spec = spec_of(name)
    store = store_of(settings)
    lock = store.loader_lock(spec.name)
    try:
        if not lock.take(wait=30.0):
            raise TablesError(f"{spec.name} is being loaded by another elinkcli: try again later")
        return store.drop(spec.name)
    finally:
        lock.close()


@dataclass(frozen=True)
class Agreement:
    """How a table and ELink agree on one link name, for a sample of source ids."""

    linkname: str
    table: str
    ids: int
    same: int
    differing: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]
    failed: tuple[str, ...]


def sample_ids(loaded: Loaded, linkname: str, n: int, seed: int | None = None) -> list[str]:
    """Up to `n` source ids the table holds for `linkname`, drawn at random."""
    from elinkcli.sources.tables import reader

    spec = next((s for t, s in tables_answering(linkname) if t.name == loaded.name), None)
    if spec is None:
        raise UsageError(f"table {loaded.name} does not answer {linkname}")
    if spec.by_accession:
        raise UsageError(
            f"table {loaded.name} holds accessions and ELink answers UIDs: compare does not "
            "apply to it"
        )
    draw = seed if seed is not None else random.SystemRandom().randrange(1 << 31)
    return sorted(reader().sample(loaded, spec, n, draw), key=int)


def compare(
    client: EutilsClient,
    name: str,
    sample: int,
    *,
    linkname: str | None = None,
    seed: int | None = None,
    batch: int = 100,
) -> Iterator[Agreement]:
    """For each link name table `name` answers (or `linkname`), `sample` ids it holds,
    asked of the table and of ELink (paced as ever, through the cache): the ids whose
    links agree and those that differ, with what each side has that the other lacks."""
    from elinkcli.commands.batching import run_batches
    from elinkcli.commands.ledger import Ledger
    from elinkcli.sources.base import LinkRequest
    from elinkcli.sources.elink import ElinkSource, request_errors
    from elinkcli.sources.tables import TablesSource, reader

    spec = spec_of(name)
    if all(s.own for s in spec.links):
        raise UsageError(
            f"table {spec.name} answers elinkcli's own link names "
            f"({', '.join(spec.answers())}): ELink has none to compare with"
        )
    store = store_of(client.settings)
    loaded = store.current(spec.name)
    if loaded is None:
        raise UsageError(f"table {spec.name} is not loaded: `elinkcli tables get {spec.name}`")
    links = [s for s in spec.links if linkname is None or s.linkname == linkname]
    if not links:
        raise UsageError(f"table {spec.name} answers {', '.join(spec.answers())}, not {linkname}")
    for link in links:
        ids = sample_ids(loaded, link.linkname, sample, seed)
        request = LinkRequest(link.dbfrom, "neighbor", link.dbto, link.linkname)
        local = TablesSource(store, spec, link, reader())
        mine = _answers(local.answer(ids).linksets)
        elink = ElinkSource(client, request.params, request_errors)
        ledger = Ledger()
        theirs: dict[str, set[str]] = {}
        for chunk, result in run_batches(client, ids, batch, elink, ledger):
            got = _answers(result.linksets)
            for i in chunk:
                theirs[i] = got.get(i, set())
        differing = []
        same = 0
        for i in ids:
            if i not in theirs:
                continue
            a, b = mine.get(i, set()), theirs[i]
            if a == b:
                same += 1
            else:
                differing.append((i, tuple(sorted(a - b, key=int)), tuple(sorted(b - a, key=int))))
        yield Agreement(
            link.linkname,
            loaded.origin(),
            len(theirs),
            same,
            tuple(differing),
            tuple(ledger.ids_failed),
        )


def _answers(linksets: Sequence[Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for ls in linksets:
        for i in ls.ids:
            out.setdefault(i, set()).update(x for d in ls.linksetdbs for x in d.ids)
    return out


def status_dict(status: TableStatus) -> dict[str, Any]:
    """A table's status as JSON-ready values (`tables list --json`, `tables info`)."""
    loaded = status.loaded
    data: dict[str, Any] = {
        "name": status.name,
        "path": status.path,
        "answers": list(status.answers),
        "about": status.about,
        "upstream_size": status.upstream_size,
        "upstream_modified": status.upstream_modified,
        "loaded": loaded is not None,
    }
    if status.problem:
        data["problem"] = status.problem
    if loaded is not None:
        data.update(
            {
                "version": loaded.version,
                "loaded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(loaded.loaded_at)),
                "upstream_date": loaded.upstream_date(),
                "loaded_from": loaded.upstream.url,
                "loaded_size": loaded.upstream.size,
                "loaded_last_modified": loaded.upstream.last_modified,
                "rows": loaded.rows,
                "taxa": list(loaded.taxa) if loaded.taxa else None,
                "disk_bytes": loaded.disk_bytes,
                "files": [str(loaded.path / f) for f in loaded.files],
            }
        )
    return data
