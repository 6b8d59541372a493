"""Generate the man pages (man/), the shell completion scripts (completions/) and the tables
of README.md and docs/usage.md that say what the code says (exit status, each command's
formats) from the app, so they cannot drift from it:

    python tools/gendocs.py            # write them
    python tools/gendocs.py --check    # exit 1 and name the stale files

Development tooling, run from a checkout: it is not in the wheel (an installed copy has no
man/ or completions/ to compare with). click-man would be the library for this, but it reads
`click` commands and Typer (0.26 on) ships its own copy of click; the troff needed here is
small. Only the public Command and Parameter API is used, reached through
`typer.main.get_command`, and Typer's own `get_completion_script`.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from elinkcli import __version__
from elinkcli import constants as C
from elinkcli.config import PIPE_FORMATS
from elinkcli.errors import EXIT_MEANINGS

ROOT = Path(__file__).resolve().parent.parent  # the checkout: tools/..
# Each under the name its shell looks for, so they install as they are (pyproject's
# data-files): share/bash-completion/completions/elinkcli, share/zsh/site-functions/_elinkcli,
# share/fish/vendor_completions.d/elinkcli.fish.
SHELLS = {"bash": "bash/elinkcli", "zsh": "zsh/_elinkcli", "fish": "fish/elinkcli.fish"}

# The state directory, as docs/configuration.md ("The state directory") says it.
STATE_DIR = (
    "The state directory holds what every elinkcli process of the user shares and what a "
    "run leaves for later: the rate-limit slot files that pace request starts (rate-*.slot, "
    "one per API key and service), the lists of failed ids (failed-ids/) and the records of "
    "finished outputs (finished/). It is ELINKCLI_STATE_DIR when set, else the user's state "
    "directory ($XDG_STATE_HOME/elinkcli, by default ~/.local/state/elinkcli, on Linux; "
    "~/Library/Application Support/elinkcli on macOS), whatever the cache directory."
)
ENVIRONMENT = [
    (C.ENV_BASE_URL, "E-utilities base URL (mirrors, local servers); --base-url wins."),
    (C.ENV_API_KEY, "NCBI API key: 10 request starts per second instead of 3. Never printed."),
    (", ".join(C.ENV_EMAIL), "Contact e-mail sent to NCBI with every request."),
    (C.ENV_CACHE_DIR, "Directory of the answer cache."),
    (C.ENV_STATE_DIR, "The state directory (see FILES)."),
    (C.ENV_ICITE_URL, "NIH iCite API base URL (link --cited/--cites); --icite-url wins."),
    (C.ENV_EUROPEPMC_URL, "Europe PMC REST base URL; --europepmc-url wins."),
    (C.ENV_MAX_TIME, "Time for a whole run, like --max-time (0 = none)."),
    (
        C.ENV_MAX_BODY,
        f"Bytes of answers held at once, decompressed, all requests in flight together "
        f"(default {C.MAX_BODY}).",
    ),
    (
        C.ENV_CACHE_JOURNAL,
        "The cache's journal: auto (WAL; a rollback journal on a network file system such "
        "as NFS, where WAL cannot work), wal or delete.",
    ),
    (
        C.ENV_FORMAT,
        f"The output format into a pipe or file when --format is not given "
        f"({', '.join(PIPE_FORMATS)}; config: format), for a command that writes it.",
    ),
    (
        C.ENV_LINKS_FROM,
        "Where links come from: elink, tables (local tables of NCBI's bulk files) or auto "
        "(tables for what they hold, ELink for the rest); --from wins; config: links_from.",
    ),
    (C.ENV_TABLES_DIR, "Directory of local link tables (elinkcli tables); config: tables_dir."),
    (
        C.ENV_TABLES_URL,
        "Base URL of NCBI's bulk link files (default https://ftp.ncbi.nlm.nih.gov/); "
        "config: tables_url.",
    ),
    (C.ENV_TABLES_MEMORY, "DuckDB's memory for local tables, e.g. 2GB (default 1GB)."),
    (C.ENV_CONFIG, "Path of the config file."),
    (C.ENV_ADAPTIVE_BATCH, "true or false: --adaptive-batch or --fixed-batch."),
    (C.ENV_BACKOFF_BASE, "Seconds of the first retry wait (doubles per try, capped)."),
    (C.ENV_DEBUG, "Print the traceback of an internal error."),
]
FILES = [
    (
        "~/.cache/elinkcli/cache.sqlite3",
        "The answer cache, one entry per source id (the user's "
        "cache directory; ELINKCLI_CACHE_DIR overrides).",
    ),
    ("~/.local/state/elinkcli/", STATE_DIR),
    (
        "~/.config/elinkcli/config.toml",
        f"Optional defaults: {', '.join(C.CONFIG_FILE_KEYS)}. "
        "Refused when other users can write it.",
    ),
    (
        "~/.local/share/elinkcli/tables/",
        "Local link tables (elinkcli tables get): each table's record (NAME.json) and its "
        "Parquet files (the user's data directory; ELINKCLI_TABLES_DIR overrides).",
    ),
    (
        "FILE.part, FILE.journal",
        "With --output FILE: the file being written, and the "
        "finished batches --resume continues from.",
    ),
]
EXIT_STATUS = [(str(int(code)), text) for code, text in EXIT_MEANINGS]
# The Markdown pages holding generated tables, each between two marker lines (begin, end).
MARKDOWN_PAGES = ("README.md", "docs/usage.md")


def escape(text: str) -> str:
    text = text.replace("\\", "\\e").replace("-", "\\-")
    # troff reads ASCII: other characters by their Unicode names.
    text = "".join(c if ord(c) < 128 else f"\\[u{ord(c):04X}]" for c in text)
    return "\n".join(
        ("\\&" + line) if line[:1] in (".", "'") else line for line in text.split("\n")
    )


def _blocks(help_text: str) -> Iterator[tuple[str, str]]:
    """("para" | "pre" | "examples", text) from a click help text with \\b blocks."""
    for chunk in re.split(r"\n\s*\n", help_text.strip()):
        if chunk.startswith("\b"):
            body = chunk[1:].strip("\n")
            kind = "examples" if body.lower().startswith("examples") else "pre"
            if kind == "examples":
                body = body.split("\n", 1)[1] if "\n" in body else ""
            yield (
                kind,
                "\n".join(line[2:] if line.startswith("  ") else line for line in body.split("\n")),
            )
        else:
            yield "para", " ".join(chunk.split())


def _context(command: Any, name: str, parent: Any = None) -> Any:
    return command.make_context(name, [], parent=parent, resilient_parsing=True)


def render(command: Any, path: list[str], parent_ctx: Any = None) -> str:
    from elinkcli.cli.panels import grouped

    name = " ".join(path)
    ctx = _context(command, path[-1], parent_ctx)
    help_text = command.help or ""
    summary = escape(help_text.strip().split("\n")[0].rstrip("."))
    page = "-".join(path)
    out = [
        f'.TH "{page.upper()}" "1" "" "elinkcli {__version__}" "User Commands"',
        ".SH NAME",
        f"{escape(page)} \\- {summary}",
        ".SH SYNOPSIS",
        f".B {escape(name)}",
        escape(" ".join(command.collect_usage_pieces(ctx))),
        ".SH DESCRIPTION",
    ]
    examples: list[str] = []
    for kind, text in _blocks(help_text):
        if kind == "para":
            out += [".PP", escape(text)]
        elif kind == "pre":
            out += [".PP", ".nf", escape(text), ".fi"]
        else:
            examples.append(text)
    subcommands = getattr(command, "commands", {})
    if subcommands:
        out.append(".SH COMMANDS")
        for sub_name, sub in subcommands.items():
            first = (sub.help or "").strip().split("\n")[0]
            out += [".TP", f".B {escape(sub_name)}", escape(first)]
            out.append(f"See \\fB{escape(page)}\\-{escape(sub_name)}\\fR(1).")
    sections = [
        (title, [p for p in params if p.param_type_name != "argument"])
        for title, params in grouped(command, ctx)
    ]
    sections = [(title, params) for title, params in sections if params]
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    if arguments:
        out.append(".SH ARGUMENTS")
        for arg in arguments:
            out += [
                ".TP",
                f".I {escape(arg.metavar or arg.human_readable_name)}",
                escape(getattr(arg, "help", "") or ""),
            ]
    if sections:
        out.append(".SH OPTIONS")
        for title, params in sections:
            if len(sections) > 1:  # the panels of --help (elinkcli.cli.panels)
                out.append(f".SS {escape(title)}")
            for param in params:
                opts, text = param.get_help_record(ctx)
                out += [".TP", f".B {escape(opts)}", escape(" ".join(text.split()))]
    if path == ["elinkcli", "link"]:
        out += _edirect_section()
    out.append(".SH ENVIRONMENT")
    for var, text in ENVIRONMENT:
        out += [".TP", f".B {escape(var)}", escape(text)]
    out.append(".SH EXIT STATUS")
    for code, text in EXIT_STATUS:
        out += [".TP", f".B {code}", escape(text)]
    out.append(".SH FILES")
    for file, text in FILES:
        out += [".TP", f".I {escape(file)}", escape(text)]
    if examples:
        out += [".SH EXAMPLES", ".nf", ".RS 4", escape("\n".join(examples)), ".RE", ".fi"]
    see = ["elinkcli(1)"] if len(path) > 1 else []
    see += [f"elinkcli-{n}(1)" for n in subcommands] if len(path) == 1 else []
    see += ["esearch(1)", "efetch(1)", "elink(1)"]
    out += [".SH SEE ALSO", ", ".join(f"\\fB{escape(s.split('(')[0])}\\fR(1)" for s in see)]
    return "\n".join(out) + "\n"


def _edirect_section() -> list[str]:
    """Every option of EDirect's elink and what `elinkcli link` does with it."""
    from elinkcli.cli.edirect_args import ELINK_OPTIONS

    intro = (
        "EDirect's elink command lines run with elink replaced by elinkcli link. Current "
        "EDirect's esearch -db pubmed writes a query message without ids: the query is run "
        "again with ESearch, in UID ranges when it finds more than 9,999 records, and a set "
        "smaller than ESearch's count is exit 4. Each EDirect option, what it does there, "
        "and what elinkcli does with it:"
    )
    out = [".SH EDIRECT", escape(intro)]
    for option in ELINK_OPTIONS:
        text = f"{option.edirect}. elinkcli: {option.elinkcli.replace('`', '')}."
        out += [".TP", f".B {escape(option.spelling)}", escape(text)]
    return out


def pages() -> dict[str, str]:
    import typer

    from elinkcli.cli.app import app

    root = typer.main.get_command(app)
    root_ctx = _context(root, "elinkcli")
    found = {"elinkcli.1": render(root, ["elinkcli"])}

    def walk(command: Any, path: list[str], ctx: Any) -> None:
        for sub_name, sub in getattr(command, "commands", {}).items():
            sub_path = [*path, sub_name]
            found[f"{'-'.join(sub_path)}.1"] = render(sub, sub_path, ctx)
            walk(sub, sub_path, _context(sub, sub_name, ctx))

    walk(root, ["elinkcli"], root_ctx)
    return found


def completions() -> dict[str, str]:
    from typer.completion import get_completion_script

    return {
        file: get_completion_script(
            prog_name="elinkcli", complete_var="_ELINKCLI_COMPLETE", shell=shell
        )
        + "\n"
        for shell, file in SHELLS.items()
    }


def markers(block: str) -> tuple[str, str]:
    return f"<!-- {block}: written by tools/gendocs.py -->", f"<!-- end of {block} -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown_blocks() -> dict[str, list[str]]:
    """Each generated Markdown table by its block name: the exit status
    (elinkcli.errors.EXIT_MEANINGS), each command's --format choices (COMMAND_FORMATS)."""
    from elinkcli.constants import COMMAND_FORMATS

    return {
        "exit status": [
            "| code | meaning |",
            "|---|---|",
            *(f"| {code} | {_cell(text)} |" for code, text in EXIT_STATUS),
        ],
        "formats": [
            "| command | `--format` |",
            "|---|---|",
            *(
                f"| `{command}` | {', '.join(f'`{f}`' for f in formats)} |"
                for command, formats in COMMAND_FORMATS.items()
            ),
        ],
    }


def with_blocks(text: str) -> str:
    """`text` (a Markdown page) with each generated block it holds as the code says now."""
    for block, lines in markdown_blocks().items():
        begin, end = markers(block)
        start = text.find(begin)
        if start < 0:
            continue
        stop = text.find(end, start)
        if stop < 0:
            raise SystemExit(f"{begin} without {end}")
        text = text[:start] + "\n".join([begin, *lines, end]) + text[stop + len(end) :]
    return text


def generated() -> dict[Path, str]:
    files = {ROOT / "man" / name: text for name, text in pages().items()}
    files.update({ROOT / "completions" / name: text for name, text in completions().items()})
    for name in MARKDOWN_PAGES:
        page = ROOT / name
        if page.exists():  # (a copy of man/ and completions/ alone, in the tests)
            files[page] = with_blocks(page.read_text(encoding="utf-8"))
    return files


def stale(wanted: dict[Path, str] | None = None) -> list[Path]:
    """Generated files that differ from what the app generates now (or are missing), and
    files in man/ or completions/ the app no longer generates."""
    wanted = generated() if wanted is None else wanted
    wrong = [p for p, text in wanted.items() if not p.exists() or p.read_text() != text]
    extra = [
        p
        for folder in (ROOT / "man", ROOT / "completions")
        if folder.exists()
        for p in folder.rglob("*")
        if p.is_file() and p not in wanted and p.name != "README.md"
    ]
    return sorted(wrong + extra)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args()
    if args.check:
        bad = stale()
        for path in bad:
            print(f"stale: {path.relative_to(ROOT)}", file=sys.stderr)
        sys.exit(1 if bad else 0)
    wanted = generated()
    # Only what differs: README.md and docs/usage.md are written by hand around their table.
    changed = stale(wanted)
    for path in changed:
        if path not in wanted:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(wanted[path], encoding="utf-8")
    print(f"{len(wanted)} generated files, {len(changed)} written or removed")


if __name__ == "__main__":
    main()
