"""End to end: the installed `elinkcli linkout` against the fake E-utilities server.

Every test runs the console script as a user does and talks only to the fake server on
127.0.0.1. Expected output is built from the server's oracle, `fake.linkout(...)` (the
resources NCBI would send, duplicates included), never from elinkcli's own output.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from conftest import LINKOUT_HEADER, absolute, assert_clean_error
from conftest import TSV_HEADER as LINK_TSV_HEADER
from support.fake_eutils import FakeEutils, elink_requests
from support.fakes import edirect_message
from support.tables import read_table

pytestmark = pytest.mark.e2e

LIST_COLUMNS = ("category", "subject_types", "attributes")
BARRIERS = ("registration required", "subscription/membership/fee required")
# Multiples of 3 have no LinkOut in the fake; even ids have a third (registration) resource.
IDS = ["1", "2", "3", "4", "5", "6", "7", "8"]


# --- the oracle, shaped as elinkcli's rows -------------------------------------------------


def keep(record: dict[str, Any], where: dict[str, Sequence[str]], free: bool) -> bool:
    """The filters written out: OR within one, AND across, case-insensitive; --free."""

    def lower(values: Sequence[str]) -> set[str]:
        return {v.lower() for v in values}

    have = {
        "category": record["category"],
        "subject_type": record["subject_types"],
        "attribute": record["attributes"],
        "provider": [record["provider"], record["provider_abbr"]],
    }
    for name, wanted in where.items():
        if wanted and not lower(wanted) & lower(have[name]):
            return False
    return not (free and lower(record["attributes"]) & set(BARRIERS))


def oracle(
    fake: FakeEutils,
    ids: Sequence[str],
    *,
    db: str = "pubmed",
    cmd: str = "llinks",
    holding: str | None = None,
    where: dict[str, Sequence[str]] | None = None,
    free: bool = False,
) -> list[dict[str, Any]]:
    """One record per resource: input order, then NCBI's order, identical URL + provider id
    once, filters applied."""
    out: list[dict[str, Any]] = []
    for uid in ids:
        seen: set[tuple[str, str]] = set()
        for r in fake.linkout(uid, cmd, holding):
            name, abbr, pid = r["provider"]
            if (r["url"], pid) in seen:
                continue
            seen.add((r["url"], pid))
            record = {
                "source_db": db,
                "source_id": uid,
                "url": r["url"],
                "provider": name,
                "provider_abbr": abbr,
                "provider_id": pid,
                "category": list(r["categories"]),
                "subject_types": list(r["subject_types"]),
                "attributes": list(r["attributes"]),
                "label": r["linkname"] or "",
                "icon_url": absolute(r["iconurl"]),
                "source_uid": uid.lstrip("0") or "0",
            }
            if keep(record, where or {}, free):
                out.append(record)
    return out


def raw_count(fake: FakeEutils, ids: Sequence[str], cmd: str = "llinks") -> int:
    return sum(len(fake.linkout(uid, cmd)) for uid in ids)


def tsv_text(records: Sequence[dict[str, Any]], header: bool = True) -> str:
    def cell(value: Any) -> str:
        return "; ".join(value) if isinstance(value, list) else str(value)

    lines = (["\t".join(LINKOUT_HEADER)] if header else []) + [
        "\t".join(cell(r[c]) for c in LINKOUT_HEADER) for r in records
    ]
    return "".join(line + "\n" for line in lines)


ARGS = ("linkout", "-db", "pubmed")


# --- output formats --------------------------------------------------------------------------


def test_oracle_has_duplicates_no_links_and_both_barriers(fake):
    # What the other tests rely on: the fake really sends these.
    assert raw_count(fake, IDS) > len(oracle(fake, IDS))
    assert [i for i in IDS if not fake.linkout(i)] == ["3", "6"]
    attrs = {a for i in IDS for r in fake.linkout(i) for a in r["attributes"]}
    assert set(BARRIERS) <= attrs
    icons = [r["iconurl"] for i in IDS for r in fake.linkout(i)]
    assert None in icons and any(i and i.startswith("/") for i in icons)


def test_tsv_exact(fake, run):
    proc = run(*ARGS, "--id", ",".join(IDS), "--format", "tsv")

    assert proc.returncode == 0, proc
    assert proc.stdout == tsv_text(oracle(fake, IDS))
    (request,) = elink_requests(fake)
    assert request.values("cmd") == ["llinks"]
    assert request.values("dbfrom") == ["pubmed"]
    assert request.values("id") == IDS
    assert request.values("holding") == []


def test_tsv_is_the_default_into_a_pipe_and_no_header(fake, run):
    default = run(*ARGS, "--id", "4,5")
    bare = run(*ARGS, "--id", "4,5", "--no-header")

    assert default.returncode == bare.returncode == 0, (default, bare)
    assert default.stdout == tsv_text(oracle(fake, ["4", "5"]))
    assert bare.stdout == tsv_text(oracle(fake, ["4", "5"]), header=False)


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_and_jsonl_exact(fake, run, fmt):
    proc = run(*ARGS, "--id", ",".join(IDS), "--format", fmt)

    assert proc.returncode == 0, proc
    expected = oracle(fake, IDS)
    if fmt == "json":
        got = json.loads(proc.stdout)
    else:
        got = [json.loads(line) for line in proc.stdout.splitlines()]
        assert len(got) == len(proc.stdout.splitlines())
    assert got == expected
    assert all(list(r) == list(LINKOUT_HEADER) for r in got)
    assert all(isinstance(r[c], list) for r in got for c in LIST_COLUMNS)


def test_urls_one_distinct_url_per_line(fake, run):
    ids = ["2", "4", "2"]  # a repeated id, and URLs shared by two records
    proc = run(*ARGS, "--id", ",".join(ids), "--format", "urls")

    assert proc.returncode == 0, proc
    urls = list(dict.fromkeys(r["url"] for r in oracle(fake, ["2", "4"])))
    assert proc.stdout == "".join(u + "\n" for u in urls)


def test_table_cells_match(fake, run):
    proc = run(
        *ARGS, "--id", ",".join(IDS), "--format", "table", env={"COLUMNS": "400", "TERM": "dumb"}
    )

    assert proc.returncode == 0, proc
    table = read_table(proc.stdout)
    assert table.title == "LinkOut of pubmed records"
    shown = ("source_id", "provider", "category", "attributes", "url")
    assert table.headers == [list(shown)]
    expected = [
        {c: "; ".join(r[c]) if isinstance(r[c], list) else r[c] for c in shown}
        for r in oracle(fake, IDS)
    ]
    assert table.rows == expected


def test_nothing_has_linkout_is_success(fake, run):
    proc = run(*ARGS, "--id", "3,6,9", "-v")

    assert proc.returncode == 0, proc
    assert oracle(fake, ["3", "6", "9"]) == []
    assert proc.stdout == tsv_text([])
    assert "Traceback" not in proc.stderr
    assert "elinkcli: without: 3,6,9" in proc.stderr.splitlines()


def test_verbose_summary_counts(fake, run):
    proc = run(*ARGS, "--id", ",".join(IDS), "-v", "--free")

    assert proc.returncode == 0, proc
    expected = oracle(fake, IDS, free=True)
    with_links = list(dict.fromkeys(r["source_id"] for r in expected))
    without = [i for i in IDS if i not in with_links]
    summary = proc.stderr.splitlines()[0]
    assert summary.startswith(
        f"elinkcli: {len(IDS)} id(s) in, {len(with_links)} with LinkOut, "
        f"{len(without)} without; {len(expected)} link(s); 1 request(s)"
    ), proc.stderr
    assert f"elinkcli: without: {','.join(without)}" in proc.stderr.splitlines()


def test_batches_keep_input_order(fake, run):
    ids = ["8", "7", "5", "4", "2"]
    proc = run(*ARGS, "--id", ",".join(ids), "--batch", "2")

    assert proc.returncode == 0, proc
    assert proc.stdout == tsv_text(oracle(fake, ids))
    assert sorted(r.values("id") for r in elink_requests(fake)) == sorted(
        [["8", "7"], ["5", "4"], ["2"]]
    )


# --- modes -------------------------------------------------------------------------------------


def test_primary_asks_prlinks_first_resource_only(fake, run):
    proc = run(*ARGS, "--id", ",".join(IDS), "--primary", "--format", "jsonl")

    assert proc.returncode == 0, proc
    got = [json.loads(line) for line in proc.stdout.splitlines()]
    expected = oracle(fake, IDS, cmd="prlinks")
    assert got == expected
    assert expected == [
        r for r in oracle(fake, IDS) if r["url"] == fake.linkout(r["source_id"])[0]["url"]
    ]
    (request,) = elink_requests(fake)
    assert request.values("cmd") == ["prlinks"]
    assert request.values("holding") == []


@pytest.mark.parametrize("holding", ["MEDPLUS", "modbase"])
def test_holding_is_sent_and_only_that_provider_comes_back(fake, run, holding):
    proc = run(*ARGS, "--id", ",".join(IDS), "--holding", holding)

    assert proc.returncode == 0, proc
    expected = oracle(fake, IDS, holding=holding)
    assert expected and {r["provider_abbr"] for r in expected} == {holding}
    assert proc.stdout == tsv_text(expected)
    (request,) = elink_requests(fake)
    assert request.values("holding") == [holding]
    assert request.values("cmd") == ["llinks"]


@pytest.mark.parametrize("extra", [(), ("--holding", "MEDPLUS")], ids=["plain", "holding"])
def test_libraries_exit_3_one_line_no_traceback(fake, run, extra):
    proc = run(*ARGS, "--id", "1,2", "--libraries", *extra)

    line = assert_clean_error(proc, 3)
    assert "llinkslib" in line
    assert "Traceback" not in proc.stdout
    # No resource rows (a header line at most).
    assert [ln for ln in proc.stdout.splitlines() if ln != "\t".join(LINKOUT_HEADER)] == []
    (request,) = elink_requests(fake)  # a rejection is not retried
    assert request.values("cmd") == ["llinkslib"]
    assert request.values("holding") == list(extra[1:])


@pytest.mark.parametrize(
    ("args", "culprit"),
    [
        (("--primary", "--libraries"), "--libraries"),
        (("--holding", "MEDPLUS", "--primary"), "--holding"),
    ],
    ids=["primary-libraries", "holding-primary"],
)
def test_exclusive_options_exit_2(fake, run, args, culprit):
    proc = run(*ARGS, "--id", "1", *args)

    line = assert_clean_error(proc, 2)
    assert culprit in line and "--primary" in line
    assert proc.stdout == ""
    assert fake.log == []


# --- filters --------------------------------------------------------------------------------


FILTER_CASES = [
    (["--category", "full text sources"], {"category": ["full text sources"]}, False),
    (
        ["--category", "MEDICAL", "--category", "Molecular Biology Databases"],
        {"category": ["MEDICAL", "Molecular Biology Databases"]},
        False,
    ),
    (["--subject-type", "Structure"], {"subject_type": ["Structure"]}, False),
    (["--attribute", "FREE RESOURCE"], {"attribute": ["FREE RESOURCE"]}, False),
    (["--provider", "medplus"], {"provider": ["medplus"]}, False),
    (
        ["--provider", "example journal publishing", "--provider", "MODBASE"],
        {"provider": ["example journal publishing", "MODBASE"]},
        False,
    ),
    (
        ["--category", "medical", "--category", "full text sources", "--provider", "exjournal"],
        {"category": ["medical", "full text sources"], "provider": ["exjournal"]},
        False,
    ),
    (["--free"], {}, True),
    (
        ["--free", "--category", "Full Text Sources", "--category", "Medical"],
        {"category": ["Full Text Sources", "Medical"]},
        True,
    ),
]


@pytest.mark.parametrize(
    ("args", "where", "free"),
    FILTER_CASES,
    ids=[
        "category",
        "categories-or",
        "subject-type",
        "attribute",
        "provider-abbr",
        "provider-name-or-abbr",
        "category-and-provider",
        "free",
        "free-and-category",
    ],
)
def test_filters(fake, run, args, where, free):
    proc = run(*ARGS, "--id", ",".join(IDS), *args)

    assert proc.returncode == 0, proc
    expected = oracle(fake, IDS, where=where, free=free)
    everything = oracle(fake, IDS)
    assert 0 < len(expected) < len(everything)  # the filter did something
    assert proc.stdout == tsv_text(expected)
    # Filtering is ours: NCBI is asked the same as without filters.
    (request,) = elink_requests(fake)
    assert request.values("cmd") == ["llinks"]
    assert request.values("holding") == []


def test_free_drops_both_barriers(fake, run):
    proc = run(*ARGS, "--id", "1,2,4", "--free", "--format", "jsonl")

    assert proc.returncode == 0, proc
    got = [json.loads(line) for line in proc.stdout.splitlines()]
    assert got == oracle(fake, ["1", "2", "4"], free=True)
    dropped = {a for r in oracle(fake, ["1", "2", "4"]) if r not in got for a in r["attributes"]}
    assert set(BARRIERS) <= dropped
    assert not {a for r in got for a in r["attributes"]} & set(BARRIERS)


# --- where ids come from ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stdin", "db_args"),
    [
        (b"1\n2 4,5\n\n7\n", ("-db", "pubmed")),
        (edirect_message("pubmed", ["1", "2", "4", "5", "7"]), ()),
    ],
    ids=["plain", "entrez-direct"],
)
def test_ids_from_stdin(fake, run, stdin, db_args):
    proc = run("linkout", *db_args, stdin=stdin)

    ids = ["1", "2", "4", "5", "7"]
    assert proc.returncode == 0, proc
    assert proc.stdout == tsv_text(oracle(fake, ids))
    (request,) = elink_requests(fake)
    assert request.values("id") == ids
    assert request.values("dbfrom") == ["pubmed"]


def test_ids_from_a_history_message(fake, run):
    webenv, key = fake.store("pubmed", ["8", "7", "2"])
    proc = run("linkout", stdin=edirect_message("pubmed", Count=3, WebEnv=webenv, QueryKey=key))

    assert proc.returncode == 0, proc
    assert proc.stdout == tsv_text(oracle(fake, ["8", "7", "2"]))
    assert elink_requests(fake)[-1].values("id") == ["8", "7", "2"]


@pytest.mark.parametrize("width", [8, 6], ids=["current", "six columns of older releases"])
def test_ids_from_elinkcli_link_tsv(fake, run, width):
    # `elinkcli link ... | elinkcli linkout`: the target ids and database are read.
    rows = [("gene", "1", "gene_pubmed", "pubmed", t, "", "1", "") for t in ("4", "5", "4", "10")]
    header = LINK_TSV_HEADER[:width]
    text = "\t".join(header) + "\n" + "".join("\t".join(r[:width]) + "\n" for r in rows)
    proc = run("linkout", stdin=text.encode())

    assert proc.returncode == 0, proc
    assert proc.stdout == tsv_text(oracle(fake, ["4", "5", "10"]))
    (request,) = elink_requests(fake)
    assert request.values("dbfrom") == ["pubmed"]


def test_empty_message_asks_nothing(fake, run):
    proc = run("linkout", stdin=edirect_message("pubmed", [], Count=0))

    assert proc.returncode == 0, proc
    assert proc.stdout == tsv_text([])
    assert fake.log == []


# --- help ---------------------------------------------------------------------------------------


def test_help_mentions_lcheck(fake, run):
    proc = run("linkout", "--help")

    assert proc.returncode == 0, proc
    text = " ".join(proc.stdout.split())
    assert "check --cmd lcheck" in text
    for option in ("--primary", "--libraries", "--holding", "--free", "--category"):
        assert option in text
    assert fake.log == []


def test_help_examples_kept_verbatim(fake, run):
    proc = run("linkout", "--help")

    assert proc.returncode == 0, proc
    lines = [line.strip() for line in proc.stdout.splitlines()]
    assert "\\b" not in proc.stdout
    assert "Examples:" in lines
    assert "elinkcli linkout -db pubmed -id 15718680" in lines
    # The shell line continuation is one backslash, as a user would type it.
    assert any(line.endswith("--format urls \\") for line in lines)
