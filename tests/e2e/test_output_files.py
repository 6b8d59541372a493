"""End to end: what `-o` may point at, and output that never looks complete when it is not.

The installed command against the fake server, as a user runs it. Expected rows come from
the server's oracle. Every case also checks what the path was left as: a FIFO stays a
FIFO, a device a device, a planted link's target untouched.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import threading
import time
from collections.abc import Sequence

import pytest
from conftest import TSV_HEADER, assert_clean_error, clean_env, elinkcli_command
from support.fake_eutils import Faults, elink_requests

pytestmark = pytest.mark.e2e

ARGS = ("link", "-db", "gene", "-target", "protein")
IDS = "4001,4002,4003"


def expected_tsv(fake, ids: Sequence[str] = IDS.split(",")) -> str:
    """-target alone asks for DB_TARGET (gene_protein), as EDirect's elink."""
    lines = ["\t".join(TSV_HEADER)]
    for uid in ids:
        for name, dbto, targets in fake.links("gene", uid, "protein", "gene_protein"):
            lines += [f"gene\t{uid}\t{name}\t{dbto}\t{t}\t\t{uid}\t" for t in targets]
    return "".join(line + "\n" for line in lines)


# --- 1. what -o points at ---------------------------------------------------------------


def test_a_fifo_is_written_through_and_stays_a_fifo(fake, run, tmp_path):
    fifo = tmp_path / "rows.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    proc = run(*ARGS, "--id", IDS, "-o", str(fifo))
    reader.join(timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert got == [expected_tsv(fake).encode()]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows.fifo"]


def test_dev_stdout_writes_to_the_pipe(fake, run):
    proc = run(*ARGS, "--id", IDS, "-o", "/dev/stdout")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == expected_tsv(fake)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_dev_full_is_a_one_line_error_and_stays_a_device(fake, run):
    before = os.stat("/dev/full")
    proc = run(*ARGS, "--id", IDS, "-o", "/dev/full")
    line = assert_clean_error(proc, 1)
    assert line == "elinkcli: error: cannot write /dev/full: No space left on device"
    after = os.stat("/dev/full")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_stdout_on_dev_full_is_a_one_line_error(fake):
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [*elinkcli_command(), *ARGS, "--id", IDS],
            stdin=subprocess.DEVNULL,
            stdout=full,
            stderr=subprocess.PIPE,
            env=clean_env({"ELINKCLI_BASE_URL": fake.base_url}),
            timeout=60,
        )
    err = proc.stderr.decode()
    assert proc.returncode == 1, err
    assert err == "elinkcli: error: cannot write stdout: No space left on device\n"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("DIR", "is a directory"),
        ("", "-o needs a file name"),
        ("DIR/no-such-dir/out.tsv", "cannot write"),
    ],
    ids=["directory", "empty", "missing-dir"],
)
def test_a_path_that_cannot_be_a_file_is_refused_before_any_request(
    fake, run, tmp_path, target, message
):
    path = target.replace("DIR", str(tmp_path))
    proc = run(*ARGS, "--id", IDS, "-o", path)
    line = assert_clean_error(proc, 2)
    assert message in line
    assert proc.stdout == ""
    assert elink_requests(fake) == []
    assert list(tmp_path.iterdir()) == []


def test_dash_is_stdout_and_no_file_named_dash(fake, run, tmp_path):
    proc = subprocess.run(
        [*elinkcli_command(), *ARGS, "--id", IDS, "-o", "-"],
        cwd=tmp_path,
        capture_output=True,
        env=clean_env({"ELINKCLI_BASE_URL": fake.base_url}),
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode() == expected_tsv(fake)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("planted", ["out.tsv.part"])
def test_a_planted_part_link_is_never_followed(fake, run, tmp_path, planted):
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    (tmp_path / planted).symlink_to(victim)
    out = tmp_path / "out.tsv"
    proc = run(*ARGS, "--id", IDS, "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert out.read_text() == expected_tsv(fake)
    assert victim.read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tsv", "victim"]


def test_a_planted_journal_link_is_refused_and_never_followed(fake, run, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    (tmp_path / "out.tsv.journal").symlink_to(victim)
    proc = run(*ARGS, "--id", IDS, "-o", str(tmp_path / "out.tsv"))
    line = assert_clean_error(proc, 2)
    assert "symbolic link" in line
    assert victim.read_text() == "keep me\n"
    assert elink_requests(fake) == []


def test_the_files_mode_is_kept_and_a_new_file_gets_the_umask(fake, run, tmp_path):
    private = tmp_path / "private.tsv"
    private.write_text("yesterday\n")
    private.chmod(0o600)
    assert run(*ARGS, "--id", IDS, "-o", str(private)).returncode == 0
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_text() == expected_tsv(fake)
    fresh = tmp_path / "fresh.tsv"
    umask = os.umask(0o022)
    os.umask(umask)
    assert run(*ARGS, "--id", IDS, "-o", str(fresh)).returncode == 0
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask


def test_a_link_to_a_file_stays_a_link_and_its_file_is_replaced(fake, run, tmp_path):
    real = tmp_path / "data" / "real.tsv"
    real.parent.mkdir()
    real.write_text("yesterday\n")
    link = tmp_path / "out.tsv"
    link.symlink_to(real)
    proc = run(*ARGS, "--id", IDS, "-o", str(link))
    assert proc.returncode == 0, proc.stderr
    assert link.is_symlink() and real.read_text() == expected_tsv(fake)
    assert sorted(p.name for p in real.parent.iterdir()) == ["real.tsv"]


# --- 2. two runs on one -o --------------------------------------------------------------


def _start(fake, args: Sequence[str], **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*elinkcli_command(), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_env({"ELINKCLI_BASE_URL": fake.base_url, **env}),
    )


def test_a_second_run_on_the_same_output_is_refused_at_start(fake, run, tmp_path):
    out = tmp_path / "out.tsv"
    # The first run's answers wait until the second has been refused, however slow the
    # machine is to start it.
    release = threading.Event()
    fake.faults = Faults(hold=release)
    first = _start(fake, [*ARGS, "--id", IDS, "-o", str(out)])
    try:
        deadline = time.monotonic() + 60
        while not elink_requests(fake) and time.monotonic() < deadline:
            time.sleep(0.02)
        mark = len(fake.log)
        second = run(*ARGS, "--id", "4004", "-o", str(out))
        release.set()
        line = assert_clean_error(second, 2)
        assert "another elinkcli run is writing" in line
        assert fake.log[mark:] == []  # refused before it asked anything
        _, err = first.communicate(timeout=60)
    finally:
        release.set()
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert first.returncode == 0, err
    assert out.read_text() == expected_tsv(fake)  # the first run's rows, whole lines only
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tsv"]


def test_the_lock_dies_with_a_killed_run(fake, run, tmp_path):
    out = tmp_path / "out.tsv"
    fake.faults = Faults(delay=5)
    first = _start(fake, [*ARGS, "--id", IDS, "-o", str(out)])
    deadline = time.monotonic() + 20
    while not elink_requests(fake) and time.monotonic() < deadline:
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=20)
    fake.faults = Faults()
    again = run(*ARGS, "--id", IDS, "-o", str(out))
    assert again.returncode == 0, again.stderr
    assert out.read_text() == expected_tsv(fake)


# --- 3. output that never looks complete when the run was not ---------------------------


@pytest.mark.parametrize("fmt", ["tsv", "json", "jsonl", "uid", "edirect"])
def test_a_run_that_fails_before_any_row_writes_nothing_that_passes_for_a_result(fake, run, fmt):
    fake.faults = Faults(rates={"400": 1.0})
    proc = run(*ARGS, "--id", IDS, "--format", fmt)
    assert proc.returncode == 3, proc.stderr
    if fmt == "jsonl":
        assert [json.loads(line) for line in proc.stdout.splitlines()] == [
            {"error": proc.stderr.strip().splitlines()[-1].removeprefix("elinkcli: error: ")}
        ]
    elif fmt == "edirect":
        assert "<Error>" in proc.stdout and "<Id>" not in proc.stdout
    else:
        assert proc.stdout == ""


@pytest.mark.parametrize("fmt", ["json", "jsonl", "edirect"])
def test_ctrl_c_after_some_rows_leaves_a_visibly_unfinished_document(fake, tmp_path, fmt):
    fake.faults = Faults(by_id={"4003": ["slow"]})  # 30 s: the run is stopped before
    proc = _start(fake, [*ARGS, "--batch", "1", "--id", IDS, "--format", fmt], NCBI_API_KEY="k")
    # stdout is read as it comes, so the signal can wait for the first rows to be written:
    # a fixed pause after the third request would be too short on a busy machine, and the
    # signal would come before any row (tested apart: nothing is written then).
    got = bytearray()

    def read() -> None:
        assert proc.stdout is not None
        for chunk in iter(lambda: os.read(proc.stdout.fileno(), 65536), b""):
            got.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while len(elink_requests(fake)) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        # The rows of 4001 (answered at once) on stdout; the run is held by 4003's 30 s.
        # A format that writes nothing before the end is signalled at the deadline.
        deadline = time.monotonic() + 20
        while not got and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)  # the rest of a row written in pieces, if any
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        reader.join(timeout=20)
        assert proc.stderr is not None
        err = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    text = bytes(got).decode()
    if fmt == "json":
        with pytest.raises(json.JSONDecodeError):
            json.loads(text)
        assert text.startswith("[\n") and not text.rstrip().endswith("]")
    elif fmt == "jsonl":
        assert json.loads(text.splitlines()[-1]) == {"error": "interrupted"}
    else:
        assert "<Error>interrupted</Error>" in text
