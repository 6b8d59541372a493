"""Reading a `--format xml` document (an eLinkResult, elink.dtd 20101123) back, as the
tests of elinkcli.output.elink_xml do: `read_defused` (defusedxml), `read_entrez`
(Bio.Entrez.read, which validates against its bundled copy of NCBI's DTD) and `read_both`
(both, which must agree), each giving the LinkSets as `Set` tuples; `HEAD`, the XML
declaration and DOCTYPE every document opens with; `empty_set`, the LinkSet of an id
without links.

Used by tests/unit/output/test_xml_output.py and tests/e2e/test_xml_output.py.
"""

from __future__ import annotations

import io

from Bio import Entrez
from Bio.Entrez.Parser import ErrorElement
from defusedxml.ElementTree import fromstring

HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n'
    '<!DOCTYPE eLinkResult PUBLIC "-//NLM//DTD elink 20101123//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20101123/elink.dtd">\n'
)

# One LinkSet as both readers give it back:
# (DbFrom, (source ids...), ((DbTo, LinkName, ((target, score or None), ...)), ...)).
Links = tuple[tuple[str, str, tuple[tuple[str, str | None], ...]], ...]
Set = tuple[str, tuple[str, ...], Links]


def read_defused(text: str) -> tuple[list[Set], list[str]]:
    """The LinkSets and the top-level ERROR texts, read with defusedxml."""
    root = fromstring(text.encode("utf-8"))
    assert root.tag == "eLinkResult"
    assert {child.tag for child in root} <= {"LinkSet", "ERROR"}
    sets: list[Set] = []
    for ls in root.findall("LinkSet"):
        assert [c.tag for c in ls][:2] == ["DbFrom", "IdList"]
        dbs = tuple(
            (
                db.findtext("DbTo") or "",
                db.findtext("LinkName") or "",
                tuple(
                    (link.findtext("Id") or "", link.findtext("Score"))
                    for link in db.findall("Link")
                ),
            )
            for db in ls.findall("LinkSetDb")
        )
        # Links only, after DbTo and LinkName.
        for db in ls.findall("LinkSetDb"):
            assert [c.tag for c in db][:2] == ["DbTo", "LinkName"]
            assert {c.tag for c in list(db)[2:]} <= {"Link"}
        sets.append(
            (ls.findtext("DbFrom") or "", tuple(i.text or "" for i in ls.findall("IdList/Id")), dbs)
        )
    return sets, [e.text or "" for e in root.findall("ERROR")]


def read_entrez(text: str, ignore_errors: bool = False) -> tuple[list[Set], list[str]]:
    """The same, read with Bio.Entrez.read (validating against NCBI's DTD)."""
    record = Entrez.read(io.BytesIO(text.encode("utf-8")), ignore_errors=ignore_errors)
    sets: list[Set] = []
    errors: list[str] = []
    for item in record:
        if isinstance(item, ErrorElement):
            errors.append(str(item))
            continue
        assert not item["ERROR"] and not item["LinkSetDbHistory"]
        dbs = tuple(
            (
                str(db["DbTo"]),
                str(db["LinkName"]),
                tuple(
                    (str(link["Id"]), str(link["Score"]) if "Score" in link else None)
                    for link in db["Link"]
                ),
            )
            for db in item["LinkSetDb"]
        )
        sets.append((str(item["DbFrom"]), tuple(str(i) for i in item["IdList"]), dbs))
    return sets, errors


def read_both(text: str) -> list[Set]:
    """The LinkSets of a document without ERROR: both readers must agree on them."""
    defused, errors = read_defused(text)
    assert errors == []
    entrez, entrez_errors = read_entrez(text)
    assert entrez_errors == []
    assert entrez == defused
    return defused


def empty_set(uid: str, db: str = "gene") -> Set:
    return (db, (uid,), ())
