"""Output writers: rows in, text out, one row at a time (the table buffers for its widths)."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from operator import itemgetter
from typing import IO, TYPE_CHECKING, Protocol

from elinkcli.ids.edirect import EDirectMessage, render_message
from elinkcli.inert import inert

if TYPE_CHECKING:
    from elinkcli.models import LinkStats

FORMATS = ("tsv", "json", "jsonl", "table", "uid", "edirect", "xml")
XML_IS_FOR_LINK = "--format xml is for link (an eLinkResult document): choose another --format"

Row = Sequence[object]


def escape(text: str) -> str:
    """&, < and > as XML entities (xml.sax.saxutils.escape, without importing urllib)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Writer(Protocol):
    # Set when the run failed or was interrupted, before close(): the output must not look
    # complete (tsv: the exit status; json: no closing bracket; jsonl: a last {"error": ...}
    # line; edirect and xml: their error element).
    error: str | None

    def write(self, row: Row) -> None: ...

    def write_many(self, rows: Sequence[Row]) -> None: ...

    def close(self) -> None: ...


# Every character str.splitlines() ends a line at, and the tab: never inside a field.
_BREAKS = re.compile("[\t\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = "; ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
    return _BREAKS.sub(" ", text) if _BREAKS.search(text) else text


# Rows formatted together by TsvWriter.write_many.
_SLICE = 10_000
_OTHER_BREAKS = re.compile("[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_ASCII_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e")


def _other_breaks(text: str) -> bool:
    """Any line break but \\n in `text` (ASCII text, nearly always: searched a character at
    a time in C, several times faster than the class)."""
    if text.isascii():
        return any(b in text for b in _ASCII_BREAKS)
    return _OTHER_BREAKS.search(text) is not None


class TsvWriter:
    def __init__(self, out: IO[str], columns: Sequence[str], header: bool = True) -> None:
        self.out = out
        self.width = len(columns)
        self.tabs = len(columns) - 1
        # A line's format for each pattern of empty (None) cells: "%.0s" writes None as "".
        self.formats: dict[tuple[int, ...], str] = {}
        # Written with the first row, or at the end of a run that succeeded without rows:
        # a run that fails first writes nothing at all.
        self.header: str | None = "\t".join(columns) + "\n" if header else None
        self.error: str | None = None

    def _head(self) -> None:
        if self.header is not None:
            self.out.write(self.header)
            self.header = None

    def write_many(self, rows: Sequence[Row]) -> None:
        """Many rows at once, formatted in C, a slice at a time (so the text in memory stays
        small); rows the quick way cannot be sure of (None where the slice's first row has
        a value or the other way round, lists, tabs or line breaks in values) are written
        one by one."""
        if rows:
            self._head()
        for start in range(0, len(rows), _SLICE):
            self._write_slice(rows[start : start + _SLICE])

    def _format(self, nulls: tuple[int, ...]) -> str:
        line = self.formats.get(nulls)
        if line is None:
            cells = ["%.0s" if i in nulls else "%s" for i in range(self.width)]
            line = self.formats[nulls] = "\t".join(cells) + "\n"
        return line

    def _write_slice(self, rows: Sequence[Row]) -> None:
        if not rows:
            return
        first = rows[0]
        nulls = tuple(i for i, v in enumerate(first) if v is None)
        line = self._format(nulls)
        n = len(rows)
        try:
            text: str | None = "".join([line % r for r in rows])
        except (TypeError, ValueError):
            text = None
        if (
            text is None
            # A value where the first row has None would vanish: every row must agree.
            or any(list(map(itemgetter(i), rows)).count(None) != n for i in nulls)
            or "None" in text
            or "[" in text
            or text.count("\t") != self.tabs * n
            or text.count("\n") != n
            or _other_breaks(text)
        ):
            for row in rows:
                self.write(row)
            return
        self.out.write(text)

    def write(self, row: Row) -> None:
        if self.header is not None:
            self._head()
        line = "\t".join([v if v.__class__ is str else _cell(v) for v in row])
        # A tab or line break inside a value would shift or split the row: clean it.
        if line.count("\t") != self.tabs or "\n" in line or _other_breaks(line):
            line = "\t".join(map(_cell, row))
        self.out.write(line + "\n")

    def close(self) -> None:
        if self.error is None:
            self._head()
        self.out.flush()


ToObject = Callable[[Row], object]


class JsonlWriter:
    def __init__(self, out: IO[str], columns: Sequence[str], as_object: ToObject | None = None):
        self.out = out
        self.columns = tuple(columns)
        self.as_object = as_object or self._mapping
        self.error: str | None = None

    def _mapping(self, row: Row) -> object:
        return dict(zip(self.columns, row, strict=True))

    def write_many(self, rows: Sequence[Row]) -> None:
        for row in rows:
            self.write(row)

    def write(self, row: Row) -> None:
        self.out.write(json.dumps(self.as_object(row), ensure_ascii=False) + "\n")

    def close(self) -> None:
        if self.error is not None:
            self.out.write(json.dumps({"error": self.error}, ensure_ascii=False) + "\n")
        self.out.flush()


class JsonWriter:
    """One JSON array for the whole run, written as rows arrive: valid however many batches."""

    def __init__(self, out: IO[str], columns: Sequence[str], as_object: ToObject | None = None):
        self.out = out
        self.columns = tuple(columns)
        self.as_object = as_object or self._mapping
        self.count = 0
        self.error: str | None = None

    def _mapping(self, row: Row) -> object:
        return dict(zip(self.columns, row, strict=True))

    def write_many(self, rows: Sequence[Row]) -> None:
        for row in rows:
            self.write(row)

    def write(self, row: Row) -> None:
        self.out.write("[\n" if self.count == 0 else ",\n")
        self.out.write(json.dumps(self.as_object(row), ensure_ascii=False))
        self.count += 1

    def close(self) -> None:
        if self.error is None:
            self.out.write("[]\n" if self.count == 0 else "\n]\n")
        elif self.count:
            self.out.write("\n")  # no closing bracket: not valid JSON, as meant
        self.out.flush()


class UidWriter:
    """The distinct values of one column, one per line, in first-seen order."""

    def __init__(self, out: IO[str], columns: Sequence[str], key: str) -> None:
        self.out = out
        self.index = list(columns).index(key)
        self.seen: set[object] = set()
        self.error: str | None = None

    def write_many(self, rows: Sequence[Row]) -> None:
        for row in rows:
            self.write(row)

    def write(self, row: Row) -> None:
        value = row[self.index]
        if value is None or value == "":
            return  # (a record without an accession, with --idtype acc)
        if value not in self.seen:
            self.seen.add(value)
            self.out.write(f"{_cell(value)}\n")

    def close(self) -> None:
        self.out.flush()


class EDirectWriter:
    """The distinct values of one column as an ENTREZ_DIRECT message, for efetch and friends."""

    def __init__(
        self, out: IO[str], columns: Sequence[str], key: str, template: EDirectMessage
    ) -> None:
        self.out = out
        self.index = list(columns).index(key)
        self.template = template
        self.ids: dict[str, None] = {}
        # Set when the run failed: the next tool in the pipe must not take this for a result.
        self.error: str | None = None

    def write_many(self, rows: Sequence[Row]) -> None:
        for row in rows:
            self.write(row)

    def write(self, row: Row) -> None:
        value = row[self.index]
        if value is not None and value != "":
            self.ids.setdefault(str(value), None)

    def close(self) -> None:
        message = replace(self.template, ids=tuple(self.ids), count=len(self.ids), error=self.error)
        self.out.write(render_message(message))
        self.out.flush()


@dataclass(frozen=True)
class XmlSpec:
    """What --format xml needs beside the rows (only `link` has it): the source database,
    the run's source ids in input order (a list that may grow until the first rows come:
    a query or History set is expanded once the run has a client), the run's LinkStats
    (read live: the ids found without links, as each batch is parsed) and whether the run
    is --union."""

    db: str
    ids: Sequence[str] = ()
    stats: LinkStats | None = None
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
    """A list that grows as the run goes (one of LinkStats'), read as a set."""

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
        self.ids = spec.ids
        self.order: dict[str, int] = {}
        self._indexed = 0
        self.next = 0  # ids before this one have had their LinkSet, or never get one
        stats = spec.stats
        self.without = _LiveSet(stats.ids_without_links if stats else ())
        # Ids that get no LinkSet at all.
        self.failed = _LiveSet(stats.ids_failed if stats else ())
        self.not_echoed = _LiveSet(stats.ids_not_echoed if stats else ())
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


class TableWriter:
    """A Rich table for people; Rich is imported only when this format is chosen.
    `shown` picks the columns worth a terminal's width (all by default)."""

    def __init__(
        self,
        out: IO[str],
        columns: Sequence[str],
        title: str | None = None,
        shown: Sequence[str] | None = None,
    ) -> None:
        self.out = out
        self.columns = tuple(shown or columns)
        self.picks = [list(columns).index(c) for c in self.columns]
        self.rows: list[tuple[str, ...]] = []
        self.title = title
        self.error: str | None = None

    def write_many(self, rows: Sequence[Row]) -> None:
        for row in rows:
            self.write(row)

    def write(self, row: Row) -> None:
        self.rows.append(tuple(inert(_cell(row[i])) for i in self.picks))

    def close(self) -> None:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        # Text objects, never markup: a `[link=...]` in a provider's name is shown as typed.
        table = Table(title=Text(inert(self.title)) if self.title else None)
        for column in self.columns:
            table.add_column(column, overflow="fold")
        for row in self.rows:
            table.add_row(*map(Text, row))
        console = Console(file=self.out, highlight=False, markup=False, emoji=False)
        if self.rows:
            console.print(table)
        else:
            console.print("(no rows)", style="dim")
        self.out.flush()


def make_writer(
    fmt: str,
    out: IO[str],
    columns: Sequence[str],
    *,
    uid_key: str,
    header: bool = True,
    title: str | None = None,
    message: EDirectMessage | None = None,
    as_object: ToObject | None = None,
    table_columns: Sequence[str] | None = None,
    resumed_rows: int = 0,
    seen: set[object] | None = None,
    xml: XmlSpec | None = None,
) -> Writer:
    """A writer for `fmt`. `resumed_rows` / `seen`: the run continues a file that already
    holds that many rows (json goes on with a comma) / those uid values. `xml`: what
    --format xml needs (only `link` gives it)."""
    if fmt == "tsv":
        return TsvWriter(out, columns, header)
    if fmt == "jsonl":
        return JsonlWriter(out, columns, as_object)
    if fmt == "json":
        writer = JsonWriter(out, columns, as_object)
        writer.count = resumed_rows
        return writer
    if fmt == "uid":
        uids = UidWriter(out, columns, uid_key)
        uids.seen = set(seen or ())
        return uids
    if fmt == "table":
        return TableWriter(out, columns, title, table_columns)
    if fmt == "edirect":
        return EDirectWriter(out, columns, uid_key, message or EDirectMessage(step=1))
    from elinkcli.errors import UsageError

    if fmt == "xml":
        if xml is None:
            raise UsageError(XML_IS_FOR_LINK)
        return XmlWriter(out, columns, xml)

    if fmt == "counts":
        raise UsageError("--format counts goes with link --cited / --cites")
    raise UsageError(f"unknown format {fmt!r} (choose {', '.join(FORMATS)})")
