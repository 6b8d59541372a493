"""--adaptive-batch: request sizes that grow while answers are fast and shrink on failures.

The size rule (elinkcli.eutils.adaptive) is tested alone; the client's report of each attempt with
requests-mock and a fake clock; the whole path through `link` with requests-mock; the
setting's sources (option, environment, config file). The installed command is in
test_e2e_link.py.
"""

from __future__ import annotations

import functools
import os
import random
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from support.fakes import FakeClock, elink_xml, form_values

from elinkcli.commands.ledger import Ledger
from elinkcli.commands.link import link
from elinkcli.config import Settings, resolve
from elinkcli.constants import ELINK, ENV_ADAPTIVE_BATCH, FAST_ANSWER, MAX_BATCH, SLOW_ANSWER
from elinkcli.errors import PartialFailure, UsageError
from elinkcli.eutils.adaptive import AdaptiveBatch
from elinkcli.eutils.client import EutilsClient
from elinkcli.eutils.elink_parser import parse_elink

BASE = "https://eutils.test/entrez/eutils/"
ELINK_URL = BASE + ELINK


# --- the size rule ----------------------------------------------------------------------


def test_a_fast_answer_at_the_current_size_doubles_it_up_to_the_ceiling() -> None:
    sizer = AdaptiveBatch(100, ceiling=1000)
    for expected in (200, 400, 800, 1000, 1000):
        sizer.observe(sizer.size, FAST_ANSWER / 2, ok=True)
        assert sizer.size == expected


def test_answers_to_older_smaller_requests_do_not_grow_it_again() -> None:
    sizer = AdaptiveBatch(100)
    sizer.observe(100, 0.1, ok=True)
    assert sizer.size == 200
    for _ in range(7):  # the rest of the first wave, all of size 100
        sizer.observe(100, 0.1, ok=True)
    assert sizer.size == 200


@pytest.mark.parametrize("seconds", [FAST_ANSWER, (FAST_ANSWER + SLOW_ANSWER) / 2, SLOW_ANSWER])
def test_an_answer_neither_fast_nor_slow_keeps_the_size(seconds: float) -> None:
    sizer = AdaptiveBatch(100)
    sizer.observe(100, seconds, ok=True)
    assert sizer.size == 100


def test_a_failure_halves_the_size_once_per_wave() -> None:
    sizer = AdaptiveBatch(400)
    sizer.observe(400, 0.5, ok=False)
    assert sizer.size == 200
    for _ in range(7):  # the other requests of that size failing too
        sizer.observe(400, 0.5, ok=False)
    assert sizer.size == 200
    sizer.observe(200, 0.5, ok=False)
    assert sizer.size == 100


def test_a_slow_answer_halves_the_size() -> None:
    sizer = AdaptiveBatch(400)
    sizer.observe(400, SLOW_ANSWER + 1, ok=True)
    assert sizer.size == 200


def test_the_size_never_goes_below_the_floor() -> None:
    sizer = AdaptiveBatch(4)
    for n in (4, 2, 1, 1):
        sizer.observe(n, 0.1, ok=False)
    assert sizer.size == 1


def test_start_is_kept_within_floor_and_ceiling() -> None:
    assert AdaptiveBatch(5000).size == MAX_BATCH
    assert AdaptiveBatch(0).size == 1


def test_chunks_cover_the_ids_once_in_order_at_the_size_current_when_cut() -> None:
    sizer = AdaptiveBatch(2, ceiling=8)
    ids = [str(i) for i in range(30)]
    chunks = []
    for chunk in sizer.chunks(ids):
        chunks.append(chunk)
        sizer.observe(len(chunk), 0.1, ok=True)
    assert [i for c in chunks for i in c] == ids
    assert [len(c) for c in chunks] == [2, 4, 8, 8, 8]
    assert sizer.sizes == [2, 4, 8, 8, 8]


def test_concurrent_observations_leave_a_valid_size() -> None:
    sizer = AdaptiveBatch(100)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(2000):
            n = sizer.size
            sizer.observe(n, rng.choice([0.1, 30.0]), ok=rng.random() < 0.9)

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 1 <= sizer.size <= MAX_BATCH


# --- the client reports each attempt ----------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[int, float, bool]] = []

    def __call__(self, n_ids: int, seconds: float, ok: bool) -> None:
        self.calls.append((n_ids, seconds, ok))


@pytest.fixture
def one_try_client(clock: FakeClock) -> Iterator[EutilsClient]:
    settings = Settings(base_url=BASE, max_tries=1)
    with EutilsClient(settings, clock=clock, rng=random.Random(1)) as c:
        yield c


@pytest.fixture
def heard() -> Recorder:
    return Recorder()


def call(client: EutilsClient, ids: list[str], heard: Recorder) -> None:
    """One request, made as batching makes them: in map_ordered, whose hook hears it."""

    def request(chunk: list[str]) -> object:
        params = [("dbfrom", "gene"), ("db", "protein")] + [("id", i) for i in chunk]
        return client.call(ELINK, params, parse_elink, lambda r: r.errors, ids=chunk)

    [(_, outcome)] = client.map_ordered(request, [ids], on_answer=heard)
    if isinstance(outcome, Exception):
        raise outcome


def test_an_answer_is_reported_with_its_time_from_sending(
    one_try_client: EutilsClient, clock: FakeClock, requests_mock, heard: Recorder
) -> None:
    def answer(request: Any, context: Any) -> str:
        clock.advance(1.5)
        return elink_xml({i: ["9"] for i in form_values(request, "id")})

    requests_mock.post(ELINK_URL, text=answer)
    clock.advance(100)  # time before the request (pacing) is not counted
    call(one_try_client, ["1", "2", "3"], heard)
    assert heard.calls == [(3, 1.5, True)]


@pytest.mark.parametrize(
    ("mock", "reported"),
    [
        ({"status_code": 503, "text": "busy"}, [(2, 0.0, False)]),
        ({"status_code": 502, "text": "gateway"}, [(2, 0.0, False)]),
        ({"exc": requests.ReadTimeout}, [(2, 0.0, False)]),
        ({"text": "<html><body>oops</body></html>"}, [(2, 0.0, False)]),
        ({"text": "<eLinkResult><LinkSet>"}, [(2, 0.0, False)]),
        # Not about size: the rate limit, the network, NCBI's own error texts.
        ({"status_code": 429, "text": "{}"}, []),
        ({"exc": requests.ConnectionError}, []),
        (
            {"text": "<eLinkResult><ERROR>TXCLIENT(#exLinkSrv2) Error: EOF</ERROR></eLinkResult>"},
            [],
        ),
    ],
    ids=["503", "502", "timeout", "html", "truncated", "429", "connection", "error-text"],
)
def test_failures_a_smaller_request_may_avoid_are_reported(
    one_try_client: EutilsClient,
    requests_mock,
    mock: dict[str, Any],
    reported: list,
    heard: Recorder,
) -> None:
    requests_mock.post(ELINK_URL, **mock)
    with pytest.raises(Exception):  # noqa: B017 - which error is tested in test_client.py
        call(one_try_client, ["1", "2"], heard)
    assert heard.calls == reported


def test_requests_without_ids_are_not_reported(
    one_try_client: EutilsClient, requests_mock, heard: Recorder
) -> None:
    requests_mock.post(ELINK_URL, text=elink_xml({}))
    call(one_try_client, [], heard)
    assert heard.calls == []


def test_a_hook_hears_only_its_own_map(
    one_try_client: EutilsClient, requests_mock, heard: Recorder
) -> None:
    """The hook belongs to one map_ordered, not to the client: a request made after it
    (or beside it, outside it) is not heard."""
    requests_mock.post(ELINK_URL, text=elink_xml({"1": ["9"]}))
    call(one_try_client, ["1"], heard)
    one_try_client.call(ELINK, [("dbfrom", "gene"), ("id", "1")], parse_elink, ids=["1"])
    assert heard.calls == [(1, 0.0, True)]


# --- through link -----------------------------------------------------------------------


def targets(uid: str) -> list[str]:
    return [f"{uid}{j}" for j in range(int(uid) % 3)]


class SizeServer:
    """Answers every id; a request of more than `fail_over` ids fails its first try (503)."""

    def __init__(self, fail_over: int | None = None) -> None:
        self.fail_over = fail_over
        self.sizes: list[int] = []
        self.failed: set[tuple[str, ...]] = set()
        self._lock = threading.Lock()

    def __call__(self, request: Any, context: Any) -> str:
        ids = form_values(request, "id")
        with self._lock:
            self.sizes.append(len(ids))
            key = tuple(ids)
            if self.fail_over is not None and len(ids) > self.fail_over and key not in self.failed:
                self.failed.add(key)
                context.status_code = 503
                return "busy"
        return elink_xml({i: targets(i) for i in ids})


def adaptive_client(adaptive: bool) -> EutilsClient:
    settings = Settings(base_url=BASE, max_tries=3, adaptive_batch=adaptive)
    return EutilsClient(settings, clock=FakeClock(), rng=random.Random(5))


# Enough to reach the ceiling however answers interleave: at most one window (8 requests)
# is cut at each size before an answer at that size doubles it: 8 x (100+200+400+800) ids.
IDS = [str(1000 + i) for i in range(20_000)]


def run_link(adaptive: bool, server: SizeServer, requests_mock) -> tuple[list, Ledger]:
    requests_mock.post(ELINK_URL, text=server)
    stats = Ledger()
    with adaptive_client(adaptive) as client:
        rows = list(link(IDS, db="gene", target="protein", batch=100, client=client, stats=stats))
    return rows, stats


# Twenty thousand ids through the batching: in the whole suite, not in the other
# Pythons' subset (.ci/run), which keeps the faster tests of the same code above.
@pytest.mark.slow
def test_fast_answers_grow_requests_to_the_ceiling_same_rows(
    requests_mock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server answers at once, but on the shared fake clock every other thread's pacing
    # sleep lands inside a request's flight: how many do depends on thread scheduling (on a
    # loaded machine 8 x 0.4 s passed FAST_ANSWER and sizes stopped doubling). Here every
    # answer counts as fast, as it is; slow ones are the tests above.
    monkeypatch.setattr(
        "elinkcli.commands.batching.AdaptiveBatch",
        functools.partial(AdaptiveBatch, fast=float("inf")),
    )
    fixed_rows, fixed = run_link(False, SizeServer(), requests_mock)
    server = SizeServer()
    rows, stats = run_link(True, server, requests_mock)
    assert rows == fixed_rows
    assert fixed.requests == 200 and fixed.request_sizes == []
    assert stats.requests == len(server.sizes) <= 8 * 4 + 8 + 1
    assert sorted(server.sizes) == sorted(stats.request_sizes)
    assert stats.request_sizes[0] == 100
    assert max(stats.request_sizes) == MAX_BATCH
    assert set(stats.request_sizes[:-1]) <= {100, 200, 400, 800, 1000}
    assert stats.request_sizes == sorted(stats.request_sizes[:-1]) + stats.request_sizes[-1:]
    assert sum(stats.request_sizes) == len(IDS)


@pytest.mark.slow
def test_failing_bigger_requests_keep_sizes_down_same_rows(requests_mock) -> None:
    fixed_rows, _ = run_link(False, SizeServer(), requests_mock)
    server = SizeServer(fail_over=150)
    rows, stats = run_link(True, server, requests_mock)
    assert rows == fixed_rows
    assert stats.ids_failed == []
    assert stats.retries == len(server.failed) > 0
    # Failures halve the size again: requests of 100 are cut after the first 200 failed, and
    # sizes never run to the ceiling as they do when every answer is fast (<= 41 requests).
    first_big = stats.request_sizes.index(200)
    assert 100 in stats.request_sizes[first_big + 1 :]
    assert stats.requests > 8 * 4 + 8 + 1


def test_when_every_request_fails_it_asks_no_more_than_a_fixed_run(requests_mock) -> None:
    def down(request: Any, context: Any) -> str:
        context.status_code = 503
        return "busy"

    ids = IDS[:2000]
    made = {}
    for adaptive in (False, True):
        requests_mock.reset_mock()
        requests_mock.post(ELINK_URL, text=down)
        stats = Ledger()
        with adaptive_client(adaptive) as client, pytest.raises(PartialFailure) as failure:
            list(link(ids, db="gene", target="protein", batch=100, client=client, stats=stats))
        assert sorted(failure.value.ids) == sorted(ids)
        made[adaptive] = [len(form_values(r, "id")) for r in requests_mock.request_history]
    assert len(made[True]) == len(made[False]) == 20 * 3  # 20 batches x 3 tries
    assert set(made[True]) == {100}  # never below --batch


# --- where the setting comes from --------------------------------------------------------


def settings_from(
    tmp_path: Path, *, option: bool | None = None, env: str | None = None, file: str | None = None
) -> bool:
    config = tmp_path / "config.toml"
    if file is not None:
        config.write_text(file)
        config.chmod(0o600)
    named = str(config) if file is not None else os.devnull
    environ = {"ELINKCLI_CONFIG": named, "ELINKCLI_CACHE_DIR": str(tmp_path / "c")}
    if env is not None:
        environ[ENV_ADAPTIVE_BATCH] = env
    return resolve(adaptive_batch=option, environ=environ).settings.adaptive_batch


def test_fixed_by_default(tmp_path: Path) -> None:
    assert settings_from(tmp_path) is False


@pytest.mark.parametrize(
    ("env", "expected"), [("1", True), ("yes", True), ("0", False), ("false", False), ("ON", True)]
)
def test_environment_variable(tmp_path: Path, env: str, expected: bool) -> None:
    assert settings_from(tmp_path, env=env) is expected


def test_config_file_then_environment_then_option(tmp_path: Path) -> None:
    assert settings_from(tmp_path, file="adaptive_batch = true\n") is True
    assert settings_from(tmp_path, file="adaptive_batch = true\n", env="0") is False
    assert settings_from(tmp_path, file="adaptive_batch = false\n", env="0", option=True) is True


@pytest.mark.parametrize("bad", ["maybe", "2"])
def test_a_value_that_is_not_a_boolean_is_a_usage_error(tmp_path: Path, bad: str) -> None:
    with pytest.raises(UsageError, match=f"^{ENV_ADAPTIVE_BATCH} must be true or false"):
        settings_from(tmp_path, env=bad)
