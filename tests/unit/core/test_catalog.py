"""The bundled link-name catalog: how it is built, loaded, suggested from and completed from.

Expected values come from the catalog's inputs (tests/fixtures/catalog/*.tsv, read here with
the standard library) or from the bundled catalog.json itself, never from elinkcli's output.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
import json
import re
import subprocess
import sys
from types import SimpleNamespace

import pytest
from build_catalog import build, clean, derive
from conftest import clean_env, elinkcli_command
from support.paths import ROOT, TESTS

from elinkcli import names
from elinkcli.catalog import CATALOG_FILE, Catalog, LinkName, load_catalog
from elinkcli.cli.completion import complete_database, complete_linkname
from elinkcli.errors import UsageError

DATA_DIR = TESTS / "fixtures" / "catalog"
INPUTS = ("linknames.tsv", "databases.tsv")


def tsv_rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.fixture(scope="module")
def bundled() -> dict:
    return json.loads(CATALOG_FILE.read_text("utf-8"))


@pytest.fixture(scope="module")
def source_rows() -> dict[str, dict[str, str]]:
    return {r["linkname"]: r for r in tsv_rows("linknames.tsv")}


@pytest.fixture(scope="module")
def known_databases() -> set[str]:
    return {r["db"] for r in tsv_rows("databases.tsv")}


def without_built(catalog: dict) -> dict:
    return {k: v for k, v in catalog.items() if k != "built"}


# --- the build ----------------------------------------------------------------------------


def test_rebuilding_from_the_shared_data_gives_the_bundled_catalog(bundled):
    rebuilt = json.loads(json.dumps(build(DATA_DIR), ensure_ascii=False))

    # Everything but the build date: a bundle left stale after the data changed fails here.
    assert without_built(rebuilt) == without_built(bundled)
    assert rebuilt["built"] == dt.date.today().isoformat()
    assert dt.date.fromisoformat(bundled["built"]) <= dt.date.today()


def test_build_command_writes_the_same_file(tmp_path, bundled):
    out = tmp_path / "catalog.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "build_catalog.py"),
            str(DATA_DIR),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
        check=False,
    )

    assert proc.returncode == 0, proc
    written = json.loads(out.read_text("utf-8"))
    assert without_built(written) == without_built(bundled)
    placed = sum(1 for li in bundled["linknames"] if li["placed_by"])
    assert f"{len(bundled['linknames'])} link names, {placed} placed" in proc.stdout


def test_provenance_is_the_checksum_of_each_input(bundled):
    for name in INPUTS:
        digest = hashlib.sha256((DATA_DIR / name).read_bytes()).hexdigest()
        assert bundled["provenance"][name] == digest[:16]


def test_every_input_row_is_in_the_catalog_once(bundled, source_rows, known_databases):
    assert [li["name"] for li in bundled["linknames"]] == sorted(source_rows)
    assert [d["name"] for d in bundled["databases"]] == sorted(known_databases)
    for li in bundled["linknames"]:
        raw = source_rows[li["name"]]["max_links"]
        assert li["max_links"] == (int(raw) if raw.isdigit() else None)


def test_derive_needs_both_parts_known():
    dbs = {"gene", "protein", "pubmed"}
    assert derive("gene_protein", dbs) == ("gene", "protein")
    assert derive("gene_protein_refseq", dbs) == ("gene", "protein")
    assert derive("pubmed_pubmed_citedin", dbs) == ("pubmed", "pubmed")
    assert derive("gene_clone", dbs) is None  # second part unknown
    assert derive("clone_gene", dbs) is None  # first part unknown
    assert derive("gene", dbs) is None  # a single token
    assert derive("", dbs) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Links between Entrez Gene and &amp;#160;'Books' are",
            "Links between Entrez Gene and 'Books' are",
        ),
        ("flagged as &amp;quot;active&amp;quot; in", 'flagged as "active" in'),
        ("Database&amp;#160;&amp;#160;Links", "Database Links"),
        ("following&amp;#58; &amp;#160;1.", "following: 1."),
        ("a &amp;amp;amp; b", "a & b"),
        ("  spaced\tout\n text ", "spaced out text"),
        ("plain", "plain"),
    ],
)
def test_clean_unescapes_fully_and_folds_spaces(text, expected):
    assert clean(text) == expected


def test_no_text_in_the_catalog_is_still_escaped(bundled):
    texts = [li[key] for li in bundled["linknames"] for key in ("menu", "description")]
    for text in texts:
        assert html.unescape(text) == text
        assert "\xa0" not in text and "  " not in text and text == text.strip()
    # The source does carry escapes, twice over: the build really removed them.
    raw = "".join(r["description"] for r in tsv_rows("linknames.tsv"))
    assert "&amp;#160;" in raw and "&amp;quot;" in raw
    books = next(li for li in bundled["linknames"] if li["name"] == "gene_books")
    assert "Entrez Gene and 'Books' are established" in books["description"]


def test_pattern_placed_names_have_two_known_databases(bundled, source_rows, known_databases):
    pattern = [li for li in bundled["linknames"] if li["placed_by"] == "pattern"]
    assert len(pattern) > 100
    for li in pattern:
        first, second = li["name"].split("_")[:2]
        assert (li["dbfrom"], li["dbto"]) == (first, second)
        assert first in known_databases and second in known_databases
        raw = source_rows[li["name"]]
        assert not (raw["dbfrom"] and raw["dbto"])  # no source placed it


def test_unplaced_names_cannot_be_derived(bundled, source_rows, known_databases):
    unplaced = [li for li in bundled["linknames"] if li["placed_by"] == ""]
    assert unplaced
    assert "pmc_refs_pubmed" in {li["name"] for li in unplaced}
    for li in unplaced:
        assert (li["dbfrom"], li["dbto"]) == ("", "")
        parts = li["name"].split("_")
        assert len(parts) < 2 or parts[0] not in known_databases or parts[1] not in known_databases
        raw = source_rows[li["name"]]
        assert not (raw["dbfrom"] and raw["dbto"])


def test_stated_dbfrom_dbto_are_kept(bundled, source_rows):
    stated = [li for li in bundled["linknames"] if li["placed_by"] == "source"]
    assert stated
    for li in stated:
        raw = source_rows[li["name"]]
        assert (li["dbfrom"], li["dbto"]) == (raw["dbfrom"], raw["dbto"])
    # Kept even where the name's pattern would say otherwise.
    wp = next(li for li in bundled["linknames"] if li["name"] == "nuccore_protein_wp")
    raw = source_rows["nuccore_protein_wp"]
    assert (wp["dbfrom"], wp["dbto"]) == (raw["dbfrom"], raw["dbto"]) != ("nuccore", "protein")
    assert set(source_rows) - {li["name"] for li in bundled["linknames"]} == set()
    assert {n for n, r in source_rows.items() if r["dbfrom"] and r["dbto"]} == {
        li["name"] for li in stated
    }


# --- loading ------------------------------------------------------------------------------


def test_load_catalog_loads_the_bundle_and_is_cached(bundled):
    catalog = load_catalog()

    assert load_catalog() is catalog
    assert catalog.built == bundled["built"]
    assert catalog.databases == tuple(d["name"] for d in bundled["databases"])
    assert len(catalog.linknames) == len(bundled["linknames"])
    for li in bundled["linknames"]:
        loaded = catalog.get(li["name"])
        assert loaded == LinkName(**{**li, "sources": tuple(li["sources"])})


def test_catalog_lookups(bundled):
    catalog = load_catalog()
    gene_protein = [
        li["name"]
        for li in bundled["linknames"]
        if li["dbfrom"] == "gene" and li["dbto"] == "protein"
    ]
    from_gene = [li["name"] for li in bundled["linknames"] if li["dbfrom"] == "gene"]

    assert [li.name for li in catalog.from_db("gene", "protein")] == gene_protein
    assert "gene_protein_refseq" in gene_protein
    assert [li.name for li in catalog.from_db("gene")] == from_gene
    assert catalog.from_db("no-such-db") == []
    assert catalog.is_database("gene") and not catalog.is_database("gened")
    cap = next(
        li["max_links"] for li in bundled["linknames"] if li["name"] == "gene_protein_refseq"
    )
    assert catalog.max_links("gene_protein_refseq") == cap
    assert catalog.max_links("no_such_linkname") is None
    assert catalog.get("no_such_linkname") is None


# --- suggestions --------------------------------------------------------------------------


def test_misspelled_link_name_suggests_the_right_one_first():
    catalog = load_catalog()
    assert catalog.suggest_linkname("gene_protein_refsq")[0] == "gene_protein_refseq"
    assert catalog.suggest_linkname("gene_protein_refsq", "gene")[0] == "gene_protein_refseq"
    # A database the catalog does not know: suggestions come from every link name.
    assert catalog.suggest_linkname("gene_protein_refsq", "gened")[0] == "gene_protein_refseq"
    suggested = catalog.suggest_linkname("gene_pubmd", "gene")
    assert suggested[0] == "gene_pubmed"
    assert all(catalog.get(s).dbfrom == "gene" for s in suggested)
    assert catalog.suggest_linkname("zzzzzzzzzzzz") == []


def test_misspelled_database_suggests_the_right_one_first():
    catalog = load_catalog()
    assert catalog.suggest_database("gened")[0] == "gene"
    assert catalog.suggest_database("protien")[0] == "protein"
    assert catalog.suggest_database("pubmde")[0] == "pubmed"
    assert catalog.suggest_database("zzzzzzzz") == []


# --- names: warnings, --strict ------------------------------------------------------------


def test_known_names_have_no_problems():
    assert names.name_problems(db="gene", target="protein", linkname="gene_protein_refseq") == []
    assert names.name_problems() == []
    # A link name the catalog cannot place is not contradicted by any --db.
    assert names.name_problems(db="pmc", target="pubmed", linkname="pmc_refs_pubmed") == []


def test_unknown_database_and_target_suggest():
    (db_problem,) = names.name_problems(db="gened")
    assert "unknown database 'gened'" in db_problem
    assert "did you mean gene" in db_problem
    (target_problem,) = names.name_problems(db="gene", target="protien")
    assert "unknown target database 'protien'" in target_problem
    assert "did you mean protein" in target_problem


def test_unknown_link_name_suggests():
    (problem,) = names.name_problems(db="gene", target="protein", linkname="gene_protein_refsq")
    assert "'gene_protein_refsq' is not in the catalog" in problem
    assert "did you mean gene_protein_refseq" in problem


def test_link_name_from_another_database_or_to_another_target():
    (wrong_from,) = names.name_problems(db="pubmed", linkname="gene_protein_refseq")
    assert "gene_protein_refseq" in wrong_from and "gene" in wrong_from and "pubmed" in wrong_from
    (wrong_to,) = names.name_problems(db="gene", target="nuccore", linkname="gene_protein_refseq")
    assert "protein" in wrong_to and "nuccore" in wrong_to
    both = names.name_problems(db="pubmed", target="nuccore", linkname="gene_protein_refseq")
    assert len(both) == 2


def test_name_problems_uses_the_catalog_given():
    tiny = Catalog(
        built="2000-01-01",
        databases=("alpha", "beta"),
        linknames={"alpha_beta": LinkName("alpha_beta", "alpha", "beta", "pattern", "", "", 5, ())},
    )
    assert names.name_problems(db="alpha", target="beta", linkname="alpha_beta", catalog=tiny) == []
    (problem,) = names.name_problems(db="gene", catalog=tiny)
    assert "unknown database 'gene'" in problem


def test_vet_names_warns_and_never_refuses_without_strict():
    warnings: list[str] = []
    names.vet_names(warnings.append, db="gened", target="protein", linkname="gene_protein_refsq")
    assert len(warnings) == 2
    assert "did you mean gene" in warnings[0]
    assert "did you mean gene_protein_refseq" in warnings[1]

    warnings.clear()
    names.vet_names(warnings.append, db="pubmed", linkname="gene_protein_refseq")
    assert len(warnings) == 1 and "pubmed" in warnings[0]


def test_vet_names_strict_refuses_the_first_problem():
    warnings: list[str] = []
    with pytest.raises(UsageError) as caught:
        names.vet_names(warnings.append, strict=True, db="gened", linkname="gene_protein_refsq")
    assert "did you mean gene" in str(caught.value)
    assert "--strict" in str(caught.value)
    assert warnings == []

    with pytest.raises(UsageError, match="did you mean gene_protein_refseq"):
        names.vet_names(warnings.append, strict=True, db="gene", linkname="gene_protein_refsq")
    with pytest.raises(UsageError, match="nuccore"):
        names.vet_names(
            warnings.append,
            strict=True,
            db="gene",
            target="nuccore",
            linkname="gene_protein_refseq",
        )
    # Nothing wrong: nothing said, nothing refused.
    names.vet_names(
        warnings.append, strict=True, db="gene", target="protein", linkname="gene_protein_refseq"
    )
    assert warnings == []


def test_target_of(bundled):
    by_name = {li["name"]: li for li in bundled["linknames"]}
    assert names.target_of("gene_protein_refseq") == by_name["gene_protein_refseq"]["dbto"]
    assert names.target_of("gene_protein_refseq") == "protein"
    assert names.target_of("nuccore_protein_wp") == by_name["nuccore_protein_wp"]["dbto"]
    assert names.target_of("pmc_refs_pubmed") is None  # known but not placed
    assert names.target_of("no_such_linkname") is None


# --- completion ---------------------------------------------------------------------------


def ctx(**params: str | None) -> SimpleNamespace:
    return SimpleNamespace(params=params)


def test_complete_database(bundled):
    every = [d["name"] for d in bundled["databases"]]
    assert complete_database("") == every
    gen = complete_database("gen")
    assert gen == [d for d in every if d.startswith("gen")]
    assert "gene" in gen and "genome" in gen
    assert complete_database("zzz") == []


def test_complete_linkname_filtered_by_db_and_target(bundled):
    def expected(prefix: str, db: str | None = None, target: str | None = None):
        return [
            (li["name"], li["menu"])
            for li in bundled["linknames"]
            if li["name"].startswith(prefix)
            and (db is None or li["dbfrom"] == db)
            and (target is None or li["dbto"] == target)
        ]

    got = complete_linkname(ctx(db="gene", target="protein"), "gene_prot")
    assert got == expected("gene_prot", "gene", "protein")
    assert ("gene_protein_refseq", "RefSeq Protein Links") in got
    assert all(not name.startswith("gene_proteinclusters") for name, _ in got)

    assert complete_linkname(ctx(db="gene"), "gene_prot") == expected("gene_prot", "gene")
    assert complete_linkname(ctx(db="gene", target="nuccore"), "gene_") == expected(
        "gene_", "gene", "nuccore"
    )
    # No --db: every link name with the prefix.
    assert complete_linkname(ctx(), "pmc_") == expected("pmc_")
    assert ("pmc_refs_pubmed", by_menu(bundled, "pmc_refs_pubmed")) in complete_linkname(
        ctx(), "pmc_"
    )
    # --db spelled as on the command line: normalized (nucleotide is nuccore).
    assert complete_linkname(ctx(db="nucleotide"), "nuccore_prot") == expected(
        "nuccore_prot", "nuccore"
    )
    assert complete_linkname(ctx(db="gene"), "pubmed_") == []


def by_menu(bundled: dict, name: str) -> str:
    return next(li["menu"] for li in bundled["linknames"] if li["name"] == name)


def shell_complete(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        elinkcli_command(),
        capture_output=True,
        text=True,
        env=clean_env(env),
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (
            "elinkcli link -db gene --name gene_prot",
            lambda c: [li.name for li in c.from_db("gene") if li.name.startswith("gene_prot")],
        ),
        (
            "elinkcli link -db gene -target nuccore --name gene_",
            lambda c: [li.name for li in c.from_db("gene", "nuccore")],
        ),
        (
            "elinkcli check -db gene --name gene_prot",
            lambda c: [li.name for li in c.from_db("gene") if li.name.startswith("gene_prot")],
        ),
        ("elinkcli link -db gen", lambda c: [d for d in c.databases if d.startswith("gen")]),
        (
            "elinkcli discover -db gene --target prot",
            lambda c: [d for d in c.databases if d.startswith("prot")],
        ),
    ],
    ids=["name-by-db", "name-by-db-and-target", "check-name", "db", "target"],
)
def test_bash_completion_through_the_shell_mechanism(words, expected):
    want = expected(load_catalog())
    assert want
    proc = shell_complete(
        {
            "_ELINKCLI_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split()) - 1),
        }
    )

    assert proc.returncode == 0, proc
    assert proc.stdout.splitlines() == want


def test_zsh_completion_through_the_shell_mechanism():
    catalog = load_catalog()
    want = [li for li in catalog.from_db("gene") if li.name.startswith("gene_prot")]
    proc = shell_complete(
        {
            "_ELINKCLI_COMPLETE": "complete_zsh",
            "_TYPER_COMPLETE_ARGS": "elinkcli link -db gene --name gene_prot",
        }
    )

    assert proc.returncode == 0, proc
    pairs = re.findall(r'"((?:[^"\\]|\\.)*)":"((?:[^"\\]|\\.)*)"', proc.stdout)
    assert [name for name, _ in pairs] == [li.name for li in want]
    # zsh shows each link name's menu beside it.
    assert [help_text for _, help_text in pairs] == [li.menu for li in want]
