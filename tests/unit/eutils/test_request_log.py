"""The request log (--log FILE): one JSON line per HTTP attempt, never the API key.

Unit tests drive EutilsClient over requests-mock with a FakeClock (durations) and a fixed
wall clock (times). The end-to-end tests, the installed elinkcli against the fake server,
are in tests/e2e/test_request_log.py.
"""

from __future__ import annotations

import io
import os
import random
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from support.fakes import FakeClock, elink_xml
from support.request_log import FIELDS, TIME, lines

from elinkcli.config import Settings
from elinkcli.constants import ELINK, EPOST
from elinkcli.errors import CacheMissError, GaveUpError, PermanentError, UsageError
from elinkcli.eutils.client import EutilsClient
from elinkcli.eutils.elink_parser import parse_elink
from elinkcli.eutils.params import elink_params, epost_params
from elinkcli.eutils.parsers import parse_epost
from elinkcli.eutils.records import ELinkResult
from elinkcli.eutils.requestlog import RequestLog, utc_stamp

BASE = "https://eutils.test/entrez/eutils/"
ELINK_URL = BASE + ELINK
EPOST_URL = BASE + EPOST
# A key no other text in a log line could contain by chance.
KEY = "LOGSECRETkey0123456789zzzzQQQQ42"
LINKS = {"1621261": ["12368430", "9634230"], "1621262": ["777"]}
IDS = list(LINKS)
GOOD = elink_xml(LINKS, dbfrom="protein", dbto="pubmed")
WALL = 1714564800.123456  # 2024-05-01T12:00:00.123Z


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "base_url": BASE,
        "email": "dev@example.org",
        "api_key": KEY,
        "max_tries": 4,
        "backoff_base": 1.0,
    }
    values.update(overrides)
    return Settings(**values)


Sink = io.StringIO  # a log stream the client does not own: left open, readable after


@pytest.fixture
def sink() -> Sink:
    return Sink()


@pytest.fixture
def client(clock: FakeClock, sink: Sink) -> Iterator[EutilsClient]:
    log = RequestLog(sink, wall=lambda: WALL)
    with EutilsClient(make_settings(), clock=clock, rng=random.Random(3), log=log) as c:
        yield c


def logged(sink: Sink) -> list[dict[str, Any]]:
    return lines(sink.getvalue())


def call_elink(client: EutilsClient, ids: list[str] = IDS) -> ELinkResult:
    params = elink_params(dbfrom="protein", db="pubmed", cmd="neighbor", ids=ids)
    return client.call(ELINK, params, parse_elink, lambda r: r.all_errors(), ids=ids)


def taking(clock: FakeClock, seconds: float, answer: str) -> Any:
    """A requests-mock body callback: the answer comes `seconds` after it was asked."""

    def body(request: Any, context: Any) -> str:
        clock.advance(seconds)
        return answer

    return body


# --- the lines ---------------------------------------------------------------------------


def test_utc_stamp_has_milliseconds_and_z() -> None:
    assert utc_stamp(WALL) == "2024-05-01T12:00:00.123Z"
    assert utc_stamp(0) == "1970-01-01T00:00:00.000Z"


def test_an_answered_request_is_one_ok_line_with_exactly_these_fields(
    client: EutilsClient, clock: FakeClock, sink: Sink, requests_mock
) -> None:
    requests_mock.post(ELINK_URL, text=taking(clock, 0.2345, GOOD))
    call_elink(client)
    assert sink.getvalue().endswith("\n")
    assert logged(sink) == [
        {
            "time": "2024-05-01T12:00:00.123Z",
            "endpoint": "elink.fcgi",
            "ids": 2,
            "status": 200,
            "ms": 235,
            "try": 1,
            "outcome": "ok",
        }
    ]
    assert list(logged(sink)[0]) == FIELDS  # in this order, and no `error` when ok


def test_ids_counts_comma_joined_ids_too(client: EutilsClient, sink: Sink, requests_mock) -> None:
    requests_mock.post(
        EPOST_URL,
        text="<ePostResult><QueryKey>1</QueryKey><WebEnv>MCID_1</WebEnv></ePostResult>",
    )
    client.call(EPOST, epost_params("protein", ["1", "2", "3"]), parse_epost)
    (line,) = logged(sink)
    assert (line["endpoint"], line["ids"], line["outcome"]) == ("epost.fcgi", 3, "ok")


def test_a_500_then_200_is_retried_then_ok(
    client: EutilsClient, clock: FakeClock, sink: Sink, requests_mock
) -> None:
    requests_mock.post(
        ELINK_URL,
        [
            {"status_code": 500, "text": taking(clock, 0.05, "<html>Server Error</html>")},
            {"text": taking(clock, 0.5, GOOD)},
        ],
    )
    call_elink(client)
    first, second = logged(sink)
    assert (first["try"], first["outcome"], first["status"], first["ms"]) == (1, "retried", 500, 50)
    assert first["error"] == "HTTP 500 from elink.fcgi: <html>Server Error</html>"
    assert (second["try"], second["outcome"], second["status"], second["ms"]) == (2, "ok", 200, 500)
    assert "error" not in second
    assert clock.total_slept > 0  # the backoff between them is no part of either ms


def test_every_try_failing_ends_with_gave_up(
    client: EutilsClient, sink: Sink, requests_mock
) -> None:
    requests_mock.post(ELINK_URL, status_code=503, text="busy")
    with pytest.raises(GaveUpError):
        call_elink(client)
    entries = logged(sink)
    assert [e["try"] for e in entries] == [1, 2, 3, 4]
    assert [e["outcome"] for e in entries] == ["retried"] * 3 + ["gave up"]
    assert all(
        e["status"] == 503 and e["error"] == "HTTP 503 from elink.fcgi: busy" for e in entries
    )


def test_the_deadline_ending_the_tries_is_gave_up_too(
    clock: FakeClock, sink: Sink, requests_mock
) -> None:
    requests_mock.post(ELINK_URL, status_code=502)
    settings = make_settings(max_tries=10, deadline=2.5)
    with (
        EutilsClient(settings, clock=clock, rng=random.Random(1), log=RequestLog(sink)) as c,
        pytest.raises(GaveUpError) as info,
    ):
        call_elink(c)
    entries = logged(sink)
    assert 1 < len(entries) == info.value.tries < 10
    assert [e["outcome"] for e in entries] == ["retried"] * (len(entries) - 1) + ["gave up"]


def test_a_400_is_rejected_and_not_retried(client: EutilsClient, sink: Sink, requests_mock) -> None:
    requests_mock.post(ELINK_URL, status_code=400, text="Bad Request")
    with pytest.raises(PermanentError):
        call_elink(client)
    (line,) = logged(sink)
    assert (line["status"], line["try"], line["outcome"]) == (400, 1, "rejected")
    assert line["error"] == "HTTP 400 from elink.fcgi: Bad Request"


def test_a_permanent_ncbi_error_text_is_rejected(
    client: EutilsClient, sink: Sink, requests_mock
) -> None:
    body = elink_xml({}, top_errors=["Invalid db name specified: nosuchdb"])
    requests_mock.post(ELINK_URL, text=body)
    with pytest.raises(PermanentError):
        call_elink(client)
    (line,) = logged(sink)
    assert (line["status"], line["outcome"]) == (200, "rejected")
    assert line["error"] == "NCBI error: Invalid db name specified: nosuchdb"


@pytest.mark.parametrize(
    "exc", [requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError]
)
def test_no_http_answer_means_status_null(
    client: EutilsClient, clock: FakeClock, sink: Sink, requests_mock, exc: type
) -> None:
    def hang(request: Any, context: Any) -> str:
        clock.advance(30.0)
        raise exc("no answer")

    requests_mock.post(ELINK_URL, [{"text": hang}, {"text": GOOD}])
    call_elink(client)
    failed, ok = logged(sink)
    assert failed["status"] is None and failed["outcome"] == "retried"
    assert failed["ms"] == 30000
    assert failed["error"]
    assert ok["status"] == 200 and ok["try"] == 2


def test_error_text_is_one_line(client: EutilsClient, sink: Sink, requests_mock) -> None:
    requests_mock.post(ELINK_URL, status_code=400, text="line one\n\tline two\r\n")
    with pytest.raises(PermanentError):
        call_elink(client)
    assert logged(sink)[0]["error"] == "HTTP 400 from elink.fcgi: line one line two"
    assert sink.getvalue().count("\n") == 1


def test_the_api_key_never_reaches_the_log(client: EutilsClient, sink: Sink, requests_mock) -> None:
    """NCBI echoing the key back, in a 500 page, a 400 page and an <ERROR>, stays masked."""
    requests_mock.post(
        ELINK_URL,
        [
            {"status_code": 500, "text": f"<h1>oops</h1> api_key={KEY}"},
            {"text": elink_xml({}, top_errors=[f"Temporary failure for {KEY}, try again"])},
            {"status_code": 400, "text": f"bad api_key {KEY}"},
        ],
    )
    with pytest.raises(PermanentError):
        call_elink(client)
    requests_mock.post(ELINK_URL, text=elink_xml({}, top_errors=[f"API key invalid: {KEY}"]))
    with pytest.raises(PermanentError):
        call_elink(client)
    text = sink.getvalue()
    assert [e["outcome"] for e in lines(text)] == ["retried", "retried", "rejected", "rejected"]
    assert KEY not in text
    assert KEY[:16] not in text and "api_key=" + KEY[:4] not in text
    assert "***" in text  # the echoes were there, masked


def test_nothing_of_the_request_but_the_fields(
    client: EutilsClient, sink: Sink, requests_mock
) -> None:
    requests_mock.post(ELINK_URL, text=GOOD)
    call_elink(client)
    text = sink.getvalue()
    for value in ("dev@example.org", "pubmed", "protein", "neighbor", *IDS, "elinkcli"):
        assert value not in text


def test_the_offline_mode_sends_and_logs_nothing(
    clock: FakeClock, sink: Sink, requests_mock
) -> None:
    settings = make_settings(cache_mode="offline")
    with (
        EutilsClient(settings, clock=clock, log=RequestLog(sink)) as c,
        pytest.raises(CacheMissError),
    ):
        call_elink(c)
    assert requests_mock.call_count == 0
    assert sink.getvalue() == ""


def test_no_log_by_default(clock: FakeClock, requests_mock) -> None:
    requests_mock.post(ELINK_URL, text=GOOD)
    with EutilsClient(make_settings(), clock=clock) as c:
        assert c.log is None
        call_elink(c)


def test_concurrent_requests_write_whole_lines(clock: FakeClock, requests_mock) -> None:
    requests_mock.post(ELINK_URL, text=GOOD)
    sink = Sink()
    n = 200
    with EutilsClient(make_settings(), clock=clock, log=RequestLog(sink)) as c:
        results = list(c.map_ordered(lambda i: call_elink(c, [str(i)]), range(n)))
    assert len(results) == n
    entries = lines(sink.getvalue())
    assert len(entries) == n == requests_mock.call_count
    assert all(e["outcome"] == "ok" and e["ids"] == 1 for e in entries)


# --- the file ----------------------------------------------------------------------------


def test_a_file_is_appended_to_and_closed_with_the_client(
    tmp_path: Path, clock: FakeClock, requests_mock
) -> None:
    requests_mock.post(ELINK_URL, text=GOOD)
    path = tmp_path / "requests.log"
    path.write_text('{"earlier": "run"}\n')
    log = RequestLog.open(path)
    with EutilsClient(make_settings(), clock=clock, log=log) as c:
        call_elink(c)
        # flushed per line: readable while the run goes on
        assert len(path.read_text().splitlines()) == 2
    assert log.stream.closed
    first, second = lines(path.read_text())
    assert first == {"earlier": "run"}
    assert second["outcome"] == "ok" and TIME.match(second["time"])


def test_stderr_is_written_to_but_never_closed(
    capsys: pytest.CaptureFixture[str], clock: FakeClock, requests_mock
) -> None:
    requests_mock.post(ELINK_URL, text=GOOD)
    log = RequestLog.open("-")
    with EutilsClient(make_settings(), clock=clock, log=log) as c:
        call_elink(c)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert lines(captured.err)[0]["outcome"] == "ok"
    assert not log.stream.closed


@pytest.mark.parametrize("where", ["directory", "missing parent", "read-only directory"])
def test_a_path_that_cannot_be_written_is_a_usage_error(tmp_path: Path, where: str) -> None:
    if where == "directory":
        path = tmp_path
    elif where == "missing parent":
        path = tmp_path / "no" / "such" / "dir" / "requests.log"
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes into read-only directories")
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        path = locked / "requests.log"
    with pytest.raises(UsageError) as info:
        RequestLog.open(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message


def test_a_failing_stream_stops_the_log_not_the_run(clock: FakeClock, requests_mock) -> None:
    class Full(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError(28, "No space left on device")

    requests_mock.post(ELINK_URL, text=GOOD)
    with EutilsClient(make_settings(), clock=clock, log=RequestLog(Full())) as c:
        call_elink(c)
        call_elink(c)
    assert requests_mock.call_count == 2


def test_lines_after_close_are_dropped() -> None:
    sink = Sink()
    log = RequestLog(sink)
    log.close()
    log.write("late\n")  # a worker still in flight when the run ended
    assert sink.getvalue() == ""


def test_threads_share_one_log_safely() -> None:
    sink = Sink()
    log = RequestLog(sink, wall=lambda: WALL)

    def writer(n: int) -> None:
        for t in range(50):
            log.attempt(
                time=log.stamp(),
                endpoint="elink.fcgi",
                ids=n,
                status=200,
                ms=t,
                try_=1,
                outcome="ok",
            )

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = lines(sink.getvalue())
    assert len(entries) == 400
    assert sorted(e["ids"] for e in entries) == sorted(n for n in range(8) for _ in range(50))
