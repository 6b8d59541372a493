"""Properties of read_source (elinkcli.ids.source): structured records, TSV and any bytes
in any input form read to ids or a clean UsageError, never a crash.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from elinkcli.errors import UsageError
from elinkcli.ids.given import IdSource
from elinkcli.ids.source import INPUT_FORMATS, read_source

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.sampled_from(["gene", "protein", "", "12", "NM_1.2"]),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=10,
)
KEYS = st.sampled_from(
    ["target_id", "target_db", "source_id", "source_db", "path", "db", "id", "gene", "x_2"]
)
RECORDS = st.dictionaries(KEYS, JSON_VALUES, max_size=4)
PATHS = st.builds(
    lambda hops: {"path": hops},
    st.lists(st.fixed_dictionaries({"db": JSON_VALUES, "id": JSON_VALUES}), max_size=3),
)


def _clean_read(data: bytes, form: str) -> IdSource | None:
    try:
        result = read_source(data, form)
    except UsageError as exc:
        assert str(exc)
        return None
    assert isinstance(result, IdSource)
    assert all(isinstance(i, str) and i for i in result.ids)
    assert result.db is None or (isinstance(result.db, str) and result.db)
    return result


@settings(max_examples=300, deadline=None)
@given(
    records=st.lists(st.one_of(RECORDS, PATHS, JSON_VALUES), max_size=5),
    form=st.sampled_from(["json", "jsonl", "auto"]),
)
def test_structured_records_with_any_values_read_cleanly(records: list[Any], form: str):
    if form == "jsonl":
        data = "\n".join(json.dumps(r) for r in records).encode()
    else:
        data = json.dumps(records).encode()
    result = _clean_read(data, form)
    if result is not None and form != "auto":
        assert len(set(result.ids)) == len(result.ids)
        assert result.form == form


@settings(max_examples=300, deadline=None)
@given(
    header=st.lists(
        st.sampled_from(["target_id", "target_db", "source_id", "gene", "protein_2", "Bad", ""]),
        min_size=1,
        max_size=4,
    ),
    rows=st.lists(
        st.lists(
            st.text(
                alphabet=st.characters(codec="utf-8", exclude_characters="\t\n\r"),
                max_size=6,
            )
        ),
        max_size=4,
    ),
    form=st.sampled_from(["tsv", "auto", "plain"]),
)
def test_tsv_with_any_cells_reads_cleanly(header: list[str], rows: list[list[str]], form: str):
    text = "\n".join(["\t".join(header), *("\t".join(r) for r in rows)]) + "\n"
    result = _clean_read(text.encode(), form)
    if form == "plain" and result is not None:
        assert result.db is None
        assert result.form == "plain"


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300), form=st.sampled_from(INPUT_FORMATS))
def test_forced_forms_on_any_bytes_read_cleanly(data: bytes, form: str) -> None:
    _clean_read(data, form)
