"""End to end: `--resume` for every command that takes `-o` and has batches: kill -9 mid-run,
resume, and the file is byte-identical to an uninterrupted run's. A refusal names what
differs. (`chain` and `discover` without ids have no batches to skip: --resume is exit 2.)
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from conftest import assert_clean_error, clean_env, elinkcli_command, journal_batches
from fake_eutils import Faults

pytestmark = pytest.mark.e2e

KEY = {"NCBI_API_KEY": "k"}
COMMANDS = {
    "link": ("link", "-db", "gene", "-target", "protein"),
    "check": ("check", "-db", "gene", "-cmd", "ncheck"),
    "discover": ("discover", "-db", "gene"),
    "linkout": ("linkout", "-db", "pubmed"),
}
IDS = [str(n) for n in range(3001, 3011)]  # 5 batches of 2


@pytest.mark.parametrize("fmt", ["tsv", "json"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_kill_9_then_resume_is_byte_identical(fake, run, tmp_path, command, fmt):
    args = [*COMMANDS[command], "--batch", "2", "--format", fmt, "--id", ",".join(IDS)]
    reference = tmp_path / f"reference.{fmt}"
    ref = run(*args, "-o", str(reference), env=KEY)
    assert ref.returncode == 0, ref.stderr
    assert reference.stat().st_size > 10

    out = _killed_after(fake, tmp_path / f"out.{fmt}", args, batches=2)
    journal = out.with_name(out.name + ".journal")
    done = journal_batches(journal)
    assert 2 <= len(done) < 5, done
    assert not out.exists()

    resumed = run(*args, "-o", str(out), "--resume", env=KEY)
    assert resumed.returncode == 0, resumed.stderr
    assert out.read_bytes() == reference.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([out.name, reference.name])


def _killed_after(fake, out: Path, args: list[str], batches: int) -> Path:
    """`args -o out`, run against a slow server and killed (-9) once its journal records
    `batches` finished batches; `out`."""
    journal = out.with_name(out.name + ".journal")
    fake.faults = Faults(delay=0.6)
    proc = subprocess.Popen(
        [*elinkcli_command(), *args, "-o", str(out)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=clean_env({"ELINKCLI_BASE_URL": fake.base_url}),
    )
    try:
        deadline = time.monotonic() + 30
        while len(journal_batches(journal)) < batches and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        proc.kill()
        proc.communicate(timeout=20)
    fake.faults = Faults()
    return out


def test_a_refused_resume_names_the_option_that_differs(fake, run, tmp_path):
    args = [*COMMANDS["linkout"], "--batch", "2", "--id", ",".join(IDS)]
    out = _killed_after(fake, tmp_path / "out.tsv", args, batches=1)
    other = [*COMMANDS["linkout"], "--batch", "3", "--id", ",".join(IDS)]
    line = assert_clean_error(run(*other, "-o", str(out), "--resume"), 2)
    assert "--batch (was 2, now 3)" in line
    ids = [*COMMANDS["linkout"], "--batch", "2", "--id", ",".join(IDS[:-1])]
    line = assert_clean_error(run(*ids, "-o", str(out), "--resume"), 2)
    assert "--ids (was 3001,3002," in line and "..." in line  # cut short
    stdin = "\n".join(IDS[:-1]).encode()
    piped = [*COMMANDS["linkout"], "--batch", "2"]
    line = assert_clean_error(run(*piped, "-o", str(out), "--resume", stdin=stdin), 2)
    assert "other ids" in line or "--ids" in line
    command = [*COMMANDS["link"], "--batch", "2", "--id", ",".join(IDS)]
    line = assert_clean_error(run(*command, "-o", str(out), "--resume"), 2)
    assert "another command" in line
    assert run(*args, "-o", str(out), "--resume", env=KEY).returncode == 0


@pytest.mark.parametrize(
    "args",
    [
        ("chain", "-db", "gene", "-id", "3001", "protein"),
        ("discover", "-db", "gene", "--offline"),
    ],
    ids=["chain", "discover-without-ids"],
)
def test_commands_without_batches_refuse_resume(run, tmp_path, args):
    line = assert_clean_error(run(*args, "-o", str(tmp_path / "o.tsv"), "--resume"), 2)
    assert "cannot --resume" in line
