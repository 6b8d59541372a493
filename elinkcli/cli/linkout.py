"""`elinkcli linkout`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated

import typer

from elinkcli import constants as C
from elinkcli.cli import options as O
from elinkcli.cli.errors import warn
from elinkcli.cli.panels import WHAT
from elinkcli.errors import UsageError

if TYPE_CHECKING:
    from elinkcli.cli.common import Row
    from elinkcli.commands.batching import BatchHooks
    from elinkcli.commands.linkout import Resource
    from elinkcli.eutils.client import EutilsClient


ANY = "Repeatable; case-insensitive."

HELP = """The LinkOut (external) resources of records: full text, databases, libraries.
With a command (validate, convert, preview): check and try LinkOut provider files.

ELink llinks by default; --primary asks for the primary provider only (prlinks). To ask
only "has this record any LinkOut?", `elinkcli check --cmd lcheck` is cheaper.

Filters keep a resource when it matches any value of each filter given (--category,
--subject-type, --attribute, --provider, --free), compared case-insensitively.

\b
Examples:
  elinkcli linkout -db pubmed -id 15718680
  elinkcli linkout -db pubmed -id 15718680 --free --format urls \\
    --category "Full Text Sources" | wget -i -
  esearch -db pubmed -query "asthma[mh] AND 2024[dp]" \\
    | elinkcli linkout --primary --format jsonl

Columns (tsv): source_db source_id url provider provider_abbr provider_id category
subject_types attributes label icon_url source_uid (several values joined by "; " in tsv,
lists in json and jsonl).
"""


def linkout_command(
    ctx: typer.Context,
    db: O.Db = None,
    ids: O.Ids = None,
    primary: Annotated[
        bool,
        typer.Option(
            "--primary", help="The primary provider only (ELink prlinks).", rich_help_panel=WHAT
        ),
    ] = False,
    libraries: Annotated[
        bool,
        typer.Option(
            "--libraries",
            help="Library holdings (ELink llinkslib). NCBI now rejects it: exit 3.",
            rich_help_panel=WHAT,
        ),
    ] = False,
    holding: Annotated[
        str | None,
        typer.Option(
            "--holding",
            metavar="NAMEABBR",
            help="Only this provider's links (ELink holding).",
            rich_help_panel=WHAT,
        ),
    ] = None,
    category: Annotated[
        list[str] | None,
        typer.Option(
            "--category",
            metavar="TEXT",
            help="Keep resources of this category, e.g. 'Full Text Sources'. " + ANY,
            rich_help_panel=WHAT,
        ),
    ] = None,
    subject_type: Annotated[
        list[str] | None,
        typer.Option(
            "--subject-type",
            metavar="TEXT",
            help="Keep resources of this subject type, e.g. 'structure'. " + ANY,
            rich_help_panel=WHAT,
        ),
    ] = None,
    attribute: Annotated[
        list[str] | None,
        typer.Option(
            "--attribute",
            metavar="TEXT",
            help="Keep resources with this attribute, e.g. 'free resource'. " + ANY,
            rich_help_panel=WHAT,
        ),
    ] = None,
    provider: Annotated[
        list[str] | None,
        typer.Option(
            "--provider",
            metavar="NAME",
            help="Keep this provider's resources (name or abbreviation). " + ANY,
            rich_help_panel=WHAT,
        ),
    ] = None,
    free: Annotated[
        bool,
        typer.Option(
            "--free",
            help="Drop resources that need registration or a subscription/membership/fee.",
            rich_help_panel=WHAT,
        ),
    ] = False,
    batch: O.Batch = C.DEFAULT_BATCH,
    strict: O.Strict = False,
    fmt: O.LinkoutFormat = None,
    input_format: O.InputFormat = O.InputForm.auto,
    input_file: O.InputFile = None,
    no_header: O.NoHeader = False,
    common: O.Common = O.Common(),
) -> None:
    from elinkcli.cli.common import OutputSpec, print_link_summary, run_rows, show_summary
    from elinkcli.cli.inputs import gather_input
    from elinkcli.commands.ledger import Ledger
    from elinkcli.commands.linkout import LINKOUT_COLUMNS, ResourceFilter
    from elinkcli.commands.plans.linkout import LinkoutPlan
    from elinkcli.commands.runs import linkout_rows

    if ctx.invoked_subcommand is not None:
        return  # validate, convert or preview: files, not records

    if primary and libraries:
        raise UsageError("--primary and --libraries exclude each other")
    plan = LinkoutPlan.make(
        db=None,
        mode="primary" if primary else "libraries" if libraries else "all",
        holding=holding,
        where=ResourceFilter(
            categories=tuple(category or ()),
            subject_types=tuple(subject_type or ()),
            attributes=tuple(attribute or ()),
            providers=tuple(provider or ()),
            free=free,
        ),
        batch=batch,
        strict=strict,
    )
    run = gather_input(db, ids, input_format.value, input_file)
    plan = plan.for_db(run.db)
    plan.vet(warn)
    stats = Ledger()
    chosen = fmt.value if fmt else None
    refused: list[str] = []

    def produce(client: EutilsClient | None, hooks: BatchHooks) -> Iterator[Row]:
        assert client is not None
        resources = linkout_rows(plan, run, client, stats, hooks, warn)
        if chosen == "urls":
            return _fetchable(resources, refused)
        return (r.values() for r in resources)

    def summary() -> None:
        from elinkcli.commands import notices
        from elinkcli.inert import quote

        for text in notices.unexpected(stats):
            warn(text)
        if refused:
            shown = ", ".join(quote(repr(u), 100) for u in refused[:5])
            more = f" and {len(refused) - 5} more" if len(refused) > 5 else ""
            warn(
                f"{len(refused)} LinkOut URL(s) are not absolute http(s) URLs on one line and "
                f"were not printed: {shown}{more}"
            )
        if show_summary(common):
            print_link_summary(stats, verbose=common.verbose, yes="with LinkOut", no="without")

    spec = OutputSpec(
        accepts=C.COMMAND_FORMATS["linkout"],
        fmt="uid" if chosen == "urls" else chosen,
        columns=LINKOUT_COLUMNS,
        uid_key="url",
        header=not no_header,
        title=f"LinkOut of {run.db} records",
        table_columns=("source_id", "provider", "category", "attributes", "url"),
        ids=run.ids,
        identity=run.identity,
    )
    run_rows(common, spec, produce, total_ids=len(run.ids), summary=summary, ledger=stats)


def _fetchable(resources: Iterable[Resource], refused: list[str]) -> Iterator[Row]:
    """--format urls: each resource whose URL can be fetched as it is printed (see
    fetchable_url), that URL in place; the others' URLs kept in `refused`."""
    from elinkcli.commands.linkout import fetchable_url

    for r in resources:
        url = fetchable_url(r.url)
        if url is None:
            refused.append(r.url)
        else:
            yield replace(r, url=url).values()
