"""The per-id cache (elinkcli.cache.store): TTL, prune, clear, and several caches or
processes on one directory at once.

No network and no real waiting: the cache's wall clock is CacheClock.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from support.fakes import CacheClock, elink_xml

from elinkcli.cache import admin
from elinkcli.cache.fs import FILE_NAME
from elinkcli.cache.store import SCHEMA, LinkSetCache
from elinkcli.eutils.elink_parser import parse_elink
from elinkcli.eutils.records import LinkSet


def _linksets(uid: str, n_targets: int = 3) -> list[LinkSet]:
    xml = elink_xml({uid: [f"{uid}{j:03d}" for j in range(n_targets)]})
    return list(parse_elink(xml.encode()).linksets)


def test_get_many_honours_the_ttl(tmp_path: Path) -> None:
    clock = CacheClock(start=10_000.0)
    cache = LinkSetCache(tmp_path, ttl=60, clock=clock)
    cache.put_many("sig", {"1": _linksets("1")})
    clock.advance(30)
    cache.put_many("sig", {"2": _linksets("2")})

    clock.advance(30)  # "1" is exactly 60 s old: still fresh
    assert set(cache.get_many("sig", ["1", "2", "3"])) == {"1", "2"}
    info = admin.info(cache)
    assert (info.entries, info.fresh) == (2, 2)

    clock.advance(0.5)
    assert cache.get_many("sig", ["1", "2", "3"]) == {"2": _linksets("2")}
    info = admin.info(cache)
    assert (info.entries, info.fresh) == (2, 1)
    assert (info.oldest, info.newest) == (10_000.0, 10_030.0)

    clock.advance(30)
    assert cache.get_many("sig", ["1", "2"]) == {}
    assert admin.info(cache).fresh == 0
    cache.close()


def test_a_zero_ttl_never_answers(tmp_path: Path) -> None:
    clock = CacheClock()
    cache = LinkSetCache(tmp_path, ttl=0, clock=clock)
    cache.put_many("sig", {"1": _linksets("1")})
    clock.advance(0.001)
    assert cache.get_many("sig", ["1"]) == {}
    cache.close()


def test_a_rewrite_refreshes_the_entry(tmp_path: Path) -> None:
    clock = CacheClock()
    cache = LinkSetCache(tmp_path, ttl=100, clock=clock)
    cache.put_many("sig", {"1": _linksets("1", 1)})
    clock.advance(90)
    cache.put_many("sig", {"1": _linksets("1", 4)})
    clock.advance(90)  # 180 s after the first write, 90 after the second
    assert cache.get_many("sig", ["1"]) == {"1": _linksets("1", 4)}
    assert admin.info(cache).entries == 1
    cache.close()


def test_prune_removes_the_expired_only(tmp_path: Path) -> None:
    clock = CacheClock(start=1_000.0)
    cache = LinkSetCache(tmp_path, ttl=500, clock=clock)
    cache.put_many("sig", {u: _linksets(u) for u in ("1", "2", "3")})
    clock.advance(400)
    cache.put_many("sig", {u: _linksets(u) for u in ("4", "5")})
    clock.advance(200)  # 1, 2, 3 are 600 s old; 4, 5 are 200 s old
    assert admin.prune(cache) == 3
    info = admin.info(cache)
    assert (info.entries, info.fresh) == (2, 2)
    assert set(cache.get_many("sig", ["1", "2", "3", "4", "5"])) == {"4", "5"}
    assert admin.prune(cache) == 0
    cache.close()


def test_clear_removes_everything(tmp_path: Path) -> None:
    cache = LinkSetCache(tmp_path, ttl=500, clock=CacheClock())
    cache.put_many("a", {u: _linksets(u) for u in ("1", "2")})
    cache.put_many("b", {"1": _linksets("1")})
    assert admin.clear(cache) == 3
    info = admin.info(cache)
    assert (info.entries, info.answers_bytes, info.oldest, info.newest) == (0, 0, None, None)
    assert info.size_bytes <= 64 * 1024
    cache.close()


def test_two_caches_on_one_directory_see_each_others_entries(tmp_path: Path) -> None:
    clock = CacheClock()
    first = LinkSetCache(tmp_path, ttl=3600, clock=clock)
    second = LinkSetCache(tmp_path, ttl=3600, clock=clock)
    for n in range(30):
        writer = first if n % 2 else second
        writer.put_many("sig", {str(n): _linksets(str(n))})
    ids = [str(n) for n in range(30)]
    expected = {i: _linksets(i) for i in ids}
    assert first.get_many("sig", ids) == expected
    assert second.get_many("sig", ids) == expected
    first.close()
    second.close()


WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from elinkcli.cache.store import LinkSetCache
    from elinkcli.eutils.records import LinkSet, LinkSetDb

    directory, worker, start = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    while time.time() < start:
        time.sleep(0.001)
    cache = LinkSetCache(Path(directory), 3600)
    for k in range(40):
        uid = str(worker * 1000 + k)
        ls = LinkSet("gene", (uid,), (LinkSetDb("protein", "gene_protein", (uid + "7",)),))
        cache.put_many("sig", {uid: [ls]})
        cache.get_many("sig", [uid, str(k)])
    cache.close()
    """
)


def test_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    """Six processes write 40 entries each into one cache at the same time."""
    LinkSetCache(tmp_path, ttl=3600).close()  # opening a fresh one together: next test
    workers = 6
    start = time.time() + 1.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path), str(w), str(start)],
            stderr=subprocess.PIPE,
        )
        for w in range(workers)
    ]
    errors = [p.communicate(timeout=60)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * workers, errors
    cache = LinkSetCache(tmp_path, ttl=3600)
    ids = [str(w * 1000 + k) for w in range(workers) for k in range(40)]
    found = cache.get_many("sig", ids)
    assert set(found) == set(ids)
    for uid, linksets in found.items():
        assert [ls.ids for ls in linksets] == [(uid,)]
        assert linksets[0].linksetdbs[0].ids == (uid + "7",)
    assert cache.db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    cache.close()


def test_opening_a_fresh_cache_waits_for_another_process_creating_it(tmp_path: Path) -> None:
    creator = sqlite3.connect(tmp_path / FILE_NAME, isolation_level=None, check_same_thread=False)
    creator.executescript(SCHEMA)  # not yet switched to WAL
    creator.execute("BEGIN IMMEDIATE")
    creator.execute("INSERT INTO entries VALUES ('k', '[]', 1, 2)")
    done = threading.Timer(0.3, lambda: creator.execute("COMMIT"))
    done.start()
    try:
        cache = LinkSetCache(tmp_path, ttl=60)  # should wait for the lock, like any write
    finally:
        done.join()
        creator.close()
    assert cache.db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert admin.info(cache).entries == 1
    cache.close()
