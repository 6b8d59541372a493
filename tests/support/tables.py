"""Reading `--format table` back: the title, and each row as {column: value}.

The table's layout (elinkcli/output/table.py): an optional title line, then a header line
and under it a rule of `─` per column (two spaces between columns), then the rows; the
header and its rule come again when a column is shown or widened. The rule gives each
column's span in terminal cells, and each line is cut at those spans (a wide character
counts two cells). Colours (SGR sequences) are dropped first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rich.cells import cell_len

SGR = re.compile(r"\x1b\[[0-9;]*m")
RULE = re.compile(r"─+(  ─+)*")


@dataclass
class Table:
    title: str | None = None
    # Every header the table printed, in order (the columns as they were from there on).
    headers: list[list[str]] = field(default_factory=list)
    rows: list[dict[str, str]] = field(default_factory=list)
    # The lines that are rows, as printed (colours dropped).
    row_lines: list[str] = field(default_factory=list)
    no_rows: bool = False


def spans(rule: str) -> list[tuple[int, int]]:
    """(start, end) cells of each column of a rule line."""
    return [(m.start(), m.end()) for m in re.finditer("─+", rule)]


def cut(line: str, at: list[tuple[int, int]]) -> list[str]:
    """The line's text in each span, by terminal cells, stripped; the last column runs to
    the end of the line."""
    cells: list[tuple[int, str]] = []
    position = 0
    for char in line:
        cells.append((position, char))
        position += cell_len(char)
    out = []
    for n, (start, end) in enumerate(at):
        last = n == len(at) - 1
        out.append("".join(c for p, c in cells if p >= start and (last or p < end)).strip())
    return out


def read_table(text: str) -> Table:
    table = Table()
    lines = SGR.sub("", text).splitlines()
    columns: list[str] = []
    at: list[tuple[int, int]] = []
    for k, line in enumerate(lines):
        if RULE.fullmatch(line):
            at = spans(line)
            columns = cut(lines[k - 1], at)
            table.headers.append(columns)
            continue
        if k + 1 < len(lines) and RULE.fullmatch(lines[k + 1]):
            continue  # a header
        if not at:
            if line == "(no rows)":
                table.no_rows = True
            elif table.title is None:
                table.title = line
            else:
                raise AssertionError(f"a line before any header: {line!r}")
            continue
        table.rows.append(dict(zip(columns, cut(line, at), strict=True)))
        table.row_lines.append(line)
    return table
