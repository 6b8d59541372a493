"""One rate limit for every process of the user, on a machine kept busy by other work.

Eight `elinkcli` processes at once, each with a cache directory of its own (they share
only the user's state directory), beside CPU burners, against a server that answers 429
past NCBI's limit: more than 3 starts (10 with a key) in any second. Not one 429 may come
back. Then the lock holder is killed (kill -9) or stopped (SIGSTOP) mid-run: the others
go on, or wait and say so, and never fail with an internal error.
"""

from __future__ import annotations

import itertools
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from conftest import ARRIVAL_JITTER, TSV_HEADER, clean_env, elinkcli_command
from support.burners import cpu_burners
from support.fake_eutils import FakeEutils

from elinkcli.eutils.pacing import rate_file

pytestmark = pytest.mark.e2e

ARGS = ("link", "-db", "gene", "-target", "protein", "--batch", "1", "-q")
KEY = "load-test-key-0123456789abcdef01234567"


def oracle(fake: FakeEutils, ids: Sequence[str]) -> str:
    """-target alone asks for DB_TARGET (gene_protein), as EDirect's elink."""
    rows = [
        ("gene", uid, name, dbto, target, "", uid, "")
        for uid in ids
        for name, dbto, targets in fake.links("gene", uid, "protein", "gene_protein")
        for target in targets
    ]
    return "".join("\t".join(r) + "\n" for r in [TSV_HEADER, *rows])


def start(fake: FakeEutils, ids: Sequence[str], state: Path, cache: Path, **env: str):
    environ = clean_env(
        {
            "ELINKCLI_BASE_URL": fake.base_url,
            "ELINKCLI_STATE_DIR": str(state),
            "ELINKCLI_CACHE_DIR": str(cache),
            **env,
        }
    )
    return subprocess.Popen(
        [*elinkcli_command(), *ARGS, "--id", ",".join(ids)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environ,
    )


def busiest_second(starts: Sequence[float], window: float = 1.0) -> int:
    return max((sum(1 for s in starts if a <= s < a + window) for a in starts), default=0)


# Eight processes starting at once draw a 429 unless they share one schedule; two requests
# each (five with a key) keep them waiting on it for 5 s (4 s), several times the 1 s window.
# No more: the burners beside take every core for as long as the test runs.
@pytest.mark.parametrize(
    ("limit", "per_process", "env"),
    [(3, 2, {}), (10, 5, {"NCBI_API_KEY": KEY})],
    ids=["no-key", "key"],
)
def test_eight_busy_processes_draw_no_429(fake, tmp_path, limit, per_process, env) -> None:
    fake.rate_limit = limit
    fake.rate_window = 1.0 - ARRIVAL_JITTER
    jobs = [[str(5000 + 100 * p + k) for k in range(per_process)] for p in range(8)]
    with cpu_burners():
        began = time.monotonic()
        procs = [
            start(fake, ids, tmp_path / "state", tmp_path / f"cache-{n}", **env)
            for n, ids in enumerate(jobs)
        ]
        results = [p.communicate(timeout=120) for p in procs]
        wall = time.monotonic() - began
    for proc, (out, err), ids in zip(procs, results, jobs, strict=True):
        assert proc.returncode == 0, err.decode()
        assert out.decode() == oracle(fake, ids)
        assert b"internal error" not in err
    starts = sorted(r.start for r in fake.log)
    limited = [r for r in fake.log if r.fault == "429"]
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    print(
        f"8 processes, limit {limit}/s: {len(starts)} requests in {wall:.1f} s, "
        f"{len(limited)} x 429, busiest second {busiest_second(starts)}, "
        f"smallest gap {min(gaps) * 1000:.0f} ms"
    )
    assert limited == []
    assert len(starts) == 8 * per_process
    assert busiest_second(starts, 1.0 - ARRIVAL_JITTER) <= limit


def _holder(path: Path) -> subprocess.Popen:
    """A process that takes the pacing lock and holds it, as elinkcli does for a moment."""
    code = (
        "import fcntl, os, sys, time\n"
        "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "print('held', flush=True)\n"
        "time.sleep(600)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(path) + ".lock"],
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stdout.readline() == b"held\n"
    return proc


def test_a_stopped_lock_holder_is_waited_for_and_said(fake, tmp_path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    holder = _holder(rate_file(state, None))
    try:
        holder.send_signal(signal.SIGSTOP)
        proc = start(fake, ["5001", "5002"], state, tmp_path / "cache")
        # Until it says it waits (after 2 s of waiting; later on a loaded machine).
        said = _first_line(proc, timeout=60)
        assert "waiting for another elinkcli process" in said
        assert proc.poll() is None  # waiting, not failed
        assert fake.log == []
        holder.send_signal(signal.SIGCONT)
        holder.kill()  # the kernel drops the lock of a dead process
        out, err = proc.communicate(timeout=60)
    finally:
        holder.kill()
        holder.wait()
    text = said + err.decode()
    assert proc.returncode == 0, text
    assert "internal error" not in text
    assert out.decode() == oracle(fake, ["5001", "5002"])


def _first_line(proc: subprocess.Popen, timeout: float) -> str:
    """The first line a process writes on stderr, waited for at most `timeout` s."""
    assert proc.stderr is not None
    found: list[bytes] = []
    reader = threading.Thread(target=lambda: found.append(proc.stderr.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    assert found, f"nothing on stderr in {timeout} s"
    return found[0].decode()


def test_max_time_ends_a_wait_for_a_stopped_holder(fake, tmp_path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    holder = _holder(rate_file(state, None))
    try:
        holder.send_signal(signal.SIGSTOP)
        began = time.monotonic()
        proc = subprocess.Popen(
            [*elinkcli_command(), *ARGS, "--max-time", "3", "--id", "5001"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=clean_env(
                {
                    "ELINKCLI_BASE_URL": fake.base_url,
                    "ELINKCLI_STATE_DIR": str(state),
                }
            ),
        )
        _, err = proc.communicate(timeout=60)
        took = time.monotonic() - began
    finally:
        holder.kill()
        holder.wait()
    text = err.decode()
    assert proc.returncode == 4, text
    assert "--max-time" in text and "5001" in text
    assert "internal error" not in text
    assert took < 30


def test_kill_9_at_random_points_never_damages_the_schedule(fake, tmp_path) -> None:
    """Processes killed with SIGKILL at random moments while others keep going: the slot
    file always holds readable times (the last window's starts, at most 3), and the
    survivors still draw no 429."""
    fake.rate_limit = 3
    fake.rate_window = 1.0 - ARRIVAL_JITTER
    state = tmp_path / "state"
    slot = rate_file(state, None)
    seen: list[str] = []
    survivors = [
        start(fake, [str(6000 + 10 * p + k) for k in range(3)], state, tmp_path / f"s{p}")
        for p in range(3)
    ]
    # The victims die while the schedule is in use, however slow the machine is to start.
    deadline = time.monotonic() + 60
    while not slot.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    victims = []
    for n in range(12):
        victim = start(fake, [str(7000 + 10 * n + k) for k in range(5)], state, tmp_path / "v")
        time.sleep(0.05 + 0.09 * (n % 5))
        victim.kill()
        victims.append(victim)
        if slot.exists():
            seen.append(slot.read_text())
    results = [p.communicate(timeout=120) for p in survivors]
    for v in victims:
        v.wait()
    for proc, (_, err) in zip(survivors, results, strict=True):
        assert proc.returncode == 0, err.decode()
    assert seen, "no process got as far as pacing"
    for text in [*seen, slot.read_text()]:
        starts = [float(t) for t in text.split()]  # never half written
        assert 1 <= len(starts) <= 3, text
    assert not [r for r in fake.log if r.fault == "429"]
    assert not list(state.glob(".slot-*")) or all(
        p.stat().st_size < 256 for p in state.glob(".slot-*")
    )
