"""Sequence DocSums from before `AccessionVersion`: the accession.version read from `Extra`
(a FASTA defline of seq-ids), and accessions resolved through such DocSums.

The answers are real recordings (tests/fixtures/eutils/manifest.json: Biopython's
esummary3.xml, protein, and esummary4.xml, nucleotide, both without AccessionVersion) and
the expected accessions are the ones their `Extra` items spell out (the manifest's
`extra` facts), written out below.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from support.fakes import FakeClock
from support.paths import TESTS

from elinkcli.accessions import EXTRA_LIMIT, extra_accessions, summary_accessions
from elinkcli.config import Settings
from elinkcli.constants import ESUMMARY
from elinkcli.eutils.client import EutilsClient
from elinkcli.eutils.pacing import StartPacer
from elinkcli.ids.resolve import accessions_of, build_table

BASE = "https://eutils.test/entrez/eutils/"
FIXTURES = TESTS / "fixtures" / "eutils"
MANIFEST = {e["file"]: e for e in json.loads((FIXTURES / "manifest.json").read_text("utf-8"))}

# The recordings' Extra items (manifest `extra`) and the accession.version each spells.
RECORDED_EXTRAS = [
    ("esummary3.bp-2008.xml", "protein", "28800982", "AAO47091.1"),
    ("esummary3.bp-2008.xml", "protein", "28628843", "AAO49381.1"),
    ("esummary4.bp-2008.xml", "nuccore", "28864546", "AY207443.1"),
    ("esummary4.bp-2008.xml", "nuccore", "28800981", "AY205604.1"),
]


def recorded_extra(name: str, uid: str) -> str:
    (docsum,) = [d for d in MANIFEST[name]["expected"]["docsums"] if d["uid"] == uid]
    assert docsum["accession_version"] is None  # the point: no AccessionVersion item
    return str(docsum["extra"])


@pytest.mark.parametrize(("name", "db", "uid", "accession"), RECORDED_EXTRAS)
def test_recorded_extras_name_the_accession_version(
    name: str, db: str, uid: str, accession: str
) -> None:
    assert extra_accessions(db, recorded_extra(name, uid)) == [accession]


# Extras of other records NCBI served (quoted by other projects from real answers), and
# the FASTA defline forms of the other seq-id types (sp: NCBI's defline convention).
OTHER_EXTRAS = [
    ("protein", "gi|15718680|ref|NP_005537.3|", ["NP_005537.3"]),
    ("protein", "gi|15718680|ref|NP_005537.3|[15718680]", ["NP_005537.3"]),
    ("nuccore", "gi|32656|emb|X02955.1|[32656]", ["X02955.1"]),
    ("nuccore", "gi|2238893766|dbj|LC707984.1|", ["LC707984.1"]),
    (
        "nuccore",
        "gi|544687983|ref|NZ_APJW01000002.1||gnl|WGS:NZ_APJW01|ibis.contig.1",
        ["NZ_APJW01000002.1"],
    ),
    ("protein", "gi|120407068|sp|P04637.2|P53_HUMAN", ["P04637.2"]),
    # No version, or a seq-id type that names no accession.version: nothing.
    ("protein", "gi|28800982|gb|AAO47091|", []),
    ("protein", "gi|1|pdb|1TUP|A", []),
    ("nuccore", "gi|1|gnl|WGS:AAAA01|contig1.1", []),
    ("nuccore", "gi|1|lcl|AB123456.1", []),
]


@pytest.mark.parametrize(("db", "extra", "accessions"), OTHER_EXTRAS)
def test_extra_forms(db: str, extra: str, accessions: list[str]) -> None:
    assert extra_accessions(db, extra) == accessions


HOSTILE_EXTRAS = [
    "|" * 1_000_000,
    "gb|" * 100_000 + "AAO49381.1",
    "x" * 1_000_000 + "|gb|AAO49381.1|",
    "gi|1|gb|AAO49381.1\\x1b[31m|",  # a control character as the parser leaves it: escaped
    "gi|1|gb|AAO49381.1\x1b|",
    "gi|1|gb|AAO49381.1 OR 1[uid]|",
    "gi|1|gb|<Item>AAO49381.1</Item>|",
    "gi|1|gb|../../etc/passwd.1|",
    "gi|1|gb|AAO49381." + "9" * 100 + "|",
    "gi|1|gb|NM_000546.6|",  # a nuccore form asked of popset
]


@pytest.mark.parametrize("extra", HOSTILE_EXTRAS, ids=range(len(HOSTILE_EXTRAS)))
def test_hostile_extras_name_nothing(extra: str) -> None:
    assert extra_accessions("popset" if "NM_" in extra else "protein", extra) == []


def test_an_accession_past_the_read_start_is_not_read() -> None:
    far = "gi|1|" + "x" * EXTRA_LIMIT + "|gb|AAO49381.1|"
    assert extra_accessions("protein", far) == []


def test_extra_comes_after_accession_version_and_before_the_bare_caption() -> None:
    items = [
        ("Caption", "AAO49381"),
        ("Extra", "gi|28628843|gb|AAO49381.1|AF485325_1[28628843]"),
    ]
    assert summary_accessions("protein", items) == ["AAO49381.1", "AAO49381"]
    current = [*items, ("AccessionVersion", "AAO49381.2")]
    assert summary_accessions("protein", current)[0] == "AAO49381.2"


# --- accessions resolved through the recorded answers --------------------------------------


class Recorded:
    """requests-mock callback: the recorded ESummary answer of the db asked, whatever ids."""

    def __init__(self) -> None:
        self.log: list[str] = []

    def __call__(self, request: Any, context: Any) -> bytes:
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        params = dict(parse_qsl(body or urlsplit(request.url).query))
        self.log.append(params["db"])
        name = "esummary3.bp-2008.xml" if params["db"] == "protein" else "esummary4.bp-2008.xml"
        return (FIXTURES / "responses" / name).read_bytes()


@pytest.fixture
def client(tmp_path: Any) -> Iterator[EutilsClient]:
    clock = FakeClock()
    settings = Settings(base_url=BASE, max_tries=1, cache_mode="off")
    with EutilsClient(
        settings,
        clock=clock,
        rng=random.Random(1),
        pacer=StartPacer(settings.start_interval, clock),
    ) as c:
        yield c


@pytest.fixture
def recorded(requests_mock: Any) -> Recorded:
    answer = Recorded()
    requests_mock.post(BASE + ESUMMARY, content=answer)
    requests_mock.get(BASE + ESUMMARY, content=answer)
    return answer


def test_versioned_accessions_resolve_through_old_docsums(client, recorded) -> None:
    """The user report: `AAO49381.1` named no record though Extra names it."""
    tokens = ["AAO49381.1", "AAO47091", "aao47091.1", "AAO49381.2"]
    table = build_table(client, "protein", tokens)
    assert {t: table.uid(t) for t in table.tokens} == {
        "AAO49381.1": "28628843",
        "AAO47091": "28800982",
        "aao47091.1": "28800982",
    }
    assert table.problems == [
        ("AAO49381.2", "names no protein record (no such accession, or no such version)")
    ]
    assert recorded.log == ["protein"]


def test_nucleotide_accessions_resolve_through_old_docsums(client, recorded) -> None:
    table = build_table(client, "nuccore", ["AY205604.1", "AY207443"])
    assert {t: table.uid(t) for t in table.tokens} == {
        "AY205604.1": "28800981",
        "AY207443": "28864546",
    }
    assert table.problems == []


def test_target_accessions_of_old_docsums_carry_the_version(client, recorded) -> None:
    found = accessions_of(client, "protein", [uid for _, db, uid, _ in RECORDED_EXTRAS[:2]])
    assert found == {uid: acc for _, _, uid, acc in RECORDED_EXTRAS[:2]}
