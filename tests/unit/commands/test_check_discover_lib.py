"""`elinkcli.commands.check.check`, `elinkcli.commands.discover.discover` and
`discover_records` over requests-mock, with real NCBI answers where there are some.

Expected values are read from the served XML with the standard library's parser (or from
the bundled catalog), never from what elinkcli returns.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from support.fakes import FakeClock, form_values
from support.paths import TESTS

from elinkcli.catalog import load_catalog
from elinkcli.commands.check import CHECK_COLUMNS, CheckRow, check
from elinkcli.commands.discover import (
    NAME_COLUMNS,
    RECORD_COLUMNS,
    LinkNameRow,
    RecordLinkRow,
    discover,
    discover_records,
)
from elinkcli.commands.ledger import Ledger
from elinkcli.config import Settings
from elinkcli.constants import EINFO, ELINK, MAX_BATCH
from elinkcli.errors import PermanentError, UsageError
from elinkcli.eutils.client import EutilsClient

BASE = "https://eutils.test/entrez/eutils/"
ELINK_URL = BASE + ELINK
EINFO_URL = BASE + EINFO
RESPONSES = TESTS / "fixtures" / "eutils" / "responses"
# The order BioPerl asked in (manifest.json); NCBI answered in another order.
BIOPERL_IDS = ["730439", "68536103", "1621261", "20807972"]
HEAD = '<?xml version="1.0" encoding="UTF-8" ?>\n'


@pytest.fixture
def client(clock: FakeClock) -> Iterator[EutilsClient]:
    settings = Settings(base_url=BASE, email="t@example.org", max_tries=3)
    with EutilsClient(settings, clock=clock, rng=random.Random(7)) as c:
        yield c


def fixture_bytes(name: str) -> bytes:
    return (RESPONSES / name).read_bytes()


def id_attrs(name: str, attr: str) -> dict[str, str]:
    """{id: attribute} of every <Id> in an IdCheckList of a recorded answer."""
    root = ET.fromstring(fixture_bytes(name))
    return {el.text or "": el.get(attr, "") for el in root.iter("Id") if el.get(attr)}


def link_infos(name: str) -> dict[str, list[dict[str, str]]]:
    """{id: [LinkInfo fields]} of a recorded acheck answer."""
    root = ET.fromstring(fixture_bytes(name))
    return {
        s.findtext("Id") or "": [
            {child.tag: (child.text or "") for child in li} for li in s.findall("LinkInfo")
        ]
        for s in root.iter("IdLinkSet")
    }


def run_check(client: EutilsClient, ids: Sequence[str], **kwargs: Any):
    stats = Ledger()
    rows = list(check(ids, client=client, stats=stats, **kwargs))
    return rows, stats


# --- check over real answers --------------------------------------------------------------


@pytest.mark.parametrize(
    ("cmd", "file", "attr"),
    [
        ("ncheck", "bioperl.elink_ncheck_corr.xml", "HasNeighbor"),
        ("lcheck", "bioperl.elink_lcheck_corr.xml", "HasLinkOut"),
    ],
)
def test_check_cmd_over_a_real_answer(client, requests_mock, cmd, file, attr):
    answers = id_attrs(file, attr)
    assert sorted(answers) == sorted(BIOPERL_IDS)
    requests_mock.post(ELINK_URL, content=fixture_bytes(file))

    rows, stats = run_check(client, BIOPERL_IDS, db="protein", cmd=cmd)

    # Input order, not the answer's order.
    assert rows == [CheckRow("protein", i, cmd, answers[i], i) for i in BIOPERL_IDS]
    assert [r.values() for r in rows] == [("protein", i, cmd, answers[i], i) for i in BIOPERL_IDS]
    assert len(CHECK_COLUMNS) == len(rows[0].values())
    (request,) = requests_mock.request_history
    assert form_values(request, "id") == BIOPERL_IDS
    assert form_values(request, "cmd") == [cmd]
    assert form_values(request, "dbfrom") == ["protein"]
    assert stats.ids_in == 4
    assert stats.ids_with_links == [i for i in BIOPERL_IDS if answers[i] == "Y"]
    assert stats.ids_without_links == [i for i in BIOPERL_IDS if answers[i] == "N"]
    assert stats.ids_not_echoed == []
    assert stats.requests == 1


def test_lcheck_real_answer_has_both_values():
    # The recorded lcheck answer says N for one id: the test above sees both values.
    answers = id_attrs("bioperl.elink_lcheck_corr.xml", "HasLinkOut")
    assert set(answers.values()) == {"Y", "N"}


@pytest.mark.parametrize(
    "name", ["protein_pmc", "ExternalLink", "protein_genome", "protein_cdd", "protein_snp"]
)
def test_check_name_asks_acheck_over_a_real_answer(client, requests_mock, name):
    infos = link_infos("bioperl.elink_acheck_corr.xml")
    expected = {i: "Y" if any(li["LinkName"] == name for li in infos[i]) else "N" for i in infos}
    requests_mock.post(ELINK_URL, content=fixture_bytes("bioperl.elink_acheck_corr.xml"))

    rows, stats = run_check(client, BIOPERL_IDS, db="protein", name=name)

    assert rows == [CheckRow("protein", i, name, expected[i], i) for i in BIOPERL_IDS]
    (request,) = requests_mock.request_history
    assert form_values(request, "cmd") == ["acheck"]
    assert form_values(request, "id") == BIOPERL_IDS
    assert stats.ids_with_links == [i for i in BIOPERL_IDS if expected[i] == "Y"]


def test_acheck_names_in_the_real_answer_give_mixed_values():
    infos = link_infos("bioperl.elink_acheck_corr.xml")
    for name in ("protein_pmc", "ExternalLink", "protein_genome"):
        has = {any(li["LinkName"] == name for li in infos[i]) for i in BIOPERL_IDS}
        assert has == {True, False}, name


def test_id_not_echoed_gets_an_empty_value_never_dropped(client, requests_mock):
    answers = id_attrs("bioperl.elink_ncheck_corr.xml", "HasNeighbor")
    requests_mock.post(ELINK_URL, content=fixture_bytes("bioperl.elink_ncheck_corr.xml"))
    ids = [BIOPERL_IDS[0], "999999", *BIOPERL_IDS[1:]]

    rows, stats = run_check(client, ids, db="protein", cmd="ncheck")

    assert [r.source_id for r in rows] == ids
    assert rows[1] == CheckRow("protein", "999999", "ncheck", "", "999999")
    assert [r.value for r in rows] == [answers.get(i, "") for i in ids]
    assert stats.ids_not_echoed == ["999999"]
    assert "999999" not in stats.ids_with_links + stats.ids_without_links


# --- check batching, over a synthetic server ----------------------------------------------


def has_neighbor(uid: str) -> bool:
    return int(uid) % 3 == 0


class CheckServer:
    """ncheck answers: one LinkSet per id= value, HasNeighbor from has_neighbor(); ids in
    `silent` are left out of the answer."""

    def __init__(self, silent: frozenset[str] = frozenset()) -> None:
        self.silent = silent
        self.id_values: list[list[str]] = []

    def __call__(self, request: Any, context: Any) -> str:
        values = form_values(request, "id")
        self.id_values.append(values)
        parts = [HEAD, "<eLinkResult>\n"]
        for uid in values[::-1]:  # answered backwards
            if uid in self.silent:
                continue
            flag = "Y" if has_neighbor(uid) else "N"
            parts.append(
                f"<LinkSet><DbFrom>gene</DbFrom><IdCheckList>"
                f'<Id HasNeighbor="{flag}">{uid}</Id></IdCheckList></LinkSet>\n'
            )
        parts.append("</eLinkResult>\n")
        return "".join(parts)


def test_check_batches_one_id_param_per_id(client, requests_mock):
    ids = [str(5000 + k) for k in range(250)]
    silent = frozenset({ids[7], ids[180]})
    server = CheckServer(silent)
    requests_mock.post(ELINK_URL, text=server)

    rows, stats = run_check(client, ids, db="gene", cmd="ncheck", batch=100)

    expected = [
        CheckRow("gene", i, "ncheck", "" if i in silent else "Y" if has_neighbor(i) else "N", i)
        for i in ids
    ]
    assert rows == expected
    assert requests_mock.call_count == 3
    assert sorted(map(tuple, server.id_values)) == sorted(
        tuple(ids[k : k + 100]) for k in range(0, 250, 100)
    )
    assert all("," not in v for values in server.id_values for v in values)
    assert stats.ids_not_echoed == [ids[7], ids[180]]
    assert stats.requests == 3


def test_check_requests_are_paced_by_the_client(client, clock, requests_mock):
    requests_mock.post(ELINK_URL, text=CheckServer())
    ids = [str(k) for k in range(1, 6)]

    run_check(client, ids, db="gene", cmd="ncheck", batch=1)

    assert requests_mock.call_count == 5
    # Five starts without an API key: 3 at once, then 2 a window (3 x the start interval)
    # after the first, on the fake clock.
    s = client.settings
    assert s.start_burst == 3
    assert clock.elapsed == pytest.approx(s.start_burst * s.start_interval)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"cmd": "ncheck", "name": "gene_protein"},
        {"cmd": "acheck"},
        {"cmd": "neighbor"},
        {"cmd": "ncheck", "batch": 0},
        {"cmd": "ncheck", "batch": MAX_BATCH + 1},
    ],
    ids=["neither", "both", "acheck", "neighbor", "batch-0", "batch-too-big"],
)
def test_bad_arguments_refused_before_any_request(client, requests_mock, kwargs):
    requests_mock.post(ELINK_URL, text=CheckServer())
    with pytest.raises(UsageError):
        # Refused when called, not when the rows are read.
        check(["1", "2"], db="gene", client=client, **kwargs)
    assert requests_mock.call_count == 0


# --- discover: link names -----------------------------------------------------------------


def einfo_links(data: bytes) -> list[dict[str, str]]:
    root = ET.fromstring(data)
    return [{child.tag: (child.text or "") for child in link} for link in root.iter("Link")]


def expected_names(db: str, einfo: list[dict[str, str]], target: str | None = None):
    catalog = load_catalog()
    from_db = {li.name: li for li in catalog.from_db(db)}
    rows = {
        li.name: LinkNameRow(db, li.name, li.dbto, li.menu, li.description, li.max_links, "catalog")
        for li in from_db.values()
    }
    for link in einfo:
        name = link["Name"]
        rows[name] = LinkNameRow(
            db,
            name,
            link["DbTo"],
            link["Menu"],
            link["Description"],
            catalog.max_links(name),
            "einfo+catalog" if name in from_db else "einfo",
        )
    ordered = [rows[k] for k in sorted(rows)]
    return [r for r in ordered if target is None or r.target_db == target]


def test_discover_merges_a_real_einfo_answer_with_the_catalog(client, requests_mock):
    data = fixture_bytes("klortho.einfo.pubmed.xml")
    links = einfo_links(data)
    assert len(links) == 59
    requests_mock.post(EINFO_URL, content=data)

    rows = discover("pubmed", client=client)

    assert rows == expected_names("pubmed", links)
    assert len(NAME_COLUMNS) == len(rows[0].values())
    by = {r.attested_by for r in rows}
    assert by == {"einfo+catalog", "catalog"}
    catalog_only = {li.name for li in load_catalog().from_db("pubmed")} - {
        link["Name"] for link in links
    }
    assert {r.linkname for r in rows if r.attested_by == "catalog"} == catalog_only
    (request,) = requests_mock.request_history
    assert form_values(request, "db") == ["pubmed"]
    assert form_values(request, "version") == ["2.0"]


def synthetic_einfo(db: str, links: Sequence[tuple[str, str, str, str]]) -> str:
    body = "".join(
        f"<Link><Name>{n}</Name><Menu>{m}</Menu><Description>{d}</Description>"
        f"<DbTo>{t}</DbTo></Link>"
        for n, m, d, t in links
    )
    return (
        f"{HEAD}<eInfoResult><DbInfo><DbName>{db}</DbName><MenuName>{db}</MenuName>"
        f"<Description>x</Description><Count>1</Count><FieldList></FieldList>"
        f"<LinkList>{body}</LinkList></DbInfo></eInfoResult>\n"
    )


GENE_EINFO = [
    ("gene_protein_refseq", "RefSeq Proteins", "Protein RefSeqs", "protein"),
    ("gene_brand_new_link", "Brand new", "Not in the catalog yet", "protein"),
    ("gene_pubmed", "PubMed", "Articles", "pubmed"),
]


def test_discover_attested_by_einfo_catalog_or_both(client, requests_mock):
    text = synthetic_einfo("gene", GENE_EINFO)
    requests_mock.post(EINFO_URL, text=text)

    rows = discover("gene", client=client)

    assert rows == expected_names("gene", einfo_links(text.encode()))
    by_name = {r.linkname: r for r in rows}
    assert by_name["gene_brand_new_link"].attested_by == "einfo"
    assert by_name["gene_brand_new_link"].max_links is None
    assert by_name["gene_protein_refseq"].attested_by == "einfo+catalog"
    assert by_name["gene_protein_refseq"].max_links == load_catalog().max_links(
        "gene_protein_refseq"
    )
    assert by_name["gene_nuccore"].attested_by == "catalog"
    assert [r.linkname for r in rows] == sorted(by_name)


def test_discover_target_filters_both_sources(client, requests_mock):
    text = synthetic_einfo("gene", GENE_EINFO)
    requests_mock.post(EINFO_URL, text=text)

    rows = discover("gene", target="protein", client=client)

    assert rows == expected_names("gene", einfo_links(text.encode()), target="protein")
    assert {r.target_db for r in rows} == {"protein"}
    assert {r.attested_by for r in rows} == {"einfo", "catalog", "einfo+catalog"}


@pytest.mark.parametrize("target", [None, "protein", "nucleotide"])
def test_discover_offline_is_the_catalog_and_makes_no_request(requests_mock, target):
    catalog = load_catalog()
    rows = discover("gene", target=target, offline=True)

    want = "nuccore" if target == "nucleotide" else target
    expected = sorted(
        (
            LinkNameRow("gene", li.name, li.dbto, li.menu, li.description, li.max_links, "catalog")
            for li in catalog.from_db("gene", want)
        ),
        key=lambda r: r.linkname,
    )
    assert rows == expected and rows
    assert requests_mock.call_count == 0


def test_discover_einfo_error_is_permanent(client, requests_mock):
    requests_mock.post(EINFO_URL, content=fixture_bytes("klortho.einfo.error.xml"))
    with pytest.raises(PermanentError, match="Can not retrieve DbInfo for db=fleegle"):
        discover("fleegle", client=client)
    assert requests_mock.call_count == 1  # never retried


# --- discover: per record -----------------------------------------------------------------


def expected_records(ids: Sequence[str], target: str | None = None) -> list[RecordLinkRow]:
    infos = link_infos("bioperl.elink_acheck_corr.xml")
    catalog = load_catalog()
    return [
        RecordLinkRow(
            "protein",
            uid,
            li["LinkName"],
            li["DbTo"],
            li["MenuTag"] or li["HtmlTag"],
            li["Priority"],
            "Y" if li["Priority"] == "255" or li["DbTo"] == "LinkOut" else "N",
            catalog.max_links(li["LinkName"]),
            uid,
        )
        for uid in ids
        for li in infos.get(uid, [])
        if target is None or li["DbTo"] == target
    ]


def test_discover_records_over_a_real_acheck_answer(client, requests_mock):
    requests_mock.post(ELINK_URL, content=fixture_bytes("bioperl.elink_acheck_corr.xml"))
    stats = Ledger()

    rows = list(discover_records(BIOPERL_IDS, db="protein", client=client, stats=stats))

    expected = expected_records(BIOPERL_IDS)
    assert rows == expected
    assert len(RECORD_COLUMNS) == len(rows[0].values())
    assert [r.source_id for r in rows] == sorted((r.source_id for r in rows), key=BIOPERL_IDS.index)
    linkout = [r for r in rows if r.linkout == "Y"]
    assert linkout and {r.linkname for r in linkout} == {"ExternalLink"}
    assert {r.source_id for r in linkout} == {
        i
        for i, infos in link_infos("bioperl.elink_acheck_corr.xml").items()
        if any(li["DbTo"] == "LinkOut" for li in infos)
    }
    assert any(r.max_links is not None for r in rows)
    assert any(r.max_links is None for r in rows)  # LinkOut, names the catalog lacks
    (request,) = requests_mock.request_history
    assert form_values(request, "cmd") == ["acheck"]
    assert form_values(request, "id") == BIOPERL_IDS
    assert stats.links == len(expected)
    assert stats.ids_with_links == BIOPERL_IDS


def test_discover_records_target_filter(client, requests_mock):
    requests_mock.post(ELINK_URL, content=fixture_bytes("bioperl.elink_acheck_corr.xml"))
    stats = Ledger()

    rows = list(
        discover_records(BIOPERL_IDS, db="protein", target="pmc", client=client, stats=stats)
    )

    expected = expected_records(BIOPERL_IDS, target="pmc")
    assert rows == expected
    with_pmc = {r.source_id for r in expected}
    assert stats.ids_with_links == [i for i in BIOPERL_IDS if i in with_pmc]
    assert stats.ids_without_links == [i for i in BIOPERL_IDS if i not in with_pmc]


def test_discover_records_id_not_echoed(client, requests_mock):
    requests_mock.post(ELINK_URL, content=fixture_bytes("bioperl.elink_acheck_corr.xml"))
    stats = Ledger()
    ids = ["424242", *BIOPERL_IDS]

    rows = list(discover_records(ids, db="protein", client=client, stats=stats))

    assert rows == expected_records(BIOPERL_IDS)
    assert stats.ids_not_echoed == ["424242"]
    assert stats.ids_in == 5


def test_discover_records_batches_one_id_param_per_id(client, requests_mock):
    seen: list[list[str]] = []

    def answer(request: Any, context: Any) -> str:
        values = form_values(request, "id")
        seen.append(values)
        sets = "".join(
            f"<LinkSet><DbFrom>gene</DbFrom><IdCheckList><IdLinkSet><Id>{uid}</Id>"
            f"<LinkInfo><DbTo>protein</DbTo><LinkName>gene_protein</LinkName>"
            f"<MenuTag>Protein</MenuTag><HtmlTag>Protein</HtmlTag><Priority>128</Priority>"
            f"</LinkInfo></IdLinkSet></IdCheckList></LinkSet>"
            for uid in values
        )
        return f"{HEAD}<eLinkResult>{sets}</eLinkResult>\n"

    requests_mock.post(ELINK_URL, text=answer)
    ids = [str(100 + k) for k in range(7)]

    rows = list(discover_records(ids, db="gene", batch=3, client=client))

    assert sorted(map(tuple, seen)) == sorted(tuple(ids[k : k + 3]) for k in range(0, 7, 3))
    cap = load_catalog().max_links("gene_protein")
    assert rows == [
        RecordLinkRow("gene", i, "gene_protein", "protein", "Protein", "128", "N", cap, i)
        for i in ids
    ]


@pytest.mark.parametrize("batch", [0, MAX_BATCH + 1])
def test_discover_records_refuses_a_batch_out_of_range(client, requests_mock, batch: int):
    requests_mock.post(ELINK_URL, text="never asked")
    with pytest.raises(UsageError, match="--batch must be between 1 and"):
        list(discover_records(["1", "2"], db="gene", batch=batch, client=client))
    assert requests_mock.call_count == 0
