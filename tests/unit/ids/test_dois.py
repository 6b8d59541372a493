"""DOIs as ids of pubmed and pmc: their forms, how tokens are checked, and how a DocSum's
DOIs are read and matched back to the tokens (elinkcli.accessions, elinkcli.ids.resolve)."""

from __future__ import annotations

import re

import pytest

from elinkcli.accessions import accepted, doi_of, is_doi, readme_table, summary_dois
from elinkcli.errors import UsageError
from elinkcli.ids.resolve import _match_dois, build_table
from elinkcli.ids.tokens import check_ids, split_ids

ODD = "10.1002/(SICI)1097-4636(199706)35:4<513::AID-JBM12>3.0.CO;2-C"


@pytest.mark.parametrize(
    ("token", "doi"),
    [
        ("10.1038/nature12373", "10.1038/nature12373"),
        ("10.1038/NATURE12373", "10.1038/NATURE12373"),
        ("doi:10.1038/nature12373", "10.1038/nature12373"),
        ("DOI:10.1038/nature12373", "10.1038/nature12373"),
        ("https://doi.org/10.1038/nature12373", "10.1038/nature12373"),
        ("http://dx.doi.org/10.1038/nature12373", "10.1038/nature12373"),
        ("HTTPS://DOI.ORG/10.1038/nature12373", "10.1038/nature12373"),
        (ODD, ODD),
        ("https://doi.org/10.1002/(SICI)1097-4636(199706)35:4%3C513::AID-JBM12%3E3.0.CO;2-C", ODD),
        ("https://doi.org/10.1000/a%2Cb", "10.1000/a,b"),  # a comma: only percent-encoded
        ("10.1000.10/abc", "10.1000.10/abc"),
        ("10.123456789/x", "10.123456789/x"),
    ],
)
def test_doi_forms(token: str, doi: str) -> None:
    assert doi_of(token) == doi
    assert is_doi("pubmed", token) and is_doi("pmc", token)


@pytest.mark.parametrize(
    "token",
    [
        "10.1038",
        "10.1038/",
        "10.123/short.registrant",
        "11.1038/nature12373",
        "doi:",
        "https://doi.org/10.1000/a%22b",  # a double quote: no ESearch term can hold it
        '10.1000/a"b',
        "https://doi.org/10.1000/a%20b",  # a space
        "https://doi.org/10.1000/%FF",  # not UTF-8
        "10.1000/caf\u00e9",
        "10.1000/" + "x" * 400,
        "PMC3531190",
        "23845962",
        "doi.org/10.1038/nature12373",
    ],
)
def test_not_dois(token: str) -> None:
    assert doi_of(token) is None


def test_dois_are_ids_of_pubmed_and_pmc_only() -> None:
    assert check_ids(["10.1038/nature12373", "23845962"], "pubmed") == [
        "10.1038/nature12373",
        "23845962",
    ]
    assert check_ids([ODD], "pmc") == [ODD]
    assert not is_doi("gene", "10.1038/nature12373")
    with pytest.raises(
        UsageError, match=re.escape("bad id '10.1038/nature12373' for database gene")
    ):
        check_ids(["10.1038/nature12373"], "gene")
    assert "a DOI such as 10.1038/nature12373" in accepted("pubmed")
    assert "PMC3531190" in accepted("pmc") and "DOI" in accepted("pmc")


def test_a_doi_with_brackets_and_semicolons_is_one_token() -> None:
    assert split_ids([f"{ODD}\n23845962\n"]) == [ODD, "23845962"]
    assert split_ids([f"{ODD},23845962 doi:10.1/x"]) == [ODD, "23845962", "doi:10.1/x"]


def test_summary_dois_version_1_and_2() -> None:
    v1 = [
        ("Title", "A title"),
        ("pubmed", "23845962"),
        ("doi", "10.1038/nature12373"),
        ("pmcid", "pmc-id: PMC3761280;"),
        ("DOI", "10.1038/nature12373"),
    ]
    assert summary_dois(v1) == ["10.1038/nature12373"]
    v2 = [
        ("IdType", "pubmed"),
        ("Value", "23845962"),
        ("IdType", "doi"),
        ("IdTypeN", "3"),
        ("Value", "10.1038/nature12373"),
        ("Value", "10.9999/not.a.doi.id"),  # a Value after the doi's is not a DOI
    ]
    assert summary_dois(v2) == ["10.1038/nature12373"]
    assert summary_dois([("doi", "not a doi"), ("Title", "10.1/x")]) == []


def test_matching_ignores_case_and_names_none_or_several() -> None:
    tokens = ["doi:10.1038/NATURE12373", "10.1/none", "10.1/two"]
    doi = {t: doi_of(t) or t for t in tokens}
    records = {"1": ["10.1038/nature12373"], "2": ["10.1/Two"], "3": ["10.1/two"]}
    found = _match_dois("pubmed", tokens, doi, records)
    assert found["doi:10.1038/NATURE12373"] == ("1", ["10.1038/nature12373"])
    assert found["10.1/none"] == "names no pubmed record (no such DOI)"
    assert found["10.1/two"] == "names 2 pubmed records (2, 3)"


def test_a_doi_needs_ncbi() -> None:
    with pytest.raises(UsageError, match="need NCBI"):
        build_table(None, "pubmed", ["10.1038/nature12373"])


def test_the_manual_table_has_a_doi_row() -> None:
    assert "| pubmed, pmc | `10.1038/nature12373`" in readme_table()


def test_a_loaded_pmc_ids_table_gives_dois(tmp_path) -> None:
    """Reader.dois reads pmc.parquet as the pmc_ids load writes it (pmid, pmc, doi)."""
    duckdb = pytest.importorskip("duckdb")
    from types import SimpleNamespace

    from elinkcli.tables.lookup import Reader

    rows = [(23845962, 3761280, "10.1038/nature12373"), (10000005, 42, None), (None, 43, "10.1/x")]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (pmid BIGINT, pmc BIGINT, doi VARCHAR, release VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?, 'N')", rows)
    con.execute(f"COPY t TO '{tmp_path / 'pmc.parquet'}' (FORMAT parquet)")
    con.close()
    loaded = SimpleNamespace(path=tmp_path, name="pmc_ids")
    reader = Reader()
    try:
        asked = ["23845962", "10000005", "99", "x"]
        assert reader.dois(loaded, "pubmed", asked) == {"23845962": "10.1038/nature12373"}  # type: ignore[arg-type]
        assert reader.dois(loaded, "pmc", ["3761280", "42", "43"]) == {  # type: ignore[arg-type]
            "3761280": "10.1038/nature12373",
            "43": "10.1/x",
        }
        assert reader.dois(loaded, "gene", ["1"]) == {}  # type: ignore[arg-type]
    finally:
        reader.close()
