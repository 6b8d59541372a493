"""elinkcli.commands.citations over requests-mock: iCite's and Europe PMC's JSON shapes (from their
API documentation: iCite /api/pubs?pmids=...&fl=... answers {"meta", "links", "data": [...]}
with integer cited_by / references lists, unknown PMIDs absent; Europe PMC
/MED/{id}/citations and /references answer hitCount and citationList.citation[] /
referenceList.reference[] with id and source, paged by page/pageSize), merged with ELink's
pubmed_pubmed_citedin, in input order, with provenance per link."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from support.fakes import FakeClock, elink_xml

from elinkcli.commands.citations import (
    CITATION_COLUMNS,
    CitationSourceFailure,
    CitationStats,
    citation_batches,
    parse_sources,
)
from elinkcli.config import Settings
from elinkcli.errors import ResponseParseError, UsageError
from elinkcli.eutils.client import EutilsClient
from elinkcli.eutils.pacing import StartPacer
from elinkcli.sources.citations import parse_europepmc, parse_icite
from elinkcli.sources.connect import open_cache

BASE = "https://eutils.test/eutils/"
ICITE = "https://icite.test/api/"
EPMC = "https://epmc.test/rest/"

CITED_BY = {"100": [201, 202, 203], "101": [], "102": [204]}
REFS = {"100": [11, 12], "101": [13], "102": []}


def icite_answer(request, context) -> str:
    pmids = request.qs["pmids"][0].split(",")
    data = [
        {"pmid": int(p), "year": 2001, "cited_by": CITED_BY[p], "references": REFS[p]}
        for p in sorted(pmids, key=int)
        if p in CITED_BY
    ]
    return json.dumps({"meta": {"pmids": ",".join(pmids)}, "links": {}, "data": data})


def epmc_answer(request, context) -> str:
    _, pmid, kind = request.path.rstrip("/").rsplit("/", 2)
    page, size = int(request.qs["page"][0]), int(request.qs["pagesize"][0])
    if kind == "citations":
        items = [{"id": str(t), "source": "MED"} for t in CITED_BY.get(pmid, [])[:2]]
        items.append({"id": f"PPR{pmid}", "source": "PPR"})
        key, inner = "citationList", "citation"
    else:
        items = [{"id": str(t), "source": "MED"} for t in REFS.get(pmid, [])]
        items.append({"title": "a book without id"})
        key, inner = "referenceList", "reference"
    part = items[(page - 1) * size : page * size]
    return json.dumps({"version": "6.9", "hitCount": len(items), key: {inner: part}})


def client(**kw: Any) -> EutilsClient:
    clock = FakeClock()
    settings = Settings(base_url=BASE, icite_url=ICITE, europepmc_url=EPMC, max_tries=2, **kw)
    pacer = StartPacer(0, clock)
    cache = open_cache(settings)
    return EutilsClient(settings, clock=clock, rng=random.Random(1), pacer=pacer, cache=cache)


def mock_all(requests_mock) -> None:
    requests_mock.get(ICITE + "pubs", text=icite_answer)
    requests_mock.get(requests_mock_matcher(EPMC), text=epmc_answer)
    elink = {p: [str(t) for t in v[:1]] for p, v in CITED_BY.items()}
    requests_mock.post(
        BASE + "elink.fcgi",
        text=lambda r, c: elink_xml(
            {i: elink[i] for i in _ids(r.text)},
            dbfrom="pubmed",
            dbto="pubmed",
            linkname="pubmed_pubmed_citedin",
        ),
    )


def _ids(body: str) -> list[str]:
    return [p.split("=")[1] for p in body.split("&") if p.startswith("id=")]


def requests_mock_matcher(prefix: str):
    import re

    return re.compile(re.escape(prefix) + r"MED/\d+/(citations|references)")


def rows(ids, **kw) -> list[tuple]:
    with client() as c:
        return [r for batch in citation_batches(ids, client=c, **kw) for r in batch]


def test_icite_is_the_default_and_keeps_input_order(requests_mock) -> None:
    mock_all(requests_mock)
    got = rows(["102", "100", "101"], direction="cited")
    assert [(r[1], r[4], r[8]) for r in got] == [
        ("102", "204", "icite"),
        ("100", "201", "icite"),
        ("100", "202", "icite"),
        ("100", "203", "icite"),
    ]
    assert all(len(r) == len(CITATION_COLUMNS) and r[2] == "pubmed_pubmed_citedin" for r in got)
    assert requests_mock.request_history[0].qs["fl"] == ["pmid,cited_by,references"]


def test_references_from_europepmc_skip_records_that_are_not_pubmed(requests_mock) -> None:
    mock_all(requests_mock)
    got = rows(["100", "101"], direction="cites", sources=["europepmc"])
    assert [(r[1], r[4], r[2], r[8]) for r in got] == [
        ("100", "11", "pubmed_pubmed_refs", "europepmc"),
        ("100", "12", "pubmed_pubmed_refs", "europepmc"),
        ("101", "13", "pubmed_pubmed_refs", "europepmc"),
    ]


def test_all_sources_merge_with_provenance(requests_mock) -> None:
    mock_all(requests_mock)
    got = rows(["100"], direction="cited", sources=["elink", "icite", "europepmc"])
    assert {r[4]: r[8] for r in got} == {
        "201": "elink,icite,europepmc",
        "202": "icite,europepmc",
        "203": "icite",
    }


def test_counts_per_service(requests_mock) -> None:
    mock_all(requests_mock)
    got = rows(["100", "101"], direction="cited", sources=["icite", "europepmc"], counts=True)
    assert got == [("pubmed", "100", 3, 3, 2), ("pubmed", "101", 0, 0, 0)]


def test_europepmc_pages_until_hitcount(requests_mock, monkeypatch) -> None:
    import elinkcli.sources.citations as citations

    monkeypatch.setattr(citations, "EUROPEPMC_PAGE", 1)
    mock_all(requests_mock)
    got = rows(["100"], direction="cited", sources=["europepmc"])
    assert [r[4] for r in got] == ["201", "202"]
    pages = [r.qs["page"][0] for r in requests_mock.request_history]
    assert pages == ["1", "2", "3"]  # hitCount 3: two PubMed records and a preprint


def test_unknown_pmids_are_named(requests_mock) -> None:
    mock_all(requests_mock)
    stats = CitationStats()
    got = rows(["100", "999"], direction="cited", stats=stats)
    assert {r[1] for r in got} == {"100"}
    assert stats.unknown == {"icite": ["999"]}


def test_a_failing_service_is_named_and_the_others_rows_stand(requests_mock) -> None:
    mock_all(requests_mock)
    requests_mock.get(ICITE + "pubs", status_code=503, text="down")
    out: list[tuple] = []
    with client() as c, pytest.raises(CitationSourceFailure) as caught:
        for batch in citation_batches(
            ["100", "102"], direction="cited", sources=["icite", "europepmc"], client=c
        ):
            out.extend(batch)
    assert "icite failed" in str(caught.value) and "europepmc" not in caught.value.services
    assert caught.value.ids == ("100", "102")
    assert caught.value.exit_status == 4
    assert {r[8] for r in out} == {"europepmc"} and {r[1] for r in out} == {"100", "102"}


def test_a_failed_services_counts_are_empty_never_zero(requests_mock) -> None:
    mock_all(requests_mock)
    requests_mock.get(ICITE + "pubs", status_code=503, text="down")
    stats = CitationStats()
    out: list[tuple] = []
    with client() as c, pytest.raises(CitationSourceFailure):
        for batch in citation_batches(
            ["100", "101"],
            direction="cited",
            sources=["icite", "europepmc"],
            counts=True,
            client=c,
            stats=stats,
        ):
            out.extend(batch)
    # epmc_answer lists the first two MED citers of CITED_BY; 101 has none: 0, not empty.
    assert out == [("pubmed", "100", 2, None, 2), ("pubmed", "101", 0, None, 0)]
    assert stats.failed == {"icite": ["100", "101"]}
    assert stats.links == 2 and stats.given == {"icite": 0, "europepmc": 2}


def test_links_are_counted_per_service_in_both_views(requests_mock) -> None:
    mock_all(requests_mock)
    for counts in (False, True):
        stats = CitationStats()
        rows(
            ["100", "102"],
            direction="cited",
            sources=["icite", "europepmc"],
            counts=counts,
            stats=stats,
        )
        # CITED_BY: 100 has 3 citers (Europe PMC lists 2 of them), 102 has 1 (listed).
        assert stats.links == 4, counts
        assert stats.given == {"icite": 4, "europepmc": 3}, counts
        assert stats.failed == {}
    stats.before = {"ids": 5, "links": 10, "links.icite": 9, "links.europepmc": 4}
    assert stats.tally() == {"links": 14, "links.icite": 13, "links.europepmc": 7}


def test_a_batch_is_done_only_once_every_service_answered_all_of_it(requests_mock) -> None:
    """The journal may hold a batch only when no service gave up on any of its PMIDs:
    a resumed run asks such a batch again, of every service (else one service's links of
    it would never be written)."""
    from elinkcli.commands.batching import BatchHooks

    mock_all(requests_mock)
    requests_mock.get(ICITE + "pubs?pmids=102", status_code=503, text="down")
    done: list[tuple[int, int]] = []
    stats = CitationStats()
    hooks = BatchHooks(done=lambda index, n: done.append((index, n)))
    got: list[tuple] = []
    with client() as c, pytest.raises(CitationSourceFailure):
        for batch in citation_batches(
            ["100", "102", "101"],
            direction="cited",
            sources=["icite", "europepmc"],
            batch=1,
            counts=True,
            client=c,
            stats=stats,
            hooks=hooks,
        ):
            got.extend(batch)
    assert done == [(0, 1)]  # not 1 (icite gave up on 102), nor 2 (after it)
    assert got[1] == ("pubmed", "102", 1, None, 1)
    assert stats.failed == {"icite": ["102"]}


def test_cached_answers_are_not_asked_again(requests_mock, tmp_path) -> None:
    mock_all(requests_mock)
    settings = dict(cache_dir=tmp_path)
    with client(**settings) as c:
        first = [r for b in citation_batches(["100"], direction="cited", client=c) for r in b]
    n = requests_mock.call_count
    with client(**settings) as c:
        again = [r for b in citation_batches(["100"], direction="cited", client=c) for r in b]
    assert again == first and requests_mock.call_count == n
    with client(cache_dir=tmp_path, cache_mode="offline") as c:
        offline = [r for b in citation_batches(["100"], direction="cited", client=c) for r in b]
    assert offline == first


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, ("icite",)),
        ("all", ("elink", "icite", "europepmc")),
        ("europepmc,elink", ("elink", "europepmc")),
        ("ICITE", ("icite",)),
    ],
)
def test_sources_are_read(text, expected) -> None:
    assert parse_sources(text) == expected


def test_bad_sources_and_ids_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="unknown citation source scopus"):
        parse_sources("icite,scopus")
    with pytest.raises(UsageError, match="not a PMID"):
        citation_batches(["PMC123"], direction="cited")


def test_parsers_accept_real_shapes_and_refuse_others() -> None:
    assert parse_icite(b'{"data": [{"pmid": 5, "cited_by": [1, 2], "references": null}]}') == {
        "5": (["1", "2"], [])
    }
    assert parse_icite(b'{"pmid": 5, "cited_by": "1 2", "references": []}') == {
        "5": (["1", "2"], [])
    }
    for bad in (b"{", b'{"nothing": 1}', b'{"data": [{"x": 1}]}', b'{"error": "too many pmids"}'):
        with pytest.raises(ResponseParseError):
            parse_icite(bad)
    page = parse_europepmc(
        b'{"hitCount": 2, "citationList": {"citation": [{"id": "7", "source": "MED"},'
        b' {"id": "PPR1", "source": "PPR"}]}}',
        "cited",
    )
    assert (page.hit_count, page.entries, page.pmids) == (2, 2, ("7",))
    assert parse_europepmc(b'{"errCode": 400, "errMsg": "bad"}', "cites").error == "bad"
    with pytest.raises(ResponseParseError):
        parse_europepmc(b"[]", "cited")
