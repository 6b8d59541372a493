"""One mutated copy of a valid seed example per rule: the problem comes on the right line.

Each case names the fixture, the text replaced, and the (line, severity) expected with a
piece of the message. The mutation never moves the lines of the file unless it says so.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest
from support.paths import TESTS

from elinkcli.providerfiles.model import Problem
from elinkcli.providerfiles.rules import MAX_FT_BYTES, MAX_XML_BYTES
from elinkcli.providerfiles.validate import SourceFile, validate, validate_bytes

FIXTURES = TESTS / "fixtures" / "linkout_files"
NUC = "nucleotide_resources.xml"  # Base line 17, Rule 18, UrlName 19, SubjectType 20
EX3 = "example_3.xml"
IDENTITY = "providerinfo.xml"
FT = "nucleotide_fixed.ft"  # prid 3, dbase 4, stype 5, !base 6, linkid 8, query 9, base 10

OBJECT_URL = """   <ObjectUrl>
     <Base>&base.url;</Base>
     <Rule>an_lookup=&lo.pacc;</Rule>
       <UrlName>Caenorhabditis elegans</UrlName>
       <SubjectType>organism-specific</SubjectType>
   </ObjectUrl>
"""


class Case(NamedTuple):
    fixture: str
    old: str
    new: str
    line: int
    severity: str
    message: str
    count: int = 1  # which occurrence of `old` to replace


def mutated(fixture: str, old: str, new: str, count: int = 1) -> bytes:
    text = (FIXTURES / fixture).read_text(encoding="utf-8")
    parts = text.split(old)
    assert len(parts) > count, f"{old!r} not found {count} time(s) in {fixture}"
    text = old.join(parts[:count]) + new + old.join(parts[count:])
    return text.encode("utf-8")


def problems_of(data: bytes, file_name: str) -> tuple[Problem, ...]:
    return validate_bytes(data, file_name).problems


def assert_found(problems: tuple[Problem, ...], line: int, severity: str, message: str) -> None:
    hits = [
        p for p in problems if p.line == line and p.severity == severity and message in p.message
    ]
    assert hits, f"no {severity} on line {line} with {message!r}; got:\n" + "\n".join(
        p.format() for p in problems
    )


ERRORS = {
    "not well-formed: mismatched tag": Case(
        NUC, "<LinkId>1</LinkId>", "<LinkId>1</Linkid>", 8, "error", "not well-formed"
    ),
    "not well-formed: bare & in a Rule": Case(
        NUC, "&lo.pacc;</Rule>", "&lo.pacc;&view=1</Rule>", 18, "error", "not well-formed"
    ),
    "Provider order: NameAbbr before Name": Case(
        IDENTITY,
        "<Name>WebDatabase Co.</Name>\n    <NameAbbr>WebDB</NameAbbr>",
        "<NameAbbr>WebDB</NameAbbr>\n    <Name>WebDatabase Co.</Name>",
        7, "error", "<NameAbbr> is not allowed here in <Provider>: expected <Name>",
    ),
    "Provider: Url after Brief": Case(
        IDENTITY, "</Brief></Provider>", "</Brief><Url>http://x.org/</Url></Provider>", 14,
        "error", "<Url> is not allowed here in <Provider>: expected nothing more",
    ),
    "Link order: ProviderId before LinkId": Case(
        NUC,
        "<LinkId>1</LinkId>\n   <ProviderId>7777</ProviderId>",
        "<ProviderId>7777</ProviderId>\n   <LinkId>1</LinkId>",
        8, "error", "<ProviderId> is not allowed here in <Link>: expected <LinkId>",
    ),
    "Link without ObjectUrl": Case(
        NUC, OBJECT_URL, "", 7, "error", "<Link> is incomplete: <ObjectUrl> missing"
    ),
    "element not in the DTD": Case(
        NUC, "<UrlName>Caenorhabditis elegans</UrlName>", "<Title>Caenorhabditis elegans</Title>",
        19, "error", "no element <Title> in the LinkOut DTD",
    ),
    "ObjectSelector: two Databases": Case(
        NUC, "<Database>Nucleotide</Database>",
        "<Database>Nucleotide</Database><Database>Protein</Database>",
        11, "error", "<Database> is not allowed here in <ObjectSelector>: expected <ObjectList>",
    ),
    "ObjectSelector without ObjectList": Case(
        NUC,
        "<ObjectList>\n       <Query>Caenorhabditis elegans [orgn]</Query>\n     </ObjectList>",
        "\n\n",
        10, "error", "<ObjectSelector> is incomplete: <ObjectList> missing",
    ),
    "ObjectList empty": Case(
        NUC, "<Query>Caenorhabditis elegans [orgn]</Query>", "", 12, "error",
        "<ObjectList> is incomplete",
    ),
    "ObjectUrl: UrlName before Rule": Case(
        NUC,
        "<Rule>an_lookup=&lo.pacc;</Rule>\n       <UrlName>Caenorhabditis elegans</UrlName>",
        "<UrlName>Caenorhabditis elegans</UrlName>\n       <Rule>an_lookup=&lo.pacc;</Rule>",
        19, "error", "<Rule> is not allowed here in <ObjectUrl>",
    ),
    "ObjectUrl: two Rules": Case(
        NUC, "<Rule>an_lookup=&lo.pacc;</Rule>",
        "<Rule>an_lookup=&lo.pacc;</Rule><Rule>x</Rule>", 18, "error",
        "<Rule> is not allowed here in <ObjectUrl>",
    ),
    "ObjectUrl: SubjectType after Attribute": Case(
        EX3, "<Attribute>preference</Attribute>",
        "<Attribute>preference</Attribute><SubjectType>mapping</SubjectType>", 20, "error",
        "<SubjectType> is not allowed here in <ObjectUrl>",
    ),
    "RuleToMany without Separator": Case(
        NUC, "<Rule>an_lookup=&lo.pacc;</Rule>",
        "<RuleToMany><Rule>an_lookup=&lo.pacc;</Rule></RuleToMany>", 18, "error",
        "<RuleToMany> is incomplete: <Separator> missing",
    ),
    "SubProvider without NameAbbr": Case(
        NUC, "<ObjectSelector>",
        "<SubObjectSelector><Database>PubMed</Database><SubProvider><InclQuery>x</InclQuery>"
        "</SubProvider></SubObjectSelector><ObjectSelector>",
        10, "error", "<InclQuery> is not allowed here in <SubProvider>: expected <NameAbbr>",
    ),
    "text-only element holding an element": Case(
        NUC, "<Query>Caenorhabditis elegans [orgn]</Query>",
        "<Query>Caenorhabditis <b>elegans</b> [orgn]</Query>", 13, "error",
        "<Query> holds text only",
    ),
    "modifier with a bad attribute value": Case(
        NUC, "an_lookup=&lo.pacc;", 'an_lookup=<strip what="vowels">&lo.pacc;</strip>', 18,
        "error", "what='vowels' of <strip> is not one of spaces|letters|nondigits|digits",
    ),
    "modifier without a required attribute": Case(
        NUC, "an_lookup=&lo.pacc;", 'an_lookup=<pad width="8">&lo.pacc;</pad>', 18, "error",
        "<pad> needs the attribute with",
    ),
    "element not allowed in a Rule": Case(
        NUC, "an_lookup=&lo.pacc;", "an_lookup=<Base>&lo.pacc;</Base>", 18, "error",
        "<Base> is not allowed in <Rule>",
    ),
    "ObjectList mixing Query and ObjId": Case(
        EX3, "<ObjId>1217583</ObjId>", "<Query>Caenorhabditis elegans [orgn]</Query>", 13,
        "error", "<ObjectList> mixes <Query> and <ObjId>",
    ),
    "duplicate LinkId": Case(
        EX3, "<LinkId>3</LinkId>", "<LinkId>1</LinkId>", 25, "error",
        "duplicate LinkId 1 (first on line 7)",
    ),
    "non-numeric ProviderId (resource)": Case(
        NUC, "<ProviderId>7777</ProviderId>", "<ProviderId>WebDB</ProviderId>", 9, "error",
        "ProviderId 'WebDB' is not a number",
    ),
    "non-numeric ProviderId (identity)": Case(
        IDENTITY, "<ProviderId>7777</ProviderId>", "<ProviderId>77a</ProviderId>", 6, "error",
        "ProviderId '77a' is not a number",
    ),
    "NameAbbr with a hyphen": Case(
        IDENTITY, "<NameAbbr>WebDB</NameAbbr>", "<NameAbbr>Web-DB</NameAbbr>", 8, "error",
        "NameAbbr 'Web-DB' may hold only letters and digits",
    ),
    "NameAbbr with a space": Case(
        IDENTITY, "<NameAbbr>WebDB</NameAbbr>", "<NameAbbr>Web DB</NameAbbr>", 8, "error",
        "may hold only letters and digits",
    ),
    "Brief over 256 characters": Case(
        IDENTITY, " On-line publisher of biomedical databases", "x" * 257, 14, "error",
        "Brief is 257 characters; at most 256",
    ),
    "LNG outside the list (Url)": Case(
        IDENTITY, "<Url>", '<Url LNG="XX">', 12, "error", "LNG='XX' of <Url> is not one of DA|DE"
    ),
    "LNG outside the list (ObjectUrl)": Case(
        NUC, "<ObjectUrl>", '<ObjectUrl LNG="en">', 16, "error", "LNG='en' of <ObjectUrl>"
    ),
    "keyword that does not exist: lo.pmid": Case(
        NUC, "&lo.pacc;", "&lo.pmid;", 18, "error", "&lo.pmid; does not exist (use &lo.id;)"
    ),
    "keyword that does not exist: lo.acc": Case(
        NUC, "&lo.pacc;", "&lo.acc;", 18, "error", "&lo.acc; does not exist (use &lo.pacc;)"
    ),
    "dropped keyword lo.muid": Case(
        NUC, "&lo.pacc;", "&lo.muid;", 18, "error", "&lo.muid; was dropped in LinkOut DTD 1.12"
    ),
    "unknown keyword, with a suggestion": Case(
        NUC, "&lo.pacc;", "&lo.volume;", 18, "error", "(use &lo.vol;)"
    ),
    "escaped keyword": Case(
        NUC, "&lo.pacc;", "&amp;lo.pacc;", 18, "error",
        "escaped keyword &amp;lo.pacc; is never substituted (write &lo.pacc;)",
    ),
    "undeclared entity": Case(
        NUC, "<Base>&base.url;</Base>", "<Base>&base.ur;</Base>", 17, "error",
        "undeclared entity &base.ur;",
    ),
    "external entity refused": Case(
        NUC, '<!ENTITY icon.url "http://www.webdatabase.com/images/webdb.gif">',
        '<!ENTITY icon.url SYSTEM "http://www.webdatabase.com/images/webdb.gif">', 4, "error",
        "external entity &icon.url; refused",
    ),
    "parameter entity refused": Case(
        NUC, '<!ENTITY icon.url "http://www.webdatabase.com/images/webdb.gif">',
        '<!ENTITY % icon.url "x">', 4, "error", "parameter entities are refused",
    ),
    "unknown keyword inside a declared entity": Case(
        NUC, '<!ENTITY icon.url "http://www.webdatabase.com/images/webdb.gif">',
        '<!ENTITY rule "an_lookup=&lo.acc;">', 4, "error", "&lo.acc; does not exist",
    ),
    ".ft: unknown keyword inside an entity": Case(
        FT, "!base:  http://www.webdatabase.com/cgi-bin/elegans?",
        "!base:  http://www.webdatabase.com/cgi-bin/elegans?&lo.pmid;", 6, "error",
        "&lo.pmid; does not exist",
    ),
    "DOCTYPE and root disagree": Case(
        NUC, "<!DOCTYPE LinkSet", "<!DOCTYPE Provider", 6, "error",
        "DOCTYPE names Provider but the root is <LinkSet>",
    ),
    ".ft: non-numeric prid": Case(
        FT, "prid:   7777", "prid:   WDB7", 3, "error", "ProviderId 'WDB7'"
    ),
    ".ft: keyword that does not exist": Case(
        FT, "&lo.pacc;", "&lo.acc;", 11, "error", "&lo.acc; does not exist"
    ),
    ".ft: dropped keyword": Case(FT, "&lo.pacc;", "&lo.muid;", 11, "error", "dropped in"),
    ".ft: escaped keyword": Case(
        FT, "&lo.pacc;", "&amp;lo.pacc;", 11, "error", "escaped keyword &amp;lo.pacc;"
    ),
    ".ft: undefined entity": Case(FT, "&base;", "&bse;", 10, "error", "undefined entity &bse;"),
    ".ft: query and uids mixed": Case(
        FT, "base:   &base;", "uids: 123\nbase:   &base;", 10, "error", "mixes query: and uids:"
    ),
    ".ft: fields run together": Case(
        FT, "query:  Caenorhabditis elegans [orgn]\nbase:",
        "query:  Caenorhabditis elegans [orgn] base:", 9, "error",
        "'base:' is glued to the query: value",
    ),
    ".ft: separator glued to a value": Case(
        FT, "name:   Caenorhabditis elegans", "name:   Caenorhabditis elegans------", 12, "error",
        "separator is glued to the end of the name: value",
    ),
    ".ft: a value wrapped to the next line": Case(
        FT, "base:   &base;", "base:\n   &base;", 10, "error", "the base: value is on the next line"
    ),
    ".ft: comment line inside a link block": Case(
        FT, "base:   &base;", "--- the base ---\nbase:   &base;", 10, "error",
        "a line starting with '-' ends a block: it splits the block of linkid 1",
    ),
    ".ft: unknown field": Case(FT, "name:", "title:", 12, "error", "unknown field title:"),
    ".ft: line without a field": Case(
        FT, "name:   Caenorhabditis elegans", "Caenorhabditis elegans", 12, "error",
        "no 'field: value' on this line",
    ),
    ".ft: link field in the global block": Case(
        FT, "stype:  organism-specific", "rule:  x", 5, "error", "belongs in a link block"
    ),
    ".ft: global field in a link block": Case(
        FT, "name:   Caenorhabditis elegans", "dbase: pubmed", 12, "error",
        "dbase: belongs in the global (first) block",
    ),
    ".ft: two rules": Case(FT, "name:", "rule:", 12, "error", "a second rule: line"),
    ".ft: block without linkid": Case(FT, "linkid: 1", "icon: http://x.org/i.gif", 8, "error",
        "link block without linkid:"),
    ".ft: missing separator before linkid": Case(
        FT, "name:   Caenorhabditis elegans", "linkid: 2", 12, "error",
        "a separator line is missing before linkid:",
    ),
}  # fmt: skip

WARNINGS = {
    "keyword not meant for the database": Case(
        NUC, "<Database>Nucleotide</Database>", "<Database>PubMed</Database>", 18, "warning",
        "&lo.pacc; is meant for sequence databases",
    ),
    "PubMed keyword on Taxonomy": Case(
        "example_1.xml", "<Rule>homo/h._sapiens</Rule>", "<Rule>homo/&lo.vol;</Rule>", 16,
        "warning", "&lo.vol; is meant for PubMed, not taxonomy",
    ),
    "SubjectType outside the list": Case(
        NUC, "organism-specific", "organism specific resources", 20, "warning",
        "SubjectType 'organism specific resources' is not in the LinkOut DTD list",
    ),
    "Attribute outside the list": Case(
        EX3, "<Attribute>preference</Attribute>", "<Attribute>preferred</Attribute>", 20,
        "warning", "Attribute 'preferred' is not in the LinkOut DTD list",
    ),
    "Attribute seen live, not in the DTD": Case(
        EX3, "<Attribute>preference</Attribute>", "<Attribute>free resource</Attribute>", 20,
        "warning", "NCBI uses it in live data",
    ),
    "identity SubjectType outside the list": Case(
        IDENTITY, " gene/protein/disease-specific", "genes", 9, "warning", "SubjectType 'genes'"
    ),
    "query: lower-case and": Case(
        NUC, "Caenorhabditis elegans [orgn]", "Caenorhabditis elegans [orgn] and smith j [auth]",
        13, "warning", "Boolean operator 'and' must be upper-case (AND)",
    ),
    "query: lower-case not": Case(
        NUC, "Caenorhabditis elegans [orgn]", "Caenorhabditis elegans [orgn] not human [orgn]",
        13, "warning", "Boolean operator 'not'",
    ),
    "query: truncation": Case(
        NUC, "Caenorhabditis elegans [orgn]", "Caenorhab* [orgn]", 13, "warning", "truncation (*)"
    ),
    "query: [sb]": Case(
        NUC, "Caenorhabditis elegans [orgn]", "Caenorhabditis elegans [orgn] AND review[sb]", 13,
        "warning", "do not use the search field tag [sb]",
    ),
    "query: [filter]": Case(
        NUC, "Caenorhabditis elegans [orgn]", "Caenorhabditis elegans [orgn] AND x [filter]", 13,
        "warning", "[filter]",
    ),
    "query: field tag without brackets": Case(
        NUC, "Caenorhabditis elegans [orgn]", "Caenorhabditis elegans orgn", 13, "warning",
        "field tag 'orgn' must be enclosed in square brackets",
    ),
    "query: field tag in parentheses": Case(
        NUC, "Caenorhabditis elegans [orgn]", "Caenorhabditis elegans (orgn)", 13, "warning",
        "must be enclosed in square brackets",
    ),
    "query: unbalanced bracket": Case(
        NUC, "Caenorhabditis elegans [orgn]", "Caenorhabditis elegans [orgn", 13, "warning",
        "unbalanced square brackets",
    ),
    "query: range in a UID search": Case(
        NUC, "Caenorhabditis elegans [orgn]", "1000:2000[uid]", 13, "warning",
        "ranges are not allowed in UID searches",
    ),
    "query: range in a volume search": Case(
        NUC, "Caenorhabditis elegans [orgn]", '"J Mol Dis"[ta] AND 10:12[vi]', 13, "warning",
        "ranges are not allowed in volume searches",
    ),
    "query: date range with a dash": Case(
        NUC, "Caenorhabditis elegans [orgn]", "Caenorhabditis elegans [orgn] AND 1996-1999[pdat]",
        13, "warning", "malformed date",
    ),
    "query: two-digit years": Case(
        NUC, "Caenorhabditis elegans [orgn]", "Caenorhabditis elegans [orgn] AND 96:99[dp]", 13,
        "warning", "malformed date range",
    ),
    "query: date range backwards": Case(
        NUC, "Caenorhabditis elegans [orgn]", "Caenorhabditis elegans [orgn] AND 2010:2000[dp]",
        13, "warning", "the start date is after the end date",
    ),
    "Base + Rule not an absolute URL": Case(
        NUC, '"http://www.webdatabase.com/cgi-bin/elegans?"', '"www.webdatabase.com/elegans?"',
        17, "warning", "is not an absolute http(s) URL",
    ),
    "Base + Rule with another scheme": Case(
        NUC, '"http://www.webdatabase.com/cgi-bin/elegans?"', '"ftp://webdatabase.com/?"', 17,
        "warning", "'ftp://webdatabase.com/?an_lookup=1' is not an absolute http(s) URL",
    ),
    "Rule alone, not a URL": Case(
        EX3, "<Base>&base.url;</Base>\n      <Rule>db=special", "<Rule>db=special", 18,
        "warning", "not an absolute http(s) URL",
    ),
    "ObjId not a number": Case(
        EX3, "<ObjId>1217583</ObjId>", "<ObjId>AL032671</ObjId>", 13, "warning", "is not a number"
    ),
    ".ft: keyword not meant for the database": Case(
        FT, "dbase:  nucleotide", "dbase:  PubMed", 11, "warning", "&lo.pacc; is meant for sequence"
    ),
    ".ft: stype outside the list": Case(
        FT, "stype:  organism-specific", "stype:  organisms", 5, "warning", "SubjectType 'organism"
    ),
    ".ft: attr outside the list": Case(
        FT, "name:   Caenorhabditis elegans", "attr: fee", 12, "warning", "Attribute 'fee'"
    ),
    ".ft: lower-case or": Case(
        FT, "[orgn]", "[orgn] or human [orgn]", 9, "warning", "Boolean operator 'or'"
    ),
    ".ft: base not a URL": Case(
        FT, "!base:  http://www.webdatabase.com/", "!base:  www.webdatabase.com/", 10, "warning",
        "not an absolute http(s) URL",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", ERRORS.values(), ids=ERRORS.keys())
def test_each_error_rule(case: Case) -> None:
    data = mutated(case.fixture, case.old, case.new, case.count)
    assert_found(problems_of(data, case.fixture), case.line, case.severity, case.message)


@pytest.mark.parametrize("case", WARNINGS.values(), ids=WARNINGS.keys())
def test_each_warning_rule(case: Case) -> None:
    data = mutated(case.fixture, case.old, case.new, case.count)
    problems = problems_of(data, case.fixture)
    assert_found(problems, case.line, case.severity, case.message)
    assert not [p for p in problems if p.severity == "error"], "a warning rule made an error"


def test_keyword_inside_an_entity() -> None:
    data = mutated(
        NUC,
        '<!ENTITY icon.url "http://www.webdatabase.com/images/webdb.gif">',
        '<!ENTITY lookup "an_lookup=&lo.acc;">',
    )
    data = data.replace(b"<Rule>an_lookup=&lo.pacc;</Rule>", b"<Rule>&lookup;</Rule>")
    problems = problems_of(data, NUC)
    # The wrong keyword is reported once, where it is written: in the declaration.
    assert [(p.line, p.col) for p in problems if p.severity == "error"] == [(4, 30)]
    assert "&lo.acc; does not exist (use &lo.pacc;)" in problems[0].message
    # A keyword that exists, used through an entity, is checked against the Database
    # where the entity is used.
    fine = data.replace(b"&lo.acc;", b"&lo.pacc;").replace(b"Nucleotide", b"PubMed")
    assert_found(problems_of(fine, NUC), 18, "warning", "&lo.pacc; is meant for sequence")


def test_case_insensitive_vocabulary() -> None:
    data = mutated(NUC, "organism-specific", "ORGANISM-Specific")
    assert problems_of(data, NUC) == ()


def test_lines_stay_exact_after_a_multi_line_entity() -> None:
    data = mutated(
        NUC,
        '"http://www.webdatabase.com/cgi-bin/elegans?"',
        '"http://www.webdatabase.com/cgi-bin/elegans?\n\n\n"',
    ).replace(b"organism-specific", b"organisms")
    problems = problems_of(data, NUC)
    # The entity's value now spans lines 5-8, so everything below moved by 3 lines.
    assert_found(problems, 20 + 3, "warning", "SubjectType 'organisms'")
    assert_found(problems, 17 + 3, "warning", "holds white space")


def test_provider_id_differs_from_the_identity_file() -> None:
    identity = SourceFile(IDENTITY, (FIXTURES / IDENTITY).read_bytes(), IDENTITY)
    xml = mutated(NUC, "<ProviderId>7777</ProviderId>", "<ProviderId>7778</ProviderId>")
    ft = mutated(FT, "prid:   7777", "prid:   7778")
    reports = validate([identity, SourceFile(NUC, xml, NUC), SourceFile(FT, ft, FT)])
    assert reports[0].problems == ()
    assert_found(
        reports[1].problems, 9, "error", "ProviderId 7778 differs from 7777 in the identity file"
    )
    assert_found(reports[2].problems, 3, "error", "ProviderId 7778 differs from 7777")
    same = validate([identity, SourceFile(NUC, (FIXTURES / NUC).read_bytes(), NUC)])
    assert [r.problems for r in same] == [(), ()]


def test_identity_file_must_be_named_providerinfo_xml() -> None:
    data = (FIXTURES / IDENTITY).read_bytes()
    for wrong in ("ProviderInfo.xml", "providerinfo.XML", "provider_info.xml"):
        assert_found(problems_of(data, wrong), 1, "error", "must be named exactly providerinfo.xml")
    assert problems_of(data, IDENTITY) == ()
    resource = (FIXTURES / NUC).read_bytes()
    assert_found(problems_of(resource, IDENTITY), 1, "error", "its root must be <Provider>")


@pytest.mark.parametrize(
    ("fixture", "file_name"),
    [
        (NUC, "my resources.xml"),
        (NUC, "links-2024.xml"),
        (NUC, "resources.XML"),
        (FT, "links.v2.ft"),
    ],
)
def test_resource_file_name(fixture: str, file_name: str) -> None:
    problems = problems_of((FIXTURES / fixture).read_bytes(), file_name)
    assert [(p.line, p.severity) for p in problems] == [(1, "warning")]
    assert "resource file name" in problems[0].message


def test_xml_over_20_mb() -> None:
    text = (FIXTURES / NUC).read_text()
    padding = MAX_XML_BYTES - len(text) + 1
    data = (text + "<!--" + "x" * (padding - 7) + "-->").encode()
    assert len(data) == MAX_XML_BYTES + 1
    problems = problems_of(data, NUC)
    assert [(p.line, p.severity) for p in problems] == [(1, "error")]
    assert "the limit for XML files is 20 MB" in problems[0].message
    assert problems_of(data[: MAX_XML_BYTES - 200] + b"-->", NUC) != problems


def test_ft_over_10_mb() -> None:
    text = (FIXTURES / FT).read_text()
    filler = ("-" * 99 + "\n") * (MAX_FT_BYTES // 100 + 1)
    data = (text + filler).encode()
    problems = problems_of(data, FT)
    assert [(p.line, p.severity) for p in problems] == [(1, "error")]
    assert "the limit for .ft files is 10 MB" in problems[0].message
    assert problems_of(text.encode() + filler[: MAX_FT_BYTES - len(text) - 100].encode(), FT) == ()


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ("name:   Caenorhabditis elegans", "name:   C. elegans &#0;", 12),
        ("!base:  http://www.webdatabase.com/", "!base:  http://www.webdatabase.com/&#xFFFF;", 6),
        ("name:   Caenorhabditis elegans", "name:   C. elegans \x01", 12),
    ],
)
def test_ft_characters_xml_does_not_allow(old: str, new: str, line: int) -> None:
    problems = problems_of(mutated(FT, old, new), FT)
    assert_found(problems, line, "error", "XML")
