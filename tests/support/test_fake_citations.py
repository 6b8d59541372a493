"""The fake iCite / Europe PMC server itself, spoken to with `requests` directly."""

from __future__ import annotations

import http.client
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from support.fake_citations import (
    Entry,
    FakeCitations,
    cited_by,
    europepmc_cited_by,
    europepmc_references,
    known,
    med_ids,
    pmc_cited_by,
    references,
)

TIMEOUT = 5


@pytest.fixture
def fc() -> Iterator[FakeCitations]:
    with FakeCitations() as fake:
        yield fake


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def icite(s: requests.Session, fc: FakeCitations, **params: str) -> requests.Response:
    return s.get(fc.icite_url + "pubs", params=params, timeout=TIMEOUT)


def epmc(
    s: requests.Session, fc: FakeCitations, pmid: str, kind: str, **params: str
) -> requests.Response:
    params.setdefault("format", "json")
    url = f"{fc.europepmc_url}MED/{pmid}/{kind}"
    return s.get(url, params=params, timeout=TIMEOUT)


# --- the oracle ---------------------------------------------------------------------------


def test_oracle_is_a_function_of_the_number() -> None:
    assert cited_by("13") == ["130", "131", "132", "133", "134", "135"]
    assert cited_by("14") == []
    assert references("13") == ["1013", "1016", "1019"]
    assert known("13") and not known("19") and not known("abc") and not known("0")
    assert pmc_cited_by("13") == ["130", "132", "134"]
    assert med_ids(europepmc_cited_by("13")) == ["130", "131", "133", "134"]
    assert europepmc_cited_by("13")[-1] == Entry("PPR", "PPR13", "Invented preprint citing 13")
    refs = europepmc_references("13")
    assert med_ids(refs) == references("13")
    assert [e.source for e in refs] == ["MED", "MED", "MED", None, "AGR"]
    assert refs[3].id is None


def test_urls(fc: FakeCitations) -> None:
    assert fc.icite_url == f"http://127.0.0.1:{fc.port}/icite/api/"
    assert fc.europepmc_url == f"http://127.0.0.1:{fc.port}/europepmc/webservices/rest/"
    assert fc.port > 0


# --- iCite --------------------------------------------------------------------------------


def test_icite_shape(fc: FakeCitations, session: requests.Session) -> None:
    r = icite(session, fc, pmids="13,6", fl="pmid,cited_by,references")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"meta", "links", "data"}
    assert body["meta"] == {"pmids": "13,6", "fl": "pmid,cited_by,references"}
    assert body["links"]["self"].startswith(fc.icite_url + "pubs?")
    assert body["data"] == [
        {"pmid": 6, "cited_by": [int(c) for c in cited_by(6)], "references": [1006]},
        {"pmid": 13, "cited_by": [int(c) for c in cited_by(13)], "references": [1013, 1016, 1019]},
    ]
    for record in body["data"]:
        assert all(isinstance(v, int) for v in [record["pmid"], *record["cited_by"]])
    assert fc.log[-1].service == "icite" and fc.log[-1].path == "/icite/api/pubs"
    assert fc.log[-1].params == {"pmids": "13,6", "fl": "pmid,cited_by,references"}


def test_icite_ascending_unknown_absent_non_numeric_ignored(
    fc: FakeCitations, session: requests.Session
) -> None:
    r = icite(session, fc, pmids="300,19,abc,2,55,2,,-4", fl="pmid")
    assert r.status_code == 200
    assert [d["pmid"] for d in r.json()["data"]] == [2, 55, 300]


def test_icite_fl_respected_and_absent_gives_more(
    fc: FakeCitations, session: requests.Session
) -> None:
    only = icite(session, fc, pmids="13", fl="pmid,cited_by").json()["data"][0]
    assert set(only) == {"pmid", "cited_by"}
    full = icite(session, fc, pmids="13").json()
    assert full["meta"]["fl"] is None
    record = full["data"][0]
    assert {"pmid", "year", "title", "cited_by", "references", "citation_count"} <= set(record)
    assert record["citation_count"] == len(record["cited_by"]) == 6


def test_icite_1000_pmids_ok_1001_rejected(fc: FakeCitations, session: requests.Session) -> None:
    thousand = ",".join(str(p) for p in range(1, 1001))
    r = icite(session, fc, pmids=thousand, fl="pmid")
    assert r.status_code == 200
    assert len(r.json()["data"]) == 900  # the 100 ending in 9 are unknown
    r = icite(session, fc, pmids=thousand + ",1001", fl="pmid")
    assert r.status_code == 400
    assert r.json() == {"error": "too many pmids"}


def test_icite_post_not_allowed(fc: FakeCitations, session: requests.Session) -> None:
    r = session.post(fc.icite_url + "pubs", data={"pmids": "13"}, timeout=TIMEOUT)
    assert r.status_code == 405
    # The kept-alive connection still answers after a POST with a body.
    assert icite(session, fc, pmids="13").status_code == 200


# --- Europe PMC ---------------------------------------------------------------------------


def test_europepmc_citations_paging(fc: FakeCitations, session: requests.Session) -> None:
    # 13 has 6 citers: Europe PMC drops index 2 and 5 and adds PPR13, so 5 entries.
    pages: list[list[dict[str, Any]]] = []
    for page in range(1, 5):
        body = epmc(session, fc, "13", "citations", page=str(page), pageSize="2").json()
        assert body["version"] == "6.9"
        assert body["hitCount"] == 5
        assert body["request"] == {"id": "13", "source": "MED", "page": page, "pageSize": 2}
        pages.append(body["citationList"]["citation"])
    assert [len(p) for p in pages] == [2, 2, 1, 0]
    entries = [e for p in pages for e in p]
    assert [(e["source"], e["id"]) for e in entries] == [
        (e.source, e.id) for e in europepmc_cited_by("13")
    ]
    assert ("PPR", "PPR13") in [(e["source"], e["id"]) for e in entries]
    first = entries[0]
    assert set(first) == {
        "id",
        "source",
        "citationType",
        "title",
        "authorString",
        "journalAbbreviation",
        "pubYear",
        "citedByCount",
    }
    assert isinstance(first["pubYear"], int) and isinstance(first["citedByCount"], int)


def test_europepmc_default_page_size(fc: FakeCitations, session: requests.Session) -> None:
    body = epmc(session, fc, "13", "citations").json()
    assert body["request"]["page"] == 1 and body["request"]["pageSize"] == 25
    assert len(body["citationList"]["citation"]) == 5


def test_europepmc_references(fc: FakeCitations, session: requests.Session) -> None:
    # 13 has 3 references; Europe PMC adds an unmatched one and an AGR one: 5 entries.
    pages = []
    for page in (1, 2, 3, 4):
        body = epmc(session, fc, "13", "references", page=str(page), pageSize="2").json()
        assert body["hitCount"] == 5
        pages.append(body["referenceList"]["reference"])
    assert [len(p) for p in pages] == [2, 2, 1, 0]
    entries = [e for p in pages for e in p]
    assert [e["id"] for e in entries[:3]] == references("13")
    assert all(e["source"] == "MED" and e["match"] == "Y" for e in entries[:3])
    idless = [e for e in entries if "id" not in e]
    assert len(idless) == 1 and "source" not in idless[0] and idless[0]["title"]
    assert [e["source"] for e in entries if e.get("source") not in (None, "MED")] == ["AGR"]


def test_europepmc_unknown_pmid_is_empty(fc: FakeCitations, session: requests.Session) -> None:
    for kind, key, item in (
        ("citations", "citationList", "citation"),
        ("references", "referenceList", "reference"),
    ):
        for pmid in ("199", "abc"):
            body = epmc(session, fc, pmid, kind).json()
            assert body["hitCount"] == 0
            assert body[key] == {item: []}
    # Unknown to iCite, known to Europe PMC: the services disagree.
    assert not known("19")
    assert epmc(session, fc, "19", "citations").json()["hitCount"] == len(europepmc_cited_by("19"))


def test_europepmc_bad_requests(fc: FakeCitations, session: requests.Session) -> None:
    r = epmc(session, fc, "13", "citations", pageSize="1001")
    assert r.status_code == 400
    assert r.json() == {"errCode": 400, "errMsg": "pageSize must be at most 1000"}
    assert epmc(session, fc, "13", "citations", pageSize="1000").status_code == 200
    assert epmc(session, fc, "13", "citations", format="xml").status_code == 400
    no_format = session.get(f"{fc.europepmc_url}MED/13/citations", timeout=TIMEOUT)
    assert no_format.status_code == 400
    assert epmc(session, fc, "13", "citations", page="0").status_code == 400
    assert epmc(session, fc, "13", "citations", page="x").status_code == 400


# --- faults -------------------------------------------------------------------------------


def test_faults_consumed_in_order_across_services(
    fc: FakeCitations, session: requests.Session
) -> None:
    fc.faults = ["429", "500", "503", "garbage", "html"]
    r = icite(session, fc, pmids="13")
    assert r.status_code == 429 and r.headers["Retry-After"] == "0"
    assert r.json() == {"error": "rate limit"}
    r = epmc(session, fc, "13", "citations")
    assert r.status_code == 500
    r = icite(session, fc, pmids="13")
    assert r.status_code == 503 and r.headers["Content-Type"].startswith("text/html")
    r = epmc(session, fc, "13", "references")
    assert r.status_code == 200 and r.text == '{"data": ['
    with pytest.raises(requests.JSONDecodeError):
        r.json()
    r = icite(session, fc, pmids="13")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert "<html" in r.text
    assert fc.faults == []
    assert icite(session, fc, pmids="13").status_code == 200
    assert [(q.service, q.fault) for q in fc.log] == [
        ("icite", "429"),
        ("europepmc", "500"),
        ("icite", "503"),
        ("europepmc", "garbage"),
        ("icite", "html"),
        ("icite", None),
    ]


def test_fail_service(fc: FakeCitations, session: requests.Session) -> None:
    fc.fail_service = "icite"
    fc.faults = ["500"]
    for _ in range(3):
        assert icite(session, fc, pmids="13").status_code == 503
    assert fc.faults == ["500"]  # a failed service does not eat faults
    assert epmc(session, fc, "13", "citations").status_code == 500
    assert epmc(session, fc, "13", "citations").status_code == 200
    fc.fail_service = "europepmc"
    assert epmc(session, fc, "13", "citations").status_code == 503
    assert icite(session, fc, pmids="13").status_code == 200
    fc.fail_service = None
    assert epmc(session, fc, "13", "citations").status_code == 200
    assert [q.fault for q in fc.requests_to("icite")] == ["503", "503", "503", None]


def test_rate_limit(fc: FakeCitations, session: requests.Session) -> None:
    fc.rate_limit = {"icite": 3}
    # A window far longer than six requests take, however busy the machine: all six fall in
    # it. (With the services' 1 s, a machine slow enough to spread them over a second would
    # see the fourth admitted.)
    fc.rate_window = 30.0
    start = time.monotonic()
    codes = [icite(session, fc, pmids="13").status_code for _ in range(6)]
    assert time.monotonic() - start < fc.rate_window
    assert codes == [200, 200, 200, 429, 429, 429]
    # Europe PMC is not limited.
    assert [epmc(session, fc, "13", "citations").status_code for _ in range(5)] == [200] * 5
    assert [q.fault for q in fc.requests_to("icite")] == [None] * 3 + ["429"] * 3
    r = icite(session, fc, pmids="13")
    assert r.status_code == 429 and r.headers["Retry-After"] == "0"
    # Back to the services' 1 s: once the first admitted request is a second old, one more
    # gets through.
    fc.rate_window = 1.0
    time.sleep(max(0.0, fc.requests_to("icite")[0].time + 1.01 - time.monotonic()))
    assert icite(session, fc, pmids="13").status_code == 200


# --- transport ----------------------------------------------------------------------------


def test_keep_alive_with_content_length(fc: FakeCitations) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", fc.port, timeout=TIMEOUT)
    try:
        for path in (
            "/icite/api/pubs?pmids=13",
            "/europepmc/webservices/rest/MED/13/citations?format=json",
            "/nowhere",
        ):
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
            assert resp.version == 11
            assert int(resp.headers["Content-Length"]) == len(body)
            assert not resp.will_close
    finally:
        conn.close()
    assert [q.service for q in fc.log] == ["icite", "europepmc", "other"]


def test_concurrent_requests(fc: FakeCitations) -> None:
    import concurrent.futures

    def one(p: int) -> list[int]:
        r = requests.get(fc.icite_url + "pubs", params={"pmids": str(p)}, timeout=TIMEOUT)
        return [d["pmid"] for d in r.json()["data"]]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        got = list(pool.map(one, range(1, 41)))
    assert got == [[p] if known(p) else [] for p in range(1, 41)]
    assert len(fc.log) == 40


def test_start_stop_without_context_manager() -> None:
    fake = FakeCitations().start()
    try:
        r = requests.get(fake.icite_url + "pubs", params={"pmids": "6"}, timeout=TIMEOUT)
        assert r.json()["data"][0]["pmid"] == 6
    finally:
        fake.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(fake.icite_url + "pubs", params={"pmids": "6"}, timeout=1)


def test_main_prints_both_urls() -> None:
    script = Path(__file__).with_name("fake_citations.py")
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, bufsize=1
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip() for _ in range(2)]
        assert lines[0].startswith("icite_url=http://127.0.0.1:")
        assert lines[0].endswith("/icite/api/")
        assert lines[1].endswith("/europepmc/webservices/rest/")
        url = lines[0].split("=", 1)[1]
        r = requests.get(url + "pubs", params={"pmids": "6"}, timeout=TIMEOUT)
        assert r.json()["data"][0]["pmid"] == 6
    finally:
        proc.terminate()
        proc.wait(timeout=5)
