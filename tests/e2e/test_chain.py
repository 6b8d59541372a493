"""End to end: the installed `elinkcli chain` against the fake E-utilities server.

Every test runs the console script as a user does (a subprocess, environment cleaned of
NCBI_* and ELINKCLI_BASE_URL) and talks only to the fake server on 127.0.0.1. Expected
paths come from the server's oracle, `fake.links(...)`, walked hop by hop by
`reference_walk` (first-seen de-duplication per source), never from elinkcli's output.

Pacing is real here (a request start every 0.35 s without an API key), so each test keeps
its number of requests small with --batch.
"""

from __future__ import annotations

import json
import math
import random
import subprocess
from collections.abc import Sequence
from itertools import pairwise
from xml.etree import ElementTree as ET

import pytest
from conftest import clean_env, elinkcli_command
from support.fake_eutils import FakeEutils, Faults, Table, elink_requests
from support.fakes import HopSpec, Path, next_ids, reference_walk

pytestmark = pytest.mark.e2e

GENE_IDS = [str(n) for n in random.Random(20240614).sample(range(1, 2_000_000), 30)]
REFSEQ_STRUCTURE: list[HopSpec] = [("protein", "gene_protein_refseq"), ("structure", None)]
MAX_TRIES = 6  # elinkcli's tries per request (constants.MAX_TRIES)


# --- the oracle (fakes.reference_walk), and what to expect of it ------------------------


def finals(paths: Sequence[Path]) -> list[str]:
    """The distinct final ids, first seen first."""
    return list(dict.fromkeys(p[-1] for p in paths))


def asked_hops(db: str, hops: Sequence[HopSpec]) -> list[HopSpec]:
    """The link name each hop asks for: a bare database asks for PREV_TARGET, as EDirect's
    elink; TARGET:all for every table (None, as NCBI reads a request without linkname)."""
    dbs = [db, *(target for target, _ in hops)]
    return [
        (target, None if name == "all" else name or f"{previous}_{target}")
        for previous, (target, name) in zip(dbs, hops, strict=False)
    ]


def walk(
    fake: FakeEutils,
    db: str,
    ids: Sequence[str],
    hops: Sequence[HopSpec],
    max_per_hop: int | None = None,
) -> tuple[list[Path], list[list[str]]]:
    """reference_walk over the link names the hops ask for (asked_hops)."""
    return reference_walk(fake, db, ids, asked_hops(db, hops), max_per_hop)


def hop_args(hops: Sequence[HopSpec]) -> list[str]:
    return [f"{target}:{name}" if name else target for target, name in hops]


def tsv_text(columns: Sequence[str], paths: Sequence[Path]) -> str:
    return "".join("\t".join(line) + "\n" for line in [tuple(columns), *paths])


def path_object(dbs: Sequence[str], path: Path) -> dict:
    return {"path": [{"db": d, "id": i} for d, i in zip(dbs, path, strict=True)]}


def sent_per_hop(fake: FakeEutils, dbs: Sequence[str]) -> list[list[str]]:
    """Every id sent at each hop (hop n: dbfrom = dbs[n-1], db = dbs[n]), in log order."""
    return [
        [
            i
            for r in elink_requests(fake)
            if (r.get("dbfrom"), r.get("db")) == pair
            for i in r.values("id")
        ]
        for pair in pairwise(dbs)
    ]


def message(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == "ENTREZ_DIRECT"
    return root


def warnings_of(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("elinkcli: warning: ")]


def error_line(proc: subprocess.CompletedProcess, status: int) -> str:
    """Exit `status`, stderr one `elinkcli: error: ...` line after any warnings/summary."""
    assert proc.returncode == status, proc
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("elinkcli: error: ")]
    assert len(errors) == 1, proc.stderr
    return errors[0]


# --- outputs, exact against the oracle ------------------------------------------------------


@pytest.mark.parametrize("fmt", ["tsv", "jsonl", "json", "uid", "edirect"])
def test_outputs_exact(fake, run, fmt):
    proc = run(
        "chain",
        "-db",
        "gene",
        "-id",
        ",".join(GENE_IDS),
        *hop_args(REFSEQ_STRUCTURE),
        "--batch",
        "50",
        "--format",
        fmt,
    )

    assert proc.returncode == 0, proc
    assert proc.stderr == ""
    expected, frontiers = walk(fake, "gene", GENE_IDS, REFSEQ_STRUCTURE)
    assert len(expected) > 20
    dbs = ["gene", "protein", "structure"]
    if fmt == "tsv":
        assert proc.stdout == tsv_text(dbs, expected)
    elif fmt == "jsonl":
        lines = proc.stdout.splitlines()
        assert [json.loads(line) for line in lines] == [path_object(dbs, p) for p in expected]
    elif fmt == "json":
        assert json.loads(proc.stdout) == [path_object(dbs, p) for p in expected]
    elif fmt == "uid":
        assert proc.stdout.splitlines() == finals(expected)
    else:
        root = message(proc.stdout)
        assert root.findtext("Db") == "structure"
        assert root.findtext("Count") == str(len(finals(expected)))
        assert root.findtext("Step") == "1"
        assert [e.text for e in root.iterfind("Id")] == finals(expected)
    # One request per hop (<= 50 ids each), each distinct id sent once, one id= per id.
    requests = elink_requests(fake)
    assert len(requests) == 2
    sent = sent_per_hop(fake, dbs)
    assert [sorted(s) for s in sent] == [sorted(f) for f in frontiers]
    assert all(len(s) == len(set(s)) for s in sent)
    assert [r.get("linkname") for r in requests] == [
        name for _, name in asked_hops("gene", REFSEQ_STRUCTURE)
    ]
    assert all(r.get("cmd") == "neighbor" for r in requests)


def test_tsv_header_with_repeated_dbs_and_no_header(fake, run):
    hops: list[HopSpec] = [("pubmed", None), ("gene", "pubmed_gene"), ("protein", None)]
    ids = GENE_IDS[:15]
    args = ("chain", "-db", "gene", "-id", ",".join(ids), *hop_args(hops), "--format", "tsv")
    proc = run(*args)
    assert proc.returncode == 0, proc
    expected, _ = walk(fake, "gene", ids, hops)
    assert expected
    assert proc.stdout.splitlines()[0] == "gene\tpubmed\tgene_2\tprotein"
    assert proc.stdout == tsv_text(["gene", "pubmed", "gene_2", "protein"], expected)

    headless = run(*args, "--no-header")
    assert headless.returncode == 0, headless
    assert headless.stdout == "".join("\t".join(p) + "\n" for p in expected)


def test_cycle_pubmed_pubmed_pubmed_ends_with_exact_paths(fake, run):
    ids = ["13", "14", "4000098", "21"]
    hops: list[HopSpec] = [("pubmed", "pubmed_pubmed"), ("pubmed", None)]
    proc = run(
        "chain",
        "-db",
        "pubmed",
        "-id",
        ",".join(ids),
        *hop_args(hops),
        "--format",
        "tsv",
        timeout=20,
    )

    assert proc.returncode == 0, proc
    expected, frontiers = walk(fake, "pubmed", ids, hops)
    assert ("13", "13", "13") in expected  # a record similar to itself, at every hop
    assert proc.stdout == tsv_text(["pubmed", "pubmed_2", "pubmed_3"], expected)
    # Each hop is one step: one request per hop, each id asked about once per hop.
    hop1, hop2 = elink_requests(fake)  # the hops run one after the other
    assert hop1.values("id") == frontiers[0]
    # Hop 2 asks for pubmed_pubmed as hop 1 did: what hop 1 asked comes from the cache.
    new = [i for i in frontiers[1] if i not in frontiers[0]]
    assert sorted(hop2.values("id")) == sorted(new)
    assert len(hop2.values("id")) == len(new)


def test_an_intermediate_reached_twice_is_asked_about_once(fake, run):
    # gene n -> protein 500 + n // 2 (shared by neighbours) and 600 + n % 3 (shared by many).
    fake.tables["gene_protein"] = Table(
        "gene", "protein", lambda u: [str(500 + int(u) // 2), str(600 + int(u) % 3)]
    )
    ids = [str(n) for n in range(20, 32)]
    hops: list[HopSpec] = [("protein", "gene_protein"), ("structure", None)]
    proc = run("chain", "-db", "gene", "-id", ",".join(ids), *hop_args(hops), "--format", "tsv")

    assert proc.returncode == 0, proc
    expected, frontiers = walk(fake, "gene", ids, hops)
    assert proc.stdout == tsv_text(["gene", "protein", "structure"], expected)
    reached = [p[1] for p in expected]
    assert len(set(reached)) < len(reached)  # some proteins sit on several sources' paths
    sent = sent_per_hop(fake, ["gene", "protein", "structure"])
    assert sent[0] == ids
    assert len(sent[1]) == len(set(sent[1])) == len(frontiers[1])
    assert set(sent[1]) == set(frontiers[1])
    assert len(elink_requests(fake)) == 2


# --- the same as the hop-by-hop pipe ---------------------------------------------------------


def run_pipe(fake: FakeEutils, db: str, ids: Sequence[str], hops: Sequence[HopSpec], batch: int):
    """`link | link | ...` with --format uid, one process per hop, as a shell pipe runs."""
    env = clean_env({"ELINKCLI_BASE_URL": fake.base_url})
    dbs = [db, *(t for t, _ in hops)]
    procs: list[subprocess.Popen] = []
    upstream = None
    for n, (target, name) in enumerate(hops):
        argv = [*elinkcli_command(), "link", "-db", dbs[n], "-target", target]
        argv += ["-name", name] if name else []
        argv += ["--batch", str(batch), "--format", "uid"]
        if n == 0:
            argv += ["--id", ",".join(ids)]
        p = subprocess.Popen(
            argv,
            stdin=upstream if upstream is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        if upstream is not None:
            upstream.close()  # so the earlier process sees a closed pipe if this one ends
        upstream = p.stdout
        procs.append(p)
    out, err = procs[-1].communicate(timeout=60)
    for p in procs[:-1]:
        p.wait(timeout=60)
        assert p.returncode == 0, p.stderr.read() if p.stderr else ""
        if p.stderr:
            p.stderr.close()
    assert procs[-1].returncode == 0, err
    return out.decode().splitlines()


@pytest.mark.parametrize(
    ("db", "hops", "batch", "count"),
    [
        ("gene", [("pubmed", None), ("gene", "pubmed_gene"), ("protein", None)], 1000, 1000),
        ("gene", REFSEQ_STRUCTURE, 100, 40),
    ],
    ids=["3-hops-1000-sources", "refseq-structure"],
)
def test_final_set_equals_the_hop_by_hop_pipe_with_no_more_requests(
    fake, run, db, hops, batch, count
):
    ids = [str(n) for n in random.Random(count).sample(range(1, 3_000_000), count)]

    piped = run_pipe(fake, db, ids, hops, batch)
    pipe_requests = len(elink_requests(fake))
    since = len(fake.log)
    proc = run(
        "chain",
        "-db",
        db,
        "-id",
        ",".join(ids),
        *hop_args(hops),
        "--batch",
        str(batch),
        "--format",
        "uid",
    )
    chain_requests = len(elink_requests(fake, since))

    assert proc.returncode == 0, proc
    expected, frontiers = walk(fake, db, ids, hops)
    got = proc.stdout.splitlines()
    assert len(got) == len(set(got))
    assert set(got) == set(piped) == set(finals(expected))
    assert len(got) >= 40  # the path does reach many records
    assert chain_requests <= pipe_requests
    assert chain_requests == sum(math.ceil(len(f) / batch) for f in frontiers)


# --- the path is checked before any request ------------------------------------------------


@pytest.mark.parametrize(
    ("hops", "culprit"),
    [
        (["protein:pubmed_gene"], "hop 1"),  # starts from pubmed, not gene
        (["pubmed:gene_protein"], "hop 1"),  # leads to protein, not pubmed
        (["protein:gene_protein", "structure:gene_structure"], "hop 2"),
        (["pubmed", "gene:pubmed_gene", "protein:pubmed_gene"], "hop 3"),
    ],
)
@pytest.mark.parametrize("strict", [False, True])
def test_a_hop_that_cannot_fit_is_exit_2_with_no_request(fake, run, hops, culprit, strict):
    proc = run("chain", "-db", "gene", "-id", "672", *hops, *(["--strict"] if strict else []))
    line = error_line(proc, 2)
    assert culprit in line
    assert proc.stdout == ""
    assert fake.log == []


def test_misspelled_link_name_warns_strict_refuses(fake, run):
    # A name the catalog lacks but the server knows (as a name newer than the catalog).
    fake.tables["gene_protien_refseq"] = fake.tables["gene_protein_refseq"]
    ids = GENE_IDS[:10]
    hops: list[HopSpec] = [("protein", "gene_protien_refseq"), ("structure", None)]

    proc = run("chain", "-db", "gene", "-id", ",".join(ids), *hop_args(hops), "--format", "tsv")
    assert proc.returncode == 0, proc
    warned = warnings_of(proc.stderr)
    assert len(warned) == 1
    assert "hop 1" in warned[0] and "gene_protien_refseq" in warned[0]
    assert "gene_protein_refseq" in warned[0]  # the suggestion
    expected, _ = walk(fake, "gene", ids, hops)
    assert expected
    assert proc.stdout == tsv_text(["gene", "protein", "structure"], expected)
    assert len(elink_requests(fake)) == 2

    since = len(fake.log)
    strict = run("chain", "-db", "gene", "-id", ",".join(ids), *hop_args(hops), "--strict")
    line = error_line(strict, 2)
    assert "hop 1" in line and "gene_protien_refseq" in line
    assert strict.stdout == ""
    assert len(fake.log) == since


@pytest.mark.parametrize("hop", ["nucleotide_protein", "protein:nucleotide_protein"])
def test_an_old_nucleotide_link_name_is_asked_by_its_nuccore_name(fake, run, hop):
    """`-db nucleotide` is nuccore, and so is `nucleotide_` in a link name: the hop (a bare
    link name, or TARGET:LINKNAME) fits, with no warning even with --strict, and ELink is
    asked for nuccore_protein (the catalog's name, and the fake's table)."""
    ids = ["1890001", "7", "1890004"]
    proc = run("chain", "-db", "nucleotide", "-id", ",".join(ids), hop, "--strict")
    assert proc.returncode == 0, proc
    assert warnings_of(proc.stderr) == []
    expected, _ = walk(fake, "nuccore", ids, [("protein", "nuccore_protein")])
    assert expected
    assert proc.stdout == tsv_text(["nuccore", "protein"], expected)
    (request,) = elink_requests(fake)
    assert (request.get("dbfrom"), request.get("db"), request.get("linkname")) == (
        "nuccore",
        "protein",
        "nuccore_protein",
    )


# --- where ids come from ---------------------------------------------------------------------


def entrez_direct(db: str, ids: Sequence[str], step: int = 1) -> bytes:
    lines = [
        "<ENTREZ_DIRECT>",
        f"  <Db>{db}</Db>",
        f"  <Count>{len(ids)}</Count>",
        f"  <Step>{step}</Step>",
        "  <Tool>edirect</Tool>",
        "  <Email>someone@example.org</Email>",
        *(f"  <Id>{i}</Id>" for i in ids),
        "</ENTREZ_DIRECT>",
    ]
    return ("\n".join(lines) + "\n").encode()


def test_ids_from_an_entrez_direct_message(fake, run):
    ids = GENE_IDS[:12]
    stdin = entrez_direct("gene", ids, step=2)
    expected, _ = walk(fake, "gene", ids, REFSEQ_STRUCTURE)
    assert expected

    # No -db, no --format: the message says gene, and a message goes on down the pipe.
    proc = run("chain", *hop_args(REFSEQ_STRUCTURE), stdin=stdin)
    assert proc.returncode == 0, proc
    root = message(proc.stdout)
    assert root.findtext("Db") == "structure"
    assert root.findtext("Step") == "3"
    assert root.findtext("Tool") == "edirect"
    assert root.findtext("Email") == "someone@example.org"
    assert root.findtext("Count") == str(len(finals(expected)))
    assert [e.text for e in root.iterfind("Id")] == finals(expected)

    tsv = run("chain", *hop_args(REFSEQ_STRUCTURE), "--format", "tsv", stdin=stdin)
    assert tsv.returncode == 0, tsv
    assert tsv.stdout == tsv_text(["gene", "protein", "structure"], expected)


def test_empty_entrez_direct_message_makes_no_request(fake, run):
    proc = run("chain", *hop_args(REFSEQ_STRUCTURE), stdin=entrez_direct("gene", []))
    assert proc.returncode == 0, proc
    root = message(proc.stdout)
    assert root.findtext("Db") == "structure"
    assert root.findtext("Count") == "0"
    assert list(root.iterfind("Id")) == []
    assert fake.log == []


def _plain(fake: FakeEutils, ids: Sequence[str]) -> tuple[bytes, list[str]]:
    return ("\n".join(ids) + "\n").encode(), ["-db", "gene"]


def _link_tsv(fake: FakeEutils, ids: Sequence[str]) -> tuple[bytes, list[str]]:
    """What `link -db pubmed -target gene` writes: its target ids (gene) are read."""
    header = "source_db\tsource_id\tlinkname\ttarget_db\ttarget_id\tscore"
    rows = [f"pubmed\t9\tpubmed_gene\tgene\t{i}\t" for i in ids]
    return ("\n".join([header, *rows]) + "\n").encode(), []


def _chain_jsonl(fake: FakeEutils, ids: Sequence[str]) -> tuple[bytes, list[str]]:
    """What an earlier `chain ... gene` wrote as jsonl: the last hop of each path is read."""
    lines = [json.dumps(path_object(["pubmed", "gene"], ("9", i))) for i in ids]
    return ("\n".join(lines) + "\n").encode(), []


def _chain_tsv(fake: FakeEutils, ids: Sequence[str]) -> tuple[bytes, list[str]]:
    """An earlier `chain -db gene pubmed gene` as tsv: the last column (gene_2) is read."""
    return tsv_text(["gene", "pubmed", "gene_2"], [("1", "2", i) for i in ids]).encode(), []


@pytest.mark.parametrize("form", [_plain, _link_tsv, _chain_jsonl, _chain_tsv])
def test_ids_from_stdin_in_the_forms_link_accepts(fake, run, form):
    ids = GENE_IDS[12:24]
    stdin, extra = form(fake, [*ids, ids[0]])  # a repeat: asked about once
    proc = run("chain", *extra, *hop_args(REFSEQ_STRUCTURE), "--format", "tsv", stdin=stdin)
    assert proc.returncode == 0, proc
    expected, _ = walk(fake, "gene", ids, REFSEQ_STRUCTURE)
    assert proc.stdout == tsv_text(["gene", "protein", "structure"], expected)
    assert sent_per_hop(fake, ["gene", "protein"])[0] == ids


# --- a batch given up at hop 2 ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["tsv", "jsonl"])
def test_failure_at_hop_2_exit_4_with_every_complete_path(fake, run, fmt):
    hops: list[HopSpec] = [("protein", None), ("gene", "protein_gene"), ("pubmed", None)]
    # Genes n with n % 5 == 4 have 4 protein links: 3 genes, 12 proteins, 2 batches of 10.
    ids = [str(n) for n in range(104, 300, 5)][:3]
    batch = 10
    expected, frontiers = walk(fake, "gene", ids, hops)
    assert len(frontiers[0]) <= batch < len(frontiers[1]) <= 2 * batch
    # Hop 1 is answered; of hop 2's two batches, the one that starts second fails every try.
    fake.faults = Faults(script=[""] * math.ceil(len(ids) / batch) + [""] + ["503"] * MAX_TRIES)
    proc = run(
        "chain",
        "-db",
        "gene",
        "-id",
        ",".join(ids),
        *hop_args(hops),
        "--batch",
        str(batch),
        "--format",
        fmt,
        "-v",
    )

    assert proc.returncode == 4, proc
    assert "Traceback" not in proc.stderr
    failed = [r for r in elink_requests(fake) if r.fault]
    assert len(failed) == MAX_TRIES
    failed_ids = failed[0].values("id")
    assert all(r.values("id") == failed_ids for r in failed)
    assert all((r.get("dbfrom"), r.get("db")) == ("protein", "gene") for r in failed)
    assert set(failed_ids) < set(frontiers[1])
    complete = [p for p in expected if p[1] not in failed_ids]
    assert complete and len(complete) < len(expected)
    dbs = ["gene", "protein", "gene", "pubmed"]
    if fmt == "tsv":
        assert proc.stdout == tsv_text(["gene", "protein", "gene_2", "pubmed"], complete)
    else:
        # Every complete path, then the error as the last line: the stream says it is cut.
        *records, last = [json.loads(line) for line in proc.stdout.splitlines()]
        assert records == [path_object(dbs, p) for p in complete]
        assert last == {"error": error_line(proc, 4).removeprefix("elinkcli: error: ")}
    line = error_line(proc, 4)
    assert "hop 2" in line
    assert "hop 1" not in line and "hop 3" not in line
    assert line.rsplit("failed ids: ", 1)[1].split(",") == failed_ids
    summary = [s for s in proc.stderr.splitlines() if s.startswith("elinkcli: hop 2 ")]
    assert len(summary) == 1 and f"{len(failed_ids)} failed" in summary[0]
    # Hop 3 still ran, for the ids the good hop-2 batch reached.
    sent3 = sent_per_hop(fake, dbs)[2]
    assert len(sent3) == len(set(sent3))
    assert set(sent3) == {
        g
        for protein in frontiers[1]
        if protein not in failed_ids
        for g in next_ids(fake, "protein", protein, "gene", "protein_gene")
    }


# --- --max-per-hop, --warn-above -------------------------------------------------------------


def test_max_per_hop_1(fake, run):
    ids = GENE_IDS[:20]
    hops: list[HopSpec] = [("protein", None), ("structure", None)]
    proc = run(
        "chain",
        "-db",
        "gene",
        "-id",
        ",".join(ids),
        *hop_args(hops),
        "--max-per-hop",
        "1",
        "--format",
        "tsv",
    )

    assert proc.returncode == 0, proc
    expected, frontiers = walk(fake, "gene", ids, hops, max_per_hop=1)
    uncapped, _ = walk(fake, "gene", ids, hops)
    assert len(expected) < len(uncapped)
    assert proc.stdout == tsv_text(["gene", "protein", "structure"], expected)
    sources = [p[0] for p in expected]
    assert len(sources) == len(set(sources))  # one link per source per hop: one path each
    assert sorted(sent_per_hop(fake, ["gene", "protein", "structure"])[1]) == sorted(frontiers[1])


def test_max_per_hop_0_is_a_usage_error(fake, run):
    proc = run("chain", "-db", "gene", "-id", "672", "protein", "--max-per-hop", "0")
    error_line(proc, 2)
    assert fake.log == []


def test_warn_above_1(fake, run):
    ids = GENE_IDS[:6]
    proc = run(
        "chain",
        "-db",
        "gene",
        "-id",
        ",".join(ids),
        *hop_args(REFSEQ_STRUCTURE),
        "--warn-above",
        "1",
        "--format",
        "tsv",
    )

    assert proc.returncode == 0, proc
    expected, frontiers = walk(fake, "gene", ids, REFSEQ_STRUCTURE)
    assert proc.stdout == tsv_text(["gene", "protein", "structure"], expected)
    warned = warnings_of(proc.stderr)
    over = [n for n, f in enumerate(frontiers, start=1) if len(f) > 1]
    assert over == [1, 2]
    assert len(warned) == len(over)
    for n, line in zip(over, warned, strict=True):
        assert line.startswith(f"elinkcli: warning: hop {n} ")
        assert str(len(frontiers[n - 1])) in line
