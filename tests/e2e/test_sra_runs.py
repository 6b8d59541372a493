"""End to end: `--idtype run`, links into sra given one row per run (issue 32 part 1a).

The fake server (tests/support/fake_eutils.py) models each sra experiment with its runs
(`add_record("sra", uid, "SRX…", "SRR…", …)`): its DocSums carry ExpXml (with Statistics
total_runs) and Runs, `fake.runs_cut_at` makes Runs list only the first runs, and EFetch
`rettype=runinfo` answers NCBI's RunInfo CSV. Every expected row comes from that model.
"""

from __future__ import annotations

import pytest
from conftest import parse_tsv
from support.fake_eutils import FakeEutils, Table, _spread

pytestmark = pytest.mark.e2e

PROJECT = "200001"


@pytest.fixture
def sra(fake: FakeEutils) -> FakeEutils:
    """bioproject 200001 links to 8 experiments with 0, 1, 2, 3, 0, … runs."""
    fake.tables["bioproject_sra"] = Table(
        "bioproject", "sra", lambda u: [str(8_000_000 + 3 * k) for k in range(8)]
    )
    for n, uid in enumerate(experiments(fake)):
        runs = [f"SRR{9_000_000 + 10 * int(uid) % 1_000_000 + k}" for k in range(n % 4)]
        fake.add_record("sra", uid, f"SRX{int(uid) % 1_000_000:06d}", *runs)
    return fake


def experiments(fake: FakeEutils) -> list[str]:
    return [t for _, _, targets in fake.links("bioproject", PROJECT, "sra") for t in targets]


def expected_rows(fake: FakeEutils) -> list[tuple[str, ...]]:
    rows = []
    for linkname, dbto, targets in fake.links("bioproject", PROJECT, "sra"):
        for uid in targets:
            base = ("bioproject", PROJECT, linkname, dbto, uid, "", PROJECT)
            runs = fake.sra_runs(uid)
            rows += [(*base, r) for r in runs] if runs else [(*base, "")]
    return rows


ARGS = ("link", "-db", "bioproject", "-target", "sra", "-id", PROJECT, "--idtype", "run")


def test_one_row_per_run_as_the_model_has_them(sra, run) -> None:
    proc = run(*ARGS)
    assert proc.returncode == 0, proc.stderr
    rows = parse_tsv(proc.stdout, full=True)
    assert rows == expected_rows(sra)
    assert len(rows) > len(experiments(sra))  # some experiments have several runs
    assert any(r[7] == "" for r in rows)  # an experiment with no runs: one row, no run
    assert len(sra.requests_to("esummary.fcgi")) == 1
    assert not sra.requests_to("efetch.fcgi")  # every list was complete


def test_a_cut_runs_list_is_completed_from_efetch_runinfo(sra, run) -> None:
    sra.runs_cut_at = 2
    proc = run(*ARGS)
    assert proc.returncode == 0, proc.stderr
    assert parse_tsv(proc.stdout, full=True) == expected_rows(sra)
    cut = [u for u in experiments(sra) if len(sra.sra_runs(u)) > 2]
    assert cut
    fetched = sra.requests_to("efetch.fcgi")
    assert sorted(r.get("id") for r in fetched) == sorted(cut)
    assert all(r.get("rettype") == "runinfo" and r.get("db") == "sra" for r in fetched)


def test_a_failing_runinfo_fails_the_run_naming_the_experiment(sra, run) -> None:
    sra.runs_cut_at = 1
    broken = next(u for u in experiments(sra) if len(sra.sra_runs(u)) > 1)
    sra.runinfo_broken.add(broken)
    proc = run(*ARGS)
    assert proc.returncode != 0
    assert broken in proc.stderr and "Run" in proc.stderr, proc.stderr


def test_a_rerun_is_answered_from_the_cache(sra, run, tmp_path) -> None:
    sra.runs_cut_at = 2
    env = {"ELINKCLI_CACHE_DIR": str(tmp_path / "cache")}
    first = run(*ARGS, env=env)
    assert first.returncode == 0, first.stderr
    before = len(sra.log)
    second = run(*ARGS, env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert len(sra.log) == before  # no ELink, no ESummary, no EFetch


def test_format_uid_lists_the_runs(sra, run) -> None:
    proc = run(*ARGS, "--format", "uid")
    assert proc.returncode == 0, proc.stderr
    wanted = [r[7] or r[4] for r in expected_rows(sra)]
    assert proc.stdout.split() == wanted


def test_run_on_another_target_warns_and_asks_nothing_more(sra, run) -> None:
    sra.tables["bioproject_biosample"] = Table(
        "bioproject", "biosample", lambda u: _spread(u, 9_000_000, 3)
    )
    proc = run("link", "-db", "bioproject", "-target", "biosample", "-id", PROJECT,
               "--idtype", "run")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "no runs" in proc.stderr
    assert not sra.requests_to("esummary.fcgi") and not sra.requests_to("efetch.fcgi")
