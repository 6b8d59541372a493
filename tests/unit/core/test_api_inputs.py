"""`elinkcli.api` takes every input the command line takes: ids, a History set (read a page
at a time), a PubMed query (run again), a long packed input (a window at a time). The fake
E-utilities server (tests/support/fake_eutils.py) is the oracle: its model says which links
each record has."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import IDENTITY_ENV
from support.fake_eutils import FakeEutils

from elinkcli import api
from elinkcli.errors import UsageError
from elinkcli.ids.history import HistorySet
from elinkcli.ids.packed import WINDOW, PackedIds
from elinkcli.ids.query import SearchQuery


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in IDENTITY_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ELINKCLI_CONFIG", os.devnull)
    monkeypatch.setenv("ELINKCLI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ELINKCLI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("ELINKCLI_BACKOFF_BASE", "0.01")


@pytest.fixture
def eutils(fake: FakeEutils, monkeypatch: pytest.MonkeyPatch) -> FakeEutils:
    monkeypatch.setenv("ELINKCLI_BASE_URL", fake.base_url)
    return fake


def oracle(fake: FakeEutils, uids: list[str]) -> list[tuple[str, str]]:
    """(source, target) of every pubmed -> gene link of these records, in input order."""
    return [
        (uid, target)
        for uid in uids
        for _name, _dbto, found in fake.links("pubmed", uid, "gene")
        for target in found
    ]


def linked(rows: object) -> list[tuple[str, str]]:
    return [(r.source_id, r.target_id) for r in rows]  # type: ignore[attr-defined]


def test_a_history_set_is_linked(eutils: FakeEutils) -> None:
    uids = [str(i) for i in range(1, 31)]
    webenv, key = eutils.store("pubmed", uids)
    rows = api.link(HistorySet("pubmed", webenv, key, len(uids)), db="pubmed", target="gene")
    assert linked(rows) == oracle(eutils, uids)


def test_a_query_is_run_again_and_linked(eutils: FakeEutils) -> None:
    uids = ["4", "9", "16"]
    eutils.searches[("pubmed", "tn3 transposition")] = uids
    rows = api.check(SearchQuery("pubmed", "tn3 transposition"), db="pubmed", cmd="ncheck")
    found = [r.source_id for r in rows]
    assert sorted(found, key=int) == uids  # each found record once, in the search's order


def test_a_packed_input_is_linked_a_window_at_a_time(
    eutils: FakeEutils, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two windows in 21 requests, paced as with a key (10/s): the test waits 2 s, not 7.
    monkeypatch.setenv("NCBI_API_KEY", "test-key-0123456789")
    uids = [str(i) for i in range(1, WINDOW + 41)]
    packed = PackedIds("\n".join(uids).encode())
    rows = list(api.link(packed, db="pubmed", target="gene", batch=1000))
    assert linked(rows) == oracle(eutils, uids)


def test_a_set_of_another_database_is_refused(eutils: FakeEutils) -> None:
    with pytest.raises(UsageError, match="disagrees"):
        api.link(HistorySet("gene", "W", "1"), db="pubmed", target="gene")
