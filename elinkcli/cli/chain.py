"""`elinkcli chain`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

import typer

from elinkcli import constants as C
from elinkcli.cli import options as O
from elinkcli.cli.errors import say, warn
from elinkcli.cli.panels import OUTPUT, WHAT

if TYPE_CHECKING:
    from elinkcli.commands.batching import BatchHooks
    from elinkcli.commands.chain import HopStats
    from elinkcli.eutils.client import EutilsClient
    from elinkcli.output.rows import Row


HELP = """Walk several hops in one run; every result is a full path from a source id to a
final id. Each hop is TARGET[:LINKNAME], or cited / cites (PubMed citations, from
--citations-from or cited:SOURCES); TARGET alone asks for PREVIOUS_TARGET (gene then
protein: gene_protein) when the catalog has it, TARGET:all for every table. Ids after one
-id hold digits; hops never do. The path is checked against the catalog before any
request (a link name that cannot lead from the previous database is exit 2).

\b
Examples:
  elinkcli chain -db gene -id 672 protein:gene_protein_refseq structure
  elinkcli chain -db pubmed -id 15718680 gene:pubmed_gene protein \\
    --format jsonl
  elinkcli chain -db pubmed -id 15718680 cited cited   (citers of citers)
  esearch -db gene -query "BRCA1[gene] AND human[orgn]" \\
    | elinkcli chain protein:gene_protein_refseq structure --format uid

Output: tsv has one column per hop, named after its database (gene, protein, structure;
made unique when one repeats: pubmed, pubmed_2); jsonl one {"path": [{"db", "id"}, ...]}
per path, json the same paths in one array; uid and edirect the distinct final ids.
"""


def chain_command(
    hops: Annotated[
        list[str],
        typer.Argument(
            metavar="HOP...",
            help="TARGET or TARGET:LINKNAME, one per hop; cited or cites (PubMed citations, "
            "cited:europepmc for another source than --citations-from).",
            show_default=False,
            rich_help_panel=WHAT,
        ),
    ],
    db: O.Db = None,
    ids: O.Ids = None,
    max_per_hop: Annotated[
        int | None,
        typer.Option(
            "--max-per-hop",
            min=1,
            metavar="N",
            help="Keep at most N links per source at each hop (in NCBI's order).",
            rich_help_panel=WHAT,
        ),
    ] = None,
    warn_above: Annotated[
        int,
        typer.Option(
            "--warn-above",
            min=1,
            metavar="N",
            help="Warn on stderr when a hop has more than N ids to link.",
            rich_help_panel=OUTPUT,
        ),
    ] = C.WARN_ABOVE,
    batch: O.Batch = C.DEFAULT_BATCH,
    citations_from: O.CitationsFrom = None,
    icite_url: O.IciteUrl = None,
    europepmc_url: O.EuropePmcUrl = None,
    strict: O.Strict = False,
    fmt: O.ChainFormat = None,
    input_format: O.InputFormat = O.InputForm.auto,
    input_file: O.InputFile = None,
    no_header: O.NoHeader = False,
    common: O.Common = O.Common(),
) -> None:
    from elinkcli.cli.common import OutputSpec, run_rows, show_summary
    from elinkcli.cli.inputs import gather_input
    from elinkcli.commands.chain import Hop, column_names
    from elinkcli.commands.plans.chain import ChainPlan
    from elinkcli.commands.runs import chain_paths
    from elinkcli.config import resolve

    parsed = [Hop.parse(h) for h in hops]
    run = gather_input(db, ids, input_format.value, input_file)
    source_db = run.db or ""
    plan = ChainPlan.make(
        db=source_db,
        hops=parsed,
        max_per_hop=max_per_hop,
        warn_above=warn_above,
        batch=batch,
        strict=strict,
        citations_from=citations_from,
    ).settled(resolve(environ=None).settings.citations_from)
    plan.vet(warn)
    # An eLinkResult with one LinkSet per source: each path starts at that earlier source.
    origin_db = run.origin_db if run.origins else None
    first = [origin_db] if origin_db else []
    columns = (
        column_names(origin_db, [Hop(source_db), *parsed])
        if origin_db
        else column_names(source_db, parsed)
    )
    final_db = parsed[-1].target

    dbs = [*first, source_db, *(h.target for h in parsed)]

    def path_object(row: Row) -> object:
        return {"path": [{"db": d, "id": i} for d, i in zip(dbs, row, strict=True)]}

    stats: list[HopStats] = []

    def produce(client: EutilsClient | None, hooks: BatchHooks) -> Iterator[Row]:
        assert client is not None
        return chain_paths(plan, run, client, stats, warn)

    def summary() -> None:
        if show_summary(common):
            for n, hop in enumerate(stats, start=1):
                failed = f", {len(hop.failed)} failed" if hop.failed else ""
                say(
                    f"elinkcli: hop {n} {hop.db} -> {dbs[n + len(first)]}: {hop.ids_in} id(s) in, "
                    f"{hop.links} link(s), {hop.requests} request(s){failed}"
                )

    spec = OutputSpec(
        accepts=C.COMMAND_FORMATS["chain"],
        fmt=fmt.value if fmt else None,
        columns=columns,
        uid_key=columns[-1],
        header=not no_header,
        title=" → ".join(dbs),
        message=run.next_message(final_db),
        came_as_message=run.message is not None,
        as_object=path_object,
        ids=run.ids,
        identity=run.identity,
    )
    run_rows(
        common,
        spec,
        produce,
        summary=summary,
        client_options={"icite_url": icite_url, "europepmc_url": europepmc_url},
    )
