"""End to end: DOIs as ids of pubmed and pmc, and `--idtype doi` (issue 32, part 2).

The fake server's DOI model (tests/support/fake_eutils.py, `add_doi`): ESearch finds
`"DOI"[doi]` terms OR'ed (any case), ESummary names each record's DOI in `ArticleIds`.
Every expected value comes from the fake's model.
"""

from __future__ import annotations

import pytest
from conftest import assert_clean_error, parse_tsv
from support.fake_eutils import FakeEutils, Table, _spread

pytestmark = pytest.mark.e2e

# pubmed records and their DOIs: one with parentheses, angle brackets and a semicolon.
DOIS = {
    "23845962": "10.1038/nature12373",
    "10000003": "10.1002/(SICI)1097-4636(199706)35:4<513::AID-JBM12>3.0.CO;2-C",
    "10000005": "10.1371/journal.pone.0000005",
}


@pytest.fixture
def dois(fake: FakeEutils) -> FakeEutils:
    for uid, doi in DOIS.items():
        fake.add_doi("pubmed", uid, doi)
    fake.tables["pubmed_pmc"] = Table("pubmed", "pmc", lambda u: _spread(u, 3_000_000, 4))
    return fake


def rows_for(fake: FakeEutils, pairs: list[tuple[str, str]], acc=lambda uid: "") -> list[tuple]:
    return [
        ("pubmed", token, linkname, dbto, target, "", uid, acc(target))
        for token, uid in pairs
        for linkname, dbto, targets in fake.links("pubmed", uid, "pmc", "pubmed_pmc")
        for target in targets
    ]


def test_pubmed_to_pmc_by_doi_in_its_three_forms(dois, run) -> None:
    fake = dois
    tokens = [
        "10.1038/NATURE12373",
        "doi:10.1371/journal.pone.0000005",
        "https://doi.org/10.1002/(SICI)1097-4636(199706)35:4%3C513::AID-JBM12%3E3.0.CO;2-C",
    ]
    proc = run("link", "-db", "pubmed", "-target", "pmc", "-id", ",".join(tokens))
    assert proc.returncode == 0, proc.stderr
    pairs = list(zip(tokens, ["23845962", "10000005", "10000003"], strict=True))
    expected = rows_for(fake, pairs)
    assert expected and parse_tsv(proc.stdout, full=True) == expected
    searches = fake.requests_to("esearch.fcgi")
    assert len(searches) == 1  # one OR'ed search of the three
    assert searches[0].get("term").count("[doi]") == 3
    assert len(fake.requests_to("esummary.fcgi")) == 1


def test_a_doi_with_brackets_from_stdin_is_one_token(dois, run) -> None:
    doi = DOIS["10000003"]
    proc = run("link", "-db", "pubmed", "-target", "pmc", stdin=f"{doi}\n".encode())
    assert proc.returncode == 0, proc.stderr
    assert parse_tsv(proc.stdout, full=True) == rows_for(dois, [(doi, "10000003")])


def test_mixed_dois_pmids_and_an_unknown_doi(dois, run) -> None:
    fake = dois
    tokens = ["10.1038/nature12373", "10000005", "doi:10.9999/No.Such.DOI"]
    proc = run("link", "-db", "pubmed", "-target", "pmc", "-id", ",".join(tokens))
    line = assert_clean_error(proc, 3)
    assert "doi:10.9999/No.Such.DOI" in line
    warning = next(w for w in proc.stderr.splitlines() if "warning" in w)
    assert "doi:10.9999/No.Such.DOI names no pubmed record" in warning
    expected = rows_for(fake, [("10.1038/nature12373", "23845962"), ("10000005", "10000005")])
    assert expected and parse_tsv(proc.stdout, full=True) == expected


def test_a_doi_naming_several_records_is_named(dois, run) -> None:
    fake = dois
    fake.add_doi("pubmed", "10000007", "10.1038/Nature12373")  # a duplicate record
    proc = run("link", "-db", "pubmed", "-target", "pmc", "-id", "10.1038/nature12373,10000005")
    line = assert_clean_error(proc, 3)
    assert "10.1038/nature12373 names 2 pubmed records (10000007, 23845962)" in line
    assert parse_tsv(proc.stdout, full=True) == rows_for(fake, [("10000005", "10000005")])


def test_a_doi_is_no_id_of_other_databases(fake, run) -> None:
    proc = run("link", "-db", "gene", "-target", "pubmed", "-id", "10.1038/nature12373")
    assert_clean_error(proc, 2)
    assert fake.log == []


def test_idtype_doi_fills_target_acc(fake, run) -> None:
    targets = [u for _, _, ts in fake.links("gene", "675", "pubmed") for u in ts]
    assert len(targets) >= 2
    with_doi = {u: f"10.5555/target.{u}" for u in targets[1:]}
    for uid in targets:
        fake.add_record("pubmed", uid)  # the first has no DOI
    for uid, doi in with_doi.items():
        fake.add_doi("pubmed", uid, doi)
    proc = run("link", "-db", "gene", "-target", "pubmed", "-id", "675", "--idtype", "doi")
    assert proc.returncode == 0, proc.stderr
    rows = parse_tsv(proc.stdout, full=True)
    assert [(r[4], r[7]) for r in rows] == [(u, with_doi.get(u, "")) for u in targets]
    assert all(r.get("idtype") is None for r in fake.requests_to("elink.fcgi"))
    uids = run("link", "-db", "gene", "-target", "pubmed", "-id", "675", "--idtype", "doi",
               "--format", "uid")  # fmt: skip
    assert uids.returncode == 0, uids.stderr
    assert uids.stdout.split() == [with_doi.get(u, u) for u in targets]


def test_idtype_doi_to_a_database_without_dois_warns(fake, run) -> None:
    proc = run("link", "-db", "gene", "-target", "protein", "-id", "7157", "--idtype", "doi")
    assert proc.returncode == 0, proc.stderr
    assert "protein records have no DOI" in proc.stderr
    rows = parse_tsv(proc.stdout, full=True)
    assert rows and all(r[7] == "" for r in rows)
    assert fake.requests_to("esummary.fcgi") == []


def test_unknown_idtype_is_refused(fake, run) -> None:
    proc = run("link", "-db", "gene", "-target", "pubmed", "-id", "672", "--idtype", "pmid")
    line = assert_clean_error(proc, 2)
    assert "acc, doi" in line


def test_doi_resolutions_and_target_dois_are_cached(dois, run, tmp_path) -> None:
    fake = dois
    env = {"ELINKCLI_CACHE_DIR": str(tmp_path / "cache")}
    for uid in [u for _, _, ts in fake.links("pubmed", "23845962", "pmc") for u in ts]:
        fake.add_doi("pmc", uid, f"10.5555/pmc.{uid}")
    for uid in [u for _, _, ts in fake.links("pubmed", "10000005", "pmc") for u in ts]:
        fake.add_record("pmc", uid)  # no DOI: that answer is cached too
    args = ("link", "-db", "pubmed", "-target", "pmc", "-id", "10.1038/nature12373,10000005",
            "--idtype", "doi")  # fmt: skip
    first = run(*args, env=env)
    assert first.returncode == 0, first.stderr
    assert any(r[7].startswith("10.5555/pmc.") for r in parse_tsv(first.stdout, full=True))
    before = len(fake.log)
    second = run(*args, env=env)
    assert second.returncode == 0 and second.stdout == first.stdout
    assert len(fake.log) == before  # no ESearch, no ESummary, no ELink
    # The same DOI in another form and case is the same cached resolution.
    other = run("link", "-db", "pubmed", "-target", "pmc", "-id", "DOI:10.1038/Nature12373",
                "--offline", env=env)  # fmt: skip
    assert other.returncode == 0, other.stderr
    assert len(fake.log) == before


def test_idtype_doi_from_a_loaded_pmc_ids_table(tmp_path) -> None:
    """With PMC-ids.csv loaded (`tables get pmc_ids`), --idtype doi reads the DOIs of the
    pmc targets from it; only the targets it has no DOI for go to ESummary."""
    pytest.importorskip("duckdb")
    from conftest import run_elinkcli
    from support.file_server import FileServer
    from support.ncbi_files import fake_tables, make_data, ncbi_files

    data = make_data()
    with FileServer(ncbi_files(data)) as fs, FakeEutils(tables=fake_tables(data)) as fake:
        env = {
            "ELINKCLI_TABLES_DIR": str(tmp_path / "tables"),
            "ELINKCLI_TABLES_URL": fs.base_url,
            "ELINKCLI_CACHE_DIR": str(tmp_path / "cache"),
            "NCBI_API_KEY": "doi-suite-key",
        }

        def run(*args: str):
            return run_elinkcli(*args, base_url=fake.base_url, env=env, timeout=60)

        got = run("tables", "get", "pmc_ids")
        assert got.returncode == 0, got.stderr
        rows = [r for r in data.pmc if r.pmid]
        pmids = [r.pmid for r in rows[:6]]
        doi_of_pmc = {r.pmcid[3:]: r.doi for r in data.pmc}
        proc = run("link", "-db", "pubmed", "-target", "pmc", "-name", "pubmed_pmc",
                   "-id", ",".join(pmids), "--idtype", "doi")  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        lines = [line.split("\t") for line in proc.stdout.splitlines()[1:]]
        assert lines and all(len(r) == 9 for r in lines)
        assert [(r[4], r[7]) for r in lines] == [(r[4], doi_of_pmc[r[4]]) for r in lines]
        asked = [i for r in fake.requests_to("esummary.fcgi") for i in r.get("id").split(",")]
        assert sorted(asked) == sorted(r[4] for r in lines if not doi_of_pmc[r[4]])
