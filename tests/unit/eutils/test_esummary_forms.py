"""ESummary's two XML forms, version 1 DocSums and version 2.0 DocumentSummaries, read as
the same (name, text) items; and sequence DocSums without `AccessionVersion` read for the
accession.version their `Extra` names, a hostile Extra never trusted beyond the accession
forms (elinkcli.accessions).

Where the shapes come from: version 1 is Biopython's esummary3.xml (tests/fixtures/eutils,
manifest entry esummary3.bp-2008.xml); version 2.0 is NCBI's own sample in "E-utilities
Quick Start" (NBK25500, "Sample ESummary version 2.0 Output", protein 15718680), copied
below with its `AccessionVersion` element removed, as a DocumentSummary from before that
field would be.
"""

from __future__ import annotations

import json

import pytest
from support.paths import TESTS

from elinkcli.errors import ResponseParseError
from elinkcli.eutils.parsers import parse_esummary

FIXTURES = TESTS / "fixtures" / "eutils"
MANIFEST = {e["file"]: e for e in json.loads((FIXTURES / "manifest.json").read_text("utf-8"))}

# NCBI's sample, without <AccessionVersion>NP_005537.3</AccessionVersion>.
VERSION_2 = b"""<?xml version="1.0"?>
<!DOCTYPE eSummaryResult PUBLIC "-//NLM//DTD eSummaryResult//EN" "https://www.ncbi.nlm.nih.gov/entrez/query/DTD/eSummaryDTD/eSummary_protein.dtd">
<eSummaryResult>
    <DocumentSummarySet status="OK">
        <DocumentSummary uid="15718680">
            <Caption>NP_005537</Caption>
            <Title>tyrosine-protein kinase ITK/TSK [Homo sapiens]</Title>
            <Extra>gi|15718680|ref|NP_005537.3|</Extra>
            <Gi>15718680</Gi>            <CreateDate>1999/06/09</CreateDate>
            <UpdateDate>2011/10/09</UpdateDate>
            <Flags>512</Flags>
            <TaxId>9606</TaxId>
            <Slen>620</Slen>            <Biomol/>            <MolType>aa</MolType>
            <Topology>linear</Topology>
            <SourceDb>refseq</SourceDb>
            <SegSetSize>0</SegSetSize>
            <ProjectId>0</ProjectId>
            <Genome>genomic</Genome>            <SubType>chromosome|map</SubType>
            <SubName>5|5q31-q32</SubName>
            <AssemblyGi>399658</AssemblyGi>
            <AssemblyAcc>D13720.1</AssemblyAcc>
            <Tech/>
            <Completeness/>
            <GeneticCode>1</GeneticCode>            <Strand/>
            <Organism>Homo sapiens</Organism>
            <Statistics>
                <Stat type="all" count="8"/>
                <Stat type="blob_size" count="16154"/>
                <Stat source="all" type="site" count="16"/>
            </Statistics>
            <Properties aa="2">2</Properties>
            <Comment/>
            <OSLT indexed="yes">NP_005537.3</OSLT>
            <IdGiClass mol="3" repr="2" gi_state="10" sat="4" sat_key="58760802" owner="20"
                sat_name="NCBI" owner_name="NCBI-Genomes" defdiv="GNM" length="620" extfeatmask="41"
            />
        </DocumentSummary>    </DocumentSummarySet>
</eSummaryResult>
"""


def test_version_2_fields_are_items_like_version_1() -> None:
    (docsum,) = parse_esummary(VERSION_2, db="protein").docsums
    assert docsum.uid == "15718680"
    assert docsum.get("Caption") == ["NP_005537"]
    assert docsum.get("Extra") == ["gi|15718680|ref|NP_005537.3|"]
    assert docsum.get("AccessionVersion") == []
    assert docsum.get("Stat") == [""] * 3  # nested leaves are flattened, as version 1's are


def test_version_2_without_accession_version_names_it_through_extra() -> None:
    from elinkcli.accessions import summary_accessions

    (docsum,) = parse_esummary(VERSION_2, db="protein").docsums
    assert summary_accessions("protein", list(docsum.items)) == ["NP_005537.3", "NP_005537"]


def test_version_1_recording_is_read_with_extra() -> None:
    from elinkcli.accessions import summary_accessions

    name = "esummary3.bp-2008.xml"
    result = parse_esummary((FIXTURES / "responses" / name).read_bytes(), db="protein")
    facts = MANIFEST[name]["expected"]["docsums"]
    assert [d.uid for d in result.docsums] == [f["uid"] for f in facts]
    for docsum, fact in zip(result.docsums, facts, strict=True):
        accessions = summary_accessions("protein", list(docsum.items))
        # The versioned accession first (Extra's second field), then the bare Caption.
        assert accessions == [fact["extra"].split("|")[3], fact["caption"]]


def test_a_version_2_summary_naming_an_error_is_an_error_beside_the_others() -> None:
    """NCBI's JSON answers an unknown uid with {"uid": X, "error": "cannot get document
    summary"}; its XML twin is an <error> in that DocumentSummary (shape of the JSON form,
    quoted by other projects from real answers)."""
    data = VERSION_2.replace(
        b"    </DocumentSummarySet>",
        b'<DocumentSummary uid="999999999"><error>cannot get document summary</error>'
        b"</DocumentSummary></DocumentSummarySet>",
    )
    result = parse_esummary(data, db="protein")
    assert [d.uid for d in result.docsums] == ["15718680"]
    assert result.errors == ("cannot get document summary",)


HOSTILE = [
    "|" * 200_000,
    "gi|1|gb|AAO49381.1\x1b[2J|",
    "gi|1|gb|AAO49381.1\u202e|",
    "gb|" * 50_000,
    "gi|1|gb|AAO49381." + "9" * 500 + "|",
    "gi|1|gb|" + "A" * 5000 + ".1|",
    "gi|1|gb|AAO49381.1 OR 2[uid]|",
]


@pytest.mark.parametrize("extra", HOSTILE, ids=range(len(HOSTILE)))
def test_a_hostile_extra_parses_and_names_no_accession(extra: str) -> None:
    """The recorded DocSum with its Extra replaced: the answer is read, the record keeps its
    Caption, and no accession comes from the Extra."""
    from xml.sax.saxutils import escape

    from elinkcli.accessions import summary_accessions

    data = (FIXTURES / "responses" / "esummary3.bp-2008.xml").read_bytes()
    recorded = b"gi|28628843|gb|AAO49381.1|AF485325_1[28628843]"
    data = data.replace(recorded, escape(extra).encode("latin-1", "xmlcharrefreplace"))
    try:
        result = parse_esummary(data, db="protein")
    except ResponseParseError:  # refused whole, cleanly (XML cannot hold the character)
        assert "\x1b" in extra
        return
    docsum = next(d for d in result.docsums if d.uid == "28628843")
    assert summary_accessions("protein", list(docsum.items)) == ["AAO49381"]
