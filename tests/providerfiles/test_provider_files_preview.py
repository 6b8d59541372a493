"""preview: the seed's worked URLs, every modifier of the DTD comments, RuleToMany, TSV."""

from __future__ import annotations

import pytest
from support.paths import TESTS

from elinkcli.errors import UsageError
from elinkcli.providerfiles.model import Keyword, Modifier, UrlSpec
from elinkcli.providerfiles.preview import (
    apply_modifier,
    keyword_name,
    normalize,
    preview,
    render,
    url_for,
    values_from_options,
    values_from_tsv,
)
from elinkcli.providerfiles.validate import validate_bytes

FIXTURES = TESTS / "fixtures" / "linkout_files"


def urls(name: str, values: dict[str, list[str]]) -> dict[str, str]:
    resource = validate_bytes((FIXTURES / name).read_bytes(), name).resource
    assert resource is not None
    return {row.link_id: row.url for row in preview(resource, [values])}


def rule_urls(rule: str, values: dict[str, list[str]], database: str = "PubMed") -> str:
    text = f"""<?xml version="1.0"?>
<!DOCTYPE LinkSet [<!ENTITY base "http://x.org/">]>
<LinkSet><Link><LinkId>1</LinkId><ProviderId>1</ProviderId>
<ObjectSelector><Database>{database}</Database><ObjectList><ObjId>1</ObjId></ObjectList>
</ObjectSelector><ObjectUrl><Base>&base;</Base>{rule}</ObjectUrl></Link></LinkSet>"""
    report = validate_bytes(text.encode(), "resources.xml")
    assert report.errors == 0, [p.format() for p in report.problems]
    assert report.resource is not None
    (row,) = preview(report.resource, [values])
    return row.url


def test_seed_pacc_example() -> None:
    """Seed 002: an_lookup=&lo.pacc; with AL032671."""
    found = urls("nucleotide_resources.xml", {"lo.pacc": ["AL032671"]})
    assert found == {"1": "http://www.webdatabase.com/cgi-bin/elegans?an_lookup=AL032671"}


def test_seed_id_example_with_escaped_ampersands() -> None:
    """Seed 002: /db=elegans&amp;id_lookup=&lo.id;&amp;view=text with 6016240."""
    found = urls("seed_snippets.xml", {"lo.id": ["6016240"]})
    assert found["2"] == "http://www.webdatabase.com/cgi-bin/db=elegans&id_lookup=6016240&view=text"


def test_seed_ft_example_joins_base_and_rule_as_written() -> None:
    """The .ft version of the same example leaves out the slash: LinkOut joins as is."""
    found = urls("seed_snippets.ft", {"lo.id": ["6016240"], "lo.pacc": ["AL032671"]})
    assert found["4"] == "http://www.webdatabase.com/cgi-bindb=elegans&id_lookup=6016240&view=text"
    assert found["3"] == "http://www.webdatabase.com/cgi-bin/an_lookup=AL032671"


def test_every_link_of_example_3() -> None:
    found = urls("example_3.xml", {"lo.pacc": ["AL032671"]})
    assert found == {
        "1": "http://www.webdatabase.com/cgi-bin/elegans?db=special&ID=A594E",
        "3": "http://www.webdatabase.com/cgi-bin/elegans?an_lookup=AL032671&view=full",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [("E32", "E00032"), ("640", "000640"), ("AB1234567", "AB1234567"), ("", "000000")],
)
def test_apad(text: str, expected: str) -> None:
    assert apply_modifier("apad", {"with": "0", "width": "6"}, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Pt 5", "5"), ("3 Suppl", "3"), ("2A Pt 3", "2A"), ("10 Suppl 2 Pt 1", "10"), ("2/3", "2")],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected
    assert apply_modifier("normalize", {}, text) == expected


def test_pad_right_aligned_by_default_and_left() -> None:
    assert apply_modifier("pad", {"with": "0", "width": "5"}, "42") == "00042"
    assert apply_modifier("pad", {"with": "0", "width": "5", "align": "right"}, "42") == "00042"
    assert apply_modifier("pad", {"with": "_", "width": "5", "align": "left"}, "42") == "42___"
    assert apply_modifier("pad", {"with": "0", "width": "2"}, "1234") == "1234"  # never cut


def test_subs_toupper_tolower() -> None:
    assert apply_modifier("subs", {"for": " ", "with": "+"}, "J Mol Dis") == "J+Mol+Dis"
    assert apply_modifier("toupper", {}, "nature") == "NATURE"
    assert apply_modifier("tolower", {}, "Nature") == "nature"


@pytest.mark.parametrize(
    ("what", "expected"),
    [("spaces", "S1a2b"), ("letters", " 1 2"), ("nondigits", "12"), ("digits", "S a b")],
)
def test_strip(what: str, expected: str) -> None:
    assert apply_modifier("strip", {"what": what}, "S 1a 2b") == expected


def test_modifiers_in_a_rule_nested() -> None:
    rule = (
        '<Rule>&lo.issn;/<toupper><subs for=" " with="_">&lo.jtit;</subs></toupper>/'
        '<apad with="0" width="6">&lo.vol;</apad>/<pad with="0" width="4"><normalize>&lo.iss;'
        '</normalize></pad>/<strip what="nondigits">&lo.page;</strip></Rule>'
    )
    values = {
        "lo.issn": ["0028-0836"],
        "lo.jtit": ["J Mol Dis"],
        "lo.vol": ["E32"],
        "lo.iss": ["2A Pt 3"],
        "lo.page": ["S12"],
    }
    assert rule_urls(rule, values) == "http://x.org/0028-0836/J_MOL_DIS/E00032/002A/12"


def test_rule_to_many_with_separator() -> None:
    rule = "<RuleToMany><Rule>au=&lo.auth;</Rule><Separator>&amp;</Separator></RuleToMany>"
    assert rule_urls(rule, {"lo.auth": ["Smith J", "Doe A"]}) == "http://x.org/au=Smith J&au=Doe A"
    assert rule_urls(rule, {"lo.auth": ["Smith J"]}) == "http://x.org/au=Smith J"


def test_rule_to_many_repeats_single_values() -> None:
    rule = (
        "<RuleToMany><Rule>&lo.id;-<tolower>&lo.auth;</tolower></Rule>"
        "<Separator>,</Separator></RuleToMany>"
    )
    found = rule_urls(rule, {"lo.id": ["9"], "lo.auth": ["A", "B", "C"]})
    assert found == "http://x.org/9-a,9-b,9-c"


def test_plain_rule_takes_the_first_value() -> None:
    spec = UrlSpec(base=("http://x.org/",), rule=("a=", Keyword("lo.auth")))
    assert url_for(spec, {"lo.auth": ["A", "B"]}) == "http://x.org/a=A"


def test_missing_values_stay_as_keywords() -> None:
    missing: set[str] = set()
    parts = ("v=", Modifier("toupper", (), (Keyword("lo.vol"),)))
    assert render(parts, {}, missing=missing) == "v=&LO.VOL;"
    assert missing == {"lo.vol"}


def test_values_from_options() -> None:
    assert values_from_options(["lo.id=6016240", "pacc=AL032671", "lo.auth=a", "&lo.auth;=b"]) == {
        "lo.id": ["6016240"],
        "lo.pacc": ["AL032671"],
        "lo.auth": ["a", "b"],
    }
    with pytest.raises(UsageError, match="KEYWORD=VALUE"):
        values_from_options(["lo.id"])
    with pytest.raises(UsageError, match=r"use &lo\.id;"):
        values_from_options(["lo.pmid=1"])


def test_values_from_tsv() -> None:
    text = "lo.id\tlo.auth\tlo.auth\n1\tSmith J\tDoe A\n2\tRoe B\t\n"
    assert values_from_tsv(text) == [
        {"lo.id": ["1"], "lo.auth": ["Smith J", "Doe A"]},
        {"lo.id": ["2"], "lo.auth": ["Roe B"]},
    ]
    with pytest.raises(UsageError):
        values_from_tsv("")
    with pytest.raises(UsageError, match=r"lo\.volume"):
        values_from_tsv("lo.volume\n1\n")


def test_keyword_name() -> None:
    assert keyword_name("id") == "lo.id"
    assert keyword_name(" &lo.pacc; ") == "lo.pacc"


def test_preview_rows_per_record() -> None:
    resource = validate_bytes((FIXTURES / "example_3.xml").read_bytes(), "example_3.xml").resource
    assert resource is not None
    rows = preview(resource, [{"lo.pacc": ["A1"]}, {"lo.pacc": ["B2"]}])
    assert [(r.record, r.link_id, r.url.rsplit("?", 1)[1]) for r in rows] == [
        (1, "1", "db=special&ID=A594E"),
        (1, "3", "an_lookup=A1&view=full"),
        (2, "1", "db=special&ID=A594E"),
        (2, "3", "an_lookup=B2&view=full"),
    ]
