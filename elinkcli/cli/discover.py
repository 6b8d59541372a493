"""`elinkcli discover`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from elinkcli import constants as C
from elinkcli.cli import options as O
from elinkcli.cli.errors import say, warn

if TYPE_CHECKING:
    from elinkcli.cli.common import Row
    from elinkcli.commands.batching import BatchHooks
    from elinkcli.config import Settings
    from elinkcli.eutils.client import EutilsClient


HELP = """Which links exist? Without ids: every link name from a database, from NCBI's EInfo
merged with the bundled catalog (attested_by says which). With ids (--id or stdin): per
record, the link names that actually have links (ELink acheck); linkout=Y marks LinkOut.

\b
Examples:
  elinkcli discover -db gene --target protein
  elinkcli discover -db gene --offline --format uid
  elinkcli discover -db gene -id 672
  esearch -db gene -query "BRCA1[gene] AND human[orgn]" \\
    | elinkcli discover --format tsv

\b
Columns (tsv), without ids: source_db linkname target_db menu description
  max_links attested_by
Columns (tsv), with ids: source_db source_id linkname target_db menu priority
  linkout max_links source_uid
"""


def discover_command(
    db: O.Db = None,
    target: O.Target = None,
    ids: O.Ids = None,
    batch: O.Batch = C.DEFAULT_BATCH,
    strict: O.Strict = False,
    fmt: O.DiscoverFormat = None,
    input_format: O.InputFormat = O.InputForm.auto,
    input_file: O.InputFile = None,
    no_header: O.NoHeader = False,
    common: O.Common = O.Common(),
) -> None:
    from elinkcli.catalog import load_catalog
    from elinkcli.cli.common import (
        OutputSpec,
        print_link_summary,
        run_rows,
        show_summary,
        warn_not_echoed,
    )
    from elinkcli.cli.inputs import gather_optional_input
    from elinkcli.commands.discover import NAME_COLUMNS, RECORD_COLUMNS, discover
    from elinkcli.commands.ledger import Ledger
    from elinkcli.commands.plans.discover import DiscoverPlan
    from elinkcli.commands.runs import discover_rows

    plan = DiscoverPlan.make(
        db=None, target=target, batch=batch, strict=strict, fmt=fmt.value if fmt else None
    )
    run = gather_optional_input(db, ids, input_format.value, input_file)
    plan = plan.for_db(run.db if run is not None else db)
    plan.vet(warn)
    source_db = plan.db or ""
    fmt_value = fmt.value if fmt else None
    if run is None:
        if common.verbose:
            catalog = load_catalog()
            say(f"elinkcli: catalog built {catalog.built} ({len(catalog.linknames)} link names)")

        def names(client: EutilsClient | None, hooks: BatchHooks) -> Iterator[Row]:
            rows = discover(
                source_db,
                target=plan.target,
                offline=common.offline,
                client=client,
                settings=None if client is not None else _tables_settings(common),
            )
            return (r.values() for r in rows)

        spec = OutputSpec(
            fmt_value,
            NAME_COLUMNS,
            accepts=C.COMMAND_FORMATS["discover"],
            uid_key="linkname",
            header=not no_header,
            title=f"links from {source_db}",
            # One line a link name on a terminal of 80 (the rest: tsv, json).
            table_columns=("linkname", "target_db", "menu", "description"),
        )
        run_rows(common, spec, names, needs_client=not common.offline)
        return
    stats = Ledger()

    def records(client: EutilsClient | None, hooks: BatchHooks) -> Iterator[Row]:
        assert run is not None and client is not None
        return (r.values() for r in discover_rows(plan, run, client, stats, hooks, warn))

    def summary() -> None:
        warn_not_echoed(stats)
        if show_summary(common):
            print_link_summary(stats, verbose=common.verbose)

    spec = OutputSpec(
        fmt_value,
        RECORD_COLUMNS,
        accepts=C.COMMAND_FORMATS["discover"],
        uid_key="linkname",
        header=not no_header,
        title=f"links of {source_db} records",
        table_columns=("source_id", "linkname", "target_db", "menu", "linkout", "source_uid"),
        ids=run.ids,
        identity=run.identity,
    )
    run_rows(common, spec, records, total_ids=len(run.ids), summary=summary, ledger=stats)


def _tables_settings(common: O.Common) -> Settings | None:
    """The settings that say where tables are (for elinkcli's own link names), offline:
    None when they cannot be made (a bad base URL is no matter without the network)."""
    from elinkcli.cli.common import settings_of
    from elinkcli.errors import ElinkError

    try:
        return settings_of(common)
    except ElinkError:
        return None
