"""The three commands in a local Typer app registered as `elinkcli linkout ...` will be.

Exit statuses are taken the way elinkcli's main() takes them: the command's return
value (0 or 1), else the exit status of the ElinkError raised (2 for a UsageError, 1 for an
OutputError; main's `guarded` prints `elinkcli: error: ...`).
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NoReturn

import pytest
import typer
from support.paths import TESTS
from typer.testing import CliRunner

from elinkcli.cli.provider_files import (
    CONVERT_HELP,
    PREVIEW_HELP,
    VALIDATE_HELP,
    convert_command,
    preview_command,
    validate_command,
)
from elinkcli.errors import ElinkError

FIXTURES = TESTS / "fixtures" / "linkout_files"


def make_app() -> typer.Typer:
    app = typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False)

    @app.callback()
    def _root() -> None:
        pass

    linkout = typer.Typer(rich_markup_mode=None, no_args_is_help=True)
    linkout.command("validate", help=VALIDATE_HELP)(validate_command)
    linkout.command("convert", help=CONVERT_HELP)(convert_command)
    linkout.command("preview", help=PREVIEW_HELP)(preview_command)
    app.add_typer(linkout, name="linkout")
    return app


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str


def run(*args: str | Path, stdin: bytes | None = None) -> Ran:
    result = CliRunner().invoke(
        make_app(), [str(a) for a in args], input=stdin, standalone_mode=False
    )
    exc = result.exception
    if isinstance(exc, ElinkError):  # as main's `guarded` reports it
        line = f"elinkcli: error: {exc}\n"
        return Ran(int(exc.exit_status), result.stdout, result.stderr + line)
    if exc is not None and hasattr(exc, "exit_code"):
        return Ran(exc.exit_code, result.stdout, result.stderr)  # option parsing
    if exc is not None:
        raise exc
    code = result.return_value
    return Ran(code if isinstance(code, int) else 0, result.stdout, result.stderr)


def fx(name: str) -> Path:
    return FIXTURES / name


def test_validate_clean_files_exit_0() -> None:
    names = ["providerinfo.xml", "nucleotide_resources.xml", "example_3.xml", "nucleotide_fixed.ft"]
    ran = run("linkout", "validate", *[fx(n) for n in names])
    assert ran.code == 0
    assert ran.stdout == "4 files checked: 0 errors, 0 warnings\n"


def test_validate_reports_each_problem_per_file_then_a_summary() -> None:
    ran = run(
        "linkout", "validate", fx("nucleotide.ft"), fx("snp_example_2.ft"), fx("example_1.xml")
    )
    assert ran.code == 1
    lines = ran.stdout.splitlines()
    assert [line.split(": ")[0] for line in lines[:-1]] == [
        f"{fx('nucleotide.ft')}:9",
        f"{fx('nucleotide.ft')}:12",
        f"{fx('snp_example_2.ft')}:9",
    ]
    assert lines[0] == (
        f"{fx('nucleotide.ft')}:9: error: fields run together: 'base:' is glued to the query: "
        "value; put each field on a line of its own (its value is on line 10)"
    )
    assert lines[-1] == "3 files checked: 3 errors, 0 warnings"


def test_validate_warnings_exit_0_unless_strict(tmp_path: Path) -> None:
    text = fx("nucleotide_resources.xml").read_text().replace("organism-specific", "organisms")
    path = tmp_path / "resources.xml"
    path.write_text(text)
    ran = run("linkout", "validate", path)
    assert ran.code == 0
    assert ran.stdout.splitlines() == [
        f"{path}:20:8: warning: SubjectType 'organisms' is not in the LinkOut DTD list",
        "1 file checked: 0 errors, 1 warning",
    ]
    assert run("linkout", "validate", "--strict", path).code == 1


def test_validate_unreadable_file_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "missing.xml"
    ran = run("linkout", "validate", fx("example_1.xml"), missing)
    assert ran.code == 2
    assert ran.stdout == ""
    assert ran.stderr == f"elinkcli: error: cannot read {missing}: No such file or directory\n"
    assert run("linkout", "validate", tmp_path).code == 2  # a directory


def test_validate_stdin() -> None:
    data = fx("nucleotide.ft").read_bytes()
    ran = run("linkout", "validate", "-", stdin=data)
    assert ran.code == 1
    assert ran.stdout.splitlines()[0].startswith("<stdin>:9: error: fields run together")
    xml = fx("example_2.xml").read_bytes()
    assert run("linkout", "validate", "/dev/stdin", stdin=xml).code == 0


def test_validate_needs_a_file() -> None:
    assert run("linkout", "validate").code == 2


def test_convert_to_stdout_then_validate_from_stdin() -> None:
    converted = run("linkout", "convert", fx("nucleotide_example_3_fixed.ft"))
    assert converted.code == 0
    assert converted.stderr == ""
    assert converted.stdout.startswith('<?xml version="1.0"?>')
    ran = run("linkout", "validate", "-", stdin=converted.stdout.encode())
    assert (ran.code, ran.stdout) == (0, "1 file checked: 0 errors, 0 warnings\n")


def test_convert_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "resources.xml"
    ran = run("linkout", "convert", fx("snp_example_2_fixed.ft"), "-o", out)
    assert (ran.code, ran.stdout) == (0, "")
    assert "<Rule>ap1=rs&lo.id;</Rule>" in out.read_text()
    assert run("linkout", "validate", out).code == 0
    assert (
        run(
            "linkout", "convert", fx("snp_example_2_fixed.ft"), "-o", tmp_path / "no" / "x.xml"
        ).code
        == 2
    )


def _failing(monkeypatch: pytest.MonkeyPatch, what: str, err: int) -> None:
    """The -o file's `what` ("write": its writes, "fsync", "replace") fails with `err`."""
    from elinkcli.output import files as output

    def boom(*args: object, **kwargs: object) -> NoReturn:
        raise OSError(err, os.strerror(err))

    if what == "write":
        new_part = output.AtomicOutput._new_part

        def failing_part(self: output.AtomicOutput) -> IO[str]:
            stream = new_part(self)
            stream.write = boom  # type: ignore[method-assign]
            return stream

        monkeypatch.setattr(output.AtomicOutput, "_new_part", failing_part)
    else:
        real = getattr(os, what)
        done_header = []

        def after_the_header(*args: object, **kwargs: object) -> object:
            if what == "fsync" and not done_header:  # the journal's header: let it be
                done_header.append(True)
                return real(*args, **kwargs)
            return boom()

        monkeypatch.setattr(output.os, what, after_the_header)


@pytest.mark.parametrize(
    ("what", "err"),
    [("write", errno.ENOSPC), ("write", errno.EIO), ("fsync", errno.EIO),
     ("replace", errno.EXDEV), ("replace", errno.ENOSPC)],
)  # fmt: skip
def test_convert_output_that_cannot_be_written_is_exit_1_and_keeps_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, what: str, err: int
) -> None:
    out = tmp_path / "resources.xml"
    out.write_text("yesterday's XML\n")
    out.chmod(0o640)
    _failing(monkeypatch, what, err)
    ran = run("linkout", "convert", fx("snp_example_2_fixed.ft"), "-o", out)
    assert ran.code == 1
    assert ran.stdout == ""
    assert ran.stderr == f"elinkcli: error: cannot write {out}: {os.strerror(err)}\n"
    assert out.read_text() == "yesterday's XML\n"
    assert (out.stat().st_mode & 0o777) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["resources.xml"]


def test_convert_output_never_follows_a_link_planted_at_its_part_file(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("not yours\n")
    out = tmp_path / "resources.xml"
    (tmp_path / "resources.xml.part").symlink_to(victim)
    ran = run("linkout", "convert", fx("snp_example_2_fixed.ft"), "-o", out)
    assert (ran.code, ran.stdout) == (0, "")
    assert victim.read_text() == "not yours\n"
    assert "<Rule>ap1=rs&lo.id;</Rule>" in out.read_text()
    assert not out.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["resources.xml", "victim"]


def test_convert_refuses_a_file_with_errors() -> None:
    ran = run("linkout", "convert", fx("taxonomy_example_1.ft"))
    assert ran.code == 1
    assert ran.stdout == ""
    lines = ran.stderr.splitlines()
    assert [line.split(": ")[0] for line in lines[:-1]] == [
        f"{fx('taxonomy_example_1.ft')}:{n}" for n in (7, 8, 28)
    ]
    assert lines[-1] == f"elinkcli: {fx('taxonomy_example_1.ft')} not converted: 3 errors"


def test_preview_values() -> None:
    ran = run("linkout", "preview", fx("nucleotide_resources.xml"), "--value", "lo.pacc=AL032671")
    assert (ran.code, ran.stderr) == (0, "")
    assert ran.stdout == (
        "link_id\turl\n1\thttp://www.webdatabase.com/cgi-bin/elegans?an_lookup=AL032671\n"
    )
    ran = run("linkout", "preview", fx("seed_snippets.xml"), "--value", "id=6016240", "--no-header")
    assert "2\thttp://www.webdatabase.com/cgi-bin/db=elegans&id_lookup=6016240&view=text" in (
        ran.stdout.splitlines()
    )
    assert "no value for &lo.pacc;" in ran.stderr


def test_preview_rows_keep_a_tab_or_line_break_of_the_file_in_its_cell(tmp_path: Path) -> None:
    """A LinkId or URL holding a tab, a line break or an escape sequence (from character
    references) is written escaped: each row stays two cells on one line."""
    text = fx("example_1.xml").read_text()
    text = text.replace("<LinkId>1</LinkId>", "<LinkId>1&#9;x&#10;y</LinkId>", 1)
    text = text.replace("homo/h._sapiens", "homo/&#13;&#x202e;h._sapiens", 1)
    path = tmp_path / "odd.xml"
    path.write_text(text)
    ran = run("linkout", "preview", path)
    assert ran.code == 0, ran
    rows = [line.split("\t") for line in ran.stdout.splitlines()]
    assert all(len(row) == 2 for row in rows), rows
    assert ["1\\tx\\ny", "http://molbioco.com/animals/homo/\\r\\u202eh._sapiens"] in rows


def test_preview_tsv(tmp_path: Path) -> None:
    table = tmp_path / "records.tsv"
    table.write_text("lo.pacc\nAL032671\nZ11111\n")
    ran = run("linkout", "preview", fx("example_3.xml"), "--values", table)
    assert ran.code == 0
    assert ran.stdout.splitlines() == [
        "record\tlink_id\turl",
        "1\t1\thttp://www.webdatabase.com/cgi-bin/elegans?db=special&ID=A594E",
        "1\t3\thttp://www.webdatabase.com/cgi-bin/elegans?an_lookup=AL032671&view=full",
        "2\t1\thttp://www.webdatabase.com/cgi-bin/elegans?db=special&ID=A594E",
        "2\t3\thttp://www.webdatabase.com/cgi-bin/elegans?an_lookup=Z11111&view=full",
    ]


def test_preview_rule_to_many_from_repeated_values(tmp_path: Path) -> None:
    path = tmp_path / "authors.xml"
    path.write_text(
        "<LinkSet><Link><LinkId>1</LinkId><ProviderId>1</ProviderId><ObjectSelector>"
        "<Database>PubMed</Database><ObjectList><ObjId>1</ObjId></ObjectList></ObjectSelector>"
        "<ObjectUrl><Base>http://x.org/?</Base><RuleToMany><Rule>au=&lo.auth;</Rule>"
        "<Separator>&amp;</Separator></RuleToMany></ObjectUrl></Link></LinkSet>"
    )
    ran = run("linkout", "preview", path, "--value", "lo.auth=a", "--value", "lo.auth=b")
    assert ran.stdout.splitlines()[1] == "1\thttp://x.org/?au=a&au=b"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--value", "lo.id"], "--value wants KEYWORD=VALUE"),
        (["--value", "lo.pmid=1"], "rule keyword &lo.pmid; does not exist"),
        (["--values", "/nonexistent/records.tsv"], "cannot read /nonexistent/records.tsv"),
    ],
)
def test_preview_usage_errors(args: list[str], message: str) -> None:
    ran = run("linkout", "preview", fx("example_3.xml"), *args)
    assert ran.code == 2
    assert message in ran.stderr


def test_preview_of_an_identity_file() -> None:
    ran = run("linkout", "preview", fx("providerinfo.xml"))
    assert ran.code == 1
    assert "no links to preview (an identity file)" in ran.stderr


def test_help_texts_have_examples_with_a_pipe() -> None:
    for name, help_text in (
        ("validate", VALIDATE_HELP),
        ("convert", CONVERT_HELP),
        ("preview", PREVIEW_HELP),
    ):
        examples = help_text.split("Examples:")[1].strip().splitlines()
        assert len(examples) >= 2, name
        assert any(" | " in line for line in examples), name
        ran = run("linkout", name, "--help")
        assert ran.code == 0 and "Examples:" in ran.stdout
