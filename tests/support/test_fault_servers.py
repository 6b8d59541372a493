"""The fault servers and CPU burners themselves, checked with plain socket/http.client."""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from support.burners import busy, cpu_burners
from support.fault_servers import (
    DrippingBody,
    EndlessBody,
    FaultServer,
    Scripted,
    SilentServer,
    SlowHeaders,
    http_response,
    refused_port,
)

REQUEST = b"GET /entrez/eutils/elink.fcgi?id=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
THREAD_PREFIXES = ("endless-body", "dripping-body", "silent", "slow-headers", "scripted")


def _server_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(THREAD_PREFIXES)]


@pytest.fixture(autouse=True)
def no_leftover_threads() -> Iterator[None]:
    """Every test leaves no server thread running behind it."""
    before = set(_server_threads())
    yield
    assert [t for t in _server_threads() if t not in before] == []


def _connect(server: FaultServer, timeout: float = 2.0) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=timeout)


def _wait_for(predicate: Callable[[], bool], timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def _read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    """The response head (up to the blank line) and whatever body bytes came with it."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(65536)
        assert data, f"closed before the end of the head: {buf!r}"
        buf += data
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head, rest


def test_base_url_and_port() -> None:
    with SilentServer() as srv:
        assert srv.base_url == f"http://127.0.0.1:{srv.port}/entrez/eutils/"
        assert srv.connections == 0
        assert srv.requests == 0


def test_endless_body_delivers_until_the_client_closes() -> None:
    with EndlessBody() as srv:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=2)
        conn.request("GET", "/entrez/eutils/elink.fcgi?id=1")
        resp = conn.getresponse()
        assert resp.status == 200
        assert resp.getheader("Content-Type") == "text/xml"
        assert resp.getheader("Content-Length") is None
        assert resp.getheader("Connection") == "close"
        first = resp.read(100)
        assert first.startswith(b'<?xml version="1.0"?>\n<eLinkResult><LinkSet><Id>123</Id>')
        got = len(first)
        deadline = time.monotonic() + 2.0
        while got <= 5_000_000 and time.monotonic() < deadline:
            got += len(resp.read(65536))
        assert got > 5_000_000
        resp.close()
        conn.close()
        assert srv.wait_handlers(2.0), "the handler kept running after the client closed"
        sent = srv.bytes_sent
        assert sent >= got
        time.sleep(0.1)
        assert srv.bytes_sent == sent
        assert srv.connections == 1
        assert srv.requests == 1


def test_endless_chunked_body_is_valid_chunked_framing() -> None:
    with EndlessBody(chunked=True) as srv, _connect(srv) as sock:
        sock.sendall(REQUEST)
        head, buf = _read_head(sock)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"\r\nTransfer-Encoding: chunked" in head
        assert b"Content-Length" not in head
        chunks: list[bytes] = []
        while len(chunks) < 4:
            while b"\r\n" not in buf:
                buf += sock.recv(65536)
            size_line, buf = buf.split(b"\r\n", 1)
            size = int(size_line, 16)
            assert size > 0
            while len(buf) < size + 2:
                buf += sock.recv(65536)
            chunks.append(buf[:size])
            assert buf[size : size + 2] == b"\r\n"
            buf = buf[size + 2 :]
        assert chunks[0] == b'<?xml version="1.0"?>\n<eLinkResult><LinkSet>'
        assert all(c.startswith(b"<Id>123</Id>") and len(c) > 60_000 for c in chunks[1:])


def test_endless_chunked_body_reads_through_http_client() -> None:
    with EndlessBody(chunked=True) as srv:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=2)
        conn.request("GET", "/entrez/eutils/elink.fcgi")
        resp = conn.getresponse()
        assert resp.chunked
        data = resp.read(500_000)
        assert len(data) == 500_000
        assert data.count(b"<Id>123</Id>") > 40_000
        resp.close()
        conn.close()


def test_dripping_body_sends_about_a_byte_per_interval() -> None:
    with DrippingBody(interval=0.05) as srv, _connect(srv) as sock:
        start = time.monotonic()
        sock.sendall(REQUEST)
        head, body = _read_head(sock)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"\r\nContent-Length: 10000000" in head
        deadline = start + 0.5
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                data = sock.recv(100)
            except TimeoutError:
                break
            assert data
            body += data
        assert 3 <= len(body) <= 15, body
        assert body.startswith(b"<?xml"[: len(body)])


def test_dripping_body_handler_ends_when_the_client_closes() -> None:
    with DrippingBody(interval=0.02) as srv:
        with _connect(srv) as sock:
            sock.sendall(REQUEST)
            _read_head(sock)
        assert srv.wait_handlers(2.0)


def test_silent_server_accepts_and_never_answers() -> None:
    with SilentServer() as srv, _connect(srv) as sock:
        sock.sendall(REQUEST)
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(1)
        assert srv.connections == 1
        assert _wait_for(lambda: srv.requests == 1)
        assert srv.active_handlers == 1


def test_silent_server_stop_closes_held_connections() -> None:
    srv = SilentServer().start()
    try:
        sock = _connect(srv)
        assert _wait_for(lambda: srv.connections == 1)
    finally:
        srv.stop()
    with sock:
        sock.settimeout(1.0)
        with contextlib.suppress(ConnectionResetError):
            assert sock.recv(1) == b""
    assert srv.threads == []
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=1)


def test_slow_headers_never_finish_the_head() -> None:
    with SlowHeaders(interval=0.02) as srv, _connect(srv) as sock:
        sock.sendall(REQUEST)
        got = b""
        deadline = time.monotonic() + 0.4
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                data = sock.recv(100)
            except TimeoutError:
                break
            assert data
            got += data
        assert got.startswith(b"HTTP/1.1 200 OK\r\nC")
        assert b"\r\n\r\n" not in got
        assert len(got) < len(b"HTTP/1.1 200 OK\r\n") + 40


def test_refused_port_refuses() -> None:
    port = refused_port()
    assert 0 < port < 65536
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


def test_http_response_builds_a_full_response() -> None:
    raw = http_response(404, b"nope", {"Content-Type": "text/plain"})
    assert raw == (
        b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nnope"
    )
    assert http_response(200, b"", reason="Fine").startswith(b"HTTP/1.1 200 Fine\r\n")
    lying = http_response(200, b"ab", {"Content-Length": "9"})
    assert lying.count(b"Content-Length") == 1
    assert b"Content-Length: 9\r\n" in lying


def test_scripted_answers_in_order_and_logs_requests() -> None:
    responses = [
        http_response(302, b"", {"Location": "/entrez/eutils/elink.fcgi?moved=1"}),
        http_response(200, b"<second/>", {"Content-Type": "text/xml"}),
        http_response(503, b"busy"),
    ]
    with Scripted(responses) as srv:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=2)
        answers = []
        for i in range(5):
            body = f"id={i}".encode()
            conn.request("POST", f"/entrez/eutils/elink.fcgi?n={i}", body=body)
            resp = conn.getresponse()
            answers.append((resp.status, resp.read()))
        conn.close()
        assert answers == [(302, b""), (200, b"<second/>"), *[(503, b"busy")] * 3]
        assert srv.connections == 1, "the connection was not kept alive"
        assert srv.requests == 5
        assert [(r.method, r.path, r.body) for r in srv.log] == [
            ("POST", f"/entrez/eutils/elink.fcgi?n={i}", f"id={i}".encode()) for i in range(5)
        ]
        method, _path, headers, body = srv.log[0]
        assert (method, body) == ("POST", b"id=0")
        assert headers["Content-Length"] == "4"
        assert headers["Host"] == f"127.0.0.1:{srv.port}"
        assert srv.log[1].headers["Content-Length"] == "4"


def test_scripted_connection_close_closes_the_connection() -> None:
    responses = [
        http_response(200, b"one", {"Connection": "close"}),
        http_response(200, b"two"),
    ]
    with Scripted(responses) as srv:
        for expected in (b"one", b"two"):
            conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=2)
            conn.request("GET", "/entrez/eutils/einfo.fcgi")
            assert conn.getresponse().read() == expected
            conn.close()
        assert srv.connections == 2
        assert _wait_for(lambda: srv.active_handlers == 0)


def test_scripted_needs_a_response() -> None:
    with pytest.raises(ValueError):
        Scripted([])


def test_cpu_burners_run_in_the_block_and_are_gone_after() -> None:
    assert not busy()
    with cpu_burners(2) as burn:
        assert len(burn.procs) == 2
        assert len(set(burn.pids)) == 2
        assert os.getpid() not in burn.pids
        assert busy()
        assert burn.busy()
        for pid in burn.pids:
            os.kill(pid, 0)  # alive: no ProcessLookupError
    assert not busy()
    assert not burn.busy()
    for proc in burn.procs:
        assert proc.returncode is not None
        with pytest.raises(ProcessLookupError):
            os.kill(proc.pid, 0)


def test_cpu_burners_are_killed_on_an_exception() -> None:
    with pytest.raises(RuntimeError, match="boom"), cpu_burners(2) as burn:
        assert busy()
        raise RuntimeError("boom")
    assert not busy()
    assert all(proc.returncode is not None for proc in burn.procs)


def test_cpu_burners_default_count() -> None:
    with cpu_burners() as burn:
        assert len(burn.procs) == max(2, (os.cpu_count() or 1) * 2)
        assert busy()
    assert not busy()
