"""Every file example of the seeds (LinkOut guide 002, provider FAQ 004) through validate.

Valid examples pass with no problem at all; the .ft examples copied verbatim keep the
PDF extraction's damage (fields run together, a separator glued to a value, a page
footer) and each damaged line is reported on its own line number.
"""

from __future__ import annotations

import pytest
from support.paths import TESTS

from elinkcli.providerfiles.model import FileKind
from elinkcli.providerfiles.validate import FileReport, SourceFile, validate, validate_bytes

FIXTURES = TESTS / "fixtures" / "linkout_files"

VALID_XML = [
    "nucleotide_resources.xml",
    "example_1.xml",
    "example_2.xml",
    "example_3.xml",
]
FIXED_FT = [
    "nucleotide_fixed.ft",
    "pubmed_base_url_fixed.ft",
    "taxonomy_example_1_fixed.ft",
    "snp_example_2_fixed.ft",
    "nucleotide_example_3_fixed.ft",
]
# The .ft examples as the seed prints them: the lines PDF extraction damaged.
MANGLED_FT = {
    "nucleotide.ft": [9, 12],
    "pubmed_base_url.ft": [21],
    "taxonomy_example_1.ft": [7, 8, 28],
    "snp_example_2.ft": [9],
    "nucleotide_example_3.ft": [7, 13, 21, 23, 27, 29],
}


def check(name: str) -> FileReport:
    return validate_bytes((FIXTURES / name).read_bytes(), name)


def test_identity_file_passes() -> None:
    report = check("providerinfo.xml")
    assert report.kind is FileKind.identity
    assert report.problems == ()
    identity = report.identity
    assert identity is not None
    assert (identity.provider_id.text, identity.name_abbr.text) == ("7777", "WebDB")
    assert [s.text for s in identity.subject_types] == ["gene/protein/disease-specific"]
    assert [a.text for a in identity.attributes] == ["registration required"]
    assert identity.provider_id.line == 6


@pytest.mark.parametrize("name", VALID_XML)
def test_xml_resource_examples_pass(name: str) -> None:
    report = check(name)
    assert report.kind is FileKind.xml
    assert report.problems == ()
    assert report.resource is not None and report.resource.links


def test_first_xml_example_reads_into_the_model() -> None:
    resource = check("nucleotide_resources.xml").resource
    assert resource is not None
    (link,) = resource.links
    assert (link.link_id.text, link.provider_id.text, link.database.text) == (
        "1",
        "7777",
        "Nucleotide",
    )
    assert [q.text for q in link.queries] == ["Caenorhabditis elegans [orgn]"]
    (url,) = link.urls
    assert url.base == ("http://www.webdatabase.com/cgi-bin/elegans?",)
    assert url.rule is not None and url.rule[0] == "an_lookup="
    assert url.rule[1].name == "lo.pacc"  # type: ignore[union-attr]
    assert (url.rule[1].line, url.rule[1].col) == (18, 22)  # type: ignore[union-attr]
    assert url.name is not None and url.name.text == "Caenorhabditis elegans"
    assert dict(resource.entities)["icon.url"] == "http://www.webdatabase.com/images/webdb.gif"


def test_example_2_entity_with_escaped_ampersands() -> None:
    resource = check("example_2.xml").resource
    assert resource is not None
    (link,) = resource.links
    assert link.urls[0].base == ("http://gti.com/Gateway?source=SNP&res=Assays&",)
    assert [u.text for u in link.uids] == [
        "7928656", "2049045", "1811350", "1871598", "7947824", "681267", "1947741",
    ]  # fmt: skip


@pytest.mark.parametrize("name", FIXED_FT)
def test_repaired_ft_examples_pass(name: str) -> None:
    report = check(name)
    assert report.kind is FileKind.ft
    assert report.problems == ()


@pytest.mark.parametrize(("name", "lines"), MANGLED_FT.items())
def test_mangled_ft_lines_are_reported_exactly(name: str, lines: list[int]) -> None:
    report = check(name)
    assert [p.line for p in report.problems] == lines
    assert all(p.severity == "error" and p.col is None for p in report.problems)


def test_mangled_messages_name_the_damage() -> None:
    by_line = {p.line: p.message for p in check("nucleotide_example_3.ft").problems}
    assert "'base:' is glued to the uids: value" in by_line[7]
    assert "its value is on line 8" in by_line[7]
    assert "'base:' is glued to the query: value" in by_line[13]
    assert "no 'field: value' on this line" in by_line[21]  # the PDF's page footer
    assert "no 'field: value' on this line" in by_line[23]  # its page number
    assert "separator is glued to the end of the rule: value" in by_line[29]
    taxonomy = {p.line: p.message for p in check("taxonomy_example_1.ft").problems}
    assert "'name:' is glued to the rule: value" in taxonomy[7]
    assert "a piece of the name: value on line 7" in taxonomy[8]


@pytest.mark.parametrize("name", MANGLED_FT)
def test_mangled_files_still_describe_the_links_of_their_repair(name: str) -> None:
    """The damaged lines are split the way they were meant: no cascade of errors."""
    mangled = check(name).resource
    fixed = check(name.replace(".ft", "_fixed.ft")).resource
    assert mangled is not None and fixed is not None
    if name == "taxonomy_example_1.ft":  # the wrapped ")" of link 1's name is lost
        assert mangled.links[1:] == fixed.links[1:]
        assert mangled.links[0].urls[0].name.text == "Honey Bee Lab (Penn State"  # type: ignore[union-attr]
    else:
        assert mangled.links == fixed.links


def test_repaired_ft_models() -> None:
    resource = check("nucleotide_example_3_fixed.ft").resource
    assert resource is not None
    assert [link.link_id.text for link in resource.links] == ["1", "2", "3"]
    first, second, third = resource.links
    assert [u.text for u in first.uids] == ["3810674", "1217583", "1181594"]
    assert first.urls[0].base == ("http://www.webdatabase.com/cgi-bin/elegans?",)  # quotes gone
    assert [a.text for a in second.urls[0].attributes] == ["full-text PDF", "preference"]
    assert third.urls[0].rule is not None and third.urls[0].rule[-1] == "&view=full"
    global_stype = check("nucleotide_fixed.ft").resource
    assert global_stype is not None
    assert [s.text for s in global_stype.links[0].urls[0].subject_types] == ["organism-specific"]


def test_seed_snippets_pass_but_the_stray_space_is_seen() -> None:
    """The XML and .ft snippets of seed 002, put together: the seed's own stray spaces
    (`<Rule> an_lookup=...`, `http://www.webdatabase.com/ cgi-bin/...`) are warnings."""
    xml = check("seed_snippets.xml")
    assert [(p.line, p.severity) for p in xml.problems] == [(44, "warning")]
    assert "white space" in xml.problems[0].message
    ft = check("seed_snippets.ft")
    assert [(p.line, p.severity) for p in ft.problems] == [(8, "warning")]


def test_seed_queries_raise_no_query_warning() -> None:
    """The seed's own Query examples (date ranges, [majr:noexp], curly quotes) are fine."""
    report = check("seed_snippets.xml")
    assert not [p for p in report.problems if "Query" in p.message or "query" in p.message]


def test_all_files_together_against_the_identity_file() -> None:
    names = ["providerinfo.xml", *VALID_XML, *FIXED_FT]
    reports = validate([SourceFile(n, (FIXTURES / n).read_bytes(), n) for n in names])
    mismatched = {
        r.display: [p.line for p in r.problems if "differs from 7777" in p.message]
        for r in reports
        if r.errors
    }
    # Only files of other providers (1234, 4321, 4592, 3206) differ from WebDatabase Co.'s 7777.
    assert mismatched == {
        "example_1.xml": [7, 23],
        "example_2.xml": [8],
        "pubmed_base_url_fixed.ft": [1],
        "taxonomy_example_1_fixed.ft": [2],
        "snp_example_2_fixed.ft": [2],
    }
    assert all(not r.warnings for r in reports)
