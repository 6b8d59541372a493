"""Unit tests of the request layer's fault rules (requests-mock, fake clock): <ERROR> in
every place, tries per kind of failure, the run's --max-time, bounded bodies, pacing that
never bursts, and History sets checked against their count."""

from __future__ import annotations

import random
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from support.fakes import FakeClock, elink_xml
from urllib3.exceptions import NameResolutionError, NewConnectionError

from elinkcli import constants as C
from elinkcli.config import Settings
from elinkcli.constants import EFETCH, ELINK, ESEARCH, ESUMMARY
from elinkcli.errors import GaveUpError, IncompleteSetError, MaxTimeError, PermanentError
from elinkcli.eutils.client import EutilsClient
from elinkcli.eutils.clock import SystemClock
from elinkcli.eutils.elink_parser import parse_elink
from elinkcli.eutils.pacing import SharedStartPacer, StartPacer, rate_file
from elinkcli.eutils.parsers import parse_einfo, parse_epost, parse_esearch, parse_esummary
from elinkcli.eutils.retry import error_text_kind
from elinkcli.eutils.transport import (
    AnswerBudget,
    BodyTooLarge,
    BudgetFull,
    TryTimer,
    connection_failure,
    read_body,
)
from elinkcli.ids.history import HistorySet, expand
from elinkcli.sources.elink import all_errors as _union_errors
from elinkcli.sources.elink import request_errors as _request_errors

BASE = "https://eutils.test/entrez/eutils/"
HEAD = '<?xml version="1.0" encoding="UTF-8" ?>\n'


def client(clock: FakeClock | None = None, **settings: Any) -> EutilsClient:
    clock = clock or FakeClock()
    values: dict[str, Any] = {"base_url": BASE, "max_tries": 6, "backoff_base": 1.0}
    values.update(settings)
    return EutilsClient(
        Settings(**values), clock=clock, rng=random.Random(3), pacer=StartPacer(0.0, clock)
    )


# --- 1. <ERROR> in every place: the parsers keep each one --------------------------------

ELINK_PLACES = {
    "top level": "<eLinkResult><ERROR>E</ERROR></eLinkResult>",
    "LinkSet without IdList": "<eLinkResult><LinkSet><DbFrom>gene</DbFrom><ERROR>E</ERROR>"
    "</LinkSet></eLinkResult>",
    "LinkSetDb": "<eLinkResult><LinkSet><DbFrom>gene</DbFrom><IdList><Id>1</Id></IdList>"
    "<LinkSetDb><DbTo>protein</DbTo><ERROR>E</ERROR></LinkSetDb></LinkSet></eLinkResult>",
    "LinkSetDbHistory": "<eLinkResult><LinkSet><DbFrom>gene</DbFrom><LinkSetDbHistory>"
    "<ERROR>E</ERROR></LinkSetDbHistory></LinkSet></eLinkResult>",
    "IdCheckList": "<eLinkResult><LinkSet><DbFrom>gene</DbFrom><IdCheckList><ERROR>E</ERROR>"
    "</IdCheckList></LinkSet></eLinkResult>",
    "other element": "<eLinkResult><Other><ERROR>E</ERROR></Other></eLinkResult>",
}


@pytest.mark.parametrize("place", list(ELINK_PLACES))
def test_every_elink_error_placement_is_kept(place: str) -> None:
    result = parse_elink((HEAD + ELINK_PLACES[place]).encode())
    assert result.all_errors() == ("E",)


@pytest.mark.parametrize(
    ("parse", "root"),
    [
        (parse_esearch, "eSearchResult"),
        (parse_esummary, "eSummaryResult"),
        (parse_einfo, "eInfoResult"),
        (parse_epost, "ePostResult"),
    ],
)
@pytest.mark.parametrize("nested", [False, True], ids=["top", "nested"])
def test_other_answers_keep_errors_at_any_depth(parse, root: str, nested: bool) -> None:
    inner = "<Wrapper><ERROR>E</ERROR></Wrapper>" if nested else "<ERROR>E</ERROR>"
    count = "<Count>0</Count>" if root == "eSearchResult" else ""
    assert parse(f"{HEAD}<{root}>{count}{inner}</{root}>".encode()).errors == ("E",)


def test_elink_errors_are_pinned_on_one_id_or_fail_the_request() -> None:
    one = parse_elink((HEAD + ELINK_PLACES["LinkSetDb"].replace("E<", "Invalid uid<")).encode())
    assert _request_errors(one) == []  # rejects id 1, the request stands
    assert _union_errors(one) == ("Invalid uid",)  # --union: no id to pin it on
    none = parse_elink((HEAD + ELINK_PLACES["LinkSet without IdList"]).encode())
    assert _request_errors(none) == ["E"]
    several = parse_elink(
        (
            HEAD + "<eLinkResult><LinkSet><DbFrom>gene</DbFrom><IdList><Id>1</Id><Id>2</Id>"
            "</IdList><ERROR>Invalid uid</ERROR></LinkSet></eLinkResult>"
        ).encode()
    )
    assert _request_errors(several) == ["Invalid uid"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("TXCLIENT(#exLinkSrv2) Error: EOF", "transient"),
        ("Can not fetch result", "transient"),
        ("Wrong DB name", "permanent"),
        ("Unable to obtain query #1", "permanent"),
        ("Can't apply term/daterange", "permanent"),
        ("BLOB ID IS NOT IMPLEMENTED", "permanent"),
        ("Invalid db name specified: nothing", "permanent"),
        ("Quux happened", "unknown"),
    ],
)
def test_error_texts_are_classified(text: str, kind: str) -> None:
    assert error_text_kind(text) == kind


@pytest.mark.parametrize(
    ("text", "tries", "error"),
    [
        ("Quux happened", C.MAX_TRIES_UNKNOWN_ERROR, GaveUpError),
        ("TXCLIENT(#exLinkSrv2) Error: EOF", 6, GaveUpError),
        ("Wrong DB name", 1, PermanentError),
    ],
)
def test_tries_follow_the_kind_of_error(requests_mock, text: str, tries: int, error) -> None:
    requests_mock.post(BASE + ELINK, text=f"{HEAD}<eLinkResult><ERROR>{text}</ERROR></eLinkResult>")
    with client() as c, pytest.raises(error):
        c.call(ELINK, [("id", "1")], parse_elink, lambda r: r.all_errors(), ids=["1"])
    assert requests_mock.call_count == tries


def test_esummary_errors_other_than_one_unknown_id_fail_the_request(requests_mock) -> None:
    from elinkcli.ids.resolve import summaries

    requests_mock.post(
        BASE + ESUMMARY,
        text=f"{HEAD}<eSummaryResult><ERROR>Invalid uid 9 at position=0</ERROR></eSummaryResult>",
    )
    with client() as c:
        assert summaries(c, "nuccore", ["9"]).errors == ("Invalid uid 9 at position=0",)
    requests_mock.post(
        BASE + ESUMMARY,
        text=f"{HEAD}<eSummaryResult><ERROR>Database is not supported</ERROR></eSummaryResult>",
    )
    with client() as c, pytest.raises(PermanentError, match="Database is not supported"):
        summaries(c, "nuccore", ["9"])


# --- 2. no connection: said in words, fewer tries --------------------------------------------


def test_connection_failures_are_told_apart() -> None:
    dns = requests.ConnectionError(NameResolutionError("h", None, socket.gaierror(-2, "x")))
    refused = requests.ConnectionError(
        NewConnectionError(None, "Failed to establish: [Errno 111] Connection refused")
    )
    refused.__cause__ = ConnectionRefusedError(111, "Connection refused")
    assert connection_failure(dns) == "dns"
    assert connection_failure(refused) == "refused"
    assert connection_failure(requests.ConnectionError("reset by peer")) is None


@pytest.mark.parametrize(
    ("exc", "words", "tries"),
    [
        (
            requests.ConnectionError(NameResolutionError("h", None, socket.gaierror(-2, "x"))),
            "could not resolve eutils.test: no network, or no DNS answer for the name",
            C.MAX_TRIES_NO_CONNECTION,
        ),
        (
            requests.ConnectionError("[Errno 111] Connection refused"),
            "eutils.test refused the connection on port 443",
            C.MAX_TRIES_NO_CONNECTION,
        ),
        (requests.ConnectionError("Connection reset by peer"), "could not reach eutils.test", 6),
    ],
)
def test_no_connection_is_said_in_words(requests_mock, exc, words: str, tries: int) -> None:
    requests_mock.post(BASE + ELINK, exc=exc)
    with client() as c, pytest.raises(GaveUpError) as caught:
        c.call(ELINK, [("id", "1")], parse_elink, lambda r: r.all_errors(), ids=["1"])
    assert words in str(caught.value)
    assert requests_mock.call_count == tries


# --- 3. the run's --max-time -------------------------------------------------------------------


def test_max_time_stops_retries_that_would_outlast_it(requests_mock) -> None:
    clock = FakeClock()
    requests_mock.post(BASE + ELINK, status_code=503, text="busy")
    with client(clock, max_time=5.0, backoff_base=2.0) as c, pytest.raises(MaxTimeError) as caught:
        c.call(ELINK, [("id", "1")], parse_elink, lambda r: r.all_errors(), ids=["1", "2"])
    assert caught.value.ids == ("1", "2")
    assert "--max-time (5 s) ran out" in str(caught.value)
    assert clock.elapsed <= 5.0
    assert requests_mock.call_count < 6


def test_max_time_already_out_sends_nothing(requests_mock) -> None:
    clock = FakeClock()
    requests_mock.post(BASE + ELINK, text=elink_xml({"1": ["2"]}))
    with client(clock, max_time=1.0) as c:
        clock.advance(2.0)
        with pytest.raises(MaxTimeError):
            c.call(ELINK, [("id", "1")], parse_elink, lambda r: r.all_errors(), ids=["1"])
    assert requests_mock.call_count == 0


def test_a_pacer_slot_past_the_limit_is_not_taken() -> None:
    clock = FakeClock(start=0.0)
    pacer = StartPacer(1.0, clock)
    assert pacer.acquire(until=10.0) == 0.0
    assert pacer.acquire(until=10.0) == 1.0
    with pytest.raises(TimeoutError):
        pacer.acquire(until=1.5)
    assert pacer.acquire() == 2.0  # the refused slot was not used up


# --- 4. bounded bodies and tries ----------------------------------------------------------------


def test_a_body_past_the_cap_fails_its_request_not_retried(requests_mock) -> None:
    requests_mock.post(BASE + ELINK, content=b"<eLinkResult>" + b"x" * 5000)
    with client(max_body=4096) as c, pytest.raises(GaveUpError, match="larger than 4,096 bytes"):
        c.call(ELINK, [("id", "1")], parse_elink, lambda r: r.all_errors(), ids=["1"])
    assert requests_mock.call_count == 1


def test_read_body_reads_a_body_at_the_cap(requests_mock) -> None:
    budget = AnswerBudget(4096)
    requests_mock.get("https://x.test/", content=b"a" * 4096)
    response = requests.get("https://x.test/", stream=True)
    held = budget.hold()
    assert read_body(response, held) == b"a" * 4096
    assert budget.used == 4096
    held.release()
    assert budget.used == 0
    requests_mock.get("https://x.test/", content=b"a" * 4097)
    with pytest.raises(BodyTooLarge):
        read_body(requests.get("https://x.test/", stream=True), budget.hold())


def test_answers_in_flight_share_one_budget(requests_mock) -> None:
    """The budget is for every answer held at once: a second one that would pass it is
    asked again later (BudgetFull), and fits once the first is given back."""
    budget = AnswerBudget(6000)
    requests_mock.get("https://x.test/", content=b"a" * 4000)
    first = budget.hold()
    read_body(requests.get("https://x.test/", stream=True), first)
    with pytest.raises(BudgetFull):
        read_body(requests.get("https://x.test/", stream=True), budget.hold())
    assert budget.used == 4000  # the refused answer gave back what it took
    first.release()
    second = budget.hold()
    assert read_body(requests.get("https://x.test/", stream=True), second) == b"a" * 4000


def test_try_timer_shuts_the_connection_of_a_stuck_read() -> None:
    """A real socket that sends nothing: the timer, not a socket timeout, ends the read."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(server.accept()[0]), daemon=True).start()
    session = requests.Session()
    from elinkcli.eutils.transport import WatchedAdapter

    session.mount("http://", WatchedAdapter())
    began = time.monotonic()
    with TryTimer(0.5) as timer, pytest.raises(requests.RequestException):
        session.post(f"http://127.0.0.1:{port}/", data=b"x", timeout=(5, 30))
    took = time.monotonic() - began
    assert timer.expired
    assert took < 10  # the read timeout (30 s) never came into it
    server.close()
    for conn in accepted:
        conn.close()


# --- 5. shared pacing --------------------------------------------------------------------------


def test_the_slot_file_is_replaced_never_rewritten_in_place(tmp_path: Path) -> None:
    clock = FakeClock(start=10.0)
    path = rate_file(tmp_path, None)
    pacer = SharedStartPacer(0.4, clock, path)
    pacer.acquire()
    first = path.stat().st_ino
    pacer.acquire()
    assert path.stat().st_ino != first  # a new file each time: os.replace, atomic
    assert float(path.read_text()) == pytest.approx(10.4)  # the last start made
    assert not list(tmp_path.glob(".slot-*"))


def test_a_late_waker_records_its_real_start(tmp_path: Path) -> None:
    """A process that wakes late starts late, and the next start keeps a whole interval
    from the late one: never two starts closer than the interval."""
    clock = FakeClock(start=0.0)
    path = rate_file(tmp_path, None)
    a, b = SharedStartPacer(0.4, clock, path), SharedStartPacer(0.4, clock, path)
    assert a.acquire() == 0.0
    clock.advance(0.9)  # a busy machine: b runs only now
    assert b.acquire() == pytest.approx(0.9)
    assert a.acquire() == pytest.approx(1.3)


def test_an_unwritable_state_dir_paces_alone_and_says_so(tmp_path: Path) -> None:
    said: list[str] = []
    clock = FakeClock(start=0.0)
    state = tmp_path / "state"
    pacer = SharedStartPacer(0.4, clock, rate_file(state, None), said.append)
    state.rmdir()
    state.write_text("not a directory")  # unwritable even for root
    assert pacer.acquire() == 0.0
    assert pacer.acquire() == pytest.approx(0.4)
    assert len(said) == 1 and "paces its requests alone" in said[0]


def test_a_state_dir_that_cannot_be_made_paces_alone(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    said: list[tuple[str, str]] = []
    settings = Settings(base_url=BASE, state_dir=tmp_path / "file" / "state")
    with EutilsClient(settings, on_notice=lambda kind, text: said.append((kind, text))) as c:
        assert isinstance(c.pacer, StartPacer)
    assert said and said[0][0] == "wait" and "pacing this process alone" in said[0][1]


def test_a_held_lock_is_waited_for_and_said_once(tmp_path: Path) -> None:
    from elinkcli.locks import LockFile

    path = rate_file(tmp_path, None)
    said: list[str] = []
    pacer = SharedStartPacer(0.4, FakeClock(), path, said.append)
    pacer.NOTICE_AFTER = 0.3  # type: ignore[misc]
    held, release = threading.Event(), threading.Event()

    def hold() -> None:  # a lock of its own descriptor: the pacer's excludes it
        with LockFile(Path(str(path) + ".lock")) as lock:
            assert lock.take()
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert held.wait(5)
    threading.Timer(1.5, release.set).start()
    began = time.monotonic()
    pacer.acquire()
    assert time.monotonic() - began >= 1.0
    assert len(said) == 1 and "waiting for another elinkcli process" in said[0]


# --- 6. History sets checked against their count ---------------------------------------------


def _uilist(*pages: list[str]):
    answers = iter(pages)
    return lambda request, context: "".join(f"{i}\n" for i in next(answers))


def test_a_short_page_is_asked_again_and_the_set_completes(requests_mock) -> None:
    requests_mock.post(BASE + EFETCH, text=_uilist(["1", "2"], ["1", "2", "3", "4"]))
    with client() as c:
        ids = expand(c, HistorySet("gene", "W", "1", count=4))
    assert ids == ["1", "2", "3", "4"]
    assert requests_mock.call_count == 2


def test_a_set_still_short_is_an_error(requests_mock) -> None:
    requests_mock.post(BASE + EFETCH, text=_uilist(["1"], ["1"], ["1", "2"]))
    with client() as c, pytest.raises(IncompleteSetError, match="returned 2 of the 4 ids") as e:
        expand(c, HistorySet("gene", "W", "1", count=4))
    assert requests_mock.call_count == 3
    assert str(e.value).endswith("(has the WebEnv expired?); nothing was linked")


def test_a_set_read_in_windows_says_what_was_linked_before_it_fell_short(requests_mock) -> None:
    """Read a page at a time, a window handed out before a later page falls short is
    linked: the error says so (and says nothing was when the first page fell short)."""
    from elinkcli.ids.history import HistoryIds

    pages = [["1", "2"], ["3"], ["3"], ["3"]]
    requests_mock.post(BASE + EFETCH, text=_uilist(*pages))
    windows: list[list[str]] = []
    with client() as c, pytest.raises(IncompleteSetError) as e:
        for window, _ in HistoryIds(c, HistorySet("gene", "W", "1", count=4), page=2).windows(2):
            windows.append(window)
    assert windows == [["1", "2"]]
    assert str(e.value).endswith(
        "returned 3 of the 4 ids of query #1, asked 3 times (has "
        "the WebEnv expired?); the ids before them are linked"
    )
    requests_mock.post(BASE + EFETCH, text=_uilist(["1"], ["1"], ["1"]))
    with client() as c, pytest.raises(IncompleteSetError, match="nothing was linked"):
        list(HistoryIds(c, HistorySet("gene", "W", "1", count=4), page=2).windows(2))


def test_a_set_without_count_is_counted_first(requests_mock) -> None:
    requests_mock.post(
        BASE + ESEARCH, text=f"{HEAD}<eSearchResult><Count>3</Count></eSearchResult>"
    )
    requests_mock.post(BASE + EFETCH, text=_uilist(["7", "8"], ["7", "8", "9"]))
    with client() as c:
        assert expand(c, HistorySet("gene", "W", "2")) == ["7", "8", "9"]
    search = requests_mock.request_history[0]
    assert "term=%232" in search.text and "WebEnv=W" in search.text


def test_pages_of_a_big_set_ask_for_what_is_left(requests_mock) -> None:
    asked: list[tuple[str, str]] = []

    def page(request, context) -> str:
        form = dict(p.split("=") for p in request.text.split("&"))
        asked.append((form["retstart"], form["retmax"]))
        start, size = int(form["retstart"]), int(form["retmax"])
        return "".join(f"{i}\n" for i in range(start, start + size))

    requests_mock.post(BASE + EFETCH, text=page)
    with client() as c:
        ids = expand(c, HistorySet("gene", "W", "1", count=25), page=10)
    assert ids == [str(i) for i in range(25)]
    assert asked == [("0", "10"), ("10", "10"), ("20", "5")]


def test_the_time_limit_is_not_mistaken_for_an_unwritable_file(tmp_path: Path) -> None:
    said: list[str] = []
    clock = FakeClock(start=0.0)
    pacer = SharedStartPacer(1.0, clock, rate_file(tmp_path, None), said.append)
    assert pacer.acquire(until=5.0) == 0.0
    with pytest.raises(TimeoutError):
        pacer.acquire(until=0.5)
    assert said == []  # still shared, nothing to say
    assert pacer.acquire() == 1.0


def test_threads_of_one_process_start_in_the_order_they_asked(tmp_path: Path) -> None:
    """A fair turn: the thread that asked first starts first (a plain lock lets a later
    batch overtake, and in-order output then waits for the overtaken one)."""
    pacer = SharedStartPacer(0.02, SystemClock(), rate_file(tmp_path, None))
    order: list[int] = []

    def worker(n: int) -> None:
        pacer.acquire()
        order.append(n)

    threads = []
    for n in range(8):
        t = threading.Thread(target=worker, args=(n,))
        t.start()
        threads.append(t)
        deadline = time.monotonic() + 10
        while pacer._tickets < n + 1 and time.monotonic() < deadline:  # it has asked
            time.sleep(0.001)
    for t in threads:
        t.join(10)
    assert order == list(range(8))
