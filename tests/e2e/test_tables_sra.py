"""End to end: NCBI's SRA_Accessions.tab (support.sra_files) served on 127.0.0.1, loaded by
`elinkcli tables get sra_accessions`, and `link`/`check --from tables` answered from it in
accessions, as the model's oracle says, with no request to E-utilities.

Every expected value comes from the model (`oracle`, `runs`, its experiments), from the
file server's log or from the fake E-utilities' model, never from elinkcli's output.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import assert_clean_error, run_elinkcli
from support.disks import tmpfs
from support.fake_eutils import FakeEutils, Table
from support.file_server import DEFAULT_LAST_MODIFIED, FileServer
from support.sra_files import (
    SRA_HEADER,
    SraModel,
    make_model,
    oracle,
    runs,
    sra_accessions_bytes,
)

pytestmark = pytest.mark.e2e

TABLE = "sra_accessions"
PATH = "sra/reports/Metadata/SRA_Accessions.tab"
ORIGIN = f"{TABLE} {DEFAULT_LAST_MODIFIED.date().isoformat()}"
LINKS = {
    "bioproject_sra": ("bioproject", "sra"),
    "biosample_sra": ("biosample", "sra"),
    "gds_sra": ("gds", "sra"),
    "sra_bioproject": ("sra", "bioproject"),
    "sra_biosample": ("sra", "biosample"),
}
INTO_SRA = [n for n, (_, dbto) in LINKS.items() if dbto == "sra"]
# An accession of each source database the model does not hold.
ABSENT = {"bioproject": "PRJNA999999", "biosample": "SAMN99999999", "gds": "GSM999999"}
ABSENT_SRA = ("SRX999999", "SRR9999999", "SRP999999")
COLUMNS = ("source_db", "source_id", "linkname", "target_db", "target_id", "score")
HEADER = "\t".join((*COLUMNS, "source_uid", "target_acc", "source"))

Row = tuple[str, ...]


# --- the model --------------------------------------------------------------------------


def live_rows(model: SraModel) -> int:
    """What the table keeps: one row per live run and one per live experiment."""
    live = model.live()
    return len(live) + sum(1 for e in live for _, status in e.runs if status == "live")


def not_live_tokens(model: SraModel, linkname: str) -> list[str]:
    """Accessions of the link's source kind that only name experiments not live."""
    known = oracle(model, linkname)
    dead = [e for e in model.experiments if e.status != "live"]
    kind = {
        "bioproject_sra": lambda e: [e.bioproject],
        "biosample_sra": lambda e: [e.biosample],
        "gds_sra": lambda e: [e.gsm] if e.gsm else [],
        "sra_bioproject": lambda e: [e.acc, *(r for r, _ in e.runs)],
        "sra_biosample": lambda e: [e.acc, *(r for r, _ in e.runs)],
    }[linkname]
    return sorted({t for e in dead for t in kind(e) if t not in known})


def mixed(token: str, n: int) -> str:
    """Every other token in lower case (the table takes any case)."""
    return token.lower() if n % 2 else token


def sample_tokens(model: SraModel, linkname: str, k: int = 9) -> list[str]:
    """Tokens of `linkname`'s source kind: an even spread of the oracle's sources (every
    other one in lower case), accessions not live and ones the model does not hold."""
    known = sorted(oracle(model, linkname))
    step = max(1, len(known) // k)
    chosen = [mixed(t, n) for n, t in enumerate(known[::step][:k])]
    dbfrom = LINKS[linkname][0]
    absent = list(ABSENT_SRA) if dbfrom == "sra" else [ABSENT[dbfrom]]
    tokens = [*chosen, *not_live_tokens(model, linkname)[:2], *absent]
    # Absent and dead tokens in between the others, not only at the end.
    return tokens[1::2] + tokens[0::2]


def expected(model: SraModel, linkname: str, tokens: Sequence[str], idtype: str = "") -> list[Row]:
    """`link --from tables` rows of `tokens` as the model says: source_id as typed,
    source_uid upper case, targets ascending; --idtype run: one row per live run of each
    experiment (one with no run when it has none); acc: target_acc = target_id."""
    dbfrom, dbto = LINKS[linkname]
    table = oracle(model, linkname)
    experiment_runs = runs(model)
    rows: list[Row] = []
    for token in tokens:
        for target in table.get(token.upper(), []):
            if idtype == "run":
                accs = experiment_runs[target] or [""]
            elif idtype == "acc":
                accs = [target]
            else:
                accs = [""]
            for acc in accs:
                rows.append((dbfrom, token, linkname, dbto, target, "", token.upper(), acc, ORIGIN))
    return rows


def tsv_rows(text: str) -> list[Row]:
    lines = text.splitlines()
    assert lines and lines[0] == HEADER, text[:300]
    rows = [tuple(line.split("\t")) for line in lines[1:]]
    assert all(len(r) == 9 for r in rows), rows[:3]
    return rows


# --- the servers and a tables directory ---------------------------------------------------


@dataclass
class Site:
    model: SraModel
    data: bytes
    fs: FileServer
    fake: FakeEutils
    tables_dir: Path

    def env(self, extra: Mapping[str, str | None] | None = None) -> dict[str, str | None]:
        return {
            "ELINKCLI_TABLES_DIR": str(self.tables_dir),
            "ELINKCLI_TABLES_URL": self.fs.base_url,
            "ELINKCLI_LINKS_FROM": None,
            **(extra or {}),
        }

    def run(
        self, *args: str, stdin: bytes | None = None, env: Mapping[str, str | None] | None = None
    ) -> subprocess.CompletedProcess:
        proc = run_elinkcli(*args, base_url=self.fake.base_url, stdin=stdin, env=self.env(env))
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc

    def get(self) -> subprocess.CompletedProcess:
        return self.run("tables", "get", TABLE)

    def link(self, linkname: str, tokens: Sequence[str], *more: str) -> subprocess.CompletedProcess:
        dbfrom, dbto = LINKS[linkname]
        argv = ("link", "-db", dbfrom, "-target", dbto, "-name", linkname)
        return self.run(*argv, "-id", ",".join(tokens), "--from", "tables", *more)

    def listed(self) -> dict[str, dict]:
        proc = self.run("tables", "list", "--json")
        assert proc.returncode == 0, proc.stderr
        return {entry["name"]: entry for entry in json.loads(proc.stdout)}

    def gets(self) -> int:
        return len(self.fs.requests_to(PATH, "GET"))


@contextlib.contextmanager
def make_site(root: Path, model: SraModel | None = None) -> Iterator[Site]:
    model = model or make_model()
    data = sra_accessions_bytes(model)
    with FileServer({PATH: data}) as fs, FakeEutils() as fake:
        yield Site(model, data, fs, fake, root / "tables")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The model's table loaded once; the tests using it only read (and check that no
    request reached the fake E-utilities)."""
    with make_site(tmp_path_factory.mktemp("sra")) as site:
        proc = site.get()
        assert proc.returncode == 0, proc.stderr
        yield site


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with make_site(tmp_path) as here:
        yield here


@pytest.fixture
def quiet(world: Site) -> Iterator[Site]:
    """`world`, asserting that the test sent nothing to E-utilities."""
    before = len(world.fake.log)
    yield world
    assert world.fake.log[before:] == []


# --- get, list ------------------------------------------------------------------------------


def test_get_loads_live_runs_and_experiments(site: Site) -> None:
    assert b'"' in site.data and b"exp SRX" in site.data  # aliases with quotes and spaces
    proc = site.get()
    assert proc.returncode == 0, proc.stderr
    assert str(live_rows(site.model)) in proc.stderr and ORIGIN in proc.stderr
    assert site.gets() == 1
    entry = site.listed()[TABLE]
    assert entry["loaded"] is True
    assert entry["rows"] == live_rows(site.model)
    assert entry["upstream_date"] == DEFAULT_LAST_MODIFIED.date().isoformat()
    assert set(entry["answers"]) == set(LINKS)
    assert site.fake.log == []


# --- link --from tables --------------------------------------------------------------------


@pytest.mark.parametrize("linkname", list(LINKS))
def test_link_from_tables_equals_the_oracle(quiet: Site, linkname: str) -> None:
    tokens = sample_tokens(quiet.model, linkname)
    proc = quiet.link(linkname, tokens)
    assert proc.returncode == 0, proc.stderr
    want = expected(quiet.model, linkname, tokens)
    assert tsv_rows(proc.stdout) == want
    assert any(r[1] != r[1].upper() for r in want), "some tokens typed in lower case"
    assert {t.upper() for t in tokens} - {r[6] for r in want}, "some tokens have no link"


@pytest.mark.parametrize("linkname", list(LINKS))
def test_link_from_tables_upper_case_tokens(quiet: Site, linkname: str) -> None:
    tokens = [t.upper() for t in sample_tokens(quiet.model, linkname)]
    proc = quiet.link(linkname, tokens)
    assert proc.returncode == 0, proc.stderr
    assert tsv_rows(proc.stdout) == expected(quiet.model, linkname, tokens)


@pytest.mark.parametrize("linkname", list(LINKS))
def test_one_lower_case_token_gives_each_row_once(quiet: Site, linkname: str) -> None:
    token = sorted(oracle(quiet.model, linkname))[0].lower()
    proc = quiet.link(linkname, [token])
    assert proc.returncode == 0, proc.stderr
    assert tsv_rows(proc.stdout) == expected(quiet.model, linkname, [token])


@pytest.mark.parametrize("linkname", list(LINKS))
def test_link_from_tables_offline(world: Site, linkname: str) -> None:
    tokens = sample_tokens(world.model, linkname)[:4]
    proc = world.link(linkname, [t.upper() for t in tokens], "--offline")
    assert proc.returncode == 0, proc.stderr
    assert tsv_rows(proc.stdout) == expected(world.model, linkname, [t.upper() for t in tokens])


def test_with_e_utilities_unreachable(world: Site) -> None:
    """Nothing listens on the E-utilities' port: the table answers all the same."""
    tokens = [t.upper() for t in sample_tokens(world.model, "sra_bioproject")]
    dbfrom, dbto = LINKS["sra_bioproject"]
    proc = run_elinkcli(
        *("link", "-db", dbfrom, "-target", dbto, "-id", ",".join(tokens), "--from", "tables"),
        base_url="http://127.0.0.1:9/",
        env=world.env(),
    )
    assert proc.returncode == 0, proc.stderr
    assert tsv_rows(proc.stdout) == expected(world.model, "sra_bioproject", tokens)


@pytest.mark.parametrize("linkname", INTO_SRA)
def test_idtype_run_one_row_per_live_run(quiet: Site, linkname: str) -> None:
    tokens = [t.upper() for t in sample_tokens(quiet.model, linkname)]
    proc = quiet.link(linkname, tokens, "--idtype", "run")
    assert proc.returncode == 0, proc.stderr
    want = expected(quiet.model, linkname, tokens, "run")
    assert tsv_rows(proc.stdout) == want
    assert any(r[7] for r in want)


def test_idtype_run_of_a_whole_project_is_runs_of_the_model(quiet: Site) -> None:
    """Every project: the runs listed per experiment are the model's live runs."""
    projects = sorted(oracle(quiet.model, "bioproject_sra"))
    proc = quiet.link("bioproject_sra", projects, "--idtype", "run")
    assert proc.returncode == 0, proc.stderr
    got: dict[str, list[str]] = {}
    for row in tsv_rows(proc.stdout):
        got.setdefault(row[4], [])
        if row[7]:
            got[row[4]].append(row[7])
    want = runs(quiet.model)
    assert got == want
    assert [] in want.values() and any(len(r) > 1 for r in want.values())


@pytest.mark.parametrize("linkname", list(LINKS))
def test_idtype_acc_fills_target_acc(quiet: Site, linkname: str) -> None:
    tokens = [t.upper() for t in sample_tokens(quiet.model, linkname)]
    proc = quiet.link(linkname, tokens, "--idtype", "acc")
    assert proc.returncode == 0, proc.stderr
    assert tsv_rows(proc.stdout) == expected(quiet.model, linkname, tokens, "acc")


@pytest.mark.parametrize(
    ("linkname", "token"),
    [("bioproject_sra", "5000"), ("sra_bioproject", "123"), ("gds_sra", "GSE100")],
)
def test_a_uid_or_a_token_the_table_cannot_hold_is_exit_3(
    quiet: Site, linkname: str, token: str
) -> None:
    good = sorted(oracle(quiet.model, linkname))[0]
    proc = quiet.link(linkname, [good, token])
    line = assert_clean_error(proc, 3)
    assert token in line
    assert tsv_rows(proc.stdout) == expected(quiet.model, linkname, [good])


def test_auto_asks_elink_not_the_table(world: Site) -> None:
    """A loaded sra_accessions never answers in --from auto (the default): ELink does,
    in UIDs."""
    project = sorted(oracle(world.model, "bioproject_sra"))[0]
    fake = world.fake
    fake.add_record("bioproject", 5000, project)
    fake.tables["bioproject_sra"] = Table("bioproject", "sra", lambda u: ["8100002", "8100001"])
    before = len(fake.log)
    proc = world.run("link", "-db", "bioproject", "-target", "sra", "-id", project)
    assert proc.returncode == 0, proc.stderr
    assert TABLE not in proc.stdout
    lines = proc.stdout.splitlines()
    rows = [tuple(line.split("\t")) for line in lines[1:]]
    want = [
        ("bioproject", project, "bioproject_sra", "sra", t, "", "5000", "")
        for _, _, targets in fake.links("bioproject", "5000", "sra", "bioproject_sra")
        for t in targets
    ]
    assert [r[:8] for r in rows] == want and want
    assert any(r.path.endswith("elink.fcgi") for r in fake.log[before:])


# --- output forms -------------------------------------------------------------------------------


def test_json_output(quiet: Site) -> None:
    tokens = [t.upper() for t in sample_tokens(quiet.model, "biosample_sra")]
    proc = quiet.link("biosample_sra", tokens, "-format", "json")
    assert proc.returncode == 0, proc.stderr
    keys = HEADER.split("\t")
    want = [
        {
            k: (v if v or k not in ("score", "target_acc") else None)
            for k, v in zip(keys, row, strict=True)
        }
        for row in expected(quiet.model, "biosample_sra", tokens)
    ]
    assert json.loads(proc.stdout) == want


def test_output_file(quiet: Site, tmp_path: Path) -> None:
    tokens = sample_tokens(quiet.model, "gds_sra")
    out = tmp_path / "out.tsv"
    proc = quiet.link("gds_sra", [t.upper() for t in tokens], "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    want = expected(quiet.model, "gds_sra", [t.upper() for t in tokens])
    assert tsv_rows(out.read_text()) == want


def test_ids_from_stdin(quiet: Site) -> None:
    tokens = [t.upper() for t in sample_tokens(quiet.model, "bioproject_sra")]
    proc = quiet.run(
        *("link", "-db", "bioproject", "-target", "sra", "--from", "tables"),
        stdin="".join(f"{t}\n" for t in tokens).encode(),
    )
    assert proc.returncode == 0, proc.stderr
    assert tsv_rows(proc.stdout) == expected(quiet.model, "bioproject_sra", tokens)


def test_lower_case_ids_from_stdin(quiet: Site) -> None:
    tokens = sample_tokens(quiet.model, "sra_bioproject")
    assert any(t != t.upper() for t in tokens)
    proc = quiet.run(
        *("link", "-db", "sra", "-target", "bioproject", "--from", "tables"),
        stdin="".join(f"{t}\n" for t in tokens).encode(),
    )
    assert proc.returncode == 0, proc.stderr
    assert tsv_rows(proc.stdout) == expected(quiet.model, "sra_bioproject", tokens)


def test_check_answers_y_or_n(quiet: Site) -> None:
    tokens = [t.upper() for t in sample_tokens(quiet.model, "bioproject_sra")]
    proc = quiet.run(
        *("check", "-db", "bioproject", "--name", "bioproject_sra", "--from", "tables"),
        *("-id", ",".join(tokens), "-format", "tsv"),
    )
    assert proc.returncode == 0, proc.stderr
    has = oracle(quiet.model, "bioproject_sra")
    lines = proc.stdout.splitlines()
    assert lines[0].split("\t")[:4] == ["source_db", "source_id", "check", "value"]
    got = [tuple(line.split("\t")[:4]) for line in lines[1:]]
    want = [("bioproject", t, "bioproject_sra", "Y" if has.get(t) else "N") for t in tokens]
    assert got == want
    assert {"Y", "N"} == {r[3] for r in want}


def test_compare_does_not_apply(quiet: Site) -> None:
    proc = quiet.run("tables", "compare", TABLE, "--sample", "3")
    line = assert_clean_error(proc, 2)
    assert "compare does not apply" in line and TABLE in line


# --- broken files -----------------------------------------------------------------------------


def replace_file(site: Site, data: bytes) -> None:
    """A new upstream file, a day later than the one served before."""
    site.fs.put(PATH, data, last_modified=DEFAULT_LAST_MODIFIED + timedelta(days=1))


def lines_of(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def still_answers(site: Site) -> None:
    linkname = "bioproject_sra"
    tokens = sorted(oracle(site.model, linkname))[:2]
    proc = site.link(linkname, tokens)
    assert proc.returncode == 0, proc.stderr
    assert tsv_rows(proc.stdout) == expected(site.model, linkname, tokens)


def test_a_renamed_column_keeps_the_previous_table(site: Site) -> None:
    assert site.get().returncode == 0
    header = SRA_HEADER.replace("BioProject", "Bioproject_id").encode()
    replace_file(site, header + site.data[site.data.index(b"\n") :])
    proc = site.get()
    line = assert_clean_error(proc, proc.returncode)
    assert proc.returncode != 0
    assert "Bioproject_id" in line or "BioProject" in line
    assert "still in use" in line
    assert site.gets() == 2
    assert site.listed()[TABLE]["upstream_date"] == DEFAULT_LAST_MODIFIED.date().isoformat()
    still_answers(site)


def cut_mid_line(data: bytes) -> bytes:
    """The file cut in the middle of its last line's fields."""
    last = data.rindex(b"\n", 0, len(data) - 1)
    cut = data.index(b"\t", last + 1) + 3
    assert data[cut - 1 : cut] != b"\n"
    return data[:cut]


def test_a_file_cut_mid_line_is_a_clear_error(site: Site) -> None:
    replace_file(site, cut_mid_line(site.data))
    proc = site.get()
    line = assert_clean_error(proc, proc.returncode)
    assert TABLE in line
    assert site.listed()[TABLE]["loaded"] is False


def test_one_short_download_is_tried_again(site: Site) -> None:
    site.fs.add_faults(PATH, "short-length")
    proc = site.get()
    assert proc.returncode == 0, proc.stderr
    assert site.gets() == 2
    assert site.listed()[TABLE]["rows"] == live_rows(site.model)


def test_short_downloads_every_time_are_a_clear_error(site: Site) -> None:
    site.fs.add_faults(PATH, *["short-length"] * 30)
    proc = site.get()
    line = assert_clean_error(proc, proc.returncode)
    assert PATH in line and "no table was loaded" in line
    assert site.listed()[TABLE]["loaded"] is False


def test_a_line_of_19_fields_is_a_clear_error(site: Site) -> None:
    assert site.get().returncode == 0
    lines = lines_of(site.data)
    middle = len(lines) // 2
    fields = lines[middle].split(b"\t")
    assert len(fields) == 20
    lines[middle] = b"\t".join(fields[:19])
    replace_file(site, b"\n".join(lines))
    proc = site.get()
    line = assert_clean_error(proc, proc.returncode)
    assert TABLE in line and "still in use" in line
    still_answers(site)


# --- the disk check -----------------------------------------------------------------------------


def test_too_small_a_disk_is_refused_before_the_download(site: Site, tmp_path: Path) -> None:
    small = tmp_path / "small"
    with tmpfs(small, "size=16k"):
        need = len(site.data) * 1.25
        assert need > 16 * 1024
        proc = site.run("tables", "get", TABLE, env={"ELINKCLI_TABLES_DIR": str(small)})
        line = assert_clean_error(proc, proc.returncode)
        assert f"the file is {len(site.data) / 1000:.1f} KB (uncompressed)" in line
        assert "must be free" in line and "--dir" in line and str(small) in line
        assert site.gets() == 0
        assert not any(p.is_file() and p.stat().st_size for p in small.rglob("*"))
