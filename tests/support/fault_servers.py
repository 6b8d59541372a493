"""Misbehaving HTTP servers on 127.0.0.1, built on raw sockets (stdlib only).

Each server binds when constructed, serves from daemon threads once started, and is a
context manager: ``with EndlessBody() as srv: get(srv.base_url + "elink.fcgi")``.
``stop()`` (also run on leaving the ``with``) closes the listening socket and every
accepted connection, and joins every thread it started.

Import with ``from fault_servers import EndlessBody`` (pytest puts ``tests/`` on sys.path).
Nothing here imports elinkcli or requests.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator, Sequence
from http import HTTPStatus
from itertools import cycle
from typing import NamedTuple, TypeVar

__all__ = [
    "DrippingBody",
    "EndlessBody",
    "FaultServer",
    "LoggedRequest",
    "Scripted",
    "SilentServer",
    "SlowHeaders",
    "http_response",
    "refused_port",
]

HOST = "127.0.0.1"
BASE_PATH = "/entrez/eutils/"
# How often blocked socket calls wake up to look at the stop flag.
POLL = 0.05
JOIN_TIMEOUT = 2.0
MAX_HEAD = 1 << 20
_S = TypeVar("_S", bound="FaultServer")

XML_PREAMBLE = b'<?xml version="1.0"?>\n<eLinkResult><LinkSet>'
ID_CHUNK = b"<Id>123</Id>" * (65536 // len(b"<Id>123</Id>"))  # ~64 KiB


class LoggedRequest(NamedTuple):
    """One request as read off the wire; header names keep the client's spelling."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class _Closed(Exception):
    """The peer went away or the server is stopping."""


def http_response(
    status: int,
    body: bytes,
    headers: dict[str, str] | None = None,
    reason: str = "",
) -> bytes:
    """A full HTTP/1.1 response; Content-Length is len(body) unless `headers` sets one."""
    if not reason:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
    fields = dict(headers or {})
    if not any(name.lower() == "content-length" for name in fields):
        fields["Content-Length"] = str(len(body))
    head = f"HTTP/1.1 {status} {reason}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in fields.items())
    return head.encode("latin-1") + b"\r\n" + body


def refused_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (so connecting is refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class FaultServer:
    """Base class: accepts connections and hands each to `handle` on its own thread.

    Attributes: ``port``, ``base_url``, ``connections`` (accepted so far), ``requests``
    (complete requests read so far), ``bytes_sent`` (all bytes written, headers included).
    """

    name = "fault-server"

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind((HOST, 0))
        self._listener.listen(64)
        self._listener.settimeout(POLL)
        self.port: int = self._listener.getsockname()[1]
        self.base_url = f"http://{HOST}:{self.port}{BASE_PATH}"
        self.connections = 0
        self.requests = 0
        self.bytes_sent = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._conns: list[socket.socket] = []
        self._handlers: list[threading.Thread] = []
        self._acceptor: threading.Thread | None = None
        self._stopped = False

    # -- lifecycle ----------------------------------------------------------------------

    def start(self: _S) -> _S:
        """Start accepting connections (idempotent)."""
        if self._acceptor is None and not self._stopped:
            self._acceptor = threading.Thread(
                target=self._accept_loop, name=f"{self.name}-accept-{self.port}", daemon=True
            )
            self._acceptor.start()
        return self

    def stop(self) -> None:
        """Close the listener and every connection, and join all threads (idempotent)."""
        self._stopping.set()
        if self._acceptor is not None:
            self._acceptor.join(JOIN_TIMEOUT)
        self._listener.close()
        with self._lock:
            self._stopped = True
            conns = list(self._conns)
            handlers = list(self._handlers)
        for conn in conns:
            _shutdown(conn)
        for thread in handlers:
            thread.join(JOIN_TIMEOUT)
        for conn in conns:
            conn.close()

    def __enter__(self: _S) -> _S:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def threads(self) -> list[threading.Thread]:
        """Every thread this server started that is still alive."""
        with self._lock:
            started = [self._acceptor, *self._handlers]
        return [t for t in started if t is not None and t.is_alive()]

    @property
    def active_handlers(self) -> int:
        """How many connection handlers are still running."""
        with self._lock:
            return sum(t.is_alive() for t in self._handlers)

    def wait_handlers(self, timeout: float = JOIN_TIMEOUT) -> bool:
        """Wait until every connection handler so far has ended; True if they all did."""
        with self._lock:
            handlers = list(self._handlers)
        for thread in handlers:
            thread.join(timeout)
        return not any(t.is_alive() for t in handlers)

    # -- plumbing -----------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(POLL)
            with self._lock:
                if self._stopping.is_set():
                    conn.close()
                    return
                self.connections += 1
                number = self.connections
                self._conns.append(conn)
                thread = threading.Thread(
                    target=self._serve,
                    args=(conn,),
                    name=f"{self.name}-conn{number}-{self.port}",
                    daemon=True,
                )
                self._handlers.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            self.handle(conn, _Reader(self, conn))
        except (_Closed, OSError):
            pass
        finally:
            _shutdown(conn)
            conn.close()

    def handle(self, conn: socket.socket, reader: _Reader) -> None:
        """Serve one connection; subclasses override. Raising _Closed/OSError ends it."""
        raise NotImplementedError

    def send(self, conn: socket.socket, data: bytes) -> None:
        """Write all of `data`, waking up to notice a stop; raises _Closed when stopping."""
        view = memoryview(data)
        while view:
            if self._stopping.is_set():
                raise _Closed
            try:
                sent = conn.send(view)
            except TimeoutError:
                continue
            with self._lock:
                self.bytes_sent += sent
            view = view[sent:]

    def sleep(self, seconds: float) -> None:
        """Sleep, or raise _Closed at once if the server is stopping."""
        if self._stopping.wait(seconds):
            raise _Closed

    def _count_request(self) -> None:
        with self._lock:
            self.requests += 1


class _Reader:
    """Reads whole requests off one connection, buffering what comes after each."""

    def __init__(self, server: FaultServer, conn: socket.socket) -> None:
        self._server = server
        self._conn = conn
        self._buf = b""

    def _fill(self) -> None:
        while True:
            if self._server._stopping.is_set():
                raise _Closed
            try:
                data = self._conn.recv(65536)
            except TimeoutError:
                continue
            if not data:
                raise _Closed
            self._buf += data
            return

    def request(self) -> LoggedRequest:
        """The next complete request (line, headers, Content-Length body); counts it."""
        while b"\r\n\r\n" not in self._buf:
            if len(self._buf) > MAX_HEAD:
                raise _Closed
            self._fill()
        head, self._buf = self._buf.split(b"\r\n\r\n", 1)
        line, *field_lines = head.decode("latin-1").split("\r\n")
        parts = line.split(" ")
        method, path = (parts[0], parts[1]) if len(parts) >= 2 else (line, "")
        headers: dict[str, str] = {}
        for field in field_lines:
            name, _, value = field.partition(":")
            headers[name.strip()] = value.strip()
        length = next((v for k, v in headers.items() if k.lower() == "content-length"), "0")
        size = int(length) if length.strip().isdigit() else 0
        while len(self._buf) < size:
            self._fill()
        body, self._buf = self._buf[:size], self._buf[size:]
        self._server._count_request()
        return LoggedRequest(method, path, headers, body)


def _shutdown(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_RDWR)


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


class EndlessBody(FaultServer):
    """Answers 200 text/xml with no Content-Length, then an XML-ish body that never ends.

    With ``chunked=True`` the body is ``Transfer-Encoding: chunked`` with endless chunks.
    Writes as fast as the client reads, until the client closes.
    """

    name = "endless-body"

    def __init__(self, chunked: bool = False) -> None:
        super().__init__()
        self.chunked = chunked

    def handle(self, conn: socket.socket, reader: _Reader) -> None:
        reader.request()
        framing = "Transfer-Encoding: chunked\r\n" if self.chunked else ""
        head = f"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n{framing}Connection: close\r\n\r\n"
        self.send(conn, head.encode())
        wrap = _chunk if self.chunked else bytes
        self.send(conn, wrap(XML_PREAMBLE))
        body = wrap(ID_CHUNK)
        while True:
            self.send(conn, body)


class DrippingBody(FaultServer):
    """Answers 200 with Content-Length 10_000_000, then one body byte every `interval` s."""

    name = "dripping-body"
    CONTENT_LENGTH = 10_000_000

    def __init__(self, interval: float = 0.5) -> None:
        super().__init__()
        self.interval = interval

    def handle(self, conn: socket.socket, reader: _Reader) -> None:
        reader.request()
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
            f"Content-Length: {self.CONTENT_LENGTH}\r\n\r\n"
        )
        self.send(conn, head.encode())
        for byte in _cycle(XML_PREAMBLE + ID_CHUNK[:120]):
            self.sleep(self.interval)
            self.send(conn, byte)


class SilentServer(FaultServer):
    """Accepts and reads whatever arrives, never writes; holds connections until stop."""

    name = "silent"

    def handle(self, conn: socket.socket, reader: _Reader) -> None:
        while True:
            reader.request()


class SlowHeaders(FaultServer):
    """Sends the status line, then one header byte every `interval` s, never ending them."""

    name = "slow-headers"

    def __init__(self, interval: float = 0.5) -> None:
        super().__init__()
        self.interval = interval

    def handle(self, conn: socket.socket, reader: _Reader) -> None:
        reader.request()
        self.send(conn, b"HTTP/1.1 200 OK\r\n")
        for byte in _header_bytes():
            self.sleep(self.interval)
            self.send(conn, byte)


class Scripted(FaultServer):
    """Answers successive requests (over all connections) with successive raw responses.

    After the list is used up it repeats the last one. Connections are kept alive, unless
    a response carries ``Connection: close``, after which that connection is closed.
    Every request read is recorded in ``.log`` as a LoggedRequest(method, path, headers,
    body) tuple.
    """

    name = "scripted"

    def __init__(self, responses: Sequence[bytes]) -> None:
        if not responses:
            raise ValueError("Scripted needs at least one response")
        super().__init__()
        self.responses = list(responses)
        self.log: list[LoggedRequest] = []

    def handle(self, conn: socket.socket, reader: _Reader) -> None:
        while True:
            request = reader.request()
            with self._lock:
                index = min(len(self.log), len(self.responses) - 1)
                self.log.append(request)
            response = self.responses[index]
            self.send(conn, response)
            if _closes(response):
                return


def _closes(response: bytes) -> bool:
    head = response.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
    return any(
        line.partition(":")[0].strip() == "connection" and "close" in line.partition(":")[2]
        for line in head.split("\r\n")[1:]
    )


def _cycle(data: bytes) -> Iterator[bytes]:
    return (bytes([b]) for b in cycle(data))


def _header_bytes() -> Iterator[bytes]:
    yield from (bytes([b]) for b in b"Content-Type: text/xml\r\nX-Slow: ")
    while True:
        yield b"a"
