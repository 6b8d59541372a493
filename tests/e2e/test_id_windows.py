"""End to end: a plain input longer than one window (packed_ids.WINDOW ids) is linked
window by window, and gives what one run over all its ids gives.

The installed command against the fake server; expected rows come from the server's
oracle. An API key (0.12 s between starts) and --batch 1000 keep 25,000 ids to 25
requests.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter

import pytest
from conftest import (
    TSV_HEADER,
    assert_clean_error,
    clean_env,
    elinkcli_command,
    journal_batches,
    listed_ids_file,
)
from support.fake_eutils import Faults, elink_requests

from elinkcli.ids.packed import WINDOW

pytestmark = pytest.mark.e2e

KEY = {"NCBI_API_KEY": "k"}
ARGS = ("link", "-db", "gene", "-target", "protein", "--batch", "1000")
N = WINDOW + 5000


def long_input() -> tuple[list[str], bytes]:
    """N gene ids with repeats across the window boundary, in mixed separators; and the
    ids a run keeps (first occurrences, in order)."""
    ids = [str(500_000 + n) for n in range(N)]
    ids[WINDOW + 10] = ids[3]  # a repeat in the second window of an id of the first
    ids[WINDOW + 11] = ids[WINDOW + 12]  # a repeat inside the second window
    lines = [
        ",".join(ids[k : k + 3]) if k % 2 else "\t".join(ids[k : k + 3]) for k in range(0, N, 3)
    ]
    return list(dict.fromkeys(ids)), ("\r\n".join(lines) + "\n").encode()


def oracle_tsv(fake, ids: list[str]) -> str:
    """-target alone asks for DB_TARGET (gene_protein), as EDirect's elink."""
    lines = ["\t".join(TSV_HEADER)]
    for uid in ids:
        for name, dbto, targets in fake.links("gene", uid, "protein", "gene_protein"):
            lines += [f"gene\t{uid}\t{name}\t{dbto}\t{t}\t\t{uid}\t" for t in targets]
    return "".join(line + "\n" for line in lines)


def test_a_long_input_gives_the_rows_of_one_run_over_all_its_ids(fake, run):
    kept, stdin = long_input()
    proc = run(*ARGS, "-v", stdin=stdin, env=KEY, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout == oracle_tsv(fake, kept)
    asked = [r.values("id") for r in elink_requests(fake)]
    # Up to 24 requests are in flight at once: they may reach the server in any order.
    # Each id is asked exactly once; the rows (above) keep the input order.
    assert Counter(i for batch in asked for i in batch) == Counter(kept)
    assert max(len(batch) for batch in asked) == 1000
    assert f"elinkcli: {len(kept)} id(s) in, " in proc.stderr
    without = [line for line in proc.stderr.splitlines() if "without links: " in line]
    assert len(without) == 1 and len(without[0].split(",")) <= 1001  # named, at most 1,000


def test_a_bad_id_anywhere_is_refused_before_anything_is_asked(fake, run):
    ids = [str(500_000 + n) for n in range(N)]
    ids[N - 7] = "NOT_AN_ID!"
    proc = run(*ARGS, stdin="\n".join(ids).encode(), env=KEY)
    line = assert_clean_error(proc, 2)
    assert "'NOT_AN_ID!'" in line
    assert proc.stdout == ""
    assert elink_requests(fake) == []


def test_max_time_counts_what_was_never_read(fake, run):
    """No key, --batch 100: 250 requests (100 s), announced once; --max-time 3 ends it."""
    _, stdin = long_input()
    args = ("link", "-db", "gene", "-target", "protein", "-v", "--max-time", "3")
    began = time.monotonic()
    proc = run(*args, stdin=stdin, timeout=120)
    # Wall time, start-up included: on a busy machine that alone can take seconds, so the
    # bound is far from the 3 s asked, and still well short of the whole run's 100 s.
    assert time.monotonic() - began < 60
    # On the server's clock, with no start-up in it: nothing was asked after the 3 s.
    starts = [r.start for r in elink_requests(fake)]
    assert starts and starts[-1] - starts[0] < 3 + 1
    assert proc.returncode == 4 and "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("elinkcli: error: ")]
    assert len(errors) == 1
    line = errors[0]
    assert f"; and {N - WINDOW} id(s) after them in the input; all " in line
    # The message names the first 50 not done; the file it names holds them all.
    listed = listed_ids_file(line)
    assert len(listed) == int(line.split(" id(s) not done")[0].rsplit(" ", 1)[1])
    estimates = [line for line in proc.stderr.splitlines() if "requests: about" in line]
    assert len(estimates) == 1 and f"{N} id(s) to ask in {N // 100} requests" in estimates[0]


def test_kill_9_in_the_second_window_then_resume_is_byte_identical(fake, run, tmp_path):
    kept, stdin = long_input()
    source = tmp_path / "ids.txt"
    source.write_bytes(stdin)
    out = tmp_path / "out.tsv"
    journal = out.with_name(out.name + ".journal")
    args = [*ARGS, "--input", str(source), "-o", str(out)]
    # The last batch is held (30 s): the run cannot finish between two looks at the journal.
    fake.faults = Faults(delay=0.3, by_id={kept[-1]: ["slow"]})
    proc = subprocess.Popen(
        [*elinkcli_command(), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=clean_env({"ELINKCLI_BASE_URL": fake.base_url, **KEY}),
    )
    first_window = WINDOW // 1000
    try:
        deadline = time.monotonic() + 60
        while len(journal_batches(journal)) < first_window + 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    done = journal_batches(journal)
    assert first_window < len(done) < -(-len(kept) // 1000), done
    assert done == set(range(len(done)))
    assert not out.exists()

    fake.faults = Faults()
    mark = len(fake.log)
    resumed = run(*args, "--resume", env=KEY, timeout=120)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert out.read_text() == oracle_tsv(fake, kept)
    asked = [i for r in elink_requests(fake, mark) for i in r.values("id")]
    assert set(asked).isdisjoint(kept[: len(done) * 1000])  # no finished batch asked again
