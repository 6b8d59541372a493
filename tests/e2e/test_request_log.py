"""The request log (--log FILE), end to end: the installed elinkcli against the fake server,
every command logging one JSON line per request the server saw (retries, rejections and
the run that gives up included), never the API key; the log in a file that accumulates
across runs or on stderr beside the data on stdout; an unwritable log refused before any
request; answers from the cache logging nothing; a resumed run free to log elsewhere.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import Runner, assert_clean_error, parse_tsv
from support.fake_eutils import FakeEutils, Faults, Logged
from support.request_log import FIELDS, TIME, lines

E2E_KEY = "e2eLOGSECRET0123456789abcdefXYZ9"
KEYED = {"NCBI_API_KEY": E2E_KEY}
LINK = ("link", "-db", "gene", "-target", "protein", "--batch", "2", "--format", "tsv")
LINK_IDS = ("--id", "4101,4102,4103,4104,4105")  # 3 requests

COMMANDS = {
    "link": [*LINK, *LINK_IDS],
    "check": ["check", "-db", "pubmed", "-cmd", "ncheck", "--batch", "2", "--id", "4201,4202,4203"],
    "discover": ["discover", "-db", "gene", "--batch", "2", "--id", "4301,4302,4303"],
    "linkout": ["linkout", "-db", "pubmed", "--batch", "2", "--id", "4401,4402,4403"],
    "chain": [
        "chain",
        "-db",
        "gene",
        "protein:gene_protein_refseq",
        "structure",
        "--batch",
        "2",
        "--id",
        "4501,4502",
    ],
}


def server_side(fake: FakeEutils) -> list[tuple[str, int]]:
    """(endpoint, ids) of every request the fake server saw, sorted."""

    def count(r: Logged) -> int:
        return sum(len([i for i in v.split(",") if i]) for v in r.values("id"))

    return sorted((r.path.rsplit("/", 1)[-1], count(r)) for r in fake.log)


def client_side(entries: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return sorted((e["endpoint"], e["ids"]) for e in entries)


def log_lines(stderr: str) -> list[dict[str, Any]]:
    """The JSON lines of stderr (the rest are elinkcli's own `elinkcli: ...` lines)."""
    out = []
    for line in stderr.splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
        else:
            assert line.startswith("elinkcli: "), stderr
    return out


@pytest.mark.e2e
@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_logs_one_line_per_request_the_server_saw(
    name: str, fake: FakeEutils, run: Runner, tmp_path: Path
) -> None:
    log = tmp_path / "requests.log"
    fake.faults = Faults(script=["500", None])
    proc = run(*COMMANDS[name], "--log", str(log), env=KEYED)
    assert proc.returncode == 0, proc.stderr
    text = log.read_text("utf-8")
    assert E2E_KEY not in text
    entries = lines(text)
    assert len(entries) == len(fake.log) >= 2
    assert client_side(entries) == server_side(fake)
    assert [e["outcome"] for e in entries].count("retried") == 1
    assert [e["status"] for e in entries].count(500) == 1
    assert all(set(e) == {*FIELDS, "error"} for e in entries if e["outcome"] == "retried")
    assert all(e["outcome"] in ("ok", "retried") for e in entries)
    assert all(TIME.match(e["time"]) and isinstance(e["ms"], int) for e in entries)
    assert {e["try"] for e in entries} == {1, 2}


@pytest.mark.e2e
def test_a_file_log_accumulates_across_runs(fake: FakeEutils, run: Runner, tmp_path: Path) -> None:
    log = tmp_path / "cron.log"
    first = run(*LINK, *LINK_IDS, "--log", str(log), env=KEYED)
    assert first.returncode == 0, first.stderr
    assert first.stderr == ""
    after_one = log.read_text()
    assert len(after_one.splitlines()) == len(fake.log) == 3
    second = run(*LINK, "--id", "4111,4112", "--log", str(log), env=KEYED)
    assert second.returncode == 0, second.stderr
    text = log.read_text()
    assert text.startswith(after_one)
    assert len(lines(text)) == len(fake.log) == 4


@pytest.mark.e2e
@pytest.mark.parametrize("flag", [("--log", "-"), ("-log",), ("-debug",)])
def test_the_log_on_stderr_leaves_stdout_to_the_data(
    flag: tuple[str, ...], fake: FakeEutils, run: Runner
) -> None:
    fake.faults = Faults(script=["503"])
    proc = run(*LINK, *LINK_IDS, *flag, env=KEYED)
    assert proc.returncode == 0, proc.stderr
    rows = parse_tsv(proc.stdout)
    assert rows and "{" not in proc.stdout
    entries = log_lines(proc.stderr)
    assert len(entries) == len(fake.log) == 4
    assert client_side(entries) == server_side(fake)
    assert E2E_KEY not in proc.stderr


@pytest.mark.e2e
def test_log_file_wins_over_the_stderr_flag(fake: FakeEutils, run: Runner, tmp_path: Path) -> None:
    log = tmp_path / "requests.log"
    proc = run(*LINK, *LINK_IDS, "-log", "--log", str(log), env=KEYED)
    assert proc.returncode == 0, proc.stderr
    assert log_lines(proc.stderr) == []
    assert len(lines(log.read_text())) == len(fake.log) == 3


@pytest.mark.e2e
@pytest.mark.parametrize("where", ["directory", "missing parent"])
def test_an_unwritable_log_is_exit_2_before_any_request(
    where: str, fake: FakeEutils, run: Runner, tmp_path: Path
) -> None:
    path = tmp_path if where == "directory" else tmp_path / "gone" / "requests.log"
    out = tmp_path / "out.tsv"
    proc = run(*LINK, *LINK_IDS, "--log", str(path), "--output", str(out), env=KEYED)
    line = assert_clean_error(proc, 2)
    assert str(path) in line
    assert proc.stdout == ""
    assert fake.log == []
    assert not out.exists()
    assert not list(tmp_path.glob("out.tsv*"))  # no temporary file or journal either


@pytest.mark.e2e
def test_answers_from_the_cache_log_nothing(fake: FakeEutils, run: Runner, tmp_path: Path) -> None:
    env = {**KEYED, "ELINKCLI_CACHE_DIR": str(tmp_path / "cache")}
    log = tmp_path / "requests.log"
    first = run(*LINK, *LINK_IDS, "--log", str(log), env=env)
    assert first.returncode == 0, first.stderr
    logged_once = log.read_text()
    assert len(logged_once.splitlines()) == len(fake.log) == 3
    for extra in ((), ("--offline",)):
        again = run(*LINK, *LINK_IDS, "--log", str(log), *extra, env=env)
        assert again.returncode == 0, again.stderr
        assert again.stdout == first.stdout
        assert log.read_text() == logged_once
        assert len(fake.log) == 3


@pytest.mark.e2e
def test_a_rejected_request_is_logged_as_rejected(
    fake: FakeEutils, run: Runner, tmp_path: Path
) -> None:
    log = tmp_path / "requests.log"
    fake.faults = Faults(script=["400"])
    proc = run(*LINK, "--id", "4101", "--log", str(log), env=KEYED)
    assert proc.returncode == 3, proc.stderr
    (entry,) = lines(log.read_text())
    assert (entry["status"], entry["outcome"], entry["try"]) == (400, "rejected", 1)
    assert entry["error"].startswith("HTTP 400 from elink.fcgi")


@pytest.mark.e2e
def test_a_resumed_run_may_log_elsewhere(fake: FakeEutils, run: Runner, tmp_path: Path) -> None:
    """The log options are no part of what --resume compares: logging to another place
    (here: stderr instead of a file) is still the same run."""
    out = tmp_path / "out.tsv"
    fake.faults = Faults(by_id={"4105": ["503"] * 20})  # the last batch fails on every try
    first = run(*LINK, *LINK_IDS, "--output", str(out), "--log", str(tmp_path / "a.log"))
    assert first.returncode == 4, first.stderr
    entries = lines((tmp_path / "a.log").read_text())
    assert len(entries) == len(fake.log)
    assert [e["outcome"] for e in entries].count("gave up") == 1
    fake.faults = Faults()
    sent_before = len(fake.log)
    again = run(*LINK, *LINK_IDS, "--output", str(out), "--resume", "-log")
    assert again.returncode == 0, again.stderr
    resumed = log_lines(again.stderr)
    assert len(resumed) == len(fake.log) - sent_before == 1
    assert resumed[0]["ids"] == 1 and resumed[0]["outcome"] == "ok"
