"""The Typer app and the process entry point (`elinkcli`, `python -m elinkcli`)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from elinkcli import __version__
from elinkcli.cli.admin import CONFIG_HELP, cache_app, config_command
from elinkcli.cli.chain import HELP as CHAIN_HELP
from elinkcli.cli.chain import chain_command
from elinkcli.cli.check import HELP as CHECK_HELP
from elinkcli.cli.check import check_command
from elinkcli.cli.discover import HELP as DISCOVER_HELP
from elinkcli.cli.discover import discover_command
from elinkcli.cli.errors import guarded
from elinkcli.cli.link import HELP as LINK_HELP
from elinkcli.cli.link import link_command
from elinkcli.cli.linkout import HELP as LINKOUT_HELP
from elinkcli.cli.linkout import linkout_command
from elinkcli.cli.options import common_options
from elinkcli.cli.panels import PanelCommand, PanelGroup
from elinkcli.cli.provider_files import (
    CONVERT_HELP,
    PREVIEW_HELP,
    VALIDATE_HELP,
    convert_command,
    preview_command,
    validate_command,
)
from elinkcli.cli.tables import tables_app
from elinkcli.errors import ExitStatus

APP_HELP = (
    "Walk NCBI Entrez links (ELink) from the shell.\n\n"
    "gene to protein, PubMed to gene, BioProject to SRA: every row keeps the source id it "
    "came from, in tsv, json, jsonl, a table or an ENTREZ_DIRECT message that pipes into "
    "EDirect.\n\n"
    "\b\nExamples:\n"
    "  elinkcli link -db gene -target protein -name gene_protein_refseq -id 672\n"
    '  esearch -db pubmed -query "BRCA1[ti]" | elinkcli link -target gene \\\n'
    "    | efetch -format docsum\n"
    "  elinkcli chain -db gene -id 672 protein:gene_protein_refseq structure \\\n"
    "    --format jsonl\n"
    "  elinkcli discover -db gene --offline --target protein\n"
)

app = typer.Typer(
    name="elinkcli",
    help=APP_HELP,
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    cls=PanelGroup,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"elinkcli {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    pass


# PanelCommand, PanelGroup: the options in their panels, then the exit status.
app.command("link", help=LINK_HELP, cls=PanelCommand)(guarded(common_options(link_command)))
app.command("check", help=CHECK_HELP, cls=PanelCommand)(guarded(common_options(check_command)))
app.command("discover", help=DISCOVER_HELP, cls=PanelCommand)(
    guarded(common_options(discover_command))
)
app.command("chain", help=CHAIN_HELP, cls=PanelCommand)(guarded(common_options(chain_command)))
linkout_app = typer.Typer(rich_markup_mode=None, cls=PanelGroup)
linkout_app.callback(invoke_without_command=True, help=LINKOUT_HELP)(
    guarded(common_options(linkout_command))
)
linkout_app.command("validate", help=VALIDATE_HELP, cls=PanelCommand)(guarded(validate_command))
linkout_app.command("convert", help=CONVERT_HELP, cls=PanelCommand)(guarded(convert_command))
linkout_app.command("preview", help=PREVIEW_HELP, cls=PanelCommand)(guarded(preview_command))
app.add_typer(linkout_app, name="linkout")
app.add_typer(cache_app, name="cache")
app.add_typer(tables_app, name="tables")
app.command("config", help=CONFIG_HELP)(guarded(config_command))


def main() -> None:
    from elinkcli.cli.edirect_args import rewrite
    from elinkcli.cli.errors import report, say, warn
    from elinkcli.cli.words import check_words
    from elinkcli.errors import UsageError

    try:
        args, warnings = rewrite(sys.argv[1:])
        command = typer.main.get_command(app)  # built once: checked, then run
        check_words(command, args)
    except UsageError as exc:
        sys.exit(report(exc))
    for warning in warnings:
        warn(warning)
    try:
        code = command(args=args, prog_name="elinkcli", standalone_mode=False)
    except typer.TyperException as exc:  # option parsing: unknown option, bad value, ...
        message = exc.format_message()
        ctx = getattr(exc, "ctx", None)
        if "\n" in message:  # no arguments at all: the message is the help text
            print(message, file=sys.stderr)
        else:
            where = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            say(f"elinkcli: error: {message}{where}")
        sys.exit(exc.exit_code)
    except typer.Abort:
        say("elinkcli: interrupted")
        sys.exit(ExitStatus.INTERRUPTED)
    sys.exit(code if isinstance(code, int) else 0)
