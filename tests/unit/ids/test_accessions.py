"""Accession resolution and echo mapping in the library: ESearch/ESummary answered by the
fake server's model through requests-mock, ELink answers written here to echo ids in
forms NCBI uses (UID, accession.version), a fake clock for pacing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import pytest
from support.fake_eutils import FakeEutils
from support.fakes import elink_xml
from support.modeled import BASE, Model, make_client, serve
from support.paths import TESTS

from elinkcli.commands.link import link
from elinkcli.constants import ELINK, ESEARCH, ESUMMARY
from elinkcli.errors import CacheMissError, UnknownIdsError
from elinkcli.eutils.client import EutilsClient
from elinkcli.ids.resolve import accessions_of, build_table


@pytest.fixture
def fake() -> FakeEutils:
    fake = FakeEutils()
    fake.add_record("nuccore", 1890001, "NM_000546.5")
    fake.add_record("nuccore", 1890002, "NM_000546.6")
    fake.add_record("nuccore", 1890003, "AL032671.1")
    for n in range(1, 6):
        fake.add_record("bioproject", 300_000 + n, f"PRJNA{n}")
    return fake


@pytest.fixture
def served(requests_mock: Any, fake: FakeEutils) -> dict[str, Model]:
    return serve(requests_mock, fake, (ESEARCH, ESUMMARY))


@pytest.fixture
def client(tmp_path: Any) -> Iterator[EutilsClient]:
    with make_client(tmp_path) as c:
        yield c


def test_sequence_accessions_by_summary_in_input_order(client, served) -> None:
    tokens = ["AL032671.1", "7", "NM_000546", "nm_000546.5", "NM_000546.99"]
    table = build_table(client, "nuccore", tokens)
    assert table.tokens == ["AL032671.1", "7", "NM_000546", "nm_000546.5"]
    assert [table.uid(t) for t in table.tokens] == ["1890003", "7", "1890002", "1890001"]
    assert table.problems == [
        ("NM_000546.99", "names no nuccore record (no such accession, or no such version)")
    ]
    (summary,) = served[ESUMMARY].log
    assert dict(summary)["id"] == "AL032671.1,NM_000546,nm_000546.5,NM_000546.99"
    assert served[ESEARCH].log == []


def test_search_terms_are_ored_and_read_back_not_paired_by_position(client, served) -> None:
    tokens = ["PRJNA5", "PRJNA1", "PRJNA3", "PRJNA404"]
    table = build_table(client, "bioproject", tokens)
    # ESearch answers the union sorted by UID: PRJNA5's UID comes last, yet maps right.
    assert {t: table.uid(t) for t in table.tokens} == {
        "PRJNA5": "300005",
        "PRJNA1": "300001",
        "PRJNA3": "300003",
    }
    assert table.problems == [("PRJNA404", "names no bioproject record")]
    (search,) = served[ESEARCH].log
    assert dict(search)["term"] == "PRJNA5[PRJA] OR PRJNA1[PRJA] OR PRJNA3[PRJA] OR PRJNA404[PRJA]"
    (summary,) = served[ESUMMARY].log
    assert sorted(dict(summary)["id"].split(",")) == ["300001", "300003", "300005"]


def test_resolutions_come_from_the_cache_the_second_time(tmp_path, served) -> None:
    with make_client(tmp_path) as c:
        first = build_table(c, "bioproject", ["PRJNA1", "PRJNA2"])
    with make_client(tmp_path, "offline") as c:
        again = build_table(c, "bioproject", ["prjna1", "PRJNA2"])
        assert [again.uid(t) for t in again.tokens] == [first.uid("PRJNA1"), first.uid("PRJNA2")]
        with pytest.raises(CacheMissError):
            build_table(c, "bioproject", ["PRJNA3"])
    assert len(served[ESEARCH].log) == 1


def test_target_accessions_per_database(client, served) -> None:
    assert accessions_of(client, "nuccore", ["1890002", "1890003", "42"]) == {
        "1890002": "NM_000546.6",
        "1890003": "AL032671.1",
    }
    assert accessions_of(client, "pmc", ["12"]) == {"12": "PMC12"}
    assert accessions_of(client, "snp", ["334"]) == {"334": "rs334"}
    assert accessions_of(client, "pubmed", ["1"]) == {}
    before = len(served[ESUMMARY].log)
    accessions_of(client, "nuccore", ["1890002"])
    assert len(served[ESUMMARY].log) == before  # cached per UID


@pytest.mark.parametrize(
    "echo",
    ["1890002", "NM_000546.6", "nm_000546.6"],
    ids=["uid", "accession.version", "lower case"],
)
def test_every_echo_form_maps_back_to_the_token(client, served, requests_mock, echo) -> None:
    table = build_table(client, "nuccore", ["NM_000546", "AL032671.1"])
    answer = elink_xml({echo: ["11", "12"], "1890003": ["13"]}, dbfrom="nuccore")
    requests_mock.post(BASE + ELINK, text=answer)
    rows = list(link(table.tokens, db="nuccore", target="protein", client=client, table=table))
    assert [(r.source_id, r.source_uid, r.target_id) for r in rows] == [
        ("NM_000546", "1890002", "11"),
        ("NM_000546", "1890002", "12"),
        ("AL032671.1", "1890003", "13"),
    ]
    sent = [v for k, v in parse_qsl(requests_mock.request_history[-1].body) if k == "id"]
    assert sent == ["1890002", "1890003"]


def test_an_echo_of_no_given_token_is_never_attributed_to_one(
    client, served, requests_mock
) -> None:
    table = build_table(client, "nuccore", ["NM_000546"])
    requests_mock.post(BASE + ELINK, text=elink_xml({"1890001": ["11"]}, dbfrom="nuccore"))
    rows = list(link(table.tokens, db="nuccore", target="protein", client=client, table=table))
    assert all(r.source_id != "NM_000546" for r in rows)


RECORDED = [
    ("elink1.xml", "pubmed", "pubmed", ["9298984"]),
    ("elink4.xml", "pubmed", "pubmed", ["12242737"]),
    ("bioperl.elink_neighbor_corr.xml", "protein", "pubmed", None),
    ("bioperl.elink_multidb_corr.xml", "protein", "taxonomy", None),
]


@pytest.mark.parametrize(("name", "dbfrom", "dbto", "ids"), RECORDED, ids=[r[0] for r in RECORDED])
def test_real_answers_map_back_to_tokens_with_leading_zeros(
    client, requests_mock, name, dbfrom, dbto, ids
) -> None:
    """A real answer echoes the UID (`9298984`); the user typed `009298984`."""

    from elinkcli.eutils.elink_parser import parse_elink

    data = (TESTS / "fixtures" / "eutils" / "responses" / name).read_bytes()
    echoed = [ls.ids[0] for ls in parse_elink(data).linksets]
    tokens = ["00" + i for i in (ids or echoed)]
    requests_mock.post(BASE + ELINK, content=data)
    table = build_table(client, dbfrom, tokens)
    rows = list(link(table.tokens, db=dbfrom, target=dbto, client=client, table=table))
    assert rows
    expected = {(t, t.lstrip("0")) for t in tokens}
    assert {(r.source_id, r.source_uid) for r in rows} == expected
    result = parse_elink(data)
    n_links = sum(len(d.ids) for ls in result.linksets for d in ls.linksetdbs)
    assert len(rows) == n_links


def test_the_library_maps_ids_as_typed_without_a_table(client, served, requests_mock) -> None:
    """link() called with ids as a user types them: `007` is asked as 7 and keeps its name,
    accessions are resolved, an unknown one is raised after the other rows."""
    answer = elink_xml({"7": ["71"], "1890003": ["13"]}, dbfrom="nuccore")
    requests_mock.post(BASE + ELINK, text=answer)
    rows = []
    with pytest.raises(UnknownIdsError, match=r"NM_999999\.1"):
        for row in link(
            ["007", "AL032671.1", "NM_999999.1"], db="nuccore", target="protein", client=client
        ):
            rows.append(row)
    assert [(r.source_id, r.source_uid, r.target_id) for r in rows] == [
        ("007", "7", "71"),
        ("AL032671.1", "1890003", "13"),
    ]
