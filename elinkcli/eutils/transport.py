"""HTTP with every try bounded: a whole-try time limit (connecting, headers, the last byte of
the body) and a size cap, so no server can hang a run or fill its memory.

Socket timeouts bound each wait for a packet, not a try: a server that sends one byte a
second never trips them. So each try runs under a `TryTimer`, which shuts the try's
connection down when its time is up; the blocked read then returns and the try fails.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import sys
import threading
import zlib
from collections.abc import Iterator
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_current = threading.local()


class TryTimer:
    """`with TryTimer(seconds):` connections that send requests in this thread meanwhile are
    shut down when `seconds` have passed; `expired` then says so.

    The socket of each connection is kept as well: once http.client has a response whose
    body runs to the connection's close (`Connection: close`, HTTP/1.0), it drops its own
    reference (`conn.sock = None`) while the body is still read from that socket."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._connections: list[HTTPConnection] = []
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True

    def watch(self, connection: HTTPConnection) -> None:
        with self._lock:
            self._connections.append(connection)
            sock = getattr(connection, "sock", None)
            if sock is not None:
                self._sockets.append(sock)
            late = self.expired
        if late:
            _shut(connection)

    def watch_socket(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            late = self.expired
        if late:
            _shut_socket(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            connections = list(self._connections)
            sockets = list(self._sockets)
        for connection in connections:
            _shut(connection)
        for sock in sockets:
            _shut_socket(sock)

    def __enter__(self) -> TryTimer:
        _current.timer = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _current.timer = None


def _shut(connection: HTTPConnection) -> None:
    _shut_socket(getattr(connection, "sock", None))


def _shut_socket(sock: socket.socket | None) -> None:
    if sock is None:
        return
    # The plain socket's shutdown, also under TLS: the reading thread keeps its SSL object.
    with contextlib.suppress(OSError, TypeError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watched:
    def request(self, *args: Any, **kwargs: Any) -> Any:
        timer: TryTimer | None = getattr(_current, "timer", None)
        if timer is not None:
            timer.watch(self)  # type: ignore[arg-type]
        return super().request(*args, **kwargs)  # type: ignore[misc]

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        timer: TryTimer | None = getattr(_current, "timer", None)
        if timer is not None:
            timer.watch_socket(getattr(self, "sock", None))


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class WatchedAdapter(HTTPAdapter):
    """requests' adapter, with connections a TryTimer can shut down (also through a proxy)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        manager.pool_classes_by_scheme = dict(_POOLS)
        return manager


class BodyTooLarge(Exception):
    def __init__(self, cap: int) -> None:
        super().__init__(f"the answer is larger than {_size(cap)}")
        self.cap = cap


class BudgetFull(Exception):
    """The answers this process holds at once fill its memory budget: ask again later."""

    def __init__(self, cap: int) -> None:
        super().__init__(
            f"the answers read at once fill elinkcli's memory budget ({_size(cap)}): "
            "asking again once some are done"
        )


class BadEncoding(Exception):
    """A Content-Encoding elinkcli did not ask for, or more layers of it than sense."""


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n % (1 << 20) == 0 else f"{n:,} bytes"


class AnswerBudget:
    """Bytes of answers (decompressed) this process holds at once, while they are read and
    parsed, whatever the number of requests in flight. An answer past the whole budget
    fails (BodyTooLarge); one that finds it full is asked again later (BudgetFull)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.used = 0
        self._lock = threading.Lock()

    def hold(self) -> Held:
        return Held(self)

    def _take(self, held: Held, n: int) -> None:
        with self._lock:
            if held.size + n > self.total:
                raise BodyTooLarge(self.total)
            if self.used + n > self.total:
                raise BudgetFull(self.total)
            self.used += n
            large = self.used > LARGE
        held.size += n
        if large:
            _return_freed_memory()

    def _give(self, n: int) -> None:
        with self._lock:
            self.used -= n


class Held:
    """Bytes one answer holds of the budget, given back by release() (once)."""

    def __init__(self, budget: AnswerBudget) -> None:
        self.budget = budget
        self.size = 0

    def grow(self, n: int) -> None:
        self.budget._take(self, n)

    def release(self) -> None:
        size, self.size = self.size, 0
        if size:
            self.budget._give(size)


# The process's budget: every client reads into it (resized to its settings' max_body).
BUDGET = AnswerBudget(1 << 30)
# Answers past this in all make freed memory go back to the system (see below).
LARGE = 16 * 1024 * 1024


@functools.cache
def _return_freed_memory() -> None:
    """glibc keeps the memory of freed blocks of a few hundred KB in each thread's arena
    (its mmap threshold grows as blocks are freed), so large answers read by 8 threads in
    turn left 1.5 GB resident where 256 MiB were ever held at once. A fixed threshold maps
    such blocks and gives them back when freed. Done once, when answers first get large
    (ctypes costs a few milliseconds no small run pays)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None).mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        pass


# Raw bytes read at a time, and the most one decompression step may make of them: a
# kilobyte of nested gzip never becomes gigabytes in one call.
RAW_CHUNK = 64 * 1024
INFLATE_STEP = 256 * 1024
_WBITS = {"gzip": 31, "x-gzip": 31, "deflate": 15}
MAX_LAYERS = 2


def read_body(response: requests.Response, held: Held) -> bytes:
    """The whole body of a streamed response, decompressed here in bounded steps (never by
    urllib3), every byte counted into `held`: BodyTooLarge, BudgetFull, BadEncoding."""
    layers = _encodings(response.headers.get("Content-Encoding", ""))
    raw = response.raw.stream(RAW_CHUNK, decode_content=False)
    stream: Iterator[bytes] = raw
    for coding in reversed(layers):
        stream = _inflate(stream, coding)
    chunks: list[bytes] = []
    try:
        for chunk in stream:
            held.grow(len(chunk))
            chunks.append(chunk)
    except BaseException:
        # The error's traceback keeps this frame while the try is waited out: not its bytes.
        chunks.clear()
        response.close()
        raise
    return b"".join(chunks)


def _encodings(header: str) -> list[str]:
    layers = [c.strip().lower() for c in header.split(",") if c.strip()]
    layers = [c for c in layers if c != "identity"]
    unknown = [c for c in layers if c not in _WBITS]
    if unknown:
        raise BadEncoding(f"the answer is encoded as {unknown[0][:40]!r}, which was not asked for")
    if len(layers) > MAX_LAYERS:
        raise BadEncoding(f"the answer is compressed {len(layers)} times over")
    return layers


def _inflate(stream: Iterator[bytes], coding: str) -> Iterator[bytes]:
    """One layer of gzip or deflate undone, at most INFLATE_STEP bytes a step. Several gzip
    members one after another are one body; bytes after the last that are no member are
    left unread, as urllib3 leaves them."""
    wbits = _WBITS[coding]
    inflater = zlib.decompressobj(wbits)
    started = members = 0
    for data in stream:
        while data:
            try:
                out = inflater.decompress(data, INFLATE_STEP)
            except zlib.error:
                if members:
                    return
                if started or coding != "deflate" or wbits < 0:
                    raise
                wbits = -15  # a raw deflate stream, without the zlib header
                inflater = zlib.decompressobj(wbits)
                continue
            started = 1
            data = inflater.unconsumed_tail
            if out:
                yield out
            if inflater.eof:
                members += 1
                data = inflater.unused_data + data
                inflater = zlib.decompressobj(wbits)
    tail = inflater.flush()
    if tail:
        yield tail


def connection_failure(exc: BaseException) -> str | None:
    """'dns' when the host name could not be resolved, 'refused' when nothing listens on the
    port, else None: from the chain of causes requests and urllib3 wrap around it."""
    from urllib3.exceptions import NameResolutionError

    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, (NameResolutionError, socket.gaierror)):
            return "dns"
        if isinstance(e, ConnectionRefusedError):
            return "refused"
        for nxt in (getattr(e, "reason", None), e.__cause__, e.__context__, *e.args):
            if isinstance(nxt, BaseException):
                stack.append(nxt)
    text = str(exc)
    if "Failed to resolve" in text or "Name or service not known" in text:
        return "dns"
    if "Connection refused" in text:
        return "refused"
    return None
