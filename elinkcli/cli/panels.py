"""How --help lays out a command: options in groups, each naming its group with Typer's
`rich_help_panel=` (elinkcli.cli.options), written as plain Click sections (Typer draws its
panels only with rich markup, which elinkcli leaves off: plain text, the same in a pipe);
then the exit status, from elinkcli.errors.EXIT_MEANINGS. The man pages (tools/gendocs.py)
use the same groups."""

from __future__ import annotations

from typing import Any

from typer.core import TyperCommand, TyperGroup

IDS_IN = "Ids in"
WHAT = "What to link"
OUTPUT = "Output"
NETWORK = "Network and cache"
# In this order in every command's --help and man page.
PANELS = (IDS_IN, WHAT, OUTPUT, NETWORK)
# A parameter without a panel (-h/--help; every option of a command with fewer than two
# panels): Click's and Typer's own section names.
ARGUMENTS = "Arguments"
OPTIONS = "Options"
EXIT_STATUS = "Exit status"


def panel_of(param: Any) -> str | None:
    return getattr(param, "rich_help_panel", None)


def grouped(command: Any, ctx: Any) -> list[tuple[str, list[Any]]]:
    """The parameters `command` shows in its help, as (section title, parameters): the
    panels in PANELS order (then any other, as first met), an argument or option without
    one in Arguments / Options. A command whose parameters name fewer than two panels
    (linkout preview: only --no-header has one) is listed as Click lists it."""
    params = [p for p in command.get_params(ctx) if p.get_help_record(ctx) is not None]
    named = [n for n in map(panel_of, params) if n is not None]
    use_panels = len(set(named)) >= 2
    order = [ARGUMENTS, *PANELS, *dict.fromkeys(n for n in named if n not in PANELS), OPTIONS]
    sections: dict[str, list[Any]] = {title: [] for title in order}
    for param in params:
        title = panel_of(param) if use_panels else None
        if title is None:
            title = ARGUMENTS if param.param_type_name == "argument" else OPTIONS
        sections[title].append(param)
    return [(title, found) for title, found in sections.items() if found]


# Click's widest first column (a longer one has its text on the next line).
COL_MAX = 30


def write_sections(command: Any, ctx: Any, formatter: Any) -> None:
    """Each section as Click writes its options, the texts of every section in one column:
    Click sizes a section's first column by its own longest one."""
    sections = [
        (title, [p.get_help_record(ctx) for p in params]) for title, params in grouped(command, ctx)
    ]
    width = min(COL_MAX, max((len(opts) for _, rows in sections for opts, _ in rows), default=0))
    for title, rows in sections:
        with formatter.section(title):
            formatter.write_dl([(opts.ljust(width), text) for opts, text in rows], col_max=COL_MAX)


def write_exit_status(formatter: Any) -> None:
    from elinkcli.errors import EXIT_MEANINGS

    with formatter.section(EXIT_STATUS):
        formatter.write_dl([(str(int(code)), text) for code, text in EXIT_MEANINGS])


class PanelCommand(TyperCommand):
    """A command whose --help lists its options in their panels, and the exit status."""

    def format_options(self, ctx: Any, formatter: Any) -> None:
        write_sections(self, ctx, formatter)

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        super().format_epilog(ctx, formatter)
        write_exit_status(formatter)


class PanelGroup(TyperGroup):
    """A group (the app; linkout, whose callback is a command too) whose --help lists its
    options in their panels, its commands, and the exit status."""

    def format_options(self, ctx: Any, formatter: Any) -> None:
        write_sections(self, ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        super().format_epilog(ctx, formatter)
        write_exit_status(formatter)
