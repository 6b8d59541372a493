"""A long source of ids (a packed plain input, a History set read a page at a time) run by
any per-id command one window at a time: each window's ids checked, resolved and run before
the next is read, so memory follows one window, never the whole input."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

from elinkcli.commands.batching import BatchHooks, announce_run
from elinkcli.commands.ledger import Ledger, RejectedIdsError
from elinkcli.errors import (
    CacheMissError,
    MaxTimeError,
    PartialFailure,
    RunCutShort,
    UnknownIdsError,
)

if TYPE_CHECKING:
    from elinkcli.eutils.client import EutilsClient
    from elinkcli.ids.packed import IdWindows
    from elinkcli.ids.resolve import IdTable

T = TypeVar("T")
# What runs one window: its table (tokens and UIDs) and its hooks, batches numbered from 0.
RunWindow = Callable[["IdTable", BatchHooks], Iterator[T]]


def in_windows(
    source: IdWindows,
    *,
    db: str,
    batch: int,
    client: EutilsClient,
    run: RunWindow[T],
    ledger: Ledger,
    hooks: BatchHooks | None = None,
    warn: Callable[[str], None] = lambda text: None,
) -> Iterator[T]:
    """What `run` gives for each window of `source`, in order. Accessions that name no record
    are named in `warn` at once. Batches are numbered across windows (for --resume); what
    kept ids of a window from being linked is in the ledger, and raised once, after the last
    window (Ledger.settle); when --max-time runs out, at once, counting the ids never read."""
    from elinkcli.ids.packed import check_window_size
    from elinkcli.ids.resolve import build_table

    hooks = hooks or BatchHooks()
    size = check_window_size(batch)
    mark = ledger.mark()
    announce_run(client, ledger, source.count, batch)
    first = 0  # the number of the window's first batch
    for window, read_so_far in source.windows(size):
        table = build_table(client, db, window)
        if table.problems:
            warn(str(UnknownIdsError(table.problems)))
        ledger.record_table(table)
        n_batches = -(-len(table.tokens) // batch)
        shifted = BatchHooks(
            skip={i - first for i in hooks.skip if first <= i < first + n_batches},
            done=_done_from(hooks, first),
        )
        try:
            yield from run(table, shifted)
        except (CacheMissError, RejectedIdsError):
            pass  # in the ledger: raised after the last window
        except PartialFailure as exc:
            if any(isinstance(f, MaxTimeError) for f in exc.failures):
                failures = ledger.gave_up[mark.gave_up :]
                raise RunCutShort(failures, source.count - read_so_far) from None
        first += n_batches
    ledger.settle(mark)


def _done_from(hooks: BatchHooks, first: int) -> Callable[[int, int], None]:
    """hooks.done for a window whose batches are numbered from 0: batch `index` of the
    window is batch `first + index` of the run."""
    return lambda index, n: hooks.done(first + index, n)
