"""`link --cited / --cites` and citation hops of `chain`, run as a user runs them, against
loopback servers answering as iCite and Europe PMC (tests/support/fake_citations.py, shapes from
their API documentation) and as ELink (tests/support/fake_eutils.py, pubmed_pubmed_citedin from
PMC: half the citers)."""

from __future__ import annotations

import json
import subprocess
import time

import pytest
from conftest import (
    ARRIVAL_JITTER,
    assert_clean_error,
    clean_env,
    elinkcli_command,
    journal_batches,
    on_a_terminal,
    run_elinkcli,
)
from support.fake_citations import (
    FakeCitations,
    europepmc_cited_by,
    europepmc_references,
    icite_cited_by,
    icite_references,
    med_ids,
    pmc_cited_by,
)
from support.fake_eutils import FakeEutils, Table

pytestmark = pytest.mark.e2e

HEADER = (
    "source_db\tsource_id\tlinkname\ttarget_db\ttarget_id\tscore\tsource_uid\ttarget_acc\tsource"
)


@pytest.fixture
def services():
    fake = FakeEutils()
    fake.tables["pubmed_pubmed_citedin"] = Table("pubmed", "pubmed", pmc_cited_by)
    fake.tables["pubmed_pubmed_refs"] = Table(
        "pubmed", "pubmed", lambda p: icite_references(p)[::2]
    )
    with fake, FakeCitations() as fc:
        env = {
            "ELINKCLI_BASE_URL": fake.base_url,
            "ELINKCLI_ICITE_URL": fc.icite_url,
            "ELINKCLI_EUROPEPMC_URL": fc.europepmc_url,
        }
        yield fake, fc, env


def run(env, *args, **kw):
    return run_elinkcli(*args, env={**env, **kw.pop("extra", {})}, **kw)


def expected(ids, by_service, linkname="pubmed_pubmed_citedin"):
    """Rows in input order; targets in first-seen order over elink, icite, europepmc."""
    lines = [HEADER]
    for pmid in ids:
        merged: dict[str, list[str]] = {}
        for name, fn in by_service:
            for target in fn(pmid):
                merged.setdefault(target, []).append(name)
        lines += [
            f"pubmed\t{pmid}\t{linkname}\tpubmed\t{t}\t\t{pmid}\t\t{','.join(names)}"
            for t, names in merged.items()
        ]
    return "\n".join(lines) + "\n"


def epmc_cited(p):
    return med_ids(europepmc_cited_by(p))


def test_icite_by_default_in_input_order_and_unknown_named(services):
    fake, fc, env = services
    ids = ["16", "10", "19", "13"]
    proc = run(env, "link", "-db", "pubmed", "--cited", "--format", "tsv", "--id", ",".join(ids))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == expected(ids, [("icite", icite_cited_by)])
    assert "icite does not know 1 PMID(s): 19" in proc.stderr
    assert {r.service for r in fc.log} == {"icite"} and fake.log == []


def test_edirect_spelling(services):
    _, _, env = services
    proc = run(env, "link", "-db", "pubmed", "-cited", "-id", "10", "13", "-format", "tsv")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == expected(["10", "13"], [("icite", icite_cited_by)])


def test_references_from_europepmc(services):
    _, fc, env = services
    ids = ["12", "14"]
    proc = run(
        env, "link", "-db", "pubmed", "--cites", "--citations-from", "europepmc",
        "--format", "tsv", "--id", ",".join(ids),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    refs = [("europepmc", lambda p: med_ids(europepmc_references(p)))]
    assert proc.stdout == expected(ids, refs, "pubmed_pubmed_refs")
    assert all(r.params["pageSize"] == "1000" for r in fc.log)


def test_all_sources_merge_with_provenance(services):
    _, _, env = services
    ids = ["13", "20", "27"]
    proc = run(
        env, "link", "-db", "pubmed", "--cited", "--citations-from", "all",
        "--format", "tsv", "--id", ",".join(ids),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    by = [("elink", pmc_cited_by), ("icite", icite_cited_by), ("europepmc", epmc_cited)]
    assert proc.stdout == expected(ids, by)
    assert "elink,icite,europepmc" in proc.stdout  # they do agree somewhere


def test_counts_view(services):
    _, _, env = services
    ids = ["13", "14", "19"]
    proc = run(
        env, "link", "-db", "pubmed", "--cited", "--citations-from", "icite,europepmc",
        "--format", "counts", "--id", ",".join(ids),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "source_db\tsource_id\tlinks\ticite\teuropepmc"
    for line, pmid in zip(lines[1:], ids, strict=True):
        union = set(icite_cited_by(pmid)) | set(epmc_cited(pmid))
        want = [str(len(union)), str(len(icite_cited_by(pmid))), str(len(epmc_cited(pmid)))]
        assert line.split("\t") == ["pubmed", pmid, *want]


def test_a_failing_service_is_named_and_the_others_rows_stand(services):
    _, fc, env = services
    fc.fail_service = "europepmc"
    ids = ["13", "20"]
    proc = run(
        env, "link", "-db", "pubmed", "--cited", "--citations-from", "icite,europepmc",
        "--format", "tsv", "--id", ",".join(ids),
    )  # fmt: skip
    line = assert_clean_error(proc, 4)
    assert line.startswith("elinkcli: error: europepmc failed:")
    assert "failed ids: 13,20" in line and "the rows of the other services are complete" in line
    assert proc.stdout == expected(ids, [("icite", icite_cited_by)])


def test_retried_faults_change_nothing(services):
    _, fc, env = services
    fc.faults = ["429", "garbage", "503", "html"]
    proc = run(env, "link", "-db", "pubmed", "--cited", "--format", "tsv", "--id", "13,20")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == expected(["13", "20"], [("icite", icite_cited_by)])


def test_rerun_from_cache_and_offline(services, tmp_path):
    _, fc, env = services
    env = {**env, "ELINKCLI_CACHE_DIR": str(tmp_path)}
    args = ("link", "-db", "pubmed", "--cites", "--citations-from", "all", "--format", "tsv")
    first = run(env, *args, "--id", "12,13")
    asked = len(fc.log)
    again = run(env, *args, "--id", "12,13")
    offline = run(env, *args, "--offline", "--id", "12,13")
    assert first.returncode == again.returncode == offline.returncode == 0, offline.stderr
    assert first.stdout == again.stdout == offline.stdout
    assert len(fc.log) == asked  # nothing asked again
    miss = run(env, *args, "--offline", "--id", "12,14")
    assert miss.returncode == 4 and "14" in miss.stderr


def test_output_file_is_atomic(services, tmp_path):
    _, fc, env = services
    out = tmp_path / "cited.tsv"
    out.write_text("yesterday\n")
    fc.fail_service = "icite"
    failed = run(env, "link", "-db", "pubmed", "--cited", "-o", str(out), "--id", "13")
    assert failed.returncode == 4
    assert out.read_text() == "yesterday\n"
    fc.fail_service = None
    ok = run(env, "link", "-db", "pubmed", "--cited", "-o", str(out), "--id", "13")
    assert ok.returncode == 0 and out.read_text() == expected(["13"], [("icite", icite_cited_by)])


def test_two_generations_in_chain(services):
    _, _, env = services
    proc = run(env, "chain", "-db", "pubmed", "--id", "13", "cited", "cited", "--format", "tsv")
    assert proc.returncode == 0, proc.stderr
    paths = [("13", a, b) for a in icite_cited_by("13") for b in icite_cited_by(a)]
    assert proc.stdout.splitlines() == ["pubmed\tpubmed_2\tpubmed_3"] + [
        "\t".join(p) for p in paths
    ]


def test_chain_hop_with_its_own_source(services):
    _, fc, env = services
    proc = run(env, "chain", "-db", "pubmed", "--id", "13", "cited:europepmc", "--format", "uid")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == epmc_cited("13")
    assert {r.service for r in fc.log} == {"europepmc"}


def test_options_and_config_name_the_services(services, tmp_path):
    _, fc, env = services
    config = tmp_path / "config.toml"
    config.write_text('citations_from = "europepmc"\n')
    config.chmod(0o600)
    proc = run(
        env, "link", "-db", "pubmed", "--cited", "--format", "tsv", "--id", "13",
        extra={"ELINKCLI_CONFIG": str(config)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.endswith("\teuropepmc\n")
    wrong = run(
        {**env, "ELINKCLI_ICITE_URL": "http://127.0.0.1:9/"},
        "link", "-db", "pubmed", "--cited", "--icite-url", fc.icite_url, "--id", "13",
    )  # fmt: skip
    assert wrong.returncode == 0, wrong.stderr  # the option wins over the environment


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--cited", "--cites"), "exclude each other"),
        (("--cited", "--target", "gene"), "leave out --target"),
        (("--cited", "--union"), "do not go with --union"),
        (("--cited", "--citations-from", "scopus"), "unknown citation source scopus"),
        (("--citations-from", "icite", "--target", "pubmed"), "goes with --cited or --cites"),
        (("--cited", "--format", "xml"), "not xml"),
    ],
)
def test_usage_errors(services, args, message):
    _, fc, env = services
    proc = run(env, "link", "-db", "pubmed", *args, "--id", "13")
    assert message in assert_clean_error(proc, 2)
    assert fc.log == []


def test_non_pmids_are_refused(services):
    _, _, env = services
    proc = run(env, "link", "-db", "gene", "--cited", "--id", "672")
    assert "link PubMed records" in assert_clean_error(proc, 2)


def test_four_processes_stay_under_the_icite_rate(services, tmp_path):
    _, fc, env = services
    fc.rate_limit = {"icite": 3}
    fc.rate_window = 1.0 - ARRIVAL_JITTER
    state = str(tmp_path / "state")
    procs = [
        subprocess.Popen(
            [
                *elinkcli_command(),
                "link",
                "-db",
                "pubmed",
                "--cited",
                "--batch",
                "1",
                "-q",
                "--format",
                "tsv",
                "--id",
                ",".join(str(30 + 10 * p + k) for k in range(4)),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=clean_env(
                {**env, "ELINKCLI_STATE_DIR": state, "ELINKCLI_CACHE_DIR": str(tmp_path / f"c{p}")}
            ),
        )
        for p in range(4)
    ]
    began = time.monotonic()
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    assert [r for r in fc.log if r.fault == "429"] == []
    assert len(fc.log) == 16
    assert time.monotonic() - began > 15 * 0.3  # paced as one, not four


def test_json_rows_carry_the_source(services):
    _, _, env = services
    proc = run(env, "link", "-db", "pubmed", "--cited", "--format", "jsonl", "--id", "13")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["target_id"] for r in rows] == icite_cited_by("13")
    assert {r["source"] for r in rows} == {"icite"}


def test_resume_asks_only_what_failed(services, tmp_path):
    _, fc, env = services
    out = tmp_path / "cited.tsv"
    ids = ["13", "20", "27"]
    original = fc.handle

    def failing(method, target):  # 27 fails on every try of the first run
        if "pmids=27" in target and failing.on:
            return 503, {"Content-Type": "text/html"}, b"<html>down</html>"
        return original(method, target)

    failing.on = True
    fc.handle = failing
    args = ("link", "-db", "pubmed", "--cited", "--batch", "1", "-o", str(out))
    first = run(env, *args, "--id", ",".join(ids))
    assert first.returncode == 4, first.stderr
    asked = len(fc.log)
    failing.on = False
    resumed = run(env, *args, "--resume", "--id", ",".join(ids))
    assert resumed.returncode == 0, resumed.stderr
    assert out.read_text() == expected(ids, [("icite", icite_cited_by)])
    assert [r.params["pmids"] for r in fc.log[asked:]] == ["27"]  # only the failed batch


def test_a_terminal_gets_the_counts_table(services):
    _, _, env = services
    code, text = on_a_terminal(
        [*elinkcli_command(), "link", "-db", "pubmed", "--cited", "--id", "13,20", "-q"],
        clean_env({**env, "COLUMNS": "120"}),
        stream="stdout",
    )
    assert code == 0
    assert "links" in text and "icite" in text
    assert str(len(icite_cited_by("13"))) in text
    assert "pubmed_pubmed_citedin" not in text  # the counts view, not the link rows


def _icite_rejects(fc, pmids=None):
    """iCite answers HTTP 400 (never retried) to requests for `pmids` (all when None)."""
    original = fc.handle

    def handle(method, target):
        asked = target.partition("pmids=")[2].partition("&")[0]
        if "/icite/" in target and (pmids is None or asked in pmids) and handle.on:
            return 400, {"Content-Type": "application/json"}, b'{"error": "bad request"}'
        return original(method, target)

    handle.on = True
    fc.handle = handle
    return handle


def test_a_failed_services_counts_are_empty_and_the_summary_says_it_failed(services):
    _, fc, env = services
    _icite_rejects(fc)
    ids = ["13", "14", "20"]  # 14: Europe PMC answers, with no citation
    proc = run(
        env, "link", "-db", "pubmed", "--cited", "--citations-from", "icite,europepmc",
        "--format", "counts", "--id", ",".join(ids), "-v",
    )  # fmt: skip
    assert proc.returncode == 4, proc.stderr
    epmc = {p: len(epmc_cited(p)) for p in ids}
    assert epmc["14"] == 0
    lines = proc.stdout.splitlines()
    assert lines[0] == "source_db\tsource_id\tlinks\ticite\teuropepmc"
    # iCite's count is empty (it failed), Europe PMC's 0 where it answered with none.
    assert lines[1:] == [f"pubmed\t{p}\t{epmc[p]}\t\t{epmc[p]}" for p in ids]
    assert proc.stderr.splitlines()[-3:-1] == [
        f"elinkcli: 3 PMID(s) in, {sum(epmc.values())} citation link(s): "
        f"icite failed (all 3 PMID(s)), europepmc {sum(epmc.values())}",
        "elinkcli: icite failed for: 13,14,20",
    ]
    assert proc.stderr.splitlines()[-1].startswith("elinkcli: error: icite failed")


def test_a_resume_asks_again_a_batch_one_service_failed_of_every_service(services, tmp_path):
    """A batch goes in the journal only once every service answered all of it: here iCite
    fails the second batch, Europe PMC answers it; the resumed run asks both again, and
    its summary counts the whole file."""
    _, fc, env = services
    rejecting = _icite_rejects(fc, pmids={"20"})
    out = tmp_path / "cited.tsv"
    ids = ["13", "20", "27"]
    args = (
        "link", "-db", "pubmed", "--cited", "--citations-from", "icite,europepmc",
        "--batch", "1", "-o", str(out), "--id", ",".join(ids),
    )  # fmt: skip
    first = run(env, *args)
    assert first.returncode == 4, first.stderr
    journal = out.with_name(out.name + ".journal")
    assert journal_batches(journal) == {0}  # not 1 (iCite failed it), nor 2 (after it)
    rejecting.on = False
    mark = len(fc.log)
    resumed = run(env, *args, "--resume", "-v")
    assert resumed.returncode == 0, resumed.stderr
    by = [("icite", icite_cited_by), ("europepmc", epmc_cited)]
    assert out.read_text() == expected(ids, by)
    asked = [r.params.get("pmids") or r.path.split("/")[-2] for r in fc.log[mark:]]
    assert sorted(asked) == ["20", "20", "27", "27"]  # of each service, never 13 again
    icite = sum(len(icite_cited_by(p)) for p in ids)
    epmc = sum(len(epmc_cited(p)) for p in ids)
    links = sum(len(set(icite_cited_by(p)) | set(epmc_cited(p))) for p in ids)
    assert resumed.stderr.splitlines()[0] == (
        f"elinkcli: 3 PMID(s) in (1 done before --resume), {links} citation link(s): "
        f"icite {icite}, europepmc {epmc}"
    )
