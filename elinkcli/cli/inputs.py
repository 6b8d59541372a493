"""Where ids come from (--id, else stdin in any form) and where rows go (--format)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from elinkcli.errors import UsageError
from elinkcli.ids import check_ids, normalize_db, split_ids

if TYPE_CHECKING:
    from elinkcli.client import EutilsClient
    from elinkcli.edirect import EDirectMessage
    from elinkcli.history import HistorySet
    from elinkcli.sources import IdSource


@dataclass(frozen=True)
class RunInput:
    """The source side of a run: database, ids or a stored set, and the message it came in."""

    db: str | None
    ids: tuple[str, ...] = ()
    history: HistorySet | None = None
    message: EDirectMessage | None = None

    @property
    def empty(self) -> bool:
        return not self.ids and self.history is None

    def expanded_ids(self, client: EutilsClient) -> tuple[str, ...]:
        """The ids, a History set expanded first (efetch uilist, paged)."""
        from elinkcli.history import expand

        if self.history is None:
            return self.ids
        return tuple(check_ids(expand(client, self.history), self.history.db))

    def next_message(self, db: str) -> EDirectMessage:
        """The message to hand on: Step + 1, Tool, Email and Labels carried on."""
        from elinkcli.edirect import EDirectMessage

        msg = self.message
        if msg is None:
            return EDirectMessage(db=db, step=1)
        return EDirectMessage(
            db=db,
            step=(msg.step or 0) + 1,
            tool=msg.tool,
            email=msg.email,
            labels=msg.labels,
        )


def read_source_input(
    ids: Sequence[str] | None, input_format: str, optional: bool = False
) -> IdSource | None:
    """--id if given (stdin is then not read); else stdin unless it is a terminal.
    With `optional`, no ids at all (a terminal, or nothing on stdin) gives None."""
    from elinkcli.sources import IdSource, read_source

    if ids:
        return IdSource(tuple(split_ids(ids)), None, "plain")
    stdin = sys.stdin
    if stdin is None or stdin.isatty():
        if optional:
            return None
        raise UsageError("no ids: give --id ID or pipe ids on stdin (see --help)")
    data = stdin.buffer.read()
    if optional and not data.strip():
        return None
    return read_source(data, input_format)


def gather_input(db: str | None, ids: Sequence[str] | None, input_format: str) -> RunInput:
    """The run's source side: ids from --id or stdin, and the database they belong to."""
    source = read_source_input(ids, input_format)
    assert source is not None
    return _run_input(db, source)


def gather_optional_input(
    db: str | None, ids: Sequence[str] | None, input_format: str
) -> RunInput | None:
    """As gather_input, but None when no ids were given at all."""
    source = read_source_input(ids, input_format, optional=True)
    return None if source is None else _run_input(db, source)


def _run_input(db: str | None, source: IdSource) -> RunInput:
    from elinkcli.history import HistorySet

    msg = source.message
    if msg is not None and msg.error:
        raise UsageError(f"the ENTREZ_DIRECT message on stdin carries an error: {msg.error}")
    stated = normalize_db(source.db) if source.db else None
    if db and stated and normalize_db(db) != stated:
        raise UsageError(f"--db {db} disagrees with the database of the input on stdin ({stated})")
    db = normalize_db(db) if db else stated
    if msg is not None and msg.count == 0:
        return RunInput(db, message=msg)
    if msg is not None and not msg.ids and msg.has_history:
        if db is None:
            raise UsageError("the ENTREZ_DIRECT message has no <Db>; give --db")
        assert msg.webenv and msg.query_key
        return RunInput(
            db, history=HistorySet(db, msg.webenv, msg.query_key, msg.count), message=msg
        )
    if msg is not None and not msg.ids and msg.count:
        raise UsageError(
            f"the ENTREZ_DIRECT message says Count {msg.count} but holds neither <Id>s nor "
            "WebEnv and QueryKey"
        )
    if not source.ids and source.form != "plain":
        return RunInput(db, message=msg)  # an earlier step found nothing: nothing to do
    if db is None:
        raise UsageError("--db is required: the input does not say which database its ids are from")
    return RunInput(db, tuple(check_ids(source.ids, db)), message=msg)
