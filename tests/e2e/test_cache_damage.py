"""End to end: a cache that is damaged, full or read-only never breaks a run, and the cache
commands can always repair it. Full and read-only disks are real: small tmpfs mounts (as
root; skipped where mounting is not allowed)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest
from conftest import TSV_HEADER, assert_clean_error
from support.disks import tmpfs
from support.fake_eutils import elink_requests

pytestmark = pytest.mark.e2e

ARGS = ("link", "-db", "gene", "-target", "protein", "--batch", "200")
IDS = [str(5000 + n) for n in range(400)]
KEY = {"NCBI_API_KEY": "k"}


def expected_tsv(fake, ids=IDS) -> str:
    """-target alone asks for DB_TARGET (gene_protein), as EDirect's elink."""
    lines = ["\t".join(TSV_HEADER)]
    for uid in ids:
        for name, dbto, targets in fake.links("gene", uid, "protein", "gene_protein"):
            lines += [f"gene\t{uid}\t{name}\t{dbto}\t{t}\t\t{uid}\t" for t in targets]
    return "".join(line + "\n" for line in lines)


def cache_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "the cache " in line]


def damage(cache_dir: Path) -> None:
    import sqlite3

    db = sqlite3.connect(cache_dir / "cache.sqlite3")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    with (cache_dir / "cache.sqlite3").open("r+b") as fh:
        fh.seek(4096 * 3)
        fh.write(b"\xff" * 8192)


@pytest.fixture
def root_only() -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a small disk needs root")


def test_a_damaged_cache_is_said_once_and_repaired_by_cache_clear(fake, run, tmp_path):
    cache = tmp_path / "cache"
    env = {"ELINKCLI_CACHE_DIR": str(cache), **KEY}
    first = run(*ARGS, "--id", ",".join(IDS), env=env)
    assert first.returncode == 0, first.stderr
    damage(cache)

    again = run(*ARGS, "--id", ",".join(IDS), env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout == expected_tsv(fake)
    said = cache_lines(again.stderr)
    assert len(said) == 1 and "malformed" in said[0] and "cache clear" in said[0]

    offline = run(*ARGS, "--id", ",".join(IDS), "--offline", env=env)
    assert "cannot be read" in assert_clean_error(offline, 1)
    assert offline.stdout == ""

    info = run("cache", "info", env=env)
    assert info.returncode == 0 and "damaged\t" in info.stdout
    assert [line for line in info.stdout.splitlines() if line.startswith("damaged\t")] != [
        "damaged\t"
    ]
    config = run("config", env=env)
    assert config.returncode == 0 and "damaged:" in config.stdout
    prune = run("cache", "prune", env=env)
    assert "cache clear" in assert_clean_error(prune, 1)

    clear = run("cache", "clear", env=env)
    assert clear.returncode == 0, clear.stderr
    assert "removed the damaged cache file" in clear.stderr
    mark = len(fake.log)
    refilled = run(*ARGS, "--id", ",".join(IDS), env=env)
    assert refilled.returncode == 0 and cache_lines(refilled.stderr) == []
    assert len(elink_requests(fake, mark)) == 2
    mark = len(fake.log)
    cached = run(*ARGS, "--id", ",".join(IDS), "--offline", env=env)
    assert cached.returncode == 0 and cached.stdout == expected_tsv(fake)
    assert fake.log[mark:] == []


@pytest.mark.parametrize("content", [b"garbage\n", b"\x00" * 4096])
def test_a_file_that_is_no_database(fake, run, tmp_path, content):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "cache.sqlite3").write_bytes(content)
    env = {"ELINKCLI_CACHE_DIR": str(cache), **KEY}
    proc = run(*ARGS, "--id", ",".join(IDS[:5]), env=env)
    assert proc.returncode == 0 and proc.stdout == expected_tsv(fake, IDS[:5])
    assert len(cache_lines(proc.stderr)) == 1
    info = run("cache", "info", "--json", env=env)
    assert info.returncode == 0 and '"damaged": "file is not a database"' in info.stdout
    assert run("cache", "clear", env=env).returncode == 0
    assert (
        not (cache / "cache.sqlite3").exists() or (cache / "cache.sqlite3").read_bytes() != content
    )


def test_a_cache_dir_that_is_a_file(fake, run, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    proc = run(*ARGS, "--id", ",".join(IDS[:5]), env={"ELINKCLI_CACHE_DIR": str(blocker), **KEY})
    assert proc.returncode == 0 and proc.stdout == expected_tsv(fake, IDS[:5])
    assert len(cache_lines(proc.stderr)) == 1


def test_a_full_disk_under_the_cache(fake, run, tmp_path, root_only):
    with tmpfs(tmp_path / "small", "size=96k") as small:
        env = {"ELINKCLI_CACHE_DIR": str(small), **KEY}
        proc = run(*ARGS, "--id", ",".join(IDS), env=env)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == expected_tsv(fake)
        said = cache_lines(proc.stderr)
        assert len(said) == 1 and "cannot be written" in said[0], proc.stderr


def test_a_read_only_disk_under_the_cache(fake, run, tmp_path, root_only):
    with tmpfs(tmp_path / "ro", "ro") as ro:
        env = {"ELINKCLI_CACHE_DIR": str(ro / "cache"), **KEY}
        proc = run(*ARGS, "--id", ",".join(IDS[:20]), env=env)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == expected_tsv(fake, IDS[:20])
        assert len(cache_lines(proc.stderr)) == 1
        offline = run(*ARGS, "--id", ",".join(IDS[:20]), "--offline", env=env)
        assert "cannot be read" in assert_clean_error(offline, 1)


def test_a_full_disk_under_the_output_keeps_the_old_file(fake, run, tmp_path, root_only):
    with tmpfs(tmp_path / "out", "size=64k") as place:
        out = place / "rows.tsv"
        out.write_text("yesterday\n")
        # -name all: the rows of every table of the pair, more than the 64 kB disk holds.
        proc = run(*ARGS, "-name", "all", "--id", ",".join(IDS), "-o", str(out), env=KEY)
        line = assert_clean_error(proc, 1)
        assert "cannot write" in line and "No space left on device" in line
        assert out.read_text() == "yesterday\n"


def test_a_disk_full_before_the_first_byte_keeps_the_old_file(fake, run, tmp_path, root_only):
    # Full before the run starts: even the journal's first line cannot be written.
    with tmpfs(tmp_path / "out", "size=64k") as place:
        out = place / "rows.tsv"
        out.write_text("yesterday\n")
        with (place / "filler").open("wb") as filler, contextlib.suppress(OSError):
            filler.write(b"\0" * 128 * 1024)
        proc = run(*ARGS, "--id", ",".join(IDS[:5]), "-o", str(out), env=KEY)
        line = assert_clean_error(proc, 1)
        assert line == f"elinkcli: error: cannot write {out}: No space left on device"
        assert out.read_text() == "yesterday\n"
        assert sorted(p.name for p in place.iterdir()) == ["filler", "rows.tsv"]
        assert fake.log == []


def other_format(cache_dir: Path, version: int) -> None:
    """A cache file as an elinkcli of another format left it."""
    import sqlite3

    cache_dir.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(cache_dir / "cache.sqlite3", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE entries (key TEXT PRIMARY KEY, blob BLOB)")
    db.execute("INSERT INTO entries VALUES ('k', x'00ff')")
    db.execute(f"PRAGMA user_version={version}")
    db.close()


def test_a_cache_of_another_format_is_set_aside_once(fake, run, tmp_path):
    import json

    cache = tmp_path / "cache"
    other_format(cache, 7)
    env = {"ELINKCLI_CACHE_DIR": str(cache), **KEY}
    first = run(*ARGS, "--id", ",".join(IDS[:10]), env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout == expected_tsv(fake, IDS[:10])
    said = cache_lines(first.stderr)
    assert len(said) == 1 and "another format (7" in said[0] and "cache.sqlite3.format-7" in said[0]
    assert (cache / "cache.sqlite3.format-7").exists()

    mark = len(fake.log)
    again = run(*ARGS, "--id", ",".join(IDS[:10]), env=env)
    assert again.returncode == 0 and again.stdout == first.stdout
    assert cache_lines(again.stderr) == [] and elink_requests(fake, mark) == []

    info = json.loads(run("cache", "info", "--json", env=env).stdout)
    assert (info["entries"], info["format"], info["damaged"]) == (10, 1, None)
    assert info["set_aside"] == [str(cache / "cache.sqlite3.format-7")]
    clear = run("cache", "clear", env=env)
    assert clear.returncode == 0, clear.stderr
    assert not (cache / "cache.sqlite3.format-7").exists()


def test_a_cache_of_another_format_offline_is_one_line(fake, run, tmp_path):
    cache = tmp_path / "cache"
    other_format(cache, 7)
    env = {"ELINKCLI_CACHE_DIR": str(cache), **KEY}
    offline = run(*ARGS, "--id", ",".join(IDS[:3]), "--offline", env=env)
    line = assert_clean_error(offline, 1)
    assert "another format (7" in line
    assert fake.log == []


def test_a_rollback_journal_when_asked(fake, run, tmp_path):
    import json

    cache = tmp_path / "cache"
    env = {"ELINKCLI_CACHE_DIR": str(cache), "ELINKCLI_CACHE_JOURNAL": "delete", **KEY}
    first = run(*ARGS, "--id", ",".join(IDS[:10]), env=env)
    assert first.returncode == 0 and first.stdout == expected_tsv(fake, IDS[:10])
    assert not (cache / "cache.sqlite3-wal").exists()
    mark = len(fake.log)
    again = run(*ARGS, "--id", ",".join(IDS[:10]), "--offline", env=env)
    assert again.returncode == 0 and again.stdout == first.stdout
    assert fake.log[mark:] == []
    info = json.loads(run("cache", "info", "--json", env=env).stdout)
    assert (info["journal"], info["journal_why"]) == ("delete", "cache_journal = delete")
    config = json.loads(run("config", "--json", env=env).stdout)
    assert config["cache_journal"] == "delete"
    bad = run(*ARGS, "--id", "1", env={**env, "ELINKCLI_CACHE_JOURNAL": "fast"})
    assert "ELINKCLI_CACHE_JOURNAL must be one of auto, wal, delete" in assert_clean_error(bad, 2)
