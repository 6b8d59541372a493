"""elinkcli.tables.store: the tables directory. A version is published by one rename of
its record (a reader sees the old record or the new one, never none), a version a reader
holds outlives a switch until it lets go, a damaged record is a TablesError naming the
table, drop removes what no reader holds. No DuckDB here: versions hold stand-in files.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from elinkcli.tables import store as store_module
from elinkcli.tables.store import READERS, TablesError, TablesStore

NAME = "gene2pubmed"
SERVED = "Tue, 01 Dec 2026 00:00:00 GMT"
LOADED_AT = 1_800_000_000.0  # 2027-01-15T08:00:00Z


def record(rows: int, last_modified: str | None = SERVED) -> dict[str, Any]:
    return {
        "name": NAME,
        "upstream": {
            "url": "https://files.test/gene/DATA/gene2pubmed.gz",
            "size": 1000 + rows,
            "last_modified": last_modified,
            "etag": f'"v{rows}"',
            "md5": None,
        },
        "rows": rows,
        "taxa": None,
        "loaded_at": LOADED_AT,
        "files": ["by_gene.parquet", "by_pmid.parquet"],
        "disk_bytes": 2 * rows,
    }


def publish(store: TablesStore, rows: int, **kw: Any) -> Path:
    staged = store.staging(NAME)
    assert staged.name.endswith(".tmp")
    for name in ("by_gene.parquet", "by_pmid.parquet"):
        (staged / name).write_bytes(b"x" * rows)
    loaded = store.publish(NAME, staged, record(rows, **kw))
    return loaded.path


def versions(root: Path) -> list[str]:
    return sorted(p.name for p in root.glob(f"{NAME}.v*"))


@pytest.fixture
def store(tmp_path: Path) -> TablesStore:
    return TablesStore(tmp_path / "tables")


def test_nothing_loaded(store: TablesStore) -> None:
    assert store.current(NAME) is None
    assert store.any_loaded() is False
    assert store.loaded() == []
    with store.reading(NAME) as held:
        assert held is None
    assert store.drop(NAME) is False


def test_publish_makes_the_version_the_one_in_use(store: TablesStore) -> None:
    path = publish(store, 3)
    found = store.current(NAME)
    assert found is not None
    assert found.path == path and path.is_dir() and not path.name.endswith(".tmp")
    assert found.rows == 3 and found.files == ("by_gene.parquet", "by_pmid.parquet")
    assert (path / "by_gene.parquet").read_bytes() == b"xxx"
    assert found.upstream.last_modified == SERVED and found.upstream.etag == '"v3"'
    assert found.origin() == f"{NAME} 2026-12-01"
    assert store.any_loaded() is True
    assert [t.name for t in store.loaded()] == [NAME]
    assert versions(store.root) == [path.name]


def test_without_last_modified_the_date_is_the_loading_day(store: TablesStore) -> None:
    publish(store, 3, last_modified=None)
    found = store.current(NAME)
    assert found is not None
    day = datetime.fromtimestamp(LOADED_AT, timezone.utc).strftime("%Y-%m-%d")
    assert found.upstream_date() == day == "2027-01-15"
    assert found.age(LOADED_AT + 90) == 90


def test_a_second_publish_switches_and_removes_the_old_version(store: TablesStore) -> None:
    old = publish(store, 3)
    new = publish(store, 5)
    assert old != new and not old.exists()
    found = store.current(NAME)
    assert found is not None and found.path == new and found.rows == 5
    assert versions(store.root) == [new.name]


def test_the_record_is_replaced_in_one_rename(
    store: TablesStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(store, 3)
    target = store.root / f"{NAME}.json"
    seen: list[int] = []
    real = os.replace

    def replace(src: Any, dst: Any) -> None:
        if Path(dst) == target:  # the old record is whole until the rename
            seen.append(json.loads(target.read_text())["rows"])
            assert json.loads(Path(src).read_text())["rows"] == 5
        real(src, dst)

    monkeypatch.setattr(store_module.os, "replace", replace)
    publish(store, 5)
    assert seen == [3]


def test_a_failed_switch_leaves_the_old_version_in_use(
    store: TablesStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = publish(store, 3)

    def replace(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_module.os, "replace", replace)
    with pytest.raises(TablesError, match="No space left"):
        publish(store, 5)
    monkeypatch.undo()
    found = store.current(NAME)
    assert found is not None and found.path == old and found.rows == 3
    assert not list(store.root.glob(f".{NAME}.json.*"))  # no temporary record left
    store.clean(NAME)
    assert versions(store.root) == [old.name]


def test_a_reader_keeps_its_version_through_a_switch(store: TablesStore) -> None:
    old = publish(store, 3)
    with store.reading(NAME) as held:
        assert held is not None and held.path == old
        new = publish(store, 5)
        assert old.is_dir() and (old / "by_gene.parquet").read_bytes() == b"xxx"
        assert old not in store.clean(NAME)
        current = store.current(NAME)
        assert current is not None and current.path == new
    assert store.clean(NAME) == [old]
    assert not old.exists() and versions(store.root) == [new.name]


def test_drop_removes_the_table(store: TablesStore) -> None:
    path = publish(store, 3)
    assert store.drop(NAME) is True
    assert store.current(NAME) is None and not path.exists()
    assert store.any_loaded() is False
    assert store.drop(NAME) is False


def test_drop_while_read_removes_the_version_when_the_reader_is_done(
    store: TablesStore,
) -> None:
    path = publish(store, 3)
    with store.reading(NAME):
        assert store.drop(NAME) is True
        assert path.is_dir()
        assert store.current(NAME) is None
    store.clean(NAME)
    assert not path.exists()


def test_clean_removes_loads_cut_short(store: TablesStore) -> None:
    path = publish(store, 3)
    staged = store.staging(NAME)
    (staged / "by_gene.parquet").write_bytes(b"partial")
    assert (staged / READERS).exists()
    assert store.clean(NAME) == [staged]
    assert versions(store.root) == [path.name]


def test_the_download_lies_under_the_tables_directory(store: TablesStore) -> None:
    part = store.download_path(NAME, "gene/DATA/gene2pubmed.gz")
    assert part == store.root / "downloads" / f"{NAME}.gz.part"
    assert part.parent.is_dir()
    plain = store.download_path("sra_accessions", "sra/reports/Metadata/SRA_Accessions.tab")
    assert plain == store.root / "downloads" / "sra_accessions.tab.part"  # not a .gz


DAMAGED = {
    "not json": b"garbage{",
    "binary": b"\x00\xff" * 64,
    "a list": b"[]",
    "another format": json.dumps({**record(3), "format": 99, "version": f"{NAME}.v1"}).encode(),
    "a path out": json.dumps({**record(3), "format": 1, "version": "../../etc"}).encode(),
    "another table": json.dumps({**record(3), "format": 1, "version": "pmc_ids.v1"}).encode(),
    "files with a slash": json.dumps(
        {**record(3), "format": 1, "version": f"{NAME}.v1", "files": ["../x.parquet"]}
    ).encode(),
    "taxa as text": json.dumps(
        {**record(3), "format": 1, "version": f"{NAME}.v1", "taxa": ["9606"]}
    ).encode(),
    "rows as text": json.dumps(
        {**record(3), "format": 1, "version": f"{NAME}.v1", "rows": "3"}
    ).encode(),
    "too large": b'{"pad": "' + b"x" * (2 << 20) + b'"}',
}


@pytest.mark.parametrize("body", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_damaged_record_is_a_tables_error(store: TablesStore, body: bytes) -> None:
    publish(store, 3)
    (store.root / f"{NAME}.json").write_bytes(body)
    with pytest.raises(TablesError) as caught:
        store.current(NAME)
    text = str(caught.value)
    assert "damaged" in text and f"tables get {NAME}" in text and "\n" not in text
    assert store.current_or_none(NAME) is None
    assert store.loaded() == []
    assert store.any_loaded() is True
    with pytest.raises(TablesError), store.reading(NAME):
        pass
    assert store.drop(NAME) is True
    assert store.current(NAME) is None


@pytest.mark.parametrize("blocker", ["root", "downloads"])
def test_a_file_where_a_directory_must_be_is_named_in_one_line(
    tmp_path: Path, blocker: str
) -> None:
    root = tmp_path / "tables"
    if blocker == "root":
        root.write_text("not a directory")
        blocked = root
    else:
        root.mkdir()
        blocked = root / "downloads"
        blocked.write_text("not a directory")
    with pytest.raises(TablesError) as caught:
        TablesStore(root).download_path("gene2pubmed", "gene/DATA/gene2pubmed.gz")
    assert str(caught.value) == f"cannot make the tables directory: {blocked}: File exists"
