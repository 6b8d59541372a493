"""`elinkcli link`."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated

import typer

from elinkcli import constants as C
from elinkcli.cli import options as O
from elinkcli.cli.edirect_args import complete_link_cmd, link_cmd
from elinkcli.cli.errors import say, warn
from elinkcli.cli.panels import OUTPUT, WHAT
from elinkcli.commands import notices
from elinkcli.errors import UsageError

if TYPE_CHECKING:
    from elinkcli.cli.common import Row
    from elinkcli.commands.batching import BatchHooks
    from elinkcli.commands.plans.link import LinkPlan
    from elinkcli.eutils.client import EutilsClient
    from elinkcli.ids.input import RunInput


HELP = """Link records of one database to another (ELink neighbor / neighbor_score).

Every row keeps its source id: each batch sends one id= parameter per id.
Ids come from --id, else --input FILE, else stdin: an ENTREZ_DIRECT message (ids, a
History set, or current EDirect's PubMed query, which is run again completely, in UID
ranges above 9,999 hits), an eSearchResult or eLinkResult document, elinkcli's own
tsv/json/jsonl output (its target ids and database), or plain ids. EDirect's elink
command lines work as they are (-related, -cmd score, -id 1 2 3, -format acc, -batch):
-target alone asks for DB_TARGET as EDirect does (-name all: every table of the pair),
and ELINKCLI_FORMAT=edirect makes every pipe get an ENTREZ_DIRECT message.

\b
Examples:
  elinkcli link -db gene -target protein -name gene_protein_refseq -id 672
  esearch -db pubmed -query "BRCA1[ti] AND review[pt]" \\
    | elinkcli link -target gene | efetch -format docsum
  elinkcli link -db gene -target pubmed -id 672 | elinkcli link -target gene
  esearch -db pubmed -query "tn3 transposition immunity" \\
    | elinkcli link -related
  elinkcli link -db pubmed -cmd score -id 15718680 --format jsonl
  elinkcli link -db pubmed --cited -id 15718680 --citations-from all

Ids may be accessions (NM_000546.6, PRJNA257197, SRR390728, PMC3531190, ...) or, for
pubmed and pmc, DOIs (10.1038/nature12373): each is resolved to NCBI's UID first;
source_id stays the token given, source_uid is the UID.

Columns (tsv): source_db source_id linkname target_db target_id score source_uid
target_acc (score only with -cmd neighbor_score, target_acc only with --idtype acc, or
--idtype doi: then it holds the DOI, or --idtype run: a run, one row each);
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
            rich_help_panel=WHAT,
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
            rich_help_panel=WHAT,
        ),
    ] = False,
    ids: O.Ids = None,
    batch: O.Batch = C.DEFAULT_BATCH,
    union: Annotated[
        bool,
        typer.Option(
            "--union",
            help="One merged, de-duplicated link set (no source ids) instead of one per id.",
            rich_help_panel=WHAT,
        ),
    ] = False,
    term: Annotated[
        str | None,
        typer.Option(
            "--term",
            "-term",
            help="Entrez query limiting the links (target = db).",
            rich_help_panel=WHAT,
        ),
    ] = None,
    datetype: Annotated[
        str | None,
        typer.Option(
            "--datetype",
            help="Date field for the date limits: mdat, pdat or edat (PubMed).",
            rich_help_panel=WHAT,
        ),
    ] = None,
    reldate: Annotated[
        int | None,
        typer.Option("--reldate", help="Only the last N days (PubMed).", rich_help_panel=WHAT),
    ] = None,
    mindate: Annotated[
        str | None,
        typer.Option(
            "--mindate", help="From this date, YYYY[/MM[/DD]] (PubMed).", rich_help_panel=WHAT
        ),
    ] = None,
    maxdate: Annotated[
        str | None,
        typer.Option(
            "--maxdate", help="Up to this date, YYYY[/MM[/DD]] (PubMed).", rich_help_panel=WHAT
        ),
    ] = None,
    idtype: Annotated[
        str | None,
        typer.Option(
            "--idtype",
            "-idtype",
            help="'acc': fill the target_acc column with each target's accession (ESummary); "
            "'doi': with each pubmed or pmc target's DOI (ESummary); 'run': one row per run of "
            "each sra experiment, the run (SRR…) in target_acc (ESummary, EFetch runinfo); "
            "--format uid then prints them.",
            rich_help_panel=WHAT,
        ),
    ] = None,
    history: Annotated[
        bool,
        typer.Option(
            "--history",
            help="Store the linked set on NCBI's History server (ELink neighbor_history) and "
            "write an ENTREZ_DIRECT message with WebEnv and QueryKey instead of ids.",
            rich_help_panel=OUTPUT,
        ),
    ] = False,
    cited: O.Cited = False,
    cites: O.Cites = False,
    citations_from: O.CitationsFrom = None,
    icite_url: O.IciteUrl = None,
    europepmc_url: O.EuropePmcUrl = None,
    strict: O.Strict = False,
    why: O.Why = False,
    fmt: O.OutputFormat = None,
    input_format: O.InputFormat = O.InputForm.auto,
    input_file: O.InputFile = None,
    no_header: O.NoHeader = False,
    common: O.Common = O.Common(),
) -> None:
    from elinkcli.cli.common import (
        OutputSpec,
        choose_format,
        configured_format,
        make_client,
        print_link_summary,
        run_rows,
        settings_of,
        show_summary,
    )
    from elinkcli.cli.inputs import gather_input
    from elinkcli.commands.ledger import Ledger
    from elinkcli.commands.link import LINK_COLUMNS, SOURCE_COLUMN
    from elinkcli.commands.plans.link import LinkPlan
    from elinkcli.commands.runs import link_rows
    from elinkcli.constants import COMMAND_FORMATS
    from elinkcli.ids.packed import WINDOW
    from elinkcli.sources.select import tables_may_answer

    accepts = COMMAND_FORMATS["link"]

    elink_cmd, cmd_history, cmd_format = link_cmd(cmd)
    history = history or cmd_history
    fmt_name = fmt.value if fmt else cmd_format
    if cited or cites:
        from elinkcli.commands.plans.citations import CitationPlan

        CitationPlan.check_link_options(
            cited=cited,
            cites=cites,
            target=target,
            name=name,
            union=union,
            history=history,
            related=related,
            cmd=elink_cmd,
            idtype=idtype,
            term=term,
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
    to_file = common.output is not None
    configured = configured_format()
    scored = elink_cmd == "neighbor_score"
    # The format as far as it is known before stdin is read (a message there may change it).
    early = choose_format(
        fmt_name, False, to_file, accepts=accepts, scored=scored, configured=configured
    )
    plan = LinkPlan.make(
        db=db,
        target=target,
        name=name,
        cmd=elink_cmd,
        related=related,
        union=union,
        history=history,
        term=term,
        datetype=datetype,
        reldate=reldate,
        mindate=mindate,
        maxdate=maxdate,
        idtype=idtype,
        batch=batch,
        strict=strict,
        fmt=fmt_name if history else early,
    )
    packed_above = WINDOW if plan.windowed else None
    run = gather_input(
        db, ids, input_format.value, input_file, packed_above=packed_above, fallback_db=plan.name_db
    )
    plan = plan.for_db(run.db)
    plan.vet(warn)
    assert plan.target is not None
    note = plan.name_note()
    if note is not None and show_summary(common):
        warn(note)
    if history:
        if common.resume:
            raise UsageError(
                "--resume goes with --output FILE"
                if common.output is None
                else "--resume works with tsv, json, jsonl and uid, not edirect (--history)"
            )
        with make_client(common) as client:
            _write_history_message(client, run, plan, common)
        return
    chosen = choose_format(
        fmt_name,
        run.message is not None,
        to_file,
        accepts=accepts,
        scored=scored,
        configured=configured,
    )
    if chosen == "xml" and plan.windowed:
        plan = replace(plan, windowed=False)  # a message in: never packed, every id at hand
    if scored and chosen in ("uid", "edirect"):
        warn(
            f"--format {chosen} writes ids only: the scores are dropped (tsv, json, xml keep them)"
        )
    if chosen in ("uid", "edirect"):
        plan = plan.accessions_only()
    # --format xml places the ids without links: the ledger keeps every id's name.
    stats = Ledger.keeping_all(run.ids) if chosen == "xml" else Ledger()
    target_db = plan.target
    assert target_db is not None

    def produce(client: EutilsClient | None, hooks: BatchHooks) -> Iterator[Sequence[Row]]:
        assert client is not None
        return link_rows(plan, run, client, stats, hooks, warn, explain=why)

    def summary() -> None:
        for text in (*notices.unexpected(stats), *notices.capped(stats)):
            warn(text)
        if show_summary(common):
            print_link_summary(stats, verbose=common.verbose, union=union)
        for token, reason in stats.why.items():  # --why: asked for, so said
            say(f"elinkcli: no links for {token}: {reason}")

    provenance = tables_may_answer(settings_of(common))
    spec = OutputSpec(
        fmt=chosen,
        columns=(*LINK_COLUMNS, SOURCE_COLUMN) if provenance else LINK_COLUMNS,
        uid_key="target_acc" if idtype in ("acc", "doi", "run") else "target_id",
        uid_fallback="target_id" if idtype in ("acc", "doi", "run") else None,
        header=not no_header,
        title=f"{run.db} → {target_db}",
        message=run.next_message(target_db),
        came_as_message=run.message is not None,
        ids=run.ids,
        identity=run.identity,
        link_stats=stats,
        source_db=run.db or "",
        union=union,
        accepts=accepts,
        scored=scored,
    )
    run_rows(
        common, spec, produce, total_ids=run.count, summary=summary, batched=True, ledger=stats
    )


def _write_history_message(
    client: EutilsClient, run: RunInput, plan: LinkPlan, common: O.Common
) -> None:
    """--history: the linked set stays on the History server; the message points at it,
    on stdout or in --output FILE (written atomically, as every -o is)."""
    from elinkcli.cli.common import run_fingerprint
    from elinkcli.commands.runs import link_to_history
    from elinkcli.ids.edirect import render_message
    from elinkcli.output.files import open_output, write_whole

    assert plan.target is not None
    path = common.output
    # Opened before anything is asked: a FILE another run is writing is refused first.
    target_file = (
        open_output(path, run_fingerprint(common, run.identity or run.ids), shape=common.run_shape)
        if path is not None
        else None
    )
    try:
        result = link_to_history(plan, run, client, warn)
        message = replace(
            run.next_message(plan.target),
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
