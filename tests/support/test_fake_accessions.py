"""The fake E-utilities' accession model: records with accessions, ESearch of OR'ed
`ACC[FIELD]` terms, ESummary DocSums and ELink taking (and with idtype=acc writing)
sequence accessions, as docs/reference/accessions.md says NCBI does."""

from __future__ import annotations

import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import pytest

from support.fake_eutils import (
    ACCESSION_FIELDS,
    DATABASES,
    SEQUENCE_DBS,
    FakeEutils,
    Table,
    accession_matches,
    split_version,
)
from support.paths import TESTS


def call(fake: FakeEutils, endpoint: str, **params: str | list[str]) -> ET.Element:
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        pairs += [(key, v) for v in value] if isinstance(value, list) else [(key, value)]
    status, ctype, body = fake.answer(f"/entrez/eutils/{endpoint}", pairs)
    assert status == 200 and ctype == "text/xml"
    return ET.fromstring(body)


def esearch(fake: FakeEutils, db: str, term: str, **more: str) -> ET.Element:
    return call(fake, "esearch.fcgi", db=db, term=term, **more)


def ids_of(root: ET.Element) -> list[str]:
    return [e.text or "" for e in root.findall("IdList/Id")]


def not_found(root: ET.Element) -> list[str]:
    return [e.text or "" for e in root.findall("ErrorList/PhraseNotFound")]


def esummary(fake: FakeEutils, db: str, ids: str) -> ET.Element:
    return call(fake, "esummary.fcgi", db=db, id=ids)


def items(docsum: ET.Element) -> dict[str, str]:
    """The DocSum's top-level items, {Name: text}."""
    return {i.get("Name", ""): i.text or "" for i in docsum.findall("Item")}


def types(docsum: ET.Element) -> dict[str, str]:
    return {i.get("Name", ""): i.get("Type", "") for i in docsum.findall("Item")}


@pytest.fixture
def fake() -> FakeEutils:
    f = FakeEutils()
    f.add_record("bioproject", 257197, "PRJNA257197")
    f.add_record("bioproject", 1, "PRJNA1")
    f.add_record("bioproject", 30, "PRJEB30")
    f.add_record("biosample", 2604091, "SAMN02604091")
    f.add_record("gds", 200012345, "GSE12345")
    f.add_record("assembly", 11968211, "GCF_000001405.40", "GCA_000001405.29")
    f.add_record("assembly", 2, "GCA_000002305.1")
    f.add_record("sra", 123, "SRX079566", "SRR390728", "SRR390729", "SRP008780", "SRS268012")
    f.add_record("sra", 45, "SRX000045", "SRR000045")
    f.add_record("snp", 334, "rs334")
    f.add_record("clinvar", 12345, "VCV000012345.3")
    f.add_record("mesh", 68000001, "D000001")
    f.add_record("nuccore", 1000, "NM_000546.5")
    f.add_record("nuccore", 1001, "NM_000546.6")
    f.add_record("nuccore", 12, "AL032671.1")
    f.add_record("protein", 7_007_000, "NP_000537.3")
    return f


# --- the model ---------------------------------------------------------------------------


def test_records_start_empty_and_add_record_fills_them() -> None:
    f = FakeEutils()
    assert f.records == {}
    f.add_record("nuccore", "007", "NM_1.1")
    f.add_record("nuccore", 7, "NM_1.1", "X1.1")
    assert f.records == {"nuccore": {"7": ["NM_1.1", "X1.1"]}}
    with pytest.raises(ValueError):
        f.add_record("nuccore", "NM_1.1", "NM_1.1")


def test_the_databases_the_model_needs_are_known() -> None:
    needed = {"bioproject", "biosample", "sra", "assembly", "gds", "snp", "pmc", "clinvar"}
    assert needed | {"mesh", "nuccore", "protein"} <= DATABASES
    assert set(ACCESSION_FIELDS) <= DATABASES
    assert {"nuccore", "protein"} == SEQUENCE_DBS


def test_versions() -> None:
    assert split_version("NM_000546.6") == ("NM_000546", 6)
    assert split_version("PRJNA1") == ("PRJNA1", None)
    assert accession_matches("nm_000546", "NM_000546.6")
    assert accession_matches("NM_000546.6", "nm_000546.6")
    assert not accession_matches("NM_000546.5", "NM_000546.6")
    assert not accession_matches("NM_00054", "NM_000546.6")


def test_record_uid(fake) -> None:
    assert fake.record_uid("nuccore", "NM_000546") == "1001"  # the highest version
    assert fake.record_uid("nuccore", "nm_000546.5") == "1000"
    assert fake.record_uid("nuccore", "NM_000546.7") is None
    assert fake.record_uid("nuccore", "0012") == "12"
    assert fake.record_uid("nuccore", "99") is None
    assert fake.record_uid("bioproject", "PRJNA1") is None  # UIDs only outside sequence dbs
    assert fake.accession_version("nuccore", "1001") == "NM_000546.6"
    assert fake.accession_version("nuccore", "5") is None


# --- ESearch -----------------------------------------------------------------------------


def test_ored_accessions_give_the_union_in_uid_order_with_count(fake) -> None:
    root = esearch(fake, "bioproject", "PRJNA257197[PRJA] OR PRJNA1[PRJA] OR PRJEB30[PRJA]")
    assert ids_of(root) == ["1", "30", "257197"]
    assert root.findtext("Count") == "3"
    assert root.findtext("RetMax") == "3"
    assert root.find("ErrorList") is None


@pytest.mark.parametrize(
    "term",
    [
        "prjna257197[prja] or PRJNA1[Prja]",
        "(PRJNA257197[PRJA]) Or (PRJNA1[PRJA])",
        "( PRJNA257197 [PRJA]  OR  PRJNA1[ PRJA ] )",
        '"PRJNA257197"[PRJA] OR PRJNA1[PRJA]',
    ],
)
def test_case_parentheses_and_spaces_do_not_matter(fake, term) -> None:
    assert ids_of(esearch(fake, "bioproject", term)) == ["1", "257197"]


def test_a_bare_accession_finds_every_version_a_versioned_one_only_its_own(fake) -> None:
    assert ids_of(esearch(fake, "nuccore", "NM_000546[ACCN]")) == ["1000", "1001"]
    assert ids_of(esearch(fake, "nuccore", "NM_000546.5[PACC]")) == ["1000"]
    root = esearch(fake, "nuccore", "NM_000546.9[ACCN]")
    assert ids_of(root) == [] and root.findtext("Count") == "0"
    assert not_found(root) == ["NM_000546.9[ACCN]"]
    assert ids_of(esearch(fake, "assembly", "GCF_000001405[ASAC]")) == ["11968211"]
    assert ids_of(esearch(fake, "clinvar", "VCV000012345[VACC]")) == ["12345"]


@pytest.mark.parametrize(
    "db, accession, field, uid",
    [
        ("assembly", "GCA_000001405.29", "ASAC", "11968211"),
        ("biosample", "SAMN02604091", "ACCN", "2604091"),
        ("sra", "SRR390729", "ACCN", "123"),
        ("bioproject", "PRJNA1", "PRJA", "1"),
        ("clinvar", "VCV000012345.3", "VACC", "12345"),
        ("gds", "GSE12345", "ALL", "200012345"),
        ("mesh", "D000001", "MHUI", "68000001"),
        ("snp", "rs334", "RS", "334"),
        ("nuccore", "AL032671.1", "ACCN", "12"),
        ("protein", "NP_000537", "PACC", "7007000"),
    ],
)
def test_each_database_answers_its_field_only(fake, db, accession, field, uid) -> None:
    root = esearch(fake, db, f"{accession}[{field}]")
    assert ids_of(root) == [uid] and root.findtext("Count") == "1"
    for other in ("ACCN", "PRJA", "ASAC", "ALL", "UID", "SS"):
        if other == field or (db in SEQUENCE_DBS and other == "ACCN"):
            continue
        root = esearch(fake, db, f"{accession}[{other}]")
        assert ids_of(root) == [] and root.findtext("Count") == "0", other
        assert not_found(root) == [f"{accession}[{other}]"]


def test_other_databases_fields_per_edirect() -> None:
    f = FakeEutils()
    for db, acc, fld in [
        ("genome", "PRJNA5", "PRJA"),
        ("gtr", "GTR000500240", "GTRACC"),
        ("books", "NBK25499", "AID"),
        ("cdd", "cd00001", "ACCN"),
        ("medgen", "C0006142", "ACCN"),
    ]:
        f.add_record(db, 9, acc)
        assert ids_of(esearch(f, db, f"{acc}[{fld}]")) == ["9"], db
        assert ids_of(esearch(f, db, f"{acc}[XX]")) == [], db


def test_pmc_has_no_accession_field(fake) -> None:
    fake.add_record("pmc", 3531190, "PMC3531190")
    root = esearch(fake, "pmc", "PMC3531190[ACCN]")
    assert ids_of(root) == [] and not_found(root) == ["PMC3531190[ACCN]"]


def test_snp_rs_goes_with_rs_ss_with_ss(fake) -> None:
    fake.add_record("snp", 2, "ss2")
    assert ids_of(esearch(fake, "snp", "rs334[RS] OR ss2[SS]")) == ["2", "334"]
    assert ids_of(esearch(fake, "snp", "rs334[SS] OR ss2[RS]")) == []


def test_terms_that_find_nothing_are_phrases_not_found_beside_the_others(fake) -> None:
    root = esearch(fake, "bioproject", "PRJNA1[PRJA] OR PRJNA257197[ACCN] OR PRJNA9[PRJA]")
    assert ids_of(root) == ["1"] and root.findtext("Count") == "1"
    assert not_found(root) == ["PRJNA257197[ACCN]", "PRJNA9[PRJA]"]
    assert root.find("WarningList") is None
    root = esearch(fake, "bioproject", "PRJNA9[PRJA]")
    assert root.findtext("WarningList/OutputMessage") == "No items found."


def test_one_accession_of_several_records_finds_them_all(fake) -> None:
    fake.add_record("sra", 46, "SRX000046", "SRR000046", "SRP008780")
    assert ids_of(esearch(fake, "sra", "SRP008780[ACCN]")) == ["46", "123"]


def test_retmax_retstart_and_a_uid_range_page_the_union(fake) -> None:
    term = "PRJNA257197[PRJA] OR PRJNA1[PRJA] OR PRJEB30[PRJA]"
    root = esearch(fake, "bioproject", term, retmax="2")
    assert ids_of(root) == ["1", "30"] and root.findtext("Count") == "3"
    root = esearch(fake, "bioproject", term, retmax="2", retstart="2")
    assert ids_of(root) == ["257197"] and root.findtext("RetStart") == "2"
    assert ids_of(esearch(fake, "bioproject", f"({term}) AND 2:300000[UID]")) == ["30", "257197"]


def test_searches_and_history_still_answer(fake) -> None:
    fake.searches[("nuccore", "human[orgn]")] = ["5", "9", "7"]
    root = esearch(fake, "nuccore", "human[orgn]")
    assert ids_of(root) == ["9", "7", "5"] and root.findtext("Count") == "3"
    fake.searches[("pubmed", "brca1")] = ["3", "1"]
    assert ids_of(esearch(fake, "pubmed", "brca1")) == ["3", "1"]
    root = esearch(fake, "pubmed", "nothing at all")
    assert ids_of(root) == [] and not_found(root) == ["nothing at all"]
    webenv, _ = fake.store("gene", ["1", "2"])
    fake.store("gene", ["2", "3"], webenv)
    root = call(fake, "esearch.fcgi", db="gene", term="#1 OR #2", WebEnv=webenv)
    assert ids_of(root) == ["1", "2", "3"]
    assert root.findtext("QueryKey") == "3" and root.findtext("WebEnv") == webenv
    assert call(fake, "esearch.fcgi", db="nosuch", term="x[ACCN]").findtext("ERROR")


# --- ESummary ----------------------------------------------------------------------------


def test_esummary_is_version_1_in_request_order_with_errors_in_place(fake) -> None:
    status, _, body = fake.answer(
        "/entrez/eutils/esummary.fcgi", [("db", "bioproject"), ("id", "257197,99,1")]
    )
    text = body.decode()
    assert status == 200
    assert text.startswith("<?xml")
    assert (
        '<!DOCTYPE eSummaryResult PUBLIC "-//NLM//DTD esummary v1 20041029//EN" '
        '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20041029/esummary-v1.dtd">'
    ) in text
    root = ET.fromstring(body)
    assert root.tag == "eSummaryResult"
    assert [(c.tag, c.findtext("Id") or c.text) for c in root] == [
        ("DocSum", "257197"),
        ("ERROR", "Invalid uid 99 at position=1"),
        ("DocSum", "1"),
    ]
    assert items(root[0])["Project_Acc"] == "PRJNA257197"


def test_several_id_parameters_are_one_list(fake) -> None:
    root = call(fake, "esummary.fcgi", db="gds", id=["200012345", "PRJ1"])
    assert [c.tag for c in root] == ["DocSum", "ERROR"]
    assert root[1].text == "Invalid uid PRJ1 at position=1"


@pytest.mark.parametrize(
    "db, uid, expected",
    [
        ("bioproject", "257197", {"Project_Acc": "PRJNA257197"}),
        ("biosample", "2604091", {"Accession": "SAMN02604091"}),
        ("gds", "200012345", {"Accession": "GSE12345"}),
        ("assembly", "11968211", {"AssemblyAccession": "GCF_000001405.40"}),
        ("snp", "334", {"SNP_ID": "334"}),
        ("nuccore", "1001", {"Caption": "NM_000546", "AccessionVersion": "NM_000546.6"}),
        ("protein", "7007000", {"Caption": "NP_000537", "AccessionVersion": "NP_000537.3"}),
        ("clinvar", "12345", {}),
        ("mesh", "68000001", {}),
    ],
)
def test_each_database_names_its_accessions(fake, db, uid, expected) -> None:
    (doc,) = esummary(fake, db, uid)
    assert doc.tag == "DocSum" and doc.findtext("Id") == uid
    found = items(doc)
    assert found["Title"]
    assert {k: found[k] for k in expected} == expected
    if not expected:
        assert set(found) == {"Title"}
    assert all(t in ("String", "Integer", "Structure") for t in types(doc).values())


def test_old_docsums_have_the_recorded_shape(fake) -> None:
    """`old_docsums`: the items of tests/fixtures/eutils/responses/esummary3.bp-2008.xml, a
    DocSum from before AccessionVersion (Caption bare, the version in Extra only)."""
    recorded = ET.parse(TESTS / "fixtures" / "eutils" / "responses" / "esummary3.bp-2008.xml")
    (first, _) = recorded.getroot().iter("DocSum")
    fake.old_docsums = True
    fake.add_record("protein", 28800982, "AAO47091.1")
    (doc,) = esummary(fake, "protein", "28800982")
    found = items(doc)
    assert "AccessionVersion" not in found
    wanted = {i.get("Name"): i.text for i in first.iter("Item")}
    assert {k: found[k] for k in ("Caption", "Extra", "Gi")} == {
        k: wanted[k] for k in ("Caption", "Extra", "Gi")
    }
    (refseq,) = esummary(fake, "protein", "7007000")
    assert items(refseq)["Extra"] == "gi|7007000|ref|NP_000537.3|[7007000]"


def test_assembly_synonyms(fake) -> None:
    (doc,) = esummary(fake, "assembly", "11968211")
    synonym = doc.find("Item[@Name='Synonym']")
    assert synonym is not None and synonym.get("Type") == "Structure"
    assert {i.get("Name"): (i.get("Type"), i.text) for i in synonym} == {
        "Genbank": ("String", "GCA_000001405.29"),
        "RefSeq": ("String", "GCF_000001405.40"),
    }
    (doc,) = esummary(fake, "assembly", "2")
    assert items(doc)["AssemblyAccession"] == "GCA_000002305.1"
    assert doc.findtext("Item[@Name='Synonym']/Item[@Name='RefSeq']") in ("", None)


def test_sra_experiment_and_runs_are_escaped_xml(fake) -> None:
    _, _, body = fake.answer("/entrez/eutils/esummary.fcgi", [("db", "sra"), ("id", "123")])
    assert b"&lt;Experiment acc=" in body and b"&lt;Run acc=" in body
    (doc,) = ET.fromstring(body)
    expxml = ET.fromstring(f"<x>{items(doc)['ExpXml']}</x>")
    assert expxml.find("Experiment").get("acc") == "SRX079566"
    assert expxml.find("Study").get("acc") == "SRP008780"
    assert expxml.find("Sample").get("acc") == "SRS268012"
    runs = ET.fromstring(f"<x>{items(doc)['Runs']}</x>")
    assert [r.get("acc") for r in runs.findall("Run")] == ["SRR390728", "SRR390729"]


def test_snp_id_is_digits_only(fake) -> None:
    (doc,) = esummary(fake, "snp", "334")
    assert items(doc)["SNP_ID"] == "334"
    assert "rs" not in doc.findtext("Item[@Name='SNP_ID']")


def test_sequence_databases_take_accessions(fake) -> None:
    root = esummary(fake, "nuccore", "NM_000546,nm_000546.5,AL032671,NM_000546.4,12,0012")
    assert [(c.tag, c.findtext("Id") or c.text) for c in root] == [
        ("DocSum", "1001"),  # the current version
        ("DocSum", "1000"),
        ("DocSum", "12"),
        ("ERROR", "Invalid uid NM_000546.4 at position=3"),
    ]
    assert items(root[1])["AccessionVersion"] == "NM_000546.5"


def test_other_databases_take_uids_only(fake) -> None:
    root = esummary(fake, "bioproject", "PRJNA1,0001")
    assert [(c.tag, c.findtext("Id") or c.text) for c in root] == [
        ("ERROR", "Invalid uid PRJNA1 at position=0"),
        ("DocSum", "1"),
    ]


def test_esummary_errors(fake) -> None:
    assert esummary(fake, "nosuch", "1").findtext("ERROR") == "Invalid db name specified: nosuch"
    assert call(fake, "esummary.fcgi", db="gds").findtext("ERROR")
    webenv, key = fake.store("gds", ["200012345", "5"])
    root = call(fake, "esummary.fcgi", db="gds", WebEnv=webenv, query_key=key)
    assert [c.tag for c in root] == ["DocSum", "ERROR"]


def test_esummary_is_served_and_logged_for_get_and_post(fake) -> None:
    with fake:
        url = fake.base_url + "esummary.fcgi"
        query = urllib.parse.urlencode({"db": "gds", "id": "200012345"})
        with urllib.request.urlopen(f"{url}?{query}", timeout=10) as got:
            by_get = ET.fromstring(got.read())
        with urllib.request.urlopen(url, data=query.encode(), timeout=10) as got:
            by_post = ET.fromstring(got.read())
    for root in (by_get, by_post):
        assert items(root[0])["Accession"] == "GSE12345"
    logged = fake.requests_to("esummary.fcgi")
    assert [(r.get("db"), r.get("id")) for r in logged] == [("gds", "200012345")] * 2


# --- ELink -------------------------------------------------------------------------------


def elink(fake: FakeEutils, ids: list[str], **more: str) -> ET.Element:
    return call(fake, "elink.fcgi", dbfrom="nuccore", db="protein", id=ids, **more)


def linksets(root: ET.Element) -> list[tuple[list[str], list[str]]]:
    return [
        (ids_of(s), [e.text or "" for e in s.findall("LinkSetDb/Link/Id")])
        for s in root.findall("LinkSet")
    ]


def test_elink_answers_an_accession_for_its_uid(fake) -> None:
    # every uid n links to proteins 2n and 2n + 1
    fake.tables["nuccore_protein"] = Table(
        "nuccore", "protein", lambda u: [str(2 * int(u)), str(2 * int(u) + 1)]
    )
    (_, _, targets), *_ = fake.links("nuccore", "1001", "protein")
    assert targets
    assert linksets(elink(fake, ["NM_000546.6"])) == [(["1001"], targets)]
    assert linksets(elink(fake, ["nm_000546"])) == [(["1001"], targets)]  # current version
    (_, _, older), *_ = fake.links("nuccore", "1000", "protein")
    assert linksets(elink(fake, ["NM_000546.5"])) == [(["1000"], older)]


def test_elink_drops_accessions_it_does_not_know(fake) -> None:
    root = elink(fake, ["NM_999999.1", "NM_000546.4", "NM_000546.6"])
    sets = root.findall("LinkSet")
    assert len(sets) == 3
    assert [ids_of(s) for s in sets] == [[], [], ["1001"]]
    assert sets[0].findtext("DbFrom") == "nuccore" and sets[0].find("LinkSetDb") is None
    # in a comma list the unknown one just vanishes from the union
    ((echo, _),) = linksets(elink(fake, ["NM_999999.1,NM_000546.6,1001"]))
    assert echo == ["1001"]


def test_elink_keeps_answering_numbers_from_the_tables(fake) -> None:
    (_, _, targets), *_ = fake.links("nuccore", "77", "protein")
    assert linksets(elink(fake, ["77"])) == [(["77"], targets)]


def test_idtype_acc_writes_accession_versions(fake) -> None:
    fake.tables["nuccore_protein"] = Table(
        "nuccore", "protein", lambda u: [str(2 * int(u)), str(2 * int(u) + 1)]
    )
    (_, _, targets), *_ = fake.links("nuccore", "1001", "protein")
    fake.add_record("protein", targets[0], "NP_100.2")
    ((echo, links),) = linksets(elink(fake, ["NM_000546"], idtype="acc"))
    assert echo == ["NM_000546.6"]
    assert links == ["NP_100.2", *targets[1:]]  # unknown target records stay UIDs
    ((echo, _),) = linksets(elink(fake, ["1001"], idtype="acc"))
    assert echo == ["NM_000546.6"]
    ((echo, links),) = linksets(elink(fake, ["NM_000546.6"]))
    assert echo == ["1001"] and links == targets


def test_idtype_acc_leaves_other_databases_uids() -> None:
    f = FakeEutils()
    f.add_record("protein", 1_000_001, "NP_4.1")  # odd: it has a protein_gene link
    root = call(f, "elink.fcgi", dbfrom="protein", db="gene", id="NP_4", idtype="acc")
    ((echo, links),) = linksets(root)
    assert echo == ["NP_4.1"] and links and all(i.isdigit() for i in links)


def test_neighbor_history_takes_accessions(fake) -> None:
    fake.tables["nuccore_protein"] = Table("nuccore", "protein", lambda u: [f"{u}0"])
    root = elink(fake, ["NM_000546.6"], cmd="neighbor_history")
    assert ids_of(root.find("LinkSet")) == ["1001"]
    webenv, key = (
        root.findtext("LinkSet/WebEnv"),
        root.findtext("LinkSet/LinkSetDbHistory/QueryKey"),
    )
    assert fake.histories[webenv][key] == ("protein", ["10010"])
