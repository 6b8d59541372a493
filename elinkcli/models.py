"""Small records of what elinkcli writes: the output rows, and the run's counts. (The
records of what the E-utilities answer are in elinkcli.eutils.records.)"""

from __future__ import annotations

from typing import NamedTuple


class FieldRow:
    """A row whose output columns are its dataclass fields, in order (slots=True)."""

    __slots__ = ()

    def values(self) -> tuple[object, ...]:
        names: tuple[str, ...] = self.__slots__  # a subclass's, not this class's ()
        return tuple(getattr(self, name) for name in names)

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        return tuple(cls.__slots__)


# A row of `link` as link_batches makes it: LinkRow's fields as a plain tuple (see LinkRow).
LinkTuple = tuple[str, "str | None", str, str, str, "int | None", "str | None", "str | None"]


class LinkRow(NamedTuple):
    """One output row of `link`: a link from one source id to one target id.
    `link()` yields these; `link_batches()` yields the same fields as plain tuples
    (LinkTuple), which are made in C: a run may produce millions."""

    source_db: str
    source_id: str | None
    linkname: str
    target_db: str
    target_id: str
    score: int | None = None
    # NCBI's UID of the source (source_id is the token as given), and with --idtype acc
    # the target's accession.
    source_uid: str | None = None
    target_acc: str | None = None
