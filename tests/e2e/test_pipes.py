"""End to end: pipes into and out of `elinkcli link` (issue "Pipes").

The installed console script runs as a subprocess against the fake E-utilities server.
stdin carries what an earlier step wrote: an ENTREZ_DIRECT message (ids, or a History
server set), or elinkcli's own tsv/json/jsonl. Every expected value comes from the fake's
oracle (`fake.links`, `fake.histories`), never from elinkcli's output; each pipe is checked
against linking the same ids directly with --id.

Pacing is real (a request start every 0.35 s without an API key): --batch keeps the
number of requests small.
"""

from __future__ import annotations

import random
import re
import subprocess
from collections.abc import Sequence
from xml.etree import ElementTree as ET

import pytest
from conftest import TSV_HEADER, Row, clean_env, elinkcli_command, parse_tsv
from support.fake_eutils import FakeEutils, Faults, Logged

pytestmark = pytest.mark.e2e

# The order EDirect writes a message's elements in, then one <Id> per id.
ORDER = ("Db", "WebEnv", "QueryKey", "Count", "Step", "Error", "Tool", "Email", "Labels")
LABELS = "<Labels><Label><Key>query</Key><Val>BRCA1[ti] &amp; review[pt]</Val></Label></Labels>"
TOOL, EMAIL = "edirect", "someone@example.org"

GENE_IDS = [str(n) for n in random.Random(20240612).sample(range(1, 2_000_000), 40)]


# --- the oracle ----------------------------------------------------------------------------


def oracle_rows(
    fake: FakeEutils, dbfrom: str, ids: Sequence[str], db: str, linkname: str | None = None
) -> list[Row]:
    """One row per link of each source id, in input order, as NCBI would answer them.
    No linkname: -target alone asks for DB_TARGET, as EDirect's elink; "all" (-name all):
    every table of the pair."""
    asked = None if linkname == "all" else linkname or f"{dbfrom}_{db}"
    return [
        (dbfrom, uid, name, dbto, target, "")
        for uid in ids
        for name, dbto, targets in fake.links(dbfrom, uid, db, asked)
        for target in targets
    ]


def oracle_targets(
    fake: FakeEutils, dbfrom: str, ids: Sequence[str], db: str, linkname: str | None = None
) -> list[str]:
    """The distinct target ids of `ids`, in first-seen order."""
    return list(dict.fromkeys(r[4] for r in oracle_rows(fake, dbfrom, ids, db, linkname)))


def oracle_union_rows(fake: FakeEutils, dbfrom: str, ids: Sequence[str], db: str) -> list[Row]:
    """All of `ids` as one merged link set (NCBI's merge of one id list / history set)."""
    merged: dict[str, tuple[str, dict[str, None]]] = {}
    for uid in ids:
        for name, dbto, targets in fake.links(dbfrom, uid, db, f"{dbfrom}_{db}"):
            merged.setdefault(name, (dbto, {}))[1].update(dict.fromkeys(targets))
    return [
        (dbfrom, "", name, dbto, target, "")
        for name, (dbto, targets) in merged.items()
        for target in targets
    ]


# --- messages --------------------------------------------------------------------------------


def entrez_direct(
    db: str,
    ids: Sequence[str] = (),
    *,
    webenv: str | None = None,
    query_key: str | None = None,
    count: int | None = None,
    step: int | None = 1,
    error: str | None = None,
    tool: str | None = TOOL,
    email: str | None = EMAIL,
    labels: str | None = LABELS,
) -> bytes:
    """A message as esearch/epost write it (built here, not by elinkcli)."""
    parts = ['<?xml version="1.0" encoding="UTF-8" ?>', "<ENTREZ_DIRECT>", f"  <Db>{db}</Db>"]
    for tag, value in (
        ("WebEnv", webenv),
        ("QueryKey", query_key),
        ("Count", len(ids) if count is None and not webenv else count),
        ("Step", step),
        ("Error", error),
        ("Tool", tool),
        ("Email", email),
    ):
        if value is not None:
            parts.append(f"  <{tag}>{value}</{tag}>")
    if labels:
        parts.append(f"  {labels}")
    parts += [f"  <Id>{i}</Id>" for i in ids]
    parts.append("</ENTREZ_DIRECT>")
    return ("\n".join(parts) + "\n").encode()


class Message:
    """An ENTREZ_DIRECT message read with the standard library's parser."""

    def __init__(self, text: str) -> None:
        self.root = ET.fromstring(text)
        assert self.root.tag == "ENTREZ_DIRECT", text
        self.tags = [child.tag for child in self.root]
        self.ids = [el.text for el in self.root.iterfind("Id")]

    def text(self, tag: str) -> str | None:
        el = self.root.find(tag)
        return None if el is None else el.text

    @property
    def labels(self) -> str | None:
        el = self.root.find("Labels")
        if el is None:
            return None
        el.tail = None
        return ET.tostring(el, encoding="unicode")

    def assert_order(self) -> None:
        """Tags exactly in EDirect's order, each at most once, the ids last."""
        head = [t for t in self.tags if t != "Id"]
        assert head == [t for t in ORDER if t in head], self.tags
        assert self.tags == head + ["Id"] * len(self.ids), self.tags


# --- requests and errors ---------------------------------------------------------------------


def requests(fake: FakeEutils, endpoint: str, since: int = 0) -> list[Logged]:
    return [r for r in fake.log[since:] if r.path.endswith("/" + endpoint)]


def endpoints(fake: FakeEutils, since: int = 0) -> list[str]:
    return [r.path.rsplit("/", 1)[-1].removesuffix(".fcgi") for r in fake.log[since:]]


def sent_ids(reqs: Sequence[Logged]) -> list[str]:
    """Every id sent, in request order (one id= each, or a comma list)."""
    return [i for r in reqs for v in r.values("id") for i in v.split(",")]


def assert_clean_error(proc: subprocess.CompletedProcess, status: int) -> str:
    assert proc.returncode == status, proc
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("elinkcli: error: "), proc.stderr
    return lines[0]


def shell_pipe(fake: FakeEutils, stdin: bytes, *steps: Sequence[str]) -> tuple[int, str]:
    """`elinkcli A | elinkcli B | ...` through real OS pipes; (last status, last stdout)."""
    env = clean_env({"ELINKCLI_BASE_URL": fake.base_url})
    procs: list[subprocess.Popen] = []
    upstream: int | object = subprocess.PIPE
    for n, args in enumerate(steps):
        proc = subprocess.Popen(
            [*elinkcli_command(), *args],
            stdin=upstream,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        if n == 0:
            assert proc.stdin is not None
            proc.stdin.write(stdin)
            proc.stdin.close()
        else:
            assert procs[-1].stdout is not None
            procs[-1].stdout.close()  # only the next step holds the read end now
        procs.append(proc)
        upstream = proc.stdout
    out, _ = procs[-1].communicate(timeout=60)
    statuses = [p.wait(timeout=60) for p in procs]
    assert statuses[:-1] == [0] * (len(procs) - 1), statuses
    return statuses[-1], out.decode("utf-8")


# --- 1. a message with ids in, a message out --------------------------------------------------


def test_message_with_ids_gives_a_message_with_the_distinct_targets(fake, run):
    ids = GENE_IDS
    stdin = entrez_direct("gene", [*ids, ids[0], ids[3]], step=4)  # repeats are linked once
    proc = run("link", "-target", "protein", stdin=stdin)

    assert proc.returncode == 0, proc
    expected = oracle_targets(fake, "gene", ids, "protein")
    assert len(expected) > len(ids)
    msg = Message(proc.stdout)
    msg.assert_order()
    assert msg.tags == ["Db", "Count", "Step", "Tool", "Email", "Labels"] + ["Id"] * len(expected)
    assert msg.text("Db") == "protein"
    assert msg.text("Count") == str(len(expected))
    assert msg.text("Step") == "5"
    assert (msg.text("Tool"), msg.text("Email"), msg.labels) == (TOOL, EMAIL, LABELS)
    assert msg.ids == expected
    (request,) = requests(fake, "elink.fcgi")
    assert (request.get("dbfrom"), request.get("db")) == ("gene", "protein")
    assert request.values("id") == ids

    # Done when: the pipe gives the same link set as linking the same ids directly.
    direct = run(
        "link", "-db", "gene", "-target", "protein", "--format", "uid", "--id", ",".join(ids)
    )
    assert direct.returncode == 0, direct
    assert direct.stdout.splitlines() == expected


def test_edirect_format_without_a_message_in_starts_at_step_one(fake, run):
    ids = GENE_IDS[:10]
    proc = run(
        "link", "-db", "gene", "-target", "protein", "--format", "edirect", "--id", ",".join(ids)
    )

    assert proc.returncode == 0, proc
    expected = oracle_targets(fake, "gene", ids, "protein")
    msg = Message(proc.stdout)
    msg.assert_order()
    assert msg.tags == ["Db", "Count", "Step"] + ["Id"] * len(expected)
    assert (msg.text("Db"), msg.text("Count"), msg.text("Step")) == (
        "protein",
        str(len(expected)),
        "1",
    )
    assert msg.ids == expected


# --- 2. a message pointing at a History server set --------------------------------------------


def test_history_message_is_expanded_then_linked_per_source(fake, run):
    ids = GENE_IDS[:30]
    webenv, key = fake.store("gene", ids)
    stdin = entrez_direct("gene", webenv=webenv, query_key=key, count=len(ids))
    proc = run("link", "-target", "protein", "--format", "tsv", "--batch", "15", stdin=stdin)

    assert proc.returncode == 0, proc
    fetches = requests(fake, "efetch.fcgi")
    assert fetches, "the set was not expanded with efetch"
    for r in fetches:
        assert (r.get("WebEnv"), r.get("query_key"), r.get("rettype")) == (webenv, key, "uilist")
        assert r.get("db") == "gene"
    assert fetches[0].get("retstart") == "0"
    links = requests(fake, "elink.fcgi")
    assert len(links) == 2
    assert sorted(r.values("id") for r in links) == sorted([ids[:15], ids[15:]])
    assert all(r.get("WebEnv") is None for r in links)
    expected = oracle_rows(fake, "gene", ids, "protein")
    assert parse_tsv(proc.stdout) == expected

    direct = run(
        "link", "-db", "gene", "-target", "protein", "--format", "tsv", "--id", ",".join(ids)
    )
    assert direct.returncode == 0, direct
    assert direct.stdout == proc.stdout


def test_history_message_with_union_goes_to_elink_as_it_is(fake, run):
    ids = GENE_IDS[:30]
    webenv, key = fake.store("gene", ids)
    stdin = entrez_direct("gene", webenv=webenv, query_key=key, count=len(ids))
    proc = run("link", "-target", "protein", "--union", "--format", "tsv", stdin=stdin)

    assert proc.returncode == 0, proc
    assert endpoints(fake) == ["elink"]  # no efetch
    (request,) = fake.log
    assert (request.get("WebEnv"), request.get("query_key")) == (webenv, key)
    assert (request.get("dbfrom"), request.get("db")) == ("gene", "protein")
    assert request.values("id") == []
    rows = parse_tsv(proc.stdout)
    assert rows == oracle_union_rows(fake, "gene", ids, "protein")
    assert {r[4] for r in rows} == set(oracle_targets(fake, "gene", ids, "protein"))


# --- 3. elinkcli's own output as the next step's input ----------------------------------------


@pytest.mark.parametrize("fmt", ["tsv", "json", "jsonl"])
def test_elinkcli_output_feeds_the_next_link(fake, run, fmt):
    ids = GENE_IDS[:20]
    # -name all: both tables, so the first step's targets repeat.
    first = run(
        "link", "-db", "gene", "-target", "protein", "-name", "all", "--format", fmt,
        "--id", ",".join(ids),
    )  # fmt: skip
    assert first.returncode == 0, first
    n = len(fake.log)

    second = run("link", "-target", "gene", "--format", "tsv", stdin=first.stdout.encode())

    assert second.returncode == 0, second
    proteins = oracle_targets(fake, "gene", ids, "protein", "all")
    assert len(proteins) < len(oracle_rows(fake, "gene", ids, "protein", "all"))  # repeats
    links = requests(fake, "elink.fcgi", n)
    assert all((r.get("dbfrom"), r.get("db")) == ("protein", "gene") for r in links)
    assert sent_ids(links) == proteins  # each distinct target once, first-seen order
    expected = oracle_rows(fake, "protein", proteins, "gene")
    assert expected
    assert parse_tsv(second.stdout) == expected

    direct = run(
        "link", "-db", "protein", "-target", "gene", "--format", "tsv", "--id", ",".join(proteins)
    )
    assert direct.returncode == 0, direct
    assert second.stdout == direct.stdout


def test_tsv_input_default_output_is_tsv(fake, run):
    ids = GENE_IDS[:5]
    rows = [(*r, r[1], "") for r in oracle_rows(fake, "gene", ids, "protein")]
    stdin = "".join("\t".join(row) + "\n" for row in [TSV_HEADER, *rows]).encode()
    proc = run("link", "-target", "gene", stdin=stdin)

    assert proc.returncode == 0, proc
    proteins = oracle_targets(fake, "gene", ids, "protein")
    assert parse_tsv(proc.stdout) == oracle_rows(fake, "protein", proteins, "gene")


# --- 4. which database the ids are from --------------------------------------------------------


def test_message_db_conflicting_with_db_option(fake, run):
    proc = run("link", "-db", "pubmed", "-target", "protein", stdin=entrez_direct("gene", ["1"]))

    line = assert_clean_error(proc, 2)
    assert "pubmed" in line and "gene" in line
    assert proc.stdout == ""
    assert fake.log == []


@pytest.mark.parametrize(
    ("message_db", "option_db"),
    [("nucleotide", "nuccore"), ("nuccore", "nucleotide"), ("nucleotide", "nucleotide")],
)
def test_nucleotide_and_nuccore_are_the_same_database(fake, run, message_db, option_db):
    ids = ["11", "13", "14"]
    stdin = entrez_direct(message_db, ids)
    proc = run("link", "-db", option_db, "-target", "protein", stdin=stdin)

    assert proc.returncode == 0, proc
    (request,) = requests(fake, "elink.fcgi")
    assert (request.get("dbfrom"), request.values("id")) == ("nuccore", ids)
    expected = oracle_targets(fake, "nuccore", ids, "protein")
    assert expected
    assert Message(proc.stdout).ids == expected


# --- 5. errors and empty sets in the message ----------------------------------------------------


def test_message_with_an_error_exits_2_with_its_text(fake, run):
    text = "PhraseNotFound: BRCA1[zz]"
    stdin = entrez_direct("pubmed", error=text, count=0)
    proc = run("link", "-target", "gene", stdin=stdin)

    line = assert_clean_error(proc, 2)
    assert text in line
    assert fake.log == []


@pytest.mark.parametrize("history", [False, True], ids=["ids", "history"])
def test_count_zero_is_an_empty_result(fake, run, history):
    extra = ["--history"] if history else []
    stdin = entrez_direct("pubmed", count=0, step=2)
    proc = run("link", "-target", "gene", *extra, stdin=stdin)

    assert proc.returncode == 0, proc
    assert fake.log == []
    msg = Message(proc.stdout)
    msg.assert_order()
    assert (msg.text("Db"), msg.text("Count"), msg.text("Step")) == ("gene", "0", "3")
    assert msg.ids == [] and msg.text("WebEnv") is None
    assert (msg.text("Tool"), msg.labels) == (TOOL, LABELS)


def test_count_zero_as_tsv_is_the_header_only(fake, run):
    stdin = entrez_direct("pubmed", count=0)
    proc = run("link", "-target", "gene", "--format", "tsv", stdin=stdin)

    assert proc.returncode == 0, proc
    assert fake.log == []
    assert parse_tsv(proc.stdout) == []


# --- 6. a large History set: paged, never capped ------------------------------------------------


def test_20000_id_history_set_is_paged_completely(fake, run):
    ids = [str(n) for n in range(500_001, 520_001)]
    webenv, key = fake.store("gene", ids)
    stdin = entrez_direct("gene", webenv=webenv, query_key=key, count=len(ids))
    proc = run(
        "link",
        "-target",
        "protein",
        "--batch",
        "1000",
        "--format",
        "uid",
        stdin=stdin,
        timeout=30,
    )

    assert proc.returncode == 0, proc
    fetches = requests(fake, "efetch.fcgi")
    assert [r.get("retstart") for r in fetches] == ["0", "10000"]
    assert all(int(r.get("retmax") or 0) >= 10_000 for r in fetches)
    links = requests(fake, "elink.fcgi")
    assert len(links) == 20
    sent = sorted((r.values("id") for r in links), key=lambda v: int(v[0]))
    assert sent == [ids[i : i + 1000] for i in range(0, len(ids), 1000)]
    expected = oracle_targets(fake, "gene", ids, "protein")
    assert len(expected) > len(ids)
    assert proc.stdout.splitlines() == expected


def test_a_history_set_past_a_window_is_linked_as_it_is_read(fake, run):
    """45,000 ids: the set is read a page of 10,000 at a time and linked 20,000 at a time,
    so links are asked before the last page is read (memory follows a window, never the
    set); the rows are those of the whole set, in its order."""
    ids = [str(n) for n in range(600_001, 645_001)]
    webenv, key = fake.store("gene", ids)
    stdin = entrez_direct("gene", webenv=webenv, query_key=key, count=len(ids))
    proc = run(
        "link", "-target", "protein", "--batch", "1000", "--format", "uid",
        stdin=stdin, env={"NCBI_API_KEY": "history-window-key"}, timeout=120,
    )  # fmt: skip

    assert proc.returncode == 0, proc
    order = endpoints(fake)
    fetches = requests(fake, "efetch.fcgi")
    assert [r.get("retstart") for r in fetches] == ["0", "10000", "20000", "30000", "40000"]
    last_page = max(i for i, e in enumerate(order) if e == "efetch")
    assert order.index("elink") < last_page
    sent = sorted((r.values("id") for r in requests(fake, "elink.fcgi")), key=lambda v: int(v[0]))
    assert sent == [ids[i : i + 1000] for i in range(0, len(ids), 1000)]
    assert proc.stdout.splitlines() == oracle_targets(fake, "gene", ids, "protein")


# --- 7. --history: the result stays on the History server ---------------------------------------


def stored(fake: FakeEutils, msg: Message) -> tuple[str, list[str]]:
    webenv, key = msg.text("WebEnv"), msg.text("QueryKey")
    assert webenv and key, msg.tags
    return fake.histories[webenv][key]


def test_history_writes_webenv_and_query_key_instead_of_ids(fake, run):
    ids = GENE_IDS[:20]
    proc = run("link", "-db", "gene", "-target", "protein", "--history", "--id", ",".join(ids))

    assert proc.returncode == 0, proc
    msg = Message(proc.stdout)
    msg.assert_order()
    assert msg.tags == ["Db", "WebEnv", "QueryKey", "Count", "Step"]
    assert msg.ids == []
    expected = oracle_targets(fake, "gene", ids, "protein")
    db, held = stored(fake, msg)
    assert db == "protein"
    assert sorted(held) == sorted(expected)  # the same set, each id once
    assert (msg.text("Db"), msg.text("Count"), msg.text("Step")) == (
        "protein",
        str(len(expected)),
        "1",
    )
    (link,) = requests(fake, "elink.fcgi")
    assert link.get("cmd") == "neighbor_history"
    assert sent_ids([link]) == ids
    assert requests(fake, "epost.fcgi") == []


def test_history_with_more_ids_than_batch_posts_first_then_links_the_stored_set(fake, run):
    ids = [str(n) for n in random.Random(7).sample(range(1, 2_000_000), 250)]
    stdin = entrez_direct("gene", ids)
    proc = run("link", "-target", "protein", "--history", "--batch", "100", stdin=stdin)

    assert proc.returncode == 0, proc
    steps = endpoints(fake)
    first_link = steps.index("elink")
    assert steps.count("elink") == 1
    before = steps[:first_link]
    assert before[-1] == "esearch" and set(before[:-1]) == {"epost"}, steps

    posts = requests(fake, "epost.fcgi")
    assert sent_ids(posts) == ids
    combine = fake.log[first_link - 1]
    webenv = combine.get("WebEnv")
    assert webenv and all(r.get("WebEnv") == webenv for r in posts[1:])  # one WebEnv
    keys = re.findall(r"#(\d+)", combine.get("term") or "")
    assert keys and {i for k in keys for i in fake.histories[webenv][k][1]} == set(ids)

    (link,) = requests(fake, "elink.fcgi")
    assert link.get("cmd") == "neighbor_history"
    assert link.values("id") == []
    assert link.get("WebEnv") == webenv
    combined = fake.histories[webenv][link.get("query_key") or ""]
    assert set(combined[1]) == set(ids)

    msg = Message(proc.stdout)
    msg.assert_order()
    assert msg.ids == [] and msg.text("Step") == "2"
    assert (msg.text("Tool"), msg.text("Email"), msg.labels) == (TOOL, EMAIL, LABELS)
    expected = oracle_targets(fake, "gene", ids, "protein")
    db, held = stored(fake, msg)
    assert (db, sorted(held), msg.text("Count")) == ("protein", sorted(expected), str(len(held)))

    # The message is the next step's input: it links the stored set.
    n = len(fake.log)
    nxt = run(
        "link", "-target", "gene", "--format", "tsv", "--batch", "1000", stdin=proc.stdout.encode()
    )
    assert nxt.returncode == 0, nxt
    assert requests(fake, "efetch.fcgi", n)
    rows = parse_tsv(nxt.stdout)
    assert rows == oracle_rows(fake, "protein", held, "gene")
    direct = run(
        "link",
        "-db",
        "protein",
        "-target",
        "gene",
        "--format",
        "tsv",
        "--batch",
        "1000",
        "--id",
        ",".join(held),
    )
    assert direct.returncode == 0, direct
    assert nxt.stdout == direct.stdout


def test_history_posts_a_large_input_in_batches_into_one_webenv(fake, run):
    # More ids than one EPost takes (5,000): several posts, one WebEnv, one combined key.
    ids = [str(n) for n in range(700_001, 706_001)]
    proc = run("link", "-target", "protein", "--history", stdin=entrez_direct("gene", ids))

    assert proc.returncode == 0, proc
    posts = requests(fake, "epost.fcgi")
    assert len(posts) >= 2
    assert sent_ids(posts) == ids
    (link,) = requests(fake, "elink.fcgi")
    webenv = link.get("WebEnv")
    assert webenv and all(r.get("WebEnv") == webenv for r in posts[1:])
    assert set(fake.histories[webenv][link.get("query_key") or ""][1]) == set(ids)
    msg = Message(proc.stdout)
    db, held = stored(fake, msg)
    expected = oracle_targets(fake, "gene", ids, "protein")
    assert (db, sorted(held), msg.text("Count")) == ("protein", sorted(expected), str(len(held)))


def test_history_set_in_history_set_out_without_expanding(fake, run):
    ids = GENE_IDS[:25]
    webenv, key = fake.store("gene", ids)
    stdin = entrez_direct("gene", webenv=webenv, query_key=key, count=len(ids))
    proc = run("link", "-target", "protein", "--history", "--batch", "10", stdin=stdin)

    assert proc.returncode == 0, proc
    assert requests(fake, "efetch.fcgi") == [] and requests(fake, "epost.fcgi") == []
    (link,) = requests(fake, "elink.fcgi")
    assert (link.get("cmd"), link.get("WebEnv"), link.get("query_key")) == (
        "neighbor_history",
        webenv,
        key,
    )
    msg = Message(proc.stdout)
    msg.assert_order()
    db, held = stored(fake, msg)
    expected = oracle_targets(fake, "gene", ids, "protein")
    assert (db, sorted(held), msg.text("Count"), msg.text("Step")) == (
        "protein",
        sorted(expected),
        str(len(expected)),
        "2",
    )


def test_history_without_links_is_count_zero_and_the_next_step_is_empty(fake, run):
    ids = ["5", "10", "15"]  # gene ids the fake links to no protein
    assert oracle_targets(fake, "gene", ids, "protein") == []
    proc = run("link", "-db", "gene", "-target", "protein", "--history", "--id", ",".join(ids))

    assert proc.returncode == 0, proc
    msg = Message(proc.stdout)
    msg.assert_order()
    assert (msg.text("Db"), msg.text("Count"), msg.ids) == ("protein", "0", [])
    n = len(fake.log)
    nxt = run("link", "-target", "gene", stdin=proc.stdout.encode())
    assert nxt.returncode == 0, nxt
    assert len(fake.log) == n
    after = Message(nxt.stdout)
    assert (after.text("Db"), after.text("Count"), after.text("Step"), after.ids) == (
        "gene",
        "0",
        "2",
        [],
    )


def test_message_with_ids_and_a_webenv_links_the_ids(fake, run):
    ids = GENE_IDS[:8]
    webenv, key = fake.store("gene", GENE_IDS[20:30])
    stdin = entrez_direct("gene", ids, webenv=webenv, query_key=key, count=len(ids))
    proc = run("link", "-target", "protein", "--format", "tsv", stdin=stdin)

    assert proc.returncode == 0, proc
    assert endpoints(fake) == ["elink"]
    assert sent_ids(fake.log) == ids
    assert parse_tsv(proc.stdout) == oracle_rows(fake, "gene", ids, "protein")


# --- 8. --history goes with the edirect format only ----------------------------------------------


@pytest.mark.parametrize("fmt", ["tsv", "uid"])
def test_history_with_another_format_is_a_usage_error(fake, run, fmt):
    proc = run(
        "link", "-db", "gene", "-target", "protein", "--history", "--format", fmt, "--id", "1"
    )

    line = assert_clean_error(proc, 2)
    assert "--history" in line
    assert fake.log == []


# --- 8b. --history -o FILE: the message goes to FILE, atomically -------------------------------


HISTORY = ("link", "-db", "gene", "-target", "protein", "--history")


def test_history_writes_its_message_to_output_file_atomically(fake, run, tmp_path):
    ids = GENE_IDS[:10]
    out = tmp_path / "linked.xml"
    out.write_text("yesterday's message\n")
    out.chmod(0o640)
    proc = run(*HISTORY, "--id", ",".join(ids), "-o", str(out))

    assert proc.returncode == 0, proc
    assert proc.stdout == ""
    msg = Message(out.read_text())
    msg.assert_order()
    db, held = stored(fake, msg)
    assert (db, sorted(held)) == ("protein", sorted(oracle_targets(fake, "gene", ids, "protein")))
    assert (out.stat().st_mode & 0o777) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["linked.xml"]  # no .part, .journal
    # The same message as on stdout.
    again = run(*HISTORY, "--id", ",".join(ids))
    assert again.returncode == 0, again
    assert re.sub(r"MCID_\w+", "W", again.stdout) == re.sub(r"MCID_\w+", "W", out.read_text())


@pytest.mark.parametrize(("fault", "status"), [("400", 3), ("503", 4)])
def test_a_failed_history_run_leaves_output_file_untouched(fake, run, tmp_path, fault, status):
    fake.faults = Faults(rates={fault: 1.0})
    out = tmp_path / "linked.xml"
    out.write_text("yesterday's message\n")
    proc = run(*HISTORY, "--id", "4001", "-o", str(out), env={"NCBI_API_KEY": "0123456789abcdef"})

    assert_clean_error(proc, status)
    assert proc.stdout == ""
    assert out.read_text() == "yesterday's message\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["linked.xml"]


def test_a_history_message_that_cannot_be_written_is_exit_1(fake, run):
    proc = run(*HISTORY, "--id", "4001", "-o", "/dev/full")
    line = assert_clean_error(proc, 1)
    assert line == "elinkcli: error: cannot write /dev/full: No space left on device"


def test_history_output_file_another_run_is_writing_is_refused_before_any_request(
    fake, run, tmp_path
):
    import fcntl

    out = tmp_path / "linked.xml"
    with open(tmp_path / "linked.xml.journal", "w") as journal:
        fcntl.flock(journal, fcntl.LOCK_EX)
        proc = run(*HISTORY, "--id", "4001", "-o", str(out))
    assert "another elinkcli run is writing" in assert_clean_error(proc, 2)
    assert fake.log == [] and not out.exists()


def test_history_with_resume_is_a_usage_error(fake, run, tmp_path):
    out = tmp_path / "linked.xml"
    out.write_text("yesterday's message\n")
    proc = run(*HISTORY, "--id", "4001", "-o", str(out), "--resume")
    line = assert_clean_error(proc, 2)
    assert "--resume works with tsv, json, jsonl and uid, not edirect" in line
    alone = run(*HISTORY, "--id", "4001", "--resume")
    assert "--resume goes with --output FILE" in assert_clean_error(alone, 2)
    assert fake.log == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["linked.xml"]
    assert out.read_text() == "yesterday's message\n"


# --- 9. esearch | elinkcli link | elinkcli link ------------------------------------------------


def test_two_steps_increment_step_and_keep_labels(fake, run):
    ids = GENE_IDS[:15]
    webenv, key = fake.store("gene", ids)
    stdin = entrez_direct("gene", webenv=webenv, query_key=key, count=len(ids), step=1)

    middle = run("link", "-target", "protein", stdin=stdin)
    assert middle.returncode == 0, middle
    proteins = oracle_targets(fake, "gene", ids, "protein")
    msg2 = Message(middle.stdout)
    msg2.assert_order()
    assert (msg2.text("Db"), msg2.text("Step"), msg2.ids) == ("protein", "2", proteins)

    last = run("link", "-target", "gene", stdin=middle.stdout.encode())
    assert last.returncode == 0, last
    genes = oracle_targets(fake, "protein", proteins, "gene")
    assert genes
    msg3 = Message(last.stdout)
    msg3.assert_order()
    assert msg3.tags == ["Db", "Count", "Step", "Tool", "Email", "Labels"] + ["Id"] * len(genes)
    assert (msg3.text("Db"), msg3.text("Count"), msg3.text("Step")) == (
        "gene",
        str(len(genes)),
        "3",
    )
    assert (msg3.text("Tool"), msg3.text("Email"), msg3.labels) == (TOOL, EMAIL, LABELS)
    assert msg3.ids == genes

    # The same through real OS pipes, both steps running at once.
    status, out = shell_pipe(
        fake, stdin, ["link", "-target", "protein"], ["link", "-target", "gene"]
    )
    assert status == 0
    assert out == last.stdout


# --- 10. empty inputs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stdin", "fmt", "expected"),
    [
        ("\t".join(TSV_HEADER) + "\n", "tsv", "\t".join(TSV_HEADER) + "\n"),
        ("[]\n", "json", "[]\n"),
        ("[]", "uid", ""),
    ],
    ids=["tsv-header", "json-empty", "json-empty-uid"],
)
def test_empty_structured_input_is_an_empty_result(fake, run, stdin, fmt, expected):
    proc = run("link", "-target", "gene", "--format", fmt, stdin=stdin.encode())

    assert proc.returncode == 0, proc
    assert proc.stdout == expected
    assert fake.log == []


@pytest.mark.parametrize("db", [[], ["-db", "gene"]], ids=["no-db", "db"])
@pytest.mark.parametrize("stdin", [b"", b" \n\n"], ids=["empty", "blank"])
def test_empty_plain_stdin_is_a_usage_error(fake, run, stdin, db):
    proc = run("link", *db, "-target", "protein", stdin=stdin)

    assert_clean_error(proc, 2)
    assert proc.stdout == ""
    assert fake.log == []


# --- 11. what the spec implies beyond its examples ------------------------------------------------


@pytest.mark.parametrize(
    "stdin",
    [
        entrez_direct("gene", count=3),
        entrez_direct("gene", webenv="MCID_fake0001", count=3),
    ],
    ids=["count-only", "webenv-without-querykey"],
)
def test_message_claiming_records_it_does_not_carry_is_a_usage_error(fake, run, stdin):
    proc = run("link", "-target", "protein", stdin=stdin)

    assert_clean_error(proc, 2)
    assert fake.log == []


@pytest.mark.parametrize(
    "stdin",
    [
        b"<ENTREZ_DIRECT><Db>gene</Db><Count>\xc2\xb2</Count><Id>1</Id></ENTREZ_DIRECT>",
        b'<?xml version="1.0" encoding="no-such-codec"?><ENTREZ_DIRECT/>',
        b"[" * 100_000,
    ],
    ids=["superscript-count", "unknown-encoding", "nested-json"],
)
def test_malformed_stdin_never_ends_in_a_traceback(fake, run, stdin):
    proc = run("link", "-target", "protein", stdin=stdin)

    assert_clean_error(proc, 2)
    assert fake.log == []


def test_failed_run_hands_an_error_down_the_pipe(fake, run):
    fake.faults.script = ["500"] * 6  # every try of the one elink request
    stdin = entrez_direct("gene", GENE_IDS[:5])
    proc = run("link", "-target", "protein", stdin=stdin)

    assert proc.returncode == 4, proc
    assert proc.stderr.startswith("elinkcli: error: "), proc.stderr
    assert Message(proc.stdout).text("Error"), proc.stdout
    nxt = run("link", "-target", "gene", stdin=proc.stdout.encode())
    assert nxt.returncode != 0, nxt
