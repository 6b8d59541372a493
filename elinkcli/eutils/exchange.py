"""One HTTP exchange with a service: the session, the POST with its redirects checked, the
whole body read within the try's time, every failure said in words as a TransientError,
the API key masked in the body, the answer parsed one at a time in the process.

requests and urllib3 are imported only when a request is made: a run answered from the
cache never imports them."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from elinkcli import __version__
from elinkcli import constants as C
from elinkcli.errors import (
    PermanentError,
    ResponseParseError,
    ResponseValueError,
    TransientError,
)
from elinkcli.eutils.params import Params
from elinkcli.eutils.services import Service
from elinkcli.inert import SECRET_MIN

if TYPE_CHECKING:
    import requests

    from elinkcli.eutils.transport import Held

_WHO = {"eutils": "NCBI", "icite": "iCite", "europepmc": "Europe PMC"}

# Redirects followed within the base URL's scheme and host.
MAX_REDIRECTS = 5
# One answer parsed at a time in the whole process.
_PARSING = threading.Lock()

T = TypeVar("T")


def new_session(pool: int) -> requests.Session:
    """A keep-alive session of `pool` connections, naming elinkcli in its User-Agent."""
    import requests

    from elinkcli.eutils.transport import WatchedAdapter

    session = requests.Session()
    adapter = WatchedAdapter(pool_connections=1, pool_maxsize=pool)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = f"elinkcli/{__version__} {requests.utils.default_user_agent()}"
    # Only what transport.read_body undoes (urllib3 would add br and zstd when installed).
    session.headers["Accept-Encoding"] = "gzip, deflate"
    return session


def fetch(
    session: requests.Session,
    url: str,
    data: Params,
    endpoint: str,
    *,
    budget: float,
    connect_timeout: float,
    service: Service,
    held: Held,
    late: Callable[[], None],
) -> tuple[requests.Response, bytes]:
    """The answer and its whole body, read within `budget` seconds into `held`; every
    way that fails is a TransientError (asked again, or not when `max_tries` says).
    `late` is called when the answer did not come in time."""
    import requests
    from urllib3.exceptions import HTTPError, ReadTimeoutError

    from elinkcli.eutils.transport import (
        BadEncoding,
        BodyTooLarge,
        BudgetFull,
        TryTimer,
        read_body,
    )

    timer = TryTimer(budget)
    too_late = TransientError(
        f"{_WHO[service.name]} did not answer in time (no complete answer in {budget:g} s)"
    )
    try:
        with timer:
            response = post(
                session, url, data, endpoint, (min(connect_timeout, budget), budget), service.method
            )
            body = read_body(response, held)
    except BodyTooLarge as exc:
        raise TransientError(
            f"{endpoint}: {exc}: stopped reading (a smaller --batch asks for less)",
            max_tries=1,
        ) from None
    except BudgetFull as exc:
        raise TransientError(f"{endpoint}: {exc}") from None
    except BadEncoding as exc:
        raise TransientError(f"{endpoint}: {exc}", max_tries=1) from None
    except (requests.RequestException, HTTPError, zlib.error, OSError) as exc:
        # (urllib3's own errors come from reading the body: a connection cut short)
        if timer.expired or isinstance(exc, (requests.Timeout, ReadTimeoutError)):
            late()
            raise too_late from None
        if isinstance(exc, zlib.error):
            raise TransientError(f"{endpoint}: the answer's compression is broken") from None
        if not isinstance(exc, requests.RequestException):
            broke = f"{endpoint}: the connection broke off ({type(exc).__name__})"
            raise TransientError(broke) from None
        raise unreachable(exc, url) from None
    if timer.expired:  # the body ended because its connection was shut
        late()
        raise too_late
    return response, body


def post(
    session: requests.Session,
    url: str,
    data: Params,
    endpoint: str,
    timeout: tuple[float, float],
    method: str = "POST",
) -> requests.Response:
    """POST, following a redirect only to the same scheme and host, as the same POST
    (requests would re-send the body, API key included, wherever a 307/308 points, and
    turn a 301-303 into an empty GET). The body is left to read_body."""
    from urllib.parse import urljoin, urlparse

    for _ in range(MAX_REDIRECTS + 1):
        sent_as_form = method == "POST"
        response = session.request(
            method,
            url,
            data=data if sent_as_form else None,
            params=None if sent_as_form else data,
            timeout=timeout,
            allow_redirects=False,
            stream=True,
        )
        if response.status_code not in (301, 302, 303, 307, 308):
            return response
        target = urljoin(url, response.headers.get("Location", ""))
        here, there = urlparse(url), urlparse(target)
        response.close()
        if (here.scheme, here.netloc) != (there.scheme, there.netloc):
            raise PermanentError(
                f"{endpoint}: the server redirected to {there.scheme}://{there.netloc}"
                f"{there.path} (HTTP {response.status_code}); not followed, so the request "
                "and its API key stay with the host it was meant for: set --base-url to "
                "the server you mean"
            )
        url = target
    raise PermanentError(f"{endpoint}: more than {MAX_REDIRECTS} redirects")


def unreachable(exc: requests.RequestException, url: str) -> TransientError:
    """A failure before any answer, said in words: no DNS, nothing listening, or other."""
    from urllib.parse import urlparse

    from elinkcli.eutils.transport import connection_failure

    parts = urlparse(url)
    host = parts.hostname or parts.netloc
    kind = connection_failure(exc)
    if kind == "dns":
        return TransientError(
            f"could not resolve {host}: no network, or no DNS answer for the name",
            max_tries=C.MAX_TRIES_NO_CONNECTION,
        )
    if kind == "refused":
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return TransientError(
            f"{host} refused the connection on port {port} (nothing listening there)",
            max_tries=C.MAX_TRIES_NO_CONNECTION,
        )
    return TransientError(f"could not reach {host} ({type(exc).__name__})")


def redacted(body: bytes, key: str | None) -> bytes:
    """The body with the API key (any case) masked: a server that sends it back never
    gets it into a row, a message or the cache."""
    if not key or len(key) < SECRET_MIN or len(body) < len(key):
        return body
    wanted = key.lower().encode("utf-8", "replace")
    if wanted not in body.lower():  # (lower() and find: 5x faster than a re.I search)
        return body
    import re

    return re.sub(re.escape(wanted), b"***", body, flags=re.IGNORECASE)


def parsed(parse: Callable[[bytes], T], body: bytes, endpoint: str) -> T:
    """One answer parsed at a time in the process (parsing holds the interpreter anyway,
    and one parse's memory is the bound); whatever a parser meets in a hostile answer is
    a bad answer, never a crash."""
    with _PARSING:
        try:
            return parse(body)
        except ResponseParseError:
            raise
        except RecursionError:
            raise ResponseValueError(f"{endpoint}: the answer is too deeply nested") from None
        except MemoryError:
            raise ResponseValueError(f"{endpoint}: the answer needs more memory") from None
        except Exception as exc:
            raise ResponseValueError(
                f"{endpoint}: the answer could not be read ({type(exc).__name__})"
            ) from None
