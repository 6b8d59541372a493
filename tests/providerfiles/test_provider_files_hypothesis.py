"""Arbitrary input never makes the readers raise: they give problems or a model."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.paths import TESTS

from elinkcli.providerfiles.convert import convert_ft
from elinkcli.providerfiles.ftfile import read_ft
from elinkcli.providerfiles.model import Problem, ResourceFile
from elinkcli.providerfiles.preview import preview
from elinkcli.providerfiles.rules import query_problems
from elinkcli.providerfiles.validate import validate_bytes
from elinkcli.providerfiles.xmlfile import read_xml
from elinkcli.providerfiles.xmlresource import check_xml

FIXTURES = TESTS / "fixtures" / "linkout_files"
SEEDS = [
    (FIXTURES / name).read_text(encoding="utf-8")
    for name in (
        "nucleotide_resources.xml",
        "example_2.xml",
        "providerinfo.xml",
        "nucleotide_example_3.ft",
        "taxonomy_example_1_fixed.ft",
        "seed_snippets.xml",
    )
]
PIECES = [
    "<", ">", "&", ";", "&lo.id;", "&lo.", "&amp;lo.id;", "&base.url;", "<!ENTITY x \"&x;\">",
    "<!DOCTYPE LinkSet [", "]>", "<!--", "-->", "<![CDATA[", "]]>", "%x;", "<Rule>", "</Rule>",
    "<pad with=\"0\" width=\"x\">", "</pad>", "<RuleToMany>", "\n", "------", "query:", "base:",
    "rule:", "linkid: 1", "!e: &e;", "\"", "'", "\u00e9", "\ue000", "\ue0001\ue001", "\x00",
    "[orgn", "1:2[uid]", "*", "&#0;", "&#x110000;",
]  # fmt: skip

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def mutate(seed: str, cuts: list[tuple[int, str]]) -> str:
    for position, piece in cuts:
        at = position % (len(seed) + 1)
        seed = seed[:at] + piece + seed[at:]
    return seed


mutations = st.builds(
    mutate,
    st.sampled_from(SEEDS),
    st.lists(
        st.tuples(st.integers(0, 10_000), st.sampled_from(PIECES) | st.text(max_size=5)), max_size=6
    ),
)


def _well_formed_result(problems: tuple[Problem, ...] | list[Problem]) -> None:
    for p in problems:
        assert p.severity in ("error", "warning")
        assert p.line >= 1
        assert p.format()


@SETTINGS
@given(st.text())
def test_ft_reader_never_raises(text: str) -> None:
    result = read_ft(text, "x.ft")
    assert isinstance(result.resource, ResourceFile)
    _well_formed_result(result.problems)


@SETTINGS
@given(st.binary() | st.text().map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_xml_reader_never_raises(data: bytes) -> None:
    doc = read_xml(data, "x.xml")
    _model, problems = check_xml(doc, "x.xml")
    _well_formed_result(doc.problems + problems)


@SETTINGS
@given(mutations)
def test_mutated_seed_files_never_raise(text: str) -> None:
    for name in ("resources.xml", "resources.ft", "providerinfo.xml"):
        report = validate_bytes(text.encode("utf-8", "surrogatepass"), name)
        _well_formed_result(report.problems)
        if report.resource is not None:
            preview(report.resource, [{"lo.id": ["1"], "lo.pacc": ["A1", "B2"]}])
    conversion = convert_ft(text.encode("utf-8", "surrogatepass"), "x.ft", "x.ft")
    if conversion.xml is not None:
        assert validate_bytes(conversion.xml.encode("utf-8", "surrogatepass"), "x.xml").errors == 0


@SETTINGS
@given(st.text())
def test_query_checks_never_raise(query: str) -> None:
    assert all(isinstance(message, str) for message in query_problems(query))


@SETTINGS
@given(
    st.lists(
        st.sampled_from(
            [
                "linkid: 1",
                "query: a [orgn]",
                "uids: 1 2",
                "base: http://x.org/",
                "rule: &lo.id;",
                "name: n",
                "stype: mapping",
                "attr: preference",
                "prid: 1",
                "dbase: pubmed",
                "!b: http://y.org/",
                "------",
                "",
            ]
        ),
        max_size=25,
    )
)
def test_converted_ft_round_trips(lines: list[str]) -> None:
    """Whenever a .ft file has no error, its XML describes the same links."""
    text = "\n".join(lines)
    conversion = convert_ft(text.encode(), "x.ft", "x.ft")
    if conversion.xml is None:
        return
    doc = read_xml(conversion.xml.encode(), "x.xml")
    model, problems = check_xml(doc, "x.xml")
    assert not doc.problems and not [p for p in problems if p.severity == "error"]
    assert isinstance(model, ResourceFile)
    assert model.links == read_ft(text, "x.ft").resource.links
