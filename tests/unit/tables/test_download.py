"""elinkcli.eutils.download: a large file fetched over HTTP into a `.part` file, resumed
with Range/If-Range, retried by the RetryPolicy every request follows (the waits
recorded through the injected `sleep`, never slept; jitter drawn at its top by an
injected rng, so each wait is its ceiling), redirects only to the same host, sizes
checked, the MD5 taken as bytes arrive, NCBI's `.md5`.

The server is support.file_server's (its faults cut, shorten, lengthen and redirect), or
requests-mock where an answer no real file server gives is needed (416 on a resume, a
body longer than the size said). Expected bytes are the served bytes themselves.
"""

from __future__ import annotations

import email.utils
import hashlib
import random
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
import requests_mock
from support.file_server import DEFAULT_LAST_MODIFIED, FileServer

from elinkcli.errors import GaveUpError, PermanentError
from elinkcli.eutils import download as dl
from elinkcli.eutils.download import Transfer, discard, download, head, published_md5
from elinkcli.eutils.retry import RetryPolicy

PATH = "gene/DATA/gene2pubmed.gz"
BODY = bytes(range(256)) * 40  # 10,240 bytes, every byte value
NEW = bytes(reversed(BODY))  # the file as changed upstream, the same size
SERVED_DATE = email.utils.format_datetime(DEFAULT_LAST_MODIFIED, usegmt=True)
LATER = datetime(2027, 1, 15, tzinfo=timezone.utc)
SMALL_CHUNK = 256


@pytest.fixture
def server() -> Iterator[FileServer]:
    with FileServer({PATH: BODY}) as fs:
        yield fs


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 256 bytes, so a cut after 1,000 bytes leaves some on disk."""
    monkeypatch.setattr(dl, "CHUNK", SMALL_CHUNK)


class TopOfJitter(random.Random):
    """Jitter at its top: a wait is its backoff's ceiling."""

    def uniform(self, a: float, b: float) -> float:
        return b


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


class Recorder:
    def __init__(self) -> None:
        self.waits: list[float] = []
        self.notices: list[str] = []
        self.progress: list[tuple[int, int | None]] = []

    def transfer(
        self, tries: int = 5, backoff: float = 2.0, cap: float = 30.0, deadline: float = 300.0
    ) -> Transfer:
        return Transfer(
            connect_timeout=5.0,
            read_timeout=10.0,
            policy=RetryPolicy(max_tries=tries, base=backoff, cap=cap, deadline=deadline),
            rng=TopOfJitter(),
            sleep=self.waits.append,
            progress=lambda done, total: self.progress.append((done, total)),
            notice=self.notices.append,
        )


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


def gets(fs: FileServer, path: str = PATH) -> list[dict[str, str]]:
    return [r.headers for r in fs.requests_to(path, "GET")]


def etag_of(fs: FileServer) -> str:
    return requests.head(fs.url(PATH), timeout=10).headers["ETag"]


# --- a whole file ------------------------------------------------------------------------


def test_a_file_comes_whole_with_what_the_server_said(
    server: FileServer, session: requests.Session, rec: Recorder, tmp_path: Path
) -> None:
    part = tmp_path / "g.gz.part"
    fetched = download(session, server.url(PATH), part, rec.transfer())
    remote = fetched.remote
    assert part.read_bytes() == BODY
    assert fetched.md5 == md5(BODY)
    assert remote.size == len(BODY)
    assert remote.last_modified == SERVED_DATE
    assert remote.etag == etag_of(server)
    assert rec.waits == []
    (get,) = gets(server)
    assert "Range" not in get and get.get("Accept-Encoding") == "identity"
    assert rec.progress[-1] == (len(BODY), len(BODY))
    assert [d for d, _ in rec.progress] == sorted(d for d, _ in rec.progress)


def test_head_says_size_date_and_etag(
    server: FileServer, session: requests.Session, rec: Recorder
) -> None:
    server.put(PATH, NEW, last_modified=LATER)
    remote = head(session, server.url(PATH), rec.transfer())
    assert (remote.size, remote.last_modified) == (
        len(NEW),
        email.utils.format_datetime(LATER, usegmt=True),
    )
    assert server.requests_to(PATH, "GET") == []


def test_discard_removes_the_part_and_what_it_was_of(tmp_path: Path) -> None:
    part = tmp_path / "x.gz.part"
    part.write_bytes(b"abc")
    sidecar = tmp_path / "x.gz.part.json"
    sidecar.write_text("{}")
    discard(part)
    assert not part.exists() and not sidecar.exists()
    discard(part)  # nothing there: no error


# --- resuming ----------------------------------------------------------------------------


def range_start(headers: dict[str, str]) -> int:
    unit, _, span = headers["Range"].partition("=")
    assert unit == "bytes" and span.endswith("-"), headers["Range"]
    return int(span[:-1])


@pytest.mark.usefixtures("small_chunks")
def test_a_cut_transfer_resumes_with_range_and_if_range(
    server: FileServer, session: requests.Session, rec: Recorder, tmp_path: Path
) -> None:
    server.add_faults(PATH, "cut:1000")
    part = tmp_path / "g.gz.part"
    fetched = download(session, server.url(PATH), part, rec.transfer(tries=2))
    assert part.read_bytes() == BODY and fetched.md5 == md5(BODY)
    first, second = gets(server)
    assert "Range" not in first
    assert 0 < range_start(second) <= 1000
    assert second["If-Range"] == etag_of(server)
    assert rec.waits == [2.0]


@pytest.mark.usefixtures("small_chunks")
def test_what_came_is_kept_for_the_next_run(
    server: FileServer, session: requests.Session, rec: Recorder, tmp_path: Path
) -> None:
    server.add_faults(PATH, "cut:1000")
    part = tmp_path / "g.gz.part"
    with pytest.raises(GaveUpError):
        download(session, server.url(PATH), part, rec.transfer(tries=1))
    kept = part.stat().st_size
    assert 0 < kept <= 1000 and part.read_bytes() == BODY[:kept]

    fetched = download(session, server.url(PATH), part, Recorder().transfer())
    assert part.read_bytes() == BODY
    assert fetched.md5 == md5(BODY)  # the bytes of the first run read once, the rest as they came
    assert range_start(gets(server)[-1]) == kept


@pytest.mark.usefixtures("small_chunks")
def test_a_file_changed_upstream_between_runs_is_fetched_whole(
    server: FileServer, session: requests.Session, rec: Recorder, tmp_path: Path
) -> None:
    server.add_faults(PATH, "cut:1000")
    part = tmp_path / "g.gz.part"
    with pytest.raises(GaveUpError):
        download(session, server.url(PATH), part, rec.transfer(tries=1))
    assert part.stat().st_size > 0
    server.put(PATH, NEW, last_modified=LATER)
    fetched = download(session, server.url(PATH), part, rec.transfer())
    assert part.read_bytes() == NEW and fetched.md5 == md5(NEW)
    assert "Range" not in gets(server)[-1]


@pytest.mark.usefixtures("small_chunks")
def test_a_200_to_a_range_request_starts_the_file_again(
    server: FileServer, session: requests.Session, rec: Recorder, tmp_path: Path
) -> None:
    server.add_faults(PATH, "cut:1000", "no-range")
    part = tmp_path / "g.gz.part"
    fetched = download(session, server.url(PATH), part, rec.transfer())
    assert part.read_bytes() == BODY  # not the first bytes twice
    assert fetched.md5 == md5(BODY)  # nor in the digest
    assert "Range" in gets(server)[1]


def mock_file(m: requests_mock.Mocker, url: str, gets: list[dict]) -> None:
    m.head(url, headers={"Content-Length": str(len(BODY)), "ETag": '"v1"'})
    m.get(url, gets)
    m.get(url + ".md5", status_code=404)


def test_416_on_a_resume_starts_again(rec: Recorder, tmp_path: Path) -> None:
    url = "https://files.test/" + PATH
    part = tmp_path / "g.gz.part"
    whole = {"content": BODY, "headers": {"Content-Length": str(len(BODY))}}
    with requests_mock.Mocker() as m, requests.Session() as session:
        mock_file(m, url, [{"status_code": 500}])
        with pytest.raises(GaveUpError):
            download(session, url, part, rec.transfer(tries=1))
        part.write_bytes(BODY[:500])  # what a cut transfer left
        refused = {"status_code": 416, "headers": {"Content-Range": "bytes */1"}}
        mock_file(m, url, [refused, whole])
        since = len(m.request_history)
        download(session, url, part, rec.transfer())
        sent = [r.headers.get("Range") for r in m.request_history[since:] if r.method == "GET"]
    assert sent == ["bytes=500-", None]
    assert part.read_bytes() == BODY
    assert rec.waits == [2.0]


def test_a_206_from_another_byte_is_not_spliced(rec: Recorder, tmp_path: Path) -> None:
    url = "https://files.test/" + PATH
    part = tmp_path / "g.gz.part"
    wrong = {
        "status_code": 206,
        "content": BODY[400:],
        "headers": {"Content-Range": f"bytes 400-{len(BODY) - 1}/{len(BODY)}"},
    }
    with requests_mock.Mocker() as m, requests.Session() as session:
        mock_file(m, url, [{"status_code": 500}])
        with pytest.raises(GaveUpError):
            download(session, url, part, rec.transfer(tries=1))
        part.write_bytes(BODY[:500])
        right = {
            "status_code": 206,
            "content": BODY[500:],
            "headers": {"Content-Range": f"bytes 500-{len(BODY) - 1}/{len(BODY)}"},
        }
        mock_file(m, url, [wrong, right])
        download(session, url, part, rec.transfer())
    assert part.read_bytes() == BODY
    assert rec.waits == [2.0]


# --- sizes that disagree -----------------------------------------------------------------


@pytest.mark.parametrize("fault", ["short-length", "long-length"])
def test_a_wrong_length_is_tried_again(
    server: FileServer, session: requests.Session, rec: Recorder, tmp_path: Path, fault: str
) -> None:
    server.add_faults(PATH, fault)
    part = tmp_path / "g.gz.part"
    download(session, server.url(PATH), part, rec.transfer())
    assert part.read_bytes() == BODY
    assert len(gets(server)) == 2 and rec.waits == [2.0]


def test_a_wrong_length_every_time_gives_up(
    server: FileServer, session: requests.Session, rec: Recorder, tmp_path: Path
) -> None:
    server.add_faults(PATH, *["short-length"] * 3)
    with pytest.raises(GaveUpError) as caught:
        download(session, server.url(PATH), tmp_path / "p", rec.transfer(tries=3, backoff=0.5))
    assert "3 tries" in str(caught.value)
    assert rec.waits == [0.5, 1.0]
    assert len(gets(server)) == 3


def test_a_body_longer_than_the_size_said_is_refused(rec: Recorder, tmp_path: Path) -> None:
    url = "https://files.test/" + PATH
    with requests_mock.Mocker() as m, requests.Session() as session:
        m.head(url, headers={"Content-Length": "100"})
        m.get(url, content=BODY)  # no Content-Length: only the bytes tell
        with pytest.raises(PermanentError, match="more than"):
            download(session, url, tmp_path / "p", rec.transfer())
    assert rec.waits == []


def test_no_size_from_the_server_is_said_and_the_file_taken(rec: Recorder, tmp_path: Path) -> None:
    url = "https://files.test/" + PATH
    part = tmp_path / "p"
    with requests_mock.Mocker() as m, requests.Session() as session:
        m.head(url, headers={})
        m.get(url, content=BODY)
        fetched = download(session, url, part, rec.transfer())
    assert fetched.remote.size is None and part.read_bytes() == BODY
    assert fetched.md5 == md5(BODY)
    assert any("no size" in n for n in rec.notices)


# --- retries and backoff -----------------------------------------------------------------


def test_backoff_doubles_and_is_never_slept(
    server: FileServer, session: requests.Session, rec: Recorder, tmp_path: Path
) -> None:
    server.add_faults(PATH, "status:502", "status:500", "status:504")
    part = tmp_path / "p"
    download(session, server.url(PATH), part, rec.transfer(backoff=0.5))
    assert part.read_bytes() == BODY
    assert rec.waits == [0.5, 1.0, 2.0]
    assert len(rec.notices) == 3 and "HTTP 502" in rec.notices[0]


def test_the_waits_are_jittered_and_capped(
    server: FileServer, session: requests.Session, tmp_path: Path
) -> None:
    waits: list[float] = []
    server.add_faults(PATH, *["status:500"] * 6)
    transfer = Transfer(
        policy=RetryPolicy(max_tries=7, base=1.0, cap=4.0),
        rng=random.Random(7),
        sleep=waits.append,
    )
    download(session, server.url(PATH), tmp_path / "p", transfer)
    ceilings = [1.0, 2.0, 4.0, 4.0, 4.0, 4.0]
    assert len(waits) == 6
    assert all(c / 2 <= w <= c for w, c in zip(waits, ceilings, strict=True)), waits
    assert len(set(waits)) == 6  # jittered: many processes do not retry in step


def test_retry_after_is_waited_for(
    server: FileServer, session: requests.Session, rec: Recorder, tmp_path: Path
) -> None:
    server.add_faults(PATH, "status:503:7", "status:429:3")
    download(session, server.url(PATH), tmp_path / "p", rec.transfer(backoff=0.5))
    assert rec.waits == [7.0, 3.0]


def test_a_retry_after_beyond_the_deadline_gives_up_at_once(
    server: FileServer, session: requests.Session, rec: Recorder, tmp_path: Path
) -> None:
    server.add_faults(PATH, "status:503:86400")
    with pytest.raises(GaveUpError) as caught:
        download(session, server.url(PATH), tmp_path / "p", rec.transfer(deadline=300))
    assert rec.waits == []
    assert "asks to wait 86,400 s, more than 300 s" in str(caught.value)


@pytest.mark.usefixtures("small_chunks")
def test_a_link_that_breaks_again_and_again_still_brings_the_file(
    server: FileServer, session: requests.Session, rec: Recorder, tmp_path: Path
) -> None:
    """Each try that moved the transfer on starts the count of tries again: 4 breaks
    with 2 tries allowed, and the file comes whole, with its MD5."""
    server.add_faults(PATH, "cut:2000", "cut:2000", "cut:2000", "cut:2000")
    part = tmp_path / "p"
    fetched = download(session, server.url(PATH), part, rec.transfer(tries=2))
    assert part.read_bytes() == BODY and fetched.md5 == md5(BODY)
    assert rec.waits == [2.0] * 4


def test_breaks_that_bring_nothing_give_up_after_the_tries(
    server: FileServer, session: requests.Session, rec: Recorder, tmp_path: Path
) -> None:
    server.add_faults(PATH, *["cut:0"] * 4)
    with pytest.raises(GaveUpError, match="3 tries"):
        download(session, server.url(PATH), tmp_path / "p", rec.transfer(tries=3, backoff=1.0))
    assert rec.waits == [1.0, 2.0]


def test_a_404_is_not_tried_again(
    server: FileServer, session: requests.Session, rec: Recorder, tmp_path: Path
) -> None:
    with pytest.raises(PermanentError, match="404"):
        download(session, server.url("gene/DATA/nothing.gz"), tmp_path / "p", rec.transfer())
    assert rec.waits == []


def test_a_refused_connection_gives_up_after_its_tries(rec: Recorder, tmp_path: Path) -> None:
    with FileServer({PATH: BODY}) as gone:
        url = gone.url(PATH)
    with requests.Session() as session, pytest.raises(GaveUpError, match="refused"):
        download(session, url, tmp_path / "p", rec.transfer(tries=3, backoff=1.0))
    assert rec.waits == [1.0, 2.0]


# --- redirects ---------------------------------------------------------------------------


def test_a_redirect_to_another_host_is_refused(
    server: FileServer, session: requests.Session, rec: Recorder, tmp_path: Path
) -> None:
    with FileServer({PATH: NEW}) as other:
        server.add_faults(PATH, f"redirect:{other.url(PATH)}")
        with pytest.raises(PermanentError, match="another host"):
            download(session, server.url(PATH), tmp_path / "p", rec.transfer())
        assert other.log == []
    assert rec.waits == []


def test_a_head_redirected_to_another_host_is_refused(rec: Recorder) -> None:
    url = "https://files.test/" + PATH
    with requests_mock.Mocker() as m, requests.Session() as session:
        m.head(url, status_code=301, headers={"Location": "https://elsewhere.test/" + PATH})
        with pytest.raises(PermanentError, match="another host"):
            head(session, url, rec.transfer())
        assert [r.hostname for r in m.request_history] == ["files.test"]


def test_a_redirect_on_the_same_host_is_followed(
    server: FileServer, session: requests.Session, rec: Recorder, tmp_path: Path
) -> None:
    server.put("mirror/gene2pubmed.gz", NEW)
    server.add_faults(PATH, "redirect:/mirror/gene2pubmed.gz")
    part = tmp_path / "p"
    fetched = download(session, server.url(PATH), part, rec.transfer())
    assert part.read_bytes() == NEW and fetched.md5 == md5(NEW)
    assert len(gets(server, "mirror/gene2pubmed.gz")) == 1


def test_endless_redirects_are_refused(
    server: FileServer, session: requests.Session, rec: Recorder, tmp_path: Path
) -> None:
    server.add_faults(PATH, *[f"redirect:/{PATH}"] * 10)
    with pytest.raises(PermanentError, match="redirects"):
        download(session, server.url(PATH), tmp_path / "p", rec.transfer())


# --- NCBI's .md5 -------------------------------------------------------------------------


def test_md5_absent(server: FileServer, session: requests.Session, rec: Recorder) -> None:
    assert published_md5(session, server.url(PATH), rec.transfer()) is None


@pytest.mark.parametrize("form", ["MD5 (gene2pubmed.gz) = {}\n", "{}  gene2pubmed.gz\n", "{}\n"])
def test_md5_present(
    server: FileServer, session: requests.Session, rec: Recorder, form: str
) -> None:
    digest = hashlib.md5(BODY).hexdigest()
    server.put(PATH + ".md5", form.format(digest.upper()).encode())
    assert published_md5(session, server.url(PATH), rec.transfer()) == digest


@pytest.mark.parametrize("body", [b"<html><body>Not here</body></html>", b"", b"\xff" * 100])
def test_md5_that_holds_no_digest_is_none(
    server: FileServer, session: requests.Session, rec: Recorder, body: bytes
) -> None:
    server.put(PATH + ".md5", body)
    assert published_md5(session, server.url(PATH), rec.transfer()) is None


def test_md5_behind_a_server_error_is_asked_again(
    server: FileServer, session: requests.Session, rec: Recorder
) -> None:
    digest = hashlib.md5(BODY).hexdigest()
    server.put(PATH + ".md5", digest.encode())
    server.add_faults(PATH + ".md5", "status:500")
    assert published_md5(session, server.url(PATH), rec.transfer()) == digest
    assert rec.waits == [2.0]


def test_md5_the_server_never_gives_is_said_and_none(
    server: FileServer, session: requests.Session, rec: Recorder
) -> None:
    server.put(PATH + ".md5", hashlib.md5(BODY).hexdigest().encode())
    server.add_faults(PATH + ".md5", *["status:500"] * 3)
    assert published_md5(session, server.url(PATH), rec.transfer(tries=3)) is None
    assert len(rec.waits) == 2
    assert rec.notices[-1].endswith("HTTP 500 (3 tries): the file is checked without NCBI's MD5")


@pytest.mark.parametrize(
    ("retry_after", "waits"),
    [
        ("soon", [2.0]),  # not a number nor a date: ignored, the backoff's wait
        ("-5", [2.0]),
        ("Fri, 31 Dec 9999 23:59:59 GMT", None),  # beyond the deadline: given up at once
        ("9" * 40, [2.0]),  # too long to be a number: ignored
    ],
)
def test_a_hostile_retry_after_neither_hangs_nor_crashes(
    rec: Recorder, tmp_path: Path, retry_after: str, waits: list[float] | None
) -> None:
    url = "https://files.test/" + PATH
    busy = {"status_code": 503, "headers": {"Retry-After": retry_after}}
    whole = {"content": BODY, "headers": {"Content-Length": str(len(BODY))}}
    with requests_mock.Mocker() as m, requests.Session() as session:
        mock_file(m, url, [busy, whole])
        if waits is None:
            with pytest.raises(GaveUpError, match="asks to wait"):
                download(session, url, tmp_path / "p", rec.transfer())
            assert rec.waits == []
        else:
            download(session, url, tmp_path / "p", rec.transfer())
            assert rec.waits == waits
            assert (tmp_path / "p").read_bytes() == BODY


# --- a server that drips, or says nothing --------------------------------------------------


class Ticking:
    """A monotonic clock that moves `step` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def _in_blocks(size: int) -> object:
    def blocks(response: requests.Response) -> Iterator[bytes]:
        body = response.raw.read()
        for at in range(0, len(body), size):
            yield body[at : at + size]

    return blocks


def test_a_server_that_drips_is_a_failed_try_and_given_up_on(
    rec: Recorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """100 bytes every 10 s: under the floor of 64 KiB a minute, though the read timeout
    never trips. Each try brings less than 1 MiB, so the tries run out."""
    monkeypatch.setattr(dl, "_blocks", _in_blocks(100))
    url = "https://files.test/" + PATH
    whole = {"content": BODY, "headers": {"Content-Length": str(len(BODY))}}
    base = rec.transfer(tries=3)
    transfer = Transfer(
        policy=base.policy, rng=base.rng, sleep=base.sleep, notice=base.notice,
        monotonic=Ticking(10.0),
    )  # fmt: skip
    with requests_mock.Mocker() as m, requests.Session() as session:
        mock_file(m, url, [whole] * 3)
        with pytest.raises(GaveUpError) as caught:
            download(session, url, tmp_path / "p", transfer)
        gets = [r for r in m.request_history if r.method == "GET" and r.url == url]
    assert len(gets) == 3 and rec.waits == [2.0, 4.0]
    assert "the transfer slowed to 600 B in 60 s at byte 600 (3 tries)" in str(caught.value)


def test_a_slow_server_above_the_floor_brings_the_file(
    rec: Recorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dl, "_blocks", _in_blocks(100))
    url = "https://files.test/" + PATH
    whole = {"content": BODY, "headers": {"Content-Length": str(len(BODY))}}
    transfer = Transfer(stall_bytes=500, monotonic=Ticking(10.0), sleep=rec.waits.append)
    with requests_mock.Mocker() as m, requests.Session() as session:
        mock_file(m, url, [whole])
        fetched = download(session, url, tmp_path / "p", transfer)
    assert (tmp_path / "p").read_bytes() == BODY and fetched.md5 == md5(BODY)
    assert rec.waits == []


def test_a_silent_server_is_said_in_words(server: FileServer, tmp_path: Path) -> None:
    server.add_faults(PATH, "silent", "silent")
    waits: list[float] = []
    transfer = Transfer(
        read_timeout=0.3, policy=RetryPolicy(max_tries=2, base=0.1), sleep=waits.append
    )
    with requests.Session() as session, pytest.raises(GaveUpError) as caught:
        download(session, server.url(PATH), tmp_path / "p", transfer)
    assert "no answer within 0.3 s (2 tries)" in str(caught.value)
