"""What is retried and how long to wait (docs/reference/eutils-facts.md, facts 6 and 9)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from elinkcli.eutils.retry import (
    RetryPolicy,
    error_text_is_transient,
    parse_retry_after,
    status_is_transient,
)

# --- <ERROR> texts --------------------------------------------------------------------

TRANSIENT_TEXTS = [
    "#exLinkSrv2",
    "Error: #exLinkSrv2 (query 1)",
    "TXCLIENT(CException::eUnknown) GetReply failed: EOF",
    "TXCLIENT EOF",
    "Can not fetch result",
    "Cannot fetch result",
]
PERMANENT_TEXTS = [
    "Invalid db name specified: nothing",
    "Invalid db name specified: foo",
    "llinkslib command not supported",
    "Empty history ID list",
    "Wrong DB name",
    "Can not retrieve DbInfo for db=fleegle",
]


@pytest.mark.parametrize("text", TRANSIENT_TEXTS)
def test_transient_error_texts(text: str) -> None:
    assert error_text_is_transient(text) is True


@pytest.mark.parametrize("text", PERMANENT_TEXTS)
def test_permanent_error_texts(text: str) -> None:
    assert error_text_is_transient(text) is False


@pytest.mark.parametrize("text", PERMANENT_TEXTS)
def test_permanent_texts_are_permanent_in_any_case(text: str) -> None:
    assert error_text_is_transient(text.upper()) is False
    assert error_text_is_transient(text.lower()) is False


# --- HTTP status ----------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_transient_statuses(status: int) -> None:
    assert status_is_transient(status) is True


@pytest.mark.parametrize("status", [400, 403, 404, 414])
def test_permanent_statuses(status: int) -> None:
    assert status_is_transient(status) is False


# --- Retry-After ----------------------------------------------------------------------


@pytest.mark.parametrize("seconds", [0, 1, 7, 120])
def test_retry_after_in_seconds(seconds: int) -> None:
    assert parse_retry_after(str(seconds)) == float(seconds)
    assert parse_retry_after(f"  {seconds} ") == float(seconds)


def test_retry_after_http_date_in_the_future() -> None:
    ahead = 90
    when = datetime.now(timezone.utc) + timedelta(seconds=ahead)
    value = parse_retry_after(format_datetime(when, usegmt=True))
    assert value is not None
    # The header has whole seconds, and a little time passes while the test runs.
    assert ahead - 5 <= value <= ahead


def test_retry_after_http_date_in_the_past_is_zero() -> None:
    when = datetime.now(timezone.utc) - timedelta(hours=1)
    assert parse_retry_after(format_datetime(when, usegmt=True)) == 0.0


@pytest.mark.parametrize("value", [None, "", "   ", "soon", "1.5", "-3", "Mon, 99 Foo 20x"])
def test_retry_after_garbage_is_none(value: str | None) -> None:
    assert parse_retry_after(value) is None


# --- backoff --------------------------------------------------------------------------


def ceiling(policy: RetryPolicy, attempt: int) -> float:
    return min(policy.cap, policy.base * 2 ** (attempt - 1))


@pytest.mark.parametrize("seed", [0, 1, 42, 2024])
@pytest.mark.parametrize(("base", "cap"), [(1.0, 30.0), (0.5, 8.0), (2.0, 60.0)])
def test_delay_is_within_half_ceiling_and_ceiling(seed: int, base: float, cap: float) -> None:
    policy = RetryPolicy(base=base, cap=cap)
    rng = random.Random(seed)
    for attempt in range(1, 16):
        for _ in range(20):
            delay = policy.delay(attempt, None, rng)
            top = ceiling(policy, attempt)
            assert top / 2 <= delay <= top
            assert delay <= cap


def test_delay_grows_exponentially_until_the_cap() -> None:
    policy = RetryPolicy(base=1.0, cap=30.0)
    rng = random.Random(7)
    samples = {a: [policy.delay(a, None, rng) for _ in range(200)] for a in range(1, 9)}
    for attempt in range(1, 8):
        nxt = attempt + 1
        if ceiling(policy, nxt) < policy.cap:
            # Equal jitter: the next try's shortest wait is at least this try's longest.
            assert min(samples[nxt]) >= max(samples[attempt])
            assert min(samples[nxt]) >= policy.base * 2 ** (nxt - 2)
    # Beyond the cap the waits stop growing but stay in [cap/2, cap].
    assert all(policy.cap / 2 <= d <= policy.cap for d in samples[8])


def test_delay_never_exceeds_the_cap_for_large_attempts() -> None:
    policy = RetryPolicy(base=1.0, cap=30.0)
    rng = random.Random(3)
    delays = [policy.delay(a, None, rng) for a in range(1, 60)]
    assert max(delays) <= policy.cap
    assert min(delays[10:]) >= policy.cap / 2


def test_delay_is_reproducible_with_the_same_seed() -> None:
    policy = RetryPolicy()
    first = [policy.delay(a, None, random.Random(11)) for a in range(1, 7)]
    second = [policy.delay(a, None, random.Random(11)) for a in range(1, 7)]
    assert first == second


@pytest.mark.parametrize("retry_after", [0.0, 0.2, 1.0, 5.0, 17.0, 29.0])
@pytest.mark.parametrize("attempt", [1, 2, 3, 5, 8])
def test_retry_after_is_honoured(retry_after: float, attempt: int) -> None:
    policy = RetryPolicy(base=1.0, cap=30.0)
    rng = random.Random(attempt * 100 + int(retry_after))
    for _ in range(20):
        delay = policy.delay(attempt, retry_after, rng)
        assert delay >= retry_after
        assert delay <= max(retry_after, ceiling(policy, attempt))
