"""Hostile values inside provider files: widths, sizes, encodings, private-use characters
and text quoted back in messages are bounded, and reported as problems, never raised."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import pytest

from elinkcli.errors import ElinkError, ExitStatus
from elinkcli.providerfiles.convert import convert_ft
from elinkcli.providerfiles.model import Problem
from elinkcli.providerfiles.preview import UrlTooLong, apply_modifier, preview
from elinkcli.providerfiles.rules import (
    MAX_GLOBAL_VALUES,
    MAX_PAD_WIDTH,
    MAX_URL_CHARS,
    MAX_XML_BYTES,
    is_number,
    pad_width,
    vocabulary_problem,
)
from elinkcli.providerfiles.text import MAX_SHOWN, quoted, shown
from elinkcli.providerfiles.validate import validate_bytes
from elinkcli.providerfiles.xmlfile import _PRIVATE_USE

ELINKCLI = str(Path(sys.executable).parent / "elinkcli")
MAX_RSS_KIB = 200 * 1024
MAX_PEAK_BYTES = 20 * 1024 * 1024  # what the library allocates for a file of a few KB

HEAD = '<?xml version="1.0"?>\n<!DOCTYPE LinkSet PUBLIC "-//NLM//DTD LinkOut 1.0//EN" "x.dtd">\n'
FT_HEAD = "prid: 1234\ndbase: pubmed\n"
FT_LINK = "---\nlinkid: 1\nuids: 1\nbase: http://x.org/\n"

# C0, DEL, C1, bidi controls and marks, line and paragraph separators.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
EVIL = "\x1b[2J\u202eevil\u2028two\nthree\x85\x9b\u2066\u200f\u061c\x7f" + "x" * 300
# XML 1.0 has no C0 control but tab, line feed and carriage return.
XML_EVIL = "\t[2J\u202eevil\u2028two\nthree\x85\x9b\u2066\u200f\u061c\x7f" + "x" * 300

_MEASURE = """
import json, resource, subprocess, sys
ran = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(json.dumps({
    "code": ran.returncode, "stdout": ran.stdout, "stderr": ran.stderr,
    "rss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
}))
"""


def link(rule: str, link_id: str = "1", base: str = "http://x.org/", **fields: str) -> str:
    values = {"provider": "1234", "database": "PubMed", "uid": "1", "extra": ""} | fields
    return (
        f"<Link><LinkId>{link_id}</LinkId><ProviderId>{values['provider']}</ProviderId>"
        f"<ObjectSelector><Database>{values['database']}</Database><ObjectList>"
        f"<ObjId>{values['uid']}</ObjId></ObjectList></ObjectSelector><ObjectUrl>"
        f"<Base>{base}</Base><Rule>{rule}</Rule>{values['extra']}</ObjectUrl></Link>\n"
    )


def xml(*links: str, head: str = HEAD) -> bytes:
    return (head + "<LinkSet>" + "".join(links) + "</LinkSet>\n").encode()


def errors(data: bytes, name: str = "resources.xml") -> list[Problem]:
    return [p for p in validate_bytes(data, name).problems if p.severity == "error"]


def peak_bytes(data: bytes, name: str = "resources.xml") -> int:
    tracemalloc.start()
    try:
        validate_bytes(data, name)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@dataclass(frozen=True)
class Child:
    code: int
    stdout: str
    stderr: str
    rss_kib: int

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def elinkcli(*args: str | Path) -> Child:
    """The installed command in a child whose peak RSS is measured alone."""
    measured = subprocess.run(
        [sys.executable, "-c", _MEASURE, ELINKCLI, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return Child(**json.loads(measured.stdout))


def assert_one_error_line(child: Child, reason: str) -> None:
    assert child.code == ExitStatus.ERROR, child.output
    assert "Traceback" not in child.output and "internal error" not in child.output
    assert len([line for line in child.output.splitlines() if reason in line]) == 1, child.output
    assert child.rss_kib < MAX_RSS_KIB, f"peak RSS {child.rss_kib} KiB"


# --- pad and apad widths ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "why"),
    [
        (str(MAX_PAD_WIDTH + 1), f"is more than {MAX_PAD_WIDTH}"),
        ("999999999", f"is more than {MAX_PAD_WIDTH}"),
        ("100000000000000000000", f"is more than {MAX_PAD_WIDTH}"),
        ("9" * 5000, f"is more than {MAX_PAD_WIDTH}"),  # past int()'s 4300 digits
        ("1e20", "is not a whole number"),
        ("\u00b2", "is not a whole number"),  # '²'.isdigit() is True
        ("\u0661\u0662", "is not a whole number"),  # Arabic-Indic 12
        ("\uff16", "is not a whole number"),  # fullwidth 6
        ("-1", "is not a whole number"),
        ("+6", "is not a whole number"),
        ("6 6", "is not a whole number"),
        ("", "is not a whole number"),
    ],
)
@pytest.mark.parametrize("modifier", ["pad", "apad"])
def test_a_bad_pad_width_is_an_error_on_its_line(modifier: str, width: str, why: str) -> None:
    rule = f'?id=<{modifier} with="0" width="{width}">&lo.id;</{modifier}>'
    data = xml(link(rule))
    (problem,) = errors(data)
    assert problem.message.startswith("width=") and why in problem.message
    assert f"of <{modifier}>" in problem.message
    line = data.decode().splitlines()[problem.line - 1]
    assert line[problem.col - 1 :].startswith(f"<{modifier} ")  # type: ignore[operator]
    assert len(problem.message) < 200


def test_a_wide_pad_costs_no_memory_in_validate_or_preview() -> None:
    """The 384-byte file that made validate take 2.95 GB and preview 4.9 GB."""
    data = xml(link('?id=<pad with="0" width="999999999">&lo.id;</pad>'))
    assert len(data) < 400
    assert peak_bytes(data) < MAX_PEAK_BYTES
    report = validate_bytes(data, "resources.xml")
    assert report.resource is not None
    (row,) = preview(report.resource, [{"lo.id": ["42"]}])
    assert row.url == "http://x.org/?id=42"  # a width that is refused pads nothing


@pytest.mark.parametrize(
    ("width", "expected"),
    [
        (str(MAX_PAD_WIDTH), "0" * (MAX_PAD_WIDTH - 2) + "42"),
        (" 6 ", "000042"),
        ("0" * 4000 + "6", "000042"),
        ("0", "42"),
    ],
)
def test_pad_widths_up_to_the_maximum_are_applied(width: str, expected: str) -> None:
    data = xml(link(f'?id=<pad with="0" width="{width}">&lo.id;</pad>'))
    assert errors(data) == []
    assert pad_width(width) == len(expected) if width != "0" else pad_width(width) == 0
    report = validate_bytes(data, "resources.xml")
    assert report.resource is not None
    (row,) = preview(report.resource, [{"lo.id": ["42"]}])
    assert row.url == "http://x.org/?id=" + expected


def test_a_long_fill_string_pads_only_the_width() -> None:
    assert apply_modifier("pad", {"with": "ab" * 100_000, "width": "5"}, "1") == "abab1"
    assert apply_modifier("pad", {"with": "xy", "width": "4", "align": "left"}, "1") == "1xyx"
    assert apply_modifier("apad", {"with": "0", "width": "\u00b2"}, "E3") == "E3"


def test_the_installed_command_refuses_a_wide_pad_in_little_memory(tmp_path: Path) -> None:
    path = tmp_path / "resources.xml"
    path.write_bytes(xml(link('?id=<pad with="0" width="100000000000000000000">&lo.id;</pad>')))
    child = elinkcli("linkout", "validate", path)
    assert_one_error_line(child, f"of <pad> is more than {MAX_PAD_WIDTH}")
    preview_child = elinkcli("linkout", "preview", path, "--value", "lo.id=7")
    assert preview_child.code == 0, preview_child.output
    assert preview_child.stdout.splitlines()[1] == "1\thttp://x.org/?id=7"
    assert preview_child.rss_kib < MAX_RSS_KIB


# --- other sizes a file chooses --------------------------------------------------------


def test_nested_subs_cannot_grow_a_url_past_the_limit() -> None:
    """Each level multiplies the text by ten: 9 levels made validate take 2.95 GB."""
    grow = '<subs for="1" with="1111111111">'
    data = xml(link("?id=" + grow * 9 + "&lo.id;" + "</subs>" * 9))
    assert peak_bytes(data) < MAX_PEAK_BYTES
    (problem,) = errors(data)
    assert f"more than {MAX_URL_CHARS:,} characters" in problem.message
    report = validate_bytes(data, "resources.xml")
    assert report.resource is not None
    with pytest.raises(UrlTooLong, match=r"LinkId 1 \(line 3\), record 1: Base \+ Rule"):
        preview(report.resource, [{"lo.id": ["1"]}])
    assert issubclass(UrlTooLong, ElinkError) and UrlTooLong.exit_status == ExitStatus.ERROR


def test_a_long_base_or_many_values_are_refused_at_the_limit() -> None:
    data = xml(link("?id=&lo.id;", base="http://x.org/" + "a" * MAX_URL_CHARS))
    assert [p.message for p in errors(data)] == [
        f"Base + Rule make a URL of more than {MAX_URL_CHARS:,} characters "
        "(web servers refuse URLs over 8 KB)"
    ]
    many = (
        "<Link><LinkId>1</LinkId><ProviderId>1</ProviderId><ObjectSelector><Database>PubMed"
        "</Database><ObjectList><ObjId>1</ObjId></ObjectList></ObjectSelector><ObjectUrl>"
        "<Base>http://x.org/?</Base><RuleToMany><Rule>au=&lo.auth;</Rule><Separator>&amp;"
        "</Separator></RuleToMany></ObjectUrl></Link>"
    )
    report = validate_bytes(xml(many), "resources.xml")
    assert report.errors == 0 and report.resource is not None
    (row,) = preview(report.resource, [{"lo.auth": ["a", "b"]}])
    assert row.url == "http://x.org/?au=a&au=b"
    with pytest.raises(UrlTooLong):
        preview(report.resource, [{"lo.auth": ["x" * 100] * 100}])


def test_the_installed_preview_reports_a_url_bomb_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "resources.xml"
    grow = '<subs for="1" with="1111111111">'
    path.write_bytes(xml(link("?id=" + grow * 12 + "&lo.id;" + "</subs>" * 12)))
    child = elinkcli("linkout", "preview", path, "--value", "lo.id=1")
    assert_one_error_line(child, "elinkcli: error: LinkId 1 (line 3), record 1:")
    assert child.stdout == ""


def test_global_values_of_a_ft_file_are_bounded() -> None:
    stypes = "".join(f"stype: kind {i}\n" for i in range(MAX_GLOBAL_VALUES + 5))
    repeated = "stype: mapping\n" * 1000  # the same value many times is one value
    links = "".join(f"---\nlinkid: {i}\nuids: 1\nbase: http://x.org/\n" for i in range(3))
    report = validate_bytes((FT_HEAD + repeated + stypes + links).encode(), "a.ft")
    bounded = [p for p in report.problems if "different stype: values" in p.message]
    assert [(p.severity, p.line) for p in bounded] == [("error", 3 + 1000 + MAX_GLOBAL_VALUES - 1)]
    assert report.resource is not None
    for made in report.resource.links:
        assert len(made.urls[0].subject_types) == MAX_GLOBAL_VALUES
    # Each unlisted global value is one warning, not one per link.
    warned = [p for p in report.problems if "kind 0" in p.message]
    assert len(warned) == 1 and warned[0].line == 1003


def test_convert_refuses_xml_past_the_limit_before_building_it() -> None:
    """A 3 MB global stype: repeated in 300 links made a 900 MB XML file (2.7 GB)."""
    links = "".join(f"---\nlinkid: {i}\nuids: 1\nbase: http://x.org/\n" for i in range(300))
    data = (FT_HEAD + "stype: " + "x" * 3_000_000 + "\n" + links).encode()
    tracemalloc.start()
    try:
        conversion = convert_ft(data, "a.ft", "a.ft")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert conversion.xml is None
    assert [p.message for p in conversion.problems if p.severity == "error"] == [
        f"the XML resource file would be more than {MAX_XML_BYTES // (1024 * 1024)} MB, the "
        "limit for XML files (each link repeats the global dbase:, stype: and attr: values): "
        "split the .ft file"
    ]
    assert peak < 4 * MAX_XML_BYTES
    small = convert_ft((FT_HEAD + "stype: mapping\n" + links).encode(), "a.ft", "a.ft")
    assert small.xml is not None and small.xml.count("<SubjectType>mapping<") == 300


def test_a_long_unlisted_value_is_warned_about_without_indexing_it() -> None:
    value = "organism-specific" * 200_000
    tracemalloc.start()
    try:
        why = vocabulary_problem("SubjectType", value)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert why == f"SubjectType {quoted(value)} is not in the LinkOut DTD list"
    assert peak < 4 * len(value)  # a copy or two; difflib's index took about 30 times it
    assert vocabulary_problem("SubjectType", "organism-specifc") == (
        "SubjectType 'organism-specifc' is not in the LinkOut DTD list "
        "(did you mean 'organism-specific'?)"
    )


def test_only_real_keywords_are_named_as_missing_values() -> None:
    report = validate_bytes(xml(link(f"?a=&lo.{'z' * 5000};&amp;b=&lo.pacc;")), "a.xml")
    assert report.resource is not None
    missing: set[str] = set()
    (row,) = preview(report.resource, [{}], missing)
    assert missing == {"lo.pacc"}
    assert row.url == f"http://x.org/?a=&lo.{'z' * 5000};&b=&lo.pacc;"


# --- numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["\u00b2", "\u0661\u0662\u0663", "\uff11", "1\u00b2", "", " 1"])
def test_numbers_are_ascii_digits_only(text: str) -> None:
    assert not is_number(text)
    assert is_number("0123456789")


def test_unicode_digits_are_not_provider_ids_or_uids() -> None:
    data = xml(link("?id=&lo.id;", provider="\u0661\u0662", uid="\u00b2\u00b3"))
    report = validate_bytes(data, "resources.xml")
    messages = [(p.severity, p.message) for p in report.problems]
    assert ("error", "ProviderId '١٢' is not a number") in messages
    assert ("warning", "UID '²³' is not a number") in messages


def test_a_character_reference_with_thousands_of_digits_is_a_problem() -> None:
    text = FT_HEAD + FT_LINK.replace(
        "base: http://x.org/", "base: http://x.org/&#" + "9" * 5000 + ";"
    )
    report = validate_bytes(text.encode(), "a.ft")
    bad = [p for p in report.problems if "is not a character XML allows" in p.message]
    assert len(bad) == 1 and len(bad[0].message) < 200


# --- private-use markers ---------------------------------------------------------------


def _private_use(count: int | None = None) -> list[int]:
    codes = [code for block in _PRIVATE_USE for code in block]
    return codes if count is None else codes[:count]


@pytest.mark.parametrize("written", ["characters", "references"])
def test_a_file_using_every_private_use_character_is_one_error(written: str) -> None:
    codes = _private_use()
    if written == "characters":
        filler = "".join(map(chr, codes))
    else:
        filler = "".join(f"&#x{code:X};" if code % 2 else f"&#{code};" for code in codes)
    data = xml(link("?id=&lo.id;") + f"<!--{filler}-->")
    (problem,) = errors(data)
    assert "private-use character" in problem.message
    assert (problem.line, problem.col) == (1, 1)


def test_markers_skip_the_private_use_characters_the_file_uses() -> None:
    """All of the first block is used (some as references): the markers come from the next,
    and the keywords are still found where they are."""
    codes = _private_use(6400 + 3)
    used = "".join(map(chr, codes[:-3])) + "".join(f"&#x{c:x};" for c in codes[-3:])
    data = xml(link("?id=&lo.id;&amp;x=" + used[:5] + "&#xE001;") + f"<!--{used}-->")
    report = validate_bytes(data, "resources.xml")
    assert report.errors == 0, [p.format() for p in report.problems]
    assert report.resource is not None
    (row,) = preview(report.resource, [{"lo.id": ["9"]}])
    assert row.url == "http://x.org/?id=9&x=" + used[:5] + "\ue001"


# --- encodings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "why"),
    [
        ("punycode", "which is not a text encoding"),
        ("idna", "which is not a text encoding"),
        ("rot13", "which is not a text encoding"),
        ("base64", "which is not a text encoding"),
        ("hex", "which is not a text encoding"),
        ("zlib", "which is not a text encoding"),
        ("unicode_escape", "which is not a text encoding"),
        ("undefined", "which is not a text encoding"),
        ("no-such-codec", "which is not known"),
    ],
)
def test_an_encoding_that_is_not_a_text_encoding_is_one_error(encoding: str, why: str) -> None:
    data = f'<?xml version="1.0" encoding="{encoding}"?>\n'.encode() + xml(link("&lo.id;"), head="")
    (problem,) = validate_bytes(data, "resources.xml").problems
    assert problem.severity == "error" and problem.line == 1
    assert problem.message == f"the XML declaration names encoding '{encoding}', {why}" + (
        " (use UTF-8)" if "text encoding" in why else ""
    )


def test_bytes_not_valid_in_the_declared_encoding_are_one_error_on_their_line() -> None:
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    data = head.encode() + xml(link("caf\u00e9&lo.id;"), head="").replace(
        "\u00e9".encode(), b"\xe9"
    )
    (problem,) = validate_bytes(data, "resources.xml").problems
    assert problem.line == 2
    bad = data.index(b"\xe9") + 1
    assert problem.message == (
        f"byte {bad:,} is not valid UTF-8 (the encoding the XML declaration names)"
    )


def test_a_long_encoding_name_is_cut_in_the_message() -> None:
    data = f'<?xml version="1.0" encoding="{"x" * 100_000}"?>\n'.encode() + xml(link(""), head="")
    (problem,) = validate_bytes(data, "resources.xml").problems
    assert len(problem.message) < 200 and "…" in problem.message


def test_the_installed_commands_report_a_bad_encoding_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "resources.xml"
    path.write_bytes(b'<?xml version="1.0" encoding="punycode"?>\n' + xml(link("&lo.id;"), head=""))
    validated = elinkcli("linkout", "validate", path)
    assert_one_error_line(validated, "encoding 'punycode', which is not a text encoding")
    previewed = elinkcli("linkout", "preview", path)
    assert_one_error_line(previewed, "encoding 'punycode', which is not a text encoding")
    assert previewed.stdout == ""


# --- file text quoted in messages ------------------------------------------------------


def test_shown_escapes_what_is_not_printable_and_cuts_long_text() -> None:
    assert shown("a\x1bb\u202ec\u2028d\x85e\x7f\n") == "a\\x1bb\\u202ec\\u2028d\\x85e\\x7f\\n"
    assert shown("\U000e0001") == "\\U000e0001"
    assert shown("x" * 100) == "x" * MAX_SHOWN + "…"
    assert quoted("\u2066x") == "'\\u2066x'"
    assert quoted("y" * 100) == "'" + "y" * MAX_SHOWN + "'…"
    assert shown("caf\u00e9 \u4e2d") == "caf\u00e9 \u4e2d"


def _assert_one_safe_line(problems: tuple[Problem, ...]) -> None:
    for problem in problems:
        text = problem.format()
        assert len(text.splitlines()) == 1, text
        assert UNSAFE.search(problem.message) is None, problem.message
        assert len(problem.message) < 500, problem.message


def test_xml_text_quoted_in_messages_is_one_escaped_bounded_line() -> None:
    evil = XML_EVIL
    strip = f'<strip what="{evil}">&lo.id;</strip>'
    extra = f"<SubjectType>{evil}</SubjectType><Attribute>{evil}</Attribute>"
    data = xml(
        link("?id=&lo.id;" + strip, link_id=evil, provider=evil, uid=evil, extra=extra),
        link(f'<pad with="0" width="{evil}">&lo.pacc;</pad>', link_id=evil, database=evil),
        link("?q=&lo.id;", base=f"http://x.org/{evil}"),
    )
    problems = validate_bytes(data, "resources.xml").problems
    _assert_one_safe_line(problems)
    messages = "\n".join(p.message for p in problems)
    for start in (
        "duplicate LinkId [2J\\u202eevil\\u2028two\\nthree\\x85\\x9b",  # stripped of its tab
        "ProviderId '[2J\\u202e",
        "UID '[2J\\u202e",
        "what=' [2J\\u202e",  # expat makes a tab in an attribute value a space
        "width=' [2J\\u202e",
        "SubjectType '[2J\\u202e",
        "Attribute '[2J\\u202e",
        "Genome), not [2J\\u202e",  # &lo.pacc; on the database named `evil`
        "Base + Rule 'http://x.org/\\t[2J\\u202e",
    ):
        assert start in messages, start


def test_query_tokens_quoted_in_messages_are_one_escaped_bounded_line() -> None:
    query = f"a and 1:2\u202e[vi] 2020/1\u202ex[dp] pmid {XML_EVIL.replace('[', '')}[sb]"
    data = xml(link("&lo.id;").replace("<ObjId>1</ObjId>", f"<Query>{query}</Query>"))
    problems = validate_bytes(data, "resources.xml").problems
    messages = [p.message for p in problems if p.severity == "warning"]
    assert "Boolean operator 'and' must be upper-case (AND)" in messages
    assert "ranges are not allowed in volume searches (1:2\\u202e[vi])" in messages
    assert "field tag 'pmid' must be enclosed in square brackets: [pmid]" in messages
    assert any(m.startswith("malformed date: ") and "(2020/1\\u202ex[dp])" in m for m in messages)
    assert any(m.startswith("do not use the search field tag [sb]") for m in messages)
    _assert_one_safe_line(problems)


def test_ft_text_quoted_in_messages_is_one_escaped_bounded_line() -> None:
    long_name = "e" * 1000
    text = (
        FT_HEAD
        + f"!{long_name}: x\n!{long_name}: y\n"
        + f"---\nlinkid: {EVIL.replace(chr(10), ' ')}\n---\nname: x\n"
        + f"base: &{long_name}x;&amp;lo.{'k' * 500};\n"
        + f"{'f' * 500}: value\n"
    )
    problems = validate_bytes(text.encode("utf-8"), "a.ft").problems
    _assert_one_safe_line(problems)
    messages = "\n".join(p.message for p in problems)
    cut = "e" * MAX_SHOWN + "…"
    for part in (
        f"entity {cut} defined twice",
        "it splits the block of linkid \\x1b[2J\\u202eevil\\u2028two three\\x85",
        f"undefined entity &{cut};",
        f"escaped keyword &amp;lo.{'k' * (MAX_SHOWN - 3)}…;",
        f"unknown field {'f' * MAX_SHOWN}…:",
    ):
        assert part in messages, part
