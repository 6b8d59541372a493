"""End to end: `--resume` for every command that takes `-o`: kill -9 mid-run,
resume, and the file is byte-identical to an uninterrupted run's. A refusal names what
differs. (`chain` writes its paths at the end: its resume walks again from the cache.)
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import (
    TSV_HEADER,
    assert_clean_error,
    clean_env,
    elinkcli_command,
    journal_batches,
)
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
    `batches` finished batches (or once `until()` holds); `out`. With `batches`, the batch
    after the next one is held by the server (30 s): a run on a busy machine cannot finish
    between two looks at the journal, so the kill always comes mid-run."""
    journal = out.with_name(out.name + ".journal")
    done = until or (lambda: len(journal_batches(journal)) >= batches)
    held = IDS[2 * (batches + 1)] if batches and 2 * (batches + 1) < len(IDS) else None
    fake.faults = Faults(delay=0.6, by_id={held: ["slow"]} if held else {})
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
    killed run got into its cache comes from there, so none is asked twice."""
    cache = tmp_path / "cache"
    args = ["chain", "-db", "gene", "--batch", "2", "-id", ",".join(IDS), "protein", "gene"]
    reference = tmp_path / "reference.tsv"
    assert run(*args, "-o", str(reference), env=KEY).returncode == 0
    reference_requests = len(fake.log)

    mark = len(fake.log)
    out = _killed_after(
        fake,
        tmp_path / "out.tsv",
        args,
        until=lambda: len(_cached_ids(cache)) >= 3,
        env={"ELINKCLI_CACHE_DIR": str(cache)},
    )
    # What the killed run kept: the (database, id) of each answer in its cache. (An answer
    # the server sent a moment before the kill may not have reached it on a busy machine:
    # the cache, not the server's log, says what a rerun can have.)
    kept = _cached_ids(cache)
    assert len(kept) >= 3
    mark = len(fake.log)
    resumed = run(*args, "-o", str(out), "--resume", env={**KEY, "ELINKCLI_CACHE_DIR": str(cache)})
    assert resumed.returncode == 0, resumed.stderr
    assert out.read_bytes() == reference.read_bytes()
    asked_again = {
        (db, i) for r in fake.log[mark:] for db in r.values("dbfrom") for i in r.values("id")
    }
    assert asked_again and not asked_again & kept
    assert len(fake.log) - mark < reference_requests


def _cached_ids(cache_dir: Path) -> set[tuple[str, str]]:
    """(dbfrom, id) of every answer in the cache under `cache_dir` (none before it is
    made)."""
    import sqlite3

    from elinkcli.cache.codec import decode_linksets
    from elinkcli.cache.fs import FILE_NAME

    found = list(cache_dir.rglob(FILE_NAME)) if cache_dir.is_dir() else []
    if not found:
        return set()
    (db_file,) = found
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)) as con:
            values = [json.loads(v) for (v,) in con.execute("SELECT value FROM entries")]
    except sqlite3.OperationalError:  # made, its table not yet
        return set()
    return {(ls.dbfrom, i) for v in values for ls in decode_linksets(v) for i in ls.ids}


# --- Ctrl-C: what is kept, and a resumed run's summary ---------------------------------------

LINK = [*COMMANDS["link"], "--name", "gene_protein", "--batch", "2", "--id", ",".join(IDS)]
LINKNAME = "gene_protein"  # what `link -db gene -target protein` asks for


def _oracle_summary(fake, ids: list[str]) -> tuple[int, int, int]:
    """(ids with links, ids without, links) of `link -db gene -target protein`, from the
    fake's own tables."""
    links = {i: sum(len(t) for _, _, t in fake.links("gene", i, "protein", LINKNAME)) for i in ids}
    with_links = sum(1 for n in links.values() if n)
    return with_links, len(ids) - with_links, sum(links.values())


def _oracle_tsv(fake, ids: list[str]) -> str:
    """The tsv of `link -db gene -target protein` over ids, from the fake's own tables."""
    rows = [
        ("gene", i, name, dbto, t, "", i, "")
        for i in ids
        for name, dbto, targets in fake.links("gene", i, "protein", LINKNAME)
        for t in targets
    ]
    return "".join("\t".join(r) + "\n" for r in [TSV_HEADER, *rows])


def _interrupt_at_batch_2(
    fake, argv: list[str], ready: Callable[[list[str]], bool], env: dict[str, str]
):
    """Run argv with batch 2 (ids 3005,3006) held by the server, send SIGINT once
    `ready(stdout lines so far)` holds (polled); (exit status, stdout, stderr)."""
    fake.faults = Faults(by_id={"3005": ["slow"]})  # 30 s: the run is stopped before
    proc = subprocess.Popen(
        [*elinkcli_command(), *argv],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_env({"ELINKCLI_BASE_URL": fake.base_url, **KEY, **env}),
    )
    assert proc.stdout is not None and proc.stderr is not None
    stdout, stderr = proc.stdout, proc.stderr
    lines: list[str] = []
    reader = threading.Thread(
        target=lambda: lines.extend(raw.decode() for raw in iter(stdout.readline, b"")),
        daemon=True,
    )
    reader.start()
    try:
        deadline = time.monotonic() + 30
        while not ready(lines) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
        assert ready(lines), "the run never got to batch 2"
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
        reader.join(timeout=20)
        err = stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        fake.faults = Faults()
    return proc.returncode, "".join(lines), err.decode()


def test_ctrl_c_says_what_the_journal_keeps_and_the_resume_counts_every_id(fake, run, tmp_path):
    out = tmp_path / "out.tsv"
    journal = Path(os.path.realpath(out.with_name(out.name + ".journal")))

    def batches_0_and_1_kept(_lines: list[str]) -> bool:
        if len(journal_batches(journal)) < 2:
            return False
        # The line is on disk while elinkcli is still inside the batch's bookkeeping (the
        # ids are counted before the line is written, the line before the call returns:
        # tests/unit/output/test_atomic_output.py makes a Ctrl-C there exact). On a busy
        # machine that moment can last long enough for a signal sent at once to land in it;
        # batch 2 is held for 30 s, so waiting here costs nothing but the wait.
        time.sleep(2.0)
        return True

    code, _, err = _interrupt_at_batch_2(fake, [*LINK, "-o", str(out)], batches_0_and_1_kept, {})
    assert code == 130, err
    assert err.splitlines() == [
        f"elinkcli: interrupted: 4 of 10 id(s) (2 batches) are finished and kept in {journal}; "
        "rerun the same command with --resume to continue"
    ]
    assert journal_batches(journal) == {0, 1}
    assert not out.exists()

    mark = len(fake.log)
    resumed = run(*LINK, "-o", str(out), "--resume", "-v", env=KEY)
    assert resumed.returncode == 0, resumed.stderr
    assert out.read_text() == _oracle_tsv(fake, IDS)  # what an uninterrupted run writes
    asked = {i for r in fake.log[mark:] for i in r.values("id")}
    assert asked == set(IDS[4:])  # none of the 4 kept ids asked again
    with_links, without, links = _oracle_summary(fake, IDS)
    summary = resumed.stderr.splitlines()[0]
    assert summary.startswith(
        f"elinkcli: 10 id(s) in (4 done before --resume), {with_links} with links, "
        f"{without} without links; {links} link(s); "
    ), summary
    assert links == len(out.read_text().splitlines()) - 1  # the file agrees


def test_ctrl_c_without_output_says_how_many_ids_were_done(fake, tmp_path):
    wanted = [
        t
        for i in IDS[:4]
        for _, _, targets in fake.links("gene", i, "protein", LINKNAME)
        for t in targets
    ]

    def rows_of_batches_0_and_1_written(lines: list[str]) -> bool:
        if len(lines) < 1 + len(wanted):
            return False
        # The rows are on stdout a moment before elinkcli counts their batch as done (the
        # count follows the write); on a busy machine a signal sent at once could land in
        # that moment. Batch 2 is held for 30 s, so waiting costs nothing but the wait.
        time.sleep(2.0)
        return True

    code, out, err = _interrupt_at_batch_2(
        fake, [*LINK, "--format", "tsv"], rows_of_batches_0_and_1_written, {}
    )
    assert code == 130, err
    assert err.splitlines() == ["elinkcli: interrupted: 4 of 10 id(s) were done"]
    # Batch 2 is held: batches 0 and 1 are done, and what was written agrees.
    assert [r.split("\t")[4] for r in out.splitlines()[1:]] == wanted


# --- --resume of a FILE that is already there, or of nothing --------------------------------


def test_resume_of_a_complete_file_changes_nothing_and_of_nothing_starts_afresh(
    fake, run, tmp_path
):
    state = {"ELINKCLI_STATE_DIR": str(tmp_path / "state"), **KEY}
    out = tmp_path / "out.tsv"
    # Neither FILE nor journal: a fresh run (a cron line may always pass --resume).
    first = run(*LINK, "-o", str(out), "--resume", env=state)
    assert first.returncode == 0, first.stderr
    _, _, links = _oracle_summary(fake, IDS)
    assert len(out.read_text().splitlines()) == links + 1
    written, stat_before = out.read_bytes(), out.stat()

    mark = len(fake.log)
    again = run(*LINK, "-o", str(out), "--resume", "-v", env=state)
    assert again.returncode == 0, again.stderr
    assert again.stderr == f"elinkcli: {out} is complete: nothing to resume\n"
    assert out.read_bytes() == written
    assert (out.stat().st_ino, out.stat().st_mtime_ns) == (
        stat_before.st_ino,
        stat_before.st_mtime_ns,
    )
    assert len(fake.log) == mark  # nothing asked
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tsv", "state"]

    other = [*COMMANDS["link"], "--name", "gene_protein", "--batch", "3", "--id", ",".join(IDS)]
    line = assert_clean_error(run(*other, "-o", str(out), "--resume", env=state), 2)
    assert "nothing to resume" in line and "--batch (was 2, now 3)" in line
    assert out.read_bytes() == written
