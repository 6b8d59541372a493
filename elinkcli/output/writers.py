"""The writers of rows as lines (tsv, json, jsonl, uid, edirect) and make_writer, which
picks the writer of a --format: rows in, text out, one row at a time."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from operator import itemgetter
from typing import IO, TYPE_CHECKING

from elinkcli import constants as C
from elinkcli.ids.edirect import EDirectMessage, render_message
from elinkcli.output.rows import Row, Writer, cell

if TYPE_CHECKING:
    from elinkcli.output.elink_xml import XmlSpec

FORMATS = ("tsv", "json", "jsonl", "table", "uid", "edirect", "xml")
COMMAND_FORMATS = C.COMMAND_FORMATS


# Rows formatted together by TsvWriter.write_many.
_SLICE = 10_000
_OTHER_BREAKS = re.compile("[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_ASCII_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e")


def _nones(column: tuple[object, ...]) -> int:
    return column.count(None)


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
        # A value where the first row has None would vanish: every row must agree, or each
        # row gets the format of its own empty cells (runs: some experiments have none).
        agree = all(c in (0, n) for c in map(_nones, zip(*rows, strict=False)))
        try:
            if agree:
                text: str | None = "".join([line % r for r in rows])
            else:
                own = self._format
                text = "".join(
                    [own(tuple(i for i, v in enumerate(r) if v is None)) % r for r in rows]
                )
        except (TypeError, ValueError):
            text = None
        if (
            text is None
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
        line = "\t".join([v if v.__class__ is str else cell(v) for v in row])
        # A tab or line break inside a value would shift or split the row: clean it.
        if line.count("\t") != self.tabs or "\n" in line or _other_breaks(line):
            line = "\t".join(map(cell, row))
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


def _key_of(columns: Sequence[str], key: str, fallback: str | None) -> Callable[[Row], object]:
    """The value of `key` in a row, else (None or "") of `fallback`: with --idtype acc, a
    record without an accession is written by its UID, as EDirect's -format acc does."""
    index = list(columns).index(key)
    if fallback is None:
        return itemgetter(index)
    other = list(columns).index(fallback)

    def value(row: Row) -> object:
        found = row[index]
        return row[other] if found is None or found == "" else found

    return value


class UidWriter:
    """The distinct values of one column, one per line, in first-seen order."""

    def __init__(
        self, out: IO[str], columns: Sequence[str], key: str, fallback: str | None = None
    ) -> None:
        self.out = out
        self.value = _key_of(columns, key, fallback)
        self.seen: set[object] = set()
        self.error: str | None = None

    def write_many(self, rows: Sequence[Row]) -> None:
        for row in rows:
            self.write(row)

    def write(self, row: Row) -> None:
        value = self.value(row)
        if value is None or value == "":
            return
        if value not in self.seen:
            self.seen.add(value)
            self.out.write(f"{cell(value)}\n")

    def close(self) -> None:
        self.out.flush()


class EDirectWriter:
    """The distinct values of one column as an ENTREZ_DIRECT message, for efetch and friends."""

    def __init__(
        self,
        out: IO[str],
        columns: Sequence[str],
        key: str,
        template: EDirectMessage,
        fallback: str | None = None,
    ) -> None:
        self.out = out
        self.value = _key_of(columns, key, fallback)
        self.template = template
        self.ids: dict[str, None] = {}
        # Set when the run failed: the next tool in the pipe must not take this for a result.
        self.error: str | None = None

    def write_many(self, rows: Sequence[Row]) -> None:
        for row in rows:
            self.write(row)

    def write(self, row: Row) -> None:
        value = self.value(row)
        if value is not None and value != "":
            self.ids.setdefault(str(value), None)

    def close(self) -> None:
        message = replace(self.template, ids=tuple(self.ids), count=len(self.ids), error=self.error)
        self.out.write(render_message(message))
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
    uid_fallback: str | None = None,
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
        uids = UidWriter(out, columns, uid_key, uid_fallback)
        uids.seen = set(seen or ())
        return uids
    if fmt == "table":
        from elinkcli.output.table import TableWriter

        return TableWriter(out, columns, title, table_columns)
    if fmt == "edirect":
        return EDirectWriter(out, columns, uid_key, message or EDirectMessage(step=1), uid_fallback)
    from elinkcli.errors import UsageError

    if fmt == "xml":
        if xml is None:
            from elinkcli.output.elink_xml import XML_IS_FOR_LINK

            raise UsageError(XML_IS_FOR_LINK)
        from elinkcli.output.elink_xml import XmlWriter

        return XmlWriter(out, columns, xml)

    if fmt == "counts":
        raise UsageError("--format counts goes with link --cited / --cites")
    raise UsageError(f"unknown format {fmt!r} (choose {', '.join(FORMATS)})")
