"""The ELink parser's shortcut for long link lists gives exactly what a full parse gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elinkcli import parsers
from elinkcli.errors import ResponseParseError

RESPONSES = Path(__file__).parent / "fixtures" / "eutils" / "responses"
ELINK_FILES = sorted(p for p in RESPONSES.glob("*.xml") if "elink" in p.name)


def full_parse(data: bytes) -> object:
    """parse_elink with the shortcut turned off: every <Link> through defusedxml."""
    original = parsers._set_aside_links
    parsers._set_aside_links = lambda d: (d, [])  # type: ignore[assignment]
    try:
        return parsers.parse_elink(data)
    finally:
        parsers._set_aside_links = original


def outcome(parse: object, data: bytes) -> object:
    try:
        return parse(data)  # type: ignore[operator]
    except ResponseParseError as exc:
        return ("error", type(exc))


@pytest.mark.parametrize("path", ELINK_FILES, ids=lambda p: p.name)
def test_real_recordings_parse_the_same_both_ways(path: Path) -> None:
    data = path.read_bytes()
    assert outcome(parsers.parse_elink, data) == outcome(full_parse, data)


def test_the_shortcut_is_taken_for_plain_links() -> None:
    data = (RESPONSES / "elink1.xml").read_bytes()
    reduced, runs = parsers._set_aside_links(data)
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
    assert outcome(parsers.parse_elink, body) == outcome(full_parse, body)
    truncated = body[: len(body) - cut % max(len(body), 1)]
    assert outcome(parsers.parse_elink, truncated) == outcome(full_parse, truncated)
