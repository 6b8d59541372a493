"""`elinkcli link`."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from elinkcli import constants as C
from elinkcli.cli import options as O
from elinkcli.cli.common import make_client, print_link_summary
from elinkcli.cli.inputs import choose_writer, read_id_tokens, stderr_is_terminal
from elinkcli.errors import UsageError
from elinkcli.ids import check_ids
from elinkcli.link import LINK_COLUMNS, link
from elinkcli.models import LinkStats
from elinkcli.params import LinkFilters

FILTERS = "ELink filters"


class LinkCmd(str, Enum):
    neighbor = "neighbor"
    neighbor_score = "neighbor_score"


HELP = """Link records of one database to another (ELink neighbor / neighbor_score).

Every row keeps its source id: each batch sends one id= parameter per id.

\b
Examples:
  elinkcli link -db gene -target protein -name gene_protein_refseq -id 672
  esearch -db pubmed -query "BRCA1 AND review[pt]" | efetch -format uid \\
    | elinkcli link -db pubmed -target gene --format uid
  elinkcli link -db pubmed -target pubmed -cmd neighbor_score -id 15718680 --format jsonl

\b
Columns (tsv): source_db source_id linkname target_db target_id score
(score only with -cmd neighbor_score).
"""


def link_command(
    db: O.Db,
    target: O.Target = None,
    name: O.Name = None,
    cmd: Annotated[
        LinkCmd,
        typer.Option("--cmd", "-cmd", help="neighbor, or neighbor_score (adds the score column)."),
    ] = LinkCmd.neighbor,
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
            rich_help_panel=FILTERS,
        ),
    ] = None,
    datetype: Annotated[
        str | None,
        typer.Option(
            "--datetype",
            help="Date field for the date limits: mdat, pdat or edat (PubMed).",
            rich_help_panel=FILTERS,
        ),
    ] = None,
    reldate: Annotated[
        int | None,
        typer.Option("--reldate", help="Only the last N days (PubMed).", rich_help_panel=FILTERS),
    ] = None,
    mindate: Annotated[
        str | None,
        typer.Option(
            "--mindate", help="From this date, YYYY[/MM[/DD]] (PubMed).", rich_help_panel=FILTERS
        ),
    ] = None,
    maxdate: Annotated[
        str | None,
        typer.Option(
            "--maxdate", help="Up to this date, YYYY[/MM[/DD]] (PubMed).", rich_help_panel=FILTERS
        ),
    ] = None,
    idtype: Annotated[
        str | None,
        typer.Option(
            "--idtype",
            "-idtype",
            help="'acc': sequence links come back as accession.version.",
            rich_help_panel=FILTERS,
        ),
    ] = None,
    fmt: O.OutputFormat = None,
    no_header: O.NoHeader = False,
    verbose: O.Verbose = False,
    base_url: O.BaseUrl = None,
    email: O.Email = None,
    api_key: O.ApiKey = None,
    timeout: O.Timeout = C.READ_TIMEOUT,
    deadline: O.Deadline = C.DEADLINE,
) -> None:
    if not target:
        raise UsageError("link needs a target database: --target DB (e.g. -target protein)")
    filters = LinkFilters(
        term=term,
        datetype=datetype,
        reldate=reldate,
        mindate=mindate,
        maxdate=maxdate,
        idtype=idtype,
    )
    source_ids = check_ids(read_id_tokens(ids), db)
    writer = choose_writer(
        fmt.value if fmt else None,
        LINK_COLUMNS,
        uid_key="target_id",
        header=not no_header,
        title=f"{db} → {target}",
    )
    stats = LinkStats()
    try:
        with make_client(base_url, email, api_key, timeout, deadline) as client:
            for row in link(
                source_ids,
                db=db,
                target=target,
                name=name,
                cmd=cmd.value,
                filters=filters,
                batch=batch,
                union=union,
                client=client,
                stats=stats,
            ):
                writer.write(
                    (
                        row.source_db,
                        row.source_id,
                        row.linkname,
                        row.target_db,
                        row.target_id,
                        row.score,
                    )
                )
    finally:
        writer.close()
        if verbose or stderr_is_terminal():
            print_link_summary(stats, verbose=verbose, union=union)
