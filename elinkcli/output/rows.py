"""What every output format shares: the row, the Writer protocol, a value as one cell of text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

Row = Sequence[object]


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


def cell(value: object) -> str:
    if value is None:
        return ""
    text = "; ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
    return _BREAKS.sub(" ", text) if _BREAKS.search(text) else text
