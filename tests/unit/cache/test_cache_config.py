"""Cron-job machinery at library level: the per-id cache, batches through it, the shared
start pacer, settings and the config file, atomic output with its journal, and
property-based tests of the id and stdin parsers.

No network (requests-mock where HTTP is needed) and no real waiting: time comes from
FakeClock, the cache's wall clock from `CacheClock` below.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import requests
import requests_mock
from hypothesis import given, settings
from hypothesis import strategies as st
from support.fakes import FakeClock, elink_xml, form_values
from support.paths import TESTS

from elinkcli import constants as C
from elinkcli.cache.store import (
    FILE_NAME,
    SCHEMA,
    LinkSetCache,
    decode_linkset,
    encode_linkset,
    linkset_ids,
    request_signature,
)
from elinkcli.commands.batching import BatchHooks, run_batches
from elinkcli.commands.link import link
from elinkcli.config import (
    FILE_KEYS,
    Settings,
    parse_duration,
    read_config_file,
    resolve,
)
from elinkcli.errors import CacheMissError, GaveUpError, PartialFailure, UsageError
from elinkcli.eutils.client import EutilsClient
from elinkcli.eutils.pacing import SharedStartPacer, StartPacer, rate_file
from elinkcli.eutils.params import elink_params
from elinkcli.eutils.parsers import parse_elink
from elinkcli.ids.source import INPUT_FORMATS, IdSource, read_source
from elinkcli.ids.tokens import check_ids, quoted
from elinkcli.models import ELinkResult, LinkSet, LinkStats
from elinkcli.output.files import JOURNAL_MAGIC, AtomicOutput

RESPONSES = TESTS / "fixtures" / "eutils" / "responses"
BASE = "https://eutils.test/entrez/eutils/"
SECRET = "SECRET-0123456789abcdef0123456789ab"
EMAIL = "cron@example.org"


class CacheClock(FakeClock):
    """FakeClock with the wall-clock `time()` the cache stamps its entries with."""

    def time(self) -> float:
        return self.monotonic()


# --- 1. LinkSet <-> JSON -----------------------------------------------------------------


def _parsed(name: str) -> tuple[LinkSet, ...]:
    return parse_elink((RESPONSES / name).read_bytes()).linksets


# Real answers whose LinkSets are cacheable (no <ERROR>, no history): every shape the
# cache stores. neighbor_history answers (nhist) are never cached per id.
CACHEABLE = sorted(
    p.name
    for p in RESPONSES.glob("*elink*.xml")
    if "nhist" not in p.name
    and all(not ls.errors and not ls.histories for ls in parse_elink(p.read_bytes()).linksets)
)


def test_the_fixtures_cover_every_linkset_shape() -> None:
    """The round-trip test below sees each shape at least once, from NCBI's own answers."""
    linksets = [ls for name in CACHEABLE for ls in _parsed(name)]
    assert any(d.scores for ls in linksets for d in ls.linksetdbs)  # neighbor_score
    attrs = {a for ls in linksets for c in ls.id_checks for a, _ in c.attrs}
    assert {"HasNeighbor", "HasLinkOut"} <= attrs  # ncheck, lcheck
    assert any(li.url for ls in linksets for s in ls.id_link_sets for li in s.linkinfos)
    providers = [o.provider for ls in linksets for s in ls.id_url_sets for o in s.objurls]
    assert any(p is not None and p.name for p in providers)  # llinks
    assert any(ls.infos for ls in linksets)
    assert len(CACHEABLE) >= 20


@pytest.mark.parametrize("name", CACHEABLE)
def test_decode_encode_is_identity_on_real_answers(name: str) -> None:
    linksets = _parsed(name)
    assert linksets
    for ls in linksets:
        stored = json.loads(json.dumps(encode_linkset(ls)))  # as the cache keeps it: text
        assert decode_linkset(stored) == ls


@pytest.mark.parametrize(
    "name",
    [
        "bioperl.elink_scores.xml",
        "bioperl.elink_ncheck.xml",
        "bioperl.elink_lcheck_corr.xml",
        "bioperl.elink_acheck.xml",
        "bioperl.elink_llinks.xml",
        "bioperl.elink_llinks_corr.xml",
    ],
)
def test_put_then_get_gives_back_the_same_linksets(tmp_path: Path, name: str) -> None:
    cache = LinkSetCache(tmp_path, ttl=3600, clock=CacheClock())
    by_id: dict[str, list[LinkSet]] = {}
    for ls in _parsed(name):
        ids = linkset_ids(ls)
        assert ids
        by_id.setdefault(ids[0], []).append(ls)
    cache.put_many("sig", by_id)
    assert cache.get_many("sig", by_id) == by_id
    assert cache.get_many("other signature", by_id) == {}
    cache.close()


# --- 2. the cache: TTL, size bound, prune, clear -----------------------------------------


def _linksets(uid: str, n_targets: int = 3) -> list[LinkSet]:
    xml = elink_xml({uid: [f"{uid}{j:03d}" for j in range(n_targets)]})
    return list(parse_elink(xml.encode()).linksets)


def test_get_many_honours_the_ttl(tmp_path: Path) -> None:
    clock = CacheClock(start=10_000.0)
    cache = LinkSetCache(tmp_path, ttl=60, clock=clock)
    cache.put_many("sig", {"1": _linksets("1")})
    clock.advance(30)
    cache.put_many("sig", {"2": _linksets("2")})

    clock.advance(30)  # "1" is exactly 60 s old: still fresh
    assert set(cache.get_many("sig", ["1", "2", "3"])) == {"1", "2"}
    info = cache.info()
    assert (info.entries, info.fresh) == (2, 2)

    clock.advance(0.5)
    assert cache.get_many("sig", ["1", "2", "3"]) == {"2": _linksets("2")}
    info = cache.info()
    assert (info.entries, info.fresh) == (2, 1)
    assert (info.oldest, info.newest) == (10_000.0, 10_030.0)

    clock.advance(30)
    assert cache.get_many("sig", ["1", "2"]) == {}
    assert cache.info().fresh == 0
    cache.close()


def test_a_zero_ttl_never_answers(tmp_path: Path) -> None:
    clock = CacheClock()
    cache = LinkSetCache(tmp_path, ttl=0, clock=clock)
    cache.put_many("sig", {"1": _linksets("1")})
    clock.advance(0.001)
    assert cache.get_many("sig", ["1"]) == {}
    cache.close()


def test_a_rewrite_refreshes_the_entry(tmp_path: Path) -> None:
    clock = CacheClock()
    cache = LinkSetCache(tmp_path, ttl=100, clock=clock)
    cache.put_many("sig", {"1": _linksets("1", 1)})
    clock.advance(90)
    cache.put_many("sig", {"1": _linksets("1", 4)})
    clock.advance(90)  # 180 s after the first write, 90 after the second
    assert cache.get_many("sig", ["1"]) == {"1": _linksets("1", 4)}
    assert cache.info().entries == 1
    cache.close()


def test_prune_removes_the_expired_only(tmp_path: Path) -> None:
    clock = CacheClock(start=1_000.0)
    cache = LinkSetCache(tmp_path, ttl=500, clock=clock)
    cache.put_many("sig", {u: _linksets(u) for u in ("1", "2", "3")})
    clock.advance(400)
    cache.put_many("sig", {u: _linksets(u) for u in ("4", "5")})
    clock.advance(200)  # 1, 2, 3 are 600 s old; 4, 5 are 200 s old
    assert cache.prune() == 3
    info = cache.info()
    assert (info.entries, info.fresh) == (2, 2)
    assert set(cache.get_many("sig", ["1", "2", "3", "4", "5"])) == {"4", "5"}
    assert cache.prune() == 0
    cache.close()


def test_clear_removes_everything(tmp_path: Path) -> None:
    cache = LinkSetCache(tmp_path, ttl=500, clock=CacheClock())
    cache.put_many("a", {u: _linksets(u) for u in ("1", "2")})
    cache.put_many("b", {"1": _linksets("1")})
    assert cache.clear() == 3
    info = cache.info()
    assert (info.entries, info.answers_bytes, info.oldest, info.newest) == (0, 0, None, None)
    assert info.size_bytes <= 64 * 1024
    cache.close()


def test_two_caches_on_one_directory_see_each_others_entries(tmp_path: Path) -> None:
    clock = CacheClock()
    first = LinkSetCache(tmp_path, ttl=3600, clock=clock)
    second = LinkSetCache(tmp_path, ttl=3600, clock=clock)
    for n in range(30):
        writer = first if n % 2 else second
        writer.put_many("sig", {str(n): _linksets(str(n))})
    ids = [str(n) for n in range(30)]
    expected = {i: _linksets(i) for i in ids}
    assert first.get_many("sig", ids) == expected
    assert second.get_many("sig", ids) == expected
    first.close()
    second.close()


WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from elinkcli.cache.store import LinkSetCache
    from elinkcli.models import LinkSet, LinkSetDb

    directory, worker, start = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    while time.time() < start:
        time.sleep(0.001)
    cache = LinkSetCache(Path(directory), 3600)
    for k in range(40):
        uid = str(worker * 1000 + k)
        ls = LinkSet("gene", (uid,), (LinkSetDb("protein", "gene_protein", (uid + "7",)),))
        cache.put_many("sig", {uid: [ls]})
        cache.get_many("sig", [uid, str(k)])
    cache.close()
    """
)


def test_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    """Six processes write 40 entries each into one cache at the same time."""
    LinkSetCache(tmp_path, ttl=3600).close()  # opening a fresh one together: next test
    workers = 6
    start = time.time() + 1.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path), str(w), str(start)],
            stderr=subprocess.PIPE,
        )
        for w in range(workers)
    ]
    errors = [p.communicate(timeout=60)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * workers, errors
    cache = LinkSetCache(tmp_path, ttl=3600)
    ids = [str(w * 1000 + k) for w in range(workers) for k in range(40)]
    found = cache.get_many("sig", ids)
    assert set(found) == set(ids)
    for uid, linksets in found.items():
        assert [ls.ids for ls in linksets] == [(uid,)]
        assert linksets[0].linksetdbs[0].ids == (uid + "7",)
    assert cache.db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    cache.close()


def test_opening_a_fresh_cache_waits_for_another_process_creating_it(tmp_path: Path) -> None:
    creator = sqlite3.connect(tmp_path / FILE_NAME, isolation_level=None, check_same_thread=False)
    creator.executescript(SCHEMA)  # not yet switched to WAL
    creator.execute("BEGIN IMMEDIATE")
    creator.execute("INSERT INTO entries VALUES ('k', '[]', 1, 2)")
    done = threading.Timer(0.3, lambda: creator.execute("COMMIT"))
    done.start()
    try:
        cache = LinkSetCache(tmp_path, ttl=60)  # should wait for the lock, like any write
    finally:
        done.join()
        creator.close()
    assert cache.db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert cache.info().entries == 1
    cache.close()


# --- 3. the signature: the request without ids or credentials -----------------------------


def test_signature_leaves_out_ids_and_order() -> None:
    one = elink_params(dbfrom="gene", db="protein", cmd="neighbor", ids=["1", "2"])
    other = elink_params(dbfrom="gene", db="protein", cmd="neighbor", ids=["99"])
    assert request_signature(BASE, "elink.fcgi", one) == request_signature(
        BASE, "elink.fcgi", other
    )
    assert request_signature(BASE, "elink.fcgi", one) == request_signature(
        BASE, "elink.fcgi", list(reversed(one))
    )
    named = elink_params(
        dbfrom="gene", db="protein", cmd="neighbor", linkname="gene_protein_refseq"
    )
    for different in (
        request_signature(BASE, "elink.fcgi", named),
        request_signature("https://mirror.test/eutils/", "elink.fcgi", one),
        request_signature(BASE, "elink.fcgi", [*one, ("cmd2", "x")]),
    ):
        assert different != request_signature(BASE, "elink.fcgi", one)
    assert '"1"' not in request_signature(BASE, "elink.fcgi", one)


class Elink:
    """requests-mock callback: one LinkSet per id= value, links from the id."""

    def __init__(self) -> None:
        self.asked: list[list[str]] = []
        self.identities: list[tuple[str | None, ...]] = []

    def __call__(self, request: Any, context: Any) -> str:
        ids = form_values(request, "id")
        self.asked.append(ids)
        self.identities.append(
            tuple((form_values(request, k) or [None])[0] for k in ("tool", "email", "api_key"))
        )
        return elink_xml({i: [f"{i}00", f"{i}01"] for i in ids})


@pytest.fixture
def mocked() -> Iterator[tuple[requests.Session, Elink]]:
    session = requests.Session()
    adapter = requests_mock.Adapter()
    answer = Elink()
    adapter.register_uri("POST", BASE + C.ELINK, text=answer)
    session.mount("https://", adapter)
    yield session, answer
    session.close()


def _files_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file())


def test_the_key_and_email_never_reach_the_cache(tmp_path: Path, mocked, monkeypatch) -> None:
    session, answer = mocked
    seen: list[str] = []
    put_many = LinkSetCache.put_many
    get_many = LinkSetCache.get_many

    def spy_put(self: LinkSetCache, signature: str, answers: Any) -> None:
        seen.append(signature)
        put_many(self, signature, answers)

    def spy_get(self: LinkSetCache, signature: str, ids: Any) -> Any:
        seen.append(signature)
        return get_many(self, signature, ids)

    monkeypatch.setattr(LinkSetCache, "put_many", spy_put)
    monkeypatch.setattr(LinkSetCache, "get_many", spy_get)
    cache_dir = tmp_path / "cache"
    settings = Settings(base_url=BASE, email=EMAIL, api_key=SECRET, cache_dir=cache_dir)
    with EutilsClient(settings, session=session, pacer=StartPacer(0, FakeClock())) as client:
        assert client.cache is not None
        rows = list(link(["11", "12"], db="gene", target="protein", batch=1, client=client))
        again = list(link(["12", "13"], db="gene", target="protein", batch=5, client=client))
    assert [r.source_id for r in rows] == ["11", "11", "12", "12"]
    assert [r.target_id for r in again] == ["1200", "1201", "1300", "1301"]
    # Batches go out concurrently; 12 came from the cache the second time.
    assert sorted(answer.asked) == [["11"], ["12"], ["13"]]
    # The key and e-mail were sent, and are in no signature nor anywhere on disk.
    assert set(answer.identities) == {(C.TOOL, EMAIL, SECRET)}
    assert seen and len(set(seen)) == 1
    signature = seen[0]
    for word in (SECRET, EMAIL, "api_key", "email", "tool", '"11"', '"12"'):
        assert word not in signature
    on_disk = _files_bytes(tmp_path)
    assert on_disk  # the cache and the rate slot file
    assert SECRET.encode() not in on_disk
    assert EMAIL.encode() not in on_disk
    stored = LinkSetCache(cache_dir, ttl=3600)
    assert stored.info().entries == 3  # 11, 12, 13 under that one signature
    assert set(stored.get_many(signature, ["11", "12", "13"])) == {"11", "12", "13"}
    stored.close()


# --- 4. run_batches through the cache -----------------------------------------------------


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
    stats: LinkStats | None = None,
) -> list[tuple[list[str], list[tuple[str, ...]]]]:
    """What run_batches yields: (chunk, ids of each LinkSet)."""
    out = []
    for chunk, result in run_batches(
        client, list(ids), size, fetch, stats or LinkStats(), "sig", hooks
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
    stats = LinkStats()
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
        for _chunk, result in run_batches(client, IDS7, 3, Fetch(), LinkStats(), "sig"):
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
        results = list(run_batches(client, ["1", "2", "3"], 3, fetch, LinkStats(), "sig"))
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
    stats = LinkStats()
    got = []
    with make_client(cache, "offline") as client:
        batches = run_batches(
            client,
            IDS7,
            2,
            fetch,
            stats,
            "sig",
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
    stats = LinkStats()
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
        for chunk, _ in run_batches(client, IDS7[:4], 2, Fetch(), LinkStats(), "sig", hooks):
            events.append(f"took {','.join(chunk)}")
    assert events == ["took 1,2", "done 0", "took 3,4", "done 1"]


def test_a_batch_given_up_is_reported_after_the_others_and_not_cached(cache) -> None:
    fetch = Fetch(fail=frozenset({"3"}))
    done: list[tuple[int, int]] = []
    got = []
    stats = LinkStats()
    with make_client(cache) as client:
        batches = run_batches(
            client, IDS7, 2, fetch, stats, "sig", BatchHooks(done=lambda i, n: done.append((i, n)))
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


# --- 5. the shared start pacer ----------------------------------------------------------


def test_two_pacers_on_one_file_share_the_slots(tmp_path: Path) -> None:
    """Two "processes" (two pacers, one slot file) take turns: every start an interval
    after the one before, whichever pacer it came from."""
    clock = FakeClock(start=500.0)
    path = rate_file(tmp_path, None)
    a = SharedStartPacer(0.35, clock, path)
    b = SharedStartPacer(0.35, clock, path)
    order = [a, b, b, a, b, a, a, b]
    slots = [pacer.acquire() for pacer in order]
    assert slots == pytest.approx([500.0 + 0.35 * k for k in range(len(order))])
    assert float(path.read_text()) == pytest.approx(500.0 + 0.35 * len(order))


def test_a_second_pacer_waits_for_the_slot_the_first_took(tmp_path: Path) -> None:
    clock = FakeClock(start=100.0)
    path = rate_file(tmp_path, None)
    a = SharedStartPacer(1.0, clock, path)
    b = SharedStartPacer(1.0, clock, path)
    assert a.acquire() == 100.0
    clock.advance(0.25)
    assert b.acquire() == 101.0  # not now: a's interval is not over
    assert clock.sleeps[-1] == pytest.approx(0.75)


def test_a_slot_far_in_the_future_is_stale_and_reset(tmp_path: Path) -> None:
    clock = FakeClock(start=100.0)
    path = rate_file(tmp_path, None)
    path.write_text(repr(100.0 + SharedStartPacer.STALE + 3600))  # left by a dead clock
    pacer = SharedStartPacer(0.35, clock, path)
    assert pacer.acquire() == 100.0
    assert clock.total_slept == 0
    assert float(path.read_text()) == pytest.approx(100.35)


def test_a_slot_ahead_within_the_stale_limit_is_waited_for(tmp_path: Path) -> None:
    clock = FakeClock(start=100.0)
    path = rate_file(tmp_path, None)
    path.write_text(repr(105.0))  # others have taken the next 5 s
    pacer = SharedStartPacer(0.35, clock, path)
    assert pacer.acquire() == 105.0
    assert clock.total_slept == pytest.approx(5.0)


@pytest.mark.parametrize("content", ["", "garbage", "nan?", "1e", "nan"])
def test_an_unreadable_slot_file_counts_as_a_start_just_made(tmp_path: Path, content: str) -> None:
    """Careful, not fast: a damaged file costs one interval, never a burst, and is mended."""
    clock = FakeClock(start=42.0)
    path = rate_file(tmp_path, None)
    path.write_text(content)
    pacer = SharedStartPacer(0.35, clock, path)
    assert pacer.acquire() == pytest.approx(42.35)
    assert pacer.acquire() == pytest.approx(42.70)
    assert float(path.read_text()) == pytest.approx(43.05)


def test_a_missing_slot_file_means_start_now(tmp_path: Path) -> None:
    clock = FakeClock(start=42.0)
    assert SharedStartPacer(0.35, clock, rate_file(tmp_path, None)).acquire() == 42.0


def test_rate_files_never_hold_the_key(tmp_path: Path) -> None:
    nokey = rate_file(tmp_path, None)
    keyed = rate_file(tmp_path, SECRET)
    other = rate_file(tmp_path, SECRET + "x")
    assert nokey.name == "rate-nokey.slot"
    assert keyed.name == f"rate-{hashlib.sha256(SECRET.encode()).hexdigest()[:16]}.slot"
    assert len({nokey, keyed, other}) == 3  # one rate class per key
    clock = FakeClock()
    SharedStartPacer(0.11, clock, keyed).acquire()
    assert SECRET not in keyed.name
    assert SECRET.encode() not in _files_bytes(tmp_path)
    assert keyed.exists() and Path(str(keyed) + ".lock").exists()


def test_client_paces_through_the_shared_file_of_its_rate_class(tmp_path: Path) -> None:
    state, cache = tmp_path / "state", tmp_path / "cache"
    keyed_settings = Settings(base_url=BASE, cache_dir=cache, state_dir=state, api_key=SECRET)
    with EutilsClient(keyed_settings) as keyed:
        assert isinstance(keyed.pacer, SharedStartPacer)
        assert keyed.pacer.path == rate_file(state, SECRET)
        assert keyed.pacer.interval == C.START_INTERVAL_WITH_KEY
    with EutilsClient(Settings(base_url=BASE, cache_dir=cache, state_dir=state)) as plain:
        assert isinstance(plain.pacer, SharedStartPacer)
        assert plain.pacer.path == state / "rate-nokey.slot"
        assert plain.pacer.interval == C.START_INTERVAL_NO_KEY
    with EutilsClient(Settings(base_url=BASE)) as stateless:
        assert isinstance(stateless.pacer, StartPacer)
        assert stateless.cache is None


def test_processes_with_different_cache_dirs_share_one_state_dir(tmp_path: Path) -> None:
    """The pacing state follows the user, not the cache: two cache dirs, one slot file."""
    env = {"ELINKCLI_CONFIG": os.devnull}
    a = resolve(environ={**env, "ELINKCLI_CACHE_DIR": str(tmp_path / "a")}).settings
    b = resolve(environ={**env, "ELINKCLI_CACHE_DIR": str(tmp_path / "b")}).settings
    assert a.cache_dir != b.cache_dir
    assert a.state_dir == b.state_dir
    assert a.state_dir is not None and not str(a.state_dir).startswith(str(tmp_path))
    with EutilsClient(a) as ca, EutilsClient(b) as cb:
        assert isinstance(ca.pacer, SharedStartPacer) and isinstance(cb.pacer, SharedStartPacer)
        assert ca.pacer.path == cb.pacer.path
    given = resolve(environ={**env, "ELINKCLI_STATE_DIR": str(tmp_path / "s")}).settings
    assert given.state_dir == tmp_path / "s"


# --- 6. settings: option > environment > config file > default --------------------------


def write_config(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(textwrap.dedent(text), "utf-8")
    path.chmod(mode)
    return path


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return write_config(
        tmp_path / "config.toml",
        """
        email = "file@example.org"
        api_key = "file-key"
        base_url = "http://file.test/eutils"
        cache_dir = "/tmp/elinkcli-file-cache"
        cache_ttl = "12h"
        timeout = 7
        deadline = 70
        max_time = "2h"
        adaptive_batch = true
        icite_url = "http://icite.file.test/api"
        europepmc_url = "http://epmc.file.test/rest/"
        citations_from = "all"
        cache_journal = "delete"
        """,
    )


def test_every_setting_from_the_config_file(config_file: Path) -> None:
    resolved = resolve(environ={"ELINKCLI_CONFIG": str(config_file)})
    s = resolved.settings
    assert (s.email, s.api_key, s.base_url) == (
        "file@example.org",
        "file-key",
        "http://file.test/eutils/",
    )
    assert s.cache_dir == Path("/tmp/elinkcli-file-cache")
    assert (s.cache_ttl, s.read_timeout, s.deadline) == (12 * 3600, 7.0, 70.0)
    assert s.adaptive_batch is True
    assert s.max_time == 7200.0
    where = f"config file ({config_file})"
    names = ("base_url", "email", "api_key", "timeout", "deadline", "cache_dir", "cache_ttl")
    names += ("max_time", "icite_url", "europepmc_url", "citations_from", "cache_journal")
    assert s.cache_journal == "delete"
    assert (s.icite_url, s.europepmc_url, s.citations_from) == (
        "http://icite.file.test/api/",
        "http://epmc.file.test/rest/",
        "all",
    )
    assert resolved.sources == dict.fromkeys((*names, "adaptive_batch"), where)
    assert resolved.config_file == config_file
    assert resolved.config_warnings == ()


def test_environment_beats_the_file(config_file: Path) -> None:
    env = {
        "ELINKCLI_CONFIG": str(config_file),
        "NCBI_EMAIL": "env@example.org",
        "EMAIL": "plain@example.org",
        "NCBI_API_KEY": "env-key",
        "ELINKCLI_BASE_URL": "http://env.test/eutils/",
        "ELINKCLI_CACHE_DIR": "/tmp/env-cache",
    }
    resolved = resolve(environ=env)
    s = resolved.settings
    assert (s.email, s.api_key, s.base_url, s.cache_dir) == (
        "env@example.org",
        "env-key",
        "http://env.test/eutils/",
        Path("/tmp/env-cache"),
    )
    assert resolved.sources["email"] == "environment (NCBI_EMAIL)"
    assert resolved.sources["api_key"] == "environment (NCBI_API_KEY)"
    assert resolved.sources["base_url"] == "environment (ELINKCLI_BASE_URL)"
    assert resolved.sources["cache_dir"] == "environment (ELINKCLI_CACHE_DIR)"
    # Without NCBI_EMAIL, EMAIL is next.
    del env["NCBI_EMAIL"]
    resolved = resolve(environ=env)
    assert resolved.settings.email == "plain@example.org"
    assert resolved.sources["email"] == "environment (EMAIL)"
    # The file still gives what the environment does not set.
    assert resolved.settings.cache_ttl == 12 * 3600
    assert resolved.sources["cache_ttl"] == f"config file ({config_file})"


def test_options_beat_everything(config_file: Path) -> None:
    env = {
        "ELINKCLI_CONFIG": str(config_file),
        "NCBI_EMAIL": "env@example.org",
        "NCBI_API_KEY": "env-key",
        "ELINKCLI_BASE_URL": "http://env.test/eutils/",
    }
    resolved = resolve(
        base_url="https://option.test/e",
        email="opt@example.org",
        api_key="opt-key",
        cache_dir=Path("/tmp/opt-cache"),
        cache_ttl="30m",
        timeout=3,
        deadline=30,
        max_time="0",
        icite_url="http://icite.option.test/",
        europepmc_url="http://epmc.option.test/",
        citations_from="elink",
        adaptive_batch=False,
        cache_journal="wal",
        environ=env,
    )
    s = resolved.settings
    assert s.adaptive_batch is False
    assert s.cache_journal == "wal"
    assert (s.base_url, s.email, s.api_key, s.cache_dir) == (
        "https://option.test/e/",
        "opt@example.org",
        "opt-key",
        Path("/tmp/opt-cache"),
    )
    assert (s.cache_ttl, s.read_timeout, s.deadline) == (1800.0, 3.0, 30.0)
    assert s.max_time is None  # 0: no limit
    assert set(resolved.sources.values()) == {"option"}


def test_defaults_without_file_or_environment(tmp_path: Path) -> None:
    env = {"ELINKCLI_CONFIG": os.devnull}
    resolved = resolve(environ=env)
    s = resolved.settings
    assert s.base_url == C.DEFAULT_BASE_URL
    assert (s.email, s.api_key) == (None, None)
    assert (s.cache_ttl, s.read_timeout, s.deadline) == (C.CACHE_TTL, C.READ_TIMEOUT, C.DEADLINE)
    assert s.cache_mode == "use"
    assert s.cache_dir is not None and s.cache_dir.name == "elinkcli"
    assert set(resolved.sources.values()) == {"default"}
    assert resolved.config_warnings == ()


def test_empty_values_fall_through(config_file: Path) -> None:
    env = {"ELINKCLI_CONFIG": str(config_file), "NCBI_EMAIL": "", "NCBI_API_KEY": ""}
    resolved = resolve(email="", environ=env)
    assert resolved.settings.email == "file@example.org"
    assert resolved.sources["email"] == f"config file ({config_file})"
    assert resolved.settings.api_key == "file-key"


@pytest.mark.parametrize("mode", [0o620, 0o602, 0o660, 0o666, 0o622])
def test_a_config_file_others_can_write_is_refused(tmp_path: Path, mode: int) -> None:
    path = write_config(tmp_path / "c.toml", 'email = "x@example.org"\n', mode)
    with pytest.raises(UsageError, match="other users can write it") as excinfo:
        resolve(environ={"ELINKCLI_CONFIG": str(path)})
    assert str(path) in str(excinfo.value)
    with pytest.raises(UsageError):
        read_config_file(path)


@pytest.mark.parametrize(("mode", "warned"), [(0o600, False), (0o640, True), (0o644, True)])
def test_a_key_others_can_read_is_warned_about(tmp_path: Path, mode: int, warned: bool) -> None:
    path = write_config(tmp_path / "c.toml", 'api_key = "k"\n', mode)
    values, warnings = read_config_file(path)
    assert values == {"api_key": "k"}
    readable = [w for w in warnings if "API key that other users can read" in w]
    assert len(readable) == int(warned)
    if warned:
        assert str(path) in readable[0]


def test_no_key_no_warning_even_when_readable(tmp_path: Path) -> None:
    path = write_config(tmp_path / "c.toml", 'email = "x@example.org"\n', 0o644)
    assert read_config_file(path) == ({"email": "x@example.org"}, [])


def test_unknown_keys_are_warned_about_and_ignored(tmp_path: Path) -> None:
    path = write_config(
        tmp_path / "c.toml", 'emial = "typo@example.org"\nrate = 10\nemail = "a@example.org"\n'
    )
    values, warnings = read_config_file(path)
    assert values == {"email": "a@example.org"}
    assert sorted(warnings) == sorted(
        f"config file {path}: unknown setting {k!r} ignored" for k in ("emial", "rate")
    )
    resolved = resolve(environ={"ELINKCLI_CONFIG": str(path)})
    assert resolved.config_warnings == tuple(warnings)
    assert set(FILE_KEYS) == {
        "email",
        "api_key",
        "base_url",
        "cache_dir",
        "cache_ttl",
        "cache_journal",
        "timeout",
        "deadline",
        "max_time",
        "adaptive_batch",
        "icite_url",
        "europepmc_url",
        "citations_from",
    }


@pytest.mark.parametrize(
    "text",
    ['email = "unterminated\n', "= 3\n", "timeout = [\n"],
    ids=["string", "key", "array"],
)
def test_a_config_file_that_is_not_toml_is_a_usage_error(tmp_path: Path, text: str) -> None:
    path = write_config(tmp_path / "c.toml", text)
    with pytest.raises(UsageError, match="cannot read config file"):
        read_config_file(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [("timeout = 0\n", "timeout must be positive"), ('deadline = "soon"\n', "deadline must")],
)
def test_bad_numbers_in_the_file_are_usage_errors(tmp_path: Path, text: str, message: str):
    path = write_config(tmp_path / "c.toml", text)
    with pytest.raises(UsageError, match=message):
        resolve(environ={"ELINKCLI_CONFIG": str(path)})


def test_a_base_url_that_is_not_http_is_refused(tmp_path: Path) -> None:
    path = write_config(tmp_path / "c.toml", 'base_url = "file:///etc/passwd"\n')
    with pytest.raises(UsageError, match="http"):
        resolve(environ={"ELINKCLI_CONFIG": str(path)})


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("3600", 3600.0),
        ("0", 0.0),
        ("90s", 90.0),
        ("30m", 1800.0),
        ("12h", 43200.0),
        ("7d", 604800.0),
        ("1.5h", 5400.0),
        (" 2d ", 172800.0),
        (45, 45.0),
        (2.5, 2.5),
    ],
)
def test_parse_duration(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "d", "7w", "-1", "1.5.2", "12 hours", "1e3", "h12"])
def test_parse_duration_refuses_garbage(text: str) -> None:
    with pytest.raises(UsageError, match="bad duration"):
        parse_duration(text)


@given(st.text(max_size=12))
def test_parse_duration_never_crashes(text: str) -> None:
    try:
        seconds = parse_duration(text)
    except UsageError:
        return
    assert seconds >= 0


# --- 7. atomic output and the journal ------------------------------------------------------


def test_commit_renames_the_part_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / "out.tsv"
    path.write_text("yesterday\n")
    out = AtomicOutput(path, "fp")
    out.stream.write("a\n")
    out.batch_done(0, 1)
    out.stream.write("b\n")
    assert path.read_text() == "yesterday\n"  # untouched until the end
    out.commit()
    assert path.read_text() == "a\nb\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tsv"]


def test_abort_before_any_batch_leaves_nothing_and_the_old_file_untouched(
    tmp_path: Path,
) -> None:
    path = tmp_path / "out.tsv"
    path.write_text("yesterday\n")
    out = AtomicOutput(path, "fp")
    out.stream.write("half a row")
    out.abort()
    assert path.read_text() == "yesterday\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tsv"]
    fresh = tmp_path / "new.tsv"
    AtomicOutput(fresh, "fp").abort()
    assert not fresh.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tsv"]


def test_abort_after_a_batch_keeps_part_and_journal(tmp_path: Path) -> None:
    path = tmp_path / "out.tsv"
    path.write_text("yesterday\n")
    out = AtomicOutput(path, "fp")
    out.stream.write("h\nrow1\n")
    out.batch_done(0, 1)
    out.stream.write("row2 of a batch cut short\n")
    out.abort()
    assert path.read_text() == "yesterday\n"
    journal = (tmp_path / "out.tsv.journal").read_text().splitlines()
    assert journal == [f"{JOURNAL_MAGIC} fp", "batch 0 7 1"]
    assert (tmp_path / "out.tsv.part").read_text().startswith("h\nrow1\n")


def _interrupted(tmp_path: Path, fingerprint: str = "fp") -> Path:
    """A run that finished batches 0 and 1 and was cut in batch 2."""
    path = tmp_path / "out.tsv"
    out = AtomicOutput(path, fingerprint)
    out.stream.write("header\n0a\n0b\n")
    out.batch_done(0, 2)
    out.stream.write("1a\n")
    out.batch_done(1, 3)
    out.stream.write("2a\n2")
    out.stream.flush()
    out.abort()
    return path


def test_resume_cuts_back_to_the_last_finished_batch(tmp_path: Path) -> None:
    path = _interrupted(tmp_path)
    assert (tmp_path / "out.tsv.part").read_text() == "header\n0a\n0b\n1a\n2a\n2"
    out = AtomicOutput(path, "fp", resume=True)
    assert out.resumed
    assert out.done == {0, 1}
    assert out.rows == 3
    assert (tmp_path / "out.tsv.part").read_text() == "header\n0a\n0b\n1a\n"
    out.stream.write("2a\n2b\n")
    out.batch_done(2, 5)
    out.commit()
    assert path.read_text() == "header\n0a\n0b\n1a\n2a\n2b\n"
    assert not (tmp_path / "out.tsv.journal").exists()
    assert not (tmp_path / "out.tsv.part").exists()


@pytest.mark.parametrize(
    "torn",
    ["batch 2 1", "batch 2 18 ", "batch", "batch 2 x 4", "bat", "batch 2 18 4 9"],
)
def test_a_torn_last_journal_line_is_ignored(tmp_path: Path, torn: str) -> None:
    path = _interrupted(tmp_path)
    journal = tmp_path / "out.tsv.journal"
    with journal.open("a") as fh:
        fh.write(torn)  # the crash came while this line was written
    out = AtomicOutput(path, "fp", resume=True)
    assert out.done == {0, 1}
    assert out.rows == 3
    assert (tmp_path / "out.tsv.part").read_text() == "header\n0a\n0b\n1a\n"
    out.abort()


def test_a_journal_of_another_run_is_refused(tmp_path: Path) -> None:
    path = _interrupted(tmp_path, "fingerprint-of-run-a")
    before = (tmp_path / "out.tsv.part").read_bytes()
    with pytest.raises(UsageError, match="belongs to another run"):
        AtomicOutput(path, "fingerprint-of-run-b", resume=True)
    # Nothing was cut or overwritten by the refusal.
    assert (tmp_path / "out.tsv.part").read_bytes() == before
    assert (
        (tmp_path / "out.tsv.journal")
        .read_text()
        .startswith(f"{JOURNAL_MAGIC} fingerprint-of-run-a\n")
    )


def test_resume_without_a_journal_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="nothing to resume"):
        AtomicOutput(tmp_path / "out.tsv", "fp", resume=True)
    assert list(tmp_path.iterdir()) == []


def test_resume_with_a_part_shorter_than_the_journal_is_refused(tmp_path: Path) -> None:
    path = _interrupted(tmp_path)
    (tmp_path / "out.tsv.part").write_text("head")
    with pytest.raises(UsageError, match="shorter than its journal"):
        AtomicOutput(path, "fp", resume=True)


def test_resume_of_a_journal_without_batches_starts_again(tmp_path: Path) -> None:
    path = tmp_path / "out.tsv"
    out = AtomicOutput(path, "fp")
    out.stream.write("header\npartial")  # killed before its first batch was done
    out.stream.flush()
    out._unlock()  # as the kernel does when the process dies
    out2 = AtomicOutput(path, "fp", resume=True)
    assert not out2.resumed
    assert out2.done == set()
    assert (tmp_path / "out.tsv.part").read_text() == ""
    out2.stream.write("header\nrow\n")
    out2.commit()
    out.stream.close()
    assert path.read_text() == "header\nrow\n"


def test_an_unwritable_place_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot write"):
        AtomicOutput(tmp_path / "no-such-dir" / "out.tsv", "fp")


# --- 8. properties: ids and stdin parse to ids or a clean error, never a crash ------------

DATABASES = ["gene", "pubmed", "protein", "nuccore", "nucleotide", "Protein", "NucCore", "snp"]
# The accession forms of these databases, written out here (an oracle of the README's
# table, not elinkcli.ids.patterns): RefSeq, GenBank (and UniProt-like) and PDB ids.
_REFSEQ = r"[A-Z]{2}_[A-Z]{0,4}[0-9]+(\.[0-9]+)?"
_GENBANK = r"[A-Z]{1,6}[0-9]{5,10}(\.[0-9]+)?"
ACCESSION_FORMS = {
    "protein": (_REFSEQ, _GENBANK, r"[0-9][A-Z0-9]{3}(_[A-Z0-9]{1,4})?"),
    "nuccore": (_REFSEQ, _GENBANK),
    "nucleotide": (_REFSEQ, _GENBANK),
    "snp": (r"rs[0-9]+", r"ss[0-9]+"),
}
TOKENS = st.one_of(
    st.text(max_size=12),
    st.from_regex(r"[0-9]{1,12}", fullmatch=True),
    st.from_regex(r"[A-Z]{1,3}_?[0-9]{3,9}(\.[0-9]{1,3})?", fullmatch=True),
    st.from_regex(r"(rs|ss|RS)[0-9]{1,9}", fullmatch=True),
    st.sampled_from(["", " ", "1,2", "١٢٣", "12\n", "NM_000546.6.1", "x" * 50, "0", "1TUP_A"]),
)


def _is_uid(token: str) -> bool:
    return bool(token) and all(c in "0123456789" for c in token)


def _is_accession(token: str, db: str) -> bool:
    forms = ACCESSION_FORMS.get(db.lower(), ())
    return token.isascii() and any(re.fullmatch(f, token, re.IGNORECASE) for f in forms)


@settings(max_examples=400, deadline=None)
@given(tokens=st.lists(TOKENS, max_size=12), db=st.sampled_from(DATABASES))
def test_check_ids_accepts_exactly_the_valid_tokens(tokens: list[str], db: str) -> None:
    valid = [t for t in tokens if _is_uid(t) or _is_accession(t, db)]
    try:
        checked = check_ids(tokens, db)
    except UsageError as exc:
        message = str(exc)
        assert "\n" not in message  # one line, whatever the tokens hold
        if tokens and len(valid) == len(tokens):
            pytest.fail(f"valid ids refused: {message}")
        if not tokens:
            assert "no ids" in message
        else:
            first_bad = next(t for t in tokens if t not in valid)
            assert quoted(first_bad) in message
            assert f"for database {db}" in message
        return
    assert len(valid) == len(tokens) and tokens
    assert checked == list(dict.fromkeys(tokens))


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.sampled_from(["gene", "protein", "", "12", "NM_1.2"]),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=10,
)
KEYS = st.sampled_from(
    ["target_id", "target_db", "source_id", "source_db", "path", "db", "id", "gene", "x_2"]
)
RECORDS = st.dictionaries(KEYS, JSON_VALUES, max_size=4)
PATHS = st.builds(
    lambda hops: {"path": hops},
    st.lists(st.fixed_dictionaries({"db": JSON_VALUES, "id": JSON_VALUES}), max_size=3),
)


def _clean_read(data: bytes, form: str) -> IdSource | None:
    try:
        result = read_source(data, form)
    except UsageError as exc:
        assert str(exc)
        return None
    assert isinstance(result, IdSource)
    assert all(isinstance(i, str) and i for i in result.ids)
    assert result.db is None or (isinstance(result.db, str) and result.db)
    return result


@settings(max_examples=300, deadline=None)
@given(
    records=st.lists(st.one_of(RECORDS, PATHS, JSON_VALUES), max_size=5),
    form=st.sampled_from(["json", "jsonl", "auto"]),
)
def test_structured_records_with_any_values_read_cleanly(records: list[Any], form: str):
    if form == "jsonl":
        data = "\n".join(json.dumps(r) for r in records).encode()
    else:
        data = json.dumps(records).encode()
    result = _clean_read(data, form)
    if result is not None and form != "auto":
        assert len(set(result.ids)) == len(result.ids)
        assert result.form == form


@settings(max_examples=300, deadline=None)
@given(
    header=st.lists(
        st.sampled_from(["target_id", "target_db", "source_id", "gene", "protein_2", "Bad", ""]),
        min_size=1,
        max_size=4,
    ),
    rows=st.lists(
        st.lists(
            st.text(
                alphabet=st.characters(codec="utf-8", exclude_characters="\t\n\r"),
                max_size=6,
            )
        ),
        max_size=4,
    ),
    form=st.sampled_from(["tsv", "auto", "plain"]),
)
def test_tsv_with_any_cells_reads_cleanly(header: list[str], rows: list[list[str]], form: str):
    text = "\n".join(["\t".join(header), *("\t".join(r) for r in rows)]) + "\n"
    result = _clean_read(text.encode(), form)
    if form == "plain" and result is not None:
        assert result.db is None
        assert result.form == "plain"


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300), form=st.sampled_from(INPUT_FORMATS))
def test_forced_forms_on_any_bytes_read_cleanly(data: bytes, form: str) -> None:
    _clean_read(data, form)
