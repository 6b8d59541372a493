"""End to end: elinkcli's own link names (ELink has none) answered from NCBI's
gene_orthologs and gene2ensembl files, served on 127.0.0.1 and loaded by `tables get`.

Every expected value comes from the dataset (support.ncbi_files: `links`, its rows), never
from elinkcli's output; the fake E-utilities must not be asked for these link names.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import assert_clean_error, run_elinkcli
from support.fake_eutils import FakeEutils, elink_requests
from support.file_server import FileServer
from support.ncbi_files import OWN_LINKNAMES, LinkData, fake_tables, links, ncbi_files
from support.tables_fixtures import (
    ABSENT,
    OWN_ANSWERED_BY,
    SERVED_DATE,
    dataset,
    expected_pairs,
    probe_ids,
    rows_of,
    taxon_rows,
    tsv_text,
)

pytestmark = pytest.mark.e2e

KEY = {"NCBI_API_KEY": "tables-suite-key"}
OWN_TABLES = ("gene_orthologs", "gene2ensembl")


@dataclass
class Site:
    fs: FileServer
    fake: FakeEutils
    tables_dir: Path
    data: LinkData

    def run(
        self, *args: str, env: Mapping[str, str | None] | None = None
    ) -> subprocess.CompletedProcess:
        full: dict[str, str | None] = {
            "ELINKCLI_TABLES_DIR": str(self.tables_dir),
            "ELINKCLI_TABLES_URL": self.fs.base_url,
            **KEY,
            **(env or {}),
        }
        proc = run_elinkcli(*args, base_url=self.fake.base_url, env=full, timeout=60)
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc

    def get(self, *args: str) -> None:
        proc = self.run("tables", "get", *args)
        assert proc.returncode == 0, proc.stderr

    def link(self, linkname: str, ids: Sequence[str], *more: str) -> subprocess.CompletedProcess:
        dbfrom, dbto = OWN_LINKNAMES[linkname]
        argv = ("link", "-db", dbfrom, "-target", dbto, "-name", linkname, "-id", ",".join(ids))
        return self.run(*argv, *more)


def _site(tables_dir: Path) -> Iterator[Site]:
    data = dataset()
    with FileServer(ncbi_files(data)) as fs, FakeEutils(tables=fake_tables(data)) as fake:
        yield Site(fs, fake, tables_dir, data)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    yield from _site(tmp_path / "tables")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Both files loaded once; the tests using it only read."""
    for here in _site(tmp_path_factory.mktemp("own") / "tables"):
        here.get(*OWN_TABLES)
        yield here


def origin(table: str) -> str:
    return f"{table} {SERVED_DATE}"


@pytest.mark.parametrize("linkname", sorted(OWN_LINKNAMES))
@pytest.mark.parametrize("links_from", [None, "auto", "tables"])
def test_own_link_names_answer_as_the_dataset(
    world: Site, linkname: str, links_from: str | None
) -> None:
    view = links(world.data, linkname)
    ids = probe_ids(world.data, linkname)
    want = expected_pairs(view, ids)
    assert want and any(i not in view for i in ids)
    since = len(world.fake.log)
    more = ("--from", links_from) if links_from else ()
    proc = world.link(linkname, ids, *more)
    assert proc.returncode == 0, proc.stderr
    dbfrom, dbto = OWN_LINKNAMES[linkname]
    table = OWN_ANSWERED_BY[linkname]
    assert proc.stdout == tsv_text(want, dbfrom, linkname, dbto, origin(table))
    assert elink_requests(world.fake, since) == [], "ELink has no such link name"


def test_orthologs_are_symmetric(world: Site) -> None:
    for _t, gene, _o, other in world.data.orthologs:
        proc = world.link("gene_gene_ortholog", [str(gene), str(other)], "-format", "uid")
        assert proc.returncode == 0, proc.stderr
        got = proc.stdout.split()
        assert str(other) in got and str(gene) in got


def test_target_ensembl_alone_is_gene_ensembl_in_every_format(world: Site) -> None:
    view = links(world.data, "gene_ensembl")
    ids = [*list(view)[:5], ABSENT[0]]
    want = expected_pairs(view, ids)
    base = ("link", "-db", "gene", "-target", "ensembl", "-id", ",".join(ids))

    tsv = world.run(*base)
    assert tsv.returncode == 0, tsv.stderr
    assert tsv.stdout == tsv_text(want, "gene", "gene_ensembl", "ensembl", origin("gene2ensembl"))
    assert "not in the catalog" not in tsv.stderr and "unknown" not in tsv.stderr

    uid = world.run(*base, "-format", "uid")
    assert uid.returncode == 0, uid.stderr
    assert uid.stdout.split() == list(dict.fromkeys(t for _s, t in want))

    js = world.run(*base, "--format", "json")
    assert js.returncode == 0, js.stderr
    rows = json.loads(js.stdout)
    assert [(r["source_id"], r["target_id"]) for r in rows] == want
    assert {(r["linkname"], r["target_db"], r["source"]) for r in rows} == {
        ("gene_ensembl", "ensembl", origin("gene2ensembl"))
    }

    strict = world.run(*base, "--strict")
    assert strict.returncode == 0, strict.stderr


def test_gene_gene_ortholog_formats(world: Site) -> None:
    view = links(world.data, "gene_gene_ortholog")
    ids = list(view)[:4]
    want = expected_pairs(view, ids)
    js = world.link("gene_gene_ortholog", ids, "--format", "jsonl", "--strict")
    assert js.returncode == 0, js.stderr
    rows = [json.loads(line) for line in js.stdout.splitlines()]
    assert [(r["source_id"], r["target_id"]) for r in rows] == want
    assert {r["source"] for r in rows} == {origin("gene_orthologs")}


def test_from_elink_refuses_an_own_link_name(world: Site) -> None:
    since = len(world.fake.log)
    proc = world.link("gene_gene_ortholog", ["1"], "--from", "elink")
    line = assert_clean_error(proc, 2)
    assert "elinkcli's own" in line and "tables get gene_orthologs" in line
    proc = world.run("link", "-db", "gene", "-target", "ensembl", "-id", "1", "--from", "elink")
    assert "tables get gene2ensembl" in assert_clean_error(proc, 2)
    assert elink_requests(world.fake, since) == []


def test_not_loaded_is_exit_2_naming_tables_get(site: Site) -> None:
    for linkname, table in OWN_ANSWERED_BY.items():
        proc = site.link(linkname, ["9830"])
        line = assert_clean_error(proc, 2)
        assert f"elinkcli tables get {table}" in line, line
    site.get("gene2pubmed")  # another table loaded: still refused, never asked of ELink
    proc = site.link("gene_gene_ortholog", ["9830"], "--from", "auto")
    assert "elinkcli tables get gene_orthologs" in assert_clean_error(proc, 2)
    assert elink_requests(site.fake) == []


def test_get_counts_rows_and_keeps_taxa(site: Site) -> None:
    site.get(*OWN_TABLES, "--taxon", "7227")
    listed = {
        e["name"]: e for e in json.loads(site.run("tables", "list", "--json", "--offline").stdout)
    }
    for table in OWN_TABLES:
        assert listed[table]["rows"] == taxon_rows(site.data, table, 7227) > 0
        assert listed[table]["taxa"] == [7227]
    fly = {r.gene for r in site.data.ensembl if r.tax_id == 7227}
    view = links(site.data, "gene_gene_ortholog")
    # A pair with one fly side is kept, both ways: the mouse or human gene finds the fly one.
    kept = [(a, b) for t, a, o, b in site.data.orthologs if 7227 in (t, o)]
    some = [str(a) for a, _b in kept[:3]] + [str(b) for _a, b in kept[:3]]
    proc = site.link("gene_gene_ortholog", some, "-format", "uid")
    assert proc.returncode == 0, proc.stderr
    want = {str(x) for pair in kept[:3] for x in pair}
    assert set(proc.stdout.split()) <= {t for s in some for t in view.get(s, [])}
    assert want <= set(proc.stdout.split())
    ens = site.link("gene_ensembl", [str(g) for g in sorted(fly)][:3], "-format", "uid")
    assert ens.returncode == 0 and all(t.startswith("FBgn") for t in ens.stdout.split())


def test_whole_files_load_every_row(site: Site) -> None:
    site.get(*OWN_TABLES)
    listed = {
        e["name"]: e for e in json.loads(site.run("tables", "list", "--json", "--offline").stdout)
    }
    for table in OWN_TABLES:
        assert listed[table]["loaded"] is True
        assert listed[table]["rows"] == rows_of(site.data, table)
        assert listed[table]["upstream_date"] == SERVED_DATE


def test_discover_lists_loaded_own_link_names(site: Site) -> None:
    before = site.run("discover", "-db", "gene", "--offline", "--format", "json")
    assert before.returncode == 0, before.stderr
    assert not {r["linkname"] for r in json.loads(before.stdout)} & set(OWN_LINKNAMES)
    site.get(*OWN_TABLES)
    after = site.run("discover", "-db", "gene", "--offline", "--format", "json")
    assert after.returncode == 0, after.stderr
    rows = {r["linkname"]: r for r in json.loads(after.stdout)}
    for linkname, (_dbfrom, dbto) in OWN_LINKNAMES.items():
        assert rows[linkname]["attested_by"] == "elinkcli"
        assert rows[linkname]["target_db"] == dbto
        assert "elinkcli's own" in rows[linkname]["description"]
    ens = site.run("discover", "-db", "gene", "--offline", "--target", "ensembl", "-format", "uid")
    assert ens.returncode == 0, ens.stderr
    assert sorted(ens.stdout.split()) == sorted(
        n for n, (_f, t) in OWN_LINKNAMES.items() if t == "ensembl"
    )


def test_compare_refuses_own_tables(site: Site) -> None:
    site.get("gene_orthologs")
    proc = site.run("tables", "compare", "gene_orthologs", "--sample", "3")
    assert "ELink has none" in assert_clean_error(proc, 2)
