"""The wheel carries what packagers and typed users need: the license, py.typed, the man
pages, the bundled catalog, and metadata naming every supported Python."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {proc.stderr.strip()[-300:]}")
    (built,) = out.glob("elinkcli-*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_carries_license_types_data_and_man_pages(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "elinkcli/py.typed" in names
    assert "elinkcli/data/catalog.json" in names
    assert any(n.endswith("share/man/man1/elinkcli-link.1") for n in names)
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
    assert "Provides-Extra: lint" in lines and "Provides-Extra: test" in lines
    test_extra = [line for line in lines if line.startswith("Requires-Dist") and "test" in line]
    assert not any("ruff" in line for line in test_extra)  # ruff is the lint extra's
