"""Request sizes that follow how NCBI answers (--adaptive-batch): bigger while answers come
back fast, smaller after timeouts, server errors or slow answers."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

from elinkcli.constants import FAST_ANSWER, MAX_BATCH, SLOW_ANSWER


class AdaptiveBatch:
    """The size of the next request, changed by what earlier requests met.

    Several requests are in flight at once, so a change is judged against the request's own
    size: a failure sets the size to at most half of that request's (the other requests of
    the same wave failing do not halve it again), and only a fast answer to a request of
    exactly the current size doubles it.
    """

    def __init__(
        self,
        start: int,
        *,
        floor: int = 1,
        ceiling: int = MAX_BATCH,
        fast: float = FAST_ANSWER,
        slow: float = SLOW_ANSWER,
    ) -> None:
        self.size = max(floor, min(start, ceiling))
        self.floor, self.ceiling = floor, ceiling
        self.fast, self.slow = fast, slow
        self.sizes: list[int] = []  # of the requests made, in order
        self._lock = threading.Lock()

    def chunks(self, ids: Sequence[str]) -> Iterator[list[str]]:
        """`ids` cut into requests, each of the size current when it is taken."""
        pos = 0
        while pos < len(ids):
            with self._lock:
                n = self.size
                self.sizes.append(min(n, len(ids) - pos))
            yield list(ids[pos : pos + n])
            pos += n

    def observe(self, n_ids: int, seconds: float, ok: bool) -> None:
        """One attempt of a request of `n_ids` ids: answered (ok) or failed in a way a
        smaller request may avoid, after `seconds` (pacing not included)."""
        with self._lock:
            if not ok or seconds > self.slow:
                self.size = min(self.size, max(self.floor, n_ids // 2))
            elif seconds < self.fast and n_ids == self.size:
                self.size = min(self.ceiling, 2 * n_ids)
