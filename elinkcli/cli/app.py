"""The Typer app and the process entry point (`elinkcli`, `python -m elinkcli`).

A run builds the app with the one command it runs (its module imported, its options
made into Click's): `elinkcli link ...` never builds `tables` or `linkout`. Help for the
whole tool, an unknown command and `elinkcli.cli.app.app` build every command.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from elinkcli import __version__
from elinkcli.cli.errors import guarded
from elinkcli.cli.options import common_options
from elinkcli.cli.panels import PanelCommand, PanelGroup
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


def _version(value: bool) -> None:
    if value:
        print(f"elinkcli {__version__}")
        raise typer.Exit()


def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    pass


# PanelCommand, PanelGroup: the options in their panels, then the exit status.
def _link(app: typer.Typer) -> None:
    from elinkcli.cli.link import HELP, link_command

    app.command("link", help=HELP, cls=PanelCommand)(guarded(common_options(link_command)))


def _check(app: typer.Typer) -> None:
    from elinkcli.cli.check import HELP, check_command

    app.command("check", help=HELP, cls=PanelCommand)(guarded(common_options(check_command)))


def _discover(app: typer.Typer) -> None:
    from elinkcli.cli.discover import HELP, discover_command

    app.command("discover", help=HELP, cls=PanelCommand)(guarded(common_options(discover_command)))


def _chain(app: typer.Typer) -> None:
    from elinkcli.cli.chain import HELP, chain_command

    app.command("chain", help=HELP, cls=PanelCommand)(guarded(common_options(chain_command)))


def _linkout(app: typer.Typer) -> None:
    from elinkcli.cli.linkout import HELP, linkout_command
    from elinkcli.cli.provider_files import (
        CONVERT_HELP,
        PREVIEW_HELP,
        VALIDATE_HELP,
        convert_command,
        preview_command,
        validate_command,
    )

    linkout_app = typer.Typer(rich_markup_mode=None, cls=PanelGroup)
    linkout_app.callback(invoke_without_command=True, help=HELP)(
        guarded(common_options(linkout_command))
    )
    linkout_app.command("validate", help=VALIDATE_HELP, cls=PanelCommand)(guarded(validate_command))
    linkout_app.command("convert", help=CONVERT_HELP, cls=PanelCommand)(guarded(convert_command))
    linkout_app.command("preview", help=PREVIEW_HELP, cls=PanelCommand)(guarded(preview_command))
    app.add_typer(linkout_app, name="linkout")


def _cache(app: typer.Typer) -> None:
    from elinkcli.cli.admin import cache_app

    app.add_typer(cache_app, name="cache")


def _tables(app: typer.Typer) -> None:
    from elinkcli.cli.tables import tables_app

    app.add_typer(tables_app, name="tables")


def _config(app: typer.Typer) -> None:
    from elinkcli.cli.admin import CONFIG_HELP, config_command

    app.command("config", help=CONFIG_HELP)(guarded(config_command))


# Every command, in the order help lists them.
COMMANDS: dict[str, Callable[[typer.Typer], None]] = {
    "link": _link,
    "check": _check,
    "discover": _discover,
    "chain": _chain,
    "linkout": _linkout,
    "cache": _cache,
    "tables": _tables,
    "config": _config,
}


def build(only: str | None = None) -> typer.Typer:
    """The app with every command, or with `only` that one."""
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
    app.callback()(_root)
    for name, register in COMMANDS.items():
        if only is None or name == only:
            register(app)
    return app


def __getattr__(name: str) -> Any:
    """`app`: every command (the generated docs, the tests), built when first asked."""
    if name == "app":
        globals()["app"] = found = build()
        return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    from elinkcli.cli.edirect_args import rewrite
    from elinkcli.cli.errors import report, say, warn
    from elinkcli.cli.words import check_words
    from elinkcli.errors import UsageError

    try:
        args, warnings = rewrite(sys.argv[1:])
        only = args[0] if args and args[0] in COMMANDS else None
        command = typer.main.get_command(build(only))  # built once: checked, then run
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
