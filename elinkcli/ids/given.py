"""What reading the user's input gives (elinkcli.ids.source, elinkcli.ids.documents): its
ids, database and form, the message it came in, and the stored set it names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from elinkcli.ids.edirect import EDirectMessage
    from elinkcli.ids.packed import PackedIds


@dataclass(frozen=True, slots=True)
class StoredSet:
    """What the input says is kept elsewhere: a History set, or a query to run again."""

    count: int | None = None
    webenv: str | None = None
    query_key: str | None = None
    # An EDirect query message's Query and date limits (EDirectMessage fields).
    query: str | None = None
    dates: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class IdSource:
    ids: tuple[str, ...]
    db: str | None = None
    form: str = "plain"
    # Only an ENTREZ_DIRECT message: what the next message carries on.
    message: EDirectMessage | None = None
    stored: StoredSet = StoredSet()
    # eLinkResult with one LinkSet per source id: {linked id: the source ids it came from},
    # and the database of those sources.
    origins: dict[str, tuple[str, ...]] = field(default_factory=dict)
    origin_db: str | None = None
    # A plain input of more ids than the caller's `packed_above`: kept packed, ids empty.
    packed: PackedIds | None = None
