"""End to end: the installed `elinkcli` on a pseudo-terminal (stdout and stderr on one pty
of 80 or 160 columns, COLUMNS unset, as a person runs it), where --format table is the
default: no line wider than the terminal, every id whole on its row, empty columns left
out, no progress bar among the rows. Expected rows come from the fake server's records
(`fake.links`, `fake.linkout`) and the catalog's file, never from elinkcli's output."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from rich.cells import cell_len
from support.fake_eutils import FakeEutils, Faults
from support.tables import SGR, Table, read_table
from support.terminal import on_terminal

import elinkcli

pytestmark = pytest.mark.e2e

# Gene ids of NCBI's size: 7 digits; the fake links each to n % 5 proteins of 8 digits.
GENES = [str(5_680_390 + n) for n in range(24)]
LINK_SHOWN = ["source_db", "source_id", "linkname", "target_db", "target_id"]


def rows_and_stderr(lines: list[str]) -> tuple[Table, list[str]]:
    """The table, and stderr's lines (`elinkcli: ...`), which must all come before it (what
    is said before any request: the link name chosen) or after it (the summary), never
    among its rows."""
    before = 0
    while before < len(lines) and lines[before].startswith("elinkcli:"):
        before += 1
    rest = lines[before:]
    said = [n for n, line in enumerate(rest) if line.startswith("elinkcli:")]
    assert said == list(range(len(rest) - len(said), len(rest))), lines
    table = read_table("\n".join(rest[: len(rest) - len(said)]))
    return table, lines[:before] + rest[len(rest) - len(said) :]


def assert_fits(lines: list[str], columns: int) -> None:
    shown = [SGR.sub("", line) for line in lines if not line.startswith("elinkcli:")]
    too_wide = [line for line in shown if cell_len(line) > columns]
    assert not too_wide, too_wide
    assert not [line for line in lines if "\r" in line or "\x1b[?" in line], lines


def link_oracle(fake: FakeEutils, ids: list[str]) -> list[dict[str, str]]:
    return [
        {"source_db": "gene", "source_id": uid, "linkname": name, "target_db": dbto,
         "target_id": target}
        for uid in ids
        for name, dbto, targets in fake.links("gene", uid, "protein", "gene_protein")
        for target in targets
    ]  # fmt: skip


@pytest.mark.parametrize("columns", [80, 160])
def test_link_on_a_terminal_is_a_table_that_fits(fake, columns: int) -> None:
    args = ["link", "-db", "gene", "-target", "protein", "--id", ",".join(GENES)]
    code, lines = on_terminal(fake, args, columns)
    assert code == 0, lines
    assert_fits(lines, columns)
    table, said = rows_and_stderr(lines)
    assert table.title == "gene → protein"
    # score (no -cmd neighbor_score), target_acc (no --idtype acc) and source_uid (each
    # the source_id) are left out.
    assert table.headers == [LINK_SHOWN]
    assert table.rows == link_oracle(fake, GENES)  # every id whole, one line a link
    assert said[0].startswith("elinkcli: warning: linked with gene_protein")
    assert said[-1].startswith(f"elinkcli: {len(GENES)} id(s) in, ")


def test_a_uid_unlike_its_source_id_shows_the_source_uid_column(fake) -> None:
    ids = ["5680391", "5680392", "05680393"]  # the last one's UID is 5680393
    args = ["link", "-db", "gene", "-target", "protein", "--id", ",".join(ids), "-q"]
    code, lines = on_terminal(fake, args, 80)
    assert code == 0, lines
    assert_fits(lines, 80)
    table, _ = rows_and_stderr(lines)
    first = fake.links("gene", "5680391", "protein")[0][2]
    # One batch: the window holds every row. (A column shown later, under the header
    # printed again: tests/unit/output/test_table.py.)
    assert table.headers == [[*LINK_SHOWN, "source_uid"]]
    assert [r["source_uid"] for r in table.rows][: len(first)] == ["5680391"] * len(first)
    assert table.rows[-1]["source_uid"] == "5680393"


def test_no_progress_bar_among_the_rows(fake) -> None:
    # 2 batches answered 2.1 s late (0.1 s apart with a key): past the bar's 2 s, had it
    # been drawn (with stdout in a pipe it is: tests/e2e/test_cron.py).
    fake.faults = Faults(delay=2.1)
    ids = GENES[:8]
    args = ["link", "-db", "gene", "-target", "protein", "--batch", "4", "--id", ",".join(ids)]
    started = time.monotonic()
    code, lines = on_terminal(fake, args, 80, env={"NCBI_API_KEY": "a-test-key"})
    assert time.monotonic() - started > 2.1  # long enough for a bar
    assert code == 0, lines
    assert_fits(lines, 80)  # no carriage return, no cursor control
    assert not [line for line in lines if "━" in line or "requests •" in line], lines
    table, said = rows_and_stderr(lines)
    assert table.rows == link_oracle(fake, ids)
    assert said[-1].startswith("elinkcli: 8 id(s) in, ")  # the summary still comes


def catalog_names(db: str) -> list[dict]:
    path = Path(elinkcli.__file__).parent / "data" / "catalog.json"
    names = json.loads(path.read_text("utf-8"))["linknames"]
    return sorted((n for n in names if n["dbfrom"] == db), key=lambda n: n["name"])


def test_discover_is_one_line_a_link_name_at_80_columns(fake) -> None:
    code, lines = on_terminal(fake, ["discover", "-db", "gene", "--offline"], 80)
    assert code == 0, lines
    assert_fits(lines, 80)
    table, _ = rows_and_stderr(lines)
    expected = catalog_names("gene")
    assert len(table.row_lines) == len(expected)
    assert sorted(r["linkname"] for r in table.rows) == [n["name"] for n in expected]
    by_name = {n["name"]: n for n in expected}
    for row in table.rows:
        catalog = by_name[row["linkname"]]
        assert row["target_db"] == catalog["dbto"]
        shown = row["description"]
        described = catalog["description"] or ""
        assert shown == described or (shown.endswith("…") and described.startswith(shown[:-1]))
    assert any(r["description"].endswith("…") for r in table.rows)


@pytest.mark.parametrize("columns", [80, 160])
def test_linkout_is_one_line_a_resource(fake, columns: int) -> None:
    ids = ["2", "4", "5"]
    code, lines = on_terminal(fake, ["linkout", "-db", "pubmed", "--id", ",".join(ids)], columns)
    assert code == 0, lines
    assert_fits(lines, columns)
    table, _ = rows_and_stderr(lines)
    assert table.headers == [["source_id", "provider", "category", "attributes", "url"]]
    expected = [
        (uid, r["url"]) for uid in ids for r in {r["url"]: r for r in fake.linkout(uid)}.values()
    ]
    assert [r["source_id"] for r in table.rows] == [uid for uid, _ in expected]
    for row, (_, url) in zip(table.rows, expected, strict=True):
        assert row["url"] == url or (row["url"].endswith("…") and url.startswith(row["url"][:-1]))
