"""ELink answers to `idtype=acc` (elinkcli.eutils.elink_parser.parse_elink_accessions):
linked ids are accession.version there, and only there; anything else is still refused.

The answer's shape is NCBI's eLinkResult (tests/fixtures/eutils/responses/elink*.xml) with
the Link ids written as `idtype=acc` writes them (docs/reference/eutils-facts.md, fact 5)."""

from __future__ import annotations

import pytest

from elinkcli.errors import ResponseParseError, ResponseValueError
from elinkcli.eutils.elink_parser import parse_elink, parse_elink_accessions


def answer(*ids: str) -> bytes:
    links = "".join(f"<Link><Id>{i}</Id></Link>" for i in ids)
    return (
        '<?xml version="1.0" encoding="UTF-8" ?>\n<eLinkResult><LinkSet><DbFrom>gene</DbFrom>'
        "<IdList><Id>672</Id></IdList><LinkSetDb><DbTo>protein</DbTo>"
        f"<LinkName>gene_protein</LinkName>{links}</LinkSetDb></LinkSet></eLinkResult>\n"
    ).encode()


def test_accession_versions_are_read_as_linked_ids() -> None:
    result = parse_elink_accessions(answer("NP_000537.3", "AAO49381.1", "1234"))
    (linkset,) = result.linksets
    assert linkset.ids == ("672",)
    assert linkset.linksetdbs[0].ids == ("NP_000537.3", "AAO49381.1", "1234")


def test_without_idtype_acc_an_accession_is_no_linked_id() -> None:
    with pytest.raises(ResponseValueError, match="a linked id"):
        parse_elink(answer("NP_000537.3"))


@pytest.mark.parametrize("bad", ["NP 1", "NP_1;rm", "\x1b[31mX", "x" * 300, "NP_1/2"])
def test_a_hostile_accession_is_still_refused(bad: str) -> None:
    from xml.sax.saxutils import escape

    with pytest.raises((ResponseValueError, ResponseParseError)):
        parse_elink_accessions(answer(escape(bad)))
