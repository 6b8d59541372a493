"""A static file server on 127.0.0.1 for the bulk-download tests, with scripted faults.

It serves files from a dict (path without leading slash -> bytes) and/or from a directory
tree, as an HTTP/1.1 server of large files does: GET and HEAD with Content-Length,
Last-Modified, a strong ETag and `Accept-Ranges: bytes`; one `Range: bytes=N-`, `N-M` or
`-S` answered 206 with Content-Range, a range starting past the end 416 with
`Content-Range: bytes */TOTAL`; `If-Range` that does not match the current file (ETag or
date) turns a range request into a full 200 (RFC 9110 13.1.5); If-None-Match and
If-Modified-Since answer 304 when they match. The body goes out in 64 KiB chunks.

Faults, per path and used up in order, each on one GET (HEAD never takes one):

    with FileServer({"gene/DATA/gene2pubmed.gz": data}) as fs:
        fs.faults["gene/DATA/gene2pubmed.gz"] = ["cut:1000", "status:503"]
        ...  # the first GET is cut after 1000 body bytes, the second is a 503, then clean

`cut:N` (right headers, N body bytes, then the connection closes), `short-length`
(Content-Length and body 100 bytes short: a complete-looking, truncated file),
`long-length` (Content-Length 100 bytes more than the body sent, then close), `corrupt`
(16 bytes in the middle of the body flipped, same length), `slow:S` (S seconds before each
chunk), `silent` (never answers; the connection is held until the server stops),
`status:CODE[:RETRY_AFTER]` (CODE with a small body; 429 and 503 carry Retry-After, 1 s
unless given), `no-range` (Range ignored: 200 with the whole file), `redirect:URL` (302).

`fs.log` records every request as Request(method, path, headers): path as a files key
(no leading slash, %-decoded, no query), header names in canonical case (`Range`,
`If-Range`). Nothing here imports elinkcli or requests.

Run it alone (a directory tree, read per request, so multi-GB files and Range work):
python tests/support/file_server.py --root DIR [--port 8767] [--rate MB_PER_S]
(`--rate`, or `rate` in bytes a second: each body sent no faster, as over a real link).
"""

from __future__ import annotations

import argparse
import contextlib
import email.utils
import hashlib
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

__all__ = [
    "CHUNK",
    "DEFAULT_LAST_MODIFIED",
    "FAULT_KINDS",
    "FileServer",
    "Request",
    "parse_range",
]

HOST = "127.0.0.1"
CHUNK = 64 * 1024
DEFAULT_LAST_MODIFIED = datetime(2026, 12, 1, tzinfo=timezone.utc)
FAULT_KINDS = frozenset(
    {"cut", "short-length", "long-length", "corrupt", "slow", "silent", "status"}
    | {"no-range", "redirect"}
)
# How many bytes a short-length/long-length fault takes off/adds to Content-Length, and how
# many a corrupt fault flips.
LENGTH_SKEW = 100
FLIPPED = 16
JOIN_TIMEOUT = 2.0
UNSATISFIABLE = "unsatisfiable"
_TYPES = {".gz": "application/x-gzip", ".csv": "text/csv", ".txt": "text/plain"}


class Request(NamedTuple):
    """One request as received: method, files key, headers (canonical names)."""

    method: str
    path: str
    headers: dict[str, str]


class _File(NamedTuple):
    size: int
    last_modified: datetime
    etag: str
    chunks: Callable[[int, int], Iterator[bytes]]  # the bytes [start, end), in CHUNKs


class _Stopping(Exception):
    """The server is stopping: end this answer now."""


def _utc(moment: datetime) -> datetime:
    """An aware UTC datetime to the second (a naive one is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(microsecond=0)


def _http_date(moment: datetime) -> str:
    return email.utils.format_datetime(_utc(moment), usegmt=True)


def _parse_date(value: str) -> datetime | None:
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return _utc(moment) if moment.tzinfo is not None else None


def _canonical(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))


def parse_range(value: str | None, size: int) -> tuple[int, int] | str | None:
    """A Range header against a file of `size` bytes: (first, last) byte, inclusive;
    UNSATISFIABLE; or None (no Range, or one this server ignores as RFC 9110 allows:
    another unit, several ranges, bad syntax)."""
    if not value:
        return None
    unit, _, spec = value.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = (part.strip() for part in spec.strip().partition("-"))
    if not dash or not (first or last) or not all(p.isdigit() for p in (first, last) if p):
        return None
    if not first:  # a suffix: the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            return UNSATISFIABLE
        return max(0, size - suffix), size - 1
    low = int(first)
    high = int(last) if last else size - 1
    if last and high < low:
        return None
    if low >= size:
        return UNSATISFIABLE
    return low, min(high, size - 1)


def _memory_chunks(data: bytes) -> Callable[[int, int], Iterator[bytes]]:
    def chunks(start: int, end: int) -> Iterator[bytes]:
        view = memoryview(data)
        for at in range(start, end, CHUNK):
            yield bytes(view[at : min(at + CHUNK, end)])

    return chunks


def _disk_chunks(path: Path) -> Callable[[int, int], Iterator[bytes]]:
    def chunks(start: int, end: int) -> Iterator[bytes]:
        with path.open("rb") as f:
            f.seek(start)
            left = end - start
            while left > 0:
                data = f.read(min(CHUNK, left))
                if not data:
                    return
                left -= len(data)
                yield data

    return chunks


class _Server(ThreadingHTTPServer):
    """Tracks its connections and handler threads so stop() can end them all; a client
    that goes away (or a stop) mid-answer prints nothing."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], owner: FileServer) -> None:
        self.owner = owner
        self.lock = threading.Lock()
        self.connections: set[socket.socket] = set()
        self.threads: list[threading.Thread] = []
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=f"file-server-conn-{self.server_address[1]}",
            daemon=True,
        )
        with self.lock:
            self.connections.add(request)
            self.threads = [t for t in self.threads if t.is_alive()]
            self.threads.append(thread)
        thread.start()

    def shutdown_request(self, request: Any) -> None:
        with self.lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (OSError, _Stopping)):
            return
        super().handle_error(request, client_address)


class FileServer:
    """`FileServer(files)` and/or `FileServer(root=DIR)`; a context manager (start/stop).

    `files` (a files key wins over the directory), `faults`, `log` and `last_modified` (the
    date of every dict file put without one) may be changed while it serves.
    """

    def __init__(
        self,
        files: dict[str, bytes] | None = None,
        *,
        root: Path | str | None = None,
        port: int = 0,
        last_modified: datetime = DEFAULT_LAST_MODIFIED,
        rate: float | None = None,
    ) -> None:
        self.files: dict[str, bytes] = files if files is not None else {}
        self.rate = rate
        self.root = Path(root).resolve() if root is not None else None
        self.port = port
        self.last_modified = last_modified
        self.modified: dict[str, datetime] = {}
        self.faults: dict[str, list[str]] = {}
        self.log: list[Request] = []
        self._lock = threading.Lock()
        self._etags: dict[str, tuple[bytes, str]] = {}
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- contents and faults ---------------------------------------------------------------

    def put(self, path: str, data: bytes, last_modified: datetime | None = None) -> None:
        """Serve `data` at `path` from now on (an upstream update: its ETag changes), dated
        `last_modified`, else the server's `last_modified`."""
        key = path.lstrip("/")
        with self._lock:
            self.files[key] = data
            if last_modified is None:
                self.modified.pop(key, None)
            else:
                self.modified[key] = _utc(last_modified)

    def add_faults(self, path: str, *faults: str) -> None:
        """Queue faults for the next GETs of `path` (checked here; `faults[path]` is not)."""
        for fault in faults:
            kind, _, arg = fault.partition(":")
            if kind not in FAULT_KINDS or (kind in ("cut", "slow", "status", "redirect")) != (
                bool(arg)
            ):
                raise ValueError(f"not a fault: {fault!r}")
        with self._lock:
            self.faults.setdefault(path.lstrip("/"), []).extend(faults)

    def requests_to(self, path: str, method: str | None = None) -> list[Request]:
        """The logged requests for `path` (of `method` only, when given)."""
        key = path.lstrip("/")
        with self._lock:
            return [r for r in self.log if r.path == key and method in (None, r.method)]

    def url(self, path: str) -> str:
        return self.base_url + path.lstrip("/")

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the file server is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    # --- serving ---------------------------------------------------------------------------

    def start(self) -> FileServer:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server((HOST, self.port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"file-server-{self._server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close every connection (a silent fault's too) and join the threads."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        with server.lock:
            connections = list(server.connections)
            threads = list(server.threads)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        server.server_close()
        for thread in [*threads, self._thread]:
            if thread is not None:
                thread.join(JOIN_TIMEOUT)

    def __enter__(self) -> FileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- for the handler -------------------------------------------------------------------

    def _record(self, request: Request, take_fault: bool) -> str | None:
        with self._lock:
            self.log.append(request)
            queue = self.faults.get(request.path) if take_fault else None
            return queue.pop(0) if queue else None

    def _lookup(self, key: str) -> _File | None:
        with self._lock:
            data = self.files.get(key)
            modified = self.modified.get(key, self.last_modified)
            if data is not None:
                cached = self._etags.get(key)
                if cached is None or cached[0] is not data:
                    cached = (data, f'"{hashlib.sha256(data).hexdigest()[:32]}"')
                    self._etags[key] = cached
                return _File(len(data), _utc(modified), cached[1], _memory_chunks(data))
        if self.root is None or not key:
            return None
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        st = path.stat()
        moment = datetime.fromtimestamp(int(st.st_mtime), timezone.utc)
        etag = f'"{st.st_size:x}-{st.st_mtime_ns:x}"'
        return _File(st.st_size, moment, etag, _disk_chunks(path))

    def _pause(self, seconds: float) -> None:
        if self._stopping.wait(seconds):
            raise _Stopping


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def _answer(self, head: bool) -> None:
        fs = self.server.owner
        key = unquote(urlsplit(self.path).path).lstrip("/")
        headers = {_canonical(k): v for k, v in self.headers.items()}
        fault = fs._record(Request(self.command, key, headers), take_fault=not head)
        kind, _, arg = (fault or "").partition(":")
        if fault and kind not in FAULT_KINDS:
            raise ValueError(f"file_server: not a fault: {fault!r}")
        if kind == "status":
            code, _, retry = arg.partition(":")
            extra = {"Retry-After": retry or "1"} if retry or code in ("429", "503") else {}
            self._small(int(code), f"<html><body>{code}</body></html>".encode(), extra, head)
            return
        if kind == "redirect":
            self._small(302, b"<html><body>Found</body></html>", {"Location": arg}, head)
            return
        if kind == "silent":
            self.close_connection = True
            fs._stopping.wait()
            return
        file = fs._lookup(key)
        if file is None:
            self._small(404, b"<html><body>Not Found</body></html>", {}, head)
            return
        validators = {
            "Last-Modified": _http_date(file.last_modified),
            "ETag": file.etag,
            "Accept-Ranges": "bytes",
        }
        if self._not_modified(file):
            self._small(304, b"", validators, head=True)
            return
        wanted = None if kind == "no-range" else parse_range(headers.get("Range"), file.size)
        if wanted is not None and not self._if_range_holds(headers.get("If-Range"), file):
            wanted = None
        if wanted == UNSATISFIABLE:
            extra = {**validators, "Content-Range": f"bytes */{file.size}"}
            self._small(416, b"", extra, head)
            return
        first, last = wanted if isinstance(wanted, tuple) else (0, file.size - 1)
        length = last - first + 1
        self.send_response(206 if isinstance(wanted, tuple) else 200)
        ctype = next((t for ext, t in _TYPES.items() if key.endswith(ext)), None)
        self.send_header("Content-Type", ctype or "application/octet-stream")
        for name, value in validators.items():
            self.send_header(name, value)
        if isinstance(wanted, tuple):
            self.send_header("Content-Range", f"bytes {first}-{last}/{file.size}")
        declared, sent = length, length
        if kind == "short-length":
            declared = sent = max(0, length - LENGTH_SKEW)
        elif kind == "long-length":
            declared = length + LENGTH_SKEW
        elif kind == "cut":
            sent = min(int(arg), length)
        self.send_header("Content-Length", str(declared))
        self.end_headers()
        if head:
            return
        if kind in ("cut", "long-length"):
            self.close_connection = True
        flip = (
            range(sent // 2 - FLIPPED // 2, sent // 2 + FLIPPED // 2)
            if kind == "corrupt"
            else range(0)
        )
        offset = 0
        began = time.monotonic()
        for chunk in file.chunks(first, first + sent):
            if kind == "slow":
                fs._pause(float(arg))
            if fs.rate:
                ahead = began + offset / fs.rate - time.monotonic()
                if ahead > 0:
                    fs._pause(ahead)
            if flip and offset < flip.stop and offset + len(chunk) > flip.start:
                buf = bytearray(chunk)
                for at in range(max(flip.start, offset), min(flip.stop, offset + len(chunk))):
                    buf[at - offset] ^= 0xFF
                chunk = bytes(buf)
            self.wfile.write(chunk)
            offset += len(chunk)

    def _not_modified(self, file: _File) -> bool:
        """RFC 9110 13.2.2: If-None-Match first, else If-Modified-Since."""
        none_match = self.headers.get("If-None-Match")
        if none_match is not None:
            tags = [t.strip().removeprefix("W/") for t in none_match.split(",")]
            return "*" in tags or file.etag in tags
        since = _parse_date(self.headers.get("If-Modified-Since") or "")
        return since is not None and file.last_modified <= since

    @staticmethod
    def _if_range_holds(value: str | None, file: _File) -> bool:
        """No If-Range, or one naming the current file: a strong ETag equal to ours, or a
        date equal to Last-Modified (a weak ETag never holds)."""
        if value is None:
            return True
        value = value.strip()
        if value.startswith(('"', "W/")):
            return value == file.etag
        return _parse_date(value) == file.last_modified

    def _small(self, code: int, body: bytes, headers: dict[str, str], head: bool) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "text/html")
        for name, value in headers.items():
            self.send_header(name, value)
        if code != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="the directory to serve")
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument(
        "--rate", type=float, metavar="MB_PER_S", help="send each body no faster (MB a second)"
    )
    args = parser.parse_args(argv)
    if not args.root.is_dir():
        parser.error(f"not a directory: {args.root}")
    rate = args.rate * 1e6 if args.rate else None
    server = FileServer(root=args.root, port=args.port, rate=rate).start()
    print(server.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
