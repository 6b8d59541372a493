"""End to end, for cron jobs and Makefiles: the installed `elinkcli` against the fake server.

The cache (reruns, --refresh, --no-cache, --offline, --cache-ttl, `cache info|prune|clear`),
one rate limit shared by concurrent processes, atomic `-o FILE` with its journal and
`--resume` after kill -9 or Ctrl-C, the API key kept off the disk, `elinkcli config` and the
config file, and the progress bar.

Expected rows come from the fake's oracle (`fake.links`); request counts and ids from its
log. Pacing is real (0.40 s between request starts without a key), so runs stay small.
"""

from __future__ import annotations

import itertools
import json
import os
import pty
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from conftest import ARRIVAL_JITTER, TSV_HEADER, Row, clean_env, elinkcli_command, journal_batches
from support.fake_eutils import FakeEutils, Faults, Table, elink_requests
from support.fakes import chunks

pytestmark = pytest.mark.e2e

ARGS = ("link", "-db", "gene", "-target", "protein")
SECRET = "SECRET-d41d8cd98f00b204e9800998ecf8427e"


# --- helpers ----------------------------------------------------------------------------------


def oracle_rows(fake: FakeEutils, ids: Sequence[str]) -> list[Row]:
    """Full tsv rows: source_uid is the id as NCBI's UID, target_acc empty. -target alone
    asks for DB_TARGET (gene_protein), as EDirect's elink."""
    return [
        ("gene", uid, name, dbto, target, "", uid.lstrip("0") or "0", "")
        for uid in ids
        for name, dbto, targets in fake.links("gene", uid, "protein", "gene_protein")
        for target in targets
    ]


def tsv_text(rows: Sequence[Row]) -> str:
    return "".join("\t".join(r) + "\n" for r in [TSV_HEADER, *rows])


def asked_ids(fake: FakeEutils, since: int = 0) -> list[str]:
    return [i for r in elink_requests(fake, since) for i in r.values("id")]


def error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("elinkcli: error: ")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def failed_ids(stderr: str) -> list[str]:
    return error_line(stderr).rsplit(": ", 1)[1].split(",")


def cache_info(run, cache_dir: Path) -> dict:
    proc = run("cache", "info", "--json", env={"ELINKCLI_CACHE_DIR": str(cache_dir)})
    assert proc.returncode == 0, proc
    return json.loads(proc.stdout)


def files_under(*dirs: Path) -> list[Path]:
    return [p for d in dirs for p in sorted(d.rglob("*")) if p.is_file()]


# --- 1. the cache --------------------------------------------------------------------------


def test_rerun_asks_nothing_and_one_added_id_is_one_small_request(fake, run, tmp_path):
    env = {"ELINKCLI_CACHE_DIR": str(tmp_path / "cache")}
    ids = [str(n) for n in range(2101, 2111)]
    first = run(*ARGS, "--batch", "4", "--id", ",".join(ids), env=env)
    assert first.returncode == 0, first
    assert first.stdout == tsv_text(oracle_rows(fake, ids))
    assert sorted(map(tuple, (r.values("id") for r in elink_requests(fake)))) == sorted(
        map(tuple, chunks(ids, 4))
    )

    mark = len(fake.log)
    again = run(*ARGS, "--batch", "4", "--id", ",".join(ids), "-v", env=env)
    assert again.returncode == 0, again
    assert fake.log[mark:] == []  # zero requests
    assert again.stdout == first.stdout
    assert "0 request(s), 0 retries, 10 from the cache" in again.stderr

    added = [*ids, "2111"]
    grown = run(*ARGS, "--batch", "4", "--id", ",".join(added), "-v", env=env)
    assert grown.returncode == 0, grown
    assert [r.values("id") for r in elink_requests(fake, mark)] == [["2111"]]
    assert grown.stdout == tsv_text(oracle_rows(fake, added))
    assert "1 request(s), 0 retries, 10 from the cache" in grown.stderr


def _change_the_links(fake: FakeEutils) -> None:
    """NCBI's weekly update: every gene now links to other proteins."""
    fake.tables = {
        **fake.tables,
        "gene_protein": Table("gene", "protein", lambda u: [f"9{u}0", f"9{u}1"]),
        "gene_protein_refseq": Table("gene", "protein", lambda u: [f"8{u}0"]),
    }


def test_refresh_asks_again_and_updates_the_cache(fake, run, tmp_path):
    env = {"ELINKCLI_CACHE_DIR": str(tmp_path / "cache")}
    ids = ["2201", "2202", "2203"]
    old = tsv_text(oracle_rows(fake, ids))
    assert run(*ARGS, "--id", ",".join(ids), env=env).stdout == old
    _change_the_links(fake)
    new = tsv_text(oracle_rows(fake, ids))
    assert new != old

    mark = len(fake.log)
    cached = run(*ARGS, "--id", ",".join(ids), env=env)
    assert (cached.returncode, cached.stdout, fake.log[mark:]) == (0, old, [])

    refreshed = run(*ARGS, "--id", ",".join(ids), "--refresh", env=env)
    assert refreshed.returncode == 0, refreshed
    assert refreshed.stdout == new
    assert asked_ids(fake, mark) == ids

    mark = len(fake.log)
    after = run(*ARGS, "--id", ",".join(ids), env=env)
    assert (after.stdout, fake.log[mark:]) == (new, [])  # the cache holds the new answer


def test_no_cache_asks_again_and_writes_nothing(fake, run, tmp_path):
    cold = tmp_path / "cold"
    ids = ["2301", "2302", "2303"]
    proc = run(*ARGS, "--id", ",".join(ids), "--no-cache", env={"ELINKCLI_CACHE_DIR": str(cold)})
    assert proc.returncode == 0, proc
    assert proc.stdout == tsv_text(oracle_rows(fake, ids))
    assert cache_info(run, cold)["entries"] == 0

    warm = tmp_path / "warm"
    env = {"ELINKCLI_CACHE_DIR": str(warm)}
    old = run(*ARGS, "--id", ",".join(ids), env=env).stdout
    _change_the_links(fake)
    mark = len(fake.log)
    fresh = run(*ARGS, "--id", ",".join(ids), "--no-cache", env=env)
    assert fresh.stdout == tsv_text(oracle_rows(fake, ids)) != old  # did not read the cache
    assert asked_ids(fake, mark) == ids
    mark = len(fake.log)
    assert run(*ARGS, "--id", ",".join(ids), env=env).stdout == old  # nor write it
    assert fake.log[mark:] == []


def test_offline_answers_from_the_cache_and_names_exactly_the_missing(fake, run, tmp_path):
    env = {"ELINKCLI_CACHE_DIR": str(tmp_path / "cache")}
    ids = ["2401", "2402", "2403", "2404"]
    warm = run(*ARGS, "--id", ",".join(ids), env=env)
    assert warm.returncode == 0, warm

    mark = len(fake.log)
    offline = run(*ARGS, "--id", ",".join(ids), "--offline", env=env)
    assert (offline.returncode, offline.stdout, offline.stderr) == (0, warm.stdout, "")
    assert fake.log[mark:] == []

    wanted = ["2401", "2499", "2402", "2403", "2404"]
    missing = run(*ARGS, "--id", ",".join(wanted), "--offline", "--batch", "2", env=env)
    assert missing.returncode == 4, missing
    line = error_line(missing.stderr)
    assert line.endswith("not in the cache: 2499")
    assert "1 id(s)" in line
    assert missing.stdout == tsv_text(oracle_rows(fake, ids))  # every cached row, in order
    assert fake.log[mark:] == []

    cold = run(*ARGS, "--id", "2501,2502,2503", "--offline", env={})
    assert cold.returncode == 4
    assert failed_ids(cold.stderr) == ["2501", "2502", "2503"]
    assert cold.stdout == ""  # a run that failed before any row writes nothing, not a header
    assert fake.log[mark:] == []


def test_cache_ttl(fake, run, tmp_path):
    env = {"ELINKCLI_CACHE_DIR": str(tmp_path / "cache")}
    ids = ["2601", "2602"]
    expected = tsv_text(oracle_rows(fake, ids))
    assert run(*ARGS, "--id", ",".join(ids), env=env).stdout == expected
    mark = len(fake.log)
    for ttl in ("3600", "30m"):
        fresh = run(*ARGS, "--id", ",".join(ids), "--cache-ttl", ttl, env=env)
        assert (fresh.returncode, fresh.stdout) == (0, expected)
    assert fake.log[mark:] == []

    expired = run(*ARGS, "--id", ",".join(ids), "--cache-ttl", "0", env=env)
    assert (expired.returncode, expired.stdout) == (0, expected)
    assert asked_ids(fake, mark) == ids

    bad = run(*ARGS, "--id", ",".join(ids), "--cache-ttl", "soon", env=env)
    assert bad.returncode == 2
    assert "bad duration 'soon'" in error_line(bad.stderr)


def test_cache_info_prune_clear(fake, run, tmp_path):
    cache_dir = tmp_path / "cache"
    env = {"ELINKCLI_CACHE_DIR": str(cache_dir)}
    fake.silent_ids = {"2705"}  # not echoed by NCBI: nothing to cache for it
    ids = [str(n) for n in range(2701, 2711)]
    assert run(*ARGS, "--batch", "5", "--id", ",".join(ids), env=env).returncode == 0

    info = cache_info(run, cache_dir)
    assert info["path"] == str(cache_dir / "cache.sqlite3")
    assert (info["entries"], info["fresh"], info["expired"]) == (9, 9, 0)
    assert info["size_bytes"] > info["answers_bytes"] > 0
    assert (info["format"], info["journal"], info["set_aside"]) == (1, "wal", [])
    assert info["ttl_seconds"] == 7 * 86400
    assert info["oldest"] is not None and info["newest"] is not None

    # Three answers from last month.
    with sqlite3.connect(cache_dir / "cache.sqlite3") as db:
        db.execute(
            "UPDATE entries SET created = created - 30 * 86400 "
            "WHERE key IN (SELECT key FROM entries ORDER BY key LIMIT 3)"
        )
    db.close()
    info = cache_info(run, cache_dir)
    assert (info["entries"], info["fresh"], info["expired"]) == (9, 6, 3)

    pruned = run("cache", "prune", env=env)
    assert pruned.returncode == 0, pruned
    assert pruned.stderr.strip() == "elinkcli: removed 3 cached answer(s)"
    info = cache_info(run, cache_dir)
    assert (info["entries"], info["fresh"], info["expired"]) == (6, 6, 0)

    text = run("cache", "info", env=env)
    assert "entries\t6\n" in text.stdout

    cleared = run("cache", "clear", env=env)
    assert cleared.stderr.strip() == "elinkcli: removed 6 cached answer(s)"
    info = cache_info(run, cache_dir)
    assert (info["entries"], info["answers_bytes"], info["oldest"]) == (0, 0, None)
    assert 0 < info["size_bytes"] <= 64 * 1024, "the file shrinks back to its empty tables"
    mark = len(fake.log)
    offline = run(*ARGS, "--id", ",".join(ids), "--offline", env=env)
    assert offline.returncode == 4
    assert failed_ids(offline.stderr) == ids
    assert fake.log[mark:] == []


# --- 2. one rate limit for every process ----------------------------------------------------


def test_six_processes_together_stay_under_three_starts_per_second(fake, tmp_path):
    fake.rate_limit = 3  # more than 3 starts in a second is a 429, as at NCBI
    fake.rate_window = 1.0 - ARRIVAL_JITTER
    env = clean_env({"ELINKCLI_BASE_URL": fake.base_url, "ELINKCLI_CACHE_DIR": str(tmp_path)})
    jobs = [[str(2800 + 10 * p + k) for k in range(1, 3)] for p in range(6)]
    began = time.monotonic()
    procs = [
        subprocess.Popen(
            [*elinkcli_command(), *ARGS, "--batch", "1", "--id", ",".join(ids)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        for ids in jobs
    ]
    results = [p.communicate(timeout=60) for p in procs]
    wall = time.monotonic() - began

    for proc, (out, err), ids in zip(procs, results, jobs, strict=True):
        assert proc.returncode == 0, err.decode()
        assert out.decode() == tsv_text(oracle_rows(fake, ids))
    starts = sorted(r.start for r in fake.log)
    limited = [r for r in fake.log if r.fault == "429"]
    busiest = max(sum(1 for s in starts if a <= s < a + 1.0) for a in starts)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    with sqlite3.connect(tmp_path / "cache.sqlite3") as db:
        (cached,) = db.execute("SELECT count(*) FROM entries").fetchone()
    db.close()
    print(
        f"six processes: {len(starts)} requests in {wall:.2f} s, {len(limited)} x 429, "
        f"at most {busiest} starts in any 1 s window, smallest gap {min(gaps):.3f} s; "
        f"{cached} of 12 answers cached"
    )
    assert len(starts) == 12
    assert limited == []
    assert max(sum(1 for s in starts if a <= s < a + 1.0 - ARRIVAL_JITTER) for a in starts) <= 3
    # Paced as one, not six x 3/s: 12 starts are 4 windows of 3, so they span at least 3
    # windows (1.2 s each), less the server's arrival jitter.
    assert starts[-1] - starts[0] >= 3 * 1.2 - ARRIVAL_JITTER


def test_a_stale_slot_file_does_not_stall_the_next_run(fake, run, tmp_path):
    """A slot left far ahead (a clock from before a reboot) is reset, and the lock file a
    killed process leaves behind holds nobody up (the kernel dropped its lock)."""
    (tmp_path / "rate-nokey.slot").write_text(repr(time.monotonic() + 3600))
    (tmp_path / "rate-nokey.slot.lock").write_text("")
    began = time.monotonic()
    proc = run(*ARGS, "--id", "2901", env={"ELINKCLI_STATE_DIR": str(tmp_path)})
    assert proc.returncode == 0, proc
    # Wall time, start-up included (seconds on a busy machine): far from the hour it would
    # have waited.
    assert time.monotonic() - began < 60
    assert proc.stdout == tsv_text(oracle_rows(fake, ["2901"]))


# --- 3. atomic output and --resume ----------------------------------------------------------

RESUME_IDS = [str(n) for n in range(3001, 3013)]  # 6 batches of 2


def resume_args(fmt: str, out: Path, ids: Sequence[str] = RESUME_IDS) -> list[str]:
    return [*ARGS, "--batch", "2", "--format", fmt, "-o", str(out), "--id", ",".join(ids)]


@pytest.mark.parametrize(
    ("sig", "fmt", "same_cache"),
    [
        (signal.SIGKILL, "tsv", False),
        (signal.SIGINT, "json", True),
        (signal.SIGINT, "jsonl", False),
    ],
    ids=["kill9-tsv", "sigint-json", "sigint-jsonl"],
)
def test_interrupted_run_resumes_exactly(fake, run, tmp_path, sig, fmt, same_cache):
    # The reference: what an uninterrupted run writes.
    if fmt == "tsv":
        expected = tsv_text(oracle_rows(fake, RESUME_IDS)).encode()
    else:  # the same command, uninterrupted (an API key only makes it quicker)
        reference = tmp_path / f"reference.{fmt}"
        ref = run(*resume_args(fmt, reference), env={"NCBI_API_KEY": "k"})
        assert ref.returncode == 0, ref
        expected = reference.read_bytes()
        lines = expected.decode().splitlines()
        records = json.loads(expected) if fmt == "json" else [json.loads(x) for x in lines]
        assert [tuple("" if v is None else v for v in r.values()) for r in records] == (
            oracle_rows(fake, RESUME_IDS)
        )

    out = tmp_path / f"out.{fmt}"
    journal = out.with_name(out.name + ".journal")
    cache_a = tmp_path / "cache-a"
    # Batch 4 is held (30 s): a run on a busy machine cannot finish between two looks at
    # the journal, so the signal always comes mid-run.
    fake.faults = Faults(delay=0.7, by_id={RESUME_IDS[8]: ["slow"]})
    mark = len(fake.log)
    proc = subprocess.Popen(
        [*elinkcli_command(), *resume_args(fmt, out)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_env({"ELINKCLI_BASE_URL": fake.base_url, "ELINKCLI_CACHE_DIR": str(cache_a)}),
    )
    try:
        deadline = time.monotonic() + 20
        while len(journal_batches(journal)) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == (-signal.SIGKILL if sig == signal.SIGKILL else 130), err
    if sig == signal.SIGINT:
        assert "interrupted" in err.decode() and "Traceback" not in err.decode()
    done = journal_batches(journal)
    assert 2 <= len(done) < 6, done
    assert done == set(range(len(done)))  # batches finish in input order
    assert not out.exists()
    first_run_requests = len(elink_requests(fake, mark))

    fake.faults = Faults()
    cache_b = cache_a if same_cache else tmp_path / "cache-b"
    mark = len(fake.log)
    resumed = run(
        *resume_args(fmt, out),
        "--resume",
        "-v",
        "--timeout",
        "30",
        env={"ELINKCLI_CACHE_DIR": str(cache_b), "NCBI_API_KEY": "k"},
    )
    assert resumed.returncode == 0, resumed
    assert out.read_bytes() == expected
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("out.")) == [out.name]
    journaled = {i for n in done for i in chunks(RESUME_IDS, 2)[n]}
    asked = asked_ids(fake, mark)
    assert not journaled & set(asked)  # no finished batch asked again
    assert len(asked) == len(set(asked))
    if not same_cache:  # the journal alone decides: exactly the batches not finished
        assert sorted(asked) == sorted(set(RESUME_IDS) - journaled)
    saved = 6 - len(elink_requests(fake, mark))
    print(
        f"{sig.name} {fmt}: killed after {len(done)} of 6 batches "
        f"({first_run_requests} requests sent); the resume sent "
        f"{len(elink_requests(fake, mark))}, saving {saved} of 6"
    )


def test_a_run_where_every_request_fails_leaves_no_file(fake, run, tmp_path):
    fake.faults = Faults(rates={"503": 1.0})
    out = tmp_path / "out.tsv"
    args = [*ARGS, "--batch", "2", "-o", str(out), "--id", "3101,3102"]
    key = {"NCBI_API_KEY": "k"}  # quicker tries
    proc = run(*args, env=key)
    assert proc.returncode == 4, proc
    assert failed_ids(proc.stderr) == ["3101", "3102"]
    assert list(tmp_path.iterdir()) == []

    out.write_text("yesterday's good result\n")
    again = run(*args, env=key)
    assert again.returncode == 4, again
    assert out.read_text() == "yesterday's good result\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tsv"]


PARTIAL_IDS = [str(n) for n in range(3201, 3207)]  # batches 3201-2, 3203-4, 3205-6


def _fail_batch(fake: FakeEutils, batch: Sequence[str], kind: str = "503") -> None:
    fake.faults = Faults(by_id={batch[0]: [kind] * 12})


def _partly_failed(fake, run, tmp_path, fmt: str = "tsv") -> tuple[Path, list[str]]:
    out = tmp_path / f"out.{fmt}"
    out.write_text("yesterday's good result\n")
    _fail_batch(fake, ["3203", "3204"])
    proc = run(*resume_args(fmt, out, PARTIAL_IDS), env={"NCBI_API_KEY": "k"})
    assert proc.returncode == 4, proc
    assert failed_ids(proc.stderr) == ["3203", "3204"]
    assert out.read_text() == "yesterday's good result\n"  # untouched
    # The journal holds the finished prefix only: batch 2 came after the failed batch 1.
    assert journal_batches(out.with_name(out.name + ".journal")) == {0}
    fake.faults = Faults()
    return out, [*resume_args(fmt, out, PARTIAL_IDS), "--resume"]


def test_partial_failure_keeps_the_old_file_and_resume_asks_from_the_failed_batch_on(
    fake, run, tmp_path
):
    out, resume = _partly_failed(fake, run, tmp_path)
    # Another run's journal: other ids.
    other = run(*resume_args("tsv", out, [*PARTIAL_IDS, "3207"]), "--resume")
    assert other.returncode == 2
    assert "belongs to another run" in error_line(other.stderr)

    mark = len(fake.log)
    proc = run(*resume, "--quiet", env={"ELINKCLI_CACHE_DIR": str(tmp_path / "empty-cache")})
    assert proc.returncode == 0, proc
    # The failed batch and the one after it (its rows must follow the failed batch's), both
    # in flight at once: they may reach the server in either order.
    assert sorted(r.values("id") for r in elink_requests(fake, mark)) == [
        ["3203", "3204"],
        ["3205", "3206"],
    ]
    rows = [tuple(line.split("\t")) for line in out.read_text().splitlines()]
    assert rows[0] == TSV_HEADER
    # Every row exactly once: none lost, none doubled.
    assert sorted(rows[1:]) == sorted(oracle_rows(fake, PARTIAL_IDS))
    assert not out.with_name("out.tsv.part").exists()
    assert not out.with_name("out.tsv.journal").exists()


def test_resume_after_a_partial_failure_gives_the_clean_file(fake, run, tmp_path):
    out, resume = _partly_failed(fake, run, tmp_path)
    proc = run(*resume)
    assert proc.returncode == 0, proc
    assert out.read_text() == tsv_text(oracle_rows(fake, PARTIAL_IDS))


@pytest.mark.parametrize(
    "damaged",
    ["batch \u00b2 10 5", "batch 1 \u0661\u0660 5", "batch 1 10 5 6", "batch  1 10 5",
     "batch 1 10 1" + "0" * 30, "\x00\x00\x00", "batch 1 10 \uff15"],
)  # fmt: skip
def test_a_damaged_journal_line_ends_the_journal_there(fake, run, tmp_path, damaged):
    out, resume = _partly_failed(fake, run, tmp_path)
    journal = out.with_name(out.name + ".journal")
    part = out.with_name(out.name + ".part")
    # After the damaged line, a line that would claim every batch done: never read.
    claim = f"batch 1 {part.stat().st_size} 99\nbatch 2 {part.stat().st_size} 99\n"
    with journal.open("a", encoding="utf-8") as f:
        f.write(damaged + "\n" + claim)

    mark = len(fake.log)
    proc = run(*resume)
    assert proc.returncode == 0, proc
    assert "Traceback" not in proc.stderr
    assert out.read_text() == tsv_text(oracle_rows(fake, PARTIAL_IDS))
    assert sorted(asked_ids(fake, mark)) == PARTIAL_IDS[2:]  # batch 0 stood, 1 and 2 asked


def test_a_damaged_first_batch_line_starts_again(fake, run, tmp_path):
    out, resume = _partly_failed(fake, run, tmp_path)
    journal = out.with_name(out.name + ".journal")
    lines = journal.read_text().splitlines()
    assert lines[-1].startswith("batch 0 ")
    journal.write_text("\n".join([*lines[:-1], lines[-1].replace("0", "\u2070", 1)]) + "\n")

    mark = len(fake.log)
    proc = run(*resume, env={"ELINKCLI_CACHE_DIR": str(tmp_path / "empty-cache")})
    assert proc.returncode == 0, proc
    assert out.read_text() == tsv_text(oracle_rows(fake, PARTIAL_IDS))
    assert sorted(asked_ids(fake, mark)) == PARTIAL_IDS


@pytest.mark.parametrize(
    "shape",
    ["[" * 100_000 + "]" * 100_000, '["link", ' + "[" * 100_000 + "]" * 100_000 + "]",
     '{"a": 1}', '[1, [[1, 2]]]', '["link", {"batch": 2}]', "5"],
)  # fmt: skip
def test_a_damaged_shape_line_of_another_run_is_one_line(fake, run, tmp_path, shape):
    out = tmp_path / "out.tsv"
    out.write_text("yesterday's good result\n")
    journal = out.with_name(out.name + ".journal")
    journal.write_text(f"elinkcli-journal 1 {'0' * 32}\nshape {shape}\nbatch 0 0 0\n")
    proc = run(*resume_args("tsv", out, PARTIAL_IDS), "--resume")
    line = error_line(proc.stderr)
    assert proc.returncode == 2, proc
    assert "belongs to another run: other options or ids" in line
    assert out.read_text() == "yesterday's good result\n"
    assert fake.log == []


def test_resume_knows_the_run_by_its_options_not_their_order(fake, run, tmp_path):
    out, resume = _partly_failed(fake, run, tmp_path)
    assert resume[0] == "link" and resume[-1] == "--resume"
    # Another run: an option that shapes the output differs.
    other = run(*resume, "--name", "gene_protein_refseq")
    assert other.returncode == 2
    assert "belongs to another run" in error_line(other.stderr)
    # The same run: options in another order, spelled another way, plus ones that only
    # change how it goes (request sizes, summary).
    pairs = [resume[i : i + 2] for i in range(1, len(resume) - 1, 2)]
    spelled = [[{"-db": "--db", "-target": "--target"}.get(a, a), v] for a, v in pairs]
    reordered = [arg for pair in reversed(spelled) for arg in pair]
    proc = run("link", *reordered, "--adaptive-batch", "--verbose", "--resume")
    assert proc.returncode == 0, proc
    assert out.read_text() == tsv_text(oracle_rows(fake, PARTIAL_IDS))


def test_resume_needs_output_and_a_resumable_format(fake, run, tmp_path):
    no_output = run(*ARGS, "--id", "3301", "--resume")
    assert no_output.returncode == 2
    assert "--output" in error_line(no_output.stderr)
    assert fake.log == []

    # Neither FILE nor its journal: a fresh run, so a cron line may always pass --resume.
    fresh = run(*resume_args("tsv", tmp_path / "never.tsv", ["3301"]), "--resume")
    assert fresh.returncode == 0, fresh.stderr
    assert (tmp_path / "never.tsv").read_text() == tsv_text(oracle_rows(fake, ["3301"]))


def test_resume_refuses_edirect(fake, run, tmp_path):
    out, resume = _partly_failed(fake, run, tmp_path, "edirect")
    mark = len(fake.log)
    edirect = run(*resume)
    assert edirect.returncode == 2, edirect
    assert "--resume works with tsv, json, jsonl and uid, not edirect" in error_line(edirect.stderr)
    assert out.read_text() == "yesterday's good result\n"
    assert fake.log[mark:] == []


# --- 4. the API key never reaches the disk ------------------------------------------------


def test_the_key_is_in_no_file_and_no_output(fake, run, tmp_path):
    cache_dir, out_dir = tmp_path / "cache", tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "links.tsv"
    original = fake.answer

    def echoing_429(path, params):
        # NCBI's 429 body names the key it counted against.
        if ("id", "3403") in params:
            key = dict(params).get("api_key")
            body = f'{{"error":"API rate limit exceeded","api-key":"{key}"}}'
            return 429, "application/json", body.encode()
        return original(path, params)

    fake.answer = echoing_429
    ids = ["3401", "3402", "3403", "3404", "3405"]
    dirs = {"ELINKCLI_CACHE_DIR": str(cache_dir), "ELINKCLI_STATE_DIR": str(cache_dir)}
    env = {"NCBI_API_KEY": SECRET, **dirs}
    proc = run(
        *ARGS,
        *("--batch", "2", "-v", "--api-key", SECRET, "-o", str(out), "--id", ",".join(ids)),
        env=dirs,
    )
    assert proc.returncode == 4, proc
    assert failed_ids(proc.stderr) == ["3403", "3404"]
    assert "API rate limit exceeded" in proc.stderr  # the body is shown, the key is not
    assert {r.get("api_key") for r in fake.log} == {SECRET}  # it was sent every time

    config = run("config", env=env)
    config_json = run("config", "--json", env=env)
    written = files_under(cache_dir, out_dir)
    names = {p.name for p in written}
    assert {"cache.sqlite3", "links.tsv.part", "links.tsv.journal"} <= names
    assert any(n.startswith("rate-") and n.endswith(".slot") for n in names)
    for path in written:
        assert SECRET.encode() not in path.read_bytes(), path
        assert SECRET not in str(path)
    for text in (proc.stdout, proc.stderr, config.stdout, config.stderr, config_json.stdout):
        assert SECRET not in text
    assert json.loads(config_json.stdout)["api_key"] == "set (***)"


# --- 5. settings: `elinkcli config` and the config file ------------------------------------


def write_config(path: Path, values: Mapping[str, str], mode: int = 0o600) -> Path:
    path.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items()))
    path.chmod(mode)
    return path


def config_rows(stdout: str) -> dict[str, tuple[str, str]]:
    """`elinkcli config` text: {setting: (value, source)}."""
    rows = {}
    for line in stdout.splitlines():
        name, rest = line.split(None, 1)
        value, _, source = rest.rpartition("  [")
        rows[name] = (value.strip(), source.rstrip("]"))
    return rows


def test_config_shows_each_setting_and_where_it_came_from(fake, run, tmp_path):
    path = write_config(
        tmp_path / "config.toml",
        {"email": "file@example.org", "timeout": "9", "adaptive_batch": True},  # type: ignore[dict-item]
    )
    cache_dir = tmp_path / "cache"
    env = {
        "ELINKCLI_CONFIG": str(path),
        "NCBI_API_KEY": SECRET,
        "ELINKCLI_BASE_URL": None,
        "ELINKCLI_CACHE_DIR": str(cache_dir),
    }
    proc = run("config", env=env)
    assert proc.returncode == 0, proc
    assert SECRET not in proc.stdout + proc.stderr
    rows = config_rows(proc.stdout)
    assert rows["api_key"] == ("set (***)", "environment (NCBI_API_KEY)")
    assert rows["email"] == ("file@example.org", f"config file ({path})")
    assert rows["timeout"] == ("9", f"config file ({path})")
    assert rows["base_url"] == ("https://eutils.ncbi.nlm.nih.gov/entrez/eutils/", "default")
    assert rows["deadline"] == ("300", "default")
    assert rows["adaptive_batch"] == ("true", f"config file ({path})")
    assert rows["cache_dir"] == (str(cache_dir), "environment (ELINKCLI_CACHE_DIR)")
    assert rows["rate"][0].startswith("10 request starts in any 1.2 s, 8.33/s")  # with a key
    assert rows["config_file"] == (str(path), "exists")

    by_option = run("config", "--json", "--email", "opt@example.org", env=env)
    data = json.loads(by_option.stdout)
    assert data["email"] == "opt@example.org"
    assert data["api_key"] == "set (***)"
    assert data["cache_size_bytes"] == "0"


def test_settings_from_a_config_file_reach_the_server(fake, run, tmp_path):
    path = write_config(
        tmp_path / "config.toml",
        {"email": "cron@example.org", "api_key": SECRET, "base_url": fake.base_url},
    )
    env = {"ELINKCLI_CONFIG": str(path), "ELINKCLI_BASE_URL": None}
    proc = run(*ARGS, "--id", "3501,3502", env=env)
    assert proc.returncode == 0, proc
    assert proc.stdout == tsv_text(oracle_rows(fake, ["3501", "3502"]))
    assert proc.stderr == ""  # 0600: no warning
    sent = elink_requests(fake)
    assert len(sent) == 1
    assert (sent[0].get("email"), sent[0].get("api_key"), sent[0].get("tool")) == (
        "cron@example.org",
        SECRET,
        "elinkcli",
    )
    rows = config_rows(run("config", env=env).stdout)
    for name in ("email", "api_key", "base_url"):
        assert rows[name][1] == f"config file ({path})"
    assert rows["api_key"][0] == "set (***)"


def test_a_config_file_others_can_write_is_refused(fake, run, tmp_path):
    path = write_config(tmp_path / "config.toml", {"base_url": "http://127.0.0.1:9/"}, 0o664)
    env = {"ELINKCLI_CONFIG": str(path)}
    for args in (("config",), (*ARGS, "--id", "3601")):
        proc = run(*args, env=env)
        assert proc.returncode == 2, proc
        line = error_line(proc.stderr)
        assert "other users can write it" in line and str(path) in line
    assert fake.log == []


@pytest.mark.parametrize("to_file", [False, True], ids=["stdout", "output-file"])
def test_a_settings_error_writes_nothing(fake, run, tmp_path, to_file):
    path = write_config(tmp_path / "config.toml", {"email": "x@example.org"}, 0o664)
    out = tmp_path / "out" / "links.tsv"
    out.parent.mkdir()
    options = ["-o", str(out)] if to_file else []
    for args, env in (
        ([], {"ELINKCLI_CONFIG": str(path)}),
        (["--cache-ttl", "soon"], {}),
        (["--refresh", "--offline"], {}),
    ):
        proc = run(*ARGS, "--id", "3602", *options, *args, env=env)
        assert proc.returncode == 2, proc
        error_line(proc.stderr)
        assert (proc.stdout, list(out.parent.iterdir())) == ("", [])
    assert fake.log == []


def test_cache_commands_refuse_a_writable_config_cleanly(fake, run, tmp_path):
    path = write_config(tmp_path / "config.toml", {"email": "x@example.org"}, 0o664)
    proc = run("cache", "info", env={"ELINKCLI_CONFIG": str(path)})
    assert proc.returncode == 2
    assert "other users can write it" in error_line(proc.stderr)


def test_a_key_others_can_read_is_warned_about_and_unknown_keys_too(fake, run, tmp_path):
    path = write_config(
        tmp_path / "config.toml",
        {"api_key": SECRET, "base_url": fake.base_url, "emial": "typo@example.org"},
        0o644,
    )
    proc = run(*ARGS, "--id", "3701", env={"ELINKCLI_CONFIG": str(path)})
    assert proc.returncode == 0, proc
    assert proc.stdout == tsv_text(oracle_rows(fake, ["3701"]))
    warnings = proc.stderr.splitlines()
    assert f"elinkcli: warning: config file {path}: unknown setting 'emial' ignored" in warnings
    assert any("holds an API key that other users can read (chmod 600)" in w for w in warnings)
    assert SECRET not in proc.stderr


# --- 6. progress --------------------------------------------------------------------------


def run_with_terminal_stderr(fake: FakeEutils, *args: str) -> tuple[int, str, bytes]:
    """Run elinkcli with stderr on a pseudo-terminal; (exit, stdout, what the terminal got)."""
    controller, terminal = pty.openpty()
    got: list[bytes] = []

    def read() -> None:
        while True:
            try:
                data = os.read(controller, 65536)
            except OSError:  # the other side is closed: EIO
                return
            if not data:
                return
            got.append(data)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    env = clean_env({"ELINKCLI_BASE_URL": fake.base_url, "TERM": "xterm", "COLUMNS": "120"})
    try:
        proc = subprocess.Popen(
            [*elinkcli_command(), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=terminal,
            env=env,
        )
        os.close(terminal)
        out, _ = proc.communicate(timeout=60)
        reader.join(timeout=10)
    finally:
        os.close(controller)
    return proc.returncode, out.decode(), b"".join(got)


SLOW_IDS = [str(n) for n in range(3801, 3809)]


def test_progress_bar_on_a_terminal_for_a_long_run(fake):
    fake.faults = Faults(delay=0.7)  # 8 starts 0.40 s apart, answers 0.7 s later: ~3.5 s
    code, out, terminal = run_with_terminal_stderr(
        fake, *ARGS, "--batch", "1", "--format", "tsv", "--id", ",".join(SLOW_IDS)
    )
    text = terminal.decode("utf-8", "replace")
    assert code == 0, text
    assert out == tsv_text(oracle_rows(fake, SLOW_IDS))
    assert "ids" in text and "/8" in text and "requests" in text, text
    assert "\x1b[" in text  # drawn with terminal control sequences
    # The summary comes too, on a terminal.
    assert "elinkcli: 8 id(s) in, " in text


def test_quiet_prints_nothing_on_a_terminal(fake):
    fake.faults = Faults(delay=0.7)
    code, out, terminal = run_with_terminal_stderr(
        fake, *ARGS, "--batch", "1", "--quiet", "--format", "tsv", "--id", ",".join(SLOW_IDS)
    )
    assert code == 0
    assert out == tsv_text(oracle_rows(fake, SLOW_IDS))
    assert terminal == b""


def test_no_progress_bar_when_stderr_is_not_a_terminal(fake, run):
    fake.faults = Faults(delay=0.7)  # ~3 s: long enough for a bar on a terminal
    ids = SLOW_IDS[:7]
    # --name: without it -v also notes the link name -target chose (the default's note).
    proc = run(*ARGS, "--name", "gene_protein", "--batch", "1", "-v", "--id", ",".join(ids))
    assert proc.returncode == 0, proc
    assert proc.stdout == tsv_text(oracle_rows(fake, ids))
    without = [i for i in ids if not oracle_rows(fake, [i])]
    assert without == ["3805"]
    # The -v summary and its listing, nothing else.
    lines = proc.stderr.splitlines()
    assert len(lines) == 2, proc.stderr
    assert lines[0].startswith("elinkcli: 7 id(s) in, 6 with links, 1 without links; ")
    assert lines[1] == "elinkcli: without links: 3805"
    assert "\x1b" not in proc.stderr and "\r" not in proc.stderr
