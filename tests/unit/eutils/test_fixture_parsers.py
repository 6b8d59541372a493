"""The parsers against real NCBI recordings: every fact of tests/fixtures/eutils/manifest.json.

Each manifest entry names one file of ``responses/`` and the facts read from it
(``expected``). The checks below walk that dict level by level; every level lists the
keys it knows, so a fact the checks do not understand fails the test instead of being
skipped without a word.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import pytest
from support.paths import TESTS

from elinkcli.errors import ResponseParseError
from elinkcli.eutils.elink_parser import parse_elink
from elinkcli.eutils.parsers import parse_einfo, parse_epost, parse_esummary, parse_json_envelope
from elinkcli.eutils.records import (
    DbInfo,
    EInfoResult,
    ELinkResult,
    EPostResult,
    ESummaryResult,
    IdCheck,
    IdLinkSet,
    IdUrlSet,
    JsonEnvelope,
    LinkDesc,
    LinkInfo,
    LinkSet,
    LinkSetDb,
    LinkSetDbHistory,
    ObjUrl,
    Provider,
)

Expected = Mapping[str, Any]
T = TypeVar("T")

FIXTURES = TESTS / "fixtures" / "eutils"
RESPONSES = FIXTURES / "responses"
MANIFEST: list[dict[str, Any]] = json.loads((FIXTURES / "manifest.json").read_text("utf-8"))
ENTRIES: dict[str, dict[str, Any]] = {entry["file"]: entry for entry in MANIFEST}

XML_PARSERS: dict[str, Callable[[bytes], object]] = {
    "elink": parse_elink,
    "einfo": parse_einfo,
    "epost": parse_epost,
    "esummary": parse_esummary,
}
# The parsers check the root element and raise ResponseParseError on any other one, so a
# successful parse proves the manifest's root_element only if it is the one expected here.
ROOT_ELEMENTS = {
    "elink": "eLinkResult",
    "einfo": "eInfoResult",
    "epost": "ePostResult",
    "esummary": "eSummaryResult",
}

# Every manifest key each level of the checks below understands.
LINKSET_KEYS = {
    "dbfrom",
    "idlist",
    "linksetdbs",
    "linksetdbhistory",
    "webenv",
    "idchecklist",
    "idurllist",
}
LINKSETDB_KEYS = {
    "dbto",
    "linkname",
    "n_links",
    "first_ids",
    "first_scores",
    "last_id",
    "info",
    "all_links_have_score",
}
OBJURL_KEYS = {
    "url",
    "iconurl",
    "linkname",
    "subject_types",
    "categories",
    "attributes",
    "provider",
}
DBINFO_KEYS = {
    "dbname",
    "menuname",
    "description",
    "dbbuild",
    "count",
    "lastupdate",
    "n_fields",
    "first_field_names",
    "has_linklist",
    "n_links",
    "links",
}

KLORTHO_ERROR = "Can not retrieve DbInfo for db=fleegle"


def _companion_errors() -> dict[str, tuple[str, ...]]:
    """JSON file -> the ERROR texts of the XML answer it was converted from."""
    errors: dict[str, tuple[str, ...]] = {}
    for entry in MANIFEST:
        companion = entry.get("companion_json")
        if companion:
            errors[companion.split(" ", 1)[0]] = tuple(entry["expected"]["errors"])
    return errors


COMPANION_ERRORS = _companion_errors()


def _read(name: str) -> bytes:
    return (RESPONSES / name).read_bytes()


def _only_known_keys(expected: Expected, known: set[str], where: str) -> None:
    unknown = set(expected) - known
    assert not unknown, f"{where}: manifest facts this test does not check: {sorted(unknown)}"


def _pairs(
    actual: Sequence[T], expected: Sequence[Expected], where: str
) -> list[tuple[str, T, Expected]]:
    """(location, parsed item, manifest item) for two lists that must be as long."""
    assert len(actual) == len(expected), (
        f"{where}: parser gave {len(actual)} item(s), manifest lists {len(expected)}"
    )
    return [
        (f"{where}[{i}]", item, exp)
        for i, (item, exp) in enumerate(zip(actual, expected, strict=True))
    ]


# --- ELink ------------------------------------------------------------------------------


def _check_linksetdb(db: LinkSetDb, exp: Expected, where: str) -> None:
    _only_known_keys(exp, LINKSETDB_KEYS, where)
    assert db.dbto == exp["dbto"], where
    assert db.linkname == exp["linkname"], where
    assert len(db.ids) == exp["n_links"], where
    first_ids = exp["first_ids"]
    assert list(db.ids[: len(first_ids)]) == first_ids, where
    first_scores = exp["first_scores"]
    if first_scores is None:
        assert db.scores is None, where
    else:
        assert db.scores is not None, where
        assert [str(s) for s in db.scores[: len(first_scores)]] == first_scores, where
    if "last_id" in exp:
        assert db.ids, where
        assert db.ids[-1] == exp["last_id"], where
    if "info" in exp:
        assert db.info == exp["info"], where
    if "all_links_have_score" in exp:
        every_link_scored = db.scores is not None and len(db.scores) == len(db.ids)
        assert every_link_scored is exp["all_links_have_score"], where


def _check_history(history: LinkSetDbHistory, exp: Expected, where: str) -> None:
    _only_known_keys(exp, {"dbto", "linkname", "querykey"}, where)
    assert history.dbto == exp["dbto"], where
    assert history.linkname == exp["linkname"], where
    assert history.query_key == exp["querykey"], where


def _check_id_check(check: IdCheck, exp: Expected, where: str) -> None:
    _only_known_keys(exp, {"id", "attrs"}, where)
    assert check.id == exp["id"], where
    assert dict(check.attrs) == exp["attrs"], where


def _check_linkinfo(info: LinkInfo, exp: Expected, where: str) -> None:
    _only_known_keys(exp, {"dbto", "linkname", "menutag", "htmltag", "priority", "url"}, where)
    assert info.dbto == exp["dbto"], where
    assert info.linkname == exp["linkname"], where
    assert info.menutag == exp["menutag"], where
    assert info.htmltag == exp["htmltag"], where
    assert info.priority == exp["priority"], where
    if "url" in exp:
        assert info.url == exp["url"], where


def _check_idlinkset(idlinkset: IdLinkSet, exp: Expected, where: str) -> None:
    _only_known_keys(exp, {"id", "n_linkinfo", "linkinfos"}, where)
    assert idlinkset.id == exp["id"], where
    assert len(idlinkset.linkinfos) == exp["n_linkinfo"], where
    for at, info, exp_info in _pairs(idlinkset.linkinfos, exp["linkinfos"], f"{where}.linkinfos"):
        _check_linkinfo(info, exp_info, at)


def _check_idchecklist(linkset: LinkSet, exp: Expected, where: str) -> None:
    _only_known_keys(exp, {"ids", "idlinksets"}, where)
    assert linkset.has_idchecklist, where
    for at, check, exp_check in _pairs(linkset.id_checks, exp["ids"], f"{where}.ids"):
        _check_id_check(check, exp_check, at)
    for at, idls, exp_idls in _pairs(
        linkset.id_link_sets, exp["idlinksets"], f"{where}.idlinksets"
    ):
        _check_idlinkset(idls, exp_idls, at)


def _check_provider(provider: Provider | None, exp: Expected | None, where: str) -> None:
    if exp is None:
        assert provider is None, where
        return
    _only_known_keys(exp, {"name", "name_abbr", "id", "url", "iconurl", "url_attrs"}, where)
    assert provider is not None, where
    assert provider.name == exp["name"], where
    assert provider.name_abbr == exp["name_abbr"], where
    assert provider.id == exp["id"], where
    assert provider.url == exp["url"], where
    assert provider.iconurl == exp["iconurl"], where
    url_attrs = exp["url_attrs"]
    if url_attrs is None:
        assert provider.url_lng is None, where
    else:
        _only_known_keys(url_attrs, {"LNG"}, f"{where}.url_attrs")
        assert provider.url_lng == url_attrs["LNG"], where


def _check_objurl(objurl: ObjUrl, exp: Expected, where: str) -> None:
    _only_known_keys(exp, OBJURL_KEYS, where)
    assert objurl.url == exp["url"], where
    if "iconurl" in exp:
        assert objurl.iconurl == exp["iconurl"], where
    if "linkname" in exp:
        assert objurl.linkname == exp["linkname"], where
    if "subject_types" in exp:
        assert list(objurl.subject_types) == exp["subject_types"], where
    if "categories" in exp:
        assert list(objurl.categories) == exp["categories"], where
    if "attributes" in exp:
        assert list(objurl.attributes) == exp["attributes"], where
    if "provider" in exp:
        _check_provider(objurl.provider, exp["provider"], f"{where}.provider")


def _check_idurlset(urlset: IdUrlSet, exp: Expected, where: str) -> None:
    _only_known_keys(exp, {"id", "n_objurls", "objurls", "info"}, where)
    assert urlset.id == exp["id"], where
    assert len(urlset.objurls) == exp["n_objurls"], where
    if "info" in exp:
        assert urlset.info == exp["info"], where
    for at, objurl, exp_objurl in _pairs(urlset.objurls, exp["objurls"], f"{where}.objurls"):
        _check_objurl(objurl, exp_objurl, at)


def _check_idurllist(linkset: LinkSet, exp: Expected, where: str) -> None:
    _only_known_keys(exp, {"n_idurlsets", "idurlsets"}, where)
    assert linkset.has_idurllist, where
    assert len(linkset.id_url_sets) == exp["n_idurlsets"], where
    for at, urlset, exp_urlset in _pairs(
        linkset.id_url_sets, exp["idurlsets"], f"{where}.idurlsets"
    ):
        _check_idurlset(urlset, exp_urlset, at)


def _check_linkset(linkset: LinkSet, exp: Expected, where: str) -> None:
    _only_known_keys(exp, LINKSET_KEYS, where)
    assert linkset.dbfrom == exp["dbfrom"], where
    if "idlist" in exp:
        assert list(linkset.ids) == exp["idlist"], where
    if "linksetdbs" in exp:
        for at, db, exp_db in _pairs(linkset.linksetdbs, exp["linksetdbs"], f"{where}.linksetdbs"):
            _check_linksetdb(db, exp_db, at)
    if "linksetdbhistory" in exp:
        exp_histories = exp["linksetdbhistory"]
        for at, history, exp_history in _pairs(
            linkset.histories, exp_histories, f"{where}.linksetdbhistory"
        ):
            _check_history(history, exp_history, at)
    if "webenv" in exp:
        assert linkset.webenv == exp["webenv"], where
    if "idchecklist" in exp:
        _check_idchecklist(linkset, exp["idchecklist"], f"{where}.idchecklist")
    if "idurllist" in exp:
        _check_idurllist(linkset, exp["idurllist"], f"{where}.idurllist")


def _check_elink(result: ELinkResult, exp: Expected) -> None:
    _only_known_keys(
        exp, {"root_element", "number_of_linksets", "top_level_errors", "linksets"}, "expected"
    )
    assert exp["root_element"] == ROOT_ELEMENTS["elink"]
    assert len(result.linksets) == exp["number_of_linksets"]
    assert list(result.errors) == exp["top_level_errors"]
    for at, linkset, exp_linkset in _pairs(result.linksets, exp["linksets"], "linksets"):
        _check_linkset(linkset, exp_linkset, at)


# --- EInfo ------------------------------------------------------------------------------


def _check_linkdesc(link: LinkDesc, exp: Expected, where: str) -> None:
    _only_known_keys(exp, {"name", "menu", "description", "dbto"}, where)
    assert link.name == exp["name"], where
    assert link.menu == exp["menu"], where
    assert link.description == exp["description"], where
    assert link.dbto == exp["dbto"], where


def _check_dbinfo(info: DbInfo, exp: Expected, where: str) -> None:
    _only_known_keys(exp, DBINFO_KEYS, where)
    assert info.dbname == exp["dbname"], where
    assert info.menuname == exp["menuname"], where
    assert info.description == exp["description"], where
    if "dbbuild" in exp:
        assert info.dbbuild == exp["dbbuild"], where
    assert info.count == exp["count"], where
    assert info.lastupdate == exp["lastupdate"], where
    assert len(info.field_names) == exp["n_fields"], where
    first_fields = exp["first_field_names"]
    assert list(info.field_names[: len(first_fields)]) == first_fields, where
    assert info.has_linklist is exp["has_linklist"], where
    assert len(info.links) == exp["n_links"], where
    for at, link, exp_link in _pairs(info.links, exp["links"], f"{where}.links"):
        _check_linkdesc(link, exp_link, at)


def _check_einfo(result: EInfoResult, exp: Expected) -> None:
    _only_known_keys(exp, {"root_element", "dblist", "n_dbs", "dbinfo", "errors"}, "expected")
    assert exp["root_element"] == ROOT_ELEMENTS["einfo"]
    if "dblist" in exp:
        assert result.dblist is not None
        assert list(result.dblist) == exp["dblist"]
    if "n_dbs" in exp:
        assert result.dblist is not None
        assert len(result.dblist) == exp["n_dbs"]
    if "dbinfo" in exp:
        for at, info, exp_info in _pairs(result.dbinfo, exp["dbinfo"], "dbinfo"):
            _check_dbinfo(info, exp_info, at)
    assert list(result.errors) == exp["errors"]


# --- EPost ------------------------------------------------------------------------------


def _check_epost(result: EPostResult, exp: Expected) -> None:
    _only_known_keys(
        exp, {"root_element", "querykey", "webenv", "invalid_ids", "errors"}, "expected"
    )
    assert exp["root_element"] == ROOT_ELEMENTS["epost"]
    assert result.query_key == exp["querykey"]
    assert result.webenv == exp["webenv"]
    if exp["invalid_ids"] is None:
        assert result.invalid_ids is None
    else:
        assert result.invalid_ids is not None
        assert list(result.invalid_ids) == exp["invalid_ids"]
    assert list(result.errors) == exp["errors"]


def _check_esummary(result: ESummaryResult, exp: Expected) -> None:
    _only_known_keys(exp, {"root_element", "docsums", "errors"}, "expected")
    assert exp["root_element"] == ROOT_ELEMENTS["esummary"]
    for where, docsum, exp_docsum in _pairs(result.docsums, exp["docsums"], "docsums"):
        _only_known_keys(exp_docsum, {"uid", "caption", "extra", "accession_version"}, where)
        assert docsum.uid == exp_docsum["uid"], where
        for item, key in (
            ("Caption", "caption"),
            ("Extra", "extra"),
            ("AccessionVersion", "accession_version"),
        ):
            wanted = exp_docsum[key]
            assert docsum.get(item) == ([] if wanted is None else [wanted]), f"{where} {item}"
    assert list(result.errors) == exp["errors"]


# --- JSON and unparsable bodies ---------------------------------------------------------


def _check_json(name: str, envelope: JsonEnvelope, exp: Expected) -> None:
    _only_known_keys(exp, {"header", "top_level_keys"}, "expected")
    assert envelope.header == exp["header"]
    assert list(envelope.top_level_keys) == exp["top_level_keys"]
    # The manifest keeps ERROR texts on the XML answer each JSON file was converted from.
    assert name in COMPANION_ERRORS, f"{name}: no XML entry names it as companion_json"
    assert envelope.errors == COMPANION_ERRORS[name]


def _check_parse_error(endpoint: str, data: bytes, exp: Expected) -> None:
    _only_known_keys(exp, {"xml_parse_error"}, "expected")
    with pytest.raises(ResponseParseError) as excinfo:
        XML_PARSERS[endpoint](data)
    assert exp["xml_parse_error"] in str(excinfo.value)


# --- Tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", MANIFEST, ids=[entry["file"] for entry in MANIFEST])
def test_manifest_facts(entry: dict[str, Any]) -> None:
    name: str = entry["file"]
    endpoint: str = entry["endpoint"]
    exp: Expected = entry["expected"]
    data = _read(name)
    if "xml_parse_error" in exp:
        _check_parse_error(endpoint, data, exp)
    elif name.endswith(".json"):
        _check_json(name, parse_json_envelope(data), exp)
    elif endpoint == "elink":
        _check_elink(parse_elink(data), exp)
    elif endpoint == "einfo":
        _check_einfo(parse_einfo(data), exp)
    elif endpoint == "epost":
        _check_epost(parse_epost(data), exp)
    elif endpoint == "esummary":
        _check_esummary(parse_esummary(data), exp)
    else:
        pytest.fail(f"{name}: no parser for endpoint {endpoint!r}")


# Recorded files the shared manifest does not describe; each has its own test below.
UNLISTED = {"galaxy.einfo.dblist.xml"}


def test_every_response_file_has_a_manifest_entry() -> None:
    on_disk = {p.name for p in RESPONSES.iterdir() if p.is_file()}
    assert len(ENTRIES) == len(MANIFEST), "manifest names a file twice"
    assert sorted(on_disk - set(ENTRIES)) == sorted(UNLISTED), "responses with no entry"
    assert sorted(set(ENTRIES) - on_disk) == [], "manifest entries with no file in responses/"


def test_klortho_json_error_is_read() -> None:
    envelope = parse_json_envelope(_read("klortho.einfo.error.json"))
    assert envelope.errors == (KLORTHO_ERROR,)
    assert envelope.header == {"type": "einfo", "version": "0.3"}


def test_galaxy_elink_json_envelope() -> None:
    data = (FIXTURES / "json" / "galaxy.elink.gene_nuccore.json").read_bytes()
    envelope = parse_json_envelope(data)
    assert envelope.header["type"] == "elink"
    assert envelope.header["version"] == "0.3"
    assert envelope.top_level_keys == ("header", "linksets")
    assert envelope.errors == ()


def test_galaxy_einfo_dblist_without_manifest_entry() -> None:
    """No manifest entry: check the parser against a plain regex reading of the same bytes."""
    import re

    data = _read("galaxy.einfo.dblist.xml")
    names = re.findall(rb"<DbName>\s*([^<]*?)\s*</DbName>", data)
    result = parse_einfo(data)
    assert result.errors == ()
    assert result.dbinfo == ()
    assert result.dblist == tuple(n.decode() for n in names)
    assert len(names) > 30
    assert result.dblist[0] == "pubmed"
    assert "sparcle" in result.dblist
