"""Batches of source ids through the client, in order, with failures kept for the end."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import TypeVar

from elinkcli.client import EutilsClient
from elinkcli.config import Settings, resolve_settings
from elinkcli.errors import GaveUpError, PartialFailure
from elinkcli.models import LinkStats

R = TypeVar("R")


def batches(ids: Iterable[str], size: int) -> Iterator[list[str]]:
    it = iter(ids)
    while chunk := list(islice(it, size)):
        yield chunk


def each_batch(
    client: EutilsClient,
    ids: Sequence[str],
    size: int,
    fetch: Callable[[list[str]], R],
    stats: LinkStats,
) -> Iterator[tuple[list[str], R]]:
    """(batch, answer) in input order. A batch given up after retries is skipped and, once
    every other batch is through, reported as PartialFailure naming its ids."""
    failures: list[GaveUpError] = []
    for chunk, outcome in client.map_ordered(fetch, batches(ids, size)):
        if isinstance(outcome, GaveUpError):
            failures.append(outcome)
            stats.ids_failed.extend(chunk)
            continue
        if isinstance(outcome, Exception):
            raise outcome
        yield chunk, outcome
    if failures:
        raise PartialFailure(failures)


@contextmanager
def client_for(
    client: EutilsClient | None, settings: Settings | None, stats: LinkStats
) -> Iterator[EutilsClient]:
    """The caller's client, or one of our own closed at the end; request counts into stats."""
    own = client is None
    client = client or EutilsClient(settings or resolve_settings())
    try:
        yield client
    finally:
        stats.requests = client.counters.requests
        stats.retries = client.counters.retries
        if own:
            client.close()
