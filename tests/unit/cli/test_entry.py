"""The process entry point: a system that is not POSIX is refused at start, in one line and
exit status 1, before anything that needs fcntl is imported (docs/usage.md, Platforms)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from elinkcli.cli import entry

REFUSAL = "elinkcli: error: elinkcli runs on POSIX systems (Linux, macOS), not Windows\n"


@pytest.mark.parametrize("argv", [["elinkcli", "link", "-db", "gene"], ["elinkcli", "--version"]])
def test_a_system_that_is_not_posix_is_refused_in_one_line(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", argv)
    monkeypatch.setattr(platform, "system", lambda: "Windows")
    monkeypatch.setattr(os, "name", "nt")
    with pytest.raises(SystemExit) as caught:
        entry.main()
    monkeypatch.undo()
    assert caught.value.code == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == REFUSAL


def test_the_refusal_names_python_s_platform_when_the_system_has_no_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["elinkcli", "link"])
    monkeypatch.setattr(platform, "system", lambda: "")
    monkeypatch.setattr(os, "name", "nt")
    with pytest.raises(SystemExit) as caught:
        entry.main()
    monkeypatch.undo()
    assert caught.value.code == 1
    err = capsys.readouterr().err
    assert (
        err
        == f"elinkcli: error: elinkcli runs on POSIX systems (Linux, macOS), not {sys.platform}\n"
    )


def test_the_refusal_comes_before_the_app_or_fcntl_is_imported() -> None:
    """In a fresh interpreter: nothing of the app (which needs fcntl) is imported. The
    standard library's `platform` (which names the system in the refusal) is loaded first:
    on Python 3.10 it imports fcntl itself, on a POSIX system, where the test runs."""
    code = (
        "import os, sys, platform\n"
        "platform.system()\n"
        "fcntl_before = 'fcntl' in sys.modules\n"
        "from elinkcli.cli import entry\n"
        "os.name = 'nt'\n"
        "try:\n"
        "    entry.main()\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "os.name = 'posix'\n"
        "fcntl_new = 'fcntl' in sys.modules and not fcntl_before\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('elinkcli'))\n"
        "print(code, fcntl_new, ' '.join(loaded))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    status, fcntl_new, *loaded = proc.stdout.split()
    assert (status, fcntl_new) == ("1", "False")
    assert loaded == ["elinkcli", "elinkcli.cli", "elinkcli.cli.entry"]
    assert proc.stderr.startswith("elinkcli: error: elinkcli runs on POSIX systems")
    assert proc.stderr.count("\n") == 1


def test_on_posix_the_version_is_answered_as_before(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from elinkcli import __version__

    monkeypatch.setattr(sys, "argv", ["elinkcli", "--version"])
    entry.main()
    assert capsys.readouterr().out == f"elinkcli {__version__}\n"
