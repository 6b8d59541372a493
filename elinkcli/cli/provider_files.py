"""`elinkcli linkout validate|convert|preview`: LinkOut provider files, checked offline."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from elinkcli.cli import options as O
from elinkcli.cli.errors import say, warn
from elinkcli.errors import ExitStatus, UsageError
from elinkcli.inert import escape

if TYPE_CHECKING:  # the checker's modules load only when a command runs
    from elinkcli.providerfiles.validate import SourceFile

STDIN_NAMES = ("-", "/dev/stdin")

VALIDATE_HELP = """Check LinkOut provider files the way NCBI will, before you upload them.

Reads identity files (providerinfo.xml), XML resource files and Simple Text (.ft)
resource files (the kind comes from the root element or the .ft extension; - or
/dev/stdin reads stdin). Checks them against the LinkOut DTD 1.16 and NCBI's provider
guide: element order, rule keywords per database, SubjectType and Attribute lists,
Query tips, URLs, names and size limits. Nothing is fetched: not the DTD, not an
external entity. When an identity file is given, every resource file's ProviderId must
match it.

\b
One line per problem, grouped per file, then a summary line (all on stdout):
  FILE:LINE:COL: error|warning: message      (no COL for .ft files)

\b
Examples:
  elinkcli linkout validate providerinfo.xml resources.xml links.ft
  elinkcli linkout convert links.ft | elinkcli linkout validate -
  elinkcli linkout validate --strict holdings/*.xml | grep ': error: '
"""

CONVERT_HELP = """Rewrite a Simple Text (.ft) resource file as an XML resource file.

The XML keeps the global !name entities as <!ENTITY> declarations and the rule keywords
(&lo.id; ...) as keywords, escapes a bare & as &amp;, and passes `linkout validate`.
A .ft file with errors is not converted: its problems go to stderr, exit status 1.
Warnings go to stderr too, and the file is converted.

\b
Examples:
  elinkcli linkout convert resources.ft -o resources.xml
  elinkcli linkout convert resources.ft | elinkcli linkout validate -
"""

PREVIEW_HELP = """The URL each Link of a resource file gives a record with these values.

Entities are expanded, Base and Rule joined, keywords replaced and the modifiers applied
(pad, apad, subs, toupper, tolower, strip, normalize; RuleToMany joins one Rule per value
with its Separator). --value KEYWORD=VALUE may repeat (a keyword given twice has two
values, as lo.auth for a RuleToMany); --values reads a TSV whose header names the
keywords, one record per row (repeat a column for several values); --value then gives
what every row shares. A keyword without a value stays as &lo.x; and is named on stderr.

\b
Output (tsv): link_id url; with --values: record link_id url (record = row
number).

\b
Examples:
  elinkcli linkout preview resources.xml --value lo.pacc=AL032671
  elinkcli linkout preview links.ft --values records.tsv --no-header \\
    | cut -f3 | xargs -n1 curl -sI
"""


def read_source(path: Path) -> SourceFile:
    """A file's bytes (stdin for - or /dev/stdin), read only up to the size limit + 1 byte
    (a larger file is refused from its size); UsageError when it cannot be read."""
    from elinkcli.providerfiles.validate import SourceFile, read_path, read_stream

    if str(path) in STDIN_NAMES:
        stream = sys.stdin
        if stream is None or stream.isatty():
            raise UsageError(f"{path} reads stdin, but stdin is a terminal: pipe a file in")
        if hasattr(stream, "buffer"):
            return read_stream(stream.buffer, "<stdin>")
        return SourceFile("<stdin>", stream.read().encode(), None)
    try:
        return read_path(path)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def validate_command(
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE...",
            help="providerinfo.xml, XML resource files, .ft files; - for stdin.",
            show_default=False,
        ),
    ],
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Count warnings as errors: exit 1 when there is any."),
    ] = False,
) -> int:
    from elinkcli.providerfiles.validate import validate

    # One file in memory at a time: each is read, checked and its model dropped in turn.
    reports = validate((read_source(path) for path in files), keep_models=False)
    for report in reports:
        for problem in report.problems:
            print(problem.format())
    errors = sum(r.errors for r in reports)
    warnings = sum(r.warnings for r in reports)
    print(
        f"{_plural(len(reports), 'file')} checked: {_plural(errors, 'error')}, "
        f"{_plural(warnings, 'warning')}"
    )
    failed = errors > 0 or (strict and warnings > 0)
    return int(ExitStatus.ERROR if failed else ExitStatus.OK)


def convert_command(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE.ft", help="The .ft resource file; - for stdin.", show_default=False
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar="FILE.xml", help="Write the XML here instead of stdout."
        ),
    ] = None,
) -> int:
    from elinkcli.providerfiles.convert import convert_ft

    source = read_source(file)
    conversion = convert_ft(source.data, source.display, source.file_name)
    for problem in conversion.problems:
        say(problem.format())
    if conversion.xml is None:
        errors = sum(p.severity == "error" for p in conversion.problems)
        say(f"elinkcli: {source.display} not converted: {_plural(errors, 'error')}")
        return int(ExitStatus.ERROR)
    if output is None or str(output) == "-":
        sys.stdout.write(conversion.xml)
        return int(ExitStatus.OK)
    from elinkcli.output.files import open_output, write_whole

    write_whole(open_output(output, "linkout convert"), conversion.xml)
    return int(ExitStatus.OK)


def preview_command(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE", help="XML or .ft resource file; - for stdin.", show_default=False
        ),
    ],
    value: Annotated[
        list[str] | None,
        typer.Option(
            "--value",
            metavar="KEYWORD=VALUE",
            help="A keyword's value, e.g. lo.id=6016240 (repeatable; lo. may be left out).",
            show_default=False,
        ),
    ] = None,
    values: Annotated[
        Path | None,
        typer.Option(
            "--values",
            metavar="FILE.tsv",
            help="Records from a TSV: header = keyword names, one record per row.",
        ),
    ] = None,
    no_header: O.NoHeader = False,
) -> int:
    from elinkcli.providerfiles.preview import preview, values_from_options, values_from_tsv
    from elinkcli.providerfiles.validate import parse_file

    source = read_source(file)
    shared = values_from_options(value or [])
    if values is None:
        records: list[dict[str, list[str]]] = [shared]
    else:
        table = read_source(values).data.decode("utf-8", "replace")
        records = [{**shared, **row} for row in values_from_tsv(table)]
    report = parse_file(source)
    if report.resource is None:
        for problem in report.problems:
            say(problem.format())
        what = "an identity file" if report.identity is not None else "not readable"
        say(f"elinkcli: {source.display}: no links to preview ({what})")
        return int(ExitStatus.ERROR)
    if report.errors:
        warn(
            f"{source.display} has {_plural(report.errors, 'error')} "
            "(see elinkcli linkout validate); previewing what could be read"
        )
    missing: set[str] = set()
    rows = preview(report.resource, records, missing)
    if not no_header:
        print("record\tlink_id\turl" if values is not None else "link_id\turl")
    for row in rows:
        # The file's text, escaped: a tab or line break in a LinkId or URL stays in its cell.
        cells = (row.link_id, row.url) if values is None else (row.record, row.link_id, row.url)
        print("\t".join(escape(str(cell)) for cell in cells))
    for name in sorted(missing):
        warn(f"no value for &{name};: left as is in the URL (give --value {name}=...)")
    return int(ExitStatus.OK)
