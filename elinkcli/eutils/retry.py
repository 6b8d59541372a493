"""What is worth retrying, and how long to wait: pure functions, no I/O."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from elinkcli import constants as C

if TYPE_CHECKING:
    from elinkcli.config import Settings

# Texts NCBI sends inside HTTP 200 that mean "ask again" (docs/reference/eutils-facts.md,
# fact 6) ...
_TRANSIENT = re.compile(
    r"exLinkSrv|TXCLIENT|\bEOF\b|can ?not fetch result|temporar|timed? ?out|try again|"
    r"backend|unavailable|internal server|connection|too many requests|rate limit",
    re.IGNORECASE,
)
# ... and texts that mean the request itself is wrong: never retried.
_PERMANENT = re.compile(
    r"invalid|wrong|not supported|unknown|illegal|can ?not retrieve (dbinfo|query)|"
    r"unable to obtain query|empty (id|history)|can'?t apply|cannot apply|not implemented|"
    r"no (such|valid)|not found|must be|required|missing|bad (request|param)",
    re.IGNORECASE,
)


def error_text_kind(text: str) -> str:
    """'transient', 'permanent', or 'unknown' (asked once more, then given up) for an
    <ERROR> text."""
    if _TRANSIENT.search(text):
        return "transient"
    if _PERMANENT.search(text):
        return "permanent"
    return "unknown"


def error_text_is_transient(text: str) -> bool:
    """Worth asking again at all: transient, or unknown (one more try)."""
    return error_text_kind(text) != "permanent"


def status_is_transient(status: int) -> bool:
    return status == 429 or status == 408 or status >= 500


_SECONDS = re.compile(r"[0-9]{1,9}")
# An HTTP date: letters, digits, spaces, commas, colons, signs (RFC 9110, and its old forms).
_DATE = re.compile(r"[A-Za-z0-9 ,:+\-]{10,40}")


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None for
    anything else (a value that is neither is ignored, as RFC 9110 allows)."""
    if not value:
        return None
    value = value.strip()
    if _SECONDS.fullmatch(value):
        return float(value)
    if not _DATE.fullmatch(value):
        return None
    from datetime import datetime, timezone
    from email.utils import parsedate_to_datetime  # only for a date: 8 ms of imports

    try:
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:  # `-0000` or no zone: UTC, as HTTP dates are
            when = when.replace(tzinfo=timezone.utc)
        return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError, OverflowError, IndexError):
        return None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_tries: int = C.MAX_TRIES
    deadline: float = C.DEADLINE
    base: float = C.BACKOFF_BASE
    cap: float = C.BACKOFF_CAP

    @classmethod
    def of(cls, settings: Settings) -> RetryPolicy:
        """How every request is retried, E-utilities and file transfers alike."""
        return cls(
            max_tries=settings.max_tries, deadline=settings.deadline, base=settings.backoff_base
        )

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Wait before try `attempt + 1`: capped exponential with equal jitter, or Retry-After."""
        # (int ** int is Any to the checker: a negative power would be a float)
        ceiling: float = min(self.cap, self.base * 2 ** (attempt - 1))
        backoff = ceiling / 2 + rng.uniform(0, ceiling / 2)
        if retry_after is not None:
            return max(retry_after, backoff / 2)
        return backoff
