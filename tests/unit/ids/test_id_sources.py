"""What arrives on stdin: form detection, reading each form, ENTREZ_DIRECT messages in and out.

Unit tests, no network: elinkcli.ids.source and elinkcli.ids.edirect. The EDirect writer is
tested in tests/unit/output/test_edirect_writer.py; how cli.inputs turns a source into a run
in tests/unit/cli/test_inputs.py.
"""

from __future__ import annotations

import json
import threading
from xml.etree.ElementTree import fromstring as std_fromstring

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.stdin_data import FULL, LABELS, TSV_HEADER, link_row, message, tags, tsv

from elinkcli.commands.link import LINK_COLUMNS
from elinkcli.errors import UsageError
from elinkcli.ids.edirect import EDirectMessage, looks_like_message, parse_message, render_message
from elinkcli.ids.given import IdSource
from elinkcli.ids.source import INPUT_FORMATS, detect_form, read_source

# What EDirect writes, element by element (docs/reference/edirect-compat.md;
# render_message's docstring).
ORDER = ("Db", "WebEnv", "QueryKey", "Count", "Step", "Error", "Tool", "Email", "Labels")


# --- detect_form ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "form"),
    [
        (message("<Db>pubmed</Db><Id>1</Id>"), "edirect"),
        (message("<Db>pubmed</Db><Id>1</Id>", declaration=True), "edirect"),
        (b"\n\n   \t" + message("<Db>gene</Db>"), "edirect"),
        (b"  \n" + message("<Db>gene</Db>", declaration=True), "edirect"),
        (b"<?xml version='1.0'?><ENTREZ_DIRECT><Count>0</Count></ENTREZ_DIRECT>", "edirect"),
        (b"<ENTREZ_DIRECT/>", "edirect"),
        (b'[{"target_id": "1", "target_db": "gene"}]', "json"),
        (b"\n  [\n]\n", "json"),
        (b"[]", "json"),
        (b'{"target_id": "1"}\n{"target_id": "2"}\n', "jsonl"),
        (b'  {"path": []}\n', "jsonl"),
        (tsv(link_row("1", "2")), "tsv"),
        (tsv(), "tsv"),
        (b"source_db\tsource_id\ngene\t1\n", "tsv"),
        (b"gene\tprotein\tstructure\n1\t2\t3\n", "tsv"),
        (b"gene\tpubmed\tgene_2\n1\t2\t3\n", "tsv"),
        (b"gene\tprotein\r\n1\t2\r\n", "tsv"),
        (b"1\n2\n3\n", "plain"),
        (b"1 2 3", "plain"),
        (b"1,2,3\n", "plain"),
        (b"1\t2\t3\n", "plain"),
        (b"672\t7157\n", "plain"),
        (b"NP_000537.3\tXP_011523.1\n", "plain"),
        (b"NM_000546.6\nNP_000537.3\n", "plain"),
        (b"", "plain"),
        (b"   \n", "plain"),
        (b"<eLinkResult></eLinkResult>", "elink"),
        (b'<?xml version="1.0" ?>\n<eSearchResult><Count>0</Count></eSearchResult>', "esearch"),
        (b"<eInfoResult></eInfoResult>", "plain"),
    ],
)
def test_detect_form(data: bytes, form: str) -> None:
    assert detect_form(data) == form


def test_looks_like_message_only_for_the_entrez_direct_root() -> None:
    assert looks_like_message(b"  <ENTREZ_DIRECT>")
    assert looks_like_message(b'<?xml version="1.0"?>\n  <ENTREZ_DIRECT>')
    assert not looks_like_message(b"<eSearchResult>")
    assert not looks_like_message(b"ENTREZ_DIRECT")


@pytest.mark.parametrize(
    ("data", "form"),
    [
        (b"\xef\xbb\xbf" + message("<Db>gene</Db><Id>1</Id>"), "edirect"),
        (b"\xef\xbb\xbf" + tsv(link_row("1", "2")), "tsv"),
    ],
    ids=["message", "tsv"],
)
def test_detect_form_skips_a_byte_order_mark(data: bytes, form: str) -> None:
    assert detect_form(data) == form


# --- read_source: plain --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "ids"),
    [
        (b"11\n12\n13\n", ("11", "12", "13")),
        (b"11 12\t13,14\r\n15", ("11", "12", "13", "14", "15")),
        (b"11\t12\t13\n", ("11", "12", "13")),
        (b"NP_000537.3\tXP_011523.1\n", ("NP_000537.3", "XP_011523.1")),
        (b"\n\n", ()),
    ],
)
def test_read_plain(data: bytes, ids: tuple[str, ...]) -> None:
    source = read_source(data)
    assert source == IdSource(ids, None, "plain")


def test_forced_plain_reads_every_token_of_a_tsv() -> None:
    source = read_source(b"gene\tprotein\n1\t2\n", "plain")
    assert source.form == "plain"
    assert source.ids == ("gene", "protein", "1", "2")
    assert source.db is None


@pytest.mark.parametrize(
    ("data", "words"),
    [(b"1\x002\n", "NUL"), (b"1\n\xff\xfe2\n", "UTF-8")],
    ids=["nul", "latin1"],
)
def test_binary_stdin_is_a_usage_error(data: bytes, words: str) -> None:
    with pytest.raises(UsageError, match=words):
        read_source(data)


def test_unknown_input_format() -> None:
    with pytest.raises(UsageError, match="input-format"):
        read_source(b"1\n", "xml")
    forms = {"auto", "edirect", "esearch", "elink", "tsv", "json", "jsonl", "plain"}
    assert set(INPUT_FORMATS) == forms


# --- read_source: elinkcli's own tsv --------------------------------------------------------


def test_tsv_passes_on_distinct_targets_in_first_seen_order_and_their_db() -> None:
    rows = [
        link_row("1", "1000007"),
        link_row("1", "1000008"),
        link_row("2", "1000014"),
        link_row("2", "1000007"),  # a target already seen
        link_row("3", "1000008"),
        link_row("3", "1000021"),
    ]
    source = read_source(tsv(*rows))

    assert source.form == "tsv"
    assert source.db == "protein"
    assert source.ids == ("1000007", "1000008", "1000014", "1000021")
    assert source.message is None


def test_tsv_of_older_releases_with_six_columns_still_reads() -> None:
    old = "\t".join(TSV_HEADER.split("\t")[:6])
    rows = [link_row("1", "1000007")[:6], link_row("2", "1000014")[:6]]
    source = read_source(tsv(*rows, header=old))
    assert (source.ids, source.db) == (("1000007", "1000014"), "protein")


def test_tsv_header_only_is_an_empty_source() -> None:
    assert read_source(tsv()) == IdSource((), None, "tsv")


def test_tsv_rows_with_an_empty_target_are_skipped() -> None:
    rows = [link_row("1", ""), link_row("2", "1000014"), link_row("3", "")]
    source = read_source(tsv(*rows))
    assert source.ids == ("1000014",)
    assert source.db == "protein"


def test_tsv_union_output_without_source_ids() -> None:
    rows = [("pubmed", "", "pubmed_gene", "gene", t, "", "", "") for t in ("3000007", "3000014")]
    source = read_source(tsv(*rows))
    assert (source.ids, source.db) == (("3000007", "3000014"), "gene")


def test_tsv_blank_lines_are_skipped() -> None:
    data = tsv(link_row("1", "7")) + b"\n  \n" + b"\t".join(x.encode() for x in link_row("2", "9"))
    assert read_source(data).ids == ("7", "9")


def test_tsv_mixed_target_databases_is_a_usage_error() -> None:
    rows = [link_row("1", "7", "protein"), link_row("2", "9", "pubmed")]
    with pytest.raises(UsageError, match=r"mixes databases.*protein.*pubmed"):
        read_source(tsv(*rows))


def test_tsv_check_style_rows_pass_on_their_source() -> None:
    data = b"source_db\tsource_id\thas_neighbor\npubmed\t11\tY\npubmed\t12\tN\npubmed\t11\tY\n"
    source = read_source(data)
    assert (source.ids, source.db, source.form) == (("11", "12"), "pubmed", "tsv")


def test_tsv_wrong_column_count_names_the_line() -> None:
    data = tsv(link_row("1", "7")) + b"gene\t2\tgene_protein\tprotein\n"
    with pytest.raises(UsageError, match=r"line 3 has 4 columns, header 8"):
        read_source(data)


@pytest.mark.parametrize(
    "data",
    [b"1\t2\n3\t4\n", b"target_id\t\n7\t\n", b"Target ID\tdb\n7\tgene\n"],
    ids=["numbers", "empty-name", "spaces"],
)
def test_forced_tsv_without_column_names_is_a_usage_error(data: bytes) -> None:
    with pytest.raises(UsageError, match="header"):
        read_source(data, "tsv")


def test_chain_tsv_passes_on_the_last_column() -> None:
    data = b"gene\tprotein\tstructure\n1\t10\t100\n2\t20\t200\n3\t30\t100\n4\t40\t\n"
    source = read_source(data)
    assert (source.ids, source.db, source.form) == (("100", "200"), "structure", "tsv")


def test_chain_tsv_column_with_hop_suffix_names_the_database() -> None:
    data = b"gene\tpubmed\tgene_2\n1\t10\t5\n2\t20\t6\n"
    source = read_source(data)
    assert (source.ids, source.db) == (("5", "6"), "gene")


# --- read_source: json and jsonl ------------------------------------------------------------


def records(*rows: tuple[str, ...]) -> list[dict[str, str | None]]:
    return [
        dict(zip(LINK_COLUMNS, r, strict=True)) | {"score": None, "target_acc": None} for r in rows
    ]


ROWS = [link_row("1", "1000007"), link_row("2", "1000014"), link_row("3", "1000007")]


def test_json_array_of_link_rows() -> None:
    source = read_source(json.dumps(records(*ROWS), indent=1).encode())
    assert (source.ids, source.db, source.form) == (("1000007", "1000014"), "protein", "json")


def test_jsonl_link_rows() -> None:
    data = "".join(json.dumps(r) + "\n\n" for r in records(*ROWS)).encode()
    source = read_source(data)
    assert (source.ids, source.db, source.form) == (("1000007", "1000014"), "protein", "jsonl")


@pytest.mark.parametrize("form", ["json", "jsonl"])
def test_json_of_older_releases_with_six_keys_still_reads(form: str) -> None:
    old_keys = LINK_COLUMNS[:6]
    assert "source_uid" not in old_keys and "target_acc" not in old_keys
    old = [{k: v for k, v in r.items() if k in old_keys} for r in records(*ROWS)]
    assert all(len(r) == 6 for r in old)
    if form == "json":
        data = json.dumps(old).encode()
    else:
        data = "".join(json.dumps(r) + "\n" for r in old).encode()
    source = read_source(data)
    assert (source.ids, source.db, source.form) == (("1000007", "1000014"), "protein", form)


def test_json_single_object_and_empty_array() -> None:
    one = read_source(b'  {"target_db": "gene", "target_id": 5}', "json")
    assert (one.ids, one.db) == (("5",), "gene")
    assert read_source(b"[]") == IdSource((), None, "json")
    assert read_source(b"[\n]\n") == IdSource((), None, "json")


def test_json_null_or_empty_target_is_skipped() -> None:
    rows = [
        {"target_db": "gene", "target_id": None},
        {"target_db": "gene", "target_id": ""},
        {"target_db": "gene", "target_id": "8"},
    ]
    assert read_source(json.dumps(rows).encode()).ids == ("8",)


def test_json_mixed_target_databases_is_a_usage_error() -> None:
    rows = [{"target_db": "gene", "target_id": "1"}, {"target_db": "protein", "target_id": "2"}]
    with pytest.raises(UsageError, match="mixes databases"):
        read_source(json.dumps(rows).encode())
    lines = "".join(json.dumps(r) + "\n" for r in rows).encode()
    with pytest.raises(UsageError, match="mixes databases"):
        read_source(lines)


def test_chain_json_path_objects_pass_on_the_last_hop() -> None:
    chains = [
        {"path": [{"db": "gene", "id": "1"}, {"db": "protein", "id": "10"}]},
        {"path": [{"db": "gene", "id": "2"}, {"db": "protein", "id": "20"}]},
        {"path": [{"db": "gene", "id": "3"}, {"db": "protein", "id": "10"}]},
    ]
    as_json = read_source(json.dumps(chains).encode())
    as_jsonl = read_source("".join(json.dumps(c) + "\n" for c in chains).encode())
    assert (as_json.ids, as_json.db, as_json.form) == (("10", "20"), "protein", "json")
    assert (as_jsonl.ids, as_jsonl.db, as_jsonl.form) == (("10", "20"), "protein", "jsonl")


def test_json_check_style_rows_pass_on_their_source() -> None:
    rows = [{"source_db": "pubmed", "source_id": "11", "has_neighbor": True}]
    assert read_source(json.dumps(rows).encode()) == IdSource(("11",), "pubmed", "json")


@pytest.mark.parametrize(
    "data",
    [b'[{"target_id": "1",}]', b"[1, 2", b'["1", "2"]', b"[[1]]", b'"1"'],
    ids=["trailing-comma", "unclosed", "strings", "nested", "scalar"],
)
def test_malformed_json_is_a_usage_error(data: bytes) -> None:
    with pytest.raises(UsageError) as info:
        read_source(data, "json")
    assert "stdin" in str(info.value)


def test_malformed_json_names_the_line() -> None:
    with pytest.raises(UsageError, match=r"line 3"):
        read_source(b'[\n{"target_id": "1"},\n{"target_id": }\n]')


def test_malformed_jsonl_names_the_line() -> None:
    data = b'{"target_id": "1", "target_db": "gene"}\n\n{"target_id": \n'
    with pytest.raises(UsageError, match=r"jsonl line 3"):
        read_source(data)


def test_jsonl_non_object_record_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="objects"):
        read_source(b'{"target_id": "1"}\n5\n')


@pytest.mark.parametrize("form", ["json", "jsonl"])
def test_deeply_nested_json_is_a_usage_error(form: str) -> None:
    data = b"[" * 200_000 if form == "json" else b'{"a":' * 200_000
    with pytest.raises(UsageError):
        read_source(data)


# --- read_source / parse_message: ENTREZ_DIRECT ---------------------------------------------


def test_parse_message_reads_every_element() -> None:
    msg = parse_message(FULL)
    assert msg == EDirectMessage(
        db="pubmed",
        ids=("101", "102", "101"),
        webenv="MCID_abc",
        query_key="3",
        count=4,
        step=2,
        error=None,
        tool="edirect",
        email="me@example.org",
        labels=LABELS,
        query="BRCA1[ti]",
        mindate="2001",
        maxdate="2002/06",
        reldate="30",
        datetype="PDAT",
        extra=(("Other", "kept"),),
    )
    assert msg.has_history


def test_parse_message_error_element() -> None:
    msg = parse_message(message("<Db>pubmed</Db><Error>Query syntax error &amp; more</Error>"))
    assert msg.error == "Query syntax error & more"
    assert msg.ids == () and msg.count is None


def test_parse_message_keeps_multiline_labels_verbatim() -> None:
    labels = (
        "<Labels>\n    <Label><Key>A</Key><Val>1</Val></Label>\n"
        "    <Label><Key>B</Key><Val>x &lt; y</Val></Label>\n  </Labels>"
    )
    msg = parse_message(message("<Db>gene</Db>\n  ", labels, "\n  <Id>1</Id>\n"))
    assert msg.labels == labels


def test_parse_message_empty_elements_are_absent() -> None:
    msg = parse_message(message("<Db></Db><WebEnv/><Count></Count><Step> </Step>"))
    assert msg == EDirectMessage()
    assert not msg.has_history


def test_read_source_message_with_ids() -> None:
    data = message("<Db>gene</Db><Count>3</Count><Step>1</Step><Id>672</Id><Id>7157</Id>")
    source = read_source(data)
    assert (source.ids, source.db, source.form) == (("672", "7157"), "gene", "edirect")
    assert source.message == parse_message(data)


def test_read_source_message_with_history() -> None:
    data = message("<Db>gene</Db><WebEnv>W</WebEnv><QueryKey>1</QueryKey><Count>9</Count>")
    source = read_source(data)
    assert source.ids == ()
    assert source.message is not None and source.message.has_history
    assert (source.message.webenv, source.message.query_key, source.message.count) == (
        "W",
        "1",
        9,
    )


@pytest.mark.parametrize(
    ("body", "tag"),
    [("<Count>four</Count>", "Count"), ("<Step>2b</Step>", "Step"), ("<Count>-1</Count>", "Count")],
)
def test_non_numeric_count_or_step_is_a_usage_error(body: str, tag: str) -> None:
    with pytest.raises(UsageError, match=f"non-numeric <{tag}>"):
        parse_message(message("<Db>gene</Db>", body))


@pytest.mark.parametrize("value", ["²", "1²", "9" * 5000], ids=["superscript", "mixed", "huge"])
def test_count_that_int_refuses_is_a_usage_error(value: str) -> None:
    with pytest.raises(UsageError):
        parse_message(message(f"<Count>{value}</Count>"))


@pytest.mark.parametrize(
    "data",
    [
        b"<ENTREZ_DIRECT><Db>gene</Db>",
        b"<ENTREZ_DIRECT><Db>gene</Dc></ENTREZ_DIRECT>",
        b"<ENTREZ_DIRECT><Db>a & b</Db></ENTREZ_DIRECT>",
        b"<ENTREZ_DIRECT></ENTREZ_DIRECT><ENTREZ_DIRECT></ENTREZ_DIRECT>",
        b"<ENTREZ_DIRECT><Id>1\xff</Id></ENTREZ_DIRECT>",
        b"",
    ],
    ids=["unclosed", "mismatched", "bare-ampersand", "two-roots", "not-utf8", "empty"],
)
def test_malformed_message_is_a_usage_error(data: bytes) -> None:
    with pytest.raises(UsageError, match="malformed ENTREZ_DIRECT"):
        parse_message(data)
    with pytest.raises(UsageError):
        read_source(data, "edirect")


def test_other_root_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="not an ENTREZ_DIRECT message"):
        read_source(b"<eSearchResult><Count>1</Count></eSearchResult>", "edirect")


def test_unknown_declared_encoding_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        parse_message(b'<?xml version="1.0" encoding="no-such-codec"?><ENTREZ_DIRECT/>')


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE ENTREZ_DIRECT [\n <!ENTITY lol "lol">\n'
    + b"".join(
        f' <!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10}">\n'.replace("lol0", "lol").encode()
        for n in range(1, 10)
    )
    + b"]>\n<ENTREZ_DIRECT><Db>&lol9;</Db><Id>1</Id></ENTREZ_DIRECT>\n"
)
EXTERNAL = (
    b'<?xml version="1.0"?>\n<!DOCTYPE ENTREZ_DIRECT [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<ENTREZ_DIRECT><Db>&x;</Db></ENTREZ_DIRECT>"
)
ONE_ENTITY = (
    b'<!DOCTYPE ENTREZ_DIRECT [<!ENTITY db "gene">]><ENTREZ_DIRECT><Db>&db;</Db></ENTREZ_DIRECT>'
)


def within(seconds: float, fn, *args):
    """fn(*args) in a thread; fails the test (not hangs it) when it takes longer."""
    outcome: list[object] = []

    def target() -> None:
        try:
            outcome.append(("value", fn(*args)))
        except BaseException as exc:
            outcome.append(("raised", exc))

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    assert outcome, f"{fn.__name__} still running after {seconds} s"
    return outcome[0]


@pytest.mark.parametrize(
    "data", [BILLION_LAUGHS, EXTERNAL, ONE_ENTITY], ids=["billion-laughs", "external", "entity"]
)
def test_entity_declarations_are_refused_without_hanging(data: bytes) -> None:
    # The standard parser would expand the entity: the refusal is defusedxml's.
    assert std_fromstring(ONE_ENTITY).find("Db").text == "gene"  # type: ignore[union-attr]
    kind, value = within(10, parse_message, data)
    assert kind == "raised" and isinstance(value, UsageError), value
    assert "malformed ENTREZ_DIRECT" in str(value)
    kind, value = within(10, read_source, data, "edirect")
    assert kind == "raised" and isinstance(value, UsageError), value


def test_billion_laughs_in_auto_mode_never_expands() -> None:
    # A DOCTYPE before the root is not detected as a message; whatever form is chosen, the
    # entities are never expanded into ids.
    kind, value = within(10, read_source, BILLION_LAUGHS)
    if kind == "value":
        assert isinstance(value, IdSource)
        assert not any("lollol" in i for i in value.ids)
    else:
        assert isinstance(value, UsageError), value


# --- render_message -------------------------------------------------------------------------


def test_render_message_element_order() -> None:
    msg = EDirectMessage(
        db="protein",
        ids=("5", "6"),
        webenv="MCID_1",
        query_key="2",
        count=2,
        step=3,
        error="oops",
        tool="edirect",
        email="me@example.org",
        labels=LABELS,
    )
    text = render_message(msg)
    assert tags(text) == [*ORDER, "Id", "Id"]
    expected = (
        "<ENTREZ_DIRECT>\n"
        "  <Db>protein</Db>\n"
        "  <WebEnv>MCID_1</WebEnv>\n"
        "  <QueryKey>2</QueryKey>\n"
        "  <Count>2</Count>\n"
        "  <Step>3</Step>\n"
        "  <Error>oops</Error>\n"
        "  <Tool>edirect</Tool>\n"
        "  <Email>me@example.org</Email>\n"
        f"  {LABELS}\n"
        "  <Id>5</Id>\n"
        "  <Id>6</Id>\n"
        "</ENTREZ_DIRECT>\n"
    )
    assert text == expected


def test_render_message_leaves_out_what_is_unset_but_keeps_count_zero() -> None:
    text = render_message(EDirectMessage(db="gene", count=0, step=1))
    assert tags(text) == ["Db", "Count", "Step"]
    assert "<Count>0</Count>" in text


@pytest.mark.parametrize(
    "msg",
    [
        EDirectMessage(db="pubmed", ids=("1", "2", "3"), count=3, step=1),
        EDirectMessage(db="gene", webenv="MCID_x", query_key="4", count=20, step=2),
        EDirectMessage(
            db="protein",
            ids=("NP_000537.3",),
            count=1,
            step=5,
            tool="a & b <c>",
            email="x@y.org",
            labels=LABELS,
        ),
        EDirectMessage(db="gene", count=0, error="Bad & <worse>"),
        EDirectMessage(),
    ],
    ids=["ids", "history", "labels", "error", "empty"],
)
def test_render_then_parse_is_the_same_message(msg: EDirectMessage) -> None:
    assert parse_message(render_message(msg).encode()) == msg


def test_parse_then_render_keeps_labels_tool_email() -> None:
    msg = parse_message(FULL)
    again = parse_message(render_message(msg).encode())
    assert (again.labels, again.tool, again.email) == (LABELS, "edirect", "me@example.org")
    assert again.ids == msg.ids


# --- properties: never another exception than UsageError ------------------------------------


def _only_usage_errors(data: bytes, form: str) -> None:
    try:
        result = read_source(data, form)
    except UsageError:
        return
    assert isinstance(result, IdSource)
    assert all(isinstance(i, str) and i for i in result.ids)
    assert len(set(result.ids)) == len(result.ids) or result.form in ("plain", "edirect")


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=2000), form=st.sampled_from(INPUT_FORMATS))
def test_read_source_on_arbitrary_bytes(data: bytes, form: str) -> None:
    _only_usage_errors(data, form)


PREFIXES = [b"", b"[", b"{", b"<ENTREZ_DIRECT>", TSV_HEADER.encode() + b"\n", b"gene\tprotein\n"]


@settings(max_examples=300, deadline=None)
@given(prefix=st.sampled_from(PREFIXES), data=st.binary(max_size=500))
def test_read_source_on_bytes_after_a_form_prefix(prefix: bytes, data: bytes) -> None:
    _only_usage_errors(prefix + data, "auto")


@settings(max_examples=300, deadline=None)
@given(body=st.text(max_size=500), declaration=st.booleans())
def test_read_source_on_arbitrary_text_in_a_message(body: str, declaration: bool) -> None:
    data = message(body, declaration=declaration)
    _only_usage_errors(data, "auto")
    _only_usage_errors(data, "edirect")


ELEMENTS = st.sampled_from([*ORDER, "Id", "Query", "Unknown"])


def _no_odd_digits(part: tuple[str, str]) -> bool:
    # Non-ASCII digits in Count/Step are a known bug, pinned by
    # test_count_that_int_refuses_is_a_usage_error; keep this property about the rest.
    tag, text = part
    return tag not in ("Count", "Step") or all(c.isascii() or not c.isdigit() for c in text)


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(
        st.tuples(ELEMENTS, st.text(max_size=20)).filter(_no_odd_digits),
        max_size=8,
    )
)
def test_read_source_on_messages_with_arbitrary_element_text(
    parts: list[tuple[str, str]],
) -> None:
    body = "".join(f"<{tag}>{text}</{tag}>" for tag, text in parts)
    _only_usage_errors(message(body), "auto")
