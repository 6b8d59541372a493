"""`elinkcli link`."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

import typer

from elinkcli import constants as C
from elinkcli.cli import options as O
from elinkcli.cli.edirect_args import complete_link_cmd, link_cmd
from elinkcli.cli.errors import warn
from elinkcli.commands import notices
from elinkcli.errors import UsageError

if TYPE_CHECKING:
    from elinkcli.cli.common import (
        Row,
    )
    from elinkcli.cli.inputs import RunInput
    from elinkcli.commands.batching import BatchHooks
    from elinkcli.eutils.client import EutilsClient
    from elinkcli.eutils.params import LinkFilters
    from elinkcli.ids.packed import IdWindows


HELP = """Link records of one database to another (ELink neighbor / neighbor_score).

Every row keeps its source id: each batch sends one id= parameter per id.
Ids come from --id, else --input FILE, else stdin: an ENTREZ_DIRECT message (ids, a
History set, or current EDirect's PubMed query, which is run again completely, in UID
ranges above 9,999 hits), an eSearchResult or eLinkResult document, elinkcli's own
tsv/json/jsonl output (its target ids and database), or plain ids. EDirect's elink
command lines work as they are (-related, -cmd score, -id 1 2 3, -format acc, -batch).

\b
Examples:
  elinkcli link -db gene -target protein -name gene_protein_refseq -id 672
  esearch -db pubmed -query "BRCA1[ti] AND review[pt]" \\
    | elinkcli link -target gene | efetch -format docsum
  elinkcli link -db gene -target pubmed -id 672 | elinkcli link -target gene
  esearch -db pubmed -query "tn3 transposition immunity" | elinkcli link -related
  elinkcli link -db pubmed -target pubmed -cmd neighbor_score -id 15718680 --format jsonl
  elinkcli link -db pubmed --cited -id 15718680 --citations-from all

\b
Ids may be accessions (NM_000546.6, PRJNA257197, SRR390728, PMC3531190, ...): each
is resolved to NCBI's UID first; source_id stays the token given, source_uid is the UID.

\b
Columns (tsv): source_db source_id linkname target_db target_id score source_uid
target_acc (score only with -cmd neighbor_score, target_acc only with --idtype acc);
--cited/--cites add source (the services that gave the link); --format counts writes
source_db source_id links and one count per service.
"""


def link_command(
    db: O.Db = None,
    target: O.Target = None,
    name: O.Name = None,
    cmd: Annotated[
        str,
        typer.Option(
            "--cmd",
            "-cmd",
            metavar="CMD",
            autocompletion=complete_link_cmd,
            help="neighbor, or neighbor_score (adds the score column); EDirect's score "
            "(= neighbor_score), history (= --history) and edirect (= --format edirect) too. "
            "acheck, ncheck, lcheck, llinks, prlinks: see discover, check and linkout.",
        ),
    ] = "neighbor",
    related: Annotated[
        bool,
        typer.Option(
            "--related",
            "-related",
            "-neighbor",
            help="Links within the same database: target = --db, link name DB_DB "
            "(e.g. pubmed_pubmed) unless --name says another.",
        ),
    ] = False,
    ids: O.Ids = None,
    batch: O.Batch = C.DEFAULT_BATCH,
    union: Annotated[
        bool,
        typer.Option(
            "--union",
            help="One merged, de-duplicated link set (no source ids) instead of one per id.",
        ),
    ] = False,
    term: Annotated[
        str | None,
        typer.Option(
            "--term",
            "-term",
            help="Entrez query limiting the links (target = db).",
        ),
    ] = None,
    datetype: Annotated[
        str | None,
        typer.Option(
            "--datetype",
            help="Date field for the date limits: mdat, pdat or edat (PubMed).",
        ),
    ] = None,
    reldate: Annotated[
        int | None,
        typer.Option("--reldate", help="Only the last N days (PubMed)."),
    ] = None,
    mindate: Annotated[
        str | None,
        typer.Option("--mindate", help="From this date, YYYY[/MM[/DD]] (PubMed)."),
    ] = None,
    maxdate: Annotated[
        str | None,
        typer.Option("--maxdate", help="Up to this date, YYYY[/MM[/DD]] (PubMed)."),
    ] = None,
    idtype: Annotated[
        str | None,
        typer.Option(
            "--idtype",
            "-idtype",
            help="'acc': fill the target_acc column with each target's accession (ESummary); "
            "--format uid then prints accessions.",
        ),
    ] = None,
    history: Annotated[
        bool,
        typer.Option(
            "--history",
            help="Store the linked set on NCBI's History server (ELink neighbor_history) and "
            "write an ENTREZ_DIRECT message with WebEnv and QueryKey instead of ids.",
        ),
    ] = False,
    cited: O.Cited = False,
    cites: O.Cites = False,
    citations_from: O.CitationsFrom = None,
    icite_url: O.IciteUrl = None,
    europepmc_url: O.EuropePmcUrl = None,
    strict: O.Strict = False,
    fmt: O.OutputFormat = None,
    input_format: O.InputFormat = O.InputForm.auto,
    input_file: O.InputFile = None,
    no_header: O.NoHeader = False,
    common: O.Common = O.Common(),
) -> None:
    from elinkcli.cli.common import (
        OutputSpec,
        make_client,
        print_link_summary,
        run_rows,
        show_summary,
    )
    from elinkcli.cli.inputs import gather_input, then_unknown
    from elinkcli.commands.link import LINK_COLUMNS, link_batches, link_windows
    from elinkcli.eutils.params import LinkFilters
    from elinkcli.ids.packed import WINDOW
    from elinkcli.ids.tokens import normalize_db
    from elinkcli.models import CountedIds, LinkStats
    from elinkcli.names import target_of, vet_names

    elink_cmd, cmd_history, cmd_format = link_cmd(cmd)
    history = history or cmd_history
    fmt_name = fmt.value if fmt else cmd_format
    if cited or cites:
        _check_citation_options(
            cited, cites, target, name, union, history, related, elink_cmd, idtype, term
        )
        from elinkcli.cli.citations import run_citations

        run_citations(
            direction="cited" if cited else "cites",
            run=gather_input(db or "pubmed", ids, input_format.value, input_file),
            sources_text=citations_from,
            icite_url=icite_url,
            europepmc_url=europepmc_url,
            fmt=fmt_name,
            batch=batch,
            no_header=no_header,
            common=common,
        )
        return
    if citations_from is not None:
        raise UsageError("--citations-from goes with --cited or --cites")
    if fmt_name == "counts":
        raise UsageError("--format counts goes with --cited or --cites")
    if related and target and db and normalize_db(target) != normalize_db(db):
        raise UsageError("--related links within --db: leave out --target, or drop --related")
    if not target and name and not related:
        target = target_of(name)
    if not target and not related:
        raise UsageError("link needs a target database: --target DB (e.g. -target protein)")
    if history and fmt_name not in (None, "edirect"):
        raise UsageError("--history writes an ENTREZ_DIRECT message: use --format edirect")
    if history and elink_cmd != "neighbor":
        raise UsageError("--history goes with -cmd neighbor")
    filters = LinkFilters(
        term=term,
        datetype=datetype,
        reldate=reldate,
        mindate=mindate,
        maxdate=maxdate,
        idtype=idtype,
    )
    # A long plain input is linked window by window (not --union, --history, --format xml:
    # those need every id at once).
    windowed = not (union or history or fmt_name == "xml")
    packed_above = WINDOW if windowed else None
    run = gather_input(db, ids, input_format.value, input_file, packed_above=packed_above)
    if related:
        target = target or run.db
        if not target:
            raise UsageError("--related links within the source database: give --db")
        name = name or f"{normalize_db(target)}_{normalize_db(target)}"
    assert target is not None
    target = normalize_db(target)
    vet_names(warn, strict=strict, db=run.db, target=target, linkname=name)
    if idtype == "acc":
        from elinkcli.ids.resolve import has_accessions

        if not has_accessions(target):
            warn(f"{target} records have no accession NCBI names: target_acc stays empty")
    if history:
        if common.resume:
            raise UsageError(
                "--resume goes with --output FILE"
                if common.output is None
                else "--resume works with tsv, json, jsonl and uid, not edirect (--history)"
            )
        with make_client(common) as client:
            _write_history_message(client, run, target, name, filters, batch, common)
        return
    stats = LinkStats()
    # The source ids in input order; a query or History set adds its own once expanded
    # (--format xml places the ids without links by them).
    source_ids = list(run.ids)

    def produce(client: EutilsClient | None, hooks: BatchHooks) -> Iterator[Sequence[Row]]:
        assert client is not None
        if run.empty:
            return iter(())
        options: dict[str, Any] = dict(
            db=run.db or "",
            target=target,
            name=name,
            cmd=elink_cmd,
            filters=filters,
            batch=batch,
            client=client,
            stats=stats,
            hooks=hooks,
        )
        long_input: IdWindows | None = run.packed
        if run.history is not None and windowed:
            from elinkcli.ids.history import HistoryIds

            long_input = HistoryIds(client, run.history)
        if long_input is not None:
            stats.ids_with_links, stats.ids_without_links = CountedIds(), CountedIds()
            return link_windows(long_input, warn=warn, **options)
        stored = run.history if union else None  # a union of a stored set: one request
        table = None
        if stored is None:
            table = run.id_table(client)
            source_ids[:] = table.tokens
        rows = link_batches(
            source_ids,
            union=union,
            history=stored,
            table=table,
            **options,
        )
        return rows if table is None else then_unknown(rows, table)

    def summary() -> None:
        for text in (*notices.unexpected(stats), *notices.capped(stats)):
            warn(text)
        if show_summary(common):
            print_link_summary(stats, verbose=common.verbose, union=union)

    spec = OutputSpec(
        fmt=fmt_name,
        columns=LINK_COLUMNS,
        uid_key="target_acc" if idtype == "acc" else "target_id",
        header=not no_header,
        title=f"{run.db} → {target}",
        message=run.next_message(target),
        came_as_message=run.message is not None,
        ids=source_ids,
        identity=run.identity,
        link_stats=stats,
        source_db=run.db or "",
        union=union,
    )
    run_rows(common, spec, produce, total_ids=run.count, summary=summary, batched=True)


def _check_citation_options(
    cited: bool,
    cites: bool,
    target: str | None,
    name: str | None,
    union: bool,
    history: bool,
    related: bool,
    cmd: str,
    idtype: str | None,
    term: str | None,
) -> None:
    if cited and cites:
        raise UsageError("--cited and --cites exclude each other: run one, then the other")
    if target not in (None, "pubmed"):
        raise UsageError("--cited/--cites link PubMed to PubMed: leave out --target")
    clashes = [
        flag
        for flag, on in (
            ("--name", name is not None),
            ("--union", union),
            ("--history", history),
            ("--related", related),
            ("-cmd neighbor_score", cmd != "neighbor"),
            ("--idtype", idtype is not None),
            ("--term", term is not None),
        )
        if on
    ]
    if clashes:
        raise UsageError(f"--cited/--cites do not go with {', '.join(clashes)}")


def _uids(run: RunInput, client: EutilsClient) -> list[str]:
    """The run's ids as UIDs (accessions resolved; a History set is passed on as it is)."""
    if run.history is not None:
        return []
    table = run.id_table(client)
    table.unfinished()
    return [table.uid(t) for t in table.tokens]


def _write_history_message(
    client: EutilsClient,
    run: RunInput,
    target: str,
    name: str | None,
    filters: LinkFilters,
    batch: int,
    common: O.Common,
) -> None:
    """--history: the linked set stays on the History server; the message points at it,
    on stdout or in --output FILE (written atomically, as every -o is)."""
    from elinkcli.cli.common import run_fingerprint
    from elinkcli.ids.edirect import render_message
    from elinkcli.ids.history import HistorySet, link_to_history
    from elinkcli.output.files import open_output, write_whole

    path = common.output
    # Opened before anything is asked: a FILE another run is writing is refused first.
    target_file = (
        open_output(path, run_fingerprint(common, run.identity or run.ids), shape=common.run_shape)
        if path is not None
        else None
    )
    try:
        result = HistorySet(target, "", "", 0)
        if not run.empty:
            assert run.db is not None
            result = link_to_history(
                client,
                db=run.db,
                target=target,
                ids=_uids(run, client),
                source=run.history,
                name=name,
                filters=filters,
                batch=batch,
            )
        message = replace(
            run.next_message(target),
            webenv=result.webenv or None,
            query_key=result.query_key or None,
            count=result.count or 0,
        )
        text = render_message(message)
    except BaseException:
        if target_file is not None:
            target_file.abort()
        raise
    if target_file is None:
        sys.stdout.write(text)
    else:
        write_whole(target_file, text)
