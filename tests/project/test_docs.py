"""Man pages, completions and --help stay true to the app (issue: a reference that cannot
drift); the README stays a front door, and every page of the manual (docs/) that the code,
the tests or the manual name exists, with every link in it resolving."""

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


# --- the README and the manual in docs/ ------------------------------------------------------

DOCS = ROOT / "docs"
CITING = ("elinkcli", "tests", "bench", "tools")
DOC_PATH = re.compile(r"(?<![\w./-])docs/[\w./-]+?\.md\b")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FACT = re.compile(r"\bfacts? (\d+(?:(?:, | and |-)\d+)*)")
INSTALL = (
    "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/elinkcli link -db gene "
    "-target protein -name gene_protein_refseq -id 672"
)
TEST_COMMAND = (
    "python3 -m venv .venv && .venv/bin/pip install -e '.[test,lint]' && "
    ".venv/bin/python -m pytest -n 4"
)


def manual_pages() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


def text_files(*folders: str) -> list[Path]:
    found = []
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts or ".hypothesis" in path.parts:
                continue
            if path.suffix in (".py", ".md", ".txt", ".toml", ".cfg", ".sh", ""):
                found.append(path)
    return found


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return ""


def without_code(text: str) -> str:
    """Markdown text without fenced blocks and inline code spans (no links live there)."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", text)


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, markup and punctuation dropped,
    spaces as hyphens."""
    text = re.sub(r"[`*]", "", heading.strip()).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    text = re.sub(r"^```.*?^```", "", read_text(page), flags=re.S | re.M)
    for heading in re.findall(r"^#{1,6} (.+)$", text, re.M):
        base = slug(heading)
        name, n = base, 0
        while name in found:
            n += 1
            name = f"{base}-{n}"
        found.add(name)
    return found


def test_the_readme_is_a_front_door_with_both_set_up_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    assert f"```sh\n{INSTALL}\n```" in text
    assert "POSIX systems (Linux, macOS)" in text
    assert "docs/usage.md" in text and "docs/design.md" in text


@pytest.mark.skipif(shutil.which("awk") is None, reason="awk is not installed")
def test_ci_finds_the_test_command_in_the_readme() -> None:
    """`.ci/run` reads the README's test command with awk: run that very awk program."""
    ci = (ROOT / ".ci" / "run").read_text()
    found = re.search(r"^test_command=\$\(awk '(.*)' README\.md\)$", ci, re.M)
    assert found is not None
    proc = subprocess.run(
        ["awk", found.group(1), "README.md"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert proc.stdout == TEST_COMMAND + "\n"


def test_every_docs_page_named_anywhere_exists() -> None:
    """A `docs/….md` path in the code, the tests, the benchmarks, the tools or the manual
    names a file of the repository."""
    named: dict[str, list[str]] = {}
    for path in text_files(*CITING) + manual_pages():
        for match in DOC_PATH.findall(read_text(path)):
            named.setdefault(match, []).append(str(path.relative_to(ROOT)))
    assert "docs/reference/eutils-facts.md" in named
    missing = {doc: where for doc, where in named.items() if not (ROOT / doc).is_file()}
    assert missing == {}


def test_every_fact_cited_names_its_file_and_exists() -> None:
    """A numbered fact cited in the code or the tests names its page, as in
    "docs/reference/eutils-facts.md, facts 4 and 5", and each number cited is on it."""
    facts_page = (DOCS / "reference" / "eutils-facts.md").read_text(encoding="utf-8")
    numbers = {int(n) for n in re.findall(r"^(\d+)\. \*\*", facts_page, re.M)}
    assert numbers == set(range(1, max(numbers) + 1))
    cited = 0
    for path in text_files(*CITING):
        text = read_text(path)
        for match in FACT.finditer(text):
            where = f"{path.relative_to(ROOT)}: {match.group(0)}"
            before = re.sub(r"[\s#]+", " ", text[max(0, match.start() - 80) : match.start()])
            assert before.endswith("eutils-facts.md, "), where
            for first, last in re.findall(r"(\d+)(?:-(\d+))?", match.group(1)):
                assert {int(first), int(last or first)} <= numbers, where
            cited += 1
    assert cited >= 5


@pytest.mark.parametrize("page", manual_pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_of_the_manual_resolves(page: Path) -> None:
    """Each relative link names a file (or folder) that exists, and its #anchor a heading of
    that file."""
    broken = []
    for target in LINK.findall(without_code(page.read_text(encoding="utf-8"))):
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        file, _, anchor = target.partition("#")
        resolved = (page.parent / file).resolve() if file else page
        exists = resolved.exists()
        if not exists or (anchor and (resolved.is_dir() or anchor not in anchors(resolved))):
            broken.append(target)
    assert broken == []


def test_the_manual_names_the_refusal_of_a_system_that_is_not_posix() -> None:
    from elinkcli.cli.entry import NOT_POSIX

    usage = " ".join((DOCS / "usage.md").read_text(encoding="utf-8").split())
    assert NOT_POSIX.format("Windows") in usage.replace("`", "")
    exit_status = usage.split("## Exit status")[1]
    assert "| 1 |" in exit_status and "not POSIX" in exit_status
