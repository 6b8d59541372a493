"""The XML reader is safe: nothing fetched or read, entity bombs fail fast, lines exact."""

from __future__ import annotations

import socket
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.paths import TESTS

from elinkcli.providerfiles.validate import validate_bytes
from elinkcli.providerfiles.xmlfile import read_xml

FIXTURES = TESTS / "fixtures" / "linkout_files"

LINK = """<LinkSet>
 <Link>
  <LinkId>1</LinkId>
  <ProviderId>7777</ProviderId>
  <ObjectSelector><Database>PubMed</Database><ObjectList><ObjId>1</ObjId></ObjectList>
  </ObjectSelector>
  <ObjectUrl><Base>{base}</Base><Rule>{rule}</Rule></ObjectUrl>
 </Link>
</LinkSet>
"""


def document(subset: str, base: str = "http://x.org/", rule: str = "id=&lo.id;") -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE LinkSet [\n{subset}\n]>\n'
        + LINK.format(base=base, rule=rule)
    ).encode()


def errors(data: bytes, name: str = "resources.xml") -> list[tuple[int, str]]:
    return [
        (p.line, p.message) for p in validate_bytes(data, name).problems if p.severity == "error"
    ]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the validator tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


_OPENED: list[str] = []
_WATCHING: list[bool] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    if _WATCHING and event == "open":
        _OPENED.append(str(args[0]))


sys.addaudithook(_audit)


@pytest.fixture
def opened_files() -> Iterator[list[str]]:
    _OPENED.clear()
    _WATCHING.append(True)
    try:
        yield _OPENED
    finally:
        _WATCHING.clear()


def billion_laughs() -> bytes:
    subset = ['<!ENTITY lol "lol">']
    for i in range(1, 10):
        previous = "lol" if i == 1 else f"lol{i - 1}"
        subset.append(f'<!ENTITY lol{i} "' + f"&{previous};" * 10 + '">')
    return document("\n".join(subset), base="http://x.org/&lol9;")


def test_billion_laughs_is_an_error_in_well_under_a_second(no_network: None) -> None:
    data = billion_laughs()
    # CPU time of this process, not wall time: on a busy machine the test waits for a core,
    # and what is bounded is the work (an expanded bomb would be minutes of it).
    start = time.process_time()
    problems = validate_bytes(data, "resources.xml").problems
    elapsed = time.process_time() - start
    assert elapsed < 1.0, f"took {elapsed:.3f} CPU s"
    bomb = [p for p in problems if "expansion bomb" in p.message]
    assert [(p.line, p.severity) for p in bomb] == [(20, "error")]
    assert "&lol9; cannot be expanded" in bomb[0].message


def test_many_references_to_a_large_entity_stop_fast() -> None:
    big = "x" * 60_000
    refs = "&big;" * 1000  # 60 MB if it were expanded
    data = document(f'<!ENTITY big "{big}">', base=f"http://x.org/{refs}")
    start = time.process_time()  # CPU time, as above: the machine may be busy
    found = errors(data)
    assert time.process_time() - start < 1.0
    assert any("characters in all" in message for _, message in found)


def test_recursive_entities_are_an_error() -> None:
    data = document('<!ENTITY a "x&b;">\n<!ENTITY b "y&a;">', base="http://x.org/&a;")
    assert any("refers to itself" in m for _, m in errors(data))


def test_external_entity_is_refused_and_never_read(
    tmp_path: Path, no_network: None, opened_files: list[str]
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = document(
        f'<!ENTITY xxe SYSTEM "file://{secret}">\n<!ENTITY web PUBLIC "-//X//Y" "http://x.org/e">',
        base="http://x.org/&xxe;&web;",
    )
    opened_files.clear()
    report = validate_bytes(data, "resources.xml")
    assert [(p.line, p.severity) for p in report.problems if "external entity" in p.message] == [
        (3, "error"),
        (4, "error"),
    ]
    assert not [path for path in opened_files if "secret" in path]
    assert "TOP-SECRET" not in repr(report)


def test_external_dtd_is_named_but_never_fetched(no_network: None) -> None:
    data = (FIXTURES / "example_3.xml").read_bytes()
    assert b"http://www.ncbi.nlm.nih.gov/entrez/linkout/doc/LinkOut.dtd" in data
    assert validate_bytes(data, "example_3.xml").problems == ()


def test_parameter_entities_are_refused() -> None:
    data = document("<!ENTITY % pe \"<!ENTITY x 'y'>\">\n%pe;")
    assert [line for line, m in errors(data) if "parameter entit" in m] == [3, 4]


def test_percent_in_an_entity_value_is_an_error() -> None:
    data = document('<!ENTITY base.url "http://x.org/a%20b/">', base="&base.url;")
    assert any("'%' in the value of entity base.url" in m for _, m in errors(data))


def test_element_declarations_in_the_subset_are_ignored_with_a_warning() -> None:
    data = document("<!ELEMENT LinkSet ANY>")
    problems = validate_bytes(data, "resources.xml").problems
    assert [(p.line, p.severity) for p in problems] == [(3, "warning")]


def test_a_doctype_after_the_root_is_not_well_formed() -> None:
    data = document("") + b'<!DOCTYPE x [<!ENTITY y "z">]>'
    assert any("not well-formed" in m for _, m in errors(data))


def test_predefined_character_and_dtd_entities() -> None:
    data = document("", base="http://x.org/?a=&#49;&amp;b=&lt;&reg;")
    doc = read_xml(data, "resources.xml")
    assert doc.problems == []
    base = [n for n in doc.root.children[1].elements() if n.tag == "ObjectUrl"]  # type: ignore[union-attr]
    assert base[0].elements()[0].text() == "http://x.org/?a=1&b=<\u00ae"


def test_keywords_in_cdata_and_comments_are_text() -> None:
    data = document("", rule="<![CDATA[&lo.pmid;]]><!-- &amp;lo.id; -->")
    report = validate_bytes(data, "resources.xml")
    assert report.errors == 0
    assert report.resource is not None
    assert report.resource.links[0].urls[0].rule == ("&lo.pmid;",)


def test_columns_count_characters_after_non_ascii_text() -> None:
    data = document("", rule="“é” &lo.pmid;")
    report = validate_bytes(data, "resources.xml")
    (problem,) = [p for p in report.problems if p.severity == "error"]
    line = data.decode().splitlines()[problem.line - 1]
    assert line[problem.col - 1 :].startswith("&lo.pmid;")  # type: ignore[operator]


def test_latin1_declared_encoding() -> None:
    text = '<?xml version="1.0" encoding="ISO-8859-1"?>\n' + LINK.format(
        base="http://x.org/caf\u00e9/", rule="&lo.id;"
    )
    report = validate_bytes(text.encode("latin-1"), "resources.xml")
    assert report.errors == 0
    assert report.resource is not None
    assert report.resource.links[0].urls[0].base == ("http://x.org/caf\u00e9/",)


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"", 1),
        (b"<LinkSet>\n<Link>\n", 3),
        (b'<?xml version="1.0"?>\n<!DOCTYPE LinkSet [\n<!ENTITY a "b">\n', 4),
        (b"<LinkSet>\n</LinkSet>\n<Other/>\n", 3),
        (b"\n\n<?xml version='1.0'?><LinkSet/>", 3),
    ],
)
def test_not_well_formed_positions(data: bytes, line: int) -> None:
    found = errors(data, "resources.xml")
    assert found and found[0][0] == line, found


def test_root_that_is_not_linkout() -> None:
    found = errors(b"<html><body/></html>", "page.xml")
    assert found == [
        (
            1,
            "root element <html> is neither <LinkSet> (resource file) nor <Provider> "
            "(identity file)",
        )
    ]
