"""The one request layer: identity, pacing, retries, errors, many requests at once; each
HTTP exchange in elinkcli.eutils.exchange. It does HTTP only: the cache it keeps for the
commands is opened outside it (elinkcli.sources.connect)."""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, TypeVar

from elinkcli import constants as C
from elinkcli.config import Settings
from elinkcli.errors import (
    CacheMissError,
    ClientClosedError,
    GaveUpError,
    MaxTimeError,
    NCBIError,
    PermanentError,
    ResponseParseError,
    ResponseValueError,
    TransientError,
)
from elinkcli.eutils.clock import Clock, SystemClock
from elinkcli.eutils.pacing import SharedStartPacer, StartPacer, rate_file
from elinkcli.eutils.params import Params, identity_params
from elinkcli.eutils.requestlog import Trace
from elinkcli.eutils.retry import (
    RetryPolicy,
    error_text_kind,
    parse_retry_after,
    status_is_transient,
)
from elinkcli.eutils.services import EUTILS, Service
from elinkcli.inert import keep_secret, line, quote

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    import requests

    from elinkcli.eutils.requestlog import RequestLog
    from elinkcli.eutils.store import AnswerStore

T = TypeVar("T")
R = TypeVar("R")

RetryHook = Callable[[str, int, float], None]
# (ids in the request, seconds from sending to parsed answer, answered or failed in a way a
# smaller request may avoid: timeout, 5xx, bad body). For --adaptive-batch.
AnswerHook = Callable[[int, float, bool], None]
# (kind, line) for a person watching: "retry" (a request asked again, and why), "wait"
# (for another process, or pacing alone).
NoticeHook = Callable[[str, str], None]


def _tries(n: int) -> str:
    return "1 try" if n == 1 else f"{n} tries"


class Counters:
    """Requests and retries made, for the run summary (shared by threads)."""

    def __init__(self) -> None:
        self.requests = 0
        self.retries = 0
        self._lock = threading.Lock()

    def add(self, *, requests: int = 0, retries: int = 0) -> None:
        with self._lock:
            self.requests += requests
            self.retries += retries


class EutilsClient:
    def __init__(
        self,
        settings: Settings,
        *,
        session: requests.Session | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        pacer: StartPacer | SharedStartPacer | None = None,
        cache: AnswerStore | None = None,
        on_retry: RetryHook | None = None,
        log: RequestLog | None = None,
        on_notice: NoticeHook | None = None,
    ) -> None:
        self.settings = settings
        keep_secret(settings.api_key)
        self.clock = clock or SystemClock()
        self.rng = rng or random.Random()
        self.on_notice = on_notice
        self._own_pacer = pacer
        self._pacers: dict[str, StartPacer | SharedStartPacer] = {}
        self._pacers_lock = threading.Lock()
        # The answer store (elinkcli.sources.connect opens it as the settings say): the
        # client only keeps it for the commands, and closes it with itself.
        self.cache = cache
        self.policy = RetryPolicy.of(settings)
        self.counters = Counters()
        self.on_retry = on_retry
        self._run_end = self.clock.monotonic() + settings.max_time if settings.max_time else None
        # The answer hook of the map_ordered whose work this thread is doing, if any.
        self._observer = threading.local()
        # One JSON line per HTTP attempt (--log); closed with the client.
        self.log = log
        # Made at the first request: a run answered from the cache never imports requests.
        self._session = session
        self._session_lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._closed = threading.Event()

    @staticmethod
    def _pacer(
        settings: Settings,
        clock: Clock,
        notice: Callable[[str], None],
        service: Service = EUTILS,
    ) -> StartPacer | SharedStartPacer:
        """Shared with the user's other elinkcli processes when there is a state directory."""
        ncbi = service.name == EUTILS.name
        interval = settings.start_interval if ncbi else service.interval
        burst = settings.start_burst if ncbi else service.burst
        if settings.state_dir is not None:
            if ncbi:
                path = rate_file(settings.state_dir, settings.api_key)
            else:
                path = settings.state_dir / f"rate-{service.name}.slot"
            try:
                return SharedStartPacer(interval, clock, path, notice, burst)
            except OSError as exc:
                notice(f"cannot use {path} ({exc.strerror or exc}): pacing this process alone")
        return StartPacer(interval, clock, burst)

    def _ready(self) -> None:
        """The HTTP stack and the pacer, made before any start is taken (and in the thread
        that hands out the work): importing requests must not come between a request's start
        and its sending."""
        from elinkcli.eutils import transport

        transport.BUDGET.total = self.settings.max_body
        if self._session is None:
            self.session  # noqa: B018
        self.pacer  # noqa: B018

    def notice(self, text: str, kind: str = "wait") -> None:
        """A line for a person watching (on_notice); the CLI shows the kinds "retry" and
        "estimate" only on a terminal."""
        if self.on_notice is not None:
            self.on_notice(kind, self._clean(text))

    @property
    def pacer(self) -> StartPacer | SharedStartPacer:
        """The E-utilities pacer, made at the first request (file locks are for requests)."""
        if self._own_pacer is None:
            with self._session_lock:
                if self._own_pacer is None:
                    self._own_pacer = self._pacer(self.settings, self.clock, self.notice)
        return self._own_pacer

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            with self._session_lock:
                if self._session is None:
                    self._session = _exchange().new_session(self.settings.max_in_flight)
        return self._session

    def close(self) -> None:
        """Stop: requests not yet started are not sent, workers still waiting give up."""
        self._closed.set()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        if self._session is not None:
            self._session.close()
        if self.cache is not None:
            self.cache.close()
        if self.log is not None:
            self.log.close()

    def __enter__(self) -> EutilsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- one request, with retries ---------------------------------------------------

    def call(
        self,
        endpoint: str,
        params: Params,
        parse: Callable[[bytes], T],
        errors: Callable[[T], Sequence[str]] = lambda _: (),
        ids: Sequence[str] = (),
        service: Service = EUTILS,
    ) -> T:
        """POST `params` to `endpoint` (of `service`: GET for the JSON services), parse the
        body, raise on <ERROR>s; retry what is transient.

        Raises PermanentError at once, GaveUpError (naming `ids`) when tries or deadline run
        out, MaxTimeError when the run's --max-time has.
        """
        self._ready()
        start = self.clock.monotonic()
        attempt = 0
        while True:
            attempt += 1
            self._check_run_time(ids, attempt - 1)
            trace = Trace() if self.log is not None else None
            try:
                try:
                    result = self._attempt(
                        endpoint, params, parse, errors, len(ids), trace, service
                    )
                finally:
                    if trace is not None:
                        trace.ended = self.clock.monotonic()
            except TransientError as exc:
                cause = exc
            except PermanentError as exc:
                self._log(trace, endpoint, params, attempt, "rejected", exc)
                raise
            except MaxTimeError as exc:
                self._log(trace, endpoint, params, attempt, "gave up", exc)
                raise MaxTimeError(str(exc), ids, attempt) from None
            else:
                self._log(trace, endpoint, params, attempt, "ok")
                return result
            max_tries = min(self.policy.max_tries, cause.max_tries or self.policy.max_tries)
            if attempt >= max_tries:
                self._log(trace, endpoint, params, attempt, "gave up", cause)
                raise GaveUpError(f"{cause} ({_tries(attempt)})", ids, attempt) from None
            delay = self.policy.delay(attempt, cause.retry_after, self.rng)
            if self.clock.monotonic() - start + delay > self.policy.deadline:
                self._log(trace, endpoint, params, attempt, "gave up", cause)
                raise GaveUpError(
                    f"{cause} (deadline reached after {_tries(attempt)})", ids, attempt
                )
            if self._run_left() < delay:
                self._log(trace, endpoint, params, attempt, "gave up", cause)
                raise MaxTimeError(self._max_time_text(), ids, attempt)
            self._log(trace, endpoint, params, attempt, "retried", cause)
            self.counters.add(retries=1)
            if self.on_retry is not None:
                self.on_retry(str(cause), attempt, delay)
            if self.on_notice is not None:
                what = f"{len(ids)} id(s)" if ids else "one request"
                self.notice(
                    f"{endpoint.split('.')[0]} for {what}: {self._clean(str(cause))}; "
                    f"asking again in {delay:.1f} s (try {attempt + 1} of {max_tries})",
                    "retry",
                )
            self.clock.sleep(delay)

    def _run_left(self) -> float:
        """Seconds left of the run's --max-time (infinite without one)."""
        if self._run_end is None:
            return float("inf")
        return self._run_end - self.clock.monotonic()

    def _max_time_text(self) -> str:
        return f"the run's --max-time ({self.settings.max_time:g} s) ran out"

    def _check_run_time(self, ids: Sequence[str], tries: int) -> None:
        if self._run_left() <= 0:
            raise MaxTimeError(self._max_time_text(), ids, tries)

    def _attempt(
        self,
        endpoint: str,
        params: Params,
        parse: Callable[[bytes], T],
        errors: Callable[[T], Sequence[str]],
        n_ids: int = 0,
        trace: Trace | None = None,
        service: Service = EUTILS,
    ) -> T:
        s = self.settings
        if s.cache_mode == "offline":
            raise CacheMissError([], f"--offline: {endpoint} would need NCBI (not cached)")
        data = params + identity_params(s.tool, s.email, s.api_key) if service.identity else params
        try:
            self.pacer_for(service).acquire(until=self._run_end)
        except TimeoutError:
            raise MaxTimeError(self._max_time_text()) from None
        if self._closed.is_set():
            raise ClientClosedError("the client was closed before this request started")
        budget = min(s.read_timeout, self._run_left())
        if budget <= 0:
            raise MaxTimeError(self._max_time_text())
        self.counters.add(requests=1)
        sent = self.clock.monotonic()
        if trace is not None and self.log is not None:
            trace.time, trace.sent = self.log.stamp(), sent
        from elinkcli.eutils import transport

        held = transport.BUDGET.hold()
        try:
            response, body = _exchange().fetch(
                self.session,
                self.base_url(service) + endpoint,
                data,
                endpoint,
                budget=budget,
                connect_timeout=s.connect_timeout,
                service=service,
                held=held,
                late=lambda: self._answered(n_ids, sent, ok=False),
            )
            body = _exchange().redacted(body, s.api_key)
            status = response.status_code
            if trace is not None:
                trace.status = status
            if status != 200:
                snippet = " ".join(body[:2000].decode("utf-8", "replace").split())
                message = f"HTTP {status} from {endpoint}" + (
                    f": {quote(snippet, 200)}" if snippet else ""
                )
                if status_is_transient(status):
                    if status >= 500:
                        self._answered(n_ids, sent, ok=False)
                    raise TransientError(
                        message, parse_retry_after(response.headers.get("Retry-After"))
                    )
                raise PermanentError(message)
            result = _exchange().parsed(parse, body, endpoint)
            del body
        except ResponseParseError as exc:
            self._answered(n_ids, sent, ok=False)
            tries = 1 if isinstance(exc, ResponseValueError) else None
            raise TransientError(str(exc), max_tries=tries) from None
        finally:
            held.release()
        for text in errors(result):
            message = f"NCBI error: {quote(text)}"
            kind = error_text_kind(text)
            if kind == "transient":
                raise TransientError(message)
            if kind == "unknown":
                raise TransientError(message, max_tries=C.MAX_TRIES_UNKNOWN_ERROR)
            raise PermanentError(message)
        self._answered(n_ids, sent, ok=True)
        return result

    def base_url(self, service: Service = EUTILS) -> str:
        s = self.settings
        return {"icite": s.icite_url, "europepmc": s.europepmc_url}.get(service.name, s.base_url)

    def pacer_for(self, service: Service) -> StartPacer | SharedStartPacer:
        """The E-utilities pacer, or the one of another service (made once, shared like it)."""
        if service.name == EUTILS.name:
            return self.pacer
        with self._pacers_lock:
            pacer = self._pacers.get(service.name)
            if pacer is None:
                pacer = self._pacers[service.name] = self._pacer(
                    self.settings, self.clock, self.notice, service
                )
            return pacer

    def _answered(self, n_ids: int, sent: float, *, ok: bool) -> None:
        hook: AnswerHook | None = getattr(self._observer, "hook", None)
        if hook is not None and n_ids:
            hook(n_ids, self.clock.monotonic() - sent, ok)

    def _log(
        self,
        trace: Trace | None,
        endpoint: str,
        params: Params,
        attempt: int,
        outcome: str,
        error: Exception | None = None,
    ) -> None:
        """The attempt's line in the request log; none when nothing was sent (cache, offline)."""
        if trace is not None and self.log is not None:
            self.log.traced(trace, endpoint, params, attempt, outcome, error)

    @staticmethod
    def _clean(text: str) -> str:
        return line(text)

    def _observed(self, fn: Callable[[T], R], hook: AnswerHook) -> Callable[[T], R]:
        """fn, with `hook` hearing of the attempts it makes (in whichever worker runs it)."""

        def run(item: T) -> R:
            self._observer.hook = hook
            try:
                return fn(item)
            finally:
                self._observer.hook = None

        return run

    # --- many requests at once -------------------------------------------------------

    def map_ordered(
        self,
        fn: Callable[[T], R],
        items: Iterable[T],
        window: int | None = None,
        on_answer: AnswerHook | None = None,
    ) -> Iterator[tuple[T, R | NCBIError]]:
        """Run fn over items with several in flight; yield (item, result or error) in input order.

        At most `window` items are started ahead of the one being yielded, so memory follows
        the window, not the number of items. Errors other than NCBIError propagate.
        `on_answer(n_ids, seconds, ok)` hears of every HTTP attempt fn's requests make.
        """
        if on_answer is not None:
            fn = self._observed(fn, on_answer)
        workers = self.settings.max_in_flight
        window = window or workers * 2
        pending: deque[tuple[T, Future[R]]] = deque()
        iterator = iter(items)
        exhausted = False
        while True:
            while not exhausted and len(pending) < window:
                try:
                    item = next(iterator)
                except StopIteration:
                    exhausted = True
                    break
                if self._executor is None:  # not for a run answered from the cache
                    from concurrent.futures import ThreadPoolExecutor

                    self._ready()
                    self._executor = ThreadPoolExecutor(workers, thread_name_prefix="elinkcli")
                pending.append((item, self._executor.submit(fn, item)))
            if not pending:
                return
            item, future = pending.popleft()
            try:
                yield item, future.result()
            except NCBIError as exc:
                yield item, exc


def _exchange() -> ModuleType:
    """The HTTP exchange, imported at the first request: a run answered from the cache
    never loads it (nor requests)."""
    from elinkcli.eutils import exchange

    return exchange
