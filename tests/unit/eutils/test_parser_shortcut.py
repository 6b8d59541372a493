"""The ELink parser's shortcut for long link lists gives exactly what a full parse gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.paths import TESTS

from elinkcli.errors import ResponseParseError
from elinkcli.eutils import elink_parser

RESPONSES = TESTS / "fixtures" / "eutils" / "responses"
ELINK_FILES = sorted(p for p in RESPONSES.glob("*.xml") if "elink" in p.name)


def full_parse(data: bytes) -> object:
    """parse_elink with the shortcut turned off: every <Link> through defusedxml."""
    original = elink_parser._set_aside_links
    elink_parser._set_aside_links = lambda d: (d, [])  # type: ignore[assignment]
    try:
        return elink_parser.parse_elink(data)
    finally:
        elink_parser._set_aside_links = original


def outcome(parse: object, data: bytes) -> object:
    try:
        return parse(data)  # type: ignore[operator]
    except ResponseParseError as exc:
        return ("error", type(exc))


@pytest.mark.parametrize("path", ELINK_FILES, ids=lambda p: p.name)
def test_real_recordings_parse_the_same_both_ways(path: Path) -> None:
    data = path.read_bytes()
    assert outcome(elink_parser.parse_elink, data) == outcome(full_parse, data)


def test_the_shortcut_is_taken_for_plain_links() -> None:
    data = (RESPONSES / "elink1.xml").read_bytes()
    reduced, runs = elink_parser._set_aside_links(data)
    assert runs and b"<LinkRun" in reduced and b"<Link>" not in reduced


link_id = st.from_regex(r"[0-9]{1,9}", fullmatch=True)
space = st.sampled_from(["", " ", "\n\t\t", "\n"])
oddity = st.sampled_from(
    [
        "",
        "<!-- <Link><Id>999</Id></Link> -->",
        "<Link><Id> 5 </Id></Link>",
        '<Link><Id>7</Id><Score>1</Score><Extra a="1"/></Link>',
        "<Link><Id>8</Id></Link><Info>Empty result</Info>",
        "<Link><Id>9<!-- x --></Id></Link>",
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    ids=st.lists(link_id, max_size=30),
    scored=st.booleans(),
    gap=space,
    odd=oddity,
    odd_at=st.integers(min_value=0, max_value=30),
    cut=st.integers(min_value=0, max_value=5000),
)
def test_generated_link_lists_parse_the_same_both_ways(
    ids: list[str], scored: bool, gap: str, odd: str, odd_at: int, cut: int
) -> None:
    links = [
        f"<Link>{gap}<Id>{i}</Id>{gap}" + (f"<Score>{n}</Score>{gap}" if scored else "") + "</Link>"
        for n, i in enumerate(ids)
    ]
    links.insert(min(odd_at, len(links)), odd)
    body = (
        "<?xml version='1.0'?>\n<eLinkResult><LinkSet><DbFrom>pubmed</DbFrom>"
        "<IdList><Id>1</Id></IdList><LinkSetDb><DbTo>pubmed</DbTo>"
        f"<LinkName>pubmed_pubmed</LinkName>{gap.join(links)}</LinkSetDb></LinkSet></eLinkResult>"
    ).encode()
    assert outcome(elink_parser.parse_elink, body) == outcome(full_parse, body)
    truncated = body[: len(body) - cut % max(len(body), 1)]
    assert outcome(elink_parser.parse_elink, truncated) == outcome(full_parse, truncated)


# --- Latin-1 bytes under a declaration that names no encoding --------------------------


def linksets_xml(n: int, odd: int, *, declaration: str = '<?xml version="1.0" ?>') -> bytes:
    """n LinkSets; LinkSet `odd` has a DbFrom-side text and a link list with Latin-1 bytes."""
    sets = []
    for k in range(n):
        info = "<Info>caf\xe9</Info>" if k == odd else ""
        links = "".join(f"<Link><Id>{k}{j}</Id></Link>" for j in range(3))
        sets.append(
            f"<LinkSet><DbFrom>pubmed</DbFrom><IdList><Id>{k + 1}</Id></IdList>{info}"
            f"<LinkSetDb><DbTo>pubmed</DbTo><LinkName>pubmed_pubmed</LinkName>{links}"
            "</LinkSetDb></LinkSet>"
        )
    return f"{declaration}\n<eLinkResult>{''.join(sets)}</eLinkResult>".encode("latin-1")


@pytest.mark.parametrize("odd", [0, 5, 399])
def test_latin1_bytes_anywhere_keep_every_linkset(odd: int) -> None:
    data = linksets_xml(400, odd)
    for parse in (elink_parser.parse_elink, full_parse):
        result = parse(data)
        assert [ls.ids for ls in result.linksets] == [(str(k + 1),) for k in range(400)]
        assert [ls.linksetdbs[0].ids for ls in result.linksets] == [
            tuple(f"{k}{j}" for j in range(3)) for k in range(400)
        ]
        assert result.linksets[odd].infos == ("caf\xe9",)


def test_a_declared_latin1_body_is_left_to_expat() -> None:
    data = linksets_xml(10, 4, declaration='<?xml version="1.0" encoding="ISO-8859-1"?>')
    assert elink_parser.parse_elink(data).linksets[4].infos == ("caf\xe9",)


def test_utf8_bodies_are_not_touched() -> None:
    data = linksets_xml(3, 1).decode("latin-1").encode("utf-8")
    assert elink_parser.parse_elink(data).linksets[1].infos == ("caf\xe9",)
