"""End to end: accessions in, accessions out, provenance kept (issue "Accessions").

The fake server behaves like NCBI here (tests/support/fake_eutils.py): ELink answers for UIDs,
ESearch finds `ACC[FIELD]` terms (the field EDirect uses per database) and answers an
OR'ed search with the sorted union of UIDs, ESummary writes version 1 DocSums with the
accession items of each database and an <ERROR> for an id it does not know. Every
expected value comes from the fake's model (its records and link tables).
"""

from __future__ import annotations

import json

import pytest
from conftest import TSV_HEADER, assert_clean_error, parse_tsv
from support.fake_eutils import FakeEutils, Table, _spread

pytestmark = pytest.mark.e2e

# nuccore records: two versions of NM_000546 (different UIDs, as NCBI's GI numbers are).
NUCCORE = {
    "1890001": ["NM_000546.5"],
    "1890002": ["NM_000546.6"],
    "1890003": ["AL032671.1"],
}


def add(fake: FakeEutils, db: str, records: dict[str, list[str]]) -> None:
    for uid, accs in records.items():
        fake.add_record(db, uid, *accs)


def rows_for(
    fake: FakeEutils, dbfrom: str, pairs: list[tuple[str, str]], db: str, name: str | None = None
) -> list[tuple[str, ...]]:
    """(token, uid) pairs as the full tsv rows NCBI's links give them. No name: -target
    alone asks for DB_TARGET, as EDirect's elink."""
    return [
        (dbfrom, token, linkname, dbto, target, "", uid, "")
        for token, uid in pairs
        for linkname, dbto, targets in fake.links(dbfrom, uid, db, name or f"{dbfrom}_{db}")
        for target in targets
    ]


def calls(fake: FakeEutils, endpoint: str) -> list:
    return fake.requests_to(endpoint)


@pytest.fixture
def tables(fake: FakeEutils) -> FakeEutils:
    fake.tables["bioproject_sra"] = Table("bioproject", "sra", lambda u: _spread(u, 8_000_000, 4))
    fake.tables["bioproject_biosample"] = Table(
        "bioproject", "biosample", lambda u: _spread(u, 9_000_000, 3)
    )
    return fake


def test_nuccore_accessions_keep_the_token_and_get_the_uid(fake, run) -> None:
    add(fake, "nuccore", NUCCORE)
    tokens = ["NM_000546.6", "NM_000546", "AL032671.1", "1890001"]
    proc = run("link", "-db", "nuccore", "-target", "protein", "-id", ",".join(tokens))
    assert proc.returncode == 0, proc.stderr
    expected = rows_for(
        fake,
        "nuccore",
        [
            ("NM_000546.6", "1890002"),
            ("NM_000546", "1890002"),
            ("AL032671.1", "1890003"),
            ("1890001", "1890001"),
        ],
        "protein",
    )
    assert parse_tsv(proc.stdout, full=True) == expected and expected
    sent = [v for r in calls(fake, "elink.fcgi") for v in r.values("id")]
    assert sorted(sent) == ["1890001", "1890002", "1890003"]  # UIDs, each once
    assert len(calls(fake, "esummary.fcgi")) == 1


def test_bioproject_accessions_by_search_and_summary(tables, run) -> None:
    fake = tables
    projects = {str(200_000 + n): [f"PRJNA{257_197 + n}"] for n in range(30)}
    add(fake, "bioproject", projects)
    tokens = [f"PRJNA{257_197 + n}" for n in range(0, 30, 3)] + ["prjna257198"]
    proc = run("link", "-db", "bioproject", "-target", "sra", "-id", ",".join(tokens))
    assert proc.returncode == 0, proc.stderr
    uid_of = {accs[0].lower(): uid for uid, accs in projects.items()}
    pairs = [(t, uid_of[t.lower()]) for t in tokens]
    assert parse_tsv(proc.stdout, full=True) == rows_for(fake, "bioproject", pairs, "sra")
    (search,) = calls(fake, "esearch.fcgi")
    assert search.get("term") == " OR ".join(f"{t}[PRJA]" for t in tokens)
    assert len(calls(fake, "esummary.fcgi")) == 1


def test_unknown_several_and_wrong_version_are_named_the_rest_linked(tables, run) -> None:
    fake = tables
    add(fake, "nuccore", NUCCORE)
    add(fake, "bioproject", {"300001": ["PRJNA1"], "300002": ["PRJNA2"]})
    proc = run(
        "link", "-db", "nuccore", "-target", "protein", "-id", "NM_000546.99,NM_999999.1,AL032671"
    )
    line = assert_clean_error(proc, 3)
    assert "NM_000546.99" in line and "NM_999999.1" in line and "AL032671 " not in line
    warning = next(w for w in proc.stderr.splitlines() if "warning" in w)
    assert "NM_000546.99" in warning and "no such version" in warning
    assert parse_tsv(proc.stdout, full=True) == rows_for(
        fake, "nuccore", [("AL032671", "1890003")], "protein"
    )


def test_an_accession_naming_several_records_is_named(tables, run) -> None:
    fake = tables
    # Two experiments of one run accession: the search finds both, ESummary shows it.
    fake.add_record("sra", "500001", "SRX000001", "SRR390728")
    fake.add_record("sra", "500002", "SRX000002", "SRR390728")
    fake.add_record("sra", "500003", "SRX000003", "SRR390730")
    fake.tables["sra_bioproject"] = Table("sra", "bioproject", lambda u: _spread(u, 7, 2))
    proc = run("link", "-db", "sra", "-target", "bioproject", "-id", "SRR390728,SRR390730")
    line = assert_clean_error(proc, 3)
    assert "SRR390728 names 2 sra records (500001, 500002)" in line
    assert [r[1] for r in parse_tsv(proc.stdout, full=True)] == ["SRR390730"] * len(
        fake.links("sra", "500003", "bioproject")[0][2]
    )


def test_a_token_of_no_form_is_exit_2_before_any_request(fake, run) -> None:
    proc = run("link", "-db", "bioproject", "-target", "sra", "-id", "SRR390728")
    line = assert_clean_error(proc, 2)
    assert "PRJNA257197" in line and "esearch -db bioproject" in line
    assert fake.log == []


@pytest.mark.parametrize(
    ("db", "token"),
    [("snp", "rs\u0663\u0663\u0664"), ("sra", "SRR\uff13\uff19\uff10\uff17\uff12\uff18"),
     ("sra", "\u017fRR390728"), ("cdd", "\u212aOG0001"), ("gene", "67\u00b2")],
)  # fmt: skip
@pytest.mark.parametrize("where", ["--id", "stdin", "long stdin"])
def test_a_non_ascii_lookalike_id_is_exit_2_before_any_request(fake, run, db, token, where):
    if where == "--id":
        proc = run("link", "-db", db, "-target", "pubmed", "--id", token)
    else:
        # A long input is checked packed (window by window): the token sits past the first.
        ids = [str(n) for n in range(1, 30_001 if where == "long stdin" else 3)]
        ids.insert(len(ids) - 1, token)
        stdin = "\n".join(ids).encode()
        proc = run("link", "-db", db, "-target", "pubmed", stdin=stdin)
    line = assert_clean_error(proc, 2)
    assert line.startswith(f"elinkcli: error: bad id {token!a} for database {db}: "), line
    assert line.isascii()
    assert fake.log == []
    assert proc.stdout == ""


def test_edirect_batch_with_non_ascii_digits_is_not_a_count(fake, run) -> None:
    proc = run("link", "-db", "gene", "-target", "protein", "-id", "672", "-batch", "\u0663")
    assert_clean_error(proc, 2)
    assert fake.log == []


def test_leading_zeros_are_dropped_and_both_tokens_get_their_rows(fake, run) -> None:
    proc = run("link", "-db", "gene", "-target", "protein", "-id", "007,7,672")
    assert proc.returncode == 0, proc.stderr
    pairs = [("007", "7"), ("7", "7"), ("672", "672")]
    assert parse_tsv(proc.stdout, full=True) == rows_for(fake, "gene", pairs, "protein")
    assert [v for r in calls(fake, "elink.fcgi") for v in r.values("id")] == ["7", "672"]


def test_resolutions_and_answers_are_cached(tables, run, tmp_path) -> None:
    fake = tables
    add(fake, "bioproject", {"300001": ["PRJNA1"], "300002": ["PRJNA2"]})
    env = {"ELINKCLI_CACHE_DIR": str(tmp_path / "cache")}
    args = ("link", "-db", "bioproject", "-target", "sra", "-id", "PRJNA1,PRJNA2")
    first = run(*args, env=env)
    assert first.returncode == 0, first.stderr
    before = len(fake.log)
    second = run(*args, env=env)
    assert second.returncode == 0 and second.stdout == first.stdout
    assert len(fake.log) == before  # no ESearch, no ESummary, no ELink
    offline = run(*args, "--offline", env=env)
    assert offline.stdout == first.stdout and len(fake.log) == before
    # A UID given as such shares the cached answer of the accession that named it.
    third = run("link", "-db", "bioproject", "-target", "sra", "-id", "300001", env=env)
    assert third.returncode == 0 and len(fake.log) == before
    missing = run(
        "link", "-db", "bioproject", "-target", "sra", "-id", "PRJNA3", "--offline", env=env
    )
    assert_clean_error(missing, 4)


def test_idtype_acc_fills_target_acc_and_uid_format_prints_accessions(fake, run) -> None:
    targets = {u for g in ("672", "7157", "675") for _, _, ts in fake.links("gene", g, "protein")
               for u in ts}  # fmt: skip
    add(fake, "protein", {u: [f"NP_{int(u):09d}.2"] for u in targets})
    proc = run(
        "link", "-db", "gene", "-target", "protein", "-id", "672,7157,675", "--idtype", "acc"
    )
    assert proc.returncode == 0, proc.stderr
    rows = parse_tsv(proc.stdout, full=True)
    assert rows and all(r[7] == fake.accession_version("protein", r[4]) for r in rows)
    assert all(r.get("idtype") is None for r in calls(fake, "elink.fcgi"))
    uids = run("link", "-db", "gene", "-target", "protein", "-id", "672,7157,675",
               "-format", "acc", "--format", "uid")  # fmt: skip
    assert uids.returncode == 0, uids.stderr
    assert uids.stdout.split() == list(dict.fromkeys(r[7] for r in rows))


def test_idtype_acc_to_a_database_without_accessions_warns(fake, run) -> None:
    proc = run("link", "-db", "gene", "-target", "pubmed", "-id", "672", "--idtype", "acc")
    assert proc.returncode == 0, proc.stderr
    assert "pubmed records have no accession" in proc.stderr
    assert all(r[7] == "" for r in parse_tsv(proc.stdout, full=True))


def test_pmc_and_snp_prefixes_are_their_uids_without_a_request(fake, run) -> None:
    # -target alone asks for pmc_pubmed (as EDirect's elink): a table of NCBI's the fake lacks.
    fake.tables["pmc_pubmed"] = Table("pmc", "pubmed", lambda u: _spread(u, 10_000_000, 4))
    proc = run(
        "link", "-db", "pmc", "-target", "pubmed", "-id", "PMC0042,pmc43", "--format", "jsonl"
    )
    assert proc.returncode == 0, proc.stderr
    got = [json.loads(line) for line in proc.stdout.splitlines()]
    assert {(o["source_id"], o["source_uid"]) for o in got} <= {("PMC0042", "42"), ("pmc43", "43")}
    assert all(set(o) == set(TSV_HEADER) for o in got)
    assert calls(fake, "esearch.fcgi") == [] and calls(fake, "esummary.fcgi") == []


@pytest.mark.parametrize("command", ["check", "linkout", "discover"])
def test_other_commands_keep_the_token_and_give_the_uid(fake, run, command) -> None:
    add(fake, "nuccore", NUCCORE)
    args = {
        "check": ("check", "-db", "nuccore", "-cmd", "lcheck"),
        "linkout": ("linkout", "-db", "nuccore"),
        "discover": ("discover", "-db", "nuccore"),
    }[command]
    proc = run(*args, "-id", "NM_000546,AL032671.1", "--format", "jsonl")
    assert proc.returncode == 0, proc.stderr
    got = {(o["source_id"], o["source_uid"]) for o in map(json.loads, proc.stdout.splitlines())}
    assert got <= {("NM_000546", "1890002"), ("AL032671.1", "1890003")}
    if command == "check":
        assert got == {("NM_000546", "1890002"), ("AL032671.1", "1890003")}


def test_chain_paths_start_with_the_token(fake, run) -> None:
    add(fake, "nuccore", NUCCORE)
    proc = run("chain", "-db", "nuccore", "-id", "NM_000546", "protein", "structure")
    assert proc.returncode == 0, proc.stderr
    lines = [line.split("\t") for line in proc.stdout.splitlines()]
    assert lines[0] == ["nuccore", "protein", "structure"]
    expected = {
        ("NM_000546", p, s)
        for _, _, ps in fake.links("nuccore", "1890002", "protein")
        for p in ps
        for _, _, ss in fake.links("protein", p, "structure")
        for s in ss
    }
    assert {tuple(line) for line in lines[1:]} == expected and expected


def test_versioned_accessions_resolve_through_docsums_without_accession_version(fake, run) -> None:
    """DocSums as NCBI wrote them before AccessionVersion (the fake's `old_docsums`, the
    shape of the recorded esummary3.bp-2008.xml): the version is only in Extra, and a
    versioned accession still names its record (the user report: "names no record")."""
    fake.old_docsums = True
    # The recording's records: Extra gi|28628843|gb|AAO49381.1|…, gi|28800982|gb|AAO47091.1|…
    add(fake, "protein", {"28628843": ["AAO49381.1"], "28800982": ["AAO47091.1"]})
    proc = run("link", "-db", "protein", "-target", "gene", "-id", "AAO49381.1,AAO47091.1")
    assert proc.returncode == 0, proc.stderr
    expected = rows_for(
        fake, "protein", [("AAO49381.1", "28628843"), ("AAO47091.1", "28800982")], "gene"
    )
    assert parse_tsv(proc.stdout, full=True) == expected and expected
    assert "names no" not in proc.stderr
    assert len(calls(fake, "esummary.fcgi")) == 1
    assert "AccessionVersion" not in fake.docsum("protein", "28628843")
