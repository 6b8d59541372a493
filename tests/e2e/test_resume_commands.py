"""End to end: `--resume` for every command that takes `-o`: kill -9 mid-run,
resume, and the file is byte-identical to an uninterrupted run's. A refusal names what
differs. (`chain` writes its paths at the end: its resume walks again from the cache.)
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import assert_clean_error, clean_env, elinkcli_command, journal_batches
from support.fake_eutils import Faults

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


def _killed_after(
    fake,
    out: Path,
    args: list[str],
    batches: int = 0,
    until: Callable[[], bool] | None = None,
    env: dict[str, str] | None = None,
) -> Path:
    """`args -o out`, run against a slow server and killed (-9) once its journal records
    `batches` finished batches (or once `until()` holds); `out`."""
    journal = out.with_name(out.name + ".journal")
    done = until or (lambda: len(journal_batches(journal)) >= batches)
    fake.faults = Faults(delay=0.6)
    proc = subprocess.Popen(
        [*elinkcli_command(), *args, "-o", str(out)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=clean_env({"ELINKCLI_BASE_URL": fake.base_url, **(env or {})}),
    )
    try:
        deadline = time.monotonic() + 30
        while not done() and time.monotonic() < deadline:
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


def test_chain_resumes_by_walking_again_from_the_cache(fake, run, tmp_path):
    """chain writes its paths at the end: a resumed run walks again, and every answer the
    killed run got comes from the cache, so none is asked twice."""
    cache = tmp_path / "cache"
    args = ["chain", "-db", "gene", "--batch", "2", "-id", ",".join(IDS), "protein", "gene"]
    reference = tmp_path / "reference.tsv"
    assert run(*args, "-o", str(reference), env=KEY).returncode == 0
    reference_requests = len(fake.log)

    mark = len(fake.log)
    marks: list[float] = []

    def three_answered() -> bool:
        if len([r for r in fake.log[mark:] if r.end]) < 3:
            return False
        # Answers sent in the last second may not have reached the cache: not counted.
        time.sleep(1.0)
        marks.append(time.monotonic() - 1.0)
        return True

    out = _killed_after(
        fake,
        tmp_path / "out.tsv",
        args,
        until=three_answered,
        env={"ELINKCLI_CACHE_DIR": str(cache)},
    )
    cutoff = marks[0]
    answered = {tuple(r.values("id")) for r in fake.log[mark:] if r.end and r.end < cutoff}
    assert answered
    mark = len(fake.log)
    resumed = run(*args, "-o", str(out), "--resume", env={**KEY, "ELINKCLI_CACHE_DIR": str(cache)})
    assert resumed.returncode == 0, resumed.stderr
    assert out.read_bytes() == reference.read_bytes()
    asked_again = {tuple(r.values("id")) for r in fake.log[mark:]}
    assert asked_again and not asked_again & answered
    assert len(fake.log) - mark < reference_requests
