"""Man pages, completions and --help stay true to the app (issue: a reference that cannot
drift)."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from support.paths import ROOT

from elinkcli.cli.app import app


def _load_gendocs() -> Any:
    """tools/gendocs.py, the generator (dev tooling, not part of the installed package)."""
    spec = importlib.util.spec_from_file_location("gendocs", ROOT / "tools" / "gendocs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


docs = _load_gendocs()
COMMANDS = ["link", "check", "discover", "chain", "linkout"]


def all_commands() -> list[tuple[str, Any]]:
    root = typer.main.get_command(app)
    found = [("elinkcli", root)]

    def walk(command: Any, path: str) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            found.append((f"{path} {name}", sub))
            walk(sub, f"{path} {name}")

    walk(root, "elinkcli")
    return found


def test_man_pages_and_completions_are_up_to_date() -> None:
    stale = [str(p.relative_to(ROOT)) for p in docs.stale()]
    assert stale == [], "regenerate with: python tools/gendocs.py"


def test_the_check_command_reports_a_stale_file(tmp_path: Path, monkeypatch: Any) -> None:
    for folder in ("man", "completions"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    monkeypatch.setattr(docs, "ROOT", tmp_path)
    assert docs.stale() == []
    page = tmp_path / "man" / "elinkcli-link.1"
    page.write_text(page.read_text().replace("neighbor_score", "neighbour_score"))
    (tmp_path / "man" / "elinkcli-gone.1").write_text(".TH GONE 1\n")
    assert docs.stale() == sorted([page, tmp_path / "man" / "elinkcli-gone.1"])


@pytest.mark.parametrize("command", ["elinkcli", *[f"elinkcli-{c}" for c in COMMANDS]])
def test_required_man_pages_exist_with_their_sections(command: str) -> None:
    text = (ROOT / "man" / f"{command}.1").read_text()
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "ENVIRONMENT", "EXIT STATUS", "FILES"):
        assert f".SH {section}" in text
    for variable in ("ELINKCLI_BASE_URL", "NCBI_API_KEY", "NCBI_EMAIL", "ELINKCLI_CACHE_DIR"):
        assert variable.replace("_", "_") in text
    assert ".SH EXAMPLES" in text


def test_man_pages_name_every_environment_variable_and_config_key() -> None:
    from elinkcli import constants
    from elinkcli.config import FILE_KEYS

    variables = [
        name
        for key, value in vars(constants).items()
        if key.startswith("ENV_")
        for name in ((value,) if isinstance(value, str) else value)
    ]
    assert "ELINKCLI_ADAPTIVE_BATCH" in variables
    text = (ROOT / "man" / "elinkcli.1").read_text()
    environment = text.split(".SH ENVIRONMENT")[1].split(".SH ")[0]
    files = text.split(".SH FILES")[1].split(".SH ")[0]
    for name in variables:
        assert docs.escape(name) in environment, name
    config_page = (ROOT / "man" / "elinkcli-config.1").read_text()
    for key in FILE_KEYS:
        assert docs.escape(key) in files, key
        assert docs.escape(key) in config_page, key


@pytest.mark.parametrize("command", COMMANDS)
def test_man_page_lists_every_option_with_its_default(command: str) -> None:
    root = typer.main.get_command(app)
    sub = root.commands[command]
    ctx = sub.make_context(command, [], resilient_parsing=True)
    text = (ROOT / "man" / f"elinkcli-{command}.1").read_text()
    for param in sub.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is None:
            continue
        long_name = max(param.opts, key=len)
        assert docs.escape(long_name) in text, long_name
        default = re.search(r"\[default: ([^\]]+)\]", record[1])
        if default:
            assert docs.escape(default.group(1)) in text, (long_name, default.group(1))


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff is not installed")
@pytest.mark.parametrize("page", sorted(p.name for p in (ROOT / "man").glob("*.1")))
def test_man_pages_render_without_warnings(page: str) -> None:
    proc = subprocess.run(
        ["groff", "-man", "-ww", "-Tutf8", str(ROOT / "man" / page)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0
    assert proc.stderr == ""
    shown = re.sub(".\x08", "", proc.stdout)  # drop the overstrike that makes bold
    assert "NAME" in shown and "EXIT STATUS" in shown


def examples_of(help_text: str) -> list[str]:
    """The example command lines of a help text's `\\b Examples:` block, continuations
    joined."""
    match = re.search(r"\x08\s*\nExamples:\n(.*?)(?:\n\s*\n|\Z)", help_text, re.S)
    assert match, "no Examples block"
    lines: list[str] = []
    for line in match.group(1).splitlines():
        line = line.strip()
        if lines and (lines[-1].endswith("\\") or line.startswith("|")):
            lines[-1] = lines[-1].rstrip("\\") + " " + line
        else:
            lines.append(line)
    return lines


@pytest.mark.parametrize(
    "name,command", all_commands(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_help_shows_two_examples_one_a_pipe(name: str, command: Any) -> None:
    examples = examples_of(command.help or "")
    assert len(examples) >= 2, name
    assert any(" | " in e for e in examples), name
    assert all("elinkcli" in e for e in examples), name


def test_completion_scripts_call_back_into_elinkcli() -> None:
    for file in docs.SHELLS.values():
        text = (ROOT / "completions" / file).read_text()
        assert "_ELINKCLI_COMPLETE" in text
        assert "elinkcli" in text


def test_install_completion_keeps_working(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "elinkcli"
    env = {**os.environ, "HOME": str(tmp_path), "SHELL": "/bin/bash"}
    # Typer finds the shell among the process's ancestors (shellingham): run from bash, as a
    # user does, not from whatever started pytest (in cron or a detached job, no shell).
    proc = subprocess.run(
        ["bash", "-c", f'"{exe}" --install-completion; exit $?'],  # not exec'd
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    installed = list(tmp_path.rglob("elinkcli*"))
    assert installed, "no completion file written"
    assert any("_ELINKCLI_COMPLETE" in p.read_text() for p in installed if p.is_file())
