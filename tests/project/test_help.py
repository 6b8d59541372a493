"""Help that is true and grouped: each command's --help, man page and the manual name only
the formats it writes and its own columns; the exit status reads the same in --help, the
man pages, the README and docs/usage.md (one table, elinkcli.errors.EXIT_MEANINGS); the
state directory (the rate-limit slot files) is described in one place; the options of every
command come in the same four panels."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer
from support.paths import ROOT
from typer.testing import CliRunner

from elinkcli.cli.app import app
from elinkcli.cli.panels import OPTIONS, PANELS, grouped
from elinkcli.constants import COMMAND_FORMATS
from elinkcli.errors import EXIT_MEANINGS

from .test_docs import docs, manual_pages

COMMANDS = ["link", "check", "discover", "chain", "linkout"]
ROOT_COMMAND = typer.main.get_command(app)


def command(name: str) -> Any:
    found: Any = ROOT_COMMAND
    for part in name.split():
        found = found.commands[part]
    return found


def context(name: str) -> Any:
    return command(name).make_context(name, [], resilient_parsing=True)


def help_text(*args: str, width: int = 80) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], terminal_width=width)
    assert result.exit_code == 0, result.output
    return result.output


def flat(text: str) -> str:
    return " ".join(text.split())


def option(name: str, long_name: str) -> Any:
    found = [p for p in command(name).params if long_name in p.opts]
    assert len(found) == 1, (name, long_name)
    return found[0]


# --- formats --------------------------------------------------------------------------------


def test_format_names_every_format_of_some_command() -> None:
    from elinkcli.cli.options import Format

    written = {f for formats in COMMAND_FORMATS.values() for f in formats}
    assert {f.value for f in Format} == written


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_offers_exactly_the_formats_it_writes(name: str) -> None:
    formats = COMMAND_FORMATS[name]
    param = option(name, "--format")
    assert tuple(param.type.choices) == formats
    assert param.metavar == "|".join(formats)
    text = help_text(name)
    assert f"--format {'|'.join(formats)}\n" in text
    record = flat(param.get_help_record(context(name))[1])
    for other in {"xml", "counts", "urls", "edirect", "uid"} - set(formats):
        assert f"{other}:" not in record, (name, other)
    page = (ROOT / "man" / f"elinkcli-{name}.1").read_text()
    assert docs.escape(f"--format {'|'.join(formats)}") in page


@pytest.mark.parametrize(
    "name,refused",
    [
        (n, f)
        for n, formats in COMMAND_FORMATS.items()
        for f in ("xml", "counts", "urls")
        if f not in formats
    ],
)
def test_a_format_the_command_does_not_write_is_refused_as_click_refuses_a_choice(
    name: str, refused: str
) -> None:
    result = CliRunner().invoke(app, [name, "-db", "gene", "-id", "1", "--format", refused])
    assert result.exit_code == 2
    assert f"'{refused}' is not one of" in flat(result.output)


def test_the_manual_lists_each_commands_formats_as_the_code_does() -> None:
    usage = (ROOT / "docs" / "usage.md").read_text(encoding="utf-8")
    for name, formats in COMMAND_FORMATS.items():
        assert f"| `{name}` | {', '.join(f'`{f}`' for f in formats)} |" in usage


# --- each command's own words -------------------------------------------------------------


def test_check_says_what_it_does_with_a_link_name() -> None:
    check = option("check", "--name").get_help_record(context("check"))[1]
    link = option("link", "--name").get_help_record(context("link"))[1]
    assert check != link
    assert "acheck" in check and "every table" not in check
    assert flat(check) in flat(help_text("check"))


def columns_of(help_text: str) -> str:
    return flat(help_text.replace("\b", ""))


def test_each_help_names_the_columns_its_command_writes() -> None:
    from elinkcli.commands.check import CHECK_COLUMNS
    from elinkcli.commands.discover import NAME_COLUMNS, RECORD_COLUMNS
    from elinkcli.commands.link import LINK_COLUMNS
    from elinkcli.commands.linkout import LINKOUT_COLUMNS

    written = {
        "link": [LINK_COLUMNS],
        "check": [CHECK_COLUMNS],
        "discover": [NAME_COLUMNS, RECORD_COLUMNS],
        "linkout": [LINKOUT_COLUMNS],
    }
    assert "source_uid" in CHECK_COLUMNS and "source_uid" in LINKOUT_COLUMNS
    for name, column_sets in written.items():
        text = columns_of(command(name).help)
        for columns in column_sets:
            assert " ".join(columns) in text, (name, columns)


# --- panels ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_is_in_one_of_the_four_panels(name: str) -> None:
    sections = dict(grouped(command(name), context(name)))
    assert [title for title in sections if title != OPTIONS] == [p for p in PANELS if p in sections]
    # Only -h/--help stands outside them.
    assert [p.name for p in sections.get(OPTIONS, [])] == ["help"]
    assert {"Ids in", "What to link", "Output", "Network and cache"} <= set(sections)


def test_link_help_shows_the_four_panels_in_order_with_every_option_in_one() -> None:
    text = help_text("link", width=100)
    headings = re.findall(r"^(\S[^:\n]*):$", text, re.M)
    assert headings == [*PANELS, OPTIONS, "Exit status"]
    sections = dict(grouped(command("link"), context("link")))
    shown = {p.name for params in sections.values() for p in params}
    assert shown == {p.name for p in command("link").params} | {"help"}
    where = {p.name: title for title, params in sections.items() for p in params}
    assert where["db"] == where["ids"] == where["input_file"] == "Ids in"
    assert where["target"] == where["name"] == where["strict"] == where["cited"] == "What to link"
    assert where["fmt"] == where["output"] == where["resume"] == where["log"] == "Output"
    assert where["base_url"] == where["offline"] == where["icite_url"] == "Network and cache"


def test_the_man_pages_keep_the_panels() -> None:
    page = (ROOT / "man" / "elinkcli-link.1").read_text()
    options = page.split(".SH OPTIONS")[1].split(".SH ")[0]
    assert re.findall(r"^\.SS (.*)$", options, re.M) == [*PANELS, OPTIONS]


@pytest.mark.parametrize(
    "name",
    ["", *COMMANDS, "linkout validate", "linkout convert", "linkout preview"],
)
def test_help_fits_80_columns(name: str) -> None:
    long = [line for line in help_text(*name.split()).splitlines() if len(line) > 80]
    assert long == []


# --- the exit status ------------------------------------------------------------------------


def exit_rows() -> list[tuple[str, str]]:
    return [(str(int(code)), text) for code, text in EXIT_MEANINGS]


@pytest.mark.parametrize("name", ["", *COMMANDS, "linkout validate"])
def test_help_gives_the_exit_status_of_the_one_table(name: str) -> None:
    text = flat(help_text(*name.split()))
    for code, meaning in exit_rows():
        assert f"{code} {meaning}" in text, code


def test_the_exit_status_reads_the_same_in_the_man_pages_and_the_manual() -> None:
    for page in sorted((ROOT / "man").glob("*.1")):
        text = page.read_text()
        for code, meaning in exit_rows():
            assert f".B {code}\n{docs.escape(meaning)}\n" in text, (page.name, code)
    for name in docs.MARKDOWN_PAGES:
        text = (ROOT / name).read_text(encoding="utf-8")
        for code, meaning in exit_rows():
            assert f"| {code} | {meaning} |" in text, (name, code)


def test_exit_status_1_is_not_called_an_internal_error() -> None:
    """Exit 1 is every failure of elinkcli's own part (output, cache, a temporary file, a
    system that is not POSIX), an internal error being one of them."""
    meaning = dict(exit_rows())["1"]
    assert "writing the output failed" in meaning and "not POSIX" in meaning
    alone = re.compile(r"(exit( status)?|\|)\s*1\s*(\||:)?\s*(an? )?internal error", re.I)
    texts = [p.read_text(encoding="utf-8") for p in manual_pages()]
    texts += [p.read_text() for p in (ROOT / "man").glob("*.1")]
    texts += [help_text(*name.split()) for name in ["", *COMMANDS]]
    assert [t for t in texts if alone.search(t)] == []


# --- the state directory: one description, the others link to it -------------------------

STATE_LINK = "configuration.md#the-state-directory"
STATE_WORDS = re.compile(r"ELINKCLI_STATE_DIR|state dir(ectory)?\b|\.slot\b")


def test_the_state_directory_is_described_once_and_the_man_page_says_the_same() -> None:
    configuration = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    section = configuration.split("## The state directory\n")[1].split("\n## ")[0]
    assert flat(docs.STATE_DIR) in flat(section.replace("`", ""))
    page = (ROOT / "man" / "elinkcli.1").read_text()
    files = page.split(".SH FILES")[1].split(".SH ")[0]
    assert docs.escape(docs.STATE_DIR) in files


def paragraphs(text: str) -> list[str]:
    """A Markdown page's paragraphs, each table row on its own, code blocks left out."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    found: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        rows = [line for line in block.splitlines() if line.startswith("|")]
        found += rows if rows else [block]
    return found


def test_every_other_mention_of_the_state_directory_links_to_its_description() -> None:
    canonical = ROOT / "docs" / "configuration.md"
    unlinked = []
    for page in manual_pages():
        if page == canonical:
            continue
        for paragraph in paragraphs(page.read_text(encoding="utf-8")):
            if STATE_WORDS.search(paragraph) and STATE_LINK not in paragraph:
                unlinked.append(f"{page.relative_to(ROOT)}: {flat(paragraph)[:80]}")
            # Where it is, and what it is called in the environment, is said there only.
            assert "ELINKCLI_STATE_DIR" not in paragraph, page
            assert "state/elinkcli/rate" not in paragraph, page
    assert unlinked == []
