"""End to end: EDirect command lines from its documentation and cookbook, with `elink`
replaced by `elinkcli link`, each checked against the fake server's known answer.

stdin holds what today's EDirect writes before elink: `esearch -db pubmed` a query message
(no ids, no WebEnv: the query is run again, in UID ranges above 9,999 hits), other
`esearch`es a History set, or ids. Requests carry an API key so pacing is 0.11 s.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from xml.etree import ElementTree as ET

import pytest
from conftest import Row, assert_clean_error, parse_tsv
from support.fake_eutils import FakeEutils, search_year

pytestmark = pytest.mark.e2e

KEY = {"NCBI_API_KEY": "e2e0123456789abcdef0123456789abcdef"}
QUERY = "tn3 transposition immunity"


def query_message(db: str, query: str, count: int, **dates: str) -> bytes:
    """What `esearch -db pubmed -query QUERY` writes since EDirect 19 (built here)."""
    extra = "".join(f"  <{tag}>{value}</{tag}>\n" for tag, value in dates.items())
    return (
        f"<ENTREZ_DIRECT>\n  <Db>{db}</Db>\n  <Count>{count}</Count>\n"
        f"  <Query>{query}</Query>\n{extra}</ENTREZ_DIRECT>\n"
    ).encode()


def history_message(db: str, webenv: str, key: str, count: int) -> bytes:
    return (
        f"<ENTREZ_DIRECT>\n  <Db>{db}</Db>\n  <WebEnv>{webenv}</WebEnv>\n"
        f"  <QueryKey>{key}</QueryKey>\n  <Count>{count}</Count>\n  <Step>1</Step>\n"
        "</ENTREZ_DIRECT>\n"
    ).encode()


def oracle_rows(
    fake: FakeEutils, dbfrom: str, ids: Sequence[str], db: str, name: str | None = None
) -> list[Row]:
    return [
        (dbfrom, uid, linkname, dbto, target, "")
        for uid in ids
        for linkname, dbto, targets in fake.links(dbfrom, uid, db, name)
        for target in targets
    ]


def message_ids(text: str) -> list[str]:
    root = ET.fromstring(text)
    assert root.tag == "ENTREZ_DIRECT", text
    return [el.text or "" for el in root.iterfind("Id")]


def searched(fake: FakeEutils) -> list:
    return fake.requests_to("esearch.fcgi")


def store_search(fake: FakeEutils, n: int, seed: int, db: str = "pubmed") -> list[str]:
    found = [str(u) for u in random.Random(seed).sample(range(1, 60_000), n)]
    fake.searches[(db, QUERY)] = found
    return sorted(found, key=int, reverse=True)  # ESearch's order: most recent first


# --- esearch -db pubmed ... | elink ... --------------------------------------------------


def test_pubmed_query_message_over_9999_hits_is_read_completely(fake, run) -> None:
    """esearch -db pubmed -query "..." | elink -target gene | efetch -format docsum"""
    found = store_search(fake, 12_345, seed=1)
    proc = run(
        "link", "-target", "gene", "--batch", "1000",
        stdin=query_message("pubmed", QUERY, 12_345), env=KEY, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    expected = list(dict.fromkeys(r[4] for r in oracle_rows(fake, "pubmed", found, "gene")))
    assert sorted(message_ids(proc.stdout)) == sorted(expected)
    assert f"<Count>{len(expected)}</Count>" in proc.stdout
    asked = [i for r in fake.requests_to("elink.fcgi") for i in r.values("id")]
    assert sorted(asked, key=int) == sorted(found, key=int)
    for request in searched(fake):
        assert int(request.get("retstart") or 0) <= 9998
        assert request.get("term") == QUERY or request.get("term").startswith(f"({QUERY}) AND ")
    assert len(searched(fake)) > 2  # it did split into UID ranges


def test_pubmed_query_message_related_links_within_pubmed(fake, run) -> None:
    """esearch -db pubmed -query "..." | elink -related | efetch -format uid"""
    found = store_search(fake, 300, seed=2)
    proc = run("link", "-related", "--format", "uid", stdin=query_message("pubmed", QUERY, 300))
    assert proc.returncode == 0, proc.stderr
    expected = oracle_rows(fake, "pubmed", found, "pubmed", "pubmed_pubmed")
    assert proc.stdout.split() == list(dict.fromkeys(r[4] for r in expected))
    for request in fake.requests_to("elink.fcgi"):
        assert (request.get("db"), request.get("linkname")) == ("pubmed", "pubmed_pubmed")


def test_pubmed_query_message_with_dates_limits_every_search(fake, run) -> None:
    """esearch -db pubmed -query "..." -mindate 1990 -maxdate 2005 -datetype PDAT | elink"""
    found = store_search(fake, 20_000, seed=3)
    dates = {"MinDate": "1990", "MaxDate": "2005", "DateType": "PDAT"}
    in_range = [u for u in found if 1990 <= search_year(u) <= 2005]
    proc = run(
        "link", "-target", "gene", "--format", "tsv", "--batch", "1000",
        stdin=query_message("pubmed", QUERY, len(in_range), **dates), env=KEY, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = parse_tsv(proc.stdout)
    assert sorted(rows) == sorted(oracle_rows(fake, "pubmed", in_range, "gene"))
    for request in searched(fake):
        assert (request.get("mindate"), request.get("maxdate"), request.get("datetype")) == (
            "1990",
            "2005",
            "PDAT",
        )


def test_a_query_that_loses_records_is_exit_4_and_links_nothing(fake, run) -> None:
    found = store_search(fake, 400, seed=4)
    fake.search_lost = {found[10]}
    proc = run("link", "-target", "gene", stdin=query_message("pubmed", QUERY, 400))
    line = assert_clean_error(proc, 4)
    assert "400" in line and "399" in line
    assert fake.requests_to("elink.fcgi") == []
    assert re.search(r"<Error>.*399", proc.stdout)  # the next tool in the pipe is told


def test_a_query_message_with_count_zero_is_an_empty_message(fake, run) -> None:
    proc = run("link", "-target", "gene", stdin=query_message("pubmed", "nothing", 0))
    assert proc.returncode == 0, proc.stderr
    assert message_ids(proc.stdout) == [] and "<Count>0</Count>" in proc.stdout
    assert fake.log == []


def test_a_changed_count_is_a_warning_not_an_error(fake, run) -> None:
    found = store_search(fake, 50, seed=5)
    proc = run(
        "link", "-target", "gene", "--format", "tsv", stdin=query_message("pubmed", QUERY, 48)
    )
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"warning: .*finds 50 records now.* said 48", proc.stderr)
    assert sorted(parse_tsv(proc.stdout)) == sorted(oracle_rows(fake, "pubmed", found, "gene"))


# --- esearch -db gene ... | elink (a History set) -----------------------------------------


def test_gene_history_message_with_a_link_name(fake, run) -> None:
    """esearch -db gene -query "..." | elink -target protein -name gene_protein_refseq"""
    genes = [str(n) for n in range(100, 160)]
    webenv, key = fake.store("gene", genes)
    proc = run(
        "link", "-target", "protein", "-name", "gene_protein_refseq", "--format", "tsv",
        stdin=history_message("gene", webenv, key, len(genes)),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    expected = oracle_rows(fake, "gene", genes, "protein", "gene_protein_refseq")
    assert parse_tsv(proc.stdout) == expected


# --- elink with ids ------------------------------------------------------------------------


def test_several_ids_after_one_id_option(fake, run) -> None:
    """elink -db pubmed -id 2539356 7191290 18641279 -target gene"""
    ids = ["2539356", "7191290", "18641279"]
    proc = run("link", "-db", "pubmed", "-id", *ids, "-target", "gene", "--format", "tsv")
    assert proc.returncode == 0, proc.stderr
    assert parse_tsv(proc.stdout) == oracle_rows(fake, "pubmed", ids, "gene")


def test_ids_from_a_file(fake, run, tmp_path) -> None:
    """elink -input ids.txt -db gene -target protein -name gene_protein_refseq"""
    ids = ["672", "7157", "675"]
    path = tmp_path / "ids.txt"
    path.write_text("\n".join(ids) + "\n")
    proc = run(
        "link", "-input", str(path), "-db", "gene", "-target", "protein",
        "-name", "gene_protein_refseq", "--format", "tsv",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert parse_tsv(proc.stdout) == oracle_rows(
        fake, "gene", ids, "protein", "gene_protein_refseq"
    )
    missing = run("link", "-input", str(tmp_path / "nope.txt"), "-db", "gene", "-target", "protein")
    assert "cannot read --input" in assert_clean_error(missing, 2)
    both = run("link", "-input", str(path), "-id", "1", "-db", "gene", "-target", "protein")
    assert "not both" in assert_clean_error(both, 2)


def test_neighbors_with_scores(fake, run) -> None:
    """elink -db pubmed -id 15718680 -related -cmd score"""
    proc = run("link", "-db", "pubmed", "-id", "15718680", "-related", "-cmd", "score")
    assert proc.returncode == 0, proc.stderr
    rows = parse_tsv(proc.stdout)
    ((_, _, targets),) = fake.links("pubmed", "15718680", "pubmed", "pubmed_pubmed")
    assert [r[4] for r in rows] == targets
    assert [int(r[5]) for r in rows] == [100_000_000 - rank * 1000 for rank in range(len(targets))]
    assert fake.requests_to("elink.fcgi")[0].get("cmd") == "neighbor_score"


def test_format_acc_asks_for_accessions(fake, run) -> None:
    """elink -db nuccore -id NM_000546.6 -target protein -format acc"""
    fake.add_record("nuccore", 2_000_003, "NM_000546.6")
    targets = [t for _, _, ts in fake.links("nuccore", "2000003", "protein") for t in ts]
    for n, target in enumerate(targets):
        fake.add_record("protein", target, f"NP_{n:06d}.1")
    proc = run(
        "link", "-db", "nuccore", "-id", "NM_000546.6", "-target", "protein", "-format", "acc"
    )
    assert proc.returncode == 0, proc.stderr
    # The accessions come from ESummary; ELink is asked for UIDs, so both are kept.
    assert fake.requests_to("elink.fcgi")[0].get("idtype") is None
    rows = parse_tsv(proc.stdout, full=True)
    assert [(r[1], r[6], r[4], r[7]) for r in rows] == [
        ("NM_000546.6", "2000003", t, f"NP_{n:06d}.1") for n, t in enumerate(targets)
    ]


def test_history_cmd_stores_the_result(fake, run) -> None:
    """elink -db gene -id 672 -target protein -cmd history | efetch -format fasta"""
    proc = run("link", "-db", "gene", "-id", "672", "-target", "protein", "-cmd", "history")
    assert proc.returncode == 0, proc.stderr
    root = ET.fromstring(proc.stdout)
    webenv, key = root.findtext("WebEnv"), root.findtext("QueryKey")
    stored = fake.histories[webenv][key][1]
    assert sorted(stored) == sorted({r[4] for r in oracle_rows(fake, "gene", ["672"], "protein")})


def test_batch_flag_and_other_edirect_options_are_taken(fake, run) -> None:
    """elink -db pubmed -id 1 2 -target gene -batch -complete -chunk 1 -label A"""
    proc = run(
        "link", "-db", "pubmed", "-id", "4", "5", "-target", "gene", "-batch", "-complete",
        "-chunk", "1", "-label", "A", "--format", "tsv",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert parse_tsv(proc.stdout) == oracle_rows(fake, "pubmed", ["4", "5"], "gene")
    assert len(fake.requests_to("elink.fcgi")) == 2  # -chunk 1: one id a request
    assert "warning: -label is ignored" in proc.stderr


@pytest.mark.parametrize(
    ("cmd", "pointer"),
    [
        ("acheck", "elinkcli discover"),
        ("ncheck", "elinkcli check -cmd ncheck"),
        ("lcheck", "elinkcli check -cmd lcheck"),
        ("llinks", "elinkcli linkout"),
        ("prlinks", "elinkcli linkout --primary"),
        ("llibs", "elinkcli linkout --libraries"),
    ],
)
def test_other_commands_of_elink_point_at_ours(fake, run, cmd, pointer) -> None:
    proc = run("link", "-db", "pubmed", "-id", "15718680", "-cmd", cmd)
    assert pointer in assert_clean_error(proc, 2)
    assert fake.log == []


@pytest.mark.parametrize("option", ["-cited", "-cites", "-mode", "-holding"])
def test_options_elinkcli_does_not_take_are_one_line_errors(fake, run, option) -> None:
    proc = run("link", "-db", "pubmed", "-id", "15718680", option, "x")
    assert_clean_error(proc, 2)
    assert fake.log == []


# --- XML documents on stdin -------------------------------------------------------------


def test_an_esearch_result_on_stdin(fake, run) -> None:
    """curl .../esearch.fcgi?db=pubmed&term=... | elinkcli link -db pubmed -target gene"""
    found = store_search(fake, 30, seed=6)
    doc = fake.answer("/esearch.fcgi", [("db", "pubmed"), ("term", QUERY), ("retmax", "100")])[2]
    fake.log.clear()
    proc = run("link", "-db", "pubmed", "-target", "gene", "--format", "tsv", stdin=doc)
    assert proc.returncode == 0, proc.stderr
    assert parse_tsv(proc.stdout) == oracle_rows(fake, "pubmed", found, "gene")


def test_an_elink_result_on_stdin_links_on_and_chain_keeps_its_sources(fake, run) -> None:
    """elink -db gene -id 671 672 673 -target protein -cmd neighbor (XML) | elinkcli ..."""
    genes = ["671", "672", "673", "674"]
    params = [("dbfrom", "gene"), ("db", "protein"), ("cmd", "neighbor")]
    params += [("id", g) for g in genes]
    doc = fake.answer("/elink.fcgi", params)[2]
    proteins = list(dict.fromkeys(r[4] for r in oracle_rows(fake, "gene", genes, "protein")))
    proc = run("link", "-target", "structure", "--format", "tsv", stdin=doc)
    assert proc.returncode == 0, proc.stderr
    assert parse_tsv(proc.stdout) == oracle_rows(fake, "protein", proteins, "structure")

    paths = run("chain", "structure", "--format", "tsv", stdin=doc)
    assert paths.returncode == 0, paths.stderr
    lines = paths.stdout.splitlines()
    assert lines[0].split("\t") == ["gene", "protein", "structure"]
    expected = {
        (g, p, s)
        for g in genes
        for _, _, ps in fake.links("gene", g, "protein")
        for p in ps
        for _, _, ss in fake.links("protein", p, "structure")
        for s in ss
    }
    assert {tuple(line.split("\t")) for line in lines[1:]} == expected
    assert len(lines) - 1 == len(expected)


def test_other_commands_read_query_messages_too(fake, run) -> None:
    """esearch -db pubmed -query "..." | elinkcli check -cmd ncheck"""
    found = store_search(fake, 40, seed=7)
    proc = run(
        "check", "-cmd", "ncheck", "--format", "tsv", stdin=query_message("pubmed", QUERY, 40)
    )
    assert proc.returncode == 0, proc.stderr
    rows = [line.split("\t") for line in proc.stdout.splitlines()[1:]]
    assert [r[1] for r in rows] == found
    expected = ["Y" if any(fake.links("pubmed", u, "pubmed")) else "N" for u in found]
    assert [r[3] for r in rows] == expected


def test_log_flag_writes_each_request_to_stderr(fake, run) -> None:
    """elink -db pubmed -id 4 -target gene -log"""
    proc = run("link", "-db", "pubmed", "-id", "4", "-target", "gene", "-log", "--format", "tsv")
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    assert [(r["endpoint"], r["ids"], r["outcome"]) for r in lines] == [("elink.fcgi", 1, "ok")]
    assert parse_tsv(proc.stdout) == oracle_rows(fake, "pubmed", ["4"], "gene")


def test_xml_out_is_read_back_by_link_and_chain(fake, run) -> None:
    """elinkcli link --format xml | elinkcli chain structure: paths from the first sources"""
    genes = ["671", "672", "673", "674", "675"]
    xml = run(
        "link", "-db", "gene", "-id", ",".join(genes), "-target", "protein", "--format", "xml"
    )
    assert xml.returncode == 0, xml.stderr
    paths = run("chain", "structure", "--format", "jsonl", stdin=xml.stdout.encode())
    assert paths.returncode == 0, paths.stderr
    got = {
        tuple((p["db"], p["id"]) for p in json.loads(line)["path"])
        for line in paths.stdout.splitlines()
    }
    expected = {
        (("gene", g), ("protein", p), ("structure", s))
        for g in genes
        for _, _, ps in fake.links("gene", g, "protein")
        for p in ps
        for _, _, ss in fake.links("protein", p, "structure")
        for s in ss
    }
    assert got == expected and expected


@pytest.mark.parametrize("stored", ["query", "history"])
def test_xml_from_a_query_or_history_set_has_a_linkset_per_source(fake, run, stored) -> None:
    """esearch -db pubmed -query "..." | elinkcli link -target gene --format xml"""
    found = store_search(fake, 120, seed=8)
    if stored == "query":
        stdin = query_message("pubmed", QUERY, len(found))
    else:
        stdin = history_message("pubmed", *fake.store("pubmed", found), len(found))
    proc = run("link", "-target", "gene", "--format", "xml", stdin=stdin)
    assert proc.returncode == 0, proc.stderr
    linksets = ET.fromstring(proc.stdout).findall("LinkSet")
    assert [ls.findtext("IdList/Id") for ls in linksets] == found
    for ls in linksets:
        links = [el.text for el in ls.iterfind("LinkSetDb/Link/Id")]
        source = ls.findtext("IdList/Id")
        assert links == [r[4] for r in oracle_rows(fake, "pubmed", [source], "gene")]
