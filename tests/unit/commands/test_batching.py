"""run_batches (elinkcli.commands.batching) through the per-id cache: cached ids are not
asked again, the cache modes (use, offline, refresh, off), the skip/done hooks, and a batch
given up.

No network and no real waiting: `fetch` is a stand-in, time is FakeClock and the cache's
wall clock CacheClock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from support.fakes import CacheClock, FakeClock, elink_xml

from elinkcli import constants as C
from elinkcli.cache.fs import FILE_NAME
from elinkcli.cache.store import LinkSetCache
from elinkcli.commands.batching import BatchHooks, run_batches
from elinkcli.commands.ledger import Ledger
from elinkcli.config import Settings
from elinkcli.errors import CacheMissError, GaveUpError, PartialFailure
from elinkcli.eutils.client import EutilsClient
from elinkcli.eutils.elink_parser import parse_elink
from elinkcli.eutils.pacing import StartPacer
from elinkcli.eutils.records import ELinkResult, LinkSet
from elinkcli.sources.base import FunctionSource

BASE = "https://eutils.test/entrez/eutils/"


def answer_for(ids: Sequence[str], *, version: int = 0, **kwargs: Any) -> ELinkResult:
    links = {i: [f"{i}{version}{j}" for j in range(int(i) % 3)] for i in ids}
    return parse_elink(elink_xml(links, **kwargs).encode())


class Fetch:
    """The `fetch` of run_batches: records each chunk asked; answers per id."""

    def __init__(
        self,
        *,
        omit: frozenset[str] = frozenset(),
        errors: Mapping[str, str] | None = None,
        fail: frozenset[str] = frozenset(),
        version: int = 0,
    ) -> None:
        self.asked: list[list[str]] = []
        self.omit = omit
        self.errors = dict(errors or {})
        self.fail = fail
        self.version = version

    def __call__(self, chunk: list[str]) -> ELinkResult:
        self.asked.append(list(chunk))
        if self.fail & set(chunk):
            raise GaveUpError("HTTP 503 (6 tries)", chunk, 6)
        echoed = [i for i in chunk if i not in self.omit]
        return answer_for(echoed, version=self.version, errors=self.errors)


def make_client(cache: LinkSetCache | None, mode: str = "use") -> EutilsClient:
    """A client with a cache of its own on `cache`'s directory (closed with the client)."""
    settings = Settings(base_url=BASE, cache_mode=mode)
    own = LinkSetCache(cache.path.parent, cache.ttl, clock=cache.clock) if cache else None
    return EutilsClient(settings, cache=own, pacer=StartPacer(0, FakeClock()))


def collect(
    client: EutilsClient,
    ids: Sequence[str],
    size: int,
    fetch: Callable[[list[str]], ELinkResult],
    hooks: BatchHooks | None = None,
    stats: Ledger | None = None,
) -> list[tuple[list[str], list[tuple[str, ...]]]]:
    """What run_batches yields: (chunk, ids of each LinkSet)."""
    out = []
    for chunk, result in run_batches(
        client, list(ids), size, FunctionSource(fetch, "sig"), stats or Ledger(), hooks
    ):
        out.append((list(chunk), [ls.ids for ls in result.linksets]))
    return out


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[LinkSetCache]:
    c = LinkSetCache(tmp_path, ttl=3600, clock=CacheClock())
    yield c
    c.close()


IDS7 = [str(n) for n in range(1, 8)]


def test_cached_ids_are_not_asked_again_misses_batched_order_kept(cache) -> None:
    cache.put_many("sig", {i: list(answer_for([i]).linksets) for i in ("2", "5")})
    fetch = Fetch()
    stats = Ledger()
    with make_client(cache) as client:
        got = collect(client, IDS7, 2, fetch, stats=stats)
    # Only the misses are sent, in batches of 2 formed from the misses alone. Requests run
    # on worker threads, so the order they are made in is not part of the contract.
    assert sorted(fetch.asked) == [["1", "3"], ["4", "6"], ["7"]]
    # Yielded batches are the input's, in input order, each id's LinkSet in order.
    assert got == [
        (["1", "2"], [("1",), ("2",)]),
        (["3", "4"], [("3",), ("4",)]),
        (["5", "6"], [("5",), ("6",)]),
        (["7"], [("7",)]),
    ]
    assert stats.cache_hits == 2
    # The answers were written: a second pass asks nothing.
    fetch2 = Fetch()
    with make_client(cache) as client:
        assert collect(client, IDS7, 2, fetch2) == got
    assert fetch2.asked == []


def test_cached_answer_is_the_one_given_back(cache) -> None:
    old = {i: list(answer_for([i], version=1).linksets) for i in IDS7}
    cache.put_many("sig", old)
    results: list[LinkSet] = []
    with make_client(cache) as client:
        for _chunk, result in run_batches(
            client, IDS7, 3, FunctionSource(Fetch(), "sig"), Ledger()
        ):
            results.extend(result.linksets)
    assert results == [ls for i in IDS7 for ls in old[i]]


def test_ids_not_echoed_are_not_cached(cache) -> None:
    fetch = Fetch(omit=frozenset({"3"}))
    with make_client(cache) as client:
        got = collect(client, ["1", "2", "3", "4"], 2, fetch)
    assert got == [(["1", "2"], [("1",), ("2",)]), (["3", "4"], [("4",)])]
    assert set(cache.get_many("sig", ["1", "2", "3", "4"])) == {"1", "2", "4"}


def test_an_answer_with_a_per_id_error_is_passed_on_not_cached(cache) -> None:
    fetch = Fetch(errors={"2": "Invalid uid 2"})
    with make_client(cache) as client:
        results = list(
            run_batches(client, ["1", "2", "3"], 3, FunctionSource(fetch, "sig"), Ledger())
        )
    assert len(results) == 1
    chunk, result = results[0]
    assert chunk == ["1", "2", "3"]
    errored = [ls for ls in result.linksets if ls.errors]
    assert [ls.ids for ls in errored] == [("2",)]
    assert errored[0].errors == ("Invalid uid 2",)
    assert set(cache.get_many("sig", ["1", "2", "3"])) == {"1", "3"}


def test_offline_yields_the_hits_then_names_exactly_the_missing(cache) -> None:
    cache.put_many("sig", {i: list(answer_for([i]).linksets) for i in ("1", "2", "4", "7")})
    fetch = Fetch()
    done: list[tuple[int, int]] = []
    stats = Ledger()
    got = []
    with make_client(cache, "offline") as client:
        batches = run_batches(
            client,
            IDS7,
            2,
            FunctionSource(fetch, "sig"),
            stats,
            BatchHooks(done=lambda i, n: done.append((i, n))),
        )
        with pytest.raises(CacheMissError) as excinfo:
            for chunk, result in batches:
                got.append((chunk, [ls.ids for ls in result.linksets]))
    assert fetch.asked == []
    assert excinfo.value.ids == ("3", "5", "6")
    assert "3,5,6" in str(excinfo.value)
    assert got == [
        (["1", "2"], [("1",), ("2",)]),
        (["4"], [("4",)]),
        ([], []),
        (["7"], [("7",)]),
    ]
    # Only the finished prefix: a resumed run appends, so nothing after a gap is recorded.
    assert done == [(0, 2)]
    assert stats.ids_failed == ["3", "5", "6"]


def test_offline_client_refuses_any_request(tmp_path: Path) -> None:
    with make_client(None, "offline") as client:
        with pytest.raises(CacheMissError, match="--offline"):
            client.call(C.ELINK, [("dbfrom", "gene")], parse_elink)
        assert client.counters.requests == 0


def test_refresh_asks_everything_and_rewrites(cache) -> None:
    cache.put_many("sig", {i: list(answer_for([i], version=1).linksets) for i in IDS7})
    fetch = Fetch(version=2)
    stats = Ledger()
    with make_client(cache, "refresh") as client:
        collect(client, IDS7, 3, fetch, stats=stats)
    assert sorted(fetch.asked) == [IDS7[0:3], IDS7[3:6], IDS7[6:]]  # made on worker threads
    assert stats.cache_hits == 0
    fresh = cache.get_many("sig", IDS7)
    assert fresh == {i: list(answer_for([i], version=2).linksets) for i in IDS7}


def test_cache_mode_off_neither_reads_nor_writes(tmp_path: Path) -> None:
    settings = Settings(base_url=BASE, cache_dir=tmp_path, cache_mode="off")
    with EutilsClient(settings, pacer=StartPacer(0, FakeClock())) as client:
        assert client.cache is None
        fetch = Fetch()
        collect(client, ["1", "2"], 5, fetch)
        assert fetch.asked == [["1", "2"]]
    assert not (tmp_path / FILE_NAME).exists()


def test_hooks_skip_and_done(cache) -> None:
    fetch = Fetch()
    done: list[tuple[int, int]] = []
    hooks = BatchHooks(skip={1, 3}, done=lambda i, n: done.append((i, n)))
    with make_client(cache) as client:
        got = collect(client, IDS7, 2, fetch, hooks=hooks)
    assert sorted(fetch.asked) == [["1", "2"], ["5", "6"]]  # made on worker threads
    assert [chunk for chunk, _ in got] == [["1", "2"], ["5", "6"]]
    assert done == [(0, 2), (2, 2)]


def test_done_is_called_after_the_consumer_took_the_batch(cache) -> None:
    events: list[str] = []
    hooks = BatchHooks(done=lambda i, n: events.append(f"done {i}"))
    with make_client(cache) as client:
        for chunk, _ in run_batches(
            client, IDS7[:4], 2, FunctionSource(Fetch(), "sig"), Ledger(), hooks
        ):
            events.append(f"took {','.join(chunk)}")
    assert events == ["took 1,2", "done 0", "took 3,4", "done 1"]


def test_a_batch_given_up_is_reported_after_the_others_and_not_cached(cache) -> None:
    fetch = Fetch(fail=frozenset({"3"}))
    done: list[tuple[int, int]] = []
    got = []
    stats = Ledger()
    with make_client(cache) as client:
        batches = run_batches(
            client,
            IDS7,
            2,
            FunctionSource(fetch, "sig"),
            stats,
            BatchHooks(done=lambda i, n: done.append((i, n))),
        )
        with pytest.raises(PartialFailure) as excinfo:
            for chunk, result in batches:
                got.append((chunk, [ls.ids for ls in result.linksets]))
    assert excinfo.value.ids == ("3", "4")
    assert got == [
        (["1", "2"], [("1",), ("2",)]),
        ([], []),
        (["5", "6"], [("5",), ("6",)]),
        (["7"], [("7",)]),
    ]
    assert done == [(0, 2)]  # the finished prefix: nothing after the failed batch
    assert stats.ids_failed == ["3", "4"]
    assert set(cache.get_many("sig", IDS7)) == {"1", "2", "5", "6", "7"}
