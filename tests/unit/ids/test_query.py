"""A query run again (current EDirect's PubMed messages): ESearch in UID ranges, complete.

ESearch is answered by the fake server's model (tests/support/fake_eutils.py: PubMed refuses
retstart above 9,998 and hands out only the first 9,999 ids of a result) through
requests-mock, with a fake clock for pacing: no real sleeps and no sockets.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import pytest
from support.fake_eutils import FakeEutils, Logged, search_year
from support.fakes import FakeClock

from elinkcli.config import Settings
from elinkcli.constants import ESEARCH, SEARCH_PAGE
from elinkcli.errors import IncompleteSetError, PermanentError
from elinkcli.eutils.client import EutilsClient
from elinkcli.eutils.pacing import StartPacer
from elinkcli.ids.query import SearchQuery, search_ids

BASE = "https://eutils.test/entrez/eutils/"
QUERY = "BRCA1[ti] AND review[pt]"


class Searches:
    """requests-mock callback: ESearch answered by a FakeEutils model, requests logged."""

    def __init__(self, fake: FakeEutils) -> None:
        self.fake = fake
        self.log: list[Logged] = []

    def __call__(self, request: Any, context: Any) -> str:
        params = parse_qsl(request.body, keep_blank_values=True)
        self.log.append(Logged("/" + ESEARCH, params, 0.0))
        return self.fake.answer("/entrez/eutils/" + ESEARCH, params)[2].decode()


@pytest.fixture
def fake() -> FakeEutils:
    return FakeEutils()


@pytest.fixture
def searches(requests_mock: Any, fake: FakeEutils) -> Searches:
    server = Searches(fake)
    requests_mock.post(BASE + ESEARCH, text=server)
    return server


@pytest.fixture
def client() -> Iterator[EutilsClient]:
    clock = FakeClock()
    settings = Settings(base_url=BASE, max_tries=2, backoff_base=0.01)
    pacer = StartPacer(settings.start_interval, clock)
    with EutilsClient(settings, clock=clock, rng=random.Random(1), pacer=pacer) as c:
        yield c


def uids(n: int, seed: int = 5, top: int = 40_000_000) -> list[str]:
    return [str(u) for u in random.Random(seed).sample(range(1, top), n)]


def test_the_fake_pubmed_refuses_what_naive_paging_would_ask(fake: FakeEutils) -> None:
    fake.searches[("pubmed", QUERY)] = uids(12_000)
    _, _, past = fake.answer(
        "/esearch.fcgi", [("db", "pubmed"), ("term", QUERY), ("retstart", "9999")]
    )
    assert b"<ERROR>" in past and b"9998" in past
    _, _, page = fake.answer(
        "/esearch.fcgi", [("db", "pubmed"), ("term", QUERY), ("retstart", "0"), ("retmax", "20000")]
    )
    assert page.count(b"<Id>") == SEARCH_PAGE


def test_a_small_result_is_one_request_in_esearch_order(client, searches, fake) -> None:
    found = uids(250)
    fake.searches[("pubmed", QUERY)] = found
    ids = search_ids(client, SearchQuery("pubmed", QUERY, count=250))
    assert ids == sorted(found, key=int, reverse=True)
    assert len(searches.log) == 1
    assert searches.log[0].get("term") == QUERY
    assert searches.log[0].get("retmax") == str(SEARCH_PAGE)


@pytest.mark.parametrize("n", [SEARCH_PAGE + 1, 25_000, 61_234])
def test_a_large_pubmed_result_is_read_completely_in_uid_ranges(client, searches, fake, n) -> None:
    found = uids(n, seed=n)
    fake.searches[("pubmed", QUERY)] = found
    ids = search_ids(client, SearchQuery("pubmed", QUERY, count=n))
    assert len(ids) == n
    assert set(ids) == set(found)
    for request in searches.log:
        assert int(request.get("retstart") or 0) == 0
        term = request.get("term") or ""
        assert term == QUERY or term.startswith(f"({QUERY}) AND ")
    # The ranges read whole (at most one page each) add up to the count: nothing twice.
    counts = [len(fake.search_result("pubmed", r.get("term") or "")) for r in searches.log[2:]]
    assert sum(c for c in counts if c <= SEARCH_PAGE) == n
    assert len(searches.log) < 4 * (n // SEARCH_PAGE + 2), len(searches.log)


def test_the_ranges_do_not_overlap_and_cover_one_to_the_highest_uid(client, searches, fake) -> None:
    found = uids(30_000, seed=3)
    fake.searches[("pubmed", QUERY)] = found
    search_ids(client, SearchQuery("pubmed", QUERY))
    ranges = []
    for request in searches.log[1:]:
        term = request.get("term") or ""
        low, high = term.rsplit(" AND ", 1)[1].removesuffix("[UID]").split(":")
        ranges.append((int(low), int(high), len(fake.search_result("pubmed", term))))
    top = max(map(int, found))
    assert (top + 1, ranges[0][1], 0) == ranges[0]  # nothing above the highest id seen
    leaves = sorted((lo, hi) for lo, hi, count in ranges[1:] if count <= SEARCH_PAGE)
    assert leaves[0][0] == 1 and leaves[-1][1] == top
    assert all(a[1] + 1 == b[0] for a, b in itertools.pairwise(leaves))


def test_when_the_first_page_is_not_the_highest_the_ranges_start_at_the_ceiling(
    client, searches, fake, monkeypatch
) -> None:
    found = uids(15_000, seed=8)
    fake.searches[("pubmed", QUERY)] = found
    # A server that hands out the lowest ids first: the first page's highest is no bound.
    lowest_first = fake.search_result
    monkeypatch.setattr(
        fake, "search_result", lambda *a, **k: sorted(lowest_first(*a, **k), key=int)
    )
    ids = search_ids(client, SearchQuery("pubmed", QUERY))
    assert set(ids) == set(found)


def test_a_short_set_is_an_error_naming_both_numbers(client, searches, fake) -> None:
    found = uids(12_500, seed=9)
    fake.searches[("pubmed", QUERY)] = found
    fake.search_lost = {found[17]}
    with pytest.raises(IncompleteSetError) as caught:
        search_ids(client, SearchQuery("pubmed", QUERY))
    counted, handed = re.search(
        r"counted (\d+) records.* handed out (\d+) ids", str(caught.value)
    ).groups()
    assert int(counted) - int(handed) == 1
    assert caught.value.exit_status == 4


def test_a_short_single_page_is_an_error_too(client, searches, fake) -> None:
    found = uids(300, seed=10)
    fake.searches[("pubmed", QUERY)] = found
    fake.search_lost = set(found[:2])
    with pytest.raises(IncompleteSetError, match=r"300 records .* 298 ids"):
        search_ids(client, SearchQuery("pubmed", QUERY))


def test_date_limits_go_with_every_request_and_limit_the_result(client, searches, fake) -> None:
    found = uids(40_000, seed=11)
    fake.searches[("pubmed", QUERY)] = found
    query = SearchQuery("pubmed", QUERY, mindate="1990", maxdate="2010/12/31", datetype="pdat")
    ids = search_ids(client, query)
    expected = {u for u in found if 1990 <= search_year(u) <= 2010}
    assert len(expected) > SEARCH_PAGE  # the limited result still needs ranges
    assert set(ids) == expected and len(ids) == len(expected)
    for request in searches.log:
        assert request.get("mindate") == "1990"
        assert request.get("maxdate") == "2010/12/31"
        assert request.get("datetype") == "pdat"


def test_a_count_that_changed_since_the_search_is_a_warning(client, searches, fake) -> None:
    fake.searches[("pubmed", QUERY)] = uids(120)
    warnings: list[str] = []
    ids = search_ids(client, SearchQuery("pubmed", QUERY, count=118), warn=warnings.append)
    assert len(ids) == 120
    assert len(warnings) == 1 and "120" in warnings[0] and "118" in warnings[0]


def test_nothing_found_is_an_empty_list(client, searches, fake) -> None:
    assert search_ids(client, SearchQuery("pubmed", "nothing[ti]")) == []
    assert len(searches.log) == 1


def test_other_databases_are_read_the_same_way(client, searches, fake) -> None:
    found = uids(11_000, seed=12, top=3_000_000_000)
    fake.searches[("nuccore", "human[orgn]")] = found
    ids = search_ids(client, SearchQuery("nuccore", "human[orgn]"))
    assert set(ids) == set(found) and len(ids) == len(found)


def test_an_esearch_error_is_not_taken_for_an_empty_result(client, searches, fake) -> None:
    with pytest.raises(PermanentError, match="Invalid db name"):
        search_ids(client, SearchQuery("nosuchdb", QUERY))
