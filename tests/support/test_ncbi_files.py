"""The bulk-file dataset (support.ncbi_files) and the file server (support.file_server):
the files parse back to the data, the link views agree with the fake ELink, and the server
answers ranges, validators and faults as its docstring says."""

from __future__ import annotations

import contextlib
import csv
import gzip
import http.client
import io
import itertools
import random
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from support.fake_eutils import FakeEutils
from support.file_server import CHUNK, FileServer, parse_range
from support.ncbi_files import (
    ASSEMBLIES,
    ENSEMBL_COLUMNS,
    GENE_COLUMNS,
    LINKNAMES,
    ORTHOLOG_COLUMNS,
    OWN_LINKNAMES,
    PMC_COLUMNS,
    EnsemblRow,
    GeneRow,
    add_records,
    fake_tables,
    gene2accession_bytes,
    gene2ensembl_bytes,
    gene2pubmed_bytes,
    gene2refseq_bytes,
    gene_orthologs_bytes,
    links,
    make_data,
    ncbi_files,
    pmc_ids_bytes,
)
from support.paths import TESTS

DATA = make_data()
PATH = "gene/DATA/gene2pubmed.gz"
# A gzip file of 3 chunks (random bytes do not compress), so a flipped byte fails its CRC.
BIG = gzip.compress(random.Random(1).randbytes(150_000), mtime=0)


def _rows(blob: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(gzip.decompress(blob).decode()), delimiter="\t"))


def _int(value: str) -> int | None:
    return None if value == "-" else int(value)


def _str(value: str) -> str | None:
    return None if value == "-" else value


def _gene_rows(blob: bytes) -> list[GeneRow]:
    header, *rows = _rows(blob)
    assert header == ["#" + GENE_COLUMNS[0], *GENE_COLUMNS[1:]]
    out = []
    for r in rows:
        assert len(r) == 16
        start, end, orientation, assembly, mature_acc, mature_gi = r[9:15]
        assert orientation in "+-?" and mature_acc == mature_gi == "-"
        placed = r[7].startswith(("NC_", "NG_"))
        assert (start != "-") == (end != "-") == placed == (orientation != "?")
        if placed:
            assert 0 < int(start) < int(end)
        assert assembly == (ASSEMBLIES[int(r[0])] if r[7].startswith("NC_") else "-")
        out.append(
            GeneRow(
                int(r[0]),
                int(r[1]),
                r[2],
                _str(r[3]),
                _int(r[4]),
                _str(r[5]),
                _int(r[6]),
                _str(r[7]),
                _int(r[8]),
                r[15],
            )
        )
    return out


# --- the dataset -----------------------------------------------------------------------------


def test_make_data_is_deterministic_and_has_every_special_case() -> None:
    assert make_data() == DATA and make_data(60, 7) == DATA
    assert make_data(seed=8) != DATA
    assert ncbi_files(make_data()) == ncbi_files(DATA)
    with pytest.raises(ValueError):
        make_data(genes=5)

    per_gene = Counter(g for _t, g, _p in DATA.pubmed)
    assert {t for t, _g, _p in DATA.pubmed} == {9606, 10090, 7227}
    assert max(per_gene.values()) == 40
    all_genes = {r.gene for r in DATA.accession} | set(per_gene)
    assert len(all_genes) == 60 and all(1 <= g <= 200_000 for g in all_genes)
    assert {r.gene for r in DATA.accession} - set(per_gene), "some genes have no PMIDs"
    per_pmid = Counter(p for _t, _g, p in DATA.pubmed)
    assert max(per_pmid.values()) >= 5, "a PMID linked to several genes"
    assert all(1 <= p <= 40_000_000 for p in per_pmid)
    assert len(DATA.pubmed) == len(set(DATA.pubmed))

    rows = DATA.accession
    assert all(r in rows for r in DATA.refseq)
    assert {r.status for r in rows if r not in DATA.refseq} == {"-"}
    assert any(r.rna_acc and r.rna_acc.startswith("XM_") and r.rna_gi is None for r in rows)
    gis = [g for r in rows for g in (r.rna_gi, r.prot_gi, r.gen_gi) if g is not None]
    assert all(100_000_000 <= g <= 2_000_000_000 for g in gis)
    # One GI per accession, and no GI for two accessions.
    named = {
        (acc, gi)
        for r in rows
        for acc, gi in ((r.rna_acc, r.rna_gi), (r.prot_acc, r.prot_gi), (r.gen_acc, r.gen_gi))
        if acc is not None and gi is not None
    }
    assert len({a for a, _ in named}) == len(named) == len({g for _, g in named})
    prefixes = {acc[:3] for r in DATA.refseq for acc in (r.rna_acc, r.prot_acc, r.gen_acc) if acc}
    assert prefixes == {"NM_", "NR_", "XM_", "XR_", "NP_", "XP_", "NC_", "NG_"}
    genbank = {r.prot_acc[:3] for r in rows if r.status == "-" and r.prot_acc}
    assert genbank and not any("_" in p for p in genbank)
    ng_genes = {r.gene for r in DATA.refseq if (r.gen_acc or "").startswith("NG_")}
    nc_only = {r.gene for r in DATA.refseq} - ng_genes
    assert ng_genes and nc_only
    # The same protein on two rows of one gene, on different genomic accessions.
    placements = defaultdict(set)
    for r in DATA.refseq:
        if r.prot_acc:
            placements[(r.gene, r.prot_acc)].add(r.gen_acc)
    assert any(len(gens) == 2 for gens in placements.values())

    assert all(1 <= int(r.pmcid.removeprefix("PMC")) <= 12_000_000 for r in DATA.pmc)
    assert any("," in r.journal for r in DATA.pmc) and any('"' in r.journal for r in DATA.pmc)
    assert any(not r.pmid for r in DATA.pmc) and any(not r.doi for r in DATA.pmc)
    assert {r.release_date == "live" for r in DATA.pmc} == {True, False}
    pmids = [r.pmid for r in DATA.pmc if r.pmid]
    assert len(pmids) == len(set(pmids)) and set(pmids) - {str(p) for p in per_pmid}


def test_gene2pubmed_parses_back_to_the_data() -> None:
    header, *rows = _rows(gene2pubmed_bytes(DATA))
    assert header == ["#tax_id", "GeneID", "PubMed_ID"]
    assert [tuple(map(int, r)) for r in rows] == DATA.pubmed


def test_gene2refseq_and_gene2accession_parse_back_to_the_data() -> None:
    assert _gene_rows(gene2refseq_bytes(DATA)) == DATA.refseq
    assert _gene_rows(gene2accession_bytes(DATA)) == DATA.accession
    first = gzip.decompress(gene2accession_bytes(DATA)).split(b"\n", 1)[0]
    assert first == (
        b"#tax_id\tGeneID\tstatus\tRNA_nucleotide_accession.version\tRNA_nucleotide_gi\t"
        b"protein_accession.version\tprotein_gi\tgenomic_nucleotide_accession.version\t"
        b"genomic_nucleotide_gi\tstart_position_on_the_genomic_accession\t"
        b"end_position_on_the_genomic_accession\torientation\tassembly\t"
        b"mature_peptide_accession.version\tmature_peptide_gi\tSymbol"
    )


def test_pmc_ids_round_trip_quoted_titles() -> None:
    blob = pmc_ids_bytes(DATA)
    assert blob[4:8] == b"\0\0\0\0", "gzip mtime 0: the same bytes every run"
    text = gzip.decompress(blob).decode()
    header, *rows = csv.reader(io.StringIO(text))
    assert tuple(header) == PMC_COLUMNS
    assert text.startswith(",".join(PMC_COLUMNS) + "\n")
    assert [tuple(r) for r in rows] == [tuple(r) for r in DATA.pmc]
    assert '"Cell, Tissue, and ""Organ"" Reports"' in text
    assert "\nPLoS One," in text, "a plain title is not quoted"


def test_ncbi_files_maps_upstream_paths() -> None:
    files = ncbi_files(DATA)
    assert files == {
        "gene/DATA/gene2pubmed.gz": gene2pubmed_bytes(DATA),
        "gene/DATA/gene2refseq.gz": gene2refseq_bytes(DATA),
        "gene/DATA/gene2accession.gz": gene2accession_bytes(DATA),
        "pub/pmc/PMC-ids.csv.gz": pmc_ids_bytes(DATA),
        "gene/DATA/gene_orthologs.gz": gene_orthologs_bytes(DATA),
        "gene/DATA/gene2ensembl.gz": gene2ensembl_bytes(DATA),
    }


def test_gene_orthologs_parse_back_and_pair_genes_across_taxa() -> None:
    header, *rows = _rows(gene_orthologs_bytes(DATA))
    assert header == ["#" + ORTHOLOG_COLUMNS[0], *ORTHOLOG_COLUMNS[1:]]
    assert {r[2] for r in rows} == {"Ortholog"}
    parsed = [(int(r[0]), int(r[1]), int(r[3]), int(r[4])) for r in rows]
    assert parsed == DATA.orthologs == sorted(DATA.orthologs)
    taxa = {r.gene: r.tax_id for r in DATA.accession} | {g: t for t, g, _p in DATA.pubmed}
    assert all(taxa[g] == t and taxa[o] == ot and t != ot for t, g, ot, o in parsed)
    edges = {frozenset((g, o)) for _t, g, _ot, o in parsed}
    assert len(edges) == len(parsed), "each pair once, from one side"
    assert any(t > ot for t, _g, ot, _o in parsed), "some pairs from the other side"
    view = links(DATA, "gene_gene_ortholog")
    assert all(str(g) in view[str(o)] and str(o) in view[str(g)] for _t, g, _ot, o in parsed)
    assert max(len(v) for v in view.values()) >= 3


def test_gene2ensembl_parses_back_to_the_data() -> None:
    header, *rows = _rows(gene2ensembl_bytes(DATA))
    assert header == ["#" + ENSEMBL_COLUMNS[0], *ENSEMBL_COLUMNS[1:]]
    parsed = [
        EnsemblRow(int(r[0]), int(r[1]), r[2], _str(r[3]), _str(r[4]), _str(r[5]), _str(r[6]))
        for r in rows
    ]
    assert parsed == DATA.ensembl
    assert {r.ensg[:4] for r in parsed} == {"ENSG", "ENSM", "FBgn"}
    assert any(r.enst is None for r in parsed) and any(r.ensp is None and r.enst for r in parsed)
    assert all(r.ensg.startswith("ENSG") for r in parsed if r.tax_id == 9606)
    two = links(DATA, "gene_ensembl")
    assert max(len(v) for v in two.values()) == 2
    for name in OWN_LINKNAMES:
        assert set(OWN_LINKNAMES) & set(LINKNAMES) == set() and links(DATA, name)


# --- the link views ----------------------------------------------------------------------------


def _pairs(view: dict[str, list[str]]) -> set[tuple[str, str]]:
    return {(s, t) for s, ts in view.items() for t in ts}


def _flip(pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    return {(t, s) for s, t in pairs}


def test_links_are_distinct_descending_and_agree_with_each_other() -> None:
    views = {name: links(DATA, name) for name in LINKNAMES}
    for name, view in views.items():
        assert view, name
        for targets in view.values():
            numbers = [int(t) for t in targets]
            assert targets and all(a > b for a, b in itertools.pairwise(numbers)), name
    pairs = {name: _pairs(view) for name, view in views.items()}
    assert pairs["pubmed_gene"] == _flip(pairs["gene_pubmed"])
    assert pairs["protein_gene"] == _flip(pairs["gene_protein"])
    assert pairs["nuccore_gene"] == _flip(pairs["gene_nuccore"])
    assert pairs["pmc_pubmed"] == _flip(pairs["pubmed_pmc"])
    assert pairs["gene_protein_refseq"] < pairs["gene_protein"]
    assert (
        pairs["gene_nuccore_refseqrna"] | pairs["gene_nuccore_refseqgene"] < (pairs["gene_nuccore"])
    )
    assert max(len(v) for v in views["gene_pubmed"].values()) == 40
    assert views["gene_pubmed"] == {
        str(g): sorted({str(p) for _t, g2, p in DATA.pubmed if g2 == g}, key=int, reverse=True)
        for g in {g for _t, g, _p in DATA.pubmed}
    }
    ng = {str(r.gen_gi) for r in DATA.refseq if (r.gen_acc or "").startswith("NG_")}
    assert {t for ts in views["gene_nuccore_refseqgene"].values() for t in ts} == ng
    # A chromosome holds many genes; a duplicated protein row still links once.
    assert max(len(v) for v in views["nuccore_gene"].values()) >= 3
    with pytest.raises(KeyError):
        links(DATA, "gene_gene")


# --- the fake ELink answers the same links -----------------------------------------------------


def _elink(fake: FakeEutils, **params: str) -> ET.Element:
    reply = requests.post(fake.base_url + "elink.fcgi", data=params, timeout=5)
    reply.raise_for_status()
    return ET.fromstring(reply.content)


def _link_ids(root: ET.Element, linkname: str) -> list[str]:
    return [
        e.text or ""
        for db in root.iter("LinkSetDb")
        if db.findtext("LinkName") == linkname
        for e in db.iter("Id")
    ]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeEutils]:
    server = FakeEutils(tables=fake_tables(DATA))
    add_records(server, DATA)
    with server:
        yield server


def test_fake_eutils_answers_the_links(fake: FakeEutils) -> None:
    pubmed = links(DATA, "gene_pubmed")
    busiest = max(pubmed, key=lambda g: len(pubmed[g]))
    for gene in (busiest, min(pubmed, key=int)):
        root = _elink(fake, dbfrom="gene", db="pubmed", id=gene, linkname="gene_pubmed")
        assert _link_ids(root, "gene_pubmed") == pubmed[gene]
    unlinked = next(str(r.gene) for r in DATA.accession if str(r.gene) not in pubmed)
    root = _elink(fake, dbfrom="gene", db="pubmed", id=unlinked, linkname="gene_pubmed")
    assert root.find("LinkSet/LinkSetDb") is None
    # Every link name of one gene with a RefSeqGene, and PubMed -> PMC.
    gene = next(iter(links(DATA, "gene_nuccore_refseqgene")))
    for name in ("gene_nuccore", "gene_nuccore_refseqrna", "gene_nuccore_refseqgene"):
        root = _elink(fake, dbfrom="gene", db="nuccore", id=gene, linkname=name)
        assert _link_ids(root, name) == links(DATA, name)[gene]
    pmid, pmc = next(iter(links(DATA, "pubmed_pmc").items()))
    root = _elink(fake, dbfrom="pubmed", db="pmc", id=pmid, linkname="pubmed_pmc")
    assert _link_ids(root, "pubmed_pmc") == pmc


def test_fake_eutils_takes_and_writes_accessions_as_the_rows_name_them(
    fake: FakeEutils,
) -> None:
    row = next(r for r in DATA.refseq if r.prot_acc and r.prot_gi)
    root = _elink(fake, dbfrom="protein", db="gene", id=row.prot_acc or "", linkname="protein_gene")
    assert root.findtext("LinkSet/IdList/Id") == str(row.prot_gi)
    assert _link_ids(root, "protein_gene") == links(DATA, "protein_gene")[str(row.prot_gi)]
    root = _elink(
        fake,
        dbfrom="gene",
        db="protein",
        id=str(row.gene),
        linkname="gene_protein_refseq",
        idtype="acc",
    )
    by_gi = {r.prot_gi: r.prot_acc for r in DATA.refseq if r.prot_gi}
    expected = [by_gi[int(g)] for g in links(DATA, "gene_protein_refseq")[str(row.gene)]]
    assert _link_ids(root, "gene_protein_refseq") == expected


# --- the file server -----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_leftover_server_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert [t.name for t in left if t.name.startswith("file-server")] == []


@pytest.fixture
def fs() -> Iterator[FileServer]:
    with FileServer({PATH: BIG, "other.gz": b"other"}) as server:
        yield server


def test_get_and_head_carry_length_validators_and_ranges(fs: FileServer) -> None:
    assert fs.base_url.startswith("http://127.0.0.1:") and fs.base_url.endswith("/")
    got = requests.get(fs.url(PATH), timeout=5)
    assert got.status_code == 200 and got.content == BIG and len(BIG) > 2 * CHUNK
    assert got.headers["Content-Length"] == str(len(BIG))
    assert got.headers["Last-Modified"] == "Tue, 01 Dec 2026 00:00:00 GMT"
    assert got.headers["Accept-Ranges"] == "bytes"
    etag = got.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 10
    head = requests.head(fs.url(PATH), timeout=5)
    assert head.status_code == 200 and head.content == b""
    assert {k: head.headers[k] for k in ("Content-Length", "ETag", "Last-Modified")} == {
        k: got.headers[k] for k in ("Content-Length", "ETag", "Last-Modified")
    }
    assert requests.get(fs.url("gene/DATA/nothing.gz"), timeout=5).status_code == 404
    assert requests.head(fs.url("nothing"), timeout=5).status_code == 404
    assert [(r.method, r.path) for r in fs.log] == [
        ("GET", PATH),
        ("HEAD", PATH),
        ("GET", "gene/DATA/nothing.gz"),
        ("HEAD", "nothing"),
    ]


def test_range_requests(fs: FileServer) -> None:
    size = len(BIG)
    part = requests.get(fs.url(PATH), headers={"Range": "bytes=1000-"}, timeout=5)
    assert part.status_code == 206 and part.content == BIG[1000:]
    assert part.headers["Content-Range"] == f"bytes 1000-{size - 1}/{size}"
    assert part.headers["Content-Length"] == str(size - 1000)
    part = requests.get(fs.url(PATH), headers={"Range": "bytes=10-19"}, timeout=5)
    assert (part.status_code, part.content) == (206, BIG[10:20])
    assert part.headers["Content-Range"] == f"bytes 10-19/{size}"
    part = requests.get(fs.url(PATH), headers={"Range": "bytes=-5"}, timeout=5)
    assert (part.status_code, part.content) == (206, BIG[-5:])
    past = requests.get(fs.url(PATH), headers={"Range": f"bytes={size}-"}, timeout=5)
    assert past.status_code == 416 and past.headers["Content-Range"] == f"bytes */{size}"
    assert [r.headers.get("Range") for r in fs.requests_to(PATH)] == [
        "bytes=1000-",
        "bytes=10-19",
        "bytes=-5",
        f"bytes={size}-",
    ]
    assert parse_range("bytes=5-2", 10) is None and parse_range("bytes=0-1,4-5", 10) is None
    assert parse_range("items=0-1", 10) is None and parse_range("bytes=3-99", 10) == (3, 9)


def test_if_range_and_upstream_updates(fs: FileServer) -> None:
    first = requests.head(fs.url(PATH), timeout=5).headers
    ranged = {"Range": "bytes=100-"}
    same = requests.get(fs.url(PATH), headers={**ranged, "If-Range": first["ETag"]}, timeout=5)
    assert (same.status_code, same.content) == (206, BIG[100:])
    dated = {**ranged, "If-Range": first["Last-Modified"]}
    assert requests.get(fs.url(PATH), headers=dated, timeout=5).status_code == 206

    new = BIG[::-1]
    fs.put(PATH, new, last_modified=datetime(2027, 1, 5, 6, 7, 8, tzinfo=timezone.utc))
    after = requests.get(fs.url(PATH), headers={**ranged, "If-Range": first["ETag"]}, timeout=5)
    assert (after.status_code, after.content) == (200, new)
    assert after.headers["ETag"] != first["ETag"]
    assert after.headers["Last-Modified"] == "Tue, 05 Jan 2027 06:07:08 GMT"
    assert requests.get(fs.url(PATH), headers=dated, timeout=5).status_code == 200
    weak = {**ranged, "If-Range": "W/" + after.headers["ETag"]}
    assert requests.get(fs.url(PATH), headers=weak, timeout=5).status_code == 200
    fresh = {"If-None-Match": after.headers["ETag"]}
    assert requests.get(fs.url(PATH), headers=fresh, timeout=5).status_code == 304
    fs.put(PATH, BIG)  # no date: the server's default again
    assert (
        requests.head(fs.url(PATH), timeout=5).headers["Last-Modified"] == (first["Last-Modified"])
    )


def _raw_get(fs: FileServer, path: str) -> tuple[int, bytes, bool]:
    """(status, body bytes received, whether the body came up short of Content-Length)."""
    conn = http.client.HTTPConnection("127.0.0.1", urlsplit(fs.base_url).port, timeout=5)
    try:
        conn.request("GET", "/" + path)
        reply = conn.getresponse()
        try:
            return reply.status, reply.read(), False
        except http.client.IncompleteRead as cut:
            return reply.status, cut.partial, True
    finally:
        conn.close()


def test_cut_and_wrong_lengths(fs: FileServer) -> None:
    fs.faults[PATH] = ["cut:1000", "cut:70000", "long-length"]
    assert _raw_get(fs, PATH) == (200, BIG[:1000], True)
    assert _raw_get(fs, PATH) == (200, BIG[:70000], True)
    assert _raw_get(fs, PATH) == (200, BIG, True)
    fs.add_faults(PATH, "cut:10")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(fs.url(PATH), timeout=5)
    fs.add_faults(PATH, "short-length")
    short = requests.get(fs.url(PATH), timeout=5)
    assert short.status_code == 200 and short.content == BIG[:-100]
    assert short.headers["Content-Length"] == str(len(BIG) - 100)
    with pytest.raises(EOFError):
        gzip.decompress(short.content)
    assert requests.get(fs.url(PATH), timeout=5).content == BIG, "faults are used up"
    with pytest.raises(ValueError):
        fs.add_faults(PATH, "cut")


def test_corrupt_no_range_redirect_and_status(fs: FileServer) -> None:
    fs.add_faults(PATH, "corrupt", "no-range", "redirect:" + fs.url("other.gz"))
    bad = requests.get(fs.url(PATH), timeout=5)
    assert len(bad.content) == len(BIG) and bad.content != BIG
    assert sum(a != b for a, b in zip(bad.content, BIG, strict=True)) == 16
    with pytest.raises((OSError, zlib.error, EOFError)):
        gzip.decompress(bad.content)
    whole = requests.get(fs.url(PATH), headers={"Range": "bytes=500-"}, timeout=5)
    assert (whole.status_code, whole.content) == (200, BIG)
    moved = requests.get(fs.url(PATH), timeout=5)
    assert moved.content == b"other" and moved.history[0].status_code == 302
    fs.add_faults(PATH, "status:503", "status:429", "status:500", "status:503:7")
    answers = [requests.get(fs.url(PATH), timeout=5) for _ in range(4)]
    assert [a.status_code for a in answers] == [503, 429, 500, 503]
    assert [a.headers.get("Retry-After") for a in answers] == ["1", "1", None, "7"]
    # HEAD takes no fault.
    fs.add_faults(PATH, "status:500")
    assert requests.head(fs.url(PATH), timeout=5).status_code == 200
    assert requests.get(fs.url(PATH), timeout=5).status_code == 500


def test_slow_and_silent_end_cleanly(capfd: pytest.CaptureFixture[str]) -> None:
    fs = FileServer({PATH: BIG}).start()
    try:
        fs.add_faults(PATH, "slow:0.1", "silent")
        began = time.monotonic()
        slow = requests.get(fs.url(PATH), timeout=5)
        assert slow.content == BIG and time.monotonic() - began >= 0.3  # 3 chunks
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.get(fs.url(PATH), timeout=0.5)
        # A download cut mid-body by the client, then the server stopping under a slow one.
        fs.add_faults(PATH, "slow:0.2")
        with requests.get(fs.url(PATH), stream=True, timeout=5) as reply:
            next(reply.iter_content(1000))
        fs.add_faults(PATH, "slow:5")
        holder = threading.Thread(
            target=lambda: _swallow(lambda: requests.get(fs.url(PATH), timeout=10))
        )
        holder.start()
        time.sleep(0.2)
    finally:
        began = time.monotonic()
        fs.stop()
    assert time.monotonic() - began < 2
    holder.join(5)
    assert not holder.is_alive()
    fs.stop()  # twice is fine
    assert "Traceback" not in capfd.readouterr().err


def _swallow(call: Callable[[], object]) -> None:
    with contextlib.suppress(requests.RequestException):
        call()


def test_directory_mode_streams_files_from_disk(tmp_path: Path) -> None:
    (tmp_path / "pub" / "pmc").mkdir(parents=True)
    target = tmp_path / "pub" / "pmc" / "PMC-ids.csv.gz"
    target.write_bytes(BIG)
    (tmp_path.parent / "secret.txt").write_text("no")
    with FileServer({"pub/pmc/override.gz": b"dict"}, root=tmp_path) as fs:
        part = requests.get(
            fs.url("pub/pmc/PMC-ids.csv.gz"), headers={"Range": "bytes=70000-"}, timeout=5
        )
        assert (part.status_code, part.content) == (206, BIG[70000:])
        assert part.headers["Content-Type"] == "application/x-gzip"
        assert requests.get(fs.url("pub/pmc/override.gz"), timeout=5).content == b"dict"
        for missing in ("pub/pmc", "pub/pmc/none.gz", "../secret.txt", "%2E%2E/secret.txt"):
            assert requests.get(fs.url(missing), timeout=5).status_code == 404, missing


def test_runs_alone_on_a_directory(tmp_path: Path) -> None:
    (tmp_path / "a.gz").write_bytes(b"abcdef")
    script = TESTS / "support" / "file_server.py"
    proc = subprocess.Popen(
        [sys.executable, str(script), "--root", str(tmp_path), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:") and base.endswith("/")
        got = requests.get(base + "a.gz", headers={"Range": "bytes=2-"}, timeout=5)
        assert (got.status_code, got.content) == (206, b"cdef")
    finally:
        proc.terminate()
        proc.wait(5)
