"""Small records of what elinkcli writes: the output rows, and the run's counts. (The
records of what the E-utilities answer are in elinkcli.eutils.records.)"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple, cast


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
# With local tables in use, a ninth value: where the link came from.


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
    # the target's accession (with --idtype doi, its DOI).
    source_uid: str | None = None
    target_acc: str | None = None


class SourcedLinkRow(LinkRow):
    """A LinkRow with a ninth value, `source`: where the link came from when local tables
    are in play (`links_from` tables or auto): the table and its upstream date
    ("gene2pubmed 2026-12-01"), or "elink". It is a LinkRow (its eight fields, by name and
    by position), so code written for LinkRow reads it unchanged."""

    __slots__ = ()
    # A ninth name: typing reads a NamedTuple's _fields as its own eight.
    _fields = (*LinkRow._fields, "source")  # type: ignore[assignment]

    @property
    def source(self) -> str | None:
        return cast("str | None", tuple.__getitem__(self, 8))

    @classmethod
    def _make(cls, iterable: Iterable[Any]) -> SourcedLinkRow:  # type: ignore[override]
        row = tuple.__new__(cls, iterable)
        if len(row) != 9:
            raise TypeError(f"SourcedLinkRow takes 9 values, not {len(row)}")
        return row

    def _asdict(self) -> dict[str, object]:
        return dict(zip(self._fields, self, strict=True))

    def __repr__(self) -> str:
        values = ", ".join(f"{n}={v!r}" for n, v in zip(self._fields, self, strict=True))
        return f"SourcedLinkRow({values})"


def named_rows(batch: list[LinkTuple]) -> Iterator[LinkRow]:
    """A batch's plain tuples as named rows: SourcedLinkRow when they carry a ninth value
    (provenance), else LinkRow."""
    if batch and len(batch[0]) > 8:
        return map(SourcedLinkRow._make, batch)
    return map(LinkRow._make, batch)
