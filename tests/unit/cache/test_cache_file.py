"""The cache file as a database: one transaction per batch, a format version (a file of
another format set aside, never a crash), a size bound from the pages on disk with trimming
that loads no keys, and a journal that works where the file lives (WAL, a rollback journal
on a network file system or where SQLite refuses WAL, no cache where neither works)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from elinkcli.cache import admin
from elinkcli.cache import fs as cache_fs
from elinkcli.cache.fs import FILE_NAME, OpenLock, filesystem_type, journal_for, lock_path
from elinkcli.cache.store import FORMAT, SCHEMA, TRIM_CHUNK, CacheUnusableError, LinkSetCache
from elinkcli.eutils.records import LinkSet, LinkSetDb

SIG = '["http://x/","elink.fcgi",[]]'


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


def linkset(uid: str, n: int = 3) -> LinkSet:
    targets = tuple(str(10_000_000 + k) for k in range(n))
    return LinkSet(dbfrom="gene", ids=(uid,), linksetdbs=(LinkSetDb("protein", "p", targets),))


def statements(cache: LinkSetCache) -> list[str]:
    """Every SQL statement the cache runs from now on."""
    seen: list[str] = []
    cache.db.set_trace_callback(seen.append)
    return seen


def opened(directory: Path, **kwargs: Any) -> tuple[LinkSetCache, list[str]]:
    said: list[str] = []
    return LinkSetCache(directory, 10**8, on_problem=said.append, **kwargs), said


# --- one transaction per batch -----------------------------------------------------------------


def test_a_batch_is_one_transaction(tmp_path: Path) -> None:
    cache, _ = opened(tmp_path)
    seen = statements(cache)
    cache.put_many(SIG, {str(i): [linkset(str(i))] for i in range(2000)})
    begins = [s for s in seen if s.startswith("BEGIN")]
    commits = [s for s in seen if s == "COMMIT"]
    assert (len(begins), len(commits)) == (1, 1), seen[:5]
    assert admin.info(cache).entries == 2000
    cache.close()


def test_a_failed_batch_leaves_nothing_half_written(tmp_path: Path) -> None:
    cache, said = opened(tmp_path)
    cache.put_many(SIG, {"1": [linkset("1")]})
    cache.db.execute("PRAGMA max_page_count = 6")  # full part-way through the batch
    cache.put_many(SIG, {str(i): [linkset(str(i), 400)] for i in range(100, 300)})
    assert len(said) == 1 and "cannot be written" in said[0]
    assert admin.info(cache).entries == 1, "the batch was rolled back whole"
    assert not cache.db.in_transaction
    cache.close()


# --- the format version ------------------------------------------------------------------------


def user_version(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute("PRAGMA user_version").fetchone()[0])
    finally:
        db.close()


def old_file(directory: Path, version: int, rows: int = 3) -> Path:
    """A cache file as another elinkcli left it: format `version` (0: from before formats
    were numbered), in WAL mode, with `rows` entries."""
    path = directory / FILE_NAME
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(SCHEMA)
    for n in range(rows):
        db.execute("INSERT INTO entries VALUES (?, ?, ?, ?)", (f"k{n}", "[]", 1e12, 2))
    if version:
        db.execute(f"PRAGMA user_version={version}")
    db.close()
    return path


def test_a_new_file_has_the_format_and_incremental_vacuum(tmp_path: Path) -> None:
    LinkSetCache(tmp_path, 60).close()
    path = tmp_path / FILE_NAME
    assert user_version(path) == FORMAT
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA auto_vacuum").fetchone() == (2,)  # incremental
    db.close()


def test_a_file_from_before_formats_were_numbered_is_kept(tmp_path: Path) -> None:
    cache_module_put = LinkSetCache(tmp_path, 10**8, clock=Clock())
    cache_module_put.put_many(SIG, {"672": [linkset("672")]})
    cache_module_put.db.execute("PRAGMA user_version=0")
    cache_module_put.close()
    cache, said = opened(tmp_path, clock=Clock())
    assert cache.get_many(SIG, ["672"]) == {"672": [linkset("672")]}
    assert said == [] and cache.set_aside_to is None
    assert user_version(tmp_path / FILE_NAME) == FORMAT
    cache.close()


@pytest.mark.parametrize("version", [FORMAT + 1, 99, -3])
def test_a_file_of_another_format_is_set_aside_and_a_new_one_started(
    tmp_path: Path, version: int
) -> None:
    old_file(tmp_path, version)
    cache, said = opened(tmp_path)
    aside = tmp_path / f"{FILE_NAME}.format-{version}"
    assert cache.set_aside_to == aside
    assert len(said) == 1 and f"another format ({version}" in said[0] and aside.name in said[0]
    assert user_version(aside) == version, "the other file kept as it was"
    assert sqlite3.connect(aside).execute("SELECT count(*) FROM entries").fetchone() == (3,)
    cache.put_many(SIG, {"1": [linkset("1")]})
    assert list(cache.get_many(SIG, ["1"])) == ["1"]
    assert user_version(tmp_path / FILE_NAME) == FORMAT
    info = admin.info(cache)
    assert info.set_aside == (aside,) and info.entries == 1
    assert admin.clear(cache) == 1
    assert not [p for p in tmp_path.iterdir() if ".format-" in p.name], "clear removes them"
    cache.close()


def test_a_file_holding_other_tables_is_not_taken_for_a_cache(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / FILE_NAME)
    db.execute("CREATE TABLE notes (text)")
    db.commit()
    db.close()
    cache, said = opened(tmp_path)
    assert cache.set_aside_to == tmp_path / f"{FILE_NAME}.format-0"
    assert len(said) == 1
    cache.close()


def test_a_file_of_another_format_open_elsewhere_is_left_alone(tmp_path: Path) -> None:
    path = old_file(tmp_path, FORMAT + 1)
    # Another elinkcli (of that format), using it: it holds the shared lock while it does.
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("SELECT count(*) FROM entries").fetchone()
    held = OpenLock(lock_path(tmp_path / FILE_NAME))
    assert held.held
    try:
        cache, said = opened(tmp_path)
        assert cache.get_many(SIG, ["1"]) == {}
        cache.put_many(SIG, {"1": [linkset("1")]})
        assert len(said) == 1 and "open in another process" in said[0] and "\n" not in said[0]
        assert cache.set_aside_to is None
        assert other.execute("SELECT count(*) FROM entries").fetchone() == (3,)
        assert user_version(path) == FORMAT + 1
    finally:
        other.close()
        held.close()
    cache, said = opened(tmp_path)  # once it is closed, it is set aside
    assert cache.set_aside_to is not None and len(said) == 1
    cache.close()


def test_offline_says_plainly_that_the_file_is_of_another_format(tmp_path: Path) -> None:
    old_file(tmp_path, FORMAT + 1)
    with pytest.raises(CacheUnusableError, match=r"another format \(2; this elinkcli reads 1\)"):
        LinkSetCache(tmp_path, 60, required=True)
    assert user_version(tmp_path / FILE_NAME) == FORMAT + 1, "offline moves nothing"


# --- the size bound: pages on disk, oldest out, no key loaded ---------------------------------


def fill(cache: LinkSetCache, clock: Clock, first: int, n: int, links: int = 200) -> list[str]:
    ids = [str(first + k) for k in range(n)]
    for uid in ids:
        cache.put_many(SIG, {uid: [linkset(uid, links)]})
        clock.now += 1
    return ids


def db_file_bytes(cache: LinkSetCache) -> int:
    if cache.journal == "wal":
        cache.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    return os.path.getsize(cache.path)


def test_the_bound_is_the_file_and_the_oldest_go_first(tmp_path: Path) -> None:
    clock = Clock()
    bound = 400 * 1024
    cache = LinkSetCache(tmp_path, 10**8, max_bytes=bound, clock=clock)
    ids: list[str] = []
    for round_ in range(6):
        ids += fill(cache, clock, 1000 * round_, 60)
        assert cache.used_bytes() <= bound
        assert db_file_bytes(cache) <= bound, "freed pages go back to the file system"
    kept = cache.get_many(SIG, ids)
    assert set(kept) == set(ids[len(ids) - len(kept) :]), "the newest, as one unbroken run"
    # Not emptied: trimmed to 90 % of the bound, in pages. An answer of 2.2 KB takes a 4 KB
    # page of its own, so the answers are under half the file.
    info = admin.info(cache)
    assert 0.8 * bound < cache.used_bytes() <= bound
    assert 0.3 * bound < info.answers_bytes < bound
    cache.close()


def test_trimming_deletes_in_chunks_and_loads_no_key(tmp_path: Path) -> None:
    clock = Clock()
    cache = LinkSetCache(tmp_path, 10**8, clock=clock)
    for start in range(0, 6000, 2000):  # three batches of 2,000
        cache.put_many(SIG, {str(i): [linkset(str(i), 20)] for i in range(start, start + 2000)})
        clock.now += 10
    used = cache.used_bytes()
    cache.max_bytes = used // 2
    seen = statements(cache)
    removed = cache.trim()
    assert cache.used_bytes() <= 0.9 * cache.max_bytes
    assert cache.db.execute("PRAGMA freelist_count").fetchone() == (0,), "pages given back"
    assert db_file_bytes(cache) <= 0.9 * cache.max_bytes
    assert 3000 <= removed <= 3000 + 2 * TRIM_CHUNK + 1000
    assert not [s for s in seen if s.lstrip().upper().startswith("SELECT")], "no rows read"
    deletes = [s for s in seen if s.startswith("DELETE")]
    assert len(deletes) == -(-removed // TRIM_CHUNK)
    left = cache.get_many(SIG, [str(i) for i in range(6000)])
    assert set(left) == {str(i) for i in range(6000 - len(left), 6000)}
    cache.close()


def test_under_the_bound_nothing_is_read(tmp_path: Path) -> None:
    cache, _ = opened(tmp_path)
    cache.put_many(SIG, {"1": [linkset("1")]})
    seen = statements(cache)
    assert cache.trim() == 0
    assert all(s.startswith("PRAGMA") for s in seen), seen


def test_prune_gives_an_old_file_incremental_vacuum(tmp_path: Path) -> None:
    path = old_file(tmp_path, 0, rows=0)
    cache = LinkSetCache(tmp_path, 10**8, clock=Clock())
    assert cache.db.execute("PRAGMA auto_vacuum").fetchone() == (0,)
    admin.prune(cache)
    assert cache.db.execute("PRAGMA auto_vacuum").fetchone() == (2,)
    cache.close()
    assert user_version(path) == FORMAT


# --- the journal -------------------------------------------------------------------------------

MOUNTS = r"""22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
40 22 0:40 / {home} rw,relatime shared:20 - nfs4 server:/export/home rw,vers=4.2
41 40 0:41 / {home}/scratch\040dir rw,relatime shared:21 - ext4 /dev/sdb1 rw
42 22 0:42 / /mnt/cluster rw - lustre 10.0.0.1@tcp:/fs rw
"""


@pytest.fixture
def mounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """tmp_path/home on NFS (and tmp_path/home/scratch dir on a local disk beneath it)."""
    home = tmp_path / "home"
    (home / "scratch dir").mkdir(parents=True)
    info = tmp_path / "mountinfo"
    info.write_text(MOUNTS.replace("{home}", os.path.realpath(home).replace(" ", "\\040")))
    monkeypatch.setattr(cache_fs, "MOUNTINFO", info)
    yield home


def test_the_file_system_is_read_from_mountinfo(mounts: Path, tmp_path: Path) -> None:
    assert filesystem_type(mounts) == "nfs4"
    assert filesystem_type(mounts / "scratch dir") == "ext4"
    assert filesystem_type(tmp_path) == "ext4"
    assert journal_for(mounts)[0] == "delete" and "nfs4" in journal_for(mounts)[1]
    assert journal_for(mounts / "scratch dir")[0] == "wal"
    assert journal_for(mounts, "wal")[0] == "wal", "the setting wins"
    assert journal_for(tmp_path, "delete")[0] == "delete"


def test_no_mountinfo_is_a_local_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_fs, "MOUNTINFO", tmp_path / "nowhere")
    assert filesystem_type(tmp_path) is None
    assert journal_for(tmp_path)[0] == "wal"


def test_on_a_network_file_system_the_cache_uses_a_rollback_journal(mounts: Path) -> None:
    directory = mounts / "elinkcli"
    cache, said = opened(directory)
    cache.put_many(SIG, {"1": [linkset("1")]})
    assert cache.db.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert cache.journal == "delete" and said == []
    assert not (directory / (FILE_NAME + "-wal")).exists()
    cache.close()
    # Another process on another machine sees the same answers.
    again, _ = opened(directory)
    assert list(again.get_many(SIG, ["1"])) == ["1"]
    assert admin.info(again).journal == "delete"
    again.close()


def test_a_wal_file_moved_to_a_network_file_system_leaves_wal(mounts: Path) -> None:
    directory = mounts / "moved"
    directory.mkdir()
    old_file(directory, FORMAT)
    cache, said = opened(directory)
    assert cache.db.execute("PRAGMA journal_mode").fetchone() == ("delete",) and said == []
    assert admin.info(cache).entries == 3
    cache.close()


class DotfileCache(LinkSetCache):
    """SQLite's unix-dotfile VFS (for file systems without POSIX locks): it refuses WAL."""

    def _connect(self) -> sqlite3.Connection:
        uri = f"file:{self.path}?vfs=unix-dotfile"
        return sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)


def test_where_sqlite_refuses_wal_the_cache_uses_a_rollback_journal(tmp_path: Path) -> None:
    said: list[str] = []
    cache = DotfileCache(tmp_path, 10**8, on_problem=said.append)
    cache.put_many(SIG, {"1": [linkset("1")]})
    assert list(cache.get_many(SIG, ["1"])) == ["1"]
    assert (cache.journal, cache.journal_reason) == ("delete", "SQLite refused WAL here")
    assert said == []
    cache.close()


class NoSharedMemory(LinkSetCache):
    """A place where WAL's shared memory cannot be made (as on some FUSE file systems):
    switching to WAL fails with SQLite's I/O error."""

    def _connect(self) -> sqlite3.Connection:
        real = super()._connect()

        class Connection:
            def execute(self, sql: str, *args: Any) -> Any:
                if sql.upper() == "PRAGMA JOURNAL_MODE=WAL":
                    raise sqlite3.OperationalError("disk I/O error")
                return real.execute(sql, *args)

            def __getattr__(self, name: str) -> Any:
                return getattr(real, name)

        return Connection()  # type: ignore[return-value]


def test_where_wal_fails_the_cache_falls_back_to_a_rollback_journal(tmp_path: Path) -> None:
    said: list[str] = []
    cache = NoSharedMemory(tmp_path, 10**8, on_problem=said.append)
    cache.put_many(SIG, {"1": [linkset("1")]})
    assert list(cache.get_many(SIG, ["1"])) == ["1"] and said == []
    assert cache.journal == "delete" and "disk I/O error" in cache.journal_reason
    cache.close()


class NothingWorks(LinkSetCache):
    def _connect(self) -> sqlite3.Connection:
        raise sqlite3.OperationalError("unable to open database file")


def test_where_no_journal_works_the_run_goes_on_without_a_cache_said_once(
    tmp_path: Path,
) -> None:
    said: list[str] = []
    cache = NothingWorks(tmp_path, 10**8, on_problem=said.append)
    assert cache.get_many(SIG, ["1"]) == {}
    cache.put_many(SIG, {"1": [linkset("1")]})
    assert len(said) == 1 and "running without it" in said[0]
    with pytest.raises(CacheUnusableError):
        NothingWorks(tmp_path, 10**8, required=True)


# --- hostile: kill -9 mid-batch, several processes meeting a file of another format ---------

WRITER = """
import sys
from pathlib import Path
from elinkcli.cache.store import LinkSetCache
from elinkcli.eutils.records import LinkSet, LinkSetDb

cache = LinkSetCache(Path(sys.argv[1]), 10**8)
for b in range(10**6):
    batch = {
        uid: [LinkSet("gene", (uid,), (LinkSetDb("protein", "p", ("1",) * 50),))]
        for i in range(500)
        for uid in (f"{b}{i:03d}",)
    }
    cache.put_many("sig", batch)
    print(b, flush=True)
"""


@pytest.mark.parametrize("after", [1, 3, 6])
def test_kill_9_mid_batch_leaves_whole_batches_only(tmp_path: Path, after: int) -> None:
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    for _ in range(after):  # batches reported written; the next one is under way
        assert proc.stdout.readline()
    proc.kill()
    proc.wait(timeout=30)
    cache, said = opened(tmp_path)
    assert cache.db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    per_batch: dict[str, int] = {}
    for (count,) in cache.db.execute("SELECT count(*) FROM entries"):
        assert count % 500 == 0, "a batch is all there or not at all"
        assert count >= after * 500
    batch_ids = [f"{b}{i:03d}" for b in range(after) for i in range(500)]
    assert len(cache.get_many("sig", batch_ids)) == after * 500
    assert said == [] and not per_batch
    cache.close()


OPENER = """
import sys, time
from pathlib import Path
from elinkcli.cache.store import LinkSetCache
from elinkcli.eutils.records import LinkSet, LinkSetDb

directory, worker, start = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
while time.time() < start:
    time.sleep(0.001)
said = []
cache = LinkSetCache(directory, 10**8, on_problem=said.append)
ls = LinkSet("gene", (worker,), (LinkSetDb("protein", "p", ("7",)),))
cache.put_many("sig", {worker: [ls]})
print(repr((cache.readable, cache.set_aside_to is not None, said)))
cache.close()
"""


def test_processes_opening_a_file_of_another_format_at_once(tmp_path: Path) -> None:
    """Six processes meet a format-7 file together: one sets it aside, none crashes, the
    ones that could not use the cache said so once, and what was written is readable."""
    import subprocess
    import sys
    import time

    old_file(tmp_path, 7)
    start = time.time() + 1.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPENER, str(tmp_path), str(w), str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(6)
    ]
    results = [p.communicate(timeout=90) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, [err for _, err in results]
    outcomes = [eval(out) for out, _ in results]  # (readable, set aside, said)
    assert sum(aside for _, aside, _ in outcomes) <= 1
    for readable, aside, said in outcomes:
        assert len(said) == (1 if aside or not readable else 0), said
    cache, said = opened(tmp_path)
    written = [str(w) for w, (readable, _, _) in enumerate(outcomes) if readable]
    assert set(cache.get_many("sig", written)) == set(written)
    # Where all six kept each other busy, the next run sets the file aside.
    set_aside = any(aside for _, aside, _ in outcomes)
    assert len(said) == (0 if set_aside else 1), said
    assert user_version(tmp_path / f"{FILE_NAME}.format-7") == 7
    cache.close()


def test_a_process_stopped_holding_the_exclusive_lock_costs_a_wait_not_a_hang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import signal
    import subprocess
    import sys
    import time

    LinkSetCache(tmp_path, 60).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            "fd = os.open(sys.argv[1], os.O_RDWR)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "time.sleep(60)\n",
            str(lock_path(tmp_path / FILE_NAME)),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        holder.send_signal(signal.SIGSTOP)  # stopped mid set-aside, say
        monkeypatch.setattr(OpenLock, "WAIT", 0.3)
        started = time.monotonic()
        cache, said = opened(tmp_path)
        assert time.monotonic() - started < 10
        assert cache.get_many(SIG, ["1"]) == {}
        cache.put_many(SIG, {"1": [linkset("1")]})
        assert len(said) == 1 and "holds it" in said[0]
        cache.close()
    finally:
        holder.kill()
        holder.wait(timeout=30)
    again, said = opened(tmp_path)  # the lock died with it
    again.put_many(SIG, {"1": [linkset("1")]})
    assert list(again.get_many(SIG, ["1"])) == ["1"] and said == []
    again.close()


def test_clear_removes_a_damaged_file_only_when_no_one_has_it_open(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_bytes(b"not a database at all")
    user, _ = opened(tmp_path)  # another process using the (damaged) cache
    clearer, _ = opened(tmp_path)
    with pytest.raises(CacheUnusableError, match="open in another elinkcli process"):
        admin.clear(clearer)
    assert (tmp_path / FILE_NAME).exists()
    user.close()
    clearer, _ = opened(tmp_path)
    assert admin.clear(clearer) is None
    assert not (tmp_path / FILE_NAME).exists()


def test_a_file_of_another_format_that_cannot_be_renamed_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_file(tmp_path, 7)

    def refused(source: object, target: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refused)
    cache, said = opened(tmp_path)
    assert cache.get_many(SIG, ["1"]) == {} and cache.file_format == 7
    assert len(said) == 1
    assert (
        "another format (7" in said[0]
        and "cannot be set aside here: Permission denied" in (said[0])
    )
    cache.close()
    assert user_version(tmp_path / FILE_NAME) == 7
