"""End to end: NCBI's bulk link files served on 127.0.0.1, loaded by `elinkcli tables`, and
`link`/`check` answered from them (`--from tables|auto`) as ELink answers the same data.

The file server (support.file_server) serves the dataset of support.ncbi_files as NCBI's
gzipped files, dated 2026-12-01, with scripted faults; the fake E-utilities answer the
same links (`fake_tables`). Every expected value comes from the dataset (`links`, its row
counts) or from the servers' own logs, never from elinkcli's output.
"""

from __future__ import annotations

import email.utils
import json
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from conftest import assert_clean_error, clean_env, elinkcli_command, parse_tsv, run_elinkcli
from support.fake_eutils import FakeEutils, Table, elink_requests
from support.file_server import DEFAULT_LAST_MODIFIED, FileServer
from support.ncbi_files import LINKNAMES, LinkData, add_records, fake_tables, links, ncbi_files
from support.tables_fixtures import (
    ABSENT,
    ANSWERED_BY,
    LATER,
    LATER_DATE,
    LISTED_TABLES,
    PATHS,
    SERVED_DATE,
    TABLE_NAMES,
    changed_data,
    changed_genes,
    dataset,
    expected_pairs,
    gene2pubmed_stored,
    gene_taxa,
    grown_data,
    no_duckdb,
    probe_ids,
    rows_of,
    source_ids,
    taxon_rows,
    tsv_text,
)

pytestmark = pytest.mark.e2e

G2P = PATHS["gene2pubmed"]
KEY = {"NCBI_API_KEY": "tables-suite-key"}  # 10 requests/s: ELink runs are not slowed
SERVED_LAST_MODIFIED = email.utils.format_datetime(DEFAULT_LAST_MODIFIED, usegmt=True)
INSTALL = "pip install 'elinkcli[tables]'"
STILL_IN_USE = "still in use"


def origin(table: str, date: str = SERVED_DATE) -> str:
    return f"{table} {date}"


# --- the servers and a tables directory ------------------------------------------------


@dataclass
class Site:
    """A file server, a fake ELink answering the same data, a tables directory."""

    fs: FileServer
    fake: FakeEutils
    tables_dir: Path
    data: LinkData = field(default_factory=dataset)

    def env(self, extra: Mapping[str, str | None] | None = None) -> dict[str, str | None]:
        env: dict[str, str | None] = {
            "ELINKCLI_TABLES_DIR": str(self.tables_dir),
            "ELINKCLI_TABLES_URL": self.fs.base_url,
            **KEY,
        }
        env.update(extra or {})
        return env

    def run(
        self,
        *args: str,
        stdin: bytes | None = None,
        env: Mapping[str, str | None] | None = None,
        timeout: float = 60,
    ) -> subprocess.CompletedProcess:
        proc = run_elinkcli(
            *args, base_url=self.fake.base_url, stdin=stdin, env=self.env(env), timeout=timeout
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc

    def get(self, *names: str, ok: bool = True, **kw: object) -> subprocess.CompletedProcess:
        proc = self.run("tables", "get", *names, **kw)  # type: ignore[arg-type]
        if ok:
            assert proc.returncode == 0, proc.stderr
        return proc

    def link(
        self, linkname: str, ids: Sequence[str], *more: str, **kw: object
    ) -> subprocess.CompletedProcess:
        dbfrom, dbto = LINKNAMES[linkname]
        argv = ("link", "-db", dbfrom, "-target", dbto, "-name", linkname, "-id", ",".join(ids))
        return self.run(*argv, *more, **kw)  # type: ignore[arg-type]

    def info(self, name: str) -> dict:
        proc = self.run("tables", "info", name)
        assert proc.returncode == 0, proc.stderr
        found: dict = json.loads(proc.stdout)
        return found

    def listed(self, *more: str) -> dict[str, dict]:
        proc = self.run("tables", "list", "--json", *more)
        assert proc.returncode == 0, proc.stderr
        return {entry["name"]: entry for entry in json.loads(proc.stdout)}

    def file_gets(self, since: int = 0) -> list:
        return [r for r in self.fs.log[since:] if r.path == G2P and r.method == "GET"]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    data = dataset()
    with FileServer(ncbi_files(data)) as fs, FakeEutils(tables=fake_tables(data)) as fake:
        add_records(fake, data)
        yield Site(fs, fake, tmp_path / "tables", data)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """All four tables loaded once; the tests using it only read."""
    data = dataset()
    with FileServer(ncbi_files(data)) as fs, FakeEutils(tables=fake_tables(data)) as fake:
        add_records(fake, data)
        here = Site(fs, fake, tmp_path_factory.mktemp("world") / "tables", data)
        here.get(*TABLE_NAMES)
        yield here


def tsv9(text: str) -> list[tuple[str, ...]]:
    """`link` tsv with the source column: its rows as tuples (the header checked)."""
    lines = text.splitlines()
    assert lines and lines[0].split("\t")[-1] == "source", text[:300]
    rows = [tuple(line.split("\t")) for line in lines[1:]]
    assert all(len(r) == 9 for r in rows), rows[:3]
    return rows


def pairs_of(text: str) -> list[tuple[str, str]]:
    """(source_id, target_id) of `link` tsv, with or without the source column."""
    return [(r[1], r[4]) for r in (line.split("\t") for line in text.splitlines()[1:])]


def range_start(headers: dict[str, str]) -> int:
    """N of a `Range: bytes=N-` header."""
    unit, _, span = headers["Range"].partition("=")
    assert unit == "bytes" and span.endswith("-") and span[:-1].isdigit(), headers["Range"]
    return int(span[:-1])


def elink_ids(fake: FakeEutils, since: int = 0) -> list[str]:
    return [i for r in elink_requests(fake, since) for v in r.values("id") for i in v.split(",")]


def one_error(proc: subprocess.CompletedProcess) -> str:
    """Exit non-zero, no traceback, exactly one `elinkcli: error:` line (warnings aside)."""
    assert proc.returncode != 0, proc
    return assert_clean_error(proc, proc.returncode)


def pubmed_answer(site: Site, genes: Sequence[str], data: LinkData, date: str) -> None:
    """`link --from tables` of gene_pubmed answers `genes` as `data` says, from gene2pubmed
    of upstream `date`."""
    proc = site.link("gene_pubmed", genes, "--from", "tables")
    assert proc.returncode == 0, proc.stderr
    want = expected_pairs(links(data, "gene_pubmed"), genes)
    assert proc.stdout == tsv_text(
        want, "gene", "gene_pubmed", "pubmed", origin("gene2pubmed", date)
    )


# --- get, list, info, drop --------------------------------------------------------------


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_get_list_info_drop(site: Site, table: str) -> None:
    files = ncbi_files(site.data)
    proc = site.get(table)
    assert proc.stdout == ""

    listed = site.listed()  # with a HEAD of each file
    assert set(listed) == set(LISTED_TABLES)
    entry = listed[table]
    assert entry["loaded"] is True
    assert entry["rows"] == rows_of(site.data, table)
    assert entry["upstream_date"] == SERVED_DATE
    assert entry["taxa"] is None
    assert entry["upstream_size"] == len(files[PATHS[table]])
    assert all(not e["loaded"] for name, e in listed.items() if name != table)

    info = site.info(table)
    assert info["loaded"] is True and info["name"] == table
    assert info["rows"] == rows_of(site.data, table)
    assert info["upstream_date"] == SERVED_DATE
    assert info["loaded_size"] == len(files[PATHS[table]])
    assert info["loaded_last_modified"] == SERVED_LAST_MODIFIED
    assert info["loaded_from"] == site.fs.url(PATHS[table])
    assert info["taxa"] is None
    assert info["files"] and all(Path(f).is_file() for f in info["files"])
    assert all(Path(f).is_relative_to(site.tables_dir) for f in info["files"])

    dropped = site.run("tables", "drop", table)
    assert dropped.returncode == 0, dropped.stderr
    assert f"{table}: dropped" in dropped.stderr
    assert not any(Path(f).exists() for f in info["files"])
    assert site.listed("--offline")[table]["loaded"] is False


def test_get_with_a_taxon_keeps_that_organism_only(site: Site) -> None:
    site.get("gene2pubmed", "gene2refseq", "--taxon", "9606")
    for table in ("gene2pubmed", "gene2refseq"):
        info = site.info(table)
        assert info["taxa"] == [9606]
        assert info["rows"] == taxon_rows(site.data, table, 9606) > 0
    refused = site.get("pmc_ids", "--taxon", "9606", ok=False)
    assert "--taxon" in assert_clean_error(refused, 2)
    text = site.run("tables", "list", "--offline")
    assert text.returncode == 0, text.stderr
    rows = {line.split("\t")[0]: line.split("\t") for line in text.stdout.splitlines()[1:]}
    assert set(rows) == set(LISTED_TABLES)
    rows_9606 = str(taxon_rows(site.data, "gene2pubmed", 9606))
    assert rows["gene2pubmed"][1:5] == ["yes", SERVED_DATE, rows_9606, "9606"]
    assert rows["pmc_ids"][1:5] == ["no", "-", "-", "-"]


# --- tables and ELink agree ----------------------------------------------------------------


@pytest.mark.parametrize("linkname", sorted(LINKNAMES))
def test_tables_and_elink_agree_with_the_dataset(world: Site, linkname: str) -> None:
    view = links(world.data, linkname)
    ids = probe_ids(world.data, linkname)
    want = expected_pairs(view, ids)
    assert want and any(i not in view for i in ids)  # ids with links and ids without

    mine = world.link(linkname, ids, "--from", "tables")
    assert mine.returncode == 0, mine.stderr
    rows = tsv9(mine.stdout)
    assert [(r[1], r[4]) for r in rows] == want
    assert {r[8] for r in rows} == {origin(ANSWERED_BY[linkname])}

    since = len(world.fake.log)
    theirs = world.link(linkname, ids, "--from", "elink")
    assert theirs.returncode == 0, theirs.stderr
    assert [(r[1], r[4]) for r in parse_tsv(theirs.stdout)] == want
    assert sorted(elink_ids(world.fake, since)) == sorted(set(ids), key=str)


def test_refseq_only_table_answers_its_proteins_and_leaves_genbank_ones_to_elink(
    site: Site,
) -> None:
    """gene2refseq holds RefSeq proteins only: with --from auto a GenBank protein goes to
    ELink even though the table is loaded for every organism."""
    site.get("gene2refseq")
    in_refseq = {str(r.prot_gi) for r in site.data.refseq if r.prot_gi is not None}
    in_all = {str(r.prot_gi) for r in site.data.accession if r.prot_gi is not None}
    refseq, genbank = sorted(in_refseq)[:5], sorted(in_all - in_refseq)[:5]
    ids = refseq + genbank
    view = links(site.data, "protein_gene")

    since = len(site.fake.log)
    auto = site.link("protein_gene", ids, "--from", "auto")
    assert auto.returncode == 0, auto.stderr
    rows = tsv9(auto.stdout)
    assert [(r[1], r[4]) for r in rows] == expected_pairs(view, ids)
    assert {r[1]: r[8] for r in rows} == {
        **dict.fromkeys(refseq, origin("gene2refseq")),
        **dict.fromkeys(genbank, "elink"),
    }
    assert sorted(elink_ids(site.fake, since)) == sorted(genbank)

    only = site.link("protein_gene", ids, "--from", "tables")
    assert only.returncode == 0, only.stderr
    assert pairs_of(only.stdout) == expected_pairs(view, refseq)


# --- what --from tables writes ---------------------------------------------------------


GENES_ASKED = 4


def pubmed_probe(data: LinkData) -> tuple[list[str], list[tuple[str, str]]]:
    view = links(data, "gene_pubmed")
    ids = [*list(view)[: GENES_ASKED - 1], ABSENT[0]]
    return ids, expected_pairs(view, ids)


def test_tsv_has_a_source_column_and_otherwise_is_elinks(world: Site) -> None:
    ids, want = pubmed_probe(world.data)
    mine = world.link("gene_pubmed", ids, "--from", "tables")
    assert mine.returncode == 0, mine.stderr
    assert mine.stdout == tsv_text(want, "gene", "gene_pubmed", "pubmed", origin("gene2pubmed"))

    theirs = world.link("gene_pubmed", ids, "--from", "elink")
    assert theirs.returncode == 0, theirs.stderr
    assert theirs.stdout == tsv_text(want, "gene", "gene_pubmed", "pubmed", None)
    cut = subprocess.run(
        ["cut", "-f1-8"], input=mine.stdout, capture_output=True, text=True, check=True
    )
    assert cut.stdout == theirs.stdout


@pytest.mark.parametrize("form", ["json", "jsonl"])
def test_json_rows_carry_the_source(world: Site, form: str) -> None:
    ids, want = pubmed_probe(world.data)
    proc = world.link("gene_pubmed", ids, "--from", "tables", "--format", form)
    assert proc.returncode == 0, proc.stderr
    if form == "json":
        rows = json.loads(proc.stdout)
    else:
        rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [(r["source_id"], r["target_id"]) for r in rows] == want
    assert {r["source"] for r in rows} == {origin("gene2pubmed")}


def test_uid_format_stdin_and_verbose_summary(world: Site) -> None:
    ids, want = pubmed_probe(world.data)
    uids = world.link("gene_pubmed", ids, "--from", "tables", "--format", "uid")
    assert uids.returncode == 0, uids.stderr
    assert uids.stdout.split() == list(dict.fromkeys(t for _s, t in want))

    dbfrom, dbto = LINKNAMES["gene_pubmed"]
    piped = world.run(
        "link", "-db", dbfrom, "-target", dbto, "--from", "tables", "-v",
        stdin="".join(f"{i}\n" for i in ids).encode(),
    )  # fmt: skip
    assert piped.returncode == 0, piped.stderr
    assert pairs_of(piped.stdout) == want
    summary = f"elinkcli: answered from {origin('gene2pubmed')}: {len(ids)} id(s)"
    assert summary in piped.stderr.splitlines(), piped.stderr


def test_output_file_from_tables_and_resume_of_a_finished_one(world: Site, tmp_path: Path) -> None:
    ids, want = pubmed_probe(world.data)
    out = tmp_path / "out.tsv"
    text = tsv_text(want, "gene", "gene_pubmed", "pubmed", origin("gene2pubmed"))
    args = ("--from", "tables", "-o", str(out), "--resume")
    state = {"ELINKCLI_STATE_DIR": str(tmp_path / "state")}
    first = world.link("gene_pubmed", ids, *args, env=state)
    assert first.returncode == 0, first.stderr
    assert first.stdout == "" and out.read_text() == text
    written = out.stat()
    again = world.link("gene_pubmed", ids, *args, "-v", env=state)
    assert again.returncode == 0, again.stderr
    assert "nothing to resume" in again.stderr
    assert out.read_text() == text and out.stat().st_mtime_ns == written.st_mtime_ns


def test_output_file_and_resume_with_tables_and_elink(site: Site, tmp_path: Path) -> None:
    """A human table with --from auto: the human batch from the table, the mouse batch
    from ELink, which fails on every try; --resume finishes it, and the file is the
    straight run's."""
    site.get("gene2pubmed", "--taxon", "9606")
    taxa = gene_taxa(site.data)
    view = links(site.data, "gene_pubmed")
    human = [g for g in view if taxa[g] == 9606][:3]
    mouse = [g for g in view if taxa[g] == 10090][:3]
    ids = human + mouse
    site.fake.faults.by_id[mouse[0]] = ["500"] * 8
    args = ("--from", "auto", "--batch", "3", "--timeout", "5")

    out = tmp_path / "out.tsv"
    failed = site.link("gene_pubmed", ids, *args, "-o", str(out), "--resume")
    assert failed.returncode == 4, failed.stderr
    site.fake.faults.by_id.clear()
    since = len(site.fake.log)
    resumed = site.link("gene_pubmed", ids, *args, "-o", str(out), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    # the human batch is not done again
    assert sorted(elink_ids(site.fake, since)) == sorted(mouse), resumed.stderr

    straight = tmp_path / "straight.tsv"
    again = site.link("gene_pubmed", ids, *args, "-o", str(straight))
    assert again.returncode == 0, again.stderr
    assert out.read_text() == straight.read_text()
    rows = tsv9(out.read_text())
    assert [(r[1], r[4]) for r in rows] == expected_pairs(view, ids)
    assert {r[1]: r[8] for r in rows} == {
        **dict.fromkeys(human, origin("gene2pubmed")),
        **dict.fromkeys(mouse, "elink"),
    }


# --- --from auto, default links_from, refusals ---------------------------------------------


def test_auto_asks_elink_only_for_the_organisms_not_loaded(site: Site) -> None:
    site.get("gene2pubmed", "--taxon", "9606")
    genes = source_ids(site.data, "gene")
    held = sorted({str(g) for t, g, _p in site.data.pubmed if t == 9606})
    view = links(site.data, "gene_pubmed")

    since = len(site.fake.log)
    proc = site.link("gene_pubmed", genes, "--from", "auto", "-v")
    assert proc.returncode == 0, proc.stderr
    rows = tsv9(proc.stdout)
    assert [(r[1], r[4]) for r in rows] == expected_pairs(view, genes)
    assert {r[1]: r[8] for r in rows} == {
        g: origin("gene2pubmed") if g in held else "elink" for g in view
    }
    assert sorted(elink_ids(site.fake, since)) == sorted(set(genes) - set(held))
    assert f"answered from {origin('gene2pubmed')}: {len(held)} id(s)" in proc.stderr


def test_from_tables_refuses_what_no_loaded_table_answers(site: Site) -> None:
    site.get("gene2pubmed")
    gene = next(iter(links(site.data, "gene_pubmed")))
    for linkname, table in (("gene_protein", "gene2accession"), ("pubmed_pmc", "pmc_ids")):
        proc = site.link(linkname, [gene], "--from", "tables")
        assert f"tables get {table}" in assert_clean_error(proc, 2)
    for more in (("-name", "all"), ("-cmd", "neighbor_score")):
        proc = site.run("link", "-db", "gene", "-target", "pubmed", "-id", gene, "--from",
                        "tables", *more)  # fmt: skip
        assert_clean_error(proc, 2)
    assert elink_requests(site.fake) == []


def test_default_links_from_follows_what_is_loaded(site: Site) -> None:
    genes = list(links(site.data, "gene_pubmed"))[:3]
    want = expected_pairs(links(site.data, "gene_pubmed"), genes)
    before = site.link("gene_pubmed", genes)
    assert before.returncode == 0, before.stderr
    assert [(r[1], r[4]) for r in parse_tsv(before.stdout)] == want  # 8 columns
    assert sorted(elink_ids(site.fake)) == sorted(genes)

    site.get("gene2pubmed")
    since = len(site.fake.log)
    after = site.link("gene_pubmed", genes)
    assert after.returncode == 0, after.stderr
    assert after.stdout == tsv_text(want, "gene", "gene_pubmed", "pubmed", origin("gene2pubmed"))
    assert elink_requests(site.fake, since) == []

    other = site.link("gene_protein", genes)  # no table loaded answers it: ELink does
    assert other.returncode == 0, other.stderr
    assert [(r[1], r[4]) for r in tsv9(other.stdout)] == expected_pairs(
        links(site.data, "gene_protein"), genes
    )
    assert sorted(elink_ids(site.fake, since)) == sorted(genes)


def test_check_answers_from_the_table(world: Site) -> None:
    view = links(world.data, "gene_pubmed")
    ids = probe_ids(world.data, "gene_pubmed")
    want = [(i, "Y" if i in view else "N") for i in dict.fromkeys(ids)]
    for source in ("tables", "elink"):
        since = len(world.fake.log)
        proc = world.run("check", "-db", "gene", "--name", "gene_pubmed", "-id", ",".join(ids),
                         "--from", source)  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        rows = [line.split("\t") for line in proc.stdout.splitlines()[1:]]
        assert [(r[1], r[3]) for r in rows] == want
        assert (elink_requests(world.fake, since) == []) == (source == "tables")


def test_offline_from_tables_needs_no_network(world: Site) -> None:
    ids, want = pubmed_probe(world.data)
    proc = world.link("gene_pubmed", ids, "--from", "tables", "--offline",
                      env={"ELINKCLI_BASE_URL": "http://127.0.0.1:9/entrez/eutils/"})  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert pairs_of(proc.stdout) == want


# --- faults while getting a table ---------------------------------------------------------


@pytest.fixture
def upgraded(site: Site) -> Site:
    """gene2pubmed loaded, then changed upstream (dated LATER): the next `get` fetches the
    changed file."""
    site.get("gene2pubmed")
    site.fs.put(G2P, ncbi_files(changed_data(site.data))[G2P], last_modified=LATER)
    return site


def old_and_new(site: Site) -> tuple[list[str], LinkData]:
    return changed_genes(site.data), changed_data(site.data)


def test_cut_transfer_resumes_with_a_range(site: Site) -> None:
    """A file past a megabyte cut mid-way on every try: the run gives up (the old table in
    use), and the next `get` asks only for the rest."""
    site.get("gene2pubmed")
    big = grown_data(site.data, 100_000)
    body = gene2pubmed_stored(big)
    first_cut = 3 * (1 << 20) // 2
    assert len(body) > first_cut + (1 << 18)
    site.fs.put(G2P, body, last_modified=LATER)
    site.fs.add_faults(G2P, f"cut:{first_cut}", *["cut:1000"] * 5)
    genes = changed_genes(site.data)

    since = len(site.fs.log)
    failed = site.get("gene2pubmed", ok=False)
    assert "broke off" in assert_clean_error(failed, 4)
    tries = site.file_gets(since)
    assert len(tries) == 6 and "Range" not in tries[0].headers
    # Resumed within the run too, each try from where the one before broke off.
    starts = [range_start(t.headers) for t in tries[1:]]
    assert starts == [first_cut + 1000 * i for i in range(5)]
    pubmed_answer(site, genes, site.data, SERVED_DATE)

    since = len(site.fs.log)
    site.get("gene2pubmed")
    (get,) = site.file_gets(since)
    assert range_start(get.headers) == first_cut + 1000 * 5  # only the rest asked for
    etag = requests.head(site.fs.url(G2P), timeout=10).headers["ETag"]
    assert get.headers.get("If-Range") in (etag, email.utils.format_datetime(LATER, usegmt=True))
    pubmed_answer(site, genes, big, LATER_DATE)
    assert site.info("gene2pubmed")["rows"] == len(big.pubmed)


def test_cut_transfer_keeps_the_bytes_that_came(upgraded: Site) -> None:
    upgraded.fs.add_faults(G2P, "cut:600")
    since = len(upgraded.fs.log)
    upgraded.get("gene2pubmed")
    gets = upgraded.file_gets(since)
    assert [g.headers.get("Range") for g in gets] == [None, "bytes=600-"]


def test_corrupt_download_is_refused_and_fetched_whole_next_time(upgraded: Site) -> None:
    genes, new = old_and_new(upgraded)
    upgraded.fs.add_faults(G2P, "corrupt")
    failed = upgraded.get("gene2pubmed", ok=False)
    line = one_error(failed)
    assert "damaged" in line and STILL_IN_USE in line
    pubmed_answer(upgraded, genes, upgraded.data, SERVED_DATE)

    since = len(upgraded.fs.log)
    upgraded.get("gene2pubmed")
    assert [g.headers.get("Range") for g in upgraded.file_gets(since)] == [None]
    pubmed_answer(upgraded, genes, new, LATER_DATE)


def test_short_length_every_time_gives_up(upgraded: Site) -> None:
    genes, new = old_and_new(upgraded)
    upgraded.fs.add_faults(G2P, *["short-length"] * 6)
    since = len(upgraded.fs.log)
    failed = upgraded.get("gene2pubmed", ok=False)
    assert "bytes" in assert_clean_error(failed, 4)
    assert len(upgraded.file_gets(since)) == 6
    pubmed_answer(upgraded, genes, upgraded.data, SERVED_DATE)
    upgraded.get("gene2pubmed")
    pubmed_answer(upgraded, genes, new, LATER_DATE)


def test_503_is_retried(upgraded: Site) -> None:
    genes, new = old_and_new(upgraded)
    upgraded.fs.add_faults(G2P, "status:503", "status:503")
    since = len(upgraded.fs.log)
    proc = upgraded.get("gene2pubmed")
    assert len(upgraded.file_gets(since)) == 3
    assert proc.stderr.count("HTTP 503") == 2
    pubmed_answer(upgraded, genes, new, LATER_DATE)


def test_silent_server_times_out(upgraded: Site, tmp_path: Path) -> None:
    genes, new = old_and_new(upgraded)
    config = tmp_path / "config.toml"
    config.write_text("timeout = 0.3\n")
    config.chmod(0o600)
    upgraded.fs.add_faults(G2P, *["silent"] * 6)
    failed = upgraded.get("gene2pubmed", ok=False, env={"ELINKCLI_CONFIG": str(config)})
    assert "no answer within 0.3 s (6 tries)" in assert_clean_error(failed, 4)
    pubmed_answer(upgraded, genes, upgraded.data, SERVED_DATE)
    upgraded.get("gene2pubmed")
    assert upgraded.info("gene2pubmed")["rows"] == len(new.pubmed)


def test_redirect_to_another_host_is_refused(upgraded: Site) -> None:
    genes, new = old_and_new(upgraded)
    port = upgraded.fs.base_url.rsplit(":", 1)[1].rstrip("/")
    upgraded.fs.add_faults(G2P, f"redirect:http://localhost:{port}/{G2P}")  # same server
    since = len(upgraded.fs.log)
    failed = upgraded.get("gene2pubmed", ok=False)
    assert "another host" in assert_clean_error(failed, 3)
    assert len(upgraded.file_gets(since)) == 1  # the redirect was not followed
    pubmed_answer(upgraded, genes, upgraded.data, SERVED_DATE)
    upgraded.get("gene2pubmed")
    assert upgraded.info("gene2pubmed")["rows"] == len(new.pubmed)


def test_the_published_md5_is_checked(upgraded: Site) -> None:
    import hashlib

    genes, new = old_and_new(upgraded)
    body = ncbi_files(new)[G2P]
    upgraded.fs.put(G2P + ".md5", f"MD5 (gene2pubmed.gz) = {'0' * 32}\n".encode())
    failed = upgraded.get("gene2pubmed", ok=False)
    line = one_error(failed)
    assert "MD5" in line and STILL_IN_USE in line
    pubmed_answer(upgraded, genes, upgraded.data, SERVED_DATE)

    digest = hashlib.md5(body).hexdigest()
    upgraded.fs.put(G2P + ".md5", f"MD5 (gene2pubmed.gz) = {digest}\n".encode())
    upgraded.get("gene2pubmed")
    pubmed_answer(upgraded, genes, new, LATER_DATE)


@pytest.mark.parametrize("faults", [["redirect:http://127.0.0.2:9/x"], ["status:404"],
                                    ["short-length"] * 6])  # fmt: skip
def test_failed_download_says_the_old_table_is_still_in_use(
    upgraded: Site, faults: list[str]
) -> None:
    upgraded.fs.add_faults(G2P, *faults)
    failed = upgraded.get("gene2pubmed", ok=False)
    line = one_error(failed)
    assert STILL_IN_USE in line and origin("gene2pubmed") in line


# --- update ----------------------------------------------------------------------------


def test_update_unchanged_then_changed(site: Site) -> None:
    site.get("gene2pubmed")
    since = len(site.fs.log)
    heads = len(site.fs.requests_to(G2P, "HEAD"))
    same = site.run("tables", "update")
    assert same.returncode == 0, same.stderr
    assert "gene2pubmed: unchanged upstream" in same.stderr
    assert site.file_gets(since) == [] and len(site.fs.requests_to(G2P, "HEAD")) == heads + 1

    genes, new = changed_genes(site.data), changed_data(site.data)
    site.fs.put(G2P, ncbi_files(new)[G2P], last_modified=LATER)
    heads = len(site.fs.requests_to(G2P, "HEAD"))
    changed = site.run("tables", "update", "gene2pubmed")
    assert changed.returncode == 0, changed.stderr
    # One HEAD says the file changed, and the download goes on from it.
    assert len(site.fs.requests_to(G2P, "HEAD")) == heads + 1
    assert "gene2pubmed: loaded again" in changed.stderr
    info = site.info("gene2pubmed")
    assert info["upstream_date"] == LATER_DATE and info["rows"] == len(new.pubmed)
    pubmed_answer(site, genes, new, LATER_DATE)


def test_update_keeps_the_taxa_it_was_loaded_with(site: Site) -> None:
    site.get("gene2pubmed", "--taxon", "9606")
    new = changed_data(site.data)
    site.fs.put(G2P, ncbi_files(new)[G2P], last_modified=LATER)
    proc = site.run("tables", "update")
    assert proc.returncode == 0, proc.stderr
    info = site.info("gene2pubmed")
    assert info["taxa"] == [9606]
    assert info["rows"] == taxon_rows(new, "gene2pubmed", 9606)


# --- concurrency -------------------------------------------------------------------------


def test_readers_during_a_load_see_the_old_or_the_new_table(upgraded: Site) -> None:
    genes, new = old_and_new(upgraded)
    args = ("link", "-db", "gene", "-target", "pubmed", "-name", "gene_pubmed", "-id",
            ",".join(genes), "--from", "tables")  # fmt: skip
    view_old, view_new = links(upgraded.data, "gene_pubmed"), links(new, "gene_pubmed")
    answers = {
        tsv_text(expected_pairs(view_old, genes), "gene", "gene_pubmed", "pubmed",
                 origin("gene2pubmed")): "old",
        tsv_text(expected_pairs(view_new, genes), "gene", "gene_pubmed", "pubmed",
                 origin("gene2pubmed", LATER_DATE)): "new",
    }  # fmt: skip
    assert len(answers) == 2
    upgraded.fs.add_faults(G2P, "slow:1")
    env = clean_env({**upgraded.env(), "ELINKCLI_BASE_URL": upgraded.fake.base_url})
    loader = subprocess.Popen(
        [*elinkcli_command(), "tables", "get", "gene2pubmed"],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    seen: list[tuple[int, str, str]] = []
    lock = threading.Lock()

    def read() -> None:
        done_after = 0
        while done_after < 2:
            if loader.poll() is not None:
                done_after += 1
            proc = subprocess.run(
                [*elinkcli_command(), *args], env=env, stdin=subprocess.DEVNULL,
                capture_output=True, text=True, timeout=60, check=False,
            )  # fmt: skip
            with lock:
                seen.append((proc.returncode, proc.stdout, proc.stderr))

    readers = [threading.Thread(target=read) for _ in range(2)]
    for t in readers:
        t.start()
    for t in readers:
        t.join(120)
    _, loader_err = loader.communicate(timeout=60)
    assert loader.returncode == 0, loader_err
    assert len(seen) >= 4
    for code, out, err in seen:
        assert code == 0 and "Traceback" not in err, err
        assert out in answers, out[:500]
    assert answers[seen[-1][1]] == "new"


def two_gets(site: Site) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    """`tables get gene2pubmed` twice, the second started while the first is fetching
    (held 3 s by a slow answer, so it still holds the table's lock)."""
    site.fs.add_faults(G2P, "slow:3")
    env = clean_env({**site.env(), "ELINKCLI_BASE_URL": site.fake.base_url})
    argv = [*elinkcli_command(), "tables", "get", "gene2pubmed"]
    first = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while not site.file_gets() and time.monotonic() < deadline:
        time.sleep(0.02)
    second = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                            text=True, timeout=60, check=False)  # fmt: skip
    out, err = first.communicate(timeout=60)
    return subprocess.CompletedProcess(argv, first.returncode, out, err), second


def test_two_gets_at_once_both_succeed(site: Site) -> None:
    first, second = two_gets(site)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert "Traceback" not in first.stderr + second.stderr
    assert "waiting" in second.stderr
    pubmed_answer(site, changed_genes(site.data), site.data, SERVED_DATE)
    assert site.info("gene2pubmed")["rows"] == len(site.data.pubmed)


def test_a_get_that_waited_finds_the_table_loaded(site: Site) -> None:
    first, second = two_gets(site)
    assert first.returncode == 0 and second.returncode == 0
    assert len(site.file_gets()) == 1


# --- a full disk, DuckDB missing -------------------------------------------------------------


def fill_disk(site: Site, small: Path, size: str) -> subprocess.CompletedProcess:
    """gene2pubmed loaded on a tmpfs of `size`, then a `get` of a file 60,000 rows longer
    (about 260 kB gzipped, 320 kB as Parquet)."""
    site.tables_dir = small / "tables"
    site.get("gene2pubmed")
    grown = ncbi_files(grown_data(site.data, 60_000))[G2P]
    assert 200_000 < len(grown) < 300_000  # the download fits in 400k, not the load after it
    site.fs.put(G2P, grown, last_modified=LATER)
    return site.get("gene2pubmed", ok=False)


@pytest.mark.parametrize(("size", "where"), [("128k", "download"), ("400k", "load")])
def test_full_disk_leaves_the_old_table(site: Site, tmp_path: Path, size: str, where: str) -> None:
    from support.disks import tmpfs

    with tmpfs(tmp_path / "small", f"size={size}") as small:
        line = one_error(fill_disk(site, small, size))
        if where == "download":
            assert "No space left on device" in line
        else:
            assert STILL_IN_USE in line
        pubmed_answer(site, changed_genes(site.data), site.data, SERVED_DATE)
        assert site.info("gene2pubmed")["rows"] == len(site.data.pubmed)


def test_full_disk_during_the_load_says_the_disk_is_full(site: Site, tmp_path: Path) -> None:
    from support.disks import tmpfs

    with tmpfs(tmp_path / "small", "size=400k") as small:
        line = one_error(fill_disk(site, small, "400k"))
        assert "No space left on device" in line


def test_without_duckdb_tables_say_how_to_install_it(world: Site, tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(no_duckdb(tmp_path / "site"))}
    since = len(world.fs.log)
    got = world.run("tables", "get", "gene2pubmed",
                    env={**env, "ELINKCLI_TABLES_DIR": str(tmp_path / "t")})  # fmt: skip
    assert INSTALL in assert_clean_error(got, 2)
    assert world.fs.log[since:] == []  # said before anything is downloaded
    ids, want = pubmed_probe(world.data)
    theirs = world.link("gene_pubmed", ids, "--from", "elink", env=env)
    assert theirs.returncode == 0, theirs.stderr
    assert [(r[1], r[4]) for r in parse_tsv(theirs.stdout)] == want
    listed = world.run("tables", "list", "--offline", env=env)
    assert listed.returncode == 0, listed.stderr


def test_without_duckdb_a_loaded_table_says_how_to_install_it(world: Site, tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(no_duckdb(tmp_path / "site"))}
    proc = world.link("gene_pubmed", ["1"], "--from", "tables", env=env)
    assert INSTALL in assert_clean_error(proc, 2)


# --- compare --------------------------------------------------------------------------------


def compared(site: Site, *more: str) -> dict[str, dict]:
    proc = site.run("tables", "compare", "gene2pubmed", "--json", *more)
    assert proc.returncode == 0, proc.stderr
    return {d["linkname"]: d for d in map(json.loads, proc.stdout.splitlines())}


def test_compare_agrees_then_names_the_id_that_differs(site: Site) -> None:
    site.get("gene2pubmed")
    found = compared(site, "--sample", "10", "--seed", "1")
    assert set(found) == {"gene_pubmed", "pubmed_gene"}
    for entry in found.values():
        assert (entry["ids"], entry["agree"], entry["differ"], entry["failed"]) == (10, 10, [], [])
    text = site.run("tables", "compare", "gene2pubmed", "--sample", "10", "--seed", "1")
    assert "gene_pubmed: 10 of 10 ids agree (100.0%)" in text.stdout

    view = links(site.data, "gene_pubmed")
    gene = next(g for g, targets in view.items() if len(targets) >= 2)
    dropped, added = view[gene][0], "45000002"
    altered = {**view, gene: [added, *view[gene][1:]]}
    site.fake.tables["gene_pubmed"] = Table("gene", "pubmed", lambda u: altered.get(u, []))
    found = compared(site, "--sample", "1000", "--name", "gene_pubmed")
    entry = found["gene_pubmed"]
    assert entry["ids"] == len(view) and entry["agree"] == len(view) - 1
    assert entry["differ"] == [{"id": gene, "table_only": [dropped], "elink_only": [added]}]


# --- hostile files and records ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"#tax_id\tGeneID\tPMID\n9606\t1\t2\n", "header"),
        (b"#tax_id\tGeneID\tPubMed_ID\tExtra\n9606\t1\t2\t3\n", "header"),
        (b"<html><body>Service unavailable</body></html>", "gzip"),
    ],
)
def test_a_file_that_is_not_ncbis_is_refused(upgraded: Site, body: bytes, says: str) -> None:
    import gzip

    genes = changed_genes(upgraded.data)
    served = body if body.startswith(b"<") else gzip.compress(body, mtime=0)
    upgraded.fs.put(G2P, served, last_modified=LATER)
    failed = upgraded.get("gene2pubmed", ok=False)
    line = one_error(failed)
    assert says in line and STILL_IN_USE in line
    pubmed_answer(upgraded, genes, upgraded.data, SERVED_DATE)


def test_an_empty_file_is_named_empty(upgraded: Site) -> None:
    upgraded.fs.put(G2P, b"", last_modified=LATER)
    line = one_error(upgraded.get("gene2pubmed", ok=False))
    assert "empty" in line and "No such file" not in line


@pytest.mark.parametrize(
    "record",
    [
        b"garbage{",
        b'{"format": 1, "version": "../../etc", "upstream": {"url": "x"}, "files": [],'
        b' "rows": 1, "loaded_at": 0}',
    ],
)
def test_a_damaged_record_is_named_and_repaired_by_get(site: Site, record: bytes) -> None:
    site.get("gene2pubmed")
    (site.tables_dir / "gene2pubmed.json").write_bytes(record)
    assert site.listed("--offline")["gene2pubmed"]["loaded"] is False

    genes = changed_genes(site.data)
    proc = site.link("gene_pubmed", genes, "--from", "tables")
    assert proc.returncode != 0
    line = assert_clean_error(proc, proc.returncode)
    assert "damaged" in line and "gene2pubmed" in line

    other = site.link("gene_protein", genes)  # answered by ELink: no table is asked
    assert other.returncode == 0, other.stderr
    assert pairs_of(other.stdout) == expected_pairs(links(site.data, "gene_protein"), genes)

    site.get("gene2pubmed")
    pubmed_answer(site, genes, site.data, SERVED_DATE)


def test_no_table_loaded_tables_commands_still_work(site: Site) -> None:
    listed = site.listed("--offline")
    assert set(listed) == set(LISTED_TABLES) and not any(e["loaded"] for e in listed.values())
    info = site.info("gene2pubmed")
    assert info["loaded"] is False
    update = site.run("tables", "update")
    assert update.returncode == 0 and "no table is loaded" in update.stderr
    dropped = site.run("tables", "drop", "gene2pubmed")
    assert dropped.returncode == 0 and "gene2pubmed: was not loaded" in dropped.stderr
    unknown = site.run("tables", "get", "gene2nothing")
    assert "gene2nothing" in assert_clean_error(unknown, 2)
