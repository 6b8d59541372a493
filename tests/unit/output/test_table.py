"""--format table (elinkcli/output/table.py): aligned columns that stream. Widths from a
window of first rows, ids and link names never cut, free text cut with an ellipsis, empty
columns hidden and shown again when a value comes, every cell inert, wide characters
counted as two cells. Expected tables are written out here by hand."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tracemalloc
from collections.abc import Callable

import pytest
from conftest import TSV_HEADER
from rich.cells import cell_len

from elinkcli import inert
from elinkcli.output import table as T
from elinkcli.output.table import TableWriter, column_widths, terminal_width

LINK = TSV_HEADER  # link's columns, as conftest writes them out
RULE = "─"


class ManualTimer:
    """The window's timer, fired by the test (no real waiting)."""

    def __init__(self) -> None:
        self.armed: list[tuple[float, Callable[[], None]]] = []
        self.cancelled = 0

    def __call__(self, delay: float, action: Callable[[], None]) -> ManualTimer:
        self.armed.append((delay, action))
        return self

    def cancel(self) -> None:
        self.cancelled += 1

    def fire(self) -> None:
        self.armed[-1][1]()


@pytest.fixture(autouse=True)
def no_secrets_of_other_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    """The API keys other tests of this process registered (elinkcli.inert masks them in
    every cell, `1234567890` among them) are not this test's: a table of its own ids."""
    monkeypatch.setattr(inert, "_secrets", {})


def writer(
    out: io.StringIO, columns=LINK, *, width: int = 80, title: str | None = None, **more
) -> TableWriter:
    more.setdefault("timer", ManualTimer())
    return TableWriter(out, columns, title, width=width, colour=False, **more)


def render(rows, columns=LINK, *, width: int = 80, title: str | None = None, **more) -> str:
    out = io.StringIO()
    w = writer(out, columns, width=width, title=title, **more)
    w.write_many(rows)
    w.close()
    return out.getvalue()


def link(source: str, target: str, name: str = "gene_protein", **more: object) -> tuple:
    row = {
        "source_db": "gene",
        "source_id": source,
        "linkname": name,
        "target_db": "protein",
        "target_id": target,
        "score": None,
        "source_uid": source.lstrip("0") or "0",
        "target_acc": None,
    }
    row.update(more)
    return tuple(row[c] for c in LINK)


def rule(*widths: int) -> str:
    return "  ".join(RULE * w for w in widths)


# --- widths --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heads", "values", "keys", "width", "expected"),
    [
        # everything fits: each column as wide as its header or longest value
        ([9, 8], [4, 30], [True, False], 80, ([9, 30], True)),
        # text shrinks, widest first, to a common cap (31 cells for two texts: 16 + 15)
        ([2, 3, 4], [5, 50, 50], [True, False, False], 40, ([5, 16, 15], True)),
        # a short text keeps its width; the long one takes the rest
        ([9, 8, 3], [7, 7, 80], [True, False, False], 40, ([9, 8, 19], True)),
        # text no narrower than TEXT_MIN (6); then the ids' headers shrink to their values
        ([9, 9, 4], [4, 20, 40], [True, True, False], 36, ([6, 20, 6], True)),
        # a terminal too narrow for text at TEXT_MIN: text down to one cell
        ([9, 8, 8], [2, 30, 30], [True, False, False], 18, ([3, 6, 5], True)),
        # ids wider than the line: never cut (the line is longer)
        ([9, 8], [4, 60], [True, True], 40, ([4, 60], False)),
    ],
)
def test_column_widths(heads, values, keys, width, expected) -> None:
    assert column_widths(heads, values, keys, width) == expected


def test_a_small_link_table_as_written() -> None:
    rows = [link("7157", "1000001"), link("672", "1000002", "gene_protein_refseq")]
    expected = (
        "gene → protein\n"
        "source_db  source_id  linkname             target_db  target_id\n"
        f"{rule(9, 9, 19, 9, 9)}\n"
        "gene       7157       gene_protein         protein    1000001\n"
        "gene       672        gene_protein_refseq  protein    1000002\n"
    )
    assert render(rows, title="gene → protein") == expected


def test_long_text_is_cut_with_an_ellipsis_on_one_line() -> None:
    columns = ("source_id", "provider", "url")
    rows = [("5680399", "Example Journal Publishing", "https://journal.example/article/5680399")]
    # 40 cells: source_id 9 + 2 gaps of 2 leave 27 for the two texts: 14 + 13.
    assert render(rows, columns, width=40).splitlines() == [
        "source_id  provider        url",
        rule(9, 14, 13),
        "5680399    Example Journ…  https://jour…",
    ]


def test_ids_and_link_names_are_never_cut_however_narrow() -> None:
    name = "gene_nuccore_refseqrna_and_a_very_long_link_name_x"
    rows = [link("5680399", "1234567890123", name), link("6", "7", "gene_protein")]
    text = render(rows, width=20)
    lines = text.splitlines()
    assert len(lines) == 2 + len(rows)  # header, rule, one line a row
    assert lines[2].split() == ["gene", "5680399", name, "protein", "1234567890123"]
    assert lines[3].split() == ["gene", "6", "gene_protein", "protein", "7"]
    assert "…" not in lines[2] + lines[3]


def test_a_later_wider_id_widens_its_column_when_the_line_fits() -> None:
    rows = [link("7", "1001"), link("8", "1002"), link("9", "1234567890123")]
    text = render(rows, window=2)
    assert text.splitlines() == [
        "source_db  source_id  linkname      target_db  target_id",
        rule(9, 9, 12, 9, 9),
        "gene       7          gene_protein  protein    1001",
        "gene       8          gene_protein  protein    1002",
        # the header again, the column widened to the new id
        "source_db  source_id  linkname      target_db  target_id",
        rule(9, 9, 12, 9, 13),
        "gene       9          gene_protein  protein    1234567890123",
    ]


def test_a_later_id_too_wide_for_the_line_makes_that_one_line_longer() -> None:
    columns = ("source_id", "target_id")
    rows = [("7", "1001"), ("8", "9" * 40), ("9", "1003")]
    lines = render(rows, columns, width=24, window=1).splitlines()
    assert lines == [
        "source_id  target_id",
        rule(9, 9),
        "7          1001",
        "8          " + "9" * 40,  # whole, past the width; no header again
        "9          1003",
    ]


def test_a_later_long_text_is_cut_to_its_column() -> None:
    columns = ("source_id", "menu")
    rows = [("1", "Protein Links"), ("2", "A much longer menu than the first one")]
    lines = render(rows, columns, window=1).splitlines()
    assert lines[2:] == ["1          Protein Links", "2          A much longe…"]


def test_no_line_is_wider_than_the_terminal() -> None:
    columns = ("source_id", "provider", "category", "attributes", "url")
    rows = [
        (str(n), "MedlinePlus Health Information " * (n % 3 + 1), "Medical", "free resource",
         f"https://medlineplus.example/topic{n}.html?" + "q=1&" * n)
        for n in range(1, 60)
    ]  # fmt: skip
    for width in (80, 160, 33):
        text = render(rows, columns, width=width, title="LinkOut of pubmed records")
        assert max(cell_len(line) for line in text.splitlines()) <= width
        ids = [line.split()[0] for line in text.splitlines()[3:]]
        assert ids == [str(n) for n in range(1, 60)]


# --- hidden columns ------------------------------------------------------------------------


def test_empty_columns_and_a_source_uid_equal_to_source_id_are_hidden() -> None:
    text = render([link("7157", "1"), link("672", "2")])
    header = text.splitlines()[0].split()
    assert header == ["source_db", "source_id", "linkname", "target_db", "target_id"]


def test_columns_with_values_are_shown() -> None:
    rows = [link("0012", "1", score=42, target_acc="NP_000537.3")]
    values = ["gene", "0012", "gene_protein", "protein", "1", "42", "12", "NP_000537.3"]
    lines = render(rows, width=100).splitlines()
    assert lines[0].split() == list(LINK)
    assert lines[2].split() == values
    # At 80 the eight columns (74 cells and 7 gaps of 2) fit once the headers give way:
    # 66 cells, a cap of 7 on the headers wider than their values, 3 cells left over.
    lines = render(rows, width=80).splitlines()
    assert lines[0].split() == [
        "source_…", "source_…", "linkname", "target_…", "target…", "score", "source…",
        "target_acc",
    ]  # fmt: skip
    assert lines[2].split() == values
    assert max(map(len, lines)) == 80


def test_a_hidden_column_that_gets_a_value_is_shown_from_then_on() -> None:
    rows = [link("1", "11"), link("2", "22"), link("3", "33", score=7), link("4", "44")]
    assert render(rows, window=2).splitlines() == [
        "source_db  source_id  linkname      target_db  target_id",
        rule(9, 9, 12, 9, 9),
        "gene       1          gene_protein  protein    11",
        "gene       2          gene_protein  protein    22",
        "source_db  source_id  linkname      target_db  target_id  score",
        rule(9, 9, 12, 9, 9, 5),
        "gene       3          gene_protein  protein    33         7",
        "gene       4          gene_protein  protein    44",  # shown, empty: no new header
    ]


def test_a_source_uid_that_differs_later_is_shown_from_then_on() -> None:
    rows = [link("7", "1"), link("0012", "2"), link("8", "3")]
    lines = render(rows, window=1).splitlines()
    assert lines[:3] == [
        "source_db  source_id  linkname      target_db  target_id",
        rule(9, 9, 12, 9, 9),
        "gene       7          gene_protein  protein    1",
    ]
    assert lines[3].split() == [*LINK[:5], "source_uid"]
    assert lines[5].split() == ["gene", "0012", "gene_protein", "protein", "2", "12"]
    assert lines[6].split() == ["gene", "8", "gene_protein", "protein", "3", "8"]
    assert len(lines) == 7


def test_shown_picks_the_columns_and_hidden_ones_still_come_back() -> None:
    columns = ("source_db", "source_id", "url", "provider", "label", "source_uid")
    rows = [("pubmed", "1", "https://a.example", "A", None, "1"),
            ("pubmed", "2", "https://b.example", "B", "Health topic 2", "2")]  # fmt: skip
    shown = ("source_id", "provider", "label", "url", "source_uid")
    lines = render(rows, columns, shown=shown, window=1).splitlines()
    assert lines[0].split() == ["source_id", "provider", "url"]
    assert lines[3].split() == ["source_id", "provider", "label", "url"]
    assert lines[5].split() == ["2", "B", "Health", "topic", "2", "https://b.example"]


# --- what reaches the terminal -------------------------------------------------------------


def test_cells_are_inert_and_markup_is_shown_as_typed() -> None:
    columns = ("source_id", "provider", "url")
    rows = [
        ("1", "[link=https://evil.example]Trusted Publisher[/link]", "https://a.example/[/]"),
        ("2", "\x1b[2J\x1b]8;;https://evil.example\x1b\\x", "https://b.example/\u202eexe.txt"),
        ("3", "line\nbreak\ttab", ["a", "b"]),
    ]
    text = render(rows, columns, width=200, title="[bold]title[/bold] \x1b[1m")
    assert "\x1b" not in text and "\u202e" not in text
    lines = text.splitlines()
    assert lines[0] == "[bold]title[/bold] \\x1b[1m"
    assert "[link=https://evil.example]Trusted Publisher[/link]" in lines[3]
    assert "https://a.example/[/]" in lines[3]
    assert "\\x1b[2J\\x1b]8;;https://evil.example\\x1b\\x" in lines[4]
    assert "https://b.example/\\u202eexe.txt" in lines[4]
    assert lines[5].split() == ["3", "line", "break", "tab", "a;", "b"]


def test_colour_is_a_bold_header_only() -> None:
    out = io.StringIO()
    w = TableWriter(out, ("source_id",), width=40, colour=True, timer=ManualTimer())
    w.write(("\x1b[31mred",))
    w.close()
    assert out.getvalue() == "\x1b[1msource_id\x1b[0m\n" + rule(11) + "\n\\x1b[31mred\n"


@pytest.fixture
def secret() -> str:
    key = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b"  # as NCBI's: 36 characters
    inert.keep_secret(key)
    return key


def test_a_secret_is_masked_in_every_cell(secret: str) -> None:
    columns = ("source_id", "url", "label")
    rows = [
        ("1", f"https://a.example/?api_key={secret}", "x"),  # printable ASCII: the quick way
        ("2", f"https://b.example/?k={secret[:12]}", "é"),  # not ASCII: cell by cell
        ("3", f"{secret[-10:]}/tail", "y"),
    ]
    text = render(rows, columns, width=200)
    assert secret[:6] not in text and secret[-6:] not in text
    assert "https://a.example/?api_key=***" in text
    assert "https://b.example/?k=***" in text
    assert "***/tail" in text


def test_wide_characters_count_two_cells() -> None:
    columns = ("source_id", "provider", "category")
    rows = [("1", "基因蛋白质数据库提供者", "Medical"), ("22", "ab", "医学")]
    # 30 cells: source_id 9 + 2 gaps leave 17: provider 9, category 8.
    lines = render(rows, columns, width=30).splitlines()
    assert lines == [
        "source_id  provider   category",
        rule(9, 9, 8),
        "1          基因蛋白…  Medical",
        "22         ab         医学",
    ]
    assert all(cell_len(line) <= 30 for line in lines)


def test_a_wide_character_cut_at_an_odd_width_leaves_a_space() -> None:
    assert T.fit_cell("基因蛋白", 8, 6, False) == "基因 …"
    assert T.fit_cell("基因", 4, 6, False) == "基因  "


def test_no_rows_says_so_under_the_title() -> None:
    assert render([], title="gene → protein") == "gene → protein\n(no rows)\n"


# --- streaming -----------------------------------------------------------------------------


def test_rows_are_written_as_they_come_once_the_window_is_full() -> None:
    out = io.StringIO()
    w = writer(out, window=100)
    w.write_many([link(str(n), str(1000 + n)) for n in range(1, 100)])
    assert out.getvalue() == ""  # 99 rows: the window is not full
    w.write(link("100", "1100"))
    assert out.getvalue().splitlines()[-1].split()[1] == "100"
    w.write_many([link(str(n), str(1000 + n)) for n in range(101, 151)])
    assert out.getvalue().splitlines()[-1].split()[1] == "150"
    assert w.rows_written == 150 and w.pending is None
    w.close()
    assert len(out.getvalue().splitlines()) == 2 + 150


def test_the_first_rows_wait_at_most_the_windows_time() -> None:
    out = io.StringIO()
    timer = ManualTimer()
    w = writer(out, timer=timer)
    w.write_many([link("1", "11"), link("2", "22")])
    assert out.getvalue() == "" and [d for d, _ in timer.armed] == [T.WAIT]
    timer.fire()  # WAIT seconds later, from the timer's thread
    assert [line.split()[1] for line in out.getvalue().splitlines()[2:]] == ["1", "2"]
    w.write(link("3", "33"))
    assert out.getvalue().splitlines()[-1].split()[1] == "3"
    w.close()
    assert len(timer.armed) == 1


def test_a_window_shown_before_its_time_cancels_the_timer() -> None:
    timer = ManualTimer()
    render([link(str(n), "1") for n in range(5)], window=3, timer=timer)
    assert timer.cancelled >= 1
    render([link("1", "1")], timer=(closing := ManualTimer()))
    assert closing.cancelled == 1


class Broken(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_failure_in_the_timers_thread_is_raised_by_the_next_call() -> None:
    timer = ManualTimer()
    w = writer(Broken(), timer=timer)
    w.write(link("1", "11"))
    timer.fire()  # must not raise in the timer's thread
    with pytest.raises(BrokenPipeError):
        w.write(link("2", "22"))


def test_memory_follows_one_window_not_the_run() -> None:
    class Sink(io.TextIOBase):
        written = 0

        def write(self, text: str) -> int:
            self.written += len(text)
            return len(text)

    sink = Sink()
    w = TableWriter(sink, LINK, width=80, colour=False, timer=ManualTimer())  # type: ignore[arg-type]
    tracemalloc.start()
    try:
        for batch in range(40):  # 40,000 rows, a batch of 1,000 at a time
            w.write_many([link(str(5_000_000 + batch), str(10**8 + batch * 1000 + j))
                          for j in range(1000)])  # fmt: skip
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    w.close()
    assert sink.written > 40_000 * 50
    # One batch of rows (~0.6 MB) and its text; all 40,000 rows would be ~25 MB.
    assert peak < 3_000_000, peak


# --- the terminal's width, and Rich only for the table ---------------------------------------


def test_the_width_is_columns_else_the_terminals_else_80(monkeypatch) -> None:
    import fcntl
    import struct
    import termios

    monkeypatch.setenv("COLUMNS", "123")
    assert terminal_width(io.StringIO()) == 123
    monkeypatch.delenv("COLUMNS")
    assert terminal_width(io.StringIO()) == 80
    controller, terminal = os.openpty()
    try:
        fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 132, 0, 0))
        with open(terminal, "w", closefd=False) as tty:
            assert terminal_width(tty) == 132
            monkeypatch.setenv("COLUMNS", "77")
            assert terminal_width(tty) == 77
    finally:
        os.close(terminal)
        os.close(controller)


def test_rich_is_imported_for_the_table_only() -> None:
    code = (
        "import io, sys\n"
        "from elinkcli.output.writers import make_writer\n"
        "for fmt in ('tsv', 'json', 'jsonl', 'uid'):\n"
        "    make_writer(fmt, io.StringIO(), ('a', 'b'), uid_key='a').close()\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'rich'], 'rich imported'\n"
        "make_writer('table', io.StringIO(), ('a', 'b'), uid_key='a')\n"
        "assert 'rich.cells' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
