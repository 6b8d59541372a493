"""--format table: rows for people, as aligned columns that stream.

The first rows (WINDOW of them, or what came in WAIT seconds) choose the columns' widths;
then the title, the header and those rows are printed, and every later row as it comes: the
writer holds one window, never the run. A line is at most the terminal's width:

- ids, accessions, link names, databases, numbers (every column not in TEXT_COLUMNS) are
  never cut: they keep their full width; free text (URLs, names, descriptions) shrinks
  first, widest first, and a value longer than its column ends in "…" on its one line;
- a later id wider than its column widens it (the header is printed again) when the line
  still fits; else that one line is longer, and the id whole;
- a column empty in every row of the window (score without neighbor_score, target_acc
  without --idtype acc or doi) is left out, and so is source_uid where it equals source_id: when
  a later row has a value there (or a different source_uid), the column is shown from that
  row on, under the header printed again.

Every cell goes through elinkcli.inert; nothing is read as markup. Display widths are
counted in terminal cells (rich.cells: CJK characters take two).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import IO, Protocol

from rich.cells import cell_len, set_cell_size

from elinkcli.inert import inert, shows_as_is
from elinkcli.output.rows import Row, cell

# Rows that choose the widths, and how long the first of them waits for the others.
WINDOW = 100
WAIT = 0.5
GAP = "  "
# Columns of free text: shrunk to fit the line, a longer value cut with an ellipsis. Any
# other column (ids, accessions, link names, databases, counts) is never cut.
TEXT_COLUMNS = frozenset(
    {
        "url",
        "provider",
        "provider_abbr",
        "category",
        "subject_types",
        "attributes",
        "label",
        "icon_url",
        "menu",
        "description",
        "title",
        "name",
    }
)
# A text column shrinks to this many cells before ids' headers do (less when its longest
# value is shorter); then, on a terminal too narrow for that, to one.
TEXT_MIN = 6
# Past that, an id column's header (never its values) shrinks to this many cells at least.
HEAD_MIN = 3
# The narrowest line the table plans for, whatever the terminal says.
MIN_WIDTH = 20
# Rows formatted into one write while streaming.
CHUNK = 2000
ELLIPSIS = "…"


def _getter(indices: Sequence[int]) -> Callable[[Row], tuple[object, ...]]:
    """The values at `indices` of a row, as a tuple (itemgetter's, in C, however many)."""
    if len(indices) == 1:
        (index,) = indices
        return lambda row: (row[index],)
    return itemgetter(*indices)


class Cancellable(Protocol):
    def cancel(self) -> None: ...


Timer = Callable[[float, Callable[[], None]], Cancellable]


def _start_timer(delay: float, action: Callable[[], None]) -> Cancellable:
    timer = threading.Timer(delay, action)
    timer.daemon = True
    timer.start()
    return timer


def terminal_width(out: IO[str]) -> int:
    """COLUMNS when set, else the width of the terminal `out` writes to, else 80."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isascii() and columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        width = os.get_terminal_size(out.fileno()).columns
    except (AttributeError, ValueError, OSError):
        width = 0
    return width if width > 0 else 80


def wants_colour(out: IO[str]) -> bool:
    """A bold header on a terminal: NO_COLOR turns it off, FORCE_COLOR on, TERM=dumb off."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return out.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _shrink(naturals: Sequence[int], least: Sequence[int], budget: int) -> list[int] | None:
    """Widths summing to at most `budget`: the widest cut first (a common cap), none below
    its least; None when even the least do not fit."""
    if sum(naturals) <= budget:
        return list(naturals)
    if sum(least) > budget:
        return None

    def at(cap: int) -> list[int]:
        return [max(m, min(n, cap)) for n, m in zip(naturals, least, strict=True)]

    low, high = 0, max(naturals)
    while low < high:  # the largest cap that fits
        mid = (low + high + 1) // 2
        if sum(at(mid)) <= budget:
            low = mid
        else:
            high = mid - 1
    widths = at(low)
    spare = budget - sum(widths)
    for i, natural in enumerate(naturals):
        if spare and widths[i] < natural:
            widths[i] += 1
            spare -= 1
    return widths


def column_widths(
    heads: Sequence[int], values: Sequence[int], keys: Sequence[bool], width: int
) -> tuple[list[int], bool]:
    """The widths of columns whose headers are `heads` cells wide and values up to
    `values`, in a line of `width` (GAP between columns); `keys`: the columns never cut.
    What gives way, in turn: text columns (to TEXT_MIN cells), the keys' headers (to their
    values), text again (to one cell, an ellipsis). (widths, whether the line fits): when
    it cannot, the least widths."""
    naturals = [max(h, v) for h, v in zip(heads, values, strict=True)]
    room = width - len(GAP) * (len(naturals) - 1)
    texts = [i for i, key in enumerate(keys) if not key]
    ids = [i for i, key in enumerate(keys) if key]
    text_naturals = [naturals[i] for i in texts]
    text_least = [min(n, TEXT_MIN) for n in text_naturals]
    id_naturals = [naturals[i] for i in ids]
    id_least = [max(values[i], min(heads[i], HEAD_MIN), 1) for i in ids]
    widths = list(naturals)

    def chosen(id_widths: Sequence[int], text_widths: Sequence[int]) -> list[int]:
        for i, w in zip((*ids, *texts), (*id_widths, *text_widths), strict=True):
            widths[i] = w
        return widths

    fitted = _shrink(text_naturals, text_least, room - sum(id_naturals))
    if fitted is not None:
        return chosen(id_naturals, fitted), True
    fitted = _shrink(id_naturals, id_least, room - sum(text_least))
    if fitted is not None:
        return chosen(fitted, text_least), True
    fitted = _shrink(text_naturals, [1] * len(texts), room - sum(id_least))
    if fitted is not None:
        return chosen(id_least, fitted), True
    return chosen(id_least, [1] * len(texts)), False


def cells_of(text: str, plain: bool) -> int:
    """Terminal cells of an inert text (`plain`: printable ASCII, one cell a character)."""
    return len(text) if plain else cell_len(text)


def fit_cell(text: str, cells: int, width: int, plain: bool) -> str:
    """`text` (`cells` wide) padded to `width`, or cut to it with an ellipsis."""
    if cells <= width:
        return text + " " * (width - cells)
    if width <= 1:
        return ELLIPSIS[:width]
    if plain:
        return text[: width - 1] + ELLIPSIS
    return set_cell_size(text, width - 1) + ELLIPSIS


class TableWriter:
    """Aligned columns for people, streamed (see the module's docstring). `shown` picks the
    columns worth a terminal's width (all by default); `width` is the line's (default: the
    terminal's, COLUMNS first); `colour`: a bold header (default: on a terminal)."""

    def __init__(
        self,
        out: IO[str],
        columns: Sequence[str],
        title: str | None = None,
        shown: Sequence[str] | None = None,
        *,
        width: int | None = None,
        colour: bool | None = None,
        window: int = WINDOW,
        wait: float = WAIT,
        timer: Timer = _start_timer,
    ) -> None:
        self.out = out
        self.columns = tuple(shown or columns)
        self.picks = [list(columns).index(c) for c in self.columns]
        self.title = title
        self.error: str | None = None
        self.width = max(width if width is not None else terminal_width(out), MIN_WIDTH)
        self.colour = wants_colour(out) if colour is None else colour
        self.window = max(window, 1)
        self.wait = wait
        self.timer = timer
        self.keys = [c not in TEXT_COLUMNS for c in self.columns]
        self.names = [inert(c) for c in self.columns]
        self.heads = [cell_len(n) for n in self.names]
        # The window's rows (their cells, and whether each is printable ASCII) until it is
        # shown; None from then on.
        self.pending: list[tuple[list[str], bool]] | None = []
        self.rows_written = 0
        self._lock = threading.Lock()
        self._waiting: Cancellable | None = None
        self._failed: BaseException | None = None
        # Set when the window is shown.
        self.values = [0] * len(self.columns)
        self.visible: list[int] = []
        self.widths: dict[int, int] = {}
        self.fits = True
        self.empty: list[int] = []  # hidden: empty so far
        self.same_uid: tuple[int, int] | None = None  # hidden source_uid, and source_id
        self._format = ""
        self._length = 0
        self._shown: Callable[[Row], tuple[object, ...]] = tuple
        self._hidden: Callable[[Row], tuple[object, ...]] | None = None
        self._uid: tuple[int, int] | None = None

    # --- rows in ------------------------------------------------------------------------

    def write(self, row: Row) -> None:
        with self._lock:
            self._raise_failure()
            if self.pending is not None:
                self._hold(row)
            else:
                self.out.write(self._stream(row))
                self.rows_written += 1

    def write_many(self, rows: Sequence[Row]) -> None:
        with self._lock:
            self._raise_failure()
            start = 0
            while self.pending is not None and start < len(rows):
                self._hold(rows[start])
                start += 1
            for first in range(start, len(rows), CHUNK):
                chunk = rows[first : first + CHUNK]
                self.out.write("".join([self._stream(row) for row in chunk]))
                self.rows_written += len(chunk)
            self.out.flush()

    def close(self) -> None:
        with self._lock:
            self._stop_waiting()
            self._raise_failure()
            if self.pending:
                self._show_window()
            elif self.pending is not None:  # nothing came
                self.pending = None
                text = self._title() + self._style("(no rows)", "2") + "\n"
                self.out.write(text)
            self.out.flush()

    # --- the window ---------------------------------------------------------------------

    def _hold(self, row: Row) -> None:
        assert self.pending is not None
        self.pending.append(self._cells(row))
        if len(self.pending) >= self.window:
            self._show_window()
        elif len(self.pending) == 1 and self.wait >= 0:
            self._waiting = self.timer(self.wait, self._waited)

    def _waited(self) -> None:
        """WAIT seconds after the first row (the timer's thread): show what came."""
        with self._lock:
            if self.pending:
                try:
                    self._show_window()
                    self.out.flush()
                except BaseException as exc:  # raised in the timer's thread: kept for the next call
                    self._failed = exc

    def _raise_failure(self) -> None:
        if self._failed is not None:
            failed, self._failed = self._failed, None
            raise failed

    def _stop_waiting(self) -> None:
        if self._waiting is not None:
            self._waiting.cancel()
            self._waiting = None

    def _show_window(self) -> None:
        """Choose the columns and widths from the window's rows, print them under the title
        and header, and hold no row from now on."""
        self._stop_waiting()
        rows = self.pending or []
        self.pending = None
        n = len(self.columns)
        for texts, plain in rows:
            for i in range(n):
                self.values[i] = max(self.values[i], cells_of(texts[i], plain))
        self.empty = [i for i in range(n) if self.values[i] == 0]
        if "source_uid" in self.columns and "source_id" in self.columns:
            uid, source = self.columns.index("source_uid"), self.columns.index("source_id")
            if uid not in self.empty and all(t[uid] == t[source] for t, _ in rows):
                self.same_uid = (uid, source)
        hidden = {*self.empty, *(self.same_uid[:1] if self.same_uid else ())}
        self.visible = [i for i in range(n) if i not in hidden] or [0]
        self.empty = [i for i in self.empty if i not in self.visible]
        self._fit()
        lines = [self._line(texts, plain) for texts, plain in rows]
        self.out.write(self._title() + self._header() + "".join(lines))
        self.rows_written += len(rows)

    def _fit(self) -> None:
        widths, self.fits = column_widths(
            [self.heads[i] for i in self.visible],
            [self.values[i] for i in self.visible],
            [self.keys[i] for i in self.visible],
            self.width,
        )
        self.widths = dict(zip(self.visible, widths, strict=True))
        self._format = GAP.join(f"%-{self.widths[i]}s" for i in self.visible)
        self._length = sum(widths) + len(GAP) * (len(widths) - 1)
        # What the quick way reads of a row: the shown values, and the hidden ones.
        self._shown = _getter([self.picks[i] for i in self.visible])
        self._hidden = _getter([self.picks[i] for i in self.empty]) if self.empty else None
        self._uid = (
            (self.picks[self.same_uid[0]], self.picks[self.same_uid[1]]) if self.same_uid else None
        )

    # --- lines out ----------------------------------------------------------------------

    def _stream(self, row: Row) -> str:
        """A row's line, the quick way when it can be sure (every value shown is printable
        ASCII text or a number that fits its column, nothing to make inert, no hidden column
        with a value), else by _line."""
        hidden, uid = self._hidden, self._uid
        if hidden is not None:
            got = hidden(row)
            if got.count(None) + got.count("") != len(got):
                return self._line(*self._cells(row))
        if uid is not None and row[uid[0]] != row[uid[1]]:
            return self._line(*self._cells(row))
        values = self._shown(row)
        if None not in values:
            line = self._format % values
            if (
                len(line) == self._length  # every value fits its column
                and line.isascii()
                and "[" not in line  # a list, which cell() writes "a; b"
                and "(" not in line  # a tuple
                and shows_as_is(line)  # printable, no piece of a secret
            ):
                return line.rstrip() + "\n"
        return self._line(*self._cells(row))

    def _cells(self, row: Row) -> tuple[list[str], bool]:
        """The row's shown values as text, inert, and whether all are printable ASCII."""
        texts = [v if isinstance(v, str) else cell(v) for v in map(row.__getitem__, self.picks)]
        joined = " ".join(texts)
        if joined.isascii() and joined.isprintable() and shows_as_is(joined):
            return texts, True
        texts = [inert(cell(t)) for t in texts]
        return texts, all(t.isascii() for t in texts)

    def _line(self, texts: list[str], plain: bool) -> str:
        head = ""
        if (self.empty or self.same_uid) and self._reveals(texts, plain):
            head = self._header()
        if plain:
            line = self._format % tuple([texts[i] for i in self.visible])
            if len(line) == self._length:  # every value fits its column
                return head + line.rstrip() + "\n"
        cells = {i: cells_of(texts[i], plain) for i in self.visible}
        wider = [i for i in self.visible if self.keys[i] and cells[i] > self.widths[i]]
        if wider and self.fits:
            before = list(self.values)
            for i in wider:
                self.values[i] = cells[i]
            old = (self.widths, self._format, self._length)
            self._fit()
            if self.fits:
                head += self._header()
            else:  # no room: this one line is longer, its ids whole
                self.values = before
                self.widths, self._format, self._length = old
                self.fits = True
        parts = []
        for i in self.visible:
            width = self.widths[i]
            if self.keys[i] and cells[i] > width:
                parts.append(texts[i])
            else:
                parts.append(fit_cell(texts[i], cells[i], width, plain))
        return head + GAP.join(parts).rstrip() + "\n"

    def _reveals(self, texts: list[str], plain: bool) -> bool:
        """Show a hidden column that now has a value (source_uid: a value not source_id's),
        from this row on; True when the columns changed."""
        shown = [i for i in self.empty if texts[i]]
        if self.same_uid is not None and texts[self.same_uid[0]] != texts[self.same_uid[1]]:
            shown.append(self.same_uid[0])
            self.same_uid = None
        if not shown:
            return False
        self.empty = [i for i in self.empty if i not in shown]
        for i in shown:
            self.values[i] = max(self.values[i], cells_of(texts[i], plain))
        self.visible = sorted({*self.visible, *shown})
        self._fit()
        return True

    def _title(self) -> str:
        if not self.title:
            return ""
        title = inert(self.title)
        return fit_cell(title, cell_len(title), self.width, title.isascii()).rstrip() + "\n"

    def _header(self) -> str:
        names = GAP.join(
            fit_cell(self.names[i], self.heads[i], self.widths[i], self.names[i].isascii())
            for i in self.visible
        ).rstrip()
        rule = GAP.join("─" * self.widths[i] for i in self.visible)
        return self._style(names, "1") + "\n" + rule + "\n"

    def _style(self, text: str, sgr: str) -> str:
        return f"\x1b[{sgr}m{text}\x1b[0m" if self.colour else text
