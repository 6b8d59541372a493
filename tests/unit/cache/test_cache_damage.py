"""The cache only ever speeds a run up: damage, a full disk or a read-only file is said once
and the run goes on without it; --offline, which has nothing else, fails plainly."""

from __future__ import annotations

from pathlib import Path

import pytest

from elinkcli.cache import admin
from elinkcli.cache.codec import encode_linkset
from elinkcli.cache.fs import FILE_NAME
from elinkcli.cache.store import CacheUnusableError, LinkSetCache
from elinkcli.eutils.records import LinkSet, LinkSetDb

SIG = '["http://x/","elink.fcgi",[]]'


def linkset(uid: str, n: int = 3) -> LinkSet:
    return LinkSet(
        dbfrom="gene",
        ids=(uid,),
        linksetdbs=(LinkSetDb("protein", "gene_protein", tuple(str(k) for k in range(n))),),
    )


def filled(directory: Path, n_ids: int = 400) -> None:
    with LinkSetCache(directory, 3600) as cache:
        cache.put_many(SIG, {str(i): [linkset(str(i), 40)] for i in range(n_ids)})
        cache.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def damage(directory: Path) -> None:
    with (directory / FILE_NAME).open("r+b") as fh:
        fh.seek(4096 * 3)
        fh.write(b"\xff" * 8192)


def opened(directory: Path, **kwargs) -> tuple[LinkSetCache, list[str]]:
    said: list[str] = []
    return LinkSetCache(directory, 3600, on_problem=said.append, **kwargs), said


def test_a_damaged_file_is_said_once_and_the_run_goes_on_without_it(tmp_path):
    filled(tmp_path)
    damage(tmp_path)
    cache, said = opened(tmp_path)
    for _ in range(3):
        assert cache.get_many(SIG, [str(i) for i in range(400)]) == {}
        cache.put_many(SIG, {"1": [linkset("1")]})
    assert len(said) == 1
    assert "malformed" in said[0] and "cache clear" in said[0] and "\n" not in said[0]


@pytest.mark.parametrize("content", [b"garbage\n", b"\x00" * 5000, b"SQLite format 3\x00junk"])
def test_a_file_that_is_no_database_is_said_once(tmp_path, content):
    (tmp_path / FILE_NAME).write_bytes(content)
    cache, said = opened(tmp_path)
    assert cache.get_many(SIG, ["1"]) == {}
    cache.put_many(SIG, {"1": [linkset("1")]})
    assert len(said) == 1 and "running without it" in said[0]


def test_offline_fails_plainly_on_a_damaged_cache(tmp_path):
    filled(tmp_path)
    damage(tmp_path)
    cache, _ = opened(tmp_path, required=True)
    with pytest.raises(CacheUnusableError, match=r"cannot be read .*malformed"):
        cache.get_many(SIG, ["1", "2"])
    (tmp_path / FILE_NAME).write_bytes(b"garbage")
    with pytest.raises(CacheUnusableError, match="not a database"):
        opened(tmp_path, required=True)


def test_an_entry_of_an_unknown_shape_is_damage_not_a_crash(tmp_path):
    cache, said = opened(tmp_path)
    cache.put_values(SIG, {"1": [{"dbfrom": "gene"}], "2": [encode_linkset(linkset("2"))]})
    assert cache.get_many(SIG, ["1", "2"]) == {}
    assert len(said) == 1 and "unknown shape" in said[0]


def test_a_full_disk_stops_the_writes_once_and_reads_go_on(tmp_path):
    cache, said = opened(tmp_path)
    cache.put_many(SIG, {"1": [linkset("1")]})
    cache.db.execute("PRAGMA max_page_count = 4")  # SQLITE_FULL, as on a full disk
    for n in range(5):
        cache.put_many(SIG, {str(i): [linkset(str(i), 500)] for i in range(n * 100, n * 100 + 100)})
    assert len(said) == 1 and "cannot be written" in said[0] and "full" in said[0]
    assert list(cache.get_many(SIG, ["1"])) == ["1"]  # what is there is still read


def test_a_read_only_file_stops_the_writes_once(tmp_path):
    cache, said = opened(tmp_path)
    cache.put_many(SIG, {"1": [linkset("1")]})
    cache.db.execute("PRAGMA query_only = 1")
    cache.put_many(SIG, {"2": [linkset("2")]})
    cache.put_many(SIG, {"3": [linkset("3")]})
    assert len(said) == 1 and "cannot be written" in said[0]
    assert list(cache.get_many(SIG, ["1", "2"])) == ["1"]


def test_a_directory_that_cannot_be_made_is_said_once(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache, said = opened(blocker / "cache")
    assert cache.get_many(SIG, ["1"]) == {}
    cache.put_many(SIG, {"1": [linkset("1")]})
    assert len(said) == 1


def test_info_says_damaged_clear_removes_the_file_prune_refuses(tmp_path):
    filled(tmp_path)
    damage(tmp_path)
    cache, _ = opened(tmp_path)
    info = admin.info(cache)
    assert info.damaged and "\n" not in info.damaged and info.entries == 0
    with pytest.raises(CacheUnusableError, match="cache clear"):
        admin.prune(cache)
    assert admin.clear(cache) is None
    assert not (tmp_path / FILE_NAME).exists()
    fresh, said = opened(tmp_path)
    fresh.put_many(SIG, {"1": [linkset("1")]})
    assert list(fresh.get_many(SIG, ["1"])) == ["1"] and said == []
    assert admin.info(fresh).damaged is None
    assert admin.clear(fresh) == 1


def test_clear_of_a_garbage_file_removes_it(tmp_path):
    (tmp_path / FILE_NAME).write_bytes(b"garbage")
    (tmp_path / (FILE_NAME + "-wal")).write_bytes(b"more garbage")
    cache, _ = opened(tmp_path)
    assert admin.clear(cache) is None
    # The lock file stays: removing a lock another process may be waiting on would break it.
    assert [p.name for p in tmp_path.iterdir()] == [FILE_NAME + "-open.lock"]
