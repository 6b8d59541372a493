"""The Typer app and the process entry point (`elinkcli`, `python -m elinkcli`)."""

from __future__ import annotations

from typing import Annotated

import typer

from elinkcli import __version__
from elinkcli.cli.errors import EXIT_CODES_HELP, guarded
from elinkcli.cli.link import HELP as LINK_HELP
from elinkcli.cli.link import link_command

app = typer.Typer(
    name="elinkcli",
    help="Walk NCBI Entrez links (ELink) from the shell: gene → protein, pubmed → gene, ...\n\n"
    + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
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


app.command("link", help=LINK_HELP, epilog=EXIT_CODES_HELP)(guarded(link_command))


def main() -> None:
    app(prog_name="elinkcli")
