"""HTTP with every try bounded: a whole-try time limit (connecting, headers, the last byte of
the body) and a size cap, so no server can hang a run or fill its memory.

Socket timeouts bound each wait for a packet, not a try: a server that sends one byte a
second never trips them. So each try runs under a `TryTimer`, which shuts the try's
connection down when its time is up; the blocked read then returns and the try fails.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_current = threading.local()


class TryTimer:
    """`with TryTimer(seconds):` connections that send requests in this thread meanwhile are
    shut down when `seconds` have passed; `expired` then says so."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._connections: list[HTTPConnection] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True

    def watch(self, connection: HTTPConnection) -> None:
        with self._lock:
            self._connections.append(connection)
            late = self.expired
        if late:
            _shut(connection)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            connections = list(self._connections)
        for connection in connections:
            _shut(connection)

    def __enter__(self) -> TryTimer:
        _current.timer = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _current.timer = None


def _shut(connection: HTTPConnection) -> None:
    sock = getattr(connection, "sock", None)
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
        size = f"{cap >> 20} MiB" if cap % (1 << 20) == 0 else f"{cap:,} bytes"
        super().__init__(f"the answer is larger than {size}")
        self.cap = cap


def read_capped(response: requests.Response, cap: int) -> bytes:
    """The whole (decoded) body of a streamed response; BodyTooLarge past `cap` bytes."""
    chunks: list[bytes] = []
    size = 0
    for chunk in _chunks(response):
        size += len(chunk)
        if size > cap:
            response.close()
            raise BodyTooLarge(cap)
        chunks.append(chunk)
    return b"".join(chunks)


def _chunks(response: requests.Response) -> Iterator[bytes]:
    return response.iter_content(chunk_size=256 * 1024)


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
