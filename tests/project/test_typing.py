"""elinkcli ships py.typed: `elinkcli.api`'s annotations are a promise to its users. A
user's script, written as docs/python-api.md ("Use from Python") shows, passes
`mypy --strict` with the project's mypy configuration, and a wrong keyword argument (type,
value or name) is reported where it is written.

mypy comes with the `lint` extra: without it this module is skipped. Each case is one mypy
run on a script in tmp_path, with a mypy cache of its own (shared by the module's cases).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support.paths import ROOT

pytest.importorskip("mypy")

import elinkcli

CONFIG = ROOT / "pyproject.toml"
README = ROOT / "docs" / "python-api.md"
EXAMPLE_MARKER = "<!-- python-example -->"
ERROR = re.compile(r"^[^:\n]+\.py:(\d+): error: .*\[([a-z-]+)\]$", re.MULTILINE)

# The manual's ways (docs/python-api.md), and a few more, each with the types a user's
# checker must see.
GOOD = """
from __future__ import annotations

import contextlib
from pathlib import Path

from typing_extensions import assert_type

from elinkcli.api import (
    CheckRow,
    Connection,
    LinkNameRow,
    LinkRow,
    RecordLinkRow,
    check,
    discover,
    link,
)
from elinkcli.errors import ElinkError, UnknownIdsError
from elinkcli.commands.ledger import Ledger


def protein_targets(gene: str, email: str) -> dict[str, list[str]]:
    targets: dict[str, list[str]] = {}
    stats = Ledger()
    try:
        for row in link(
            [gene],
            db="gene",
            target="protein",
            name="gene_protein_refseq",
            batch=100,
            stats=stats,
            warn=print,
            cache="offline",
            cache_dir=Path("cache"),
            cache_ttl="7d",
            timeout=30.0,
            config=False,
            email=email,
        ):
            assert_type(row, LinkRow)
            assert_type(row.source_id, str | None)
            assert_type(row.target_id, str)
            assert_type(row.score, int | None)
            if row.source_id is not None:
                targets.setdefault(row.source_id, []).append(row.target_id)
    except UnknownIdsError as exc:
        print(exc)
    except ElinkError as exc:
        print(f"failed: {exc}")
    return targets


def has_links(ids: list[str]) -> list[tuple[str, bool]]:
    rows = check(ids, db="pubmed", cmd="ncheck", cache="use", email="me@example.org")
    with contextlib.closing(rows) as gen:
        return [(r.source_id, r.value == "Y") for r in gen if isinstance(r, CheckRow)]


def with_connection(ids: str, email: str | None) -> list[str]:
    connection: Connection = {"cache": "refresh", "api_key": "0123456789abcdef"}
    if email:
        connection["email"] = email
    return [r.target_id for r in link(ids, db="gene", target="protein", **connection)]


def link_names(db: str) -> list[str]:
    names = [r.linkname for r in discover(db=db, cache="offline")]
    for record in discover("672", db="gene", target="protein"):
        assert_type(record, RecordLinkRow)
    for every in discover(db=db):
        assert_type(every, LinkNameRow)
    return names
"""

# Each marked line must be reported with that error code, and nothing else anywhere.
BAD = """
from elinkcli.api import check, link

link(["672"], db="gene", target="protein", batch="10")  # E: arg-type
link(["672"], db="gene", target="protein", cache="sometimes")  # E: arg-type
link(["672"], db="gene", target="protein", timeout="30")  # E: arg-type
link(["672"], db="gene", target="protein", cachedir="/tmp")  # E: call-arg
link(["672"], "gene", "protein")  # E: call-arg
link([672], db="gene", target="protein")  # E: list-item
check(["672"], db="gene", cmd="nocheck")  # E: arg-type
for row in link(["672"], db="gene", target="protein"):
    source: str = row.source_id  # E: assignment
    row.target  # E: attr-defined
"""


def readme_example() -> str:
    """docs/python-api.md's "Use from Python" code, when the page is there."""
    if not README.exists():
        return ""
    _, marker, after = README.read_text(encoding="utf-8").partition(EXAMPLE_MARKER)
    found = re.search(r"```python\n(.*?)\n```", after, re.DOTALL) if marker else None
    return found.group(1) if found else ""


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mypy-cache")


def run_mypy(script: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    """`mypy --strict` on a user's script, elinkcli seen as an installed package is: its
    modules analysed, their own errors not the user's to see (--follow-imports=silent)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MYPY")}
    package_root = Path(elinkcli.__file__).resolve().parent.parent
    # An editable install is an import hook mypy cannot follow: MYPYPATH names the tree.
    # An installed copy (site-packages) mypy finds by itself, and refuses in MYPYPATH.
    if not {"site-packages", "dist-packages"} & set(package_root.parts):
        env["MYPYPATH"] = str(package_root)
    command = [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent"]
    command += ["--config-file", str(CONFIG)] if CONFIG.exists() else []
    command += ["--cache-dir", str(cache), "--no-pretty", "--no-color-output", str(script)]
    return subprocess.run(
        command, cwd=script.parent, env=env, capture_output=True, text=True, timeout=120
    )


def test_a_users_script_passes_mypy_strict(tmp_path: Path, mypy_cache: Path) -> None:
    script = tmp_path / "user_script.py"
    script.write_text(textwrap.dedent(GOOD) + "\n\n" + readme_example() + "\n", "utf-8")
    proc = run_mypy(script, mypy_cache)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success" in proc.stdout


def test_wrong_keyword_arguments_are_reported(tmp_path: Path, mypy_cache: Path) -> None:
    script = tmp_path / "wrong_script.py"
    text = textwrap.dedent(BAD).lstrip()
    script.write_text(text, "utf-8")
    want = {
        (n, line.rpartition("# E: ")[2])
        for n, line in enumerate(text.splitlines(), 1)
        if "# E: " in line
    }
    proc = run_mypy(script, mypy_cache)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    got = {(int(n), code) for n, code in ERROR.findall(proc.stdout)}
    assert got == want, proc.stdout
