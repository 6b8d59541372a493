"""The wheel carries what packagers and typed users need: the license, py.typed, the man
pages and completions at their standard share paths, the bundled catalog, and metadata
naming every supported Python and the systems it runs on (POSIX). The sdist carries
everything its tests need, the manual in docs/ included."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

import pytest
from support.paths import ROOT


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the checkout: a build in place would pick up (and leave) build/ and egg-info."""
    src = tmp_path_factory.mktemp("src") / "elinkcli"
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".venv*", ".ci-venvs", ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"
        ),
    )
    return src


def _build(source: Path, out: Path, kind: str) -> Path:
    proc = subprocess.run(
        [sys.executable, "-m", "build", f"--{kind}", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot build a {kind} here: {proc.stderr.strip()[-300:]}")
    (built,) = out.glob("elinkcli-*.whl" if kind == "wheel" else "elinkcli-*.tar.gz")
    return built


@pytest.fixture(scope="module")
def wheel(source: Path, tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    return zipfile.ZipFile(_build(source, tmp_path_factory.mktemp("wheel"), "wheel"))


@pytest.fixture(scope="module")
def sdist(source: Path, tmp_path_factory: pytest.TempPathFactory) -> tarfile.TarFile:
    return tarfile.open(_build(source, tmp_path_factory.mktemp("sdist"), "sdist"))


def test_the_wheel_carries_license_types_data_and_man_pages(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "elinkcli/py.typed" in names
    assert "elinkcli/data/catalog.json" in names
    assert any(n.endswith("share/man/man1/elinkcli-link.1") for n in names)
    for path in (
        "share/bash-completion/completions/elinkcli",
        "share/zsh/site-functions/_elinkcli",
        "share/fish/vendor_completions.d/elinkcli.fish",
    ):
        (member,) = [n for n in names if n.endswith(".data/data/" + path)]
        assert b"_ELINKCLI_COMPLETE" in wheel.read(member), path
    # The docs generator is dev tooling (tools/gendocs.py), not part of the package.
    assert not any(n.startswith("elinkcli/docs") or n.startswith("tools/") for n in names)
    license_text = wheel.read(next(n for n in names if n.endswith("licenses/LICENSE")))
    assert license_text == (ROOT / "LICENSE").read_bytes()
    assert b"MIT License" in license_text


def test_the_metadata_names_the_license_the_pythons_and_the_extras(
    wheel: zipfile.ZipFile,
) -> None:
    metadata = wheel.read(next(n for n in wheel.namelist() if n.endswith("METADATA"))).decode()
    lines = metadata.splitlines()
    assert "License-Expression: MIT" in lines
    for version in ("3.10", "3.11", "3.12", "3.13"):
        assert f"Classifier: Programming Language :: Python :: {version}" in lines
    assert any(line.startswith("Project-URL: E-utilities reference, https://") for line in lines)
    assert "Provides-Extra: lint" in lines and "Provides-Extra: test" in lines
    test_extra = [line for line in lines if line.startswith("Requires-Dist") and "test" in line]
    assert not any("ruff" in line for line in test_extra)  # ruff is the lint extra's
    # fcntl, O_NOFOLLOW and geteuid: POSIX only, and said so (elinkcli.cli.entry refuses
    # any other system at start).
    classifiers = {line.split(": ", 1)[1] for line in lines if line.startswith("Classifier: ")}
    assert {"Operating System :: POSIX", "Operating System :: MacOS"} <= classifiers
    assert not any(c.startswith("Operating System :: Microsoft") for c in classifiers)
    assert not any("OS Independent" in c for c in classifiers)
    assert "Development Status :: 4 - Beta" in classifiers


def test_the_build_needs_a_setuptools_that_reads_the_license_expression() -> None:
    """`license = "MIT"` (PEP 639) and `license-files` are read from setuptools 77 on."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert config["project"]["license"] == "MIT"
    assert config["build-system"]["requires"] == ["setuptools>=77"]


def _tracked(*folders: str) -> list[str]:
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout (an unpacked sdist): nothing to compare with")
    proc = subprocess.run(
        ["git", "ls-files", *folders], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return proc.stdout.split()


def test_the_sdist_carries_every_file_its_tests_need(sdist: tarfile.TarFile) -> None:
    names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    # The manual: tests read its tables and examples (docs/accessions.md, ...).
    manual = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "docs").rglob("*.md"))]
    assert "docs/python-api.md" in manual and "docs/reference/eutils-facts.md" in manual
    assert [f for f in manual if f not in names] == []
    wanted = _tracked("tests", "tools", "man", "completions", "bench", ".ci", "docs")
    missing = [f for f in wanted if f not in names]
    assert missing == []
    assert {"LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml", "MANIFEST.in"} <= names
    assert {"tests/conftest.py", "tests/support/fake_eutils.py"} <= names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_pytest_runs_without_xdist() -> None:
    """-n in addopts would make a plain `pytest` fail where pytest-xdist is not installed."""
    text = (ROOT / "pyproject.toml").read_text()
    addopts = re.search(r'^addopts = "(.*)"$', text, re.M)
    assert addopts is not None
    assert "-n" not in addopts.group(1).split()


def test_ci_runs_every_python_the_classifiers_name() -> None:
    """.ci/run covers each Python the metadata claims (python3 plus the loop's versions)."""
    text = (ROOT / "pyproject.toml").read_text()
    claimed = set(re.findall(r"Programming Language :: Python :: (3\.\d+)", text))
    ci = (ROOT / ".ci" / "run").read_text()
    loop = re.search(r"^for version in (.*); do$", ci, re.M)
    assert loop is not None
    # All but one: the whole suite runs on python3 before the loop.
    assert len(claimed - set(loop.group(1).split())) == 1
