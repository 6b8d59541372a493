"""`link`'s plan (elinkcli.commands.plans.link): what it warns about before any request."""

from __future__ import annotations

import pytest

from elinkcli.commands.plans.link import LinkPlan


@pytest.mark.parametrize(
    ("db", "dates", "wanted"),
    [
        ("protein", {"reldate": 30}, ["date filters from protein:"]),
        ("pubmed", {"mindate": "1995", "datetype": "pdat"}, ["--mindate without --maxdate"]),
        (
            "protein",
            {"mindate": "1995"},
            ["date filters from protein:", "--mindate without --maxdate"],
        ),
    ],
)
def test_date_filters_ncbi_answered_are_warned_once_each(
    db: str, dates: dict[str, object], wanted: list[str]
) -> None:
    plan = LinkPlan.make(db=db, target="gene", **dates)  # type: ignore[arg-type]
    said: list[str] = []
    plan.vet(said.append)
    notes = [s for s in said if s.startswith(("date filters", "--mindate", "--maxdate"))]
    assert len(notes) == len(wanted)
    assert all(note.startswith(w) for note, w in zip(notes, wanted, strict=True))


def test_date_filters_from_pubmed_as_a_pair_warn_nothing() -> None:
    plan = LinkPlan.make(db="pubmed", target="pubmed", mindate="1995", maxdate="2000")
    said: list[str] = []
    plan.vet(said.append)
    assert said == []


# --- EDirect's defaults: -target alone, -name all, -cmd score alone, a link name's db -----


def test_target_alone_is_db_target_when_the_catalog_has_it() -> None:
    plan = LinkPlan.make(db="gene", target="protein")
    assert (plan.name, plan.default_name, plan.every_table) == ("gene_protein", True, False)
    note = plan.name_note()
    assert note is not None and "gene_protein_refseq" in note and "--name all" in note


def test_target_alone_is_every_table_when_the_catalog_lacks_db_target() -> None:
    plan = LinkPlan.make(db="omim", target="pubmed")  # omim_pubmed_cited, _calculated only
    assert plan.name is None and not plan.default_name and plan.name_note() is None


def test_the_default_follows_the_database_of_the_input() -> None:
    plan = LinkPlan.make(db=None, target="protein")
    assert plan.name is None
    assert plan.for_db("gene").name == "gene_protein"
    assert plan.for_db("gene").for_db("nuccore").name == "nuccore_protein"


@pytest.mark.parametrize("spelling", ["all", "ALL", " all "])
def test_name_all_is_every_table(spelling: str) -> None:
    plan = LinkPlan.make(db="gene", target="protein", name=spelling)
    assert plan.name is None and plan.every_table and plan.name_note() is None
    related = LinkPlan.make(db="pubmed", related=True, name="all")
    assert related.target == "pubmed" and related.name is None


def test_a_given_name_is_kept_and_old_nucleotide_names_read_as_nuccore() -> None:
    assert LinkPlan.make(db="gene", target="protein", name="gene_protein_refseq").name == (
        "gene_protein_refseq"
    )
    assert LinkPlan.make(db="nuccore", target="protein", name="nucleotide_protein").name == (
        "nuccore_protein"
    )


def test_cmd_score_alone_links_within_the_database() -> None:
    plan = LinkPlan.make(db="pubmed", cmd="neighbor_score")
    assert (plan.target, plan.name, plan.related) == ("pubmed", "pubmed_pubmed", True)


def test_a_link_name_gives_its_source_database() -> None:
    plan = LinkPlan.make(db=None, name="gene_protein_refseq")
    assert (plan.name_db, plan.target) == ("gene", "protein")


def test_accessions_from_elink_only_where_elink_can_give_them() -> None:
    def acc(db: str, target: str, **more: object) -> bool:
        plan = LinkPlan.make(db=db, target=target, idtype="acc", **more)  # type: ignore[arg-type]
        return plan.accessions_only().acc_from_elink

    assert acc("gene", "protein")
    assert not acc("gene", "pubmed")  # no accessions there
    assert not acc("nuccore", "protein")  # the echoed source ids would be accessions too
    assert not acc("gene", "protein", union=True)
    assert not LinkPlan.make(db="gene", target="protein").accessions_only().acc_from_elink
