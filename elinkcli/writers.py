"""Output writers: rows in, text out, one row at a time (the table buffers for its widths)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import IO, Protocol

from elinkcli.edirect import EDirectMessage, render_message

FORMATS = ("tsv", "json", "jsonl", "table", "uid", "edirect")

Row = Sequence[object]


class Writer(Protocol):
    def write(self, row: Row) -> None: ...

    def write_many(self, rows: Sequence[Row]) -> None: ...

    def close(self) -> None: ...


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = "; ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
    if "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\t", " ").replace("\r", " ").replace("\n", " ")
    return text


# Rows formatted together by TsvWriter.write_many.
_SLICE = 10_000


class TsvWriter:
    def __init__(self, out: IO[str], columns: Sequence[str], header: bool = True) -> None:
        self.out = out
        self.tabs = len(columns) - 1
        self.line = "\t".join(["%s"] * len(columns)) + "\n"
        self.line_but_last = "\t".join(["%s"] * (len(columns) - 1)) + "\t\n"
        if header:
            out.write("\t".join(columns) + "\n")

    def write_many(self, rows: Sequence[Row]) -> None:
        """Many rows at once, formatted in C, a slice at a time (so the text in memory stays
        small); rows the quick way cannot be sure of (None but in the last cell, lists, tabs
        or line breaks in values) are written one by one."""
        for start in range(0, len(rows), _SLICE):
            self._write_slice(rows[start : start + _SLICE])

    def _write_slice(self, rows: Sequence[Row]) -> None:
        full, short = self.line, self.line_but_last
        try:
            text = "".join(
                [full % r if r[-1] is not None else short % r[:-1] for r in rows]  # type: ignore[index]
            )
        except (TypeError, IndexError):
            text = None
        n = len(rows)
        if (
            text is None
            or "None" in text
            or "[" in text
            or text.count("\t") != self.tabs * n
            or text.count("\n") != n
            or "\r" in text
        ):
            for row in rows:
                self.write(row)
            return
        self.out.write(text)

    def write(self, row: Row) -> None:
        line = "\t".join([v if v.__class__ is str else _cell(v) for v in row])
        # A tab or line break inside a value would shift or split the row: clean it.
        if line.count("\t") != self.tabs or "\n" in line or "\r" in line:
            line = "\t".join(map(_cell, row))
        self.out.write(line + "\n")

    def close(self) -> None:
        self.out.flush()


ToObject = Callable[[Row], object]


class JsonlWriter:
    def __init__(self, out: IO[str], columns: Sequence[str], as_object: ToObject | None = None):
        self.out = out
        self.columns = tuple(columns)
        self.as_object = as_object or self._mapping

    def _mapping(self, row: Row) -> object:
        return dict(zip(self.columns, row, strict=True))

    def write_many(self, rows: Sequence[Row]) -> None:
        for row in rows:
            self.write(row)

    def write(self, row: Row) -> None:
        self.out.write(json.dumps(self.as_object(row), ensure_ascii=False) + "\n")

    def close(self) -> None:
        self.out.flush()


class JsonWriter:
    """One JSON array for the whole run, written as rows arrive: valid however many batches."""

    def __init__(self, out: IO[str], columns: Sequence[str], as_object: ToObject | None = None):
        self.out = out
        self.columns = tuple(columns)
        self.as_object = as_object or self._mapping
        self.count = 0

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
        self.out.write("[]\n" if self.count == 0 else "\n]\n")
        self.out.flush()


class UidWriter:
    """The distinct values of one column, one per line, in first-seen order."""

    def __init__(self, out: IO[str], columns: Sequence[str], key: str) -> None:
        self.out = out
        self.index = list(columns).index(key)
        self.seen: set[object] = set()

    def write_many(self, rows: Sequence[Row]) -> None:
        for row in rows:
            self.write(row)

    def write(self, row: Row) -> None:
        value = row[self.index]
        if value not in self.seen:
            self.seen.add(value)
            self.out.write(f"{value}\n")

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
        self.ids.setdefault(str(row[self.index]), None)

    def close(self) -> None:
        message = replace(self.template, ids=tuple(self.ids), count=len(self.ids), error=self.error)
        self.out.write(render_message(message))
        self.out.flush()


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

    def write_many(self, rows: Sequence[Row]) -> None:
        for row in rows:
            self.write(row)

    def write(self, row: Row) -> None:
        self.rows.append(tuple(_cell(row[i]) for i in self.picks))

    def close(self) -> None:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=self.title)
        for column in self.columns:
            table.add_column(column, overflow="fold")
        for row in self.rows:
            table.add_row(*row)
        console = Console(file=self.out)
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
) -> Writer:
    """A writer for `fmt`. `resumed_rows` / `seen`: the run continues a file that already
    holds that many rows (json goes on with a comma) / those uid values."""
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

    raise UsageError(f"unknown format {fmt!r} (choose {', '.join(FORMATS)})")
