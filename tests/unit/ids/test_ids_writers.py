"""Source ids (split, check, decode) and the output writers."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from elinkcli.errors import UsageError
from elinkcli.ids.tokens import check_ids, decode_input, normalize_db, split_ids
from elinkcli.output.writers import (
    FORMATS,
    JsonlWriter,
    JsonWriter,
    TableWriter,
    TsvWriter,
    UidWriter,
    make_writer,
)

COLUMNS = ("source_db", "source_id", "linkname", "target_db", "target_id", "score")

# --- split_ids ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1\n2\n3\n"], ["1", "2", "3"]),
        (["1 2  3"], ["1", "2", "3"]),
        (["1\t2\t\t3"], ["1", "2", "3"]),
        (["1,2,,3,"], ["1", "2", "3"]),
        (["1, 2\t,3\r\n4 ,\n, 5"], ["1", "2", "3", "4", "5"]),
        ([",,, \n\t"], []),
        ([""], []),
        ([], []),
        (["7,8", "9", " 10 \n11"], ["7", "8", "9", "10", "11"]),
        (["NM_000546.6,NP_000537.3"], ["NM_000546.6", "NP_000537.3"]),
    ],
)
def test_split_ids(values: list[str], expected: list[str]) -> None:
    assert split_ids(values) == expected


def test_split_ids_keeps_order_and_repeats() -> None:
    ids = ["5", "3", "5", "1"]
    assert split_ids([" ".join(ids)]) == ids


# --- check_ids ------------------------------------------------------------------------


@pytest.mark.parametrize("db", ["gene", "pubmed"])
def test_numeric_ids_are_accepted_for_uid_databases(db: str) -> None:
    ids = ["1", "348", "35520012"]
    assert check_ids(ids, db) == ids


@pytest.mark.parametrize("db", ["gene", "pubmed"])
@pytest.mark.parametrize("bad", ["NM_000546.6", "12a", "1.5", "-3", "PMC123"])
def test_non_numeric_ids_are_refused_for_uid_databases(db: str, bad: str) -> None:
    with pytest.raises(UsageError) as excinfo:
        check_ids(["1", bad, "2"], db)
    assert repr(bad) in str(excinfo.value)
    assert db in str(excinfo.value)


@pytest.mark.parametrize("db", ["nuccore", "protein", "nucleotide", "Nucleotide"])
@pytest.mark.parametrize("acc", ["NM_000546.6", "NP_000537.3", "U49845", "1621261"])
def test_accessions_are_accepted_for_sequence_databases(db: str, acc: str) -> None:
    assert check_ids([acc], db) == [acc]


@pytest.mark.parametrize("db", ["nuccore", "protein"])
@pytest.mark.parametrize("bad", ["NM_000546.", "NM-000546", "NM_000546.6.1", "a b", "x.y"])
def test_malformed_accessions_are_refused(db: str, bad: str) -> None:
    with pytest.raises(UsageError) as excinfo:
        check_ids([bad], db)
    assert repr(bad) in str(excinfo.value)


def test_check_ids_drops_repeats_keeping_first_occurrence() -> None:
    ids = ["30", "10", "30", "20", "10", "40"]
    expected = [i for n, i in enumerate(ids) if i not in ids[:n]]
    assert check_ids(ids, "gene") == expected


def test_check_ids_empty_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no ids"):
        check_ids([], "gene")


def test_long_bad_id_is_shortened_in_the_message() -> None:
    bad = "x" * 500
    with pytest.raises(UsageError) as excinfo:
        check_ids([bad], "gene")
    message = str(excinfo.value)
    assert bad[:40] in message
    assert bad not in message


# --- decode_input and normalize_db ----------------------------------------------------


def test_decode_input_plain_utf8() -> None:
    text = "123\n456\n"
    assert decode_input(text.encode("utf-8")) == text


def test_decode_input_strips_bom() -> None:
    text = "123\n456"
    assert decode_input(b"\xef\xbb\xbf" + text.encode("utf-8")) == text


def test_decode_input_refuses_nul_bytes() -> None:
    with pytest.raises(UsageError, match="NUL") as excinfo:
        decode_input("1\n2\n".encode("utf-16"), source="ids.txt")
    assert "ids.txt" in str(excinfo.value)


@pytest.mark.parametrize("data", [b"12\xff34", b"\xc3\x28", b"1\n2\n\x80"])
def test_decode_input_refuses_invalid_utf8(data: bytes) -> None:
    with pytest.raises(UsageError, match="UTF-8") as excinfo:
        decode_input(data, source="stdin")
    assert "stdin" in str(excinfo.value)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Nucleotide", "nuccore"),
        ("nucleotide", "nuccore"),
        (" NUCCORE ", "nuccore"),
        ("PubMed", "pubmed"),
        ("protein", "protein"),
    ],
)
def test_normalize_db(name: str, expected: str) -> None:
    assert normalize_db(name) == expected


# --- writers ----------------------------------------------------------------------------

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


# --- property ---------------------------------------------------------------------------


def is_separator(ch: str) -> bool:
    return ch.isspace() or ch == ","


@given(st.text(), st.sampled_from(["gene", "pubmed", "nuccore", "protein"]))
def test_split_and_check_never_fail_unexpectedly(text: str, db: str) -> None:
    tokens = split_ids([text])
    assert all(tok and not any(is_separator(c) for c in tok) for tok in tokens)
    assert "".join(tokens) == "".join(c for c in text if not is_separator(c))
    try:
        checked = check_ids(tokens, db)
    except UsageError:
        return
    assert checked == list(dict.fromkeys(tokens))
    assert checked
