"""`elinkcli tables list|get|update|drop|info|compare`: NCBI's bulk link files as local
tables that `link --from tables|auto` answers from (elinkcli.commands.tables does the work)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from elinkcli.cli.errors import guarded, say, warn
from elinkcli.inert import size_text

if TYPE_CHECKING:
    from elinkcli.commands.tables import Fetcher
    from elinkcli.config import Settings

tables_app = typer.Typer(
    help="NCBI's bulk link files (gene2pubmed, gene2refseq, gene2accession, PMC-ids) "
    "downloaded, checked and loaded into local tables that `link` answers from: millions "
    "of ids in seconds, past NCBI's rate limit. Needs the extra: pip install "
    "'elinkcli[tables]'.\n\n"
    "\b\nExamples:\n  elinkcli tables get gene2pubmed\n"
    "  elinkcli tables get gene2refseq --taxon 9606\n"
    "  cut -f1 genes.txt | elinkcli link -db gene -target pubmed --from tables > out.tsv\n"
    "  elinkcli tables update && elinkcli tables list",
    no_args_is_help=True,
    rich_markup_mode=None,
)

Json = Annotated[bool, typer.Option("--json", help="JSON instead of text.")]
Dir = Annotated[
    Path | None,
    typer.Option(
        "--dir",
        metavar="DIR",
        help="Where tables are kept [default: the user's data directory, elinkcli/tables] "
        "[env: ELINKCLI_TABLES_DIR]",
        show_default=False,
    ),
]
Url = Annotated[
    str | None,
    typer.Option(
        "--url",
        metavar="URL",
        help="Where the files are served [default: https://ftp.ncbi.nlm.nih.gov/] "
        "[env: ELINKCLI_TABLES_URL]",
        show_default=False,
    ),
]
Names = Annotated[list[str], typer.Argument(metavar="NAME...", help="Table names (tables list).")]
Taxon = Annotated[
    list[str] | None,
    typer.Option(
        "--taxon",
        metavar="TAXID",
        help="Keep only these organisms (NCBI Taxonomy ids, e.g. 9606; repeat or comma-separate). "
        "ELink answers the others with --from auto.",
        show_default=False,
    ),
]


def _settings(tables_dir: Path | None = None, url: str | None = None) -> Settings:
    from elinkcli.commands.settings import settled

    return settled(warn, tables_dir=tables_dir, tables_url=url).settings


def _fetcher(settings: Settings) -> Fetcher:
    from elinkcli.cli.progress import transfer_bar
    from elinkcli.commands.tables import Fetcher
    from elinkcli.eutils.download import Transfer
    from elinkcli.eutils.retry import RetryPolicy

    return Fetcher(
        Transfer(
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            policy=RetryPolicy.of(settings),
            progress=transfer_bar(),
            notice=lambda text: warn(text),
        ),
    )


def _out(text: str) -> None:
    """Data on stdout, each line inert (escape sequences and markup from a file or a
    server shown as text)."""
    from elinkcli.inert import escape

    lines = ("\t".join(map(escape, part.split("\t"))) for part in text.split("\n"))
    sys.stdout.write("\n".join(lines) + "\n")


def _note(text: str) -> None:
    say(f"elinkcli: {text}")


@tables_app.command(
    "list",
    help="Every known file: the link names its table answers, its size upstream (asked "
    "with a HEAD request; --offline: not asked), whether it is loaded, when, and from which "
    "upstream version.\n\n\b\nExamples:\n  elinkcli tables list\n"
    "  elinkcli tables list --json | jq '.[] | select(.loaded)'",
)
@guarded
def tables_list(
    as_json: Json = False,
    offline: Annotated[bool, typer.Option("--offline", help="Ask the server nothing.")] = False,
    tables_dir: Dir = None,
    url: Url = None,
) -> None:
    from elinkcli.commands.tables import list_tables, status_dict

    settings = _settings(tables_dir, url)
    fetcher = None if offline else _fetcher(settings)
    try:
        found = list_tables(settings, fetcher.try_head if fetcher else None)
    finally:
        if fetcher is not None:
            fetcher.close()
    if as_json:
        _out(json.dumps([status_dict(s) for s in found], indent=1))
        return
    lines = ["name\tloaded\tupstream_date\trows\ttaxa\tupstream_size\tanswers"]
    for s in found:
        loaded = s.loaded
        lines.append(
            "\t".join(
                (
                    s.name,
                    "yes" if loaded else ("damaged" if s.problem else "no"),
                    loaded.upstream_date() if loaded else "-",
                    f"{loaded.rows}" if loaded else "-",
                    ",".join(map(str, loaded.taxa)) if loaded and loaded.taxa else "-",
                    size_text(s.upstream_size) if s.upstream_size else f"({s.size_note})",
                    ",".join(s.answers),
                )
            )
        )
    _out("\n".join(lines))
    for s in found:
        if s.problem:
            warn(s.problem)


@tables_app.command(
    "get",
    help="Download files (resuming a transfer cut short), check them (size, every gzip "
    "member's CRC, the header, NCBI's MD5 where published) and load them. The table in use "
    "is switched only when the new one is whole: a failure leaves it as it was. A second "
    "`get` of the same file waits for the first.\n\n\b\nExamples:\n"
    "  elinkcli tables get gene2pubmed pmc_ids\n  elinkcli tables get gene2accession --taxon 9606"
    "\n  elinkcli tables get gene2pubmed && cut -f1 genes.txt | elinkcli link -db gene "
    "-target pubmed --from tables",
)
@guarded
def tables_get(
    names: Names,
    taxon: Taxon = None,
    tables_dir: Dir = None,
    url: Url = None,
) -> None:
    from elinkcli.commands.tables import get_table, parse_taxa

    settings = _settings(tables_dir, url)
    taxa = parse_taxa(taxon or [])
    fetcher = _fetcher(settings)
    try:
        for name in names:
            loaded, _ = get_table(settings, name, fetcher, taxa=taxa, say=warn)
            assert loaded is not None
            _note(
                f"{loaded.name}: {loaded.rows:,} rows loaded ({loaded.origin()}), "
                f"{size_text(loaded.disk_bytes)} in {loaded.path}"
            )
    finally:
        fetcher.close()


@tables_app.command(
    "update",
    help="Load again the loaded tables (or those named) whose file changed upstream "
    "(size, Last-Modified, ETag), with the organisms they were loaded with.\n\n\b\n"
    "Examples:\n  elinkcli tables update\n  elinkcli tables update gene2pubmed"
    "\n  elinkcli tables update 2>&1 | grep 'loaded again'",
)
@guarded
def tables_update(
    names: Annotated[list[str] | None, typer.Argument(metavar="[NAME...]")] = None,
    tables_dir: Dir = None,
    url: Url = None,
) -> None:
    from elinkcli.commands.tables import update_tables

    settings = _settings(tables_dir, url)
    fetcher = _fetcher(settings)
    try:
        done = update_tables(settings, names or [], fetcher, say=warn)
    finally:
        fetcher.close()
    if not done:
        warn("no table is loaded: `elinkcli tables get NAME` loads one")
    for name, what in done:
        _note(f"{name}: {'loaded again' if what == 'loaded' else 'unchanged upstream'}")


@tables_app.command(
    "drop",
    help="Stop using tables and remove their files.\n\n\b\nExamples:\n"
    "  elinkcli tables drop gene2accession\n"
    "  elinkcli tables list --json | jq -r '.[] | select(.loaded) | .name' | xargs "
    "elinkcli tables drop",
)
@guarded
def tables_drop(names: Names, tables_dir: Dir = None) -> None:
    from elinkcli.commands.tables import drop_table

    settings = _settings(tables_dir)
    for name in names:
        existed = drop_table(settings, name)
        _note(f"{name}: {'dropped' if existed else 'was not loaded'}")


@tables_app.command(
    "info",
    help="One table in full, as JSON: where it came from, when, its rows, organisms and "
    "files (Parquet, which DuckDB, Arrow, Polars and R read too).\n\n\b\nExamples:\n"
    "  elinkcli tables info gene2pubmed\n  elinkcli tables info gene2pubmed | jq .files",
)
@guarded
def tables_info(
    name: Annotated[str, typer.Argument(metavar="NAME")],
    tables_dir: Dir = None,
) -> None:
    from elinkcli.commands.tables import TableStatus, spec_of, status_dict, store_of

    settings = _settings(tables_dir)
    spec = spec_of(name)
    loaded = store_of(settings).current(spec.name)
    status = TableStatus(spec.name, spec.path, spec.answers(), spec.about, spec.size_note, loaded)
    _out(json.dumps(status_dict(status), indent=1))


@tables_app.command(
    "compare",
    help="How far a table and ELink agree today: a random sample of the ids the table "
    "holds, asked of both (ELink paced as ever), per link name; lists the ids that differ "
    "and what each side has that the other lacks. Exit 0 whatever the agreement.\n\n\b\n"
    "Examples:\n  elinkcli tables compare gene2pubmed --sample 200\n"
    "  elinkcli tables compare gene2refseq --name gene_protein_refseq --json | jq .agree",
)
@guarded
def tables_compare(
    name: Annotated[str, typer.Argument(metavar="NAME")],
    sample: Annotated[int, typer.Option("--sample", metavar="N", help="Ids per link name.")] = 100,
    linkname: Annotated[
        str | None, typer.Option("--name", metavar="LINKNAME", help="One link name only.")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Draw the same sample again.")] = None,
    as_json: Json = False,
    tables_dir: Dir = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            metavar="URL",
            help="E-utilities base URL [env: ELINKCLI_BASE_URL]",
            show_default=False,
        ),
    ] = None,
) -> None:
    from elinkcli.commands.settings import settled
    from elinkcli.commands.tables import compare
    from elinkcli.errors import UsageError
    from elinkcli.sources.connect import connect

    if not 1 <= sample <= 100_000:
        raise UsageError(f"--sample must be between 1 and 100000, not {sample}")
    settings = settled(warn, tables_dir=tables_dir, base_url=base_url, links_from="elink").settings
    client = connect(settings, on_notice=lambda kind, text: warn(text))
    try:
        for found in compare(client, name, sample, linkname=linkname, seed=seed):
            if as_json:
                _out(
                    json.dumps(
                        {
                            "linkname": found.linkname,
                            "table": found.table,
                            "ids": found.ids,
                            "agree": found.same,
                            "differ": [
                                {"id": i, "table_only": list(a), "elink_only": list(b)}
                                for i, a, b in found.differing
                            ],
                            "failed": list(found.failed),
                        }
                    )
                )
                continue
            share = 100 * found.same / found.ids if found.ids else 0.0
            _out(
                f"{found.linkname}: {found.same} of {found.ids} ids agree ({share:.1f}%) "
                f"between {found.table} and ELink"
            )
            for i, a, b in found.differing[:20]:
                _out(
                    f"  {i}: table only {len(a)} ({', '.join(a[:5])}), "
                    f"ELink only {len(b)} ({', '.join(b[:5])})"
                )
            if found.failed:
                warn(f"{found.linkname}: ELink failed for {len(found.failed)} id(s)")
    finally:
        client.close()
