"""The output writers (elinkcli.output.writers): TSV, JSON, JSON Lines, uid and table,
and make_writer."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from elinkcli.errors import UsageError
from elinkcli.output.table import TableWriter
from elinkcli.output.writers import (
    FORMATS,
    JsonlWriter,
    JsonWriter,
    TsvWriter,
    UidWriter,
    make_writer,
)

COLUMNS = ("source_db", "source_id", "linkname", "target_db", "target_id", "score")

ROWS: list[tuple[object, ...]] = [
    ("gene", "7157", "gene_protein", "protein", "1000001", None),
    ("gene", "7157", "gene_protein", "protein", "1000002", 42),
    ("gene", "672", "gene_protein", "protein", "1000001", None),
]


def write_all(writer: object, rows: list[tuple[object, ...]]) -> None:
    for row in rows:
        writer.write(row)  # type: ignore[attr-defined]
    writer.close()  # type: ignore[attr-defined]


def test_tsv_with_header() -> None:
    out = io.StringIO()
    write_all(TsvWriter(out, COLUMNS), ROWS)
    lines = out.getvalue().splitlines()
    assert lines[0].split("\t") == list(COLUMNS)
    assert len(lines) == len(ROWS) + 1
    for line, row in zip(lines[1:], ROWS, strict=True):
        assert line.split("\t") == ["" if v is None else str(v) for v in row]


def test_tsv_without_header() -> None:
    out = io.StringIO()
    write_all(TsvWriter(out, COLUMNS, header=False), ROWS)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(ROWS)
    assert lines[0].split("\t")[0] == ROWS[0][0]


def test_tsv_none_is_an_empty_cell() -> None:
    out = io.StringIO()
    write_all(TsvWriter(out, ("a", "b", "c"), header=False), [(None, "x", None)])
    assert out.getvalue() == "\tx\t\n"


@pytest.mark.parametrize("value", ["a\tb", "a\nb", "a\r\nb", "\t\n\r", "line1\nline2\tend"])
def test_tsv_tabs_and_newlines_never_break_the_row(value: str) -> None:
    out = io.StringIO()
    row = ("gene", value, "x")
    write_all(TsvWriter(out, ("a", "b", "c"), header=False), [row])
    text = out.getvalue()
    assert text.endswith("\n")
    assert text.count("\n") == 1
    assert "\r" not in text
    cells = text.rstrip("\n").split("\t")
    assert len(cells) == len(row)
    assert cells[0] == "gene" and cells[2] == "x"


def tsv_one_by_one(rows: list[tuple[object, ...]]) -> str:
    out = io.StringIO()
    write_all(TsvWriter(out, ("a", "b", "c"), header=False), rows)
    return out.getvalue()


def tsv_many(rows: list[tuple[object, ...]]) -> str:
    out = io.StringIO()
    writer = TsvWriter(out, ("a", "b", "c"), header=False)
    writer.write_many(rows)
    writer.close()
    return out.getvalue()


cell = st.one_of(
    st.none(),
    st.integers(),
    st.text(alphabet=st.sampled_from("ab1\t\n\r[]None ")),
    st.lists(st.text(alphabet="ab;", max_size=3), max_size=2),
)


@given(st.lists(st.tuples(cell, cell, cell), max_size=30))
def test_tsv_many_rows_at_once_equal_rows_one_by_one(rows: list[tuple[object, ...]]) -> None:
    assert tsv_many(rows) == tsv_one_by_one(rows)


def test_tsv_many_rows_a_slice_at_a_time_each_slice_checked() -> None:
    plain = [("gene", str(i), i) for i in range(25_000)]
    odd = list(plain)
    odd[12_345] = ("gene", "tab\there", None)  # in the second slice only
    odd[24_999] = ("gene", None, ["x", "y"])
    assert tsv_many(plain) == tsv_one_by_one(plain)
    text = tsv_many(odd)
    assert text == tsv_one_by_one(odd)
    lines = text.splitlines()
    assert len(lines) == 25_000
    assert lines[12_345] == "gene\ttab here\t" and lines[24_999] == "gene\t\tx; y"
    assert lines[12_346] == "gene\t12346\t12346"


@pytest.mark.parametrize("n", [0, 1, len(ROWS)])
def test_json_is_one_valid_document(n: int) -> None:
    out = io.StringIO()
    write_all(JsonWriter(out, COLUMNS), ROWS[:n])
    doc = json.loads(out.getvalue())
    assert doc == [dict(zip(COLUMNS, row, strict=True)) for row in ROWS[:n]]


def test_json_many_rows_keeps_types_and_order() -> None:
    rows = [("gene", str(i), "gene_protein", "protein", str(i * 10), i) for i in range(250)]
    out = io.StringIO()
    write_all(JsonWriter(out, COLUMNS), rows)
    doc = json.loads(out.getvalue())
    assert [d["source_id"] for d in doc] == [r[1] for r in rows]
    assert [d["score"] for d in doc] == [r[5] for r in rows]


def test_json_keeps_non_ascii_text() -> None:
    out = io.StringIO()
    write_all(JsonWriter(out, ("name",)), [("Müller–Straße",)])
    assert json.loads(out.getvalue()) == [{"name": "Müller–Straße"}]


def test_jsonl_one_object_per_line() -> None:
    out = io.StringIO()
    write_all(JsonlWriter(out, COLUMNS), ROWS)
    lines = out.getvalue().splitlines()
    assert [json.loads(line) for line in lines] == [
        dict(zip(COLUMNS, r, strict=True)) for r in ROWS
    ]


def test_jsonl_value_with_newline_stays_on_one_line() -> None:
    out = io.StringIO()
    write_all(JsonlWriter(out, ("a", "b")), [("x\ny", 1), ("z", 2)])
    lines = out.getvalue().splitlines()
    assert [json.loads(line)["a"] for line in lines] == ["x\ny", "z"]


def test_jsonl_empty_writes_nothing() -> None:
    out = io.StringIO()
    write_all(JsonlWriter(out, COLUMNS), [])
    assert out.getvalue() == ""


def test_uid_writes_distinct_values_in_first_seen_order() -> None:
    out = io.StringIO()
    write_all(UidWriter(out, COLUMNS, "target_id"), ROWS)
    values = [row[COLUMNS.index("target_id")] for row in ROWS]
    assert out.getvalue().splitlines() == list(dict.fromkeys(values))


def test_table_shows_columns_and_values() -> None:
    columns = ("src", "tgt", "score")
    rows = [("7157", "1000001", None), ("672", "1000002", 42)]
    out = io.StringIO()
    write_all(TableWriter(out, columns, title="links"), rows)
    text = out.getvalue()
    for name in columns:
        assert name in text
    for row in rows:
        for value in row:
            if value is not None:
                assert str(value) in text
    assert "links" in text


def test_table_without_rows_says_so() -> None:
    out = io.StringIO()
    write_all(TableWriter(out, ("a", "b")), [])
    assert "(no rows)" in out.getvalue()


@pytest.mark.parametrize(
    ("fmt", "cls"),
    [
        ("tsv", TsvWriter),
        ("json", JsonWriter),
        ("jsonl", JsonlWriter),
        ("uid", UidWriter),
        ("table", TableWriter),
    ],
)
def test_make_writer_picks_the_format(fmt: str, cls: type) -> None:
    assert fmt in FORMATS
    writer = make_writer(fmt, io.StringIO(), COLUMNS, uid_key="target_id")
    assert isinstance(writer, cls)


def test_make_writer_no_header_for_tsv() -> None:
    out = io.StringIO()
    write_all(make_writer("tsv", out, COLUMNS, uid_key="target_id", header=False), ROWS[:1])
    assert out.getvalue().count("\n") == 1
    assert not out.getvalue().startswith(COLUMNS[0])


@pytest.mark.parametrize("fmt", ["yaml", "csv", "", "TSV", "XML"])
def test_make_writer_unknown_format_is_a_usage_error(fmt: str) -> None:
    with pytest.raises(UsageError, match="unknown format"):
        make_writer(fmt, io.StringIO(), COLUMNS, uid_key="target_id")


# --- --idtype acc: a record without an accession is written by its UID (EDirect's -format acc)

ACC_COLUMNS = ("source_db", "source_id", "linkname", "target_db", "target_id", "target_acc")
ACC_ROWS: list[tuple[object, ...]] = [
    ("gene", "672", "gene_protein", "protein", "101", "NP_000001.1"),
    ("gene", "672", "gene_pubmed", "pubmed", "202", None),
    ("gene", "7157", "gene_pubmed", "pubmed", "303", ""),
    ("gene", "7157", "gene_protein", "protein", "101", "NP_000001.1"),
]


def test_uid_and_edirect_write_the_uid_where_no_accession_is() -> None:
    from elinkcli.ids.edirect import EDirectMessage

    out = io.StringIO()
    writer = make_writer("uid", out, ACC_COLUMNS, uid_key="target_acc", uid_fallback="target_id")
    writer.write_many(ACC_ROWS)
    writer.close()
    assert out.getvalue().split() == ["NP_000001.1", "202", "303"]
    message = io.StringIO()
    edirect = make_writer(
        "edirect",
        message,
        ACC_COLUMNS,
        uid_key="target_acc",
        uid_fallback="target_id",
        message=EDirectMessage(db="protein", step=2),
    )
    edirect.write_many(ACC_ROWS)
    edirect.close()
    assert "<Count>3</Count>" in message.getvalue()
    assert message.getvalue().count("<Id>") == 3


def test_without_a_fallback_rows_without_the_key_are_left_out() -> None:
    out = io.StringIO()
    writer = make_writer("uid", out, ACC_COLUMNS, uid_key="target_acc")
    writer.write_many(ACC_ROWS)
    writer.close()
    assert out.getvalue().split() == ["NP_000001.1"]
