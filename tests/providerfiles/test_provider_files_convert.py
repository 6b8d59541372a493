"""convert: a valid .ft file becomes an XML resource file describing exactly its links."""

from __future__ import annotations

import pytest
from support.paths import TESTS

from elinkcli.providerfiles.convert import convert_ft, escape, ft_to_xml
from elinkcli.providerfiles.ftfile import read_ft
from elinkcli.providerfiles.model import Link
from elinkcli.providerfiles.validate import validate_bytes
from elinkcli.providerfiles.xmlfile import read_xml
from elinkcli.providerfiles.xmlresource import check_xml

FIXTURES = TESTS / "fixtures" / "linkout_files"
VALID_FT = [
    "nucleotide_fixed.ft",
    "pubmed_base_url_fixed.ft",
    "taxonomy_example_1_fixed.ft",
    "snp_example_2_fixed.ft",
    "nucleotide_example_3_fixed.ft",
    "seed_snippets.ft",
]


def links_of_xml(xml: str) -> tuple[Link, ...]:
    doc = read_xml(xml.encode("utf-8"), "resources.xml")
    model, problems = check_xml(doc, "resources.xml")
    assert doc.problems == [] and problems == []
    return model.links  # type: ignore[union-attr]


def summary(link: Link) -> tuple[object, ...]:
    """The fields the round trip must keep, spelled out (equality of Link covers them too)."""
    (url,) = link.urls
    return (
        link.link_id.text,
        link.provider_id.text,
        link.database.text,
        [q.text for q in link.queries],
        [u.text for u in link.uids],
        url.base,
        url.rule,
        url.name.text if url.name else None,
        [i.text for i in link.icon_urls],
        [s.text for s in url.subject_types],
        [a.text for a in url.attributes],
    )


@pytest.mark.parametrize("name", VALID_FT)
def test_round_trip(name: str) -> None:
    data = (FIXTURES / name).read_bytes()
    conversion = convert_ft(data, name, name)
    assert conversion.xml is not None
    assert conversion.problems == validate_bytes(data, name).problems  # warnings only, if any
    ft_links = read_ft(data, name).resource.links
    xml_links = links_of_xml(conversion.xml)
    assert [summary(link) for link in xml_links] == [summary(link) for link in ft_links]
    assert xml_links == ft_links
    converted = validate_bytes(conversion.xml.encode(), "resources.xml")
    assert converted.errors == 0
    # The same warnings (seed_snippets.ft has one: a space inside a URL), on other lines.
    assert [p.message for p in converted.problems] == [p.message for p in conversion.problems]


@pytest.mark.parametrize("name", [n for n in VALID_FT if n != "seed_snippets.ft"])
def test_converted_seed_files_validate_clean(name: str) -> None:
    conversion = convert_ft((FIXTURES / name).read_bytes(), name, name)
    assert conversion.xml is not None
    assert validate_bytes(conversion.xml.encode(), "resources.xml").problems == ()


def test_converted_file_declares_the_global_entities_and_keeps_keywords() -> None:
    xml = convert_ft((FIXTURES / "nucleotide_example_3_fixed.ft").read_bytes(), "x.ft", "x.ft").xml
    assert xml is not None
    assert xml.startswith(
        '<?xml version="1.0"?>\n<!DOCTYPE LinkSet PUBLIC "-//NLM//DTD LinkOut 1.0//EN"'
    )
    assert '<!ENTITY base "http://www.webdatabase.com/cgi-bin/elegans?">' in xml
    assert "<Base>&base;</Base>" in xml
    assert "<Rule>an_lookup=&lo.pacc;&amp;view=full</Rule>" in xml
    assert "<Rule>db=special&amp;ID=A594E</Rule>" in xml


def test_global_stype_and_attr_go_into_every_link() -> None:
    text = (
        "prid: 12\ndbase: pubmed\nstype: libraries\nattr: library-local\n"
        "!lib: http://lib.example.org/resolve?\n------\n"
        "linkid: 1\nquery: science[ta]\nbase: &lib;\nrule: id=&lo.id;&x=1\nattr: full-text PDF\n"
        "icon: http://lib.example.org/i.gif\n------\n"
        "linkid: 2\nuids: 1 2\nrule: http://lib.example.org/?q=<b>&amp;c&#38;d\n"
    )
    result = read_ft(text, "lib.ft")
    assert result.problems == ()
    xml = ft_to_xml(result.document)
    assert xml.count("<SubjectType>libraries</SubjectType>") == 2
    assert xml.count("<Attribute>library-local</Attribute>") == 2
    assert "<IconUrl>http://lib.example.org/i.gif</IconUrl>" in xml
    assert "<Rule>http://lib.example.org/?q=&lt;b&gt;&amp;c&#38;d</Rule>" in xml
    assert links_of_xml(xml) == result.resource.links


def test_entity_values_are_escaped_for_the_internal_subset() -> None:
    text = (
        'prid: 1\ndbase: pubmed\n!u: http://x.org/a%20b?s="q"&t=1\n------\n'
        "linkid: 1\nuids: 5\nbase: &u;\nrule: &lo.id;\n"
    )
    result = read_ft(text, "x.ft")
    xml = ft_to_xml(result.document)
    assert '<!ENTITY u "http://x.org/a&#37;20b?s=&quot;q&quot;&amp;t=1">' in xml
    assert links_of_xml(xml) == result.resource.links
    assert result.resource.links[0].urls[0].base == ('http://x.org/a%20b?s="q"&t=1',)


def test_escape_keeps_references_and_escapes_bare_ampersands() -> None:
    assert escape("a=1&b=2&lo.id;&amp;&#38;&base;&nope;<", {"base"}) == (
        "a=1&amp;b=2&lo.id;&amp;&#38;&base;&amp;nope;&lt;"
    )


@pytest.mark.parametrize("name", ["nucleotide.ft", "taxonomy_example_1.ft"])
def test_files_with_errors_are_not_converted(name: str) -> None:
    conversion = convert_ft((FIXTURES / name).read_bytes(), name, name)
    assert conversion.xml is None
    assert any(p.severity == "error" for p in conversion.problems)


def test_xml_is_not_converted() -> None:
    conversion = convert_ft((FIXTURES / "example_1.xml").read_bytes(), "e.xml", "e.xml")
    assert conversion.xml is None
    assert "not a Simple Text (.ft) file" in conversion.problems[0].message
