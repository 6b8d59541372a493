"""--format table: the rows as a Rich table, for people (Rich imported only when it is drawn)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO

from elinkcli.inert import inert
from elinkcli.output.rows import Row, cell


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
        self.rows.append(tuple(inert(cell(row[i])) for i in self.picks))

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
