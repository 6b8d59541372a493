"""--format xml: one eLinkResult document (NCBI's elink.dtd 20101123) for a `link` run."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from elinkcli.output.rows import Row

if TYPE_CHECKING:
    from elinkcli.commands.ledger import Ledger

XML_IS_FOR_LINK = "--format xml is for link (an eLinkResult document): choose another --format"


def escape(text: str) -> str:
    """&, < and > as XML entities (xml.sax.saxutils.escape, without importing urllib)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class XmlSpec:
    """What --format xml needs beside the rows (only `link` has it): the source database,
    the run's ledger (Ledger.keeping_all, read live: its source ids in input order, known
    once the run has expanded and resolved them, and the ids found without links, failed
    or not echoed, as each batch is parsed) and whether the run is --union."""

    db: str
    ledger: Ledger
    union: bool = False


_XML_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n'
    '<!DOCTYPE eLinkResult PUBLIC "-//NLM//DTD elink 20101123//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20101123/elink.dtd">\n'
    "<eLinkResult>\n"
)


# What XML 1.0 cannot hold even escaped (control characters, lone surrogates, U+FFFE/F).
@functools.cache
def _not_xml() -> re.Pattern[str]:
    """Characters XML 1.0 cannot hold (compiled when XML is written: 5 ms)."""
    return re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


_NO_SOURCE = object()  # no LinkSet open


class _LiveSet:
    """A list that grows as the run goes (one of Ledger'), read as a set."""

    __slots__ = ("items", "known", "seen")

    def __init__(self, items: Sequence[str]) -> None:
        self.items = items
        self.seen = 0
        self.known: set[str] = set()

    def now(self) -> set[str]:
        if len(self.items) > self.seen:
            self.known.update(self.items[self.seen :])
            self.seen = len(self.items)
        return self.known


def _x(value: object) -> str:
    return escape(value if value.__class__ is str else str(value))


class XmlWriter:
    """One eLinkResult document for the whole run, in NCBI's shape (elink.dtd 20101123), for
    EDirect's xtract and Biopython's Bio.Entrez.read: one LinkSet per source id (DbFrom,
    IdList with that id, a LinkSetDb per link name, a Link per target, with its Score under
    neighbor_score), written as soon as it is complete (memory follows one batch).

    Source ids without links get a LinkSet of DbFrom and IdList only, at their place in
    input order; ids that failed or NCBI did not echo get none. Rows without a source id
    (NCBI answered several ids in one LinkSet) go in a LinkSet with an empty IdList. With
    --union, one LinkSet whose IdList holds the asked ids (less those failed or not echoed),
    its target ids kept until the end. When the ids are not known upfront (input from a
    History set or a query), only sources with rows get a LinkSet. A failed run still ends
    the document, with a top-level <ERROR> holding the error (set `.error` before close).
    """

    def __init__(self, out: IO[str], columns: Sequence[str], spec: XmlSpec) -> None:
        self.out = out
        names = list(columns)
        self.at = tuple(names.index(c) for c in ("source_db", "source_id", "linkname", "target_db"))
        self.target_at = names.index("target_id")
        self.score_at = names.index("score") if "score" in names else None
        self.db = spec.db
        self.union = spec.union
        self.ids = spec.ledger.tokens
        self.order: dict[str, int] = {}
        self._indexed = 0
        self.next = 0  # ids before this one have had their LinkSet, or never get one
        ledger = spec.ledger
        self.without = _LiveSet(ledger.ids_without_links)
        # Ids that get no LinkSet at all.
        self.failed = _LiveSet(ledger.ids_failed)
        self.not_echoed = _LiveSet(ledger.ids_not_echoed)
        self.source: object = _NO_SOURCE
        self.linkname: object = None
        # --union: {link name: (target db, target ids, their scores)}.
        self.merged: dict[str, tuple[str, list[str], list[object]]] = {}
        self.started = False
        self.closed = False
        # Set when the run failed: written as the document's top-level <ERROR>.
        self.error: str | None = None

    def write(self, row: Row) -> None:
        self.write_many([row])

    def write_many(self, rows: Sequence[Row]) -> None:
        if self.union:
            self._merge(rows)
            return
        self._index()
        parts: list[str] = []
        i_db, i_src, i_name, i_dbto = self.at
        i_target, i_score = self.target_at, self.score_at
        for row in rows:
            source = row[i_src]
            if source != self.source:
                self._end_set(parts)
                self._begin_set(parts, row[i_db], source)
            name = row[i_name]
            if name != self.linkname:
                if self.linkname is not None:
                    parts.append("\t</LinkSetDb>\n")
                parts.append(
                    f"\t<LinkSetDb>\n\t\t<DbTo>{_x(row[i_dbto])}</DbTo>\n"
                    f"\t\t<LinkName>{_x(name)}</LinkName>\n"
                )
                self.linkname = name
            score = row[i_score] if i_score is not None else None
            if score is None:
                parts.append(f"\t\t<Link><Id>{_x(row[i_target])}</Id></Link>\n")
            else:
                parts.append(
                    f"\t\t<Link><Id>{_x(row[i_target])}</Id><Score>{_x(score)}</Score></Link>\n"
                )
        # A batch's sources are done with it; the ids without links after them can follow.
        self._end_set(parts)
        self._catch_up(parts, len(self.ids), stop_at_unknown=True)
        self._emit(parts)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        parts: list[str] = []
        if self.union:
            self._union_set(parts)
        else:
            self._index()
            self._end_set(parts)
            self._catch_up(parts, len(self.ids), stop_at_unknown=False)
        if self.error is not None:
            parts.append(f"<ERROR>{_x(self.error)}</ERROR>\n")
        parts.append("</eLinkResult>\n")
        self._emit(parts)
        self.out.flush()

    def _index(self) -> None:
        """Positions of the source ids added since the last call."""
        for i in range(self._indexed, len(self.ids)):
            self.order.setdefault(self.ids[i], i)
        self._indexed = len(self.ids)

    def _emit(self, parts: list[str]) -> None:
        if not self.started:
            self.started = True
            parts.insert(0, _XML_HEAD)
        if parts:
            self.out.write(_not_xml().sub("\ufffd", "".join(parts)))

    def _linkset_head(self, dbfrom: object, ids: Sequence[object]) -> str:
        listed = "".join(f"\t\t<Id>{_x(i)}</Id>\n" for i in ids)
        return f"<LinkSet>\n\t<DbFrom>{_x(dbfrom)}</DbFrom>\n\t<IdList>\n{listed}\t</IdList>\n"

    def _begin_set(self, parts: list[str], dbfrom: object, source: object) -> None:
        pos = None if source is None else self.order.get(source)  # type: ignore[call-overload]
        if pos is None:
            # Not an asked id (NCBI's LinkSet of several, or one not asked): after the ids
            # known so far to have no links.
            self._catch_up(parts, len(self.ids), stop_at_unknown=True)
        elif pos >= self.next:
            # An asked id: the ids before it known to have no links come first.
            self._catch_up(parts, pos, stop_at_unknown=False)
            self.next = pos + 1
        if not self.db and dbfrom:
            self.db = str(dbfrom)
        parts.append(self._linkset_head(dbfrom, () if source is None else (source,)))
        self.source = source
        self.linkname = None

    def _end_set(self, parts: list[str]) -> None:
        if self.source is _NO_SOURCE:
            return
        if self.linkname is not None:
            parts.append("\t</LinkSetDb>\n")
        parts.append("</LinkSet>\n")
        self.source = _NO_SOURCE
        self.linkname = None

    def _catch_up(self, parts: list[str], end: int, *, stop_at_unknown: bool) -> None:
        """Empty LinkSets for the ids from self.next up to `end` known to have no links;
        ids failed or not echoed are passed over, and so are the others, unless
        `stop_at_unknown`: then the first of them stops it (its rows may be to come)."""
        without, failed, not_echoed = self.without.now(), self.failed.now(), self.not_echoed.now()
        i = self.next
        while i < end:
            uid = self.ids[i]
            if uid in without:
                parts.append(self._linkset_head(self.db, (uid,)) + "</LinkSet>\n")
            elif stop_at_unknown and uid not in failed and uid not in not_echoed:
                break
            i += 1
        self.next = i

    def _merge(self, rows: Sequence[Row]) -> None:
        i_db, _src, i_name, i_dbto = self.at
        i_target, i_score = self.target_at, self.score_at
        for row in rows:
            entry = self.merged.get(row[i_name])  # type: ignore[call-overload]
            if entry is None:
                entry = self.merged[str(row[i_name])] = (str(row[i_dbto]), [], [])
                if not self.db:
                    self.db = str(row[i_db])
            entry[1].append(str(row[i_target]))
            entry[2].append(row[i_score] if i_score is not None else None)

    def _union_set(self, parts: list[str]) -> None:
        failed, not_echoed = self.failed.now(), self.not_echoed.now()
        ids = [i for i in dict.fromkeys(self.ids) if i not in failed and i not in not_echoed]
        if not ids and not self.merged:
            return
        parts.append(self._linkset_head(self.db, ids))
        merged, self.merged = self.merged, {}
        for name in list(merged):
            dbto, targets, scores = merged.pop(name)  # each link table's text, then freed
            self._emit(parts)
            parts.clear()
            parts.append(
                f"\t<LinkSetDb>\n\t\t<DbTo>{_x(dbto)}</DbTo>\n\t\t<LinkName>{_x(name)}</LinkName>\n"
            )
            for target, score in zip(targets, scores, strict=True):
                score_xml = "" if score is None else f"<Score>{_x(score)}</Score>"
                parts.append(f"\t\t<Link><Id>{_x(target)}</Id>{score_xml}</Link>\n")
            parts.append("\t</LinkSetDb>\n")
        parts.append("</LinkSet>\n")
