"""Where ids come from (--id, else stdin in any form) and where rows go (--format)."""

from __future__ import annotations

import codecs
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TypeVar

from elinkcli.errors import UsageError
from elinkcli.ids.tokens import check_ids, normalize_db, split_ids

if TYPE_CHECKING:
    from elinkcli.commands.batching import BatchHooks
    from elinkcli.eutils.client import EutilsClient
    from elinkcli.ids.edirect import EDirectMessage
    from elinkcli.ids.history import HistorySet
    from elinkcli.ids.packed import PackedIds
    from elinkcli.ids.query import SearchQuery
    from elinkcli.ids.resolve import IdTable
    from elinkcli.ids.source import IdSource

R = TypeVar("R")


@dataclass(frozen=True)
class RunInput:
    """The source side of a run: database, ids or a stored set (History set, or a query to
    run again), the message it came in, and where the ids came from when the input says."""

    db: str | None
    ids: tuple[str, ...] = ()
    history: HistorySet | None = None
    message: EDirectMessage | None = None
    query: SearchQuery | None = None
    # eLinkResult input: {id: the source ids of the previous step} in `origin_db`.
    origins: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    origin_db: str | None = None
    # A long plain input, read in windows (then `ids` is empty).
    packed: PackedIds | None = None

    @property
    def empty(self) -> bool:
        return not self.ids and self.history is None and self.query is None and not self.packed

    @property
    def count(self) -> int:
        """The ids given (a packed input's repeats included)."""
        return self.packed.count if self.packed is not None else len(self.ids)

    @property
    def identity(self) -> tuple[str, ...]:
        """What names the input, for --resume: its ids, else its stored set or query."""
        if self.query is not None:
            q = self.query
            return ("query", q.db, q.term, *(v or "" for v in (q.mindate, q.maxdate, q.reldate)))
        if self.history is not None:
            return ("history", self.history.db, self.history.webenv, self.history.query_key)
        if self.packed is not None:
            return ("packed", self.packed.digest)
        return self.ids

    def expanded_ids(self, client: EutilsClient) -> tuple[str, ...]:
        """The ids: a History set expanded first (efetch uilist, paged), a query run again
        (ESearch, in UID ranges where it finds more than PubMed hands out at once)."""
        from elinkcli.ids.history import expand

        if self.query is not None:
            from elinkcli.cli.errors import warn
            from elinkcli.ids.query import search_ids

            found = search_ids(client, self.query, warn=warn)
            return tuple(check_ids(found, self.query.db)) if found else ()
        if self.history is None:
            return self.ids
        return tuple(check_ids(expand(client, self.history), self.history.db))

    def id_table(self, client: EutilsClient) -> IdTable:
        """The ids (expanded) as tokens with their UIDs, accessions resolved; the ones
        that name no record are named on stderr at once (and end the run with exit 3,
        see then_unknown)."""
        from elinkcli.cli.errors import warn
        from elinkcli.errors import UnknownIdsError
        from elinkcli.ids.resolve import build_table

        table = build_table(client, self.db or "", self.expanded_ids(client))
        if table.problems:
            warn(str(UnknownIdsError(table.problems)))
        return table

    def by_table(
        self,
        client: EutilsClient,
        hooks: BatchHooks,
        batch: int,
        run: Callable[[IdTable, BatchHooks], Iterator[R]],
    ) -> Iterator[R]:
        """What `run` gives for the run's ids as a table (tokens and UIDs), then what kept ids
        from being linked raised (then_unknown). A History set is read a page at a time and
        run a window at a time (elinkcli.commands.windows), never expanded whole."""
        if self.history is None:
            table = self.id_table(client)
            return then_unknown(run(table, hooks), table)
        from elinkcli.cli.errors import warn
        from elinkcli.commands.windows import in_windows
        from elinkcli.ids.history import HistoryIds

        return in_windows(
            HistoryIds(client, self.history),
            db=self.db or "",
            batch=batch,
            client=client,
            run=run,
            hooks=hooks,
            warn=warn,
        )

    def next_message(self, db: str) -> EDirectMessage:
        """The message to hand on: Step + 1, Tool, Email and Labels carried on."""
        from elinkcli.ids.edirect import EDirectMessage

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


def then_unknown(items: Iterable[R], table: IdTable) -> Iterator[R]:
    """`items`, then what kept ids from being linked as an error: a resolving request given
    up on (exit 4), ids that named no record (exit 3)."""
    yield from items
    table.unfinished()


def read_source_input(
    ids: Sequence[str] | None,
    input_format: str,
    optional: bool = False,
    input_file: Path | None = None,
    packed_above: int | None = None,
) -> IdSource | None:
    """--id if given (stdin is then not read); else --input FILE; else stdin unless it is a
    terminal. With `optional`, no ids at all (a terminal, or nothing on stdin) gives None.
    With `packed_above`, a longer plain input is kept packed (see read_source)."""
    from elinkcli.ids.source import IdSource, read_source

    if ids and input_file is not None:
        raise UsageError("give --id or --input FILE, not both")
    if ids:
        return IdSource(tuple(split_ids(ids)), None, "plain")
    if input_file is not None:
        return read_source(
            _read_file(input_file), input_format, str(input_file), packed_above=packed_above
        )
    stdin = sys.stdin
    if stdin is None or stdin.isatty():
        if optional:
            return None
        raise UsageError("no ids: give --id ID, --input FILE or pipe ids on stdin (see --help)")
    data = read_bounded(stdin.buffer, "stdin")
    if optional and not data.strip():
        return None
    return read_source(data, input_format, packed_above=packed_above)


def _read_file(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            return read_bounded(fh, f"--input {path}")
    except OSError as exc:
        raise UsageError(f"cannot read --input {path}: {exc.strerror or exc}") from None


# The most a run reads of its ids (about 100 million ids, one a line).
MAX_INPUT = 1 << 30
_CHUNK = 1 << 20


def read_bounded(stream: BinaryIO, source: str, limit: int = MAX_INPUT) -> bytes:
    """The whole input, checked as it arrives: binary data (a NUL byte) and, unless it is
    an XML document, bytes that are not UTF-8 are a usage error at the chunk that holds
    them, and so is an input past `limit` bytes (nothing more is read)."""
    chunks: list[bytes] = []
    size = 0
    decoder: codecs.IncrementalDecoder | None = None
    while chunk := stream.read(_CHUNK):
        if b"\x00" in chunk:
            raise UsageError(f"{source} holds binary data (NUL bytes), not ids")
        if size == 0 and not chunk.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            decoder = codecs.getincrementaldecoder("utf-8")()
        if decoder is not None and (not chunk.isascii() or decoder.getstate()[0]):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                at = size + exc.start
                raise UsageError(
                    f"{source} is not UTF-8 text (byte {at}: {chunk[exc.start : exc.start + 1]!r})"
                ) from None
        size += len(chunk)
        if size > limit:
            raise UsageError(
                f"{source} is larger than {limit >> 20} MiB: split it, and run once per part"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def gather_input(
    db: str | None,
    ids: Sequence[str] | None,
    input_format: str,
    input_file: Path | None = None,
    packed_above: int | None = None,
) -> RunInput:
    """The run's source side: ids from --id, --input or stdin, and their database; with
    `packed_above`, a longer plain input stays packed (RunInput.packed)."""
    source = read_source_input(ids, input_format, input_file=input_file, packed_above=packed_above)
    assert source is not None
    return _run_input(db, source)


def gather_optional_input(
    db: str | None,
    ids: Sequence[str] | None,
    input_format: str,
    input_file: Path | None = None,
) -> RunInput | None:
    """As gather_input, but None when no ids were given at all."""
    source = read_source_input(ids, input_format, optional=True, input_file=input_file)
    return None if source is None else _run_input(db, source)


def _run_input(db: str | None, source: IdSource) -> RunInput:
    from elinkcli.ids.history import HistorySet
    from elinkcli.ids.query import SearchQuery

    msg = source.message
    if msg is not None and msg.error:
        raise UsageError(f"the ENTREZ_DIRECT message on stdin carries an error: {msg.error}")
    stated = normalize_db(source.db) if source.db else None
    if db and stated and normalize_db(db) != stated:
        raise UsageError(f"--db {db} disagrees with the database of the input on stdin ({stated})")
    db = normalize_db(db) if db else stated
    stored = source.stored
    what = "the ENTREZ_DIRECT message" if msg is not None else f"the {source.form} input"
    if stored.count == 0:
        return RunInput(db, message=msg)
    if not source.ids and ((stored.webenv and stored.query_key) or stored.query):
        if db is None:
            raise UsageError(f"{what} does not say which database it is from; give --db")
        if stored.webenv and stored.query_key:
            history = HistorySet(db, stored.webenv, stored.query_key, stored.count)
            return RunInput(db, history=history, message=msg)
        assert stored.query is not None
        query = SearchQuery(db, stored.query, **dict(stored.dates), count=stored.count)
        return RunInput(db, message=msg, query=query)
    if not source.ids and stored.count:
        raise UsageError(
            f"{what} says Count {stored.count} but holds neither <Id>s, WebEnv and QueryKey, "
            "nor a Query"
        )
    if not source.ids and source.form != "plain":
        return RunInput(db, message=msg)  # an earlier step found nothing: nothing to do
    if db is None:
        raise UsageError("--db is required: the input does not say which database its ids are from")
    if source.packed is not None:
        source.packed.check(db)
        return RunInput(db, packed=source.packed)
    origin_db = normalize_db(source.origin_db) if source.origin_db else None
    return RunInput(
        db,
        tuple(check_ids(source.ids, db)),
        message=msg,
        origins=source.origins,
        origin_db=origin_db,
    )
