"""End to end: an sra accession naming several records (a study SRP…, a sample SRS…) is
linked as every experiment it names, each row keeping the token as typed (source_id) and
that experiment's UID (source_uid).

The fake server (tests/support/fake_eutils.py) models each experiment with its accessions
(`add_record("sra", uid, "SRX…", "SRR…", "SRP…", "SRS…")`); its ESearch `ACC[ACCN]` finds a
record by any of them. Every expected row comes from that model (`fake.links`,
`fake.acheck`, `fake.sra_runs`), never from elinkcli's output.
"""

from __future__ import annotations

import json

import pytest
from conftest import parse_tsv
from support.fake_eutils import FakeEutils, Table, _spread, count_ids, elink_requests
from support.fakes import next_ids

pytestmark = pytest.mark.e2e

STUDY = "SRP000111"  # 3 experiments
BIG = "SRP000555"  # 5 experiments
SAMPLE = "SRS700001"
UNKNOWN = "SRP999999"
LAYOUT = [STUDY, "SRP000222", STUDY, "SRP000222", STUDY, BIG, BIG, BIG, BIG, BIG]

Row = tuple[str, ...]


@pytest.fixture
def sra(fake: FakeEutils) -> FakeEutils:
    """Experiments 8000000..8000009 in studies (LAYOUT), samples SRS700000/SRS700001
    alternating, 0, 1 or 2 runs each; sra -> bioproject for every one, sra -> sra (an
    experiment's own record) for every fourth one."""
    for n, study in enumerate(LAYOUT):
        uid = 8_000_000 + n
        runs = [f"SRR{9_000_000 + 10 * n + k}" for k in range(n % 3)]
        fake.add_record("sra", uid, f"SRX{800_000 + n}", *runs, study, f"SRS{700_000 + n % 2}")
    fake.tables["sra_bioproject"] = Table(
        "sra", "bioproject", lambda u: [str(200_000 + int(u) % 3)]
    )
    fake.tables["sra_sra"] = Table("sra", "sra", lambda u: [u] if int(u) % 4 == 0 else [])
    return fake


def members(fake: FakeEutils, accession: str) -> list[str]:
    """The model's experiments that `accession` names, ascending by UID (a UID: itself)."""
    if accession.isdigit():
        return [accession]
    found = [u for u, accs in fake.records.get("sra", {}).items() if accession in accs]
    return sorted(found, key=int)


def link_rows(fake: FakeEutils, token: str, target: str = "bioproject") -> list[Row]:
    """The rows of `link -db sra -target TARGET -id TOKEN` as the model has them: one per
    link of each member, source_id the token, source_uid the member."""
    return [
        ("sra", token, name, dbto, t, "", uid, "")
        for uid in members(fake, token)
        for name, dbto, targets in fake.links("sra", uid, target)
        for t in targets
    ]


def link_args(*ids: str) -> tuple[str, ...]:
    return ("link", "-db", "sra", "-target", "bioproject", "-id", ",".join(ids))


def test_a_study_links_every_experiment_keeping_the_token(sra, run) -> None:
    proc = run(*link_args(STUDY))
    assert proc.returncode == 0, proc.stderr
    rows = parse_tsv(proc.stdout, full=True)
    assert rows == link_rows(sra, STUDY)
    assert {r[6] for r in rows} == set(members(sra, STUDY))
    assert len(members(sra, STUDY)) == 3
    (search,) = [r for r in sra.requests_to("esearch.fcgi") if STUDY in (r.get("term") or "")]
    assert search.get("term") == f"{STUDY}[ACCN]"


def test_a_mix_links_the_known_tokens_and_names_the_unknown_one(sra, run) -> None:
    run_acc = sra.sra_runs("8000008")[0]  # an experiment of neither STUDY nor SAMPLE
    tokens = [STUDY, SAMPLE, run_acc, UNKNOWN]
    proc = run(*link_args(*tokens))
    assert proc.returncode == 3, proc.stderr
    rows = parse_tsv(proc.stdout, full=True)
    expected = [r for t in tokens[:3] for r in link_rows(sra, t)]
    assert members(sra, run_acc) == ["8000008"]
    assert sorted(rows) == sorted(expected)
    assert [r[1] for r in rows] == [r[1] for r in expected]  # tokens in input order
    assert UNKNOWN in proc.stderr
    assert "names no sra record" in proc.stderr
    assert all(t not in proc.stderr for t in tokens[:3]), proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_rerun_asks_nothing_again(sra, run, tmp_path) -> None:
    env = {"ELINKCLI_CACHE_DIR": str(tmp_path / "cache")}
    first = run(*link_args(STUDY, SAMPLE), env=env)
    assert first.returncode == 0, first.stderr
    assert parse_tsv(first.stdout, full=True) == link_rows(sra, STUDY) + link_rows(sra, SAMPLE)
    searches, links = len(sra.requests_to("esearch.fcgi")), len(sra.requests_to("elink.fcgi"))
    assert searches == 2 and links >= 1
    second = run(*link_args(STUDY, SAMPLE), env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert len(sra.requests_to("esearch.fcgi")) == searches
    assert len(sra.requests_to("elink.fcgi")) == links


def test_batch_2_cuts_a_study_into_requests_of_at_most_2_ids(sra, run) -> None:
    assert len(members(sra, BIG)) == 5
    proc = run(*link_args(BIG), "--batch", "2")
    assert proc.returncode == 0, proc.stderr
    assert parse_tsv(proc.stdout, full=True) == link_rows(sra, BIG)
    requests = elink_requests(sra)
    assert requests
    assert all(count_ids(r.params) <= 2 for r in requests)
    sent = [i for r in requests for v in r.values("id") for i in v.split(",")]
    assert sorted(sent) == members(sra, BIG)  # each member asked, once


def test_overlapping_tokens_each_get_their_members_rows(sra, run) -> None:
    even = "SRS700000"  # shares experiments with STUDY
    tokens = [STUDY, even, members(sra, STUDY)[1]]
    assert set(members(sra, STUDY)) & set(members(sra, even))
    proc = run(*link_args(*tokens), "--batch", "2")
    assert proc.returncode == 0, proc.stderr
    assert parse_tsv(proc.stdout, full=True) == [r for t in tokens for r in link_rows(sra, t)]
    requests = elink_requests(sra)
    assert all(count_ids(r.params) <= 2 for r in requests)
    for r in requests:  # no request asks for one experiment twice
        sent = [i for v in r.values("id") for i in v.split(",")]
        assert len(sent) == len(set(sent))


def test_union_of_a_study_is_the_union_of_its_members_links(sra, run) -> None:
    proc = run(*link_args(BIG), "--union", "--batch", "2")
    assert proc.returncode == 0, proc.stderr
    rows = parse_tsv(proc.stdout, full=True)
    assert sorted(r[4] for r in rows) == sorted({r[4] for r in link_rows(sra, BIG)})
    assert {(r[1], r[6]) for r in rows} == {("", "")}
    assert all(count_ids(r.params) <= 2 for r in elink_requests(sra))


def test_idtype_run_gives_one_row_per_run_of_each_linked_experiment(sra, run) -> None:
    proc = run("link", "-db", "sra", "-target", "sra", "-id", STUDY, "--idtype", "run")
    assert proc.returncode == 0, proc.stderr
    expected = []
    for row in link_rows(sra, STUDY, target="sra"):
        runs = sra.sra_runs(row[4])
        expected += [(*row[:7], r) for r in runs] if runs else [row]
    rows = parse_tsv(proc.stdout, full=True)
    assert rows == expected
    assert any(r[7] for r in rows)  # some run accessions listed
    assert {r[1] for r in rows} == {STUDY}


def test_check_answers_for_each_member(sra, run) -> None:
    proc = run("check", "-db", "sra", "--cmd", "ncheck", "-id", STUDY)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split("\t") == ["source_db", "source_id", "check", "value", "source_uid"]
    expected = [
        ("sra", STUDY, "ncheck", "Y" if sra.links("sra", uid, "sra") else "N", uid)
        for uid in members(sra, STUDY)
    ]
    assert {e[3] for e in expected} == {"Y", "N"}
    assert [tuple(line.split("\t")) for line in lines[1:]] == expected


def test_discover_lists_each_members_links(sra, run) -> None:
    proc = run("discover", "-db", "sra", "-id", STUDY)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    header = lines[0].split("\t")
    assert header[:2] == ["source_db", "source_id"] and header[-1] == "source_uid"
    col = {name: n for n, name in enumerate(header)}
    got = [tuple(line.split("\t")) for line in lines[1:]]
    expected = []
    for uid in members(sra, STUDY):
        names = [name for name, _dbto, _targets in sra.acheck("sra", uid)]
        names += ["ExternalLink"] if sra.has_linkout(uid) else []
        expected += [(STUDY, name, uid) for name in names]
    assert sorted((r[col["source_id"]], r[col["linkname"]], r[col["source_uid"]]) for r in got) == (
        sorted(expected)
    )
    assert {r[col["source_uid"]] for r in got} == set(members(sra, STUDY))


def test_chain_paths_start_with_the_study(sra, run) -> None:
    sra.tables["bioproject_biosample"] = Table(
        "bioproject", "biosample", lambda u: _spread(u, 9_000_000, 3)
    )
    proc = run("chain", "-db", "sra", "-id", STUDY, "bioproject", "biosample", "--format", "tsv")
    assert proc.returncode == 0, proc.stderr
    projects = list(
        dict.fromkeys(
            t
            for uid in members(sra, STUDY)
            for t in next_ids(sra, "sra", uid, "bioproject", "sra_bioproject")
        )
    )
    paths = [
        (STUDY, p, s)
        for p in projects
        for s in next_ids(sra, "bioproject", p, "biosample", "bioproject_biosample")
    ]
    assert paths
    lines = proc.stdout.splitlines()
    assert lines[0].split("\t") == ["sra", "bioproject", "biosample"]
    assert [tuple(line.split("\t")) for line in lines[1:]] == paths


def test_json_keeps_the_token_and_each_members_uid(sra, run) -> None:
    proc = run(*link_args(STUDY), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    records = json.loads(proc.stdout)
    assert [
        (r["source_db"], r["source_id"], r["linkname"], r["target_db"], r["target_id"],
         r["source_uid"])
        for r in records
    ] == [(*row[:5], row[6]) for row in link_rows(sra, STUDY)]  # fmt: skip


def test_history_holds_every_members_links(sra, run) -> None:
    proc = run(*link_args(STUDY), "--history")
    assert proc.returncode == 0, proc.stderr
    webenv = proc.stdout.split("<WebEnv>")[1].split("</WebEnv>")[0]
    key = proc.stdout.split("<QueryKey>")[1].split("</QueryKey>")[0]
    db, stored = sra.histories[webenv][key]
    assert db == "bioproject"
    assert sorted(stored) == sorted({r[4] for r in link_rows(sra, STUDY)})


def test_a_member_ncbi_does_not_answer_is_named_with_the_token(sra, run) -> None:
    """`link` lists ids NCBI did not echo with -v (as for any id: tests/e2e/test_link.py);
    a study's member is named `TOKEN (UID)`."""
    silent = members(sra, STUDY)[1]
    sra.silent_ids = {silent}
    proc = run(*link_args(STUDY), "-v")
    assert proc.returncode == 0, proc.stderr
    rows = parse_tsv(proc.stdout, full=True)
    assert rows == [r for r in link_rows(sra, STUDY) if r[6] != silent]
    (listed,) = [x for x in proc.stderr.splitlines() if "records of a token not echoed:" in x]
    assert listed.rsplit(": ", 1)[1] == f"{STUDY} ({silent})"
    # The study counts once, by the records that were answered: the counts add up to the
    # ids typed, and its silent record is counted apart.
    (summary,) = [x for x in proc.stderr.splitlines() if " id(s) in, " in x]
    assert summary.startswith(
        "elinkcli: 1 id(s) in, 1 with links, 0 without links, 1 record(s) of a token not echoed; "
    ), summary
    assert "not echoed by NCBI" not in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("command", ["check", "discover"])
def test_check_and_discover_warn_of_a_member_ncbi_does_not_answer(sra, run, command) -> None:
    silent = members(sra, STUDY)[1]
    sra.silent_ids = {silent}
    extra = ("--cmd", "ncheck") if command == "check" else ()
    proc = run(command, "-db", "sra", "-id", STUDY, *extra)
    assert proc.returncode == 0, proc.stderr
    warning = (
        "elinkcli: warning: NCBI did not answer for 1 record(s) of a study, sample or "
        f"submission: {STUDY} ({silent}) (the token's rows are those of its other records)"
    )
    assert warning in proc.stderr.splitlines(), proc.stderr
    assert "1 id(s)" not in proc.stderr  # the study itself was answered
    lines = [tuple(x.split("\t")) for x in proc.stdout.splitlines()[1:]]
    answered = [u for u in members(sra, STUDY) if u != silent]
    if command == "check":  # every member keeps its row; the silent one's value is empty
        assert [(r[-1], r[3]) for r in lines] == [
            (u, "" if u == silent else "Y" if sra.links("sra", u, "sra") else "N")
            for u in members(sra, STUDY)
        ]
    else:
        assert {r[-1] for r in lines} == set(answered)


@pytest.mark.parametrize("command", ["link", "check", "discover"])
def test_a_token_none_of_whose_records_is_answered_counts_once(sra, run, command) -> None:
    """As one id not echoed, not once more for each of its records (`link` lists those in
    its -v summary, check and discover warn)."""
    sra.silent_ids = set(members(sra, STUDY))
    args = {
        "link": link_args(STUDY),
        "check": ("check", "-db", "sra", "-id", STUDY, "--cmd", "ncheck"),
        "discover": ("discover", "-db", "sra", "-id", STUDY),
    }[command]
    proc = run(*args, "-v")
    assert proc.returncode == 0, proc.stderr
    assert "record(s) of" not in proc.stderr and f"{STUDY} (" not in proc.stderr
    if command == "link":
        assert "elinkcli: 1 id(s) in, 0 with links, 0 without links, 1 not echoed by NCBI; " in (
            proc.stderr
        )
        assert f"elinkcli: not echoed by NCBI: {STUDY}" in proc.stderr.splitlines()
    else:
        warnings = [x for x in proc.stderr.splitlines() if "did not answer" in x]
        assert warnings == [f"elinkcli: warning: NCBI did not answer for 1 id(s): {STUDY}"]
