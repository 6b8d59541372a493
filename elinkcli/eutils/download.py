"""Large files from NCBI's file server over HTTP(S): a HEAD for what is there, a GET
streamed to a `.part` file that a later transfer resumes (Range, If-Range), retried as
every request is (RetryPolicy: capped backoff with jitter, Retry-After), redirects only
to the same host, every size checked against what the server said, the MD5 taken as the
bytes arrive.

The transfer's validators (size, Last-Modified, ETag) are kept beside the `.part` file; a
resumed GET sends them as If-Range, so a file changed upstream meanwhile comes whole (200)
and the old part is dropped, never spliced to the new file's tail.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from elinkcli.errors import ElinkError, GaveUpError, PermanentError
from elinkcli.eutils.retry import RetryPolicy, parse_retry_after, status_is_transient
from elinkcli.inert import quote, size_text
from elinkcli.locks import FILE_MODE

if TYPE_CHECKING:
    import requests

CHUNK = 1 << 20
MAX_REDIRECTS = 5
# A file with no Content-Length is cut here (NCBI's largest link file is ~4 GB).
MAX_FILE_BYTES = 64 << 30
_MD5 = re.compile(rb"\b([0-9a-fA-F]{32})\b")


@dataclass(frozen=True)
class Remote:
    """A file as the server describes it."""

    url: str
    size: int | None
    last_modified: str | None
    etag: str | None


@dataclass(frozen=True)
class Fetched:
    """A file whole on disk: the Remote it was, and the MD5 of its bytes."""

    remote: Remote
    md5: str


@dataclass(frozen=True)
class Transfer:
    """How a download goes: timeouts, the retry policy every request follows (tries in a
    row without progress, capped backoff with jitter from `rng`, a Retry-After beyond the
    policy's deadline not waited for; `sleep` is injected so tests need no real waiting),
    a floor under the speed (fewer than `stall_bytes` in `stall_window` seconds is a try
    failed: a server that drips a byte at a time never trips the read timeout; `monotonic`
    is injected too), and a progress hook (bytes on disk, total)."""

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    stall_window: float = 60.0
    stall_bytes: int = 64 << 10
    monotonic: Callable[[], float] = time.monotonic
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    rng: random.Random = field(default_factory=random.Random)
    sleep: Callable[[float], None] = time.sleep
    progress: Callable[[int, int | None], None] = lambda done, total: None
    notice: Callable[[str], None] = lambda text: None


class DownloadError(ElinkError):
    """The file could not be had: what the server answered, or that the disk is full."""


def _remote(url: str, response: requests.Response) -> Remote:
    size = response.headers.get("Content-Length")
    return Remote(
        url=url,
        size=int(size) if size and size.isdigit() else None,
        last_modified=_header(response, "Last-Modified"),
        etag=_header(response, "ETag"),
    )


def _header(response: requests.Response, name: str) -> str | None:
    value = response.headers.get(name)
    if value is None or len(value) > 200 or not value.isprintable():
        return None
    return value


def _request(
    session: requests.Session,
    method: str,
    url: str,
    transfer: Transfer,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    """One request, following redirects only to the same scheme and host."""
    import requests

    start = urlsplit(url)
    for _ in range(MAX_REDIRECTS + 1):
        try:
            response = session.request(
                method,
                url,
                headers=headers,
                stream=True,
                allow_redirects=False,
                timeout=(transfer.connect_timeout, transfer.read_timeout),
            )
        except requests.RequestException as exc:
            raise _Transient(f"{_where(url)}: {_reason(exc, transfer)}") from None
        if response.status_code in (301, 302, 303, 307, 308):
            there = urljoin(url, response.headers.get("Location", ""))
            response.close()
            parts = urlsplit(there)
            if (parts.scheme, parts.netloc) != (start.scheme, start.netloc):
                raise PermanentError(
                    f"{_where(url)}: the server redirected to {parts.scheme}://"
                    f"{quote(parts.netloc, 80)}, another host; not followed"
                )
            url = there
            continue
        return response
    raise PermanentError(f"{_where(url)}: more than {MAX_REDIRECTS} redirects")


class _Transient(Exception):
    """A failure worth another try (after `retry_after` seconds when the server said)."""

    def __init__(self, text: str, retry_after: float | None = None) -> None:
        super().__init__(text)
        self.retry_after = retry_after


def _reason(exc: BaseException, transfer: Transfer) -> str:
    import requests
    from urllib3.exceptions import ConnectTimeoutError, ReadTimeoutError

    from elinkcli.eutils.transport import connection_failure

    kind = connection_failure(exc)
    if kind == "dns":
        return "the host name could not be resolved"
    if kind == "refused":
        return "the connection was refused"
    if isinstance(exc, (requests.ConnectTimeout, ConnectTimeoutError)):
        return f"no connection within {transfer.connect_timeout:g} s"
    if isinstance(exc, (requests.Timeout, ReadTimeoutError, TimeoutError)):
        return f"no answer within {transfer.read_timeout:g} s"
    return quote(type(exc).__name__, 60)


def _where(url: str) -> str:
    parts = urlsplit(url)
    return quote(f"{parts.netloc}{parts.path}", 200)


def _status(url: str, response: requests.Response) -> None:
    """Raise for a status that is not an answer: _Transient for 408, 429 and 5xx."""
    code = response.status_code
    if code < 400:
        return
    response.close()
    if status_is_transient(code):
        raise _Transient(
            f"{_where(url)}: HTTP {code}", parse_retry_after(response.headers.get("Retry-After"))
        )
    if code == 404:
        raise PermanentError(f"{_where(url)}: not on the server (HTTP 404)")
    raise PermanentError(f"{_where(url)}: HTTP {code}")


def _tried(what: Callable[[], Any], transfer: Transfer, progress: Callable[[], int] = int) -> Any:
    """`what()` until it succeeds, waiting as `transfer.policy` says between tries;
    GaveUpError after `max_tries` failures in a row. A try that moved the transfer on by
    `progress()` (bytes on disk) at least a CHUNK starts the count again: a long file over
    a link that breaks now and then still comes whole."""
    policy = transfer.policy
    attempt, total = 0, 0
    mark = progress()
    while True:
        attempt, total = attempt + 1, total + 1
        try:
            return what()
        except _Transient as exc:
            now = progress()
            if now - mark >= CHUNK:
                attempt, mark = 1, now
            if attempt >= policy.max_tries:
                raise GaveUpError(f"{exc} ({_tries(total)})", [], total) from None
            if exc.retry_after is not None and exc.retry_after > policy.deadline:
                raise GaveUpError(
                    f"{exc}: the server asks to wait {exc.retry_after:,.0f} s, more than "
                    f"{policy.deadline:g} s ({_tries(total)})",
                    [],
                    total,
                ) from None
            wait = policy.delay(attempt, exc.retry_after, transfer.rng)
            transfer.notice(f"{exc}: trying again in {wait:.1f} s")
            transfer.sleep(wait)


def _tries(n: int) -> str:
    return f"{n} tr{'y' if n == 1 else 'ies'}"


def head(session: requests.Session, url: str, transfer: Transfer) -> Remote:
    """What the server says of `url` now (size, Last-Modified, ETag)."""

    def ask() -> Remote:
        response = _request(session, "HEAD", url, transfer)
        _status(url, response)
        response.close()
        return _remote(response.url or url, response)

    found: Remote = _tried(ask, transfer)
    return found


def published_md5(session: requests.Session, url: str, transfer: Transfer) -> str | None:
    """The MD5 NCBI publishes beside a file (`FILE.md5`), when there is one. A server
    error is retried as any request is; given up on, it is said (`transfer.notice`) and the
    file goes unchecked by it (None), as when none is published."""

    def ask() -> bytes | None:
        response = _request(session, "GET", url + ".md5", transfer)
        with contextlib.closing(response):
            _status(url + ".md5", response)
            if response.status_code != 200:
                return None
            return response.raw.read(4096, decode_content=True) or b""

    try:
        body: bytes | None = _tried(ask, transfer)
    except PermanentError:
        return None
    except GaveUpError as exc:
        transfer.notice(f"{exc}: the file is checked without NCBI's MD5")
        return None
    found = _MD5.search(body or b"")
    return found.group(1).decode().lower() if found else None


def _sidecar(part: Path) -> Path:
    return part.with_name(part.name + ".json")


def _kept(part: Path, remote: Remote) -> int:
    """Bytes of an earlier transfer of the same upstream file to resume from (0: none)."""
    try:
        saved = json.loads(_sidecar(part).read_text("utf-8"))
        size = part.stat().st_size
    except (OSError, ValueError):
        return 0
    same = isinstance(saved, dict) and saved.get("url") == remote.url
    same = same and saved.get("size") == remote.size
    same = same and saved.get("last_modified") == remote.last_modified
    same = same and saved.get("etag") == remote.etag
    if not same or (remote.size is not None and size > remote.size):
        return 0
    return size


def discard(part: Path) -> None:
    for path in (part, _sidecar(part)):
        with contextlib.suppress(OSError):
            path.unlink()


def download(
    session: requests.Session,
    url: str,
    part: Path,
    transfer: Transfer,
    remote: Remote | None = None,
) -> Fetched:
    """`url` whole in `part` (resumed from an earlier `.part` of the same upstream file),
    with the MD5 of its bytes; `remote` is the HEAD already asked for it (asked here
    when None). GaveUpError when it failed `max_tries` times in a row (what came is kept
    for the next try), PermanentError for an answer that is not the file, DownloadError
    when the disk cannot take it."""
    if remote is None:
        remote = head(session, url, transfer)
    if remote.size is None:
        transfer.notice(
            f"{_where(url)}: the server gives no size; at most {size_text(MAX_FILE_BYTES)} taken"
        )
    elif remote.size > MAX_FILE_BYTES:
        raise PermanentError(
            f"{_where(url)}: {size_text(remote.size)}, more than the "
            f"{size_text(MAX_FILE_BYTES)} elinkcli takes"
        )
    done = _kept(part, remote)
    if done == 0:
        discard(part)
    try:
        _sidecar(part).write_text(json.dumps(asdict(remote)), "utf-8")
    except OSError as exc:
        raise DownloadError(f"cannot write {part.parent}: {exc.strerror}") from None
    if done:
        transfer.notice(f"resuming {_where(url)} at byte {done:,}")
    else:
        try:
            os.close(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, FILE_MODE))
        except OSError as exc:
            raise DownloadError(f"cannot write {part}: {exc.strerror or exc}") from None
    digest = _Digest(part)

    def attempt() -> int:
        return _get(session, url, part, remote, transfer, digest)

    got = _tried(attempt, transfer, progress=lambda: _size(part))
    if remote.size is not None and got != remote.size:
        discard(part)
        raise PermanentError(
            f"{_where(url)}: {got:,} bytes came where the server said {remote.size:,}"
        )
    return Fetched(remote, digest.hexdigest(got))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


class _Digest:
    """The MD5 of `part`'s bytes, taken as they are written: the bytes a resumed transfer
    found on disk are read once, the rest never read back."""

    def __init__(self, part: Path) -> None:
        self.part = part
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.length = 0

    def start_at(self, offset: int) -> None:
        """The next bytes written go at `offset`: the digest covers exactly those before."""
        if offset < self.length:
            self.md5, self.length = hashlib.md5(usedforsecurity=False), 0
        if offset > self.length:
            with open(self.part, "rb") as f:
                f.seek(self.length)
                while self.length < offset:
                    block = f.read(min(CHUNK, offset - self.length))
                    if not block:
                        raise OSError(f"{self.part} is shorter than {offset:,} bytes")
                    self.md5.update(block)
                    self.length += len(block)

    def update(self, block: bytes) -> None:
        self.md5.update(block)
        self.length += len(block)

    def hexdigest(self, size: int) -> str:
        self.start_at(size)
        return self.md5.hexdigest()


def _get(
    session: requests.Session,
    url: str,
    part: Path,
    remote: Remote,
    transfer: Transfer,
    digest: _Digest,
) -> int:
    """One GET, from where `part` ends; the size of `part` after it."""
    done = part.stat().st_size if part.exists() else 0
    total = remote.size
    if total is not None and done == total:
        return done
    headers = {"Accept-Encoding": "identity"}
    if done:
        headers["Range"] = f"bytes={done}-"
        validator = remote.etag or remote.last_modified
        if validator:
            headers["If-Range"] = validator
    response = _request(session, "GET", url, transfer, headers)
    with contextlib.closing(response):
        if response.status_code == 416 and done:
            done = 0
            discard(part)
            raise _Transient(f"{_where(url)}: the server refused to resume; starting again")
        _status(url, response)
        if response.status_code == 206:
            start = _range_start(response)
            if start != done:
                raise _Transient(f"{_where(url)}: the server resumed at another byte")
            mode = "ab"
        else:
            done, mode = 0, "wb"
            if total is not None:
                length = response.headers.get("Content-Length")
                if length is not None and length.isdigit() and int(length) != total:
                    raise _Transient(
                        f"{_where(url)}: the server says {int(length):,} bytes, "
                        f"not the {total:,} it said before"
                    )
        limit = total if total is not None else MAX_FILE_BYTES
        try:
            digest.start_at(done)
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
            with os.fdopen(fd, mode) as out:
                if mode == "wb":
                    out.truncate(0)
                try:
                    since, came = transfer.monotonic(), 0
                    for block in _blocks(response):
                        if done + len(block) > limit:
                            raise PermanentError(
                                f"{_where(url)}: the server sent more than the "
                                f"{limit:,} bytes it said"
                            )
                        out.write(block)
                        digest.update(block)
                        done += len(block)
                        transfer.progress(done, total)
                        came += len(block)
                        if transfer.monotonic() - since >= transfer.stall_window:
                            if came < transfer.stall_bytes:
                                raise _Transient(
                                    f"{_where(url)}: the transfer slowed to {size_text(came)} "
                                    f"in {transfer.stall_window:g} s at byte {done:,}"
                                )
                            since, came = transfer.monotonic(), 0
                except _read_errors() as exc:
                    out.flush()
                    raise _Transient(
                        f"{_where(url)}: the transfer broke off at byte {done:,} "
                        f"({_reason(exc, transfer)})"
                    ) from None
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            raise DownloadError(
                f"cannot write {part}: {exc.strerror or exc} (the transfer so far is kept "
                "and resumed next time)"
            ) from None
    if total is not None and done < total:
        raise _Transient(f"{_where(url)}: the transfer broke off at byte {done:,} of {total:,}")
    return done


def _blocks(response: requests.Response) -> Iterator[bytes]:
    """The body as it arrives: each read returns what the connection has (urllib3 2's
    read1), so a transfer that breaks off keeps every byte that came before the break."""
    raw = response.raw
    read1 = getattr(raw, "read1", None)
    if read1 is None:  # urllib3 1.26: whole blocks, the last one lost if the transfer breaks
        yield from response.iter_content(1 << 16)
        return
    while True:
        block = read1(CHUNK, decode_content=True)
        if not block:
            return
        yield block


def _read_errors() -> tuple[type[BaseException], ...]:
    import requests
    import urllib3

    return (requests.RequestException, urllib3.exceptions.HTTPError, ConnectionError, TimeoutError)


def _range_start(response: requests.Response) -> int | None:
    found = re.fullmatch(r"bytes (\d+)-\d+/(\d+|\*)", response.headers.get("Content-Range", ""))
    return int(found.group(1)) if found else None
