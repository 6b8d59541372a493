"""Single-dash words checked against each command's own spellings (elinkcli.cli.words),
on the real command tree: never split into short options, always named with the nearest."""

from __future__ import annotations

import pytest
import typer

from elinkcli.cli.app import app
from elinkcli.cli.words import check_words
from elinkcli.errors import UsageError

GROUP = typer.main.get_group(app)


@pytest.mark.parametrize(
    ("args", "word", "nearest"),
    [
        (["link", "-db", "gene", "-output", "x"], "-output", "--output"),
        (["link", "-quiet"], "-quiet", "--quiet"),
        (["link", "-history"], "-history", "--history"),
        (["link", "-reldate", "30"], "-reldate", "--reldate"),
        (["link", "-api-key", "K"], "-api-key", "--api-key"),
        (["chain", "-db", "gene", "-outptu", "x", "protein"], "-outptu", "--output"),
        (["check", "-verbose"], "-verbose", "--verbose"),
    ],
)
def test_an_unknown_single_dash_word_names_the_nearest_option(
    args: list[str], word: str, nearest: str
) -> None:
    with pytest.raises(UsageError) as caught:
        check_words(GROUP, args)
    assert str(caught.value) == (
        f"no such option {word} for elinkcli {args[0]}: did you mean {nearest}?"
    )


def test_a_word_near_no_option_points_at_the_help() -> None:
    with pytest.raises(
        UsageError, match=r"-bogus for elinkcli link \(see 'elinkcli link --help'\)"
    ):
        check_words(GROUP, ["link", "-bogus"])


def test_a_subcommand_of_a_group_is_followed() -> None:
    with pytest.raises(UsageError, match="for elinkcli cache prune"):
        check_words(GROUP, ["cache", "prune", "-everything"])


@pytest.mark.parametrize(
    "args",
    [
        ["link", "-db", "gene", "-id", "1", "-target", "protein", "-vq"],  # documented flags
        ["link", "--term", "-human", "-db", "gene"],  # a value, whatever it looks like
        ["link", "-term", "-human"],
        ["link", "--output=-x.tsv"],
        ["link", "-id", "-5"],  # Click says what is wrong with -5
        ["link", "--", "-notanoption"],
        ["link", "-o", "out.tsv", "-q"],
        ["link", "-db", "gene", "-id", "1", "-target", "protein", "-api_key", "K"],
        ["linkout", "validate", "-x"],  # a short option: Click names it
        ["--version"],
    ],
)
def test_spellings_values_and_flag_clusters_pass(args: list[str]) -> None:
    check_words(GROUP, args)
