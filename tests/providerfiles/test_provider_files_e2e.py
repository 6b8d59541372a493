"""End to end: the installed `elinkcli linkout validate|convert|preview` (subprocess).

Skipped until the commands are registered in the app (`linkout` as a Typer group);
from then on these are the expected exit statuses and output lines.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest
from conftest import run_elinkcli
from support.paths import TESTS

pytestmark = pytest.mark.e2e

FIXTURES = TESTS / "fixtures" / "linkout_files"


def _wired() -> bool:
    try:
        ran = run_elinkcli("linkout", "validate", "--help", timeout=30)
    except Exception:  # not installed
        return False
    return ran.returncode == 0 and "Check LinkOut provider files" in ran.stdout


if not _wired():
    pytest.skip(
        "elinkcli linkout validate is not registered in the app yet", allow_module_level=True
    )


def fx(name: str) -> str:
    return str(FIXTURES / name)


def test_seed_files_pass() -> None:
    names = ["providerinfo.xml", "nucleotide_resources.xml", "example_3.xml", "nucleotide_fixed.ft"]
    ran = run_elinkcli("linkout", "validate", *[fx(n) for n in names])
    assert (ran.returncode, ran.stdout, ran.stderr) == (
        0,
        "4 files checked: 0 errors, 0 warnings\n",
        "",
    )


def test_mangled_lines_exit_1() -> None:
    ran = run_elinkcli("linkout", "validate", fx("nucleotide_example_3.ft"))
    assert ran.returncode == 1
    lines = ran.stdout.splitlines()
    assert [line.split(": ")[0] for line in lines[:-1]] == [
        f"{fx('nucleotide_example_3.ft')}:{n}" for n in (7, 13, 21, 23, 27, 29)
    ]
    assert lines[-1] == "1 file checked: 6 errors, 0 warnings"


def test_strict_counts_warnings(tmp_path: Path) -> None:
    path = tmp_path / "resources.xml"
    path.write_text(
        (FIXTURES / "nucleotide_resources.xml").read_text().replace("[orgn]", "[orgn] and x")
    )
    ran = run_elinkcli("linkout", "validate", str(path))
    assert ran.returncode == 0
    assert ran.stdout.splitlines() == [
        f"{path}:13:8: warning: Boolean operator 'and' must be upper-case (AND)",
        "1 file checked: 0 errors, 1 warning",
    ]
    assert run_elinkcli("linkout", "validate", "--strict", str(path)).returncode == 1


def test_unreadable_file_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "missing.ft"
    ran = run_elinkcli("linkout", "validate", str(missing))
    assert ran.returncode == 2
    assert ran.stdout == ""
    assert ran.stderr == f"elinkcli: error: cannot read {missing}: No such file or directory\n"


def test_convert_pipe_validate() -> None:
    converted = run_elinkcli("linkout", "convert", fx("nucleotide_example_3_fixed.ft"))
    assert converted.returncode == 0
    ran = run_elinkcli("linkout", "validate", "/dev/stdin", stdin=converted.stdout.encode())
    assert (ran.returncode, ran.stdout) == (0, "1 file checked: 0 errors, 0 warnings\n")
    ran = run_elinkcli("linkout", "validate", "-", stdin=converted.stdout.encode())
    assert ran.returncode == 0


def test_convert_refuses_mangled_file() -> None:
    ran = run_elinkcli("linkout", "convert", fx("nucleotide.ft"))
    assert ran.returncode == 1
    assert ran.stdout == ""
    assert ran.stderr.splitlines()[-1] == f"elinkcli: {fx('nucleotide.ft')} not converted: 2 errors"


def test_preview() -> None:
    ran = run_elinkcli(
        "linkout", "preview", fx("seed_snippets.xml"), "--value", "lo.id=6016240",
        "--value", "lo.pacc=AL032671", "--no-header",
    )  # fmt: skip
    assert ran.returncode == 0
    assert ran.stdout.splitlines()[1] == (
        "2\thttp://www.webdatabase.com/cgi-bin/db=elegans&id_lookup=6016240&view=text"
    )
    bad = run_elinkcli("linkout", "preview", fx("seed_snippets.xml"), "--value", "lo.pmid=1")
    assert bad.returncode == 2
    assert bad.stderr.startswith("elinkcli: error: rule keyword &lo.pmid; does not exist")


# --- convert -o: written atomically, as every -o -------------------------------------------


def big_ft(links: int = 120) -> str:
    """A clean .ft file whose XML is some pages long (about 340 bytes a link)."""
    head = (
        "----- Nucleotide links ----\nprid: 7777\ndbase: nucleotide\n"
        '!base: "http://www.webdatabase.com/cgi-bin/elegans?"\n------\n'
    )
    return head + "".join(
        f"linkid: {i}\nuids:   {3810674 + i} {1217583 + i}\nbase:   &base;\n"
        f"rule:   db=special&ID=A{i}E\n------\n"
        for i in range(1, links + 1)
    )


def test_convert_output_replaces_the_file_keeping_its_mode(tmp_path: Path) -> None:
    source = tmp_path / "links.ft"
    source.write_text(big_ft())
    out = tmp_path / "links.xml"
    out.write_text("yesterday's XML\n")
    out.chmod(0o640)
    ran = run_elinkcli("linkout", "convert", str(source), "-o", str(out))
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "", "")
    piped = run_elinkcli("linkout", "convert", str(source))
    assert out.read_text() == piped.stdout
    assert len(piped.stdout) > 3 * 4096
    assert (out.stat().st_mode & 0o777) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["links.ft", "links.xml"]


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small disk needs root")
def test_convert_output_on_a_full_disk_keeps_the_old_file(tmp_path: Path) -> None:
    from support.disks import tmpfs

    source = tmp_path / "links.ft"
    source.write_text(big_ft())
    with tmpfs(tmp_path / "small", "size=64k") as small:
        out = small / "links.xml"
        out.write_text("yesterday's XML\n")
        out.chmod(0o640)
        with (small / "filler").open("wb") as filler, contextlib.suppress(OSError):
            filler.write(b"\0" * 128 * 1024)  # the rest of the disk
        ran = run_elinkcli("linkout", "convert", str(source), "-o", str(out))
        assert ran.returncode == 1, ran
        assert ran.stdout == ""
        assert ran.stderr == f"elinkcli: error: cannot write {out}: No space left on device\n"
        assert out.read_text() == "yesterday's XML\n"
        assert (out.stat().st_mode & 0o777) == 0o640
        assert sorted(p.name for p in small.iterdir()) == ["filler", "links.xml"]


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small disk needs root")
def test_convert_output_that_fills_the_disk_midway_keeps_the_old_file(tmp_path: Path) -> None:
    from support.disks import tmpfs

    source = tmp_path / "links.ft"
    source.write_text(big_ft(400))  # about 135 KB of XML
    with tmpfs(tmp_path / "small", "size=64k") as small:
        out = small / "links.xml"
        out.write_text("yesterday's XML\n")
        ran = run_elinkcli("linkout", "convert", str(source), "-o", str(out))
        assert ran.stderr == f"elinkcli: error: cannot write {out}: No space left on device\n"
        assert ran.returncode == 1
        assert out.read_text() == "yesterday's XML\n"
        assert sorted(p.name for p in small.iterdir()) == ["links.xml"]
