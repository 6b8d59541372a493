"""Request parameters: one id= per id, parameters bound to their commands
(docs/reference/eutils-facts.md, facts 1, 4, 5)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support.paths import TESTS

from elinkcli.constants import DATE_TYPES, NEIGHBOR_CMDS
from elinkcli.errors import UsageError
from elinkcli.eutils.params import (
    LinkFilters,
    Params,
    check_link_params,
    elink_params,
    epost_params,
    identity_params,
)

IDS = ["1621261", "68536103", "20807972", "730439"]
MANIFEST = json.loads((TESTS / "fixtures" / "eutils" / "manifest.json").read_text("utf-8"))
NON_NEIGHBOR_CMDS = ("ncheck", "lcheck", "acheck", "llinks", "llinkslib", "prlinks")


def values(params: Params, name: str) -> list[str]:
    return [v for k, v in params if k == name]


def names(params: Params) -> list[str]:
    return [k for k, _ in params]


# --- ids: per id vs union --------------------------------------------------------------


@pytest.mark.parametrize("ids", [IDS[:1], IDS, [str(n) for n in range(1, 251)]])
def test_per_id_mode_sends_one_id_tuple_per_id(ids: list[str]) -> None:
    params = elink_params(dbfrom="protein", db="pubmed", cmd="neighbor", ids=ids)
    assert values(params, "id") == ids
    assert all("," not in v for v in values(params, "id"))
    assert ("dbfrom", "protein") in params
    assert ("db", "pubmed") in params
    assert ("cmd", "neighbor") in params


def test_union_sends_exactly_one_comma_joined_id() -> None:
    params = elink_params(dbfrom="protein", db="pubmed", cmd="neighbor", ids=IDS, union=True)
    assert values(params, "id") == [",".join(IDS)]
    assert values(params, "id")[0].split(",") == IDS


def test_history_input_uses_webenv_and_query_key_and_no_id() -> None:
    params = elink_params(
        dbfrom="pubmed", db="protein", cmd="neighbor", webenv="MCID_abc", query_key="3"
    )
    assert values(params, "WebEnv") == ["MCID_abc"]
    assert values(params, "query_key") == ["3"]
    assert "id" not in names(params)


def test_history_input_defaults_query_key_to_1() -> None:
    params = elink_params(dbfrom="pubmed", db="protein", cmd="neighbor", webenv="MCID_abc")
    assert values(params, "query_key") == ["1"]


def test_history_input_wins_over_ids() -> None:
    params = elink_params(
        dbfrom="pubmed", db="protein", cmd="neighbor", ids=IDS, webenv="W", query_key="2"
    )
    assert "id" not in names(params)
    assert values(params, "WebEnv") == ["W"]


# --- linkname and db ------------------------------------------------------------------


@pytest.mark.parametrize("cmd", NEIGHBOR_CMDS)
def test_linkname_is_sent_with_neighbor_cmds(cmd: str) -> None:
    params = elink_params(
        dbfrom="gene", db="protein", cmd=cmd, ids=IDS, linkname="gene_protein_refseq"
    )
    assert values(params, "linkname") == ["gene_protein_refseq"]
    assert values(params, "cmd") == [cmd]


@pytest.mark.parametrize("cmd", NON_NEIGHBOR_CMDS)
def test_linkname_with_other_cmds_is_a_usage_error(cmd: str) -> None:
    with pytest.raises(UsageError, match="--name"):
        elink_params(dbfrom="gene", db="protein", cmd=cmd, ids=IDS, linkname="gene_protein")


def test_no_linkname_is_invented() -> None:
    params = elink_params(dbfrom="gene", db="protein", cmd="neighbor", ids=IDS)
    assert "linkname" not in names(params)


@pytest.mark.parametrize("cmd", NEIGHBOR_CMDS)
@pytest.mark.parametrize("db", [None, ""])
def test_db_is_required_for_neighbor_cmds(cmd: str, db: str | None) -> None:
    with pytest.raises(UsageError, match="target"):
        elink_params(dbfrom="gene", db=db, cmd=cmd, ids=IDS)


@pytest.mark.parametrize("cmd", NON_NEIGHBOR_CMDS)
def test_db_is_optional_for_other_cmds(cmd: str) -> None:
    params = elink_params(dbfrom="pubmed", cmd=cmd, ids=IDS)
    assert "db" not in names(params)
    assert values(params, "cmd") == [cmd]
    assert values(params, "id") == IDS


# --- term -----------------------------------------------------------------------------


def test_term_sent_when_db_equals_dbfrom() -> None:
    filters = LinkFilters(term="review[pt]")
    params = elink_params(dbfrom="pubmed", db="pubmed", cmd="neighbor", ids=IDS, filters=filters)
    assert values(params, "term") == ["review[pt]"]


def test_term_with_different_target_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="--term"):
        elink_params(
            dbfrom="pubmed",
            db="protein",
            cmd="neighbor",
            ids=IDS,
            filters=LinkFilters(term="human[orgn]"),
        )


# --- date filters ---------------------------------------------------------------------


@pytest.mark.parametrize("cmd", ("neighbor", "neighbor_score"))
def test_dates_from_pubmed_with_neighbor_cmd_are_sent(cmd: str) -> None:
    filters = LinkFilters(datetype="pdat", mindate="2020/01/01", maxdate="2021/12/31")
    params = elink_params(dbfrom="pubmed", db="pubmed", cmd=cmd, ids=IDS, filters=filters)
    assert values(params, "datetype") == ["pdat"]
    assert values(params, "mindate") == ["2020/01/01"]
    assert values(params, "maxdate") == ["2021/12/31"]


def test_reldate_is_sent_as_text() -> None:
    filters = LinkFilters(datetype="edat", reldate=30)
    params = elink_params(dbfrom="pubmed", db="pubmed", cmd="neighbor", ids=IDS, filters=filters)
    assert values(params, "reldate") == [str(30)]
    assert values(params, "datetype") == ["edat"]


@pytest.mark.parametrize(
    "filters",
    [
        LinkFilters(reldate=30),
        LinkFilters(datetype="pdat"),
        LinkFilters(mindate="2020", maxdate="2021"),
    ],
)
def test_dates_from_other_databases_are_sent_with_a_warning(filters: LinkFilters) -> None:
    """Documented for links from pubmed (eutils-facts.md, fact 5), yet not refused before
    any request: NCBI decides (the user report: NCBI answered them from protein)."""
    params = elink_params(dbfrom="gene", db="pubmed", cmd="neighbor", ids=IDS, filters=filters)
    sent = {k: v for k, v in params if k in ("datetype", "reldate", "mindate", "maxdate")}
    given = {"datetype": filters.datetype, "reldate": filters.reldate}
    given |= {"mindate": filters.mindate, "maxdate": filters.maxdate}
    assert sent == {k: str(v) for k, v in given.items() if v is not None}
    (note,) = filters.notes("gene")
    assert note.startswith("date filters from gene:")
    assert filters.notes("pubmed") == []


@pytest.mark.parametrize("cmd", NON_NEIGHBOR_CMDS)
def test_dates_with_non_neighbor_cmd_are_a_usage_error(cmd: str) -> None:
    with pytest.raises(UsageError, match="date filters"):
        elink_params(dbfrom="pubmed", cmd=cmd, ids=IDS, filters=LinkFilters(reldate=7))


# The recordings' elink3 (2008, 2013, 2026): `mindate=1995&datetype=pdat` without maxdate,
# answered by NCBI with links (tests/fixtures/eutils/manifest.json).
RECORDED_ALONE = [
    e["request"]["params"]
    for e in MANIFEST
    if e["endpoint"] == "elink" and "mindate" in e["request"]["params"]
]


def test_the_recordings_hold_mindate_alone_answered() -> None:
    assert len(RECORDED_ALONE) == 3
    assert all("maxdate" not in p for p in RECORDED_ALONE)


@pytest.mark.parametrize("asked", RECORDED_ALONE[:1])
def test_mindate_alone_is_sent_as_ncbi_answered_it(asked: dict[str, Any]) -> None:
    filters = LinkFilters(datetype=asked["datetype"], mindate=asked["mindate"])
    params = elink_params(
        dbfrom=asked["dbfrom"], db=asked["db"], cmd="neighbor", ids=asked["ids"], filters=filters
    )
    assert values(params, "mindate") == [asked["mindate"]]
    assert values(params, "datetype") == [asked["datetype"]]
    assert "maxdate" not in names(params)
    (note,) = filters.notes(asked["dbfrom"])
    assert note.startswith("--mindate without --maxdate")


def test_maxdate_alone_is_sent_with_a_warning() -> None:
    filters = LinkFilters(maxdate="2021/01/01")
    params = elink_params(dbfrom="pubmed", db="pubmed", cmd="neighbor", ids=IDS, filters=filters)
    assert values(params, "maxdate") == ["2021/01/01"]
    (note,) = filters.notes("pubmed")
    assert note.startswith("--maxdate without --mindate")


@pytest.mark.parametrize(
    "date", ["yesterday", "2020-01-01", "20200101", "2020/13", "2020/01/32", "2020/", "95", ""]
)
@pytest.mark.parametrize("option", ["mindate", "maxdate"])
def test_a_date_that_is_not_yyyy_mm_dd_is_a_usage_error(option: str, date: str) -> None:
    filters = LinkFilters(**{option: date})
    with pytest.raises(UsageError, match=f"--{option} .* is not a date"):
        elink_params(dbfrom="pubmed", db="pubmed", cmd="neighbor", ids=IDS, filters=filters)


@pytest.mark.parametrize("date", ["1995", "2020/01", "2020/1/5", "2021/12/31"])
def test_dates_of_every_documented_form_are_sent(date: str) -> None:
    filters = LinkFilters(mindate=date, maxdate=date)
    params = elink_params(dbfrom="pubmed", db="pubmed", cmd="neighbor", ids=IDS, filters=filters)
    assert values(params, "mindate") == values(params, "maxdate") == [date]


def test_a_negative_reldate_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="reldate"):
        elink_params(
            dbfrom="pubmed", db="pubmed", cmd="neighbor", ids=IDS, filters=LinkFilters(reldate=-1)
        )


@pytest.mark.parametrize("datetype", ["xdat", "PDAT", "date"])
def test_bad_datetype_is_a_usage_error(datetype: str) -> None:
    assert datetype not in DATE_TYPES
    with pytest.raises(UsageError, match=datetype):
        elink_params(
            dbfrom="pubmed",
            db="pubmed",
            cmd="neighbor",
            ids=IDS,
            filters=LinkFilters(datetype=datetype, reldate=5),
        )


@pytest.mark.parametrize("datetype", DATE_TYPES)
def test_every_known_datetype_is_accepted(datetype: str) -> None:
    check_link_params(
        dbfrom="pubmed",
        db="pubmed",
        cmd="neighbor",
        linkname=None,
        filters=LinkFilters(datetype=datetype, reldate=1),
    )
    params = elink_params(
        dbfrom="pubmed",
        db="pubmed",
        cmd="neighbor",
        ids=IDS,
        filters=LinkFilters(datetype=datetype, reldate=1),
    )
    assert values(params, "datetype") == [datetype]


# --- idtype and holding ---------------------------------------------------------------


def test_idtype_acc_is_sent() -> None:
    params = elink_params(
        dbfrom="gene", db="nuccore", cmd="neighbor", ids=IDS, filters=LinkFilters(idtype="acc")
    )
    assert values(params, "idtype") == ["acc"]


@pytest.mark.parametrize("idtype", ["uid", "ACC", "gi"])
def test_other_idtypes_are_a_usage_error(idtype: str) -> None:
    with pytest.raises(UsageError, match="idtype"):
        elink_params(
            dbfrom="gene",
            db="nuccore",
            cmd="neighbor",
            ids=IDS,
            filters=LinkFilters(idtype=idtype),
        )


@pytest.mark.parametrize("cmd", ["llinks", "llinkslib"])
def test_holding_goes_with_llinks(cmd: str) -> None:
    params = elink_params(dbfrom="pubmed", cmd=cmd, ids=IDS, filters=LinkFilters(holding="ABC"))
    assert values(params, "holding") == ["ABC"]


@pytest.mark.parametrize("cmd", ["neighbor", "prlinks", "ncheck", "acheck"])
def test_holding_with_other_cmds_is_a_usage_error(cmd: str) -> None:
    with pytest.raises(UsageError, match="holding"):
        elink_params(
            dbfrom="pubmed", db="pubmed", cmd=cmd, ids=IDS, filters=LinkFilters(holding="ABC")
        )


def test_unset_filters_send_nothing() -> None:
    params = elink_params(dbfrom="gene", db="protein", cmd="neighbor", ids=IDS)
    filter_names = {"term", "datetype", "reldate", "mindate", "maxdate", "idtype", "holding"}
    assert filter_names.isdisjoint(names(params))
    assert names(params) == ["dbfrom", "cmd", "db"] + ["id"] * len(IDS)


def test_check_link_params_accepts_a_valid_combination() -> None:
    # No exception, and elink_params builds the same combination.
    check_link_params(
        dbfrom="gene",
        db="protein",
        cmd="neighbor_score",
        linkname="gene_protein",
        filters=LinkFilters(),
    )
    params = elink_params(
        dbfrom="gene", db="protein", cmd="neighbor_score", ids=IDS, linkname="gene_protein"
    )
    assert values(params, "linkname") == ["gene_protein"]


# --- identity and epost ---------------------------------------------------------------


def test_identity_params_with_everything() -> None:
    params = identity_params("elinkcli", "me@example.org", "KEY123")
    assert dict(params) == {"tool": "elinkcli", "email": "me@example.org", "api_key": "KEY123"}
    assert len(params) == 3


@pytest.mark.parametrize(
    ("email", "api_key", "expected_names"),
    [
        (None, None, ["tool"]),
        ("", "", ["tool"]),
        ("me@example.org", None, ["tool", "email"]),
        (None, "KEY", ["tool", "api_key"]),
    ],
)
def test_identity_params_only_what_is_given(
    email: str | None, api_key: str | None, expected_names: list[str]
) -> None:
    params = identity_params("mytool", email, api_key)
    assert names(params) == expected_names
    assert values(params, "tool") == ["mytool"]
    if email:
        assert values(params, "email") == [email]
    if api_key:
        assert values(params, "api_key") == [api_key]


def test_epost_params_join_ids_in_one_value() -> None:
    params = epost_params("protein", IDS)
    assert params == [("db", "protein"), ("id", ",".join(IDS))]


def test_epost_params_with_webenv() -> None:
    params = epost_params("pubmed", IDS[:2], webenv="MCID_1")
    assert values(params, "WebEnv") == ["MCID_1"]
    assert values(params, "id") == [",".join(IDS[:2])]
    assert values(params, "db") == ["pubmed"]
