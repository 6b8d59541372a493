"""XML documents on stdin: eSearchResult and eLinkResult, and current EDirect's query
messages. Every real eLinkResult recording must give its linked ids (per the manifest's
facts) or a clear one-line error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support.paths import TESTS

from elinkcli.errors import UsageError
from elinkcli.ids.input import run_input as _run_input
from elinkcli.ids.source import detect_form, read_source

FIXTURES = TESTS / "fixtures" / "eutils"
MANIFEST: list[dict[str, Any]] = json.loads((FIXTURES / "manifest.json").read_text("utf-8"))
ELINK = [e for e in MANIFEST if e["expected"].get("root_element") == "eLinkResult"]
ESEARCH_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n'
    '<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
)


def esearch_doc(count: int, ids: list[str], webenv: str | None = None, error: str = "") -> bytes:
    history = f"<QueryKey>1</QueryKey><WebEnv>{webenv}</WebEnv>" if webenv else ""
    body = "".join(f"<Id>{i}</Id>" for i in ids)
    err = f"<ERROR>{error}</ERROR>" if error else ""
    return (
        f"{ESEARCH_HEAD}<eSearchResult><Count>{count}</Count><RetMax>{len(ids)}</RetMax>"
        f"<RetStart>0</RetStart>{history}<IdList>{body}</IdList>{err}"
        "<TranslationSet/><QueryTranslation>x</QueryTranslation></eSearchResult>\n"
    ).encode()


# --- eLinkResult: every real recording -------------------------------------------------


@pytest.mark.parametrize("entry", ELINK, ids=[e["file"] for e in ELINK])
def test_every_recorded_elink_result_gives_its_linked_ids_or_a_clear_error(entry) -> None:
    data = (FIXTURES / "responses" / entry["file"]).read_bytes()
    expected = entry["expected"]
    linksets = expected["linksets"]
    dbto = {d["dbto"] for ls in linksets for d in ls.get("linksetdbs") or []}
    histories = [h for ls in linksets for h in ls.get("linksetdbhistory") or []]
    assert detect_form(data) == "elink"
    if expected["top_level_errors"] or any(ls.get("errors") for ls in linksets):
        with pytest.raises(UsageError, match="carries an error"):
            read_source(data)
        return
    if len(histories) > 1:
        with pytest.raises(UsageError, match="several link sets"):
            read_source(data)
        return
    if len(histories) == 1:
        source = read_source(data)
        assert source.stored.query_key == histories[0]["querykey"]
        assert source.stored.webenv and source.db == histories[0]["dbto"]
        return
    if len(dbto) > 1:
        with pytest.raises(UsageError, match="several databases"):
            read_source(data)
        return
    if entry["cmd_kind"] in ("acheck", "ncheck", "lcheck", "llinks", "prlinks"):
        with pytest.raises(UsageError, match="link checks or LinkOut URLs"):
            read_source(data)
        return
    if not dbto:  # a neighbor answer without links: nothing to pass on
        assert read_source(data).ids == ()
        return
    source = read_source(data)
    assert source.db == next(iter(dbto))
    n_links = sum(d["n_links"] for ls in linksets for d in ls["linksetdbs"])
    assert 0 < len(source.ids) <= n_links
    for ls in linksets:
        for d in ls["linksetdbs"]:
            assert d["first_ids"][0] in source.ids
            assert d["last_id"] in source.ids
    per_id = all(len(ls["idlist"]) == 1 for ls in linksets)
    assert bool(source.origins) == per_id
    if per_id:
        for ls in linksets:
            for d in ls["linksetdbs"]:
                assert ls["idlist"][0] in source.origins[d["first_ids"][0]]


def test_union_elink_result_has_no_provenance_and_per_id_one_has() -> None:
    union = (
        b"<eLinkResult><LinkSet><DbFrom>gene</DbFrom><IdList><Id>1</Id><Id>2</Id></IdList>"
        b"<LinkSetDb><DbTo>protein</DbTo><LinkName>gene_protein</LinkName>"
        b"<Link><Id>10</Id></Link><Link><Id>11</Id></Link></LinkSetDb></LinkSet></eLinkResult>"
    )
    source = read_source(union)
    assert source.ids == ("10", "11") and source.db == "protein" and source.origins == {}
    per_id = (
        b"<eLinkResult>"
        b"<LinkSet><DbFrom>gene</DbFrom><IdList><Id>1</Id></IdList><LinkSetDb><DbTo>protein"
        b"</DbTo><LinkName>gene_protein</LinkName><Link><Id>10</Id></Link><Link><Id>11</Id>"
        b"</Link></LinkSetDb></LinkSet>"
        b"<LinkSet><DbFrom>gene</DbFrom><IdList><Id>2</Id></IdList><LinkSetDb><DbTo>protein"
        b"</DbTo><LinkName>gene_protein</LinkName><Link><Id>11</Id></Link></LinkSetDb></LinkSet>"
        b"<LinkSet><DbFrom>gene</DbFrom><IdList><Id>3</Id></IdList></LinkSet>"
        b"</eLinkResult>"
    )
    source = read_source(per_id)
    assert source.ids == ("10", "11")
    assert source.origins == {"10": ("1",), "11": ("1", "2")}
    assert source.origin_db == "gene"
    run = _run_input(None, source)
    assert run.db == "protein" and run.ids == ("10", "11") and run.origin_db == "gene"


def test_an_elink_result_without_links_is_an_empty_input() -> None:
    doc = b"<eLinkResult><LinkSet><DbFrom>gene</DbFrom><IdList><Id>1</Id></IdList></LinkSet>"
    doc += b"</eLinkResult>"
    run = _run_input("protein", read_source(doc))
    assert run.empty


@pytest.mark.parametrize(
    "doc",
    [b"<eLinkResult><LinkSet><DbFrom>gene", b"<eSearchResult><Count>x</Count></eSearchResult>"],
)
def test_malformed_documents_are_usage_errors(doc) -> None:
    with pytest.raises(UsageError, match="malformed"):
        read_source(doc)


# --- eSearchResult -----------------------------------------------------------------------


def test_esearch_result_ids_need_the_db_from_the_user() -> None:
    source = read_source(esearch_doc(3, ["5", "6", "7"]))
    assert source.form == "esearch" and source.ids == ("5", "6", "7")
    with pytest.raises(UsageError, match="--db is required"):
        _run_input(None, source)
    run = _run_input("pubmed", source)
    assert run.ids == ("5", "6", "7") and run.message is None


def test_esearch_result_with_more_than_its_ids_uses_its_history_set() -> None:
    run = _run_input("pubmed", read_source(esearch_doc(500, ["5", "6"], webenv="MCID_1")))
    assert run.history is not None
    assert (run.history.webenv, run.history.query_key, run.history.count) == ("MCID_1", "1", 500)


def test_esearch_result_cut_by_retmax_without_history_is_refused() -> None:
    with pytest.raises(UsageError, match="2 of its 500 ids"):
        read_source(esearch_doc(500, ["5", "6"]))


def test_esearch_result_with_an_error_and_count_zero() -> None:
    with pytest.raises(UsageError, match="carries an error: Invalid db"):
        read_source(esearch_doc(0, [], error="Invalid db name specified: xx"))
    assert _run_input("pubmed", read_source(esearch_doc(0, []))).empty


# --- EDirect query messages ----------------------------------------------------------------


def test_a_query_message_is_a_query_to_run_again_with_its_dates() -> None:
    message = (
        b"<ENTREZ_DIRECT>\n  <Db>pubmed</Db>\n  <Count>12345</Count>\n"
        b"  <Query>BRCA1[ti] AND review[pt]</Query>\n  <MinDate>2000</MinDate>\n"
        b"  <MaxDate>2020/06/30</MaxDate>\n  <DateType>PDAT</DateType>\n</ENTREZ_DIRECT>\n"
    )
    run = _run_input(None, read_source(message))
    assert run.query is not None and not run.empty
    assert (run.query.db, run.query.term, run.query.count) == (
        "pubmed",
        "BRCA1[ti] AND review[pt]",
        12345,
    )
    assert (run.query.mindate, run.query.maxdate, run.query.datetype) == (
        "2000",
        "2020/06/30",
        "PDAT",
    )
    assert run.query.reldate is None


def test_a_query_message_with_ids_links_the_ids() -> None:
    message = (
        b"<ENTREZ_DIRECT><Db>pubmed</Db><Count>2</Count><Query>x</Query>"
        b"<Id>1</Id><Id>2</Id></ENTREZ_DIRECT>"
    )
    run = _run_input(None, read_source(message))
    assert run.query is None and run.ids == ("1", "2")


def test_a_query_message_with_count_zero_is_empty() -> None:
    message = b"<ENTREZ_DIRECT><Db>pubmed</Db><Count>0</Count><Query>x</Query></ENTREZ_DIRECT>"
    assert _run_input(None, read_source(message)).empty


def test_a_count_with_nothing_to_read_names_what_is_missing() -> None:
    message = b"<ENTREZ_DIRECT><Db>pubmed</Db><Count>9</Count></ENTREZ_DIRECT>"
    with pytest.raises(UsageError, match="nor a Query"):
        _run_input(None, read_source(message))
