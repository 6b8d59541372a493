"""The source side of a run, however the ids came: a list of ids, a long packed input, a
History set, a PubMed query to run again, or a document read from stdin (ENTREZ_DIRECT
message, eSearchResult, eLinkResult, elinkcli's own output). The command line and
elinkcli.api both hand one of these to the commands."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from elinkcli.errors import UsageError
from elinkcli.ids.tokens import check_ids, normalize_db

if TYPE_CHECKING:
    from elinkcli.eutils.client import EutilsClient
    from elinkcli.ids.edirect import EDirectMessage
    from elinkcli.ids.given import IdSource
    from elinkcli.ids.history import HistorySet
    from elinkcli.ids.packed import PackedIds
    from elinkcli.ids.query import SearchQuery
    from elinkcli.ids.resolve import IdTable

R = TypeVar("R")
Warn = Callable[[str], None]


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

    def expanded_ids(self, client: EutilsClient, warn: Warn) -> tuple[str, ...]:
        """The ids: a History set expanded first (efetch uilist, paged), a query run again
        (ESearch, in UID ranges where it finds more than PubMed hands out at once)."""
        from elinkcli.ids.history import expand

        if self.query is not None:
            from elinkcli.ids.query import search_ids

            found = search_ids(client, self.query, warn=warn)
            return tuple(check_ids(found, self.query.db)) if found else ()
        if self.history is None:
            return self.ids
        return tuple(check_ids(expand(client, self.history), self.history.db))

    def id_table(self, client: EutilsClient, warn: Warn) -> IdTable:
        """The ids (expanded) as tokens with their UIDs, accessions resolved; the ones
        that name no record are warned about at once (the run records them in its
        ledger and ends with exit 3 after the rows)."""
        from elinkcli.errors import UnknownIdsError
        from elinkcli.ids.resolve import build_table

        table = build_table(client, self.db or "", self.expanded_ids(client, warn))
        if table.problems:
            warn(str(UnknownIdsError(table.problems)))
        return table

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


def run_input(db: str | None, source: IdSource, fallback_db: str | None = None) -> RunInput:
    """The source side of a run from what was read (elinkcli.ids.source.read_source) and
    the database given, if any: checked against each other, ids checked for the database."""
    from elinkcli.ids.history import HistorySet
    from elinkcli.ids.query import SearchQuery

    msg = source.message
    if msg is not None and msg.error:
        raise UsageError(f"the ENTREZ_DIRECT message on stdin carries an error: {msg.error}")
    stated = normalize_db(source.db) if source.db else None
    if db and stated and normalize_db(db) != stated:
        raise UsageError(f"--db {db} disagrees with the database of the input on stdin ({stated})")
    db = normalize_db(db) if db else stated or fallback_db
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
