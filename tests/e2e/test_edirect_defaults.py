"""End to end: where an EDirect user first meets elinkcli, it answers as EDirect's elink
does (docs/reference/edirect-compat.md): `-target` alone asks for `DB_TARGET`, `-cmd score`
alone links within the database, `-format acc` keeps ids without accessions and asks ELink
for the accessions, ELINKCLI_FORMAT sets the format into a pipe, scores survive a message
in, a single-dash word is never split into short options, and chain's `-id a b HOPS`
reads every id as an id. Expected ids come from the fake server's model (`fake.links`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import pytest
from conftest import assert_clean_error, parse_tsv
from defusedxml import ElementTree as SafeET
from support.fake_eutils import FakeEutils, Table
from support.terminal import on_terminal

pytestmark = pytest.mark.e2e

KEY = {"NCBI_API_KEY": "e2e0123456789abcdef0123456789abcdef"}
GENES = ("672", "7157", "675", "676")


def targets(fake: FakeEutils, dbfrom: str, ids: Sequence[str], db: str, name: str | None):
    """The distinct targets of `ids` in table `name` (None: every table), in order."""
    return list(
        dict.fromkeys(
            t for uid in ids for _n, _d, ts in fake.links(dbfrom, uid, db, name) for t in ts
        )
    )


def message(db: str, ids: Sequence[str]) -> bytes:
    inner = "".join(f"  <Id>{i}</Id>\n" for i in ids)
    return (
        f"<ENTREZ_DIRECT>\n  <Db>{db}</Db>\n  <Count>{len(ids)}</Count>\n  <Step>1</Step>\n"
        f"{inner}</ENTREZ_DIRECT>\n"
    ).encode()


def message_ids(text: str) -> list[str]:
    root = SafeET.fromstring(text)
    assert root.tag == "ENTREZ_DIRECT", text
    return [el.text or "" for el in root.iterfind("Id")]


def linknames_sent(fake: FakeEutils) -> set[str | None]:
    return {r.get("linkname") for r in fake.requests_to("elink.fcgi")}


# --- -target alone: DB_TARGET, as EDirect; -name all: every table -------------------------


def test_target_alone_asks_for_db_target_as_edirect(fake, run) -> None:
    """epost -db gene -id ... | elink -target protein: EDirect asks for gene_protein."""
    proc = run("link", "-target", "protein", stdin=message("gene", GENES), env=KEY)
    assert proc.returncode == 0, proc.stderr
    assert message_ids(proc.stdout) == targets(fake, "gene", GENES, "protein", "gene_protein")
    assert linknames_sent(fake) == {"gene_protein"}
    # Not a terminal, not -v: the choice is not talked about.
    assert proc.stderr == ""


def test_verbose_names_the_pairs_other_tables_and_name_all(fake, run) -> None:
    proc = run("link", "-db", "gene", "-id", "672", "-target", "protein", "-v", env=KEY)
    assert proc.returncode == 0, proc.stderr
    note = next(line for line in proc.stderr.splitlines() if "linked with" in line)
    assert "gene_protein" in note and "gene_protein_refseq" in note and "--name all" in note


def test_name_all_gives_every_table_of_the_pair(fake, run) -> None:
    proc = run("link", "-db", "gene", "-id", ",".join(GENES), "-target", "protein",
               "-name", "all", env=KEY)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    expected = [
        ("gene", g, name, "protein", t, "")
        for g in GENES
        for name, _db, ts in fake.links("gene", g, "protein")
        for t in ts
    ]
    assert sorted(parse_tsv(proc.stdout)) == sorted(expected)
    assert {r[2] for r in expected} == {"gene_protein", "gene_protein_refseq"}
    assert linknames_sent(fake) == {None}


def test_a_pair_without_db_target_gets_every_table(fake, run) -> None:
    """omim -> pubmed has two tables in the catalog, omim_pubmed_calculated and
    omim_pubmed_cited, and no omim_pubmed: no link name is sent, every table comes back."""
    fake.tables["omim_pubmed_calculated"] = Table("omim", "pubmed", lambda u: ["900011"])
    fake.tables["omim_pubmed_cited"] = Table("omim", "pubmed", lambda u: ["900012", "900013"])
    proc = run("link", "-db", "omim", "-id", "11", "-target", "pubmed", env=KEY)
    assert proc.returncode == 0, proc.stderr
    assert linknames_sent(fake) == {None}
    assert sorted((r[2], r[4]) for r in parse_tsv(proc.stdout)) == [
        ("omim_pubmed_calculated", "900011"),
        ("omim_pubmed_cited", "900012"),
        ("omim_pubmed_cited", "900013"),
    ]


def test_link_name_alone_gives_the_source_database(fake, run) -> None:
    """An eSearchResult says no database; `-name gene_protein_refseq` does."""
    doc = (
        b'<?xml version="1.0"?>\n<eSearchResult><Count>2</Count><RetMax>2</RetMax>'
        b"<RetStart>0</RetStart><IdList><Id>672</Id><Id>7157</Id></IdList></eSearchResult>\n"
    )
    proc = run("link", "-name", "gene_protein_refseq", "--format", "uid", stdin=doc, env=KEY)
    assert proc.returncode == 0, proc.stderr
    wanted = targets(fake, "gene", ["672", "7157"], "protein", "gene_protein_refseq")
    assert proc.stdout.split() == wanted
    assert {r.get("dbfrom") for r in fake.requests_to("elink.fcgi")} == {"gene"}


# --- -cmd score alone; scores with a message in ----------------------------------------------


def test_cmd_score_without_target_links_within_the_database(fake, run) -> None:
    proc = run("link", "-db", "pubmed", "-id", "15", "-cmd", "score", env=KEY)
    assert proc.returncode == 0, proc.stderr
    rows = parse_tsv(proc.stdout)
    assert [r[4] for r in rows] == targets(fake, "pubmed", ["15"], "pubmed", "pubmed_pubmed")
    assert all(r[2] == "pubmed_pubmed" and r[5] != "" for r in rows)  # scores written
    assert linknames_sent(fake) == {"pubmed_pubmed"}
    assert {r.get("cmd") for r in fake.requests_to("elink.fcgi")} == {"neighbor_score"}


def test_scores_with_a_message_in_come_as_an_elinkresult(fake, run) -> None:
    """esearch ... | elink -related -cmd neighbor_score: EDirect writes the eLinkResult."""
    ids = ["15", "16"]
    proc = run("link", "-related", "-cmd", "neighbor_score", stdin=message("pubmed", ids),
               env=KEY)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    root = SafeET.fromstring(proc.stdout)
    assert root.tag == "eLinkResult"
    got = {
        (ls.findtext("IdList/Id"), link.findtext("Id"))
        for ls in root.iterfind("LinkSet")
        for link in ls.iterfind("LinkSetDb/Link")
        if link.findtext("Score")
    }
    assert got == {(i, t) for i in ids for t in targets(fake, "pubmed", [i], "pubmed", None)}


def test_a_format_that_drops_scores_says_so(fake, run) -> None:
    proc = run("link", "-related", "-cmd", "neighbor_score", "--format", "edirect",
               stdin=message("pubmed", ["15"]), env=KEY)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "scores are dropped" in proc.stderr
    assert message_ids(proc.stdout) == targets(fake, "pubmed", ["15"], "pubmed", None)


# --- ELINKCLI_FORMAT and the config file's format -------------------------------------------


def test_elinkcli_format_edirect_makes_id_runs_write_a_message(fake, run) -> None:
    """elinkcli link -db gene -id 672 -target protein | efetch -format uid"""
    env = {**KEY, "ELINKCLI_FORMAT": "edirect"}
    proc = run("link", "-db", "gene", "-id", "672", "-target", "protein", env=env)
    assert proc.returncode == 0, proc.stderr
    assert message_ids(proc.stdout) == targets(fake, "gene", ["672"], "protein", "gene_protein")
    explicit = run("link", "-db", "gene", "-id", "672", "-target", "protein",
                   "--format", "tsv", env=env)  # fmt: skip
    assert parse_tsv(explicit.stdout)  # --format wins


def test_config_file_format_and_commands_that_do_not_write_it(fake, run, tmp_path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('format = "edirect"\n')
    os.chmod(config, 0o600)
    env = {**KEY, "ELINKCLI_CONFIG": str(config)}
    proc = run("link", "-db", "gene", "-id", "672", "-target", "protein", env=env)
    assert message_ids(proc.stdout)
    # discover writes no messages: its own default (tsv) stays.
    names = run("discover", "-db", "gene", "--offline", env=env)
    assert names.returncode == 0, names.stderr
    assert names.stdout.startswith("source_db\tlinkname")


def test_a_bad_elinkcli_format_is_one_line(fake, run) -> None:
    proc = run("link", "-db", "gene", "-id", "672", "-target", "protein",
               env={**KEY, "ELINKCLI_FORMAT": "html"})  # fmt: skip
    line = assert_clean_error(proc, 2)
    assert "ELINKCLI_FORMAT" in line and "html" in line
    assert fake.requests_to("elink.fcgi") == []


# --- -format acc ------------------------------------------------------------------------------


def test_format_acc_keeps_ids_without_accessions(fake, run) -> None:
    """epost -db gene -id 672,7157 | elink -target pubmed -format acc: EDirect's PMIDs."""
    proc = run("link", "-target", "pubmed", "-format", "acc",
               stdin=message("gene", ["672", "7157"]), env=KEY)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    wanted = targets(fake, "gene", ["672", "7157"], "pubmed", "gene_pubmed")
    assert wanted and message_ids(proc.stdout) == wanted
    assert "pubmed records have no accession" in proc.stderr


def test_format_acc_asks_elink_for_accessions_with_no_other_request(fake, run) -> None:
    found = targets(fake, "gene", GENES, "protein", "gene_protein")
    for uid in found:
        fake.add_record("protein", uid, f"XP_{int(uid):09d}.1")
    proc = run("link", "-target", "protein", "-format", "acc",
               stdin=message("gene", GENES), env=KEY)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert message_ids(proc.stdout) == [fake.accession_version("protein", u) for u in found]
    assert {r.get("idtype") for r in fake.requests_to("elink.fcgi")} == {"acc"}
    assert fake.requests_to("esummary.fcgi") == []


# --- single-dash words ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "nearest"),
    [("-output", "--output"), ("-quiet", "--quiet"), ("-history", "--history"),
     ("-reldate", "--reldate")],
)  # fmt: skip
def test_a_single_dash_word_is_an_error_naming_the_nearest_option(
    fake, run, word: str, nearest: str
) -> None:
    before = set(os.listdir())
    proc = run("link", "-db", "gene", "-id", "672", "-target", "protein", word, "out.tsv",
               env=KEY)  # fmt: skip
    line = assert_clean_error(proc, 2)
    assert word in line and nearest in line
    assert set(os.listdir()) == before  # no `utput`, no `out.tsv`
    assert fake.requests_to("elink.fcgi") == []


def test_documented_short_flags_still_cluster(fake, run) -> None:
    proc = run("link", "-db", "gene", "-id", "672", "-target", "protein", "-vq", env=KEY)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # -q wins over -v: no summary


# --- chain -id a b c HOPS ---------------------------------------------------------------------


def test_chain_reads_every_id_after_id_as_an_id(fake, run) -> None:
    proc = run("chain", "-db", "gene", "-id", "672", "7157", "protein", "structure", env=KEY)
    assert proc.returncode == 0, proc.stderr
    rows = [line.split("\t") for line in proc.stdout.splitlines()[1:]]
    expected = {
        (g, p, s)
        for g in ("672", "7157")
        for p in targets(fake, "gene", [g], "protein", "gene_protein")
        for s in targets(fake, "protein", [p], "structure", "protein_structure")
    }
    assert {tuple(r) for r in rows} == expected and expected
    assert {r.get("linkname") for r in fake.requests_to("elink.fcgi")} == {
        "gene_protein",
        "protein_structure",
    }


def test_a_number_is_never_a_hop(fake, run) -> None:
    proc = run("chain", "-db", "gene", "7157", "protein", "-id", "672", env=KEY)
    line = assert_clean_error(proc, 2)
    assert "7157" in line and "-id" in line


# --- on a terminal: the choice of table is said, in one line per notice, at any width ---------


@pytest.mark.parametrize("columns", [80, 160])
def test_on_a_terminal_the_default_table_and_the_others_are_said(fake, columns: int) -> None:
    code, lines = on_terminal(
        fake, ["link", "-db", "gene", "-id", "672", "-target", "protein"], columns, env=KEY
    )
    assert code == 0, lines
    said = " ".join(line.strip() for line in lines if not line.startswith("│"))
    assert "linked with gene_protein" in said and "gene_protein_refseq" in said
    assert "--name all" in said
    shown = targets(fake, "gene", ["672"], "protein", "gene_protein")
    assert shown and all(any(t in line for line in lines) for t in shown)


def test_resume_with_a_configured_message_format_says_where_it_came_from(
    fake, run, tmp_path
) -> None:
    out = tmp_path / "out.xml"
    proc = run("link", "-db", "gene", "-id", "672", "-target", "protein", "-o", str(out),
               "--resume", env={**KEY, "ELINKCLI_FORMAT": "edirect"})  # fmt: skip
    line = assert_clean_error(proc, 2)
    assert "not edirect" in line and "ELINKCLI_FORMAT" in line and "--format tsv" in line
    env = {**KEY, "ELINKCLI_FORMAT": "edirect"}
    again = run("link", "-db", "gene", "-id", "672", "-target", "protein", "-o", str(out),
                "--resume", "--format", "tsv", env=env)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert [r[4] for r in parse_tsv(out.read_text())] == targets(
        fake, "gene", ["672"], "protein", "gene_protein"
    )
