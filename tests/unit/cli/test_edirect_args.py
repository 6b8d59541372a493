"""EDirect's elink spellings rewritten before Click parses them; the manual's table of
every EDirect elink option (docs/pipes-and-edirect.md) is the one the code holds."""

from __future__ import annotations

import re

import pytest
from support.paths import ROOT

from elinkcli.cli.edirect_args import (
    CMD_POINTERS,
    ELINK_OPTIONS,
    LINK_CMD_VALUES,
    link_cmd,
    rewrite,
)
from elinkcli.errors import UsageError

README = ROOT / "docs" / "pipes-and-edirect.md"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["link", "-db", "pubmed", "-id", "1", "2", "3", "-target", "gene"],
         ["link", "-db", "pubmed", "-id", "1", "-id", "2", "-id", "3", "-target", "gene"]),
        (["check", "-db", "pubmed", "-cmd", "ncheck", "-id", "1", "2"],
         ["check", "-db", "pubmed", "-cmd", "ncheck", "-id", "1", "-id", "2"]),
        (["link", "-id", "1,2", "3"], ["link", "-id", "1,2", "-id", "3"]),
        (["link", "-db", "nuccore", "-target", "protein", "-format", "acc"],
         ["link", "-db", "nuccore", "-target", "protein", "--idtype", "acc"]),
        (["link", "-target", "gene", "-batch"], ["link", "-target", "gene"]),
        (["link", "-batch", "-target", "gene"], ["link", "-target", "gene"]),
        (["link", "-batch", "50", "-target", "gene"], ["link", "-batch", "50", "-target", "gene"]),
        # Only ASCII digits are a count: `-batch ³` is the flag, and `³` is left to be refused.
        (["link", "-batch", "\u0663", "-id", "1"], ["link", "\u0663", "-id", "1"]),
        (["link", "-batch", "\u00b3"], ["link", "\u00b3"]),
        (["link", "-chunk", "50"], ["link", "--batch", "50"]),
        (["link", "-complete", "-timer", "-verbose"], ["link", "--verbose", "--verbose"]),
        (["link", "-format", "json"], ["link", "-format", "json"]),
        # chain's hops are positional: its -id takes one value, as Click reads it.
        (["chain", "-db", "gene", "-id", "672", "protein"],
         ["chain", "-db", "gene", "-id", "672", "protein"]),
    ],
)  # fmt: skip
def test_rewrite(argv, expected) -> None:
    assert rewrite(argv) == (expected, [])


def test_ignored_options_with_a_value_are_dropped_with_a_warning() -> None:
    argv, warnings = rewrite(["link", "-tool", "mytool", "-label", "A", "-target", "gene"])
    assert argv == ["link", "-target", "gene"]
    assert len(warnings) == 2 and "-tool" in warnings[0] and "-label" in warnings[1]


@pytest.mark.parametrize("option", ["-mode", "-holding"])
def test_refused_options_point_at_what_to_use(option) -> None:
    with pytest.raises(UsageError) as caught:
        rewrite(["link", "-db", "pubmed", option, "x"])
    assert "\n" not in str(caught.value)
    assert re.search(r"--format|linkout|pubmed_pubmed_(citedin|refs)", str(caught.value))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("neighbor", ("neighbor", False, None)),
        ("score", ("neighbor_score", False, None)),
        ("neighbor_score", ("neighbor_score", False, None)),
        ("history", ("neighbor", True, None)),
        ("edirect", ("neighbor", False, "edirect")),
        ("SCORE", ("neighbor_score", False, None)),
    ],
)
def test_link_cmd_values(value, expected) -> None:
    assert link_cmd(value) == expected


@pytest.mark.parametrize("value", sorted(CMD_POINTERS))
def test_other_cmd_values_point_at_their_command(value) -> None:
    with pytest.raises(UsageError) as caught:
        link_cmd(value)
    assert f"use '{CMD_POINTERS[value]}'" in str(caught.value)
    assert re.search(r"elinkcli (check|discover|linkout)", str(caught.value))


def test_an_unknown_cmd_lists_the_choices() -> None:
    with pytest.raises(UsageError, match="choose " + ", ".join(LINK_CMD_VALUES)):
        link_cmd("frobnicate")


def readme_table() -> list[tuple[str, str, str]]:
    text = README.read_text("utf-8")
    start = text.index("<!-- edirect-options -->")
    rows = []
    for line in text[start:].splitlines()[1:]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] in ("EDirect elink", "---") or set(cells[0]) <= {"-"}:
            continue
        rows.append((cells[0].strip("`"), cells[1], cells[2]))
    return rows


def test_readme_lists_every_edirect_option_as_the_code_does() -> None:
    expected = [(o.spelling, o.edirect, o.elinkcli) for o in ELINK_OPTIONS]
    assert readme_table() == expected


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["chain", "-db", "gene", "-id", "672", "7157", "protein", "structure"],
            ["chain", "-db", "gene", "-id", "672", "-id", "7157", "protein", "structure"],
        ),
        (
            ["chain", "-id", "NM_000546.6", "NP_1", "protein:nuccore_protein"],
            ["chain", "-id", "NM_000546.6", "-id", "NP_1", "protein:nuccore_protein"],
        ),
        (["chain", "-id", "672", "cited", "cites"], ["chain", "-id", "672", "cited", "cites"]),
        (
            ["chain", "-id", "672,7157", "-v", "protein"],
            ["chain", "-id", "672,7157", "-v", "protein"],
        ),
    ],
)
def test_chain_ids_after_id_are_never_hops(argv, expected) -> None:
    assert rewrite(argv) == (expected, [])


def test_a_number_as_a_hop_is_refused_with_the_way_to_give_ids() -> None:
    from elinkcli.commands.chain import Hop

    with pytest.raises(UsageError, match=r"'7157' is not a database .* ids go after -id"):
        Hop.parse("7157")
