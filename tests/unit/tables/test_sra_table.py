"""elinkcli.tables.sra in process: the model's SRA_Accessions.tab (support.sra_files) loaded
by `load_file`, then read back with `Reader.links`/`Reader.runs` and DuckDB's own SQL, and
compared with the model's oracle; broken files; the free-disk check of `tables get`.
"""

from __future__ import annotations

import shutil
from collections import namedtuple
from pathlib import Path
from typing import Any

import pytest
from support.sra_files import SRA_HEADER, SraModel, make_model, oracle, runs, sra_accessions_bytes

from elinkcli.tables.catalog import BY_NAME
from elinkcli.tables.load import DamagedFileError, load_file
from elinkcli.tables.store import Loaded, TablesError, Upstream

duckdb = pytest.importorskip("duckdb")

SPEC = BY_NAME["sra_accessions"]
LINKNAMES = ("bioproject_sra", "biosample_sra", "gds_sra", "sra_bioproject", "sra_biosample")
# Tokens no link of the table looks up: UIDs, a GEO series, words, an empty string.
NOT_ACCESSIONS = ("5000", "123", "GSE100", "hello", "", "PRJ", "SRX", "SRR12x")


def live_rows(model: SraModel) -> int:
    live = model.live()
    return len(live) + sum(1 for e in live for _, status in e.runs if status == "live")


def dead_accessions(model: SraModel) -> set[str]:
    """Experiments and runs not live."""
    dead = {e.acc for e in model.experiments if e.status != "live"}
    return dead | {r for e in model.experiments for r, s in e.runs if s != "live"}


def load(con: Any, tmp_path: Path, body: bytes) -> Loaded:
    path = tmp_path / "SRA_Accessions.tab"
    path.write_bytes(body)
    into = tmp_path / "table"
    into.mkdir()
    result = load_file(con, SPEC, path, into, None)
    return Loaded(SPEC.name, into.name, into, Upstream("x"), result.rows, None, 0.0, (), 0)


@pytest.fixture(scope="module")
def model() -> SraModel:
    return make_model()


@pytest.fixture
def loaded(con: Any, tmp_path: Path, model: SraModel) -> Loaded:
    return load(con, tmp_path, sra_accessions_bytes(model))


@pytest.fixture
def reader() -> Any:
    from elinkcli.tables.lookup import Reader

    return Reader()


def spec_of(linkname: str) -> Any:
    return next(s for s in SPEC.links if s.linkname == linkname)


# --- the load --------------------------------------------------------------------------------


def test_load_keeps_live_runs_and_experiments(loaded: Loaded, model: SraModel) -> None:
    assert loaded.rows == live_rows(model)
    assert sorted(p.name for p in loaded.path.glob("*.parquet")) == [
        "by_project.parquet",
        "sra.parquet",
    ]


def test_the_rows_are_the_models(con: Any, loaded: Loaded, model: SraModel) -> None:
    rows = con.execute(
        "SELECT run, experiment, sample, study, submission, biosample, bioproject, gsm "
        f"FROM read_parquet('{loaded.path / 'sra.parquet'}')"
    ).fetchall()
    want = []
    for e in model.live():
        base = (e.acc, e.sample, e.study, e.submission, e.biosample, e.bioproject, e.gsm)
        want.append((None, *base))
        want.extend((r, *base) for r, s in e.runs if s == "live")
    assert sorted(rows, key=repr) == sorted(want, key=repr)


def test_suppressed_and_withdrawn_never_appear(con: Any, loaded: Loaded, model: SraModel) -> None:
    dead = dead_accessions(model)
    assert dead, "the model has objects not live"
    for name in ("sra", "by_project"):
        found = con.execute(
            f"SELECT run, experiment FROM read_parquet('{loaded.path / f'{name}.parquet'}')"
        ).fetchall()
        assert not {v for row in found for v in row} & dead


def test_by_project_is_sorted_by_project(con: Any, loaded: Loaded) -> None:
    keys = con.execute(
        "SELECT bioproject, experiment, run "
        f"FROM read_parquet('{loaded.path / 'by_project.parquet'}')"
    ).fetchall()
    assert keys == sorted(keys, key=lambda k: (k[0], k[1], k[2] is None, k[2] or ""))


# --- Reader.links, Reader.runs -----------------------------------------------------------------


@pytest.mark.parametrize("linkname", LINKNAMES)
def test_links_equal_the_oracle(
    reader: Any, loaded: Loaded, model: SraModel, linkname: str
) -> None:
    want = oracle(model, linkname)
    tokens = [t.lower() if n % 3 == 1 else t for n, t in enumerate(sorted(want))]
    got = reader.links(loaded, spec_of(linkname), [*NOT_ACCESSIONS, *tokens])
    assert got == want


@pytest.mark.parametrize("linkname", LINKNAMES)
def test_tokens_not_accessions_are_ignored(reader: Any, loaded: Loaded, linkname: str) -> None:
    assert reader.links(loaded, spec_of(linkname), list(NOT_ACCESSIONS)) == {}


@pytest.mark.parametrize("linkname", LINKNAMES)
def test_dead_objects_link_nothing(
    reader: Any, loaded: Loaded, model: SraModel, linkname: str
) -> None:
    dead = sorted(dead_accessions(model))
    got = reader.links(loaded, spec_of(linkname), dead)
    assert not got


def test_runs_equal_the_model(reader: Any, loaded: Loaded, model: SraModel) -> None:
    every = [e.acc for e in model.experiments]
    want = runs(model)
    assert reader.runs(loaded, [*every, *(e.lower() for e in every), *NOT_ACCESSIONS]) == want
    assert [] in want.values()  # a live experiment with no live run
    assert not set(reader.runs(loaded, sorted(dead_accessions(model))))


# --- broken files ----------------------------------------------------------------------------


def test_a_renamed_column_is_refused(con: Any, tmp_path: Path, model: SraModel) -> None:
    data = sra_accessions_bytes(model)
    header = SRA_HEADER.replace("Experiment", "Experiments").encode()
    with pytest.raises(TablesError, match="Experiment"):
        load(con, tmp_path, header + data[data.index(b"\n") :])


def test_a_line_of_19_fields_is_refused(con: Any, tmp_path: Path, model: SraModel) -> None:
    lines = sra_accessions_bytes(model).split(b"\n")
    lines[7] = b"\t".join(lines[7].split(b"\t")[:19])
    with pytest.raises(DamagedFileError, match="sra_accessions"):
        load(con, tmp_path, b"\n".join(lines))


def test_a_line_of_21_fields_is_refused(con: Any, tmp_path: Path, model: SraModel) -> None:
    lines = sra_accessions_bytes(model).split(b"\n")
    lines[9] = lines[9] + b"\textra"
    with pytest.raises(DamagedFileError, match="sra_accessions"):
        load(con, tmp_path, b"\n".join(lines))


def test_a_file_cut_mid_line_is_refused(con: Any, tmp_path: Path, model: SraModel) -> None:
    data = sra_accessions_bytes(model)
    last = data.rindex(b"\n", 0, len(data) - 1)
    cut = data.index(b"\t", last + 1) + 3
    with pytest.raises(DamagedFileError, match="sra_accessions"):
        load(con, tmp_path, data[:cut])


# --- the free-disk check ----------------------------------------------------------------------

Usage = namedtuple("Usage", "total used free")


def remote(size: int | None) -> Any:
    from elinkcli.eutils.download import Remote

    return Remote("http://127.0.0.1/x", size, None, None)


@pytest.fixture
def free(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The free bytes shutil.disk_usage reports (set [0])."""
    box = [0]
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10**13, 0, box[0]))
    return box


def test_room_for_refuses_too_small_a_disk(free: list[int], tmp_path: Path) -> None:
    from elinkcli.commands.tables import TABLE_SHARE, _room_for

    size = 28 * 10**9
    need = size + int(size * TABLE_SHARE)
    free[0] = need - 1
    part = tmp_path / "sra.part"
    with pytest.raises(TablesError) as caught:
        _room_for(SPEC, remote(size), part, None)
    text = str(caught.value)
    assert f"{size / 1e9:.1f} GB" in text and f"{need / 1e9:.1f} GB" in text
    assert "--dir" in text and str(tmp_path) in text and "no table was loaded" in text
    free[0] = need
    _room_for(SPEC, remote(size), part, None)


def test_room_for_counts_a_partial_download(free: list[int], tmp_path: Path) -> None:
    from elinkcli.commands.tables import TABLE_SHARE, _room_for

    size = 10_000
    part = tmp_path / "sra.part"
    part.write_bytes(b"x" * 4_000)
    free[0] = size - 4_000 + int(size * TABLE_SHARE)
    _room_for(SPEC, remote(size), part, None)
    free[0] -= 1
    with pytest.raises(TablesError):
        _room_for(SPEC, remote(size), part, None)


def test_room_for_an_unknown_size_does_not_refuse(free: list[int], tmp_path: Path) -> None:
    from elinkcli.commands.tables import _room_for

    free[0] = 0
    _room_for(SPEC, remote(None), tmp_path / "sra.part", None)


def test_room_for_names_the_table_still_in_use(free: list[int], tmp_path: Path) -> None:
    from elinkcli.commands.tables import _room_for

    free[0] = 0
    before = Loaded(
        SPEC.name,
        "v1",
        tmp_path,
        Upstream("x", 1, "Tue, 01 Dec 2026 00:00:00 GMT"),
        3,
        None,
        0.0,
        (),
        0,
    )
    with pytest.raises(TablesError, match=r"sra_accessions 2026-12-01.*still in use"):
        _room_for(SPEC, remote(10**9), tmp_path / "sra.part", before)
