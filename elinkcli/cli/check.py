"""`elinkcli check`."""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer

from elinkcli import constants as C
from elinkcli.cli import options as O
from elinkcli.cli.errors import warn
from elinkcli.cli.panels import OUTPUT, WHAT
from elinkcli.errors import UsageError

if TYPE_CHECKING:
    from elinkcli.cli.common import Row
    from elinkcli.commands.batching import BatchHooks
    from elinkcli.eutils.client import EutilsClient


HELP = """Does each record have links? One row per input id: Y or N.

--cmd ncheck: neighbors in the same database; --cmd lcheck: LinkOut (external) links;
--name LINKNAME: does the record list that link name (ELink acheck). Exactly one.
An id NCBI did not answer for gets an empty value and a warning, never dropped.

\b
Examples:
  elinkcli check -db pubmed -cmd ncheck -id 15718680,12068369
  elinkcli check -db gene -name gene_protein_refseq -id 672,7157 --only yes \\
    --format uid \\
    | elinkcli link -db gene -target protein -name gene_protein_refseq

\b
Columns (tsv): source_db source_id check value source_uid
"""


class CheckCmd(str, Enum):
    ncheck = "ncheck"
    lcheck = "lcheck"


class Only(str, Enum):
    yes = "yes"
    no = "no"


def check_command(
    db: O.Db = None,
    cmd: Annotated[
        CheckCmd | None,
        typer.Option(
            "--cmd",
            "-cmd",
            help="ncheck (neighbors) or lcheck (LinkOut links).",
            rich_help_panel=WHAT,
        ),
    ] = None,
    name: O.CheckName = None,
    ids: O.Ids = None,
    only: Annotated[
        Only | None,
        typer.Option(
            "--only",
            help="Keep only the rows whose answer is yes (Y) or no (N).",
            rich_help_panel=OUTPUT,
        ),
    ] = None,
    batch: O.Batch = C.DEFAULT_BATCH,
    strict: O.Strict = False,
    fmt: O.CheckFormat = None,
    input_format: O.InputFormat = O.InputForm.auto,
    input_file: O.InputFile = None,
    no_header: O.NoHeader = False,
    common: O.Common = O.Common(),
) -> None:
    from elinkcli.cli.common import (
        OutputSpec,
        print_link_summary,
        run_rows,
        show_summary,
        warn_not_echoed,
    )
    from elinkcli.cli.inputs import gather_input
    from elinkcli.commands.check import CHECK_COLUMNS
    from elinkcli.commands.ledger import Ledger
    from elinkcli.commands.plans.check import CheckPlan
    from elinkcli.commands.runs import check_rows

    if (cmd is None) == (name is None):
        raise UsageError("check needs exactly one of --cmd ncheck, --cmd lcheck or --name")
    plan = CheckPlan.make(
        db=None,
        cmd=cmd.value if cmd else None,
        name=name,
        only=only.value if only else None,
        batch=batch,
        strict=strict,
    )
    run = gather_input(db, ids, input_format.value, input_file)
    plan = plan.for_db(run.db)
    plan.vet(warn)
    stats = Ledger()

    def produce(client: EutilsClient | None, hooks: BatchHooks) -> Iterator[Row]:
        assert client is not None
        return (r.values() for r in check_rows(plan, run, client, stats, hooks, warn))

    def summary() -> None:
        warn_not_echoed(stats)
        if show_summary(common):
            print_link_summary(stats, verbose=common.verbose, yes="Y", no="N")

    spec = OutputSpec(
        accepts=C.COMMAND_FORMATS["check"],
        fmt=fmt.value if fmt else None,
        columns=CHECK_COLUMNS,
        uid_key="source_id",
        header=not no_header,
        title=f"{run.db}: {plan.label}",
        message=run.next_message(run.db or ""),
        came_as_message=run.message is not None,
        ids=run.ids,
        identity=run.identity,
    )
    run_rows(common, spec, produce, total_ids=len(run.ids), summary=summary, ledger=stats)
