"""Old link names with NCBI's former database name `nucleotide` (`nucleotide_protein`,
`protein_nucleotide`), read as their `nuccore` names as `-db nucleotide` is read as nuccore
(elinkcli.names).

The oracle is the table below, each row checked against the bundled catalog's own data
(elinkcli/data/catalog.json, read here as JSON): the nuccore name exists there, with the
databases the table says; a name whose nuccore form the catalog lacks stays as given.
"""

from __future__ import annotations

import json

import pytest

from elinkcli.catalog import CATALOG_FILE
from elinkcli.commands.plans.check import CheckPlan
from elinkcli.names import canonical_linkname, hop_of_linkname, name_problems, target_of

CATALOG = {li["name"]: li for li in json.loads(CATALOG_FILE.read_text("utf-8"))["linknames"]}

# (old name, the name sent, the database it leads to)
RENAMED = [
    ("nucleotide_protein", "nuccore_protein", "protein"),
    ("protein_nucleotide", "protein_nuccore", "nuccore"),
    ("nucleotide_gene", "nuccore_gene", "gene"),
    ("nucleotide_pubmed", "nuccore_pubmed", "pubmed"),
    ("pubmed_nucleotide", "pubmed_nuccore", "nuccore"),
    ("nucleotide_nucleotide_comp", "nuccore_nuccore_comp", "nuccore"),
    ("nuccore_nucleotide_mrna", "nuccore_nuccore_mrna", "nuccore"),
    ("nucleotide_protein_cds", "nuccore_protein_cds", "protein"),
]
# Names with `nucleotide` in them that have no nuccore form in the catalog (or where it is
# no database at all: `gene_pmc_nucleotide` leads to pmc).
KEPT = ["gene_pmc_nucleotide", "nucleotide_gene_pos", "pubmed_nucleotide_accn", "gene_protein"]


@pytest.mark.parametrize(("old", "sent", "target"), RENAMED)
def test_old_names_are_read_as_their_nuccore_names(old: str, sent: str, target: str) -> None:
    assert sent in CATALOG  # the old name itself may be listed or not (nucleotide_gene: not)
    assert (CATALOG[sent]["dbto"] or target) == target
    assert canonical_linkname(old) == sent
    assert canonical_linkname(sent) == sent
    assert target_of(old) == target


@pytest.mark.parametrize("name", KEPT)
def test_names_without_a_nuccore_form_stay(name: str) -> None:
    assert name.replace("nucleotide", "nuccore") not in CATALOG or name == "gene_protein"
    assert canonical_linkname(name) == name


def test_a_name_that_only_says_nucleotide_leads_to_nuccore() -> None:
    assert CATALOG["protein_nucleotide_cds"]["dbto"] == "nucleotide"
    assert "protein_nuccore_cds" not in CATALOG
    assert target_of("protein_nucleotide_cds") == "nuccore"


@pytest.mark.parametrize("name", ["nucleotide_" * 400 + "protein", "nucleotide", ""])
def test_long_or_odd_names_come_back_as_given(name: str) -> None:
    assert canonical_linkname(name) == name


@pytest.mark.parametrize(("old", "sent", "target"), RENAMED)
def test_old_names_from_nuccore_or_nucleotide_warn_nothing(
    old: str, sent: str, target: str
) -> None:
    dbfrom = str(CATALOG[sent]["dbfrom"] or "nuccore")
    assert name_problems(db=dbfrom, target=target, linkname=old) == []


def test_a_kept_nucleotide_name_fits_nuccore() -> None:
    """The catalog places nucleotide_gene_pos from `nucleotide`: nuccore by today's name."""
    assert CATALOG["nucleotide_gene_pos"]["dbfrom"] == "nucleotide"
    assert name_problems(db="nuccore", target="gene", linkname="nucleotide_gene_pos") == []
    (problem,) = name_problems(db="protein", target="gene", linkname="nucleotide_gene_pos")
    assert "starts from nucleotide, not protein" in problem


@pytest.mark.parametrize(("old", "sent", "target"), RENAMED)
def test_a_bare_link_name_is_a_hop_to_its_target(old: str, sent: str, target: str) -> None:
    assert hop_of_linkname(old) == (target, sent)


@pytest.mark.parametrize("text", ["protein", "nucleotide", "nuccore", "no_such_linkname"])
def test_databases_and_unknown_names_are_no_link_name_hops(text: str) -> None:
    assert hop_of_linkname(text) is None


def test_check_asks_for_the_nuccore_name() -> None:
    """acheck lists today's names: `check -name nucleotide_protein` looks for nuccore_protein."""
    plan = CheckPlan.make(db="nucleotide", name="nucleotide_protein")
    assert (plan.db, plan.name) == ("nuccore", "nuccore_protein")
    said: list[str] = []
    plan.vet(said.append)
    assert said == []
