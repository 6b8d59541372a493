"""`--format xml`, end to end: the installed `elinkcli` against the fake server writes one
eLinkResult document in NCBI's shape (elink.dtd 20101123), read back with defusedxml and
Bio.Entrez.read (tests/support/elink_xml_readers.py), whose LinkSets are exactly the links
of the fake's oracle, `fake.links(...)`, never elinkcli's own output: many ids in batches,
neighbor_score scores, an output file, ids not echoed, unknown or without links, --union,
a failed batch ending the document with an ERROR; and --format xml refused on every other
command and with --resume, before any request.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from pathlib import Path

import pytest
from Bio import Entrez
from conftest import assert_clean_error
from support.elink_xml_readers import HEAD, Set, empty_set, read_both, read_defused, read_entrez
from support.fake_eutils import FakeEutils, Faults, elink_requests
from support.fakes import chunks

# The fake scores neighbor_score links by rank inside each link table (see its _linkset).
TOP_SCORE, SCORE_STEP = 100_000_000, 1000

GENE_IDS = [str(n) for n in random.Random(20240612).sample(range(1, 2_000_000), 250)]


def oracle_sets(
    fake: FakeEutils, dbfrom: str, ids: Sequence[str], db: str, scored: bool = False
) -> list[Set]:
    """One LinkSet per source id, in input order, as NCBI answers them (ids without links:
    DbFrom and IdList only). -target alone asks for DB_TARGET, as EDirect's elink."""
    sets: list[Set] = []
    for uid in ids:
        dbs = tuple(
            (
                dbto,
                name,
                tuple(
                    (t, str(max(1, TOP_SCORE - rank * SCORE_STEP)) if scored else None)
                    for rank, t in enumerate(targets)
                ),
            )
            for name, dbto, targets in fake.links(dbfrom, uid, db, f"{dbfrom}_{db}")
        )
        sets.append((dbfrom, (uid,), dbs))
    return sets


@pytest.mark.e2e
def test_e2e_250_ids_three_requests_one_document(fake, run):
    proc = run(
        "link", "-db", "gene", "-target", "protein", "--batch", "100", "--format", "xml",
        "--id", ",".join(GENE_IDS),
    )  # fmt: skip

    assert proc.returncode == 0, proc
    assert proc.stderr == ""
    assert sorted(r.values("id") for r in elink_requests(fake)) == sorted(chunks(GENE_IDS, 100))
    assert proc.stdout.startswith(HEAD + "<eLinkResult>\n")
    assert proc.stdout.count("<eLinkResult>") == 1
    expected = oracle_sets(fake, "gene", GENE_IDS, "protein")
    without = [s for s in expected if not s[2]]
    assert 20 < len(without) < len(expected)  # ids without links are in the document too
    assert read_both(proc.stdout) == expected


@pytest.mark.e2e
def test_e2e_neighbor_score_scores(fake, run):
    ids = [str(n) for n in range(4001, 4031)]
    proc = run(
        "link", "-db", "pubmed", "-target", "pubmed", "-cmd", "neighbor_score",
        "--batch", "10", "--format", "xml", "--id", ",".join(ids),
    )  # fmt: skip

    assert proc.returncode == 0, proc
    assert len(elink_requests(fake)) == 3
    got = read_both(proc.stdout)
    assert got == oracle_sets(fake, "pubmed", ids, "pubmed", scored=True)
    scores = [score for _db, _ids, dbs in got for _t, _n, links in dbs for _i, score in links]
    assert scores and all(s is not None and int(s) > 0 for s in scores)


@pytest.mark.e2e
def test_e2e_output_file(fake, run, tmp_path: Path):
    out = tmp_path / "links.xml"
    ids = GENE_IDS[:40]
    proc = run(
        "link", "-db", "gene", "-target", "protein", "--batch", "20", "--format", "xml",
        "-o", str(out), "--id", ",".join(ids),
    )  # fmt: skip

    assert proc.returncode == 0, proc
    assert proc.stdout == ""
    assert read_both(out.read_text("utf-8")) == oracle_sets(fake, "gene", ids, "protein")


@pytest.mark.e2e
def test_e2e_not_echoed_absent_unknown_without_links(fake, run):
    fake.silent_ids = {"302"}
    fake.unknown_ids = {"303"}
    ids = ["301", "302", "303", "304", "305"]
    assert fake.links("gene", "302", "protein")  # it has links, but NCBI leaves it out
    proc = run("link", "-db", "gene", "-target", "protein", "--format", "xml", "-id", *ids)

    assert proc.returncode == 0, proc
    got = read_both(proc.stdout)
    assert [s[1] for s in got] == [("301",), ("303",), ("304",), ("305",)]
    assert got == oracle_sets(fake, "gene", ["301", "303", "304", "305"], "protein")
    assert got[1] == empty_set("303") and got[3] == empty_set("305")


@pytest.mark.e2e
def test_e2e_union(fake, run):
    ids = GENE_IDS[:30]
    # -name all: every table of the pair, one LinkSetDb per link name in the merged set.
    proc = run(
        "link", "-db", "gene", "-target", "protein", "-name", "all", "--union", "--batch", "10",
        "--format", "xml", "--id", ",".join(ids),
    )  # fmt: skip

    assert proc.returncode == 0, proc
    assert len(elink_requests(fake)) == 3
    merged: dict[tuple[str, str], dict[str, None]] = {}
    for uid in ids:
        for name, dbto, targets in fake.links("gene", uid, "protein"):
            merged.setdefault((dbto, name), {}).update(dict.fromkeys(targets))
    got = read_both(proc.stdout)
    assert len(got) == 1
    db, listed, dbs = got[0]
    assert (db, listed) == ("gene", tuple(ids))
    assert {(to, name): [t for t, _s in links] for to, name, links in dbs} == {
        key: list(targets) for key, targets in merged.items()
    }


@pytest.mark.e2e
def test_e2e_failed_batch_leaves_a_well_formed_document_with_error(fake, run):
    ids = [str(n) for n in range(7001, 7011)]
    doomed = ids[2:4]
    fake.faults = Faults(by_id={doomed[0]: ["503"] * 12})
    proc = run(
        "link", "-db", "gene", "-target", "protein", "--batch", "2", "--format", "xml",
        "--id", ",".join(ids), env={"NCBI_API_KEY": "xml-key"},
    )  # fmt: skip

    line = assert_clean_error(proc, 4)
    assert line.rsplit("failed ids: ", 1)[1].split(",") == doomed
    expected = oracle_sets(fake, "gene", [i for i in ids if i not in doomed], "protein")
    message = line.removeprefix("elinkcli: error: ")
    assert read_defused(proc.stdout) == (expected, [message])
    with pytest.raises(RuntimeError):
        Entrez.read(io.BytesIO(proc.stdout.encode()))
    assert read_entrez(proc.stdout, ignore_errors=True) == (expected, [message])


CHECK = ("check", "-db", "gene", "-cmd", "ncheck", "-id", "1,2")
CHAIN = ("chain", "-db", "gene", "-id", "1,2", "protein")
DISCOVER = ("discover", "-db", "gene")
DISCOVER_IDS = ("discover", "-db", "gene", "-id", "1,2")


@pytest.mark.e2e
@pytest.mark.parametrize("args", [CHECK, CHAIN, DISCOVER, DISCOVER_IDS], ids=lambda a: a[0])
def test_e2e_xml_on_other_commands_is_a_usage_error(fake, run, args, tmp_path: Path):
    out = tmp_path / "out.xml"
    for extra in ((), ("-o", str(out))):
        proc = run(*args, "--format", "xml", *extra)
        line = assert_clean_error(proc, 2)
        # Their --format does not offer xml (COMMAND_FORMATS): Click refuses it.
        assert "'xml' is not one of" in line, line
        assert proc.stdout == ""
    assert fake.log == []  # no request at all
    assert not out.exists()


@pytest.mark.e2e
def test_e2e_linkout_has_no_xml_format(fake, run):
    line = assert_clean_error(run("linkout", "-db", "pubmed", "-id", "1", "--format", "xml"), 2)
    assert "'xml' is not one of" in line
    assert fake.log == []


@pytest.mark.e2e
def test_e2e_resume_with_xml_is_refused(fake, run, tmp_path: Path):
    out = tmp_path / "links.xml"
    proc = run(
        "link", "-db", "gene", "-target", "protein", "--format", "xml",
        "-o", str(out), "--resume", "--id", "1,2,3",
    )  # fmt: skip

    line = assert_clean_error(proc, 2)
    assert line == "elinkcli: error: --resume works with tsv, json, jsonl and uid, not xml"
    assert proc.stdout == ""
    assert fake.log == []
    assert not out.exists()
