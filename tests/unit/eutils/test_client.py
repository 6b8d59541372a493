"""The request layer over requests-mock and a fake clock: POST, identity, retries, redaction."""

from __future__ import annotations

import random
import threading
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from support.fakes import FakeClock, elink_xml, form_pairs, form_values

from elinkcli.config import Settings
from elinkcli.constants import ELINK, EPOST, TOOL
from elinkcli.errors import GaveUpError, NCBIError, PermanentError
from elinkcli.eutils.client import EutilsClient
from elinkcli.eutils.elink_parser import parse_elink
from elinkcli.eutils.params import elink_params, epost_params
from elinkcli.eutils.parsers import parse_epost
from elinkcli.eutils.records import ELinkResult
from elinkcli.eutils.retry import RetryPolicy

BASE = "https://eutils.test/entrez/eutils/"
ELINK_URL = BASE + ELINK
EPOST_URL = BASE + EPOST
EMAIL = "dev@example.org"
KEY = "abcdef0123456789abcdef0123456789abcd"
LINKS = {"1621261": ["12368430", "9634230"]}
GOOD = elink_xml(LINKS, dbfrom="protein", dbto="pubmed")
IDS = list(LINKS)
PARAMS = elink_params(dbfrom="protein", db="pubmed", cmd="neighbor", ids=IDS)
EPOST_OK = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n'
    "<ePostResult><QueryKey>1</QueryKey><WebEnv>MCID_xyz</WebEnv></ePostResult>\n"
)


def elink_errors(result: ELinkResult) -> tuple[str, ...]:
    return result.all_errors()


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "base_url": BASE,
        "email": EMAIL,
        "api_key": KEY,
        "max_tries": 4,
        "backoff_base": 1.0,
    }
    values.update(overrides)
    return Settings(**values)


class Recorder:
    """Retry-hook that keeps (message, attempt, delay) of every retry."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, float]] = []

    def __call__(self, message: str, attempt: int, delay: float) -> None:
        self.calls.append((message, attempt, delay))

    @property
    def delays(self) -> list[float]:
        return [d for _, _, d in self.calls]


@pytest.fixture
def retries() -> Recorder:
    return Recorder()


@pytest.fixture
def client(clock: FakeClock, retries: Recorder) -> Iterator[EutilsClient]:
    with EutilsClient(make_settings(), clock=clock, rng=random.Random(1234), on_retry=retries) as c:
        yield c


def call_elink(client: EutilsClient, ids: list[str] = IDS) -> ELinkResult:
    params = elink_params(dbfrom="protein", db="pubmed", cmd="neighbor", ids=ids)
    return client.call(ELINK, params, parse_elink, elink_errors, ids=ids)


def assert_good_result(result: ELinkResult) -> None:
    assert result == parse_elink(GOOD.encode())
    (linkset,) = result.linksets
    assert linkset.ids == tuple(LINKS)
    assert linkset.linksetdbs[0].ids == tuple(LINKS["1621261"])


# --- what every request looks like ------------------------------------------------------


def test_every_request_is_a_form_post_with_identity(client: EutilsClient, requests_mock) -> None:
    requests_mock.post(ELINK_URL, text=GOOD)
    requests_mock.post(EPOST_URL, text=EPOST_OK)
    call_elink(client)
    client.call(EPOST, epost_params("protein", IDS), parse_epost)
    assert requests_mock.call_count == 2
    for request in requests_mock.request_history:
        assert request.method == "POST"
        assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert form_values(request, "tool") == [TOOL] == ["elinkcli"]
        assert form_values(request, "email") == [EMAIL]
        assert form_values(request, "api_key") == [KEY]
        # Nothing travels in the URL: no query string at all.
        assert request.query == ""
    elink_req, epost_req = requests_mock.request_history
    assert elink_req.url == ELINK_URL
    assert epost_req.url == EPOST_URL
    assert form_pairs(elink_req)[: len(PARAMS)] == PARAMS
    assert form_values(epost_req, "id") == [",".join(IDS)]


def test_no_email_or_key_means_none_sent(clock: FakeClock, requests_mock) -> None:
    requests_mock.post(ELINK_URL, text=GOOD)
    with EutilsClient(make_settings(email=None, api_key=None), clock=clock) as c:
        call_elink(c)
    (request,) = requests_mock.request_history
    names = [k for k, _ in form_pairs(request)]
    assert "email" not in names
    assert "api_key" not in names
    assert form_values(request, "tool") == [TOOL]


def test_user_agent_names_elinkcli(client: EutilsClient, requests_mock) -> None:
    requests_mock.post(ELINK_URL, text=GOOD)
    call_elink(client)
    assert requests_mock.last_request.headers["User-Agent"].startswith("elinkcli/")


def test_one_keep_alive_session_serves_every_call(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch, requests_mock
) -> None:
    created: list[requests.Session] = []
    used: list[requests.Session] = []

    class RecordingSession(requests.Session):
        def __init__(self) -> None:
            super().__init__()
            created.append(self)

        def request(self, *args: Any, **kwargs: Any) -> requests.Response:
            used.append(self)
            return super().request(*args, **kwargs)

    monkeypatch.setattr(requests, "Session", RecordingSession)
    requests_mock.post(ELINK_URL, text=GOOD)
    requests_mock.post(EPOST_URL, text=EPOST_OK)
    n = 5
    with EutilsClient(make_settings(), clock=clock) as c:
        for _ in range(n):
            call_elink(c)
        c.call(EPOST, epost_params("protein", IDS), parse_epost)
        assert created == [c.session]
        assert len(used) == n + 1 == requests_mock.call_count
        assert all(s is c.session for s in used)


def test_requests_are_paced_on_the_fake_clock(
    client: EutilsClient, clock: FakeClock, requests_mock
) -> None:
    requests_mock.post(ELINK_URL, text=GOOD)
    # At most `burst` starts in any window of burst x interval: the first `burst` go at
    # once, the next one a window after the first.
    burst, interval = client.settings.start_burst, client.settings.start_interval
    n = burst + 2
    for _ in range(n):
        call_elink(client)
    assert clock.elapsed == pytest.approx(((n - 1) // burst) * burst * interval)
    assert client.counters.requests == n
    assert client.counters.retries == 0


# --- retried, then answered -------------------------------------------------------------

TRUNCATED = GOOD[: len(GOOD) // 2]
HTML = "<html><head><title>Service unavailable</title></head><body>busy</body></html>"
TRANSIENT_ERROR = elink_xml({}, top_errors=["TXCLIENT(CException::eUnknown) GetReply failed: EOF"])

FAILURES: dict[str, dict[str, Any]] = {
    "429": {"status_code": 429, "json": {"error": "API rate limit exceeded", "count": "4"}},
    "500": {"status_code": 500, "text": "Internal Server Error"},
    "502": {"status_code": 502, "text": "Bad Gateway"},
    "503": {"status_code": 503, "text": "Service Unavailable"},
    "connection-error": {"exc": requests.exceptions.ConnectionError},
    "connect-timeout": {"exc": requests.exceptions.ConnectTimeout},
    "read-timeout": {"exc": requests.exceptions.ReadTimeout},
    "truncated-xml": {"status_code": 200, "text": TRUNCATED},
    "html-body": {"status_code": 200, "text": HTML, "headers": {"Content-Type": "text/html"}},
    "empty-body": {"status_code": 200, "text": ""},
    "whitespace-body": {"status_code": 200, "text": "\n  \n"},
    "transient-error-200": {"status_code": 200, "text": TRANSIENT_ERROR},
    "exlinksrv-error-200": {"status_code": 200, "text": elink_xml({}, top_errors=["#exLinkSrv2"])},
}


@pytest.mark.parametrize("failure", list(FAILURES.values()), ids=list(FAILURES))
def test_transient_failure_is_retried_once_then_answered(
    failure: dict[str, Any],
    client: EutilsClient,
    clock: FakeClock,
    retries: Recorder,
    requests_mock,
) -> None:
    requests_mock.post(ELINK_URL, [failure, {"status_code": 200, "text": GOOD}])
    result = call_elink(client)
    assert_good_result(result)
    assert requests_mock.call_count == 2
    assert client.counters.retries == 1
    assert client.counters.requests == 2
    (delay,) = retries.delays
    assert delay in clock.sleeps
    base = client.settings.backoff_base
    assert base / 2 <= delay <= base


def test_429_retry_after_is_honoured(
    client: EutilsClient, clock: FakeClock, retries: Recorder, requests_mock
) -> None:
    wait = 7
    requests_mock.post(
        ELINK_URL,
        [
            {"status_code": 429, "headers": {"Retry-After": str(wait)}, "text": "slow down"},
            {"status_code": 200, "text": GOOD},
        ],
    )
    assert_good_result(call_elink(client))
    assert requests_mock.call_count == 2
    assert client.counters.retries == 1
    (delay,) = retries.delays
    assert delay >= wait
    assert delay in clock.sleeps
    assert clock.elapsed >= wait


def test_429_without_retry_after_backs_off(
    client: EutilsClient, clock: FakeClock, retries: Recorder, requests_mock
) -> None:
    requests_mock.post(ELINK_URL, [{"status_code": 429}, {"status_code": 200, "text": GOOD}])
    assert_good_result(call_elink(client))
    (delay,) = retries.delays
    base = client.settings.backoff_base
    assert base / 2 <= delay <= base
    assert clock.total_slept >= delay


def test_several_transient_failures_then_success(
    client: EutilsClient, retries: Recorder, requests_mock
) -> None:
    sequence = [FAILURES["503"], FAILURES["truncated-xml"], FAILURES["connection-error"]]
    requests_mock.post(ELINK_URL, [*sequence, {"status_code": 200, "text": GOOD}])
    assert_good_result(call_elink(client))
    assert requests_mock.call_count == len(sequence) + 1
    assert client.counters.retries == len(sequence)
    assert [a for _, a, _ in retries.calls] == list(range(1, len(sequence) + 1))


# --- never retried ----------------------------------------------------------------------

PERMANENT: dict[str, dict[str, Any]] = {
    "400": {"status_code": 400, "text": "Bad Request"},
    "414": {"status_code": 414, "text": "Request-URI Too Long"},
    "404": {"status_code": 404, "text": "Not Found"},
    "invalid-db": {
        "status_code": 200,
        "text": elink_xml({}, top_errors=["Invalid db name specified: foo"]),
    },
    "linkset-invalid-linkname": {
        "status_code": 200,
        "text": elink_xml({"1621261": []}, errors={"1621261": "Invalid linkname: foo_bar"}),
    },
}


@pytest.mark.parametrize("failure", list(PERMANENT.values()), ids=list(PERMANENT))
def test_permanent_failure_is_not_retried(
    failure: dict[str, Any], client: EutilsClient, retries: Recorder, requests_mock
) -> None:
    requests_mock.post(ELINK_URL, [failure, {"status_code": 200, "text": GOOD}])
    with pytest.raises(PermanentError) as excinfo:
        call_elink(client)
    assert type(excinfo.value) is PermanentError
    assert requests_mock.call_count == 1
    assert client.counters.retries == 0
    assert retries.calls == []
    status = failure["status_code"]
    if status != 200:
        assert str(status) in str(excinfo.value)
    else:
        assert "Invalid" in str(excinfo.value)


# --- giving up ------------------------------------------------------------------------


def test_always_503_gives_up_after_max_tries(
    clock: FakeClock, retries: Recorder, requests_mock
) -> None:
    settings = make_settings(max_tries=5, deadline=10_000.0)
    ids = ["11", "22", "33"]
    requests_mock.post(ELINK_URL, status_code=503, text="Service Unavailable")
    with (
        EutilsClient(settings, clock=clock, rng=random.Random(5), on_retry=retries) as c,
        pytest.raises(GaveUpError) as excinfo,
    ):
        call_elink(c, ids)
    err = excinfo.value
    assert requests_mock.call_count == settings.max_tries
    assert err.tries == settings.max_tries
    assert err.ids == tuple(ids)
    assert "503" in str(err)
    assert len(retries.calls) == settings.max_tries - 1
    assert c.counters.retries == settings.max_tries - 1


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("deadline", [2.0, 4.0, 7.5])
def test_deadline_stops_retrying_early(
    seed: int, deadline: float, clock: FakeClock, requests_mock
) -> None:
    settings = make_settings(max_tries=20, deadline=deadline, backoff_base=1.0)
    requests_mock.post(ELINK_URL, status_code=503)
    # The same waits as the client will draw, from the same seed: stop before the one that
    # would pass the deadline.
    policy = RetryPolicy(max_tries=settings.max_tries, deadline=deadline, base=1.0)
    replay = random.Random(seed)
    expected_calls, waited = 1, 0.0
    while expected_calls < settings.max_tries:
        delay = policy.delay(expected_calls, None, replay)
        if waited + delay > deadline:
            break
        waited += delay
        expected_calls += 1
    with (
        EutilsClient(settings, clock=clock, rng=random.Random(seed)) as c,
        pytest.raises(GaveUpError) as excinfo,
    ):
        call_elink(c)
    assert requests_mock.call_count == expected_calls < settings.max_tries
    assert excinfo.value.tries == expected_calls
    assert excinfo.value.ids == tuple(IDS)
    assert "deadline" in str(excinfo.value)
    assert clock.elapsed <= deadline
    assert clock.elapsed == pytest.approx(waited)


# --- the API key never shows ------------------------------------------------------------


def assert_key_hidden(exc: BaseException) -> None:
    message = str(exc)
    assert KEY not in message
    assert "***" in message
    formatted = "".join(traceback.format_exception(exc))
    assert KEY not in formatted


def test_key_echoed_in_400_body_is_redacted(client: EutilsClient, requests_mock) -> None:
    requests_mock.post(ELINK_URL, status_code=400, text=f"Bad request: api_key={KEY} invalid")
    with pytest.raises(PermanentError) as excinfo:
        call_elink(client)
    assert_key_hidden(excinfo.value)
    # It was sent, though: the redaction is of what users see, not of the request.
    assert form_values(requests_mock.last_request, "api_key") == [KEY]


def test_key_echoed_in_503_body_is_redacted(
    client: EutilsClient, retries: Recorder, requests_mock
) -> None:
    requests_mock.post(ELINK_URL, status_code=503, text=f"busy (key {KEY})")
    with pytest.raises(GaveUpError) as excinfo:
        call_elink(client)
    assert_key_hidden(excinfo.value)
    assert requests_mock.call_count == client.settings.max_tries
    assert all(KEY not in message for message, _, _ in retries.calls)
    assert all("***" in message for message, _, _ in retries.calls)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (f"Invalid api_key: {KEY}", PermanentError),
        (f"TXCLIENT EOF for key {KEY}", GaveUpError),
    ],
)
def test_key_echoed_in_error_element_is_redacted(
    text: str, error: type[NCBIError], client: EutilsClient, requests_mock
) -> None:
    requests_mock.post(ELINK_URL, text=elink_xml({}, top_errors=[text]))
    with pytest.raises(error) as excinfo:
        call_elink(client)
    assert_key_hidden(excinfo.value)


def test_key_cut_by_the_snippet_does_not_leak_a_prefix(client: EutilsClient, requests_mock) -> None:
    shown = 12  # key characters that fall inside the first 200 bytes of the body
    body = "x" * (200 - shown) + KEY
    requests_mock.post(ELINK_URL, status_code=400, text=body)
    with pytest.raises(PermanentError) as excinfo:
        call_elink(client)
    assert KEY[:shown] not in str(excinfo.value)


def test_settings_repr_hides_key() -> None:
    assert KEY not in repr(make_settings())


# --- map_ordered ------------------------------------------------------------------------


def test_map_ordered_keeps_input_order_when_later_items_finish_first(
    client: EutilsClient, clock: FakeClock
) -> None:
    items = list(range(6))
    done = {i: threading.Event() for i in items}
    finished: list[int] = []
    lock = threading.Lock()

    def work(i: int) -> int:
        # Each item waits for the next one to finish, so they finish last-first.
        if i + 1 in done:
            assert done[i + 1].wait(timeout=10)
        clock.sleep(0.1 * (len(items) - i))  # varying fake work
        with lock:
            finished.append(i)
        done[i].set()
        return i * i

    out = list(client.map_ordered(work, items))
    assert finished == items[::-1]
    assert out == [(i, i * i) for i in items]
    assert clock.total_slept == pytest.approx(sum(0.1 * (len(items) - i) for i in items))


def test_map_ordered_yields_ncbi_errors_in_place(client: EutilsClient) -> None:
    items = ["a", "b", "c", "d", "e"]

    def work(item: str) -> str:
        if item == "b":
            raise PermanentError(f"rejected {item}")
        if item == "d":
            raise GaveUpError(f"gave up {item}", ids=[item], tries=3)
        return item.upper()

    out = list(client.map_ordered(work, items))
    assert [i for i, _ in out] == items
    results = dict(out)
    assert results["a"] == "A" and results["c"] == "C" and results["e"] == "E"
    assert isinstance(results["b"], PermanentError)
    assert str(results["b"]) == "rejected b"
    assert isinstance(results["d"], GaveUpError)
    assert results["d"].ids == ("d",)


def test_map_ordered_lets_other_exceptions_propagate(client: EutilsClient) -> None:
    items = [1, 2, 3, 4]
    bad = 3

    def work(i: int) -> int:
        if i == bad:
            raise ValueError(f"boom {i}")
        return -i

    got: list[tuple[int, object]] = []
    with pytest.raises(ValueError, match=f"boom {bad}"):
        for pair in client.map_ordered(work, items):
            got.append(pair)
    assert got == [(i, -i) for i in items if i < bad]


def test_map_ordered_starts_at_most_window_items_ahead(client: EutilsClient) -> None:
    pulled: list[int] = []

    def source() -> Iterator[int]:
        for i in range(50):
            pulled.append(i)
            yield i

    window = 3
    gen = client.map_ordered(lambda i: i + 1, source(), window=window)
    first = next(gen)
    assert first == (0, 1)
    assert len(pulled) <= window
    rest = list(gen)
    assert [i for i, _ in rest] == list(range(1, 50))
    assert all(r == i + 1 for i, r in rest)
