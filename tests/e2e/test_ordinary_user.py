"""End to end as an ordinary user (uid 65534, through setpriv): what root's permissions hide.
Unwritable places for -o, a read-only cache, config files of another user. Skipped unless
the tests run as root with setpriv at hand (as on the CI machine)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from conftest import TSV_HEADER, assert_clean_error, clean_env, elinkcli_command
from support.fake_eutils import elink_requests

NOBODY = 65534
AS_NOBODY = ("setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups")


def _why_not() -> str | None:
    """Why the ordinary user cannot run the command here (None: they can)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return "needs root and setpriv to become an ordinary user"
    probe = subprocess.run(
        [*AS_NOBODY, *elinkcli_command(), "--version"],
        capture_output=True,
        text=True,
        cwd="/",
        check=False,
    )
    if probe.returncode != 0:  # e.g. an interpreter in root's home they cannot load
        return f"uid {NOBODY} cannot run this interpreter: {probe.stderr.strip()[:120]}"
    return None


WHY_NOT = _why_not()
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(WHY_NOT is not None, reason=str(WHY_NOT))]

ARGS = ("link", "-db", "gene", "-target", "protein", "--id", "6001,6002")


def theirs(path: Path, mode: int = 0o700) -> Path:
    """A directory the ordinary user owns."""
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, NOBODY, NOBODY)
    path.chmod(mode)
    return path


def as_nobody(
    fake, home: Path, *args: str, env: Mapping[str, str | None] | None = None
) -> subprocess.CompletedProcess:
    extra = {
        "ELINKCLI_BASE_URL": fake.base_url,
        "HOME": str(home),
        "ELINKCLI_CACHE_DIR": str(theirs(home / "cache")),
        "ELINKCLI_STATE_DIR": str(theirs(home / "state")),
        "TMPDIR": str(theirs(home / "tmp")),
        **(env or {}),
    }
    proc = subprocess.run(
        [*AS_NOBODY, *elinkcli_command(), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=clean_env(extra),
        cwd=home,
        timeout=60,
    )
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode()
    )


def expected_tsv(fake) -> str:
    """-target alone asks for DB_TARGET (gene_protein), as EDirect's elink."""
    lines = ["\t".join(TSV_HEADER)]
    for uid in ("6001", "6002"):
        for name, dbto, targets in fake.links("gene", uid, "protein", "gene_protein"):
            lines += [f"gene\t{uid}\t{name}\t{dbto}\t{t}\t\t{uid}\t" for t in targets]
    return "".join(line + "\n" for line in lines)


@pytest.fixture
def home() -> Iterator[Path]:
    # Not under pytest's tmp_path: its parents are root's 700 directories.
    base = Path(tempfile.mkdtemp(prefix="elinkcli-user-", dir="/tmp"))
    base.chmod(0o755)
    try:
        yield theirs(base / "home", 0o755)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_the_ordinary_user_runs_as_usual(fake, home):
    proc = as_nobody(fake, home, *ARGS)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == expected_tsv(fake)
    assert (home / "cache" / "cache.sqlite3").stat().st_uid == NOBODY


def test_o_into_a_directory_they_cannot_write_is_refused_before_any_request(fake, home):
    locked = home / "locked"
    locked.mkdir()  # root's, 755
    proc = as_nobody(fake, home, *ARGS, "-o", str(locked / "out.tsv"))
    line = assert_clean_error(proc, 2)
    assert "Permission denied" in line
    assert elink_requests(fake) == [] and list(locked.iterdir()) == []


def test_o_onto_a_read_only_file_in_their_directory_replaces_it_keeping_its_mode(fake, home):
    out = home / "out.tsv"
    out.write_text("yesterday\n")
    os.chown(out, NOBODY, NOBODY)
    out.chmod(0o444)
    proc = as_nobody(fake, home, *ARGS, "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert out.read_text() == expected_tsv(fake)
    assert stat.S_IMODE(out.stat().st_mode) == 0o444


def test_a_read_only_cache_is_said_once_and_the_run_goes_on(fake, home):
    cache = theirs(home / "ro-cache", 0o500)
    proc = as_nobody(fake, home, *ARGS, env={"ELINKCLI_CACHE_DIR": str(cache)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == expected_tsv(fake)
    said = [line for line in proc.stderr.splitlines() if "the cache " in line]
    assert len(said) == 1, proc.stderr
    offline = as_nobody(fake, home, *ARGS, "--offline", env={"ELINKCLI_CACHE_DIR": str(cache)})
    assert "cannot be read" in assert_clean_error(offline, 1)


def test_a_cache_of_another_format_in_a_read_only_directory_says_why(fake, home):
    import json
    import sqlite3

    cache = theirs(home / "ro-other", 0o700)
    db = sqlite3.connect(cache / "cache.sqlite3")
    db.execute("CREATE TABLE entries (k)")
    db.execute("PRAGMA user_version = 7")
    db.commit()
    db.close()
    os.chown(cache / "cache.sqlite3", NOBODY, NOBODY)
    cache.chmod(0o500)  # the file cannot be renamed aside
    env = {"ELINKCLI_CACHE_DIR": str(cache)}
    proc = as_nobody(fake, home, *ARGS, env=env)
    assert proc.returncode == 0 and proc.stdout == expected_tsv(fake), proc.stderr
    said = [line for line in proc.stderr.splitlines() if "the cache " in line]
    assert len(said) == 1, proc.stderr
    assert "another format (7" in said[0] and "cannot be set aside here" in said[0]
    info = as_nobody(fake, home, "cache", "info", "--json", env=env)
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)["format"] == 7
    assert (cache / "cache.sqlite3").exists() and not (cache / "cache.sqlite3.format-7").exists()


def test_an_unwritable_state_dir_paces_alone_and_says_so(fake, home):
    state = theirs(home / "ro-state", 0o500)
    proc = as_nobody(fake, home, *ARGS, env={"ELINKCLI_STATE_DIR": str(state)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == expected_tsv(fake)
    assert "warning" in proc.stderr


def test_a_config_file_of_another_user_is_refused(fake, home):
    config = home / "config.toml"
    config.write_text('base_url = "http://127.0.0.1:9/"\n')  # root's file, 644
    proc = as_nobody(fake, home, *ARGS, env={"ELINKCLI_CONFIG": str(config)})
    assert "belongs to another user" in assert_clean_error(proc, 2)
    assert elink_requests(fake) == []


def test_their_own_config_file_in_a_world_writable_directory_is_refused(fake, home):
    shared = theirs(home / "shared", 0o777)
    config = shared / "config.toml"
    config.write_text('email = "me@example.org"\n')
    os.chown(config, NOBODY, NOBODY)
    config.chmod(0o600)
    proc = as_nobody(fake, home, *ARGS, env={"ELINKCLI_CONFIG": str(config)})
    assert "other users can write its directory" in assert_clean_error(proc, 2)
    private = theirs(home / "private")
    mine = private / "config.toml"
    mine.write_text('email = "me@example.org"\n')
    os.chown(mine, NOBODY, NOBODY)
    mine.chmod(0o600)
    ok = as_nobody(fake, home, *ARGS, env={"ELINKCLI_CONFIG": str(mine)})
    assert ok.returncode == 0, ok.stderr
    assert all(r.get("email") == "me@example.org" for r in elink_requests(fake))


def test_places_they_cannot_even_reach_are_one_line_each(fake, home):
    hidden = home / "hidden"
    hidden.mkdir(mode=0o700)  # root's: not even traversable for them
    out = as_nobody(fake, home, *ARGS, "-o", str(hidden / "sub" / "out.tsv"))
    assert "Permission denied" in assert_clean_error(out, 2)
    env = {"ELINKCLI_CACHE_DIR": str(hidden / "cache")}
    run = as_nobody(fake, home, *ARGS, env=env)
    assert run.returncode == 0 and run.stdout == expected_tsv(fake), run.stderr
    assert "cannot remove" in assert_clean_error(
        as_nobody(fake, home, "cache", "clear", env=env), 1
    )
    info = as_nobody(fake, home, "cache", "info", env=env)
    assert info.returncode == 0 and "damaged\tPermission denied" in info.stdout
    config = as_nobody(fake, home, "config", env=env)
    assert config.returncode == 0, config.stderr
    ids = as_nobody(
        fake, home, "link", "-db", "gene", "-target", "protein", "--input", str(hidden / "ids.txt")
    )
    assert "cannot read --input" in assert_clean_error(ids, 2)
    log = as_nobody(fake, home, *ARGS, "--log", str(hidden / "log.jsonl"))
    assert "cannot write the request log" in assert_clean_error(log, 2)
    assert len(elink_requests(fake)) == 1  # only the run that could go on asked anything
