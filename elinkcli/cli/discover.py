"""`elinkcli discover`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from elinkcli import constants as C
from elinkcli.catalog import load_catalog
from elinkcli.cli import options as O
from elinkcli.cli.common import make_client, print_link_summary, write_rows
from elinkcli.cli.errors import warn
from elinkcli.cli.inputs import choose_writer, gather_optional_input, stderr_is_terminal
from elinkcli.discover import NAME_COLUMNS, RECORD_COLUMNS, discover, discover_records
from elinkcli.errors import UsageError
from elinkcli.ids import normalize_db
from elinkcli.models import LinkStats
from elinkcli.names import vet_names

HELP = """Which links exist? Without ids: every link name from a database, from NCBI's EInfo
merged with the bundled catalog (attested_by says which). With ids (--id or stdin): per
record, the link names that actually have links (ELink acheck); linkout=Y marks LinkOut.

\\b
Examples:
  elinkcli discover -db gene --target protein
  elinkcli discover -db gene --offline --format uid
  elinkcli discover -db gene -id 672
  esearch -db gene -query "BRCA1[gene] AND human[orgn]" | elinkcli discover --format tsv

\\b
Columns (tsv), names:   source_db linkname target_db menu description max_links attested_by
Columns (tsv), records: source_db source_id linkname target_db menu priority linkout max_links
"""


def discover_command(
    db: O.Db = None,
    target: O.Target = None,
    ids: O.Ids = None,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline", help="The bundled catalog only: no network (link names, not records)."
        ),
    ] = False,
    batch: O.Batch = C.DEFAULT_BATCH,
    strict: O.Strict = False,
    fmt: O.OutputFormat = None,
    input_format: O.InputFormat = O.InputForm.auto,
    no_header: O.NoHeader = False,
    verbose: O.Verbose = False,
    base_url: O.BaseUrl = None,
    email: O.Email = None,
    api_key: O.ApiKey = None,
    timeout: O.Timeout = C.READ_TIMEOUT,
    deadline: O.Deadline = C.DEADLINE,
) -> None:
    run = gather_optional_input(db, ids, input_format.value)
    source_db = run.db if run is not None else (normalize_db(db) if db else None)
    if not source_db:
        raise UsageError("discover needs a database: --db DB")
    target = normalize_db(target) if target else None
    vet_names(warn, strict=strict, db=source_db, target=target)
    if run is not None and offline:
        raise UsageError("--offline lists link names; per-record links need NCBI (drop --offline)")
    fmt_value = fmt.value if fmt else None
    if fmt_value == "edirect":
        raise UsageError("discover lists link names, not records: choose another --format")
    if run is None:
        if verbose:
            catalog = load_catalog()
            print(
                f"elinkcli: catalog built {catalog.built} ({len(catalog.linknames)} link names)",
                file=sys.stderr,
            )
        writer = choose_writer(
            fmt_value,
            NAME_COLUMNS,
            uid_key="linkname",
            header=not no_header,
            title=f"links from {source_db}",
        )
        if offline:
            rows = discover(source_db, target=target, offline=True)
        else:
            with make_client(base_url, email, api_key, timeout, deadline) as client:
                rows = discover(source_db, target=target, client=client)
        write_rows(writer, (r.values() for r in rows))
        return
    writer = choose_writer(
        fmt_value,
        RECORD_COLUMNS,
        uid_key="linkname",
        header=not no_header,
        title=f"links of {source_db} records",
    )
    stats = LinkStats()
    with make_client(base_url, email, api_key, timeout, deadline) as client:
        try:
            write_rows(
                writer,
                (
                    r.values()
                    for r in discover_records(
                        run.expanded_ids(client),
                        db=source_db,
                        target=target,
                        batch=batch,
                        client=client,
                        stats=stats,
                    )
                ),
            )
        finally:
            if stats.ids_not_echoed:
                warn(
                    f"NCBI did not answer for {len(stats.ids_not_echoed)} id(s): "
                    + ",".join(stats.ids_not_echoed[:50])
                )
            if verbose or stderr_is_terminal():
                print_link_summary(stats, verbose=verbose)
