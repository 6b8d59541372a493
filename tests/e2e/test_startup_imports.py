"""End to end: a run imports what it needs and nothing more (issue 33). The process's
modules are read at its exit (sys.modules, written to a file by an atexit hook), for:

- one id answered from the cache: no HTTP stack, no XML stack, no thread pool, no local
  tables, no other command's module;
- `link --help`: no other command's module;
- one id asked of the (loopback) server: the HTTP and XML stacks, but still no other
  command's module and no local tables.

Start-up time itself is measured in bench/startup.py, not here (a timed test only passes on
an idle machine).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import clean_env

pytestmark = pytest.mark.e2e

ONE = ["link", "-db", "gene", "-target", "protein", "-id", "672", "-q"]
HTTP = ("requests", "urllib3", "http.client", "ssl")
XML = ("xml.etree.ElementTree", "defusedxml", "pyexpat")
OTHER_COMMANDS = (
    "elinkcli.cli.tables",
    "elinkcli.cli.admin",
    "elinkcli.cli.provider_files",
    "elinkcli.cli.chain",
    "elinkcli.cli.check",
    "elinkcli.cli.discover",
    "elinkcli.cli.linkout",
    "elinkcli.commands.tables",
    "elinkcli.providerfiles",
)
TABLES = ("duckdb", "elinkcli.sources.tables", "elinkcli.tables.catalog", "elinkcli.tables.lookup")

# The CLI's own entry point, run as the console script runs it; its modules go to a file.
PROBE = (
    "import atexit, json, sys\n"
    "out = sys.argv.pop(1)\n"
    "atexit.register(lambda: open(out, 'w').write(json.dumps(sorted(sys.modules))))\n"
    "sys.argv[0] = 'elinkcli'\n"
    "from elinkcli.cli.entry import main\n"
    "main()\n"
)


def modules(tmp_path: Path, env: dict[str, str], *args: str) -> set[str]:
    out = tmp_path / "modules.json"
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), *args], env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(out.read_text()))


def loaded(found: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in found if any(m == n or m.startswith(n + ".") for n in names))


def test_one_id_from_the_cache_imports_no_http_xml_tables_or_other_command(fake, tmp_path) -> None:
    env = clean_env({"ELINKCLI_BASE_URL": fake.base_url})
    asked = modules(tmp_path, env, *ONE)  # fills the cache
    assert loaded(asked, HTTP) and loaded(asked, XML)  # the probe sees what a request needs
    cached = modules(tmp_path, env, *ONE)
    assert len(fake.log) == 1  # the second run was answered from the cache
    assert loaded(cached, HTTP) == []
    assert loaded(cached, XML) == []
    assert loaded(cached, ("concurrent.futures",)) == []
    assert loaded(cached, TABLES) == []
    assert loaded(cached, OTHER_COMMANDS) == []
    assert "elinkcli.cli.link" in cached


def test_a_request_imports_no_other_command_or_tables(fake, tmp_path) -> None:
    env = clean_env({"ELINKCLI_BASE_URL": fake.base_url})
    asked = modules(tmp_path, env, *ONE)
    assert loaded(asked, OTHER_COMMANDS) == []
    assert loaded(asked, TABLES) == []


@pytest.mark.parametrize("command", ["link", "check", "chain", "tables"])
def test_a_command_s_help_builds_that_command_alone(tmp_path, command: str) -> None:
    found = modules(tmp_path, clean_env(), command, "--help")
    own = f"elinkcli.cli.{command}"
    assert own in found
    assert loaded(found, tuple(m for m in OTHER_COMMANDS if m != own)) == []
    assert loaded(found, HTTP) == []
