"""What elinkcli reads on stdin, built for tests: its own TSV rows and EDirect's
ENTREZ_DIRECT messages (docs/reference/edirect-compat.md), and the element names of a
message as the standard library parses it.

Used by tests/unit/ids/test_id_sources.py, tests/unit/cli/test_inputs.py and
tests/unit/output/test_edirect_writer.py.
"""

from __future__ import annotations

from xml.etree.ElementTree import fromstring as std_fromstring

from elinkcli.commands.link import LINK_COLUMNS

TSV_HEADER = "\t".join(LINK_COLUMNS)
LABELS = "<Labels><Label><Key>cohort</Key><Val>BRCA &amp; review</Val></Label></Labels>"


def tsv(*rows: tuple[str, ...], header: str = TSV_HEADER) -> bytes:
    return "".join(line + "\n" for line in [header, *("\t".join(r) for r in rows)]).encode()


def link_row(
    source_id: str, target_id: str, target_db: str = "protein", source_db: str = "gene"
) -> tuple[str, ...]:
    uid = source_id.lstrip("0") or ("0" if source_id else "")
    return (source_db, source_id, f"{source_db}_{target_db}", target_db, target_id, "", uid, "")


def message(*body: str, declaration: bool = False) -> bytes:
    head = '<?xml version="1.0" encoding="UTF-8" ?>\n' if declaration else ""
    return (head + "<ENTREZ_DIRECT>\n" + "".join(body) + "</ENTREZ_DIRECT>\n").encode()


FULL = message(
    "  <Db>pubmed</Db>\n",
    "  <WebEnv>MCID_abc</WebEnv>\n",
    "  <QueryKey>3</QueryKey>\n",
    "  <Count>4</Count>\n",
    "  <Step>2</Step>\n",
    "  <Tool>edirect</Tool>\n",
    "  <Email>me@example.org</Email>\n",
    f"  {LABELS}\n",
    "  <Query>BRCA1[ti]</Query>\n",
    "  <MinDate>2001</MinDate>\n  <MaxDate>2002/06</MaxDate>\n  <RelDate>30</RelDate>\n",
    "  <DateType>PDAT</DateType>\n  <Other>kept</Other>\n",
    "  <Id>101</Id>\n  <Id> 102 </Id>\n  <Id></Id>\n  <Id>101</Id>\n",
    declaration=True,
)


def tags(text: str) -> list[str]:
    return [child.tag for child in std_fromstring(text)]
