"""End to end: the installed `elinkcli check` and `elinkcli discover`, and the catalog's
name checks in `link`, against the fake E-utilities server.

Every test runs the console script as a subprocess with a cleaned environment and talks
only to the fake server on 127.0.0.1 (or to nothing: --offline against a closed port).
Expected rows come from the fake's oracle (`fake.links`, `fake.acheck`, `fake.has_linkout`,
the fake's EInfo naming) and from the bundled catalog, never from elinkcli's own output.

Pacing is real (a request start every 0.35 s without an API key), so tests keep their
request counts small.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence

import pytest
from conftest import TSV_HEADER, Row, fresh_cache_dir, parse_tsv, run_elinkcli
from support.fake_eutils import FakeEutils, Logged, Table
from support.fakes import chunks, edirect_message

from elinkcli.catalog import load_catalog

pytestmark = pytest.mark.e2e

CHECK_HEADER = ("source_db", "source_id", "check", "value", "source_uid")
NAME_HEADER = (
    "source_db",
    "linkname",
    "target_db",
    "menu",
    "description",
    "max_links",
    "attested_by",
)
RECORD_HEADER = (
    "source_db",
    "source_id",
    "linkname",
    "target_db",
    "menu",
    "priority",
    "linkout",
    "max_links",
    "source_uid",
)
# A port nothing listens on: any request would fail at once.
DOWN_URL = "http://127.0.0.1:9/entrez/eutils/"
IDS = [str(n) for n in range(1, 13)]


# --- helpers ------------------------------------------------------------------------------


def table_rows(text: str, header: Sequence[str]) -> list[Row]:
    lines = text.splitlines()
    assert lines, "no output at all, not even the header line"
    assert tuple(lines[0].split("\t")) == tuple(header), lines[0]
    return [tuple(line.split("\t")) for line in lines[1:]]


def elink_requests(fake: FakeEutils) -> list[Logged]:
    return sorted(fake.requests_to("/elink.fcgi"), key=lambda r: r.start)


def warnings(stderr: str) -> list[str]:
    prefix = "elinkcli: warning: "
    return [line[len(prefix) :] for line in stderr.splitlines() if line.startswith(prefix)]


def assert_usage_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, proc
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("elinkcli: error: ")]
    assert len(errors) == 1, proc.stderr
    return errors[0]


def add_protein_neighbors(fake: FakeEutils) -> None:
    """A protein -> protein table (the default tables have none): multiples of 3 have one."""
    fake.tables["protein_protein"] = Table(
        "protein", "protein", lambda u: [str(int(u) + 900_000)] if int(u) % 3 == 0 else []
    )


def check_value(fake: FakeEutils, db: str, uid: str, how: str) -> str:
    """The oracle: Y or N as NCBI (the fake) has it."""
    if how == "ncheck":
        has = bool(fake.links(db, uid, db))
    elif how == "lcheck":
        has = fake.has_linkout(uid)
    else:
        has = any(name == how for name, _dbto, _targets in fake.acheck(db, uid))
    return "Y" if has else "N"


def check_rows(fake: FakeEutils, db: str, ids: Sequence[str], how: str) -> list[Row]:
    return [(db, uid, how, check_value(fake, db, uid, how), uid.lstrip("0") or "0") for uid in ids]


def link_rows(fake: FakeEutils, db: str, ids: Sequence[str], target: str, name=None):
    return [
        (db, uid, linkname, dbto, t, "")
        for uid in ids
        for linkname, dbto, targets in fake.links(db, uid, target, name)
        for t in targets
    ]


def max_links_text(name: str) -> str:
    cap = load_catalog().max_links(name)
    return "" if cap is None else str(cap)


def fake_einfo_rows(fake: FakeEutils, db: str) -> dict[str, Row]:
    """The fake's EInfo LinkList (one Link per table from db, '<name> menu' and
    '<name> description'), as discover rows attested by EInfo."""
    from_db = {li.name for li in load_catalog().from_db(db)}
    return {
        name: (
            db,
            name,
            table.dbto,
            f"{name} menu",
            f"{name} description",
            max_links_text(name),
            "einfo+catalog" if name in from_db else "einfo",
        )
        for name, table in fake.tables.items()
        if table.dbfrom == db
    }


def catalog_rows(db: str) -> dict[str, Row]:
    return {
        li.name: (
            db,
            li.name,
            li.dbto,
            li.menu,
            li.description,
            "" if li.max_links is None else str(li.max_links),
            "catalog",
        )
        for li in load_catalog().from_db(db)
    }


def record_rows(fake: FakeEutils, db: str, ids: Sequence[str], target=None) -> list[Row]:
    """discover -id: the fake's acheck answer per id (menu '<name> menu', priority 128,
    plus a LinkOut entry with priority 255 for even ids)."""
    rows: list[Row] = []
    for uid in ids:
        for name, dbto, _targets in fake.acheck(db, uid):
            rows.append(
                (db, uid, name, dbto, f"{name} menu", "128", "N", max_links_text(name), uid)
            )
        if fake.has_linkout(uid):
            rows.append((db, uid, "ExternalLink", "LinkOut", "LinkOut", "255", "Y", "", uid))
    return [r for r in rows if target is None or r[3] == target]


# --- check --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("db", "option", "how"),
    [
        ("protein", ("-cmd", "ncheck"), "ncheck"),
        ("gene", ("--cmd", "lcheck"), "lcheck"),
        ("gene", ("-name", "gene_pubmed"), "gene_pubmed"),
    ],
    ids=["ncheck", "lcheck", "name"],
)
def test_check_rows_equal_the_oracle_one_id_param_per_id(fake, run, db, option, how):
    add_protein_neighbors(fake)
    proc = run("check", "-db", db, *option, "--batch", "5", "--id", ",".join(IDS))

    assert proc.returncode == 0, proc
    assert proc.stderr == ""
    expected = check_rows(fake, db, IDS, how)
    assert {r[3] for r in expected} == {"Y", "N"}  # the ids give both answers
    assert table_rows(proc.stdout, CHECK_HEADER) == expected
    requests = elink_requests(fake)
    assert sorted(r.values("id") for r in requests) == sorted(chunks(IDS, 5))
    cmd = how if how in ("ncheck", "lcheck") else "acheck"
    for r in requests:
        assert (r.get("dbfrom"), r.get("cmd")) == (db, cmd)
    # Paced like every other request: at most 3 starts in any window (1.2 s, less the
    # server's arrival jitter), on the server's clock.
    starts = [r.start for r in requests]
    assert max(sum(1 for s in starts if a <= s < a + 1.0) for a in starts) <= 3


@pytest.mark.parametrize("only", ["yes", "no"])
def test_only_keeps_matching_rows(fake, run, only):
    proc = run("check", "-db", "gene", "-cmd", "lcheck", "--only", only, "--id", ",".join(IDS))

    assert proc.returncode == 0, proc
    keep = "Y" if only == "yes" else "N"
    expected = [r for r in check_rows(fake, "gene", IDS, "lcheck") if r[3] == keep]
    assert expected
    assert table_rows(proc.stdout, CHECK_HEADER) == expected


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_check_json_formats(fake, run, fmt):
    proc = run("check", "-db", "gene", "-cmd", "lcheck", "--format", fmt, "--id", "1,2,3")

    assert proc.returncode == 0, proc
    expected = [
        dict(zip(CHECK_HEADER, r, strict=True))
        for r in check_rows(fake, "gene", ["1", "2", "3"], "lcheck")
    ]
    if fmt == "json":
        assert json.loads(proc.stdout) == expected
    else:
        assert [json.loads(line) for line in proc.stdout.splitlines()] == expected


def test_only_yes_uid_piped_into_link(fake, run):
    args = ("check", "-db", "gene", "-name", "gene_protein_refseq", "--only", "yes")
    proc = run(*args, "--format", "uid", "--id", ",".join(IDS))

    assert proc.returncode == 0, proc
    yes = [r[1] for r in check_rows(fake, "gene", IDS, "gene_protein_refseq") if r[3] == "Y"]
    assert yes and len(yes) < len(IDS)
    assert proc.stdout.splitlines() == yes

    n = len(fake.log)
    linked = run(
        "link", "-db", "gene", "-target", "protein", "-name", "gene_protein_refseq",
        stdin=proc.stdout.encode(),
    )  # fmt: skip

    assert linked.returncode == 0, linked
    (request,) = [r for r in fake.log[n:] if r.path.endswith("/elink.fcgi")]
    assert request.values("id") == yes
    expected = link_rows(fake, "gene", yes, "protein", "gene_protein_refseq")
    assert expected and parse_tsv(linked.stdout) == expected


@pytest.mark.parametrize("form", ["plain", "message", "elinkcli-tsv"])
def test_check_ids_from_stdin(fake, run, form):
    if form == "plain":
        db, ids = "gene", IDS[:6]
        stdin = "".join(f"{i}\n" for i in ids).encode()
        args = ("-db", "gene")
    elif form == "message":
        db, ids = "gene", IDS[:6]
        stdin = edirect_message("gene", ids)
        args = ()
    else:
        # What `elinkcli link -db gene -target protein` writes: its target ids are read.
        rows = link_rows(fake, "gene", IDS[:4], "protein", "gene_protein_refseq")
        db, ids = "protein", [r[4] for r in rows]
        lines = ["\t".join(TSV_HEADER), *("\t".join((*r, r[1], "")) for r in rows)]
        stdin = ("\n".join(lines) + "\n").encode()
        args = ()
    assert len(set(ids)) == len(ids) > 3
    proc = run("check", *args, "-cmd", "lcheck", "--format", "tsv", stdin=stdin)

    assert proc.returncode == 0, proc
    assert table_rows(proc.stdout, CHECK_HEADER) == check_rows(fake, db, ids, "lcheck")
    (request,) = elink_requests(fake)
    assert request.values("id") == ids
    assert request.get("dbfrom") == db


def test_check_message_in_message_out_with_the_matching_ids(fake, run):
    ids = IDS[:8]
    proc = run(
        "check", "-cmd", "lcheck", "--only", "yes", stdin=edirect_message("gene", ids, Step=3)
    )

    assert proc.returncode == 0, proc
    yes = [i for i in ids if fake.has_linkout(i)]
    assert "<Db>gene</Db>" in proc.stdout
    assert f"<Count>{len(yes)}</Count>" in proc.stdout
    assert "<Step>4</Step>" in proc.stdout
    assert [line.strip()[4:-5] for line in proc.stdout.splitlines() if "<Id>" in line] == yes


def test_check_history_message_on_stdin(fake, run):
    ids = IDS[:5]
    webenv, key = fake.store("gene", ids)
    stdin = edirect_message("gene", (), WebEnv=webenv, QueryKey=key, Count=len(ids))
    proc = run("check", "-cmd", "lcheck", "--format", "tsv", stdin=stdin)

    assert proc.returncode == 0, proc
    assert table_rows(proc.stdout, CHECK_HEADER) == check_rows(fake, "gene", ids, "lcheck")


def test_a_history_set_past_a_window_is_checked_as_it_is_read(fake, run):
    """45,000 ids: read a page of 10,000 at a time and checked 20,000 at a time (checks are
    asked before the last page is read; memory follows a window); every row, in order."""
    ids = [str(n) for n in range(700_001, 745_001)]
    webenv, key = fake.store("gene", ids)
    stdin = edirect_message("gene", (), WebEnv=webenv, QueryKey=key, Count=len(ids))
    proc = run(
        "check", "-cmd", "lcheck", "--batch", "1000", "--format", "tsv",
        stdin=stdin, env={"NCBI_API_KEY": "history-window-key"}, timeout=120,
    )  # fmt: skip

    assert proc.returncode == 0, proc
    order = [r.path.rsplit("/", 1)[-1] for r in fake.log]
    pages = [r.get("retstart") for r in fake.log if r.path.endswith("/efetch.fcgi")]
    assert pages == ["0", "10000", "20000", "30000", "40000"]
    assert order.index("elink.fcgi") < max(i for i, e in enumerate(order) if e == "efetch.fcgi")
    assert table_rows(proc.stdout, CHECK_HEADER) == check_rows(fake, "gene", ids, "lcheck")


@pytest.mark.parametrize(
    "option",
    [(), ("-cmd", "ncheck", "-name", "gene_pubmed"), ("-cmd", "acheck")],
    ids=["neither", "both", "not-a-check-cmd"],
)
def test_check_needs_exactly_one_of_cmd_or_name(fake, run, option):
    proc = run("check", "-db", "gene", *option, "--id", "1,2")

    assert_usage_error(proc)
    assert proc.stdout == ""
    assert fake.log == []


def test_id_not_echoed_gets_an_empty_value_and_a_warning(fake, run):
    ids = IDS[:6]
    silent = ids[3]
    fake.silent_ids = {silent}
    proc = run("check", "-db", "gene", "-cmd", "lcheck", "--id", ",".join(ids))

    assert proc.returncode == 0, proc
    expected = [
        ("gene", i, "lcheck", "" if i == silent else check_value(fake, "gene", i, "lcheck"), i)
        for i in ids
    ]
    assert table_rows(proc.stdout, CHECK_HEADER) == expected
    (warning,) = warnings(proc.stderr)
    assert silent in warning.split(": ")[-1].split(",")
    assert "did not answer" in warning


def test_check_name_from_another_database_is_warned_about_but_asked(fake, run):
    proc = run("check", "-db", "pubmed", "-name", "gene_pubmed", "--id", "1,2,3")

    assert proc.returncode == 0, proc
    (warning,) = warnings(proc.stderr)
    assert "gene_pubmed" in warning and "pubmed" in warning
    assert load_catalog().get("gene_pubmed").dbfrom in warning
    assert table_rows(proc.stdout, CHECK_HEADER) == check_rows(
        fake, "pubmed", ["1", "2", "3"], "gene_pubmed"
    )
    assert len(elink_requests(fake)) == 1


# --- discover: link names -----------------------------------------------------------------


def test_discover_merges_einfo_with_the_catalog(fake, run):
    # One table the catalog cannot know: attested by EInfo alone.
    fake.tables["gene_brand_new"] = Table("gene", "protein", lambda u: [u])
    proc = run("discover", "-db", "gene")

    assert proc.returncode == 0, proc
    merged = {**catalog_rows("gene"), **fake_einfo_rows(fake, "gene")}
    rows = table_rows(proc.stdout, NAME_HEADER)
    assert rows == [merged[name] for name in sorted(merged)]
    attested = {r[1]: r[6] for r in rows}
    in_catalog = {li.name for li in load_catalog().from_db("gene")}
    fake_gene = {n for n, t in fake.tables.items() if t.dbfrom == "gene"}
    assert {n for n, a in attested.items() if a == "einfo+catalog"} == fake_gene & in_catalog
    assert {n for n, a in attested.items() if a == "einfo"} == {"gene_brand_new"}
    assert {n for n, a in attested.items() if a == "catalog"} == in_catalog - fake_gene
    (request,) = fake.requests_to("/einfo.fcgi")
    assert (request.get("db"), request.get("version")) == ("gene", "2.0")
    assert elink_requests(fake) == []


def test_discover_target_filters(fake, run):
    fake.tables["gene_pubmed_brand_new"] = Table("gene", "pubmed", lambda u: [u])
    proc = run("discover", "-db", "gene", "--target", "pubmed")

    assert proc.returncode == 0, proc
    merged = {**catalog_rows("gene"), **fake_einfo_rows(fake, "gene")}
    expected = [merged[n] for n in sorted(merged) if merged[n][2] == "pubmed"]
    assert {r[6] for r in expected} == {"einfo", "einfo+catalog", "catalog"}
    assert table_rows(proc.stdout, NAME_HEADER) == expected


@pytest.mark.parametrize("target", [None, "protein"])
def test_discover_offline_with_the_server_down(target):
    extra = ("--target", target) if target else ()
    proc = run_elinkcli("discover", "-db", "gene", "--offline", "-v", *extra, base_url=DOWN_URL)

    assert proc.returncode == 0, proc
    rows = catalog_rows("gene")
    expected = [rows[n] for n in sorted(rows) if target is None or rows[n][2] == target]
    assert expected
    assert table_rows(proc.stdout, NAME_HEADER) == expected
    assert load_catalog().built in proc.stderr


def test_discover_offline_json_has_the_catalog_values():
    proc = run_elinkcli(
        "discover", "-db", "gene", "--offline", "--format", "json", base_url=DOWN_URL
    )

    assert proc.returncode == 0, proc
    catalog = load_catalog()
    expected = [
        {
            "source_db": "gene",
            "linkname": li.name,
            "target_db": li.dbto,
            "menu": li.menu,
            "description": li.description,
            "max_links": li.max_links,
            "attested_by": "catalog",
        }
        for li in sorted(catalog.from_db("gene"), key=lambda li: li.name)
    ]
    assert json.loads(proc.stdout) == expected


def test_discover_offline_needs_no_usable_base_url():
    proc = run_elinkcli(
        "discover", "-db", "gene", "--offline", env={"ELINKCLI_BASE_URL": "not-a-url"}
    )

    assert proc.returncode == 0, proc
    rows = catalog_rows("gene")
    assert table_rows(proc.stdout, NAME_HEADER) == [rows[n] for n in sorted(rows)]


# --- discover: per record -----------------------------------------------------------------


def test_discover_records_equal_the_acheck_oracle(fake, run):
    ids = IDS[:6]
    proc = run("discover", "-db", "gene", "-id", ",".join(ids))

    assert proc.returncode == 0, proc
    expected = record_rows(fake, "gene", ids)
    assert {r[6] for r in expected} == {"Y", "N"}
    assert table_rows(proc.stdout, RECORD_HEADER) == expected
    (request,) = elink_requests(fake)
    assert (request.get("dbfrom"), request.get("cmd")) == ("gene", "acheck")
    assert request.values("id") == ids


def test_discover_records_from_stdin_with_target(fake, run):
    ids = IDS[:6]
    stdin = "".join(f"{i}\n" for i in ids).encode()
    proc = run("discover", "-db", "gene", "--target", "pubmed", stdin=stdin)

    assert proc.returncode == 0, proc
    expected = record_rows(fake, "gene", ids, target="pubmed")
    assert expected
    assert table_rows(proc.stdout, RECORD_HEADER) == expected


def test_discover_history_message_on_stdin(fake, run):
    ids = IDS[:4]
    webenv, key = fake.store("gene", ids)
    stdin = edirect_message("gene", (), WebEnv=webenv, QueryKey=key, Count=len(ids))
    proc = run("discover", stdin=stdin)

    assert proc.returncode == 0, proc
    assert table_rows(proc.stdout, RECORD_HEADER) == record_rows(fake, "gene", ids)


@pytest.mark.parametrize("how", ["option", "stdin"])
def test_discover_offline_with_ids_answers_from_the_cache_only(fake, run, how):
    """--offline with ids: cached records are answered, the others named, exit 4, no request."""
    cache = fresh_cache_dir()
    env = {"ELINKCLI_CACHE_DIR": cache}
    warm = run("discover", "-db", "gene", "-id", "1", env=env)
    assert warm.returncode == 0, warm
    asked_before = len(fake.log)
    if how == "option":
        proc = run("discover", "-db", "gene", "--offline", "-id", "1,2", env=env)
    else:
        proc = run("discover", "-db", "gene", "--offline", stdin=b"1\n2\n", env=env)

    assert proc.returncode == 4, proc
    assert len(fake.log) == asked_before
    assert table_rows(proc.stdout, RECORD_HEADER) == record_rows(fake, "gene", ["1"])
    assert proc.stderr.strip().splitlines()[-1].endswith("not in the cache: 2")


# --- names: suggestions, --strict ---------------------------------------------------------


def test_misspelled_link_name_warns_and_is_still_asked(fake, run):
    proc = run(
        "link", "-db", "gene", "-target", "protein", "-name", "gene_protein_refsq", "-id", "1,2"
    )

    assert "did you mean gene_protein_refseq" in proc.stderr
    (request,) = elink_requests(fake)
    assert request.get("linkname") == "gene_protein_refsq"
    # The fake, like NCBI, rejects a link name it does not have.
    assert proc.returncode == 3, proc


def test_misspelled_link_name_with_strict_is_refused_before_any_request(fake, run):
    proc = run(
        "link", "-db", "gene", "-target", "protein", "-name", "gene_protein_refsq",
        "--strict", "-id", "1,2",
    )  # fmt: skip

    error = assert_usage_error(proc)
    assert "did you mean gene_protein_refseq" in error
    assert fake.log == []


@pytest.mark.parametrize(
    "args",
    [
        ("link", "-db", "gened", "-target", "protein", "-id", "1"),
        ("check", "-db", "gened", "-cmd", "ncheck", "-id", "1"),
        ("discover", "-db", "gened"),
        ("discover", "-db", "gened", "-id", "1"),
    ],
    ids=["link", "check", "discover", "discover-records"],
)
def test_unknown_database_with_strict_is_refused(fake, run, args):
    proc = run(*args, "--strict")

    error = assert_usage_error(proc)
    assert "did you mean gene" in error
    assert fake.log == []


def test_unknown_database_without_strict_is_warned_about_and_asked(fake, run):
    proc = run("discover", "-db", "gened")

    (warning,) = warnings(proc.stderr)
    assert "gened" in warning and "did you mean gene" in warning
    (request,) = fake.requests_to("/einfo.fcgi")
    assert request.get("db") == "gened"
    assert proc.returncode == 3, proc  # the fake's EInfo ERROR: rejected by "NCBI"


def test_link_name_to_another_target_is_warned_about(fake, run):
    proc = run(
        "link", "-db", "gene", "-target", "nuccore", "-name", "gene_protein_refseq", "-id", "1"
    )

    assert proc.returncode == 0, proc
    (warning,) = warnings(proc.stderr)
    assert "gene_protein_refseq" in warning
    assert load_catalog().get("gene_protein_refseq").dbto in warning and "nuccore" in warning
    (request,) = elink_requests(fake)
    assert request.get("db") == "nuccore"


def test_link_name_without_target_takes_it_from_the_catalog(fake, run):
    ids = IDS[:5]
    proc = run("link", "-db", "gene", "-name", "gene_protein_refseq", "-id", ",".join(ids))

    assert proc.returncode == 0, proc
    target = load_catalog().get("gene_protein_refseq").dbto
    (request,) = elink_requests(fake)
    assert request.get("db") == target
    expected = link_rows(fake, "gene", ids, target, "gene_protein_refseq")
    assert expected and parse_tsv(proc.stdout) == expected


def test_link_count_at_the_cap_is_warned_about(fake, run):
    cap = load_catalog().max_links("gene_protein_refseq")
    assert cap is not None
    sizes = {"41": 2, "42": cap, "43": cap - 1}
    fake.tables["gene_protein_refseq"] = Table(
        "gene",
        "protein",
        lambda u: [str(10_000_000 * int(u) + j) for j in range(sizes.get(u, 0))],
    )
    proc = run(
        "link", "-db", "gene", "-target", "protein", "-name", "gene_protein_refseq",
        "-id", "41,42,43",
    )  # fmt: skip

    assert proc.returncode == 0, proc
    expected = link_rows(fake, "gene", ["41", "42", "43"], "protein", "gene_protein_refseq")
    assert len(expected) == sum(sizes.values())
    assert parse_tsv(proc.stdout) == expected
    (warning,) = warnings(proc.stderr)
    assert warning.startswith("42:")
    assert "gene_protein_refseq" in warning and str(cap) in warning
    assert "probably cut off by NCBI" in warning
