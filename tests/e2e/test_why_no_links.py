"""`link --why` says why each id without links has none, where it can be known: the record
has no link of that name today but others (ELink acheck), no link at all, or names no
record (ESummary); a local table that holds none (tests/e2e/test_tables.py loads one)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_elinkcli
from support.fake_eutils import FakeEutils

pytestmark = pytest.mark.e2e


def test_verbose_says_why_each_id_has_no_links() -> None:
    # The fake's link model (support.fake_eutils.default_tables): gene n has n % 5
    # gene_protein links and n % 4 gene_pubmed links. 5: no gene_protein, one
    # gene_pubmed; 20: none of either; 999 names no record.
    with FakeEutils() as fake:
        for uid in ("5", "20", "6"):
            fake.add_record("gene", uid)
        fake.unknown_ids.add("999")
        got = run_elinkcli(
            "link", "-db", "gene", "-target", "protein", "-name", "gene_protein",
            "-id", "6,5,20,999", "--why", base_url=fake.base_url,
        )  # fmt: skip
        acheck = [e for e in fake.log if e.get("cmd") == "acheck"]
        summaries = [e for e in fake.log if e.path.endswith("esummary.fcgi")]
    assert got.returncode == 0, got.stderr
    lines = [line for line in got.stderr.splitlines() if line.startswith("elinkcli: no links")]
    assert lines == [
        "elinkcli: no links for 5: the record has no gene_protein link today (ELink acheck); "
        "it has gene_pubmed",
        "elinkcli: no links for 20: the record has no links at all today (ELink acheck)",
        "elinkcli: no links for 999: names no gene record (ESummary)",
    ]
    # One acheck for the three ids without links, one ESummary for the two with none at all.
    assert len(acheck) == 1 and sorted(acheck[0].values("id")) == ["20", "5", "999"]
    assert len(summaries) == 1


def test_without_why_nothing_more_is_asked() -> None:
    with FakeEutils() as fake:
        got = run_elinkcli(
            "link", "-db", "gene", "-target", "protein", "-name", "gene_protein",
            "-id", "5,20", "-v", base_url=fake.base_url,
        )  # fmt: skip
        cmds = [e.get("cmd") for e in fake.log]
    assert got.returncode == 0, got.stderr
    assert cmds == ["neighbor"]
    assert "no links for" not in got.stderr


def test_an_id_a_table_answered_without_links_names_the_table(tmp_path: Path) -> None:
    from support.file_server import FileServer
    from support.ncbi_files import links, make_data, ncbi_files

    data = make_data()
    with_links = sorted(links(data, "gene_pubmed"), key=int)[0]
    absent = "7"  # GeneIDs of the dataset are larger: not in gene2pubmed
    assert absent not in links(data, "gene_pubmed")
    env = {"ELINKCLI_TABLES_DIR": str(tmp_path / "t")}
    with FileServer(ncbi_files(data)) as fs, FakeEutils() as fake:
        env["ELINKCLI_TABLES_URL"] = fs.base_url
        loaded = run_elinkcli("tables", "get", "gene2pubmed", env=env)
        assert loaded.returncode == 0, loaded.stderr
        got = run_elinkcli(
            "link", "-db", "gene", "-target", "pubmed", "-id", f"{with_links},{absent}", "--why",
            base_url=fake.base_url, env=env,
        )  # fmt: skip
        asked = list(fake.log)
    assert got.returncode == 0, got.stderr
    assert asked == []  # the table answered, and said why: ELink is not asked
    assert (
        f"elinkcli: no links for {absent}: table gene2pubmed 2026-12-01 holds no gene_pubmed "
        "link for it"
    ) in got.stderr.splitlines()
