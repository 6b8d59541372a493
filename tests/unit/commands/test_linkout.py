"""`elinkcli.commands.linkout`: Resource, ResourceFilter, resource() and linkout() over
served every real llinks / prlinks answer in tests/fixtures/eutils.

Expected values are read from the served XML with the standard library's parser and checked
against the facts of manifest.json, never taken from what elinkcli returns.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator, Sequence
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from conftest import LINKOUT_HEADER, NCBI_SITE, absolute
from hypothesis import given, settings
from hypothesis import strategies as st
from support.fakes import FakeClock, form_values
from support.paths import TESTS

from elinkcli.commands.ledger import Ledger
from elinkcli.commands.linkout import (
    BARRIERS,
    LINKOUT_COLUMNS,
    Resource,
    ResourceFilter,
    linkout,
    resource,
)
from elinkcli.config import Settings
from elinkcli.constants import ELINK, MAX_BATCH
from elinkcli.errors import PermanentError, UsageError
from elinkcli.eutils.client import EutilsClient
from elinkcli.eutils.records import ObjUrl, Provider

BASE = "https://eutils.test/entrez/eutils/"
ELINK_URL = BASE + ELINK
FIXTURES = TESTS / "fixtures" / "eutils"
RESPONSES = FIXTURES / "responses"
MANIFEST = json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8"))
LINKOUT_ENTRIES = {
    e["file"]: e
    for e in MANIFEST
    if e["endpoint"] == "elink" and e["cmd_kind"] in ("llinks", "prlinks")
}
LINKOUT_FILES = sorted(LINKOUT_ENTRIES)
HEAD = '<?xml version="1.0" encoding="UTF-8" ?>\n'


# --- the recordings, read independently ---------------------------------------------------


def fixture_bytes(name: str) -> bytes:
    return (RESPONSES / name).read_bytes()


def text_of(el: ET.Element | None) -> str | None:
    return None if el is None else (el.text or "").strip()


def objurl_facts(obj: ET.Element) -> dict[str, Any]:
    """One <ObjUrl> as plain data: the fields elinkcli reports."""
    prov = obj.find("Provider")
    return {
        "url": text_of(obj.find("Url")),
        "iconurl": text_of(obj.find("IconUrl")),
        "linkname": text_of(obj.find("LinkName")),
        "subject_types": [text_of(e) for e in obj.findall("SubjectType")],
        "categories": [text_of(e) for e in obj.findall("Category")],
        "attributes": [text_of(e) for e in obj.findall("Attribute")],
        "provider": None
        if prov is None
        else (
            text_of(prov.find("Name")),
            text_of(prov.find("NameAbbr")),
            text_of(prov.find("Id")),
        ),
    }


def recorded(data: bytes) -> dict[str, dict[str, Any]]:
    """{id: {"objurls": [...], "info": text or None}} of every IdUrlSet in an answer."""
    root = ET.fromstring(data)
    out: dict[str, dict[str, Any]] = {}
    for s in root.iter("IdUrlSet"):
        uid = text_of(s.find("Id")) or ""
        assert uid not in out, f"id {uid} answered twice"
        out[uid] = {
            "objurls": [objurl_facts(o) for o in s.findall("ObjUrl")],
            "info": text_of(s.find("Info")),
        }
    return out


def manifest_facts(entry: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The same shape, from manifest.json's `expected` block."""
    out: dict[str, dict[str, Any]] = {}
    for ls in entry["expected"]["linksets"]:
        for s in ls["idurllist"]["idurlsets"]:
            assert len(s["objurls"]) == s["n_objurls"]
            out[s["id"]] = {
                "objurls": [
                    {
                        "url": o["url"],
                        "iconurl": o.get("iconurl"),
                        "linkname": o.get("linkname"),
                        "subject_types": o.get("subject_types", []),
                        "categories": o.get("categories", []),
                        "attributes": o.get("attributes", []),
                        "provider": None
                        if o.get("provider") is None
                        else (
                            o["provider"]["name"],
                            o["provider"]["name_abbr"],
                            o["provider"]["id"],
                        ),
                    }
                    for o in s["objurls"]
                ],
                "info": s.get("info"),
            }
    return out


def as_uid(token: str) -> str:
    """A numeric id as NCBI's UID: leading zeros dropped."""
    return token.lstrip("0") or "0"


def as_resource(db: str, uid: str, facts: dict[str, Any]) -> Resource:
    name, abbr, pid = facts["provider"] or ("", "", "")
    return Resource(
        source_db=db,
        source_id=uid,
        url=facts["url"],
        provider=name,
        provider_abbr=abbr,
        provider_id=pid,
        categories=tuple(facts["categories"]),
        subject_types=tuple(facts["subject_types"]),
        attributes=tuple(facts["attributes"]),
        label=facts["linkname"] or "",
        icon_url=absolute(facts["iconurl"]),
        source_uid=uid.lstrip("0") or "0",
    )


def expected_resources(
    db: str, ids: Sequence[str], answer: dict[str, dict[str, Any]]
) -> list[Resource]:
    """Input order, then NCBI's order; identical URL + provider id kept once."""
    out: list[Resource] = []
    for uid in ids:
        seen: set[tuple[str, str]] = set()
        for facts in answer.get(uid, {"objurls": []})["objurls"]:
            key = (facts["url"], (facts["provider"] or ("", "", ""))[2])
            if key not in seen:
                seen.add(key)
                out.append(as_resource(db, uid, facts))
    return out


def request_of(entry: dict[str, Any]) -> tuple[str, list[str], str]:
    """(dbfrom, ids, mode) of the recorded request."""
    params = entry["request"]["params"]
    mode = "primary" if entry["cmd_kind"] == "prlinks" else "all"
    return params["dbfrom"], list(params["ids"]), mode


def ref_accepts(r: Resource, f: ResourceFilter) -> bool:
    """The filter rules, written out: OR within one filter, AND across, case-insensitive."""

    def lower(values: Sequence[str]) -> set[str]:
        return {v.lower() for v in values}

    checks = [
        (f.categories, r.categories),
        (f.subject_types, r.subject_types),
        (f.attributes, r.attributes),
        (f.providers, (r.provider, r.provider_abbr)),
    ]
    for wanted, have in checks:
        if wanted and not lower(wanted) & lower(have):
            return False
    barriers = {"registration required", "subscription/membership/fee required"}
    return not (f.free and lower(r.attributes) & barriers)


@pytest.fixture
def client(clock: FakeClock) -> Iterator[EutilsClient]:
    settings = Settings(base_url=BASE, email="t@example.org", max_tries=3)
    with EutilsClient(settings, clock=clock, rng=random.Random(11)) as c:
        yield c


def run_linkout(client: EutilsClient, ids: Sequence[str], **kwargs: Any):
    stats = Ledger()
    rows = list(linkout(ids, client=client, stats=stats, **kwargs))
    return rows, stats


# --- the recordings themselves --------------------------------------------------------------


def test_every_llinks_prlinks_recording_is_covered():
    on_disk = {
        p.name
        for pattern in ("elink5*.xml", "elink6*.xml", "bioperl.elink_llinks*.xml")
        for p in RESPONSES.glob(pattern)
    }
    assert set(LINKOUT_FILES) == on_disk
    assert {LINKOUT_ENTRIES[f]["cmd_kind"] for f in LINKOUT_FILES} == {"llinks", "prlinks"}


@pytest.mark.parametrize("file", LINKOUT_FILES)
def test_recording_read_here_agrees_with_the_manifest(file):
    assert recorded(fixture_bytes(file)) == manifest_facts(LINKOUT_ENTRIES[file])


def test_recordings_hold_every_kind_of_icon_url_and_a_missing_one():
    icons = [
        o["iconurl"]
        for f in LINKOUT_FILES
        for s in recorded(fixture_bytes(f)).values()
        for o in s["objurls"]
    ]
    assert None in icons
    assert any(i and i.startswith("//") for i in icons)
    assert any(i and i.startswith("/") and not i.startswith("//") for i in icons)
    assert any(i and i.startswith("http://") for i in icons)


# --- linkout() over every real answer -------------------------------------------------------


@pytest.mark.parametrize("file", LINKOUT_FILES)
def test_linkout_over_a_real_answer(client, requests_mock, file):
    entry = LINKOUT_ENTRIES[file]
    dbfrom, ids, mode = request_of(entry)
    data = fixture_bytes(file)
    answer = recorded(data)
    assert sorted(answer) == sorted(ids)
    requests_mock.post(ELINK_URL, content=data)

    rows, stats = run_linkout(client, ids, db=dbfrom, mode=mode)

    expected = expected_resources(dbfrom, ids, answer)
    assert rows == expected
    # Field by field too, so a failure names the field.
    for got, want in zip(rows, expected, strict=True):
        assert got.url == want.url
        assert (got.provider, got.provider_abbr, got.provider_id) == (
            want.provider,
            want.provider_abbr,
            want.provider_id,
        )
        assert got.categories == want.categories
        assert got.subject_types == want.subject_types
        assert got.attributes == want.attributes
        assert got.label == want.label
        assert got.icon_url == want.icon_url
        assert got.icon_url == "" or got.icon_url.startswith(("https://", "http://"))
    (request,) = requests_mock.request_history
    assert form_values(request, "cmd") == [entry["cmd_kind"]]
    assert form_values(request, "dbfrom") == [dbfrom]
    assert form_values(request, "id") == ids
    assert form_values(request, "holding") == []
    with_links = [i for i in ids if answer[i]["objurls"]]
    assert stats.ids_in == len(ids)
    assert stats.ids_with_links == with_links
    assert stats.ids_without_links == [i for i in ids if i not in with_links]
    assert stats.ids_not_echoed == []
    assert stats.links == len(expected)
    assert stats.requests == 1


@pytest.mark.parametrize("file", LINKOUT_FILES)
def test_values_follow_the_columns(client, requests_mock, file):
    dbfrom, ids, mode = request_of(LINKOUT_ENTRIES[file])
    requests_mock.post(ELINK_URL, content=fixture_bytes(file))

    rows, _ = run_linkout(client, ids, db=dbfrom, mode=mode)

    assert tuple(LINKOUT_COLUMNS) == tuple(LINKOUT_HEADER)
    assert rows
    for r in rows:
        cells = dict(zip(LINKOUT_COLUMNS, r.values(), strict=True))
        assert cells == {
            "source_db": r.source_db,
            "source_id": r.source_id,
            "url": r.url,
            "provider": r.provider,
            "provider_abbr": r.provider_abbr,
            "provider_id": r.provider_id,
            "category": list(r.categories),
            "subject_types": list(r.subject_types),
            "attributes": list(r.attributes),
            "label": r.label,
            "icon_url": r.icon_url,
            "source_uid": r.source_id,
        }


def test_relative_and_protocol_relative_icons_made_absolute(client, requests_mock):
    # elink5.xml: "/corehtml/..."; elink5.bp-2013.xml: "//www.ncbi.nlm.nih.gov/...".
    seen = {}
    for file in ("elink5.xml", "elink5.bp-2013.xml", "elink5.bp-2008.xml"):
        dbfrom, ids, mode = request_of(LINKOUT_ENTRIES[file])
        (facts,) = recorded(fixture_bytes(file))[ids[0]]["objurls"]
        requests_mock.post(ELINK_URL, content=fixture_bytes(file))
        (row,) = run_linkout(client, ids, db=dbfrom, mode=mode)[0]
        seen[file] = (facts["iconurl"], row.icon_url)
    raw, got = seen["elink5.xml"]
    assert raw.startswith("/") and not raw.startswith("//")
    assert got == NCBI_SITE + raw
    raw, got = seen["elink5.bp-2013.xml"]
    assert raw.startswith("//www.ncbi.nlm.nih.gov/")
    assert got == "https:" + raw
    raw, got = seen["elink5.bp-2008.xml"]
    assert raw.startswith("http://")
    assert got == raw


def test_one_url_under_two_providers_stays_twice(client, requests_mock):
    entry = LINKOUT_ENTRIES["elink6.xml"]
    dbfrom, ids, mode = request_of(entry)
    answer = recorded(fixture_bytes("elink6.xml"))
    shared = {
        (uid, o["url"])
        for uid, s in answer.items()
        for o in s["objurls"]
        if len({p["provider"] for p in s["objurls"] if p["url"] == o["url"]}) > 1
    }
    assert shared, "elink6.xml lists one URL under two providers"
    requests_mock.post(ELINK_URL, content=fixture_bytes("elink6.xml"))

    rows, _ = run_linkout(client, ids, db=dbfrom, mode=mode)

    for uid, url in shared:
        providers = [o["provider"][2] for o in answer[uid]["objurls"] if o["url"] == url]
        got = [r.provider_id for r in rows if (r.source_id, r.url) == (uid, url)]
        assert got == providers
        assert len(set(got)) == len(got) == 2


def doubled(data: bytes, change: dict[str, str] | None = None) -> bytes:
    """The answer with every ObjUrl sent twice in a row (the copy's `change`d child texts:
    a tag path such as "Provider/Id" -> new text)."""
    root = ET.fromstring(data)
    for s in root.iter("IdUrlSet"):
        objs = s.findall("ObjUrl")
        for obj in objs:
            twin = copy.deepcopy(obj)
            for path, value in (change or {}).items():
                el = twin.find(path)
                if el is not None:
                    el.text = value
            s.insert(list(s).index(obj) + 1, twin)
    return HEAD.encode() + ET.tostring(root)


@pytest.mark.parametrize("file", LINKOUT_FILES)
def test_identical_url_and_provider_collapse(client, requests_mock, file):
    dbfrom, ids, mode = request_of(LINKOUT_ENTRIES[file])
    original = recorded(fixture_bytes(file))
    data = doubled(fixture_bytes(file))
    answer = recorded(data)
    assert sum(len(s["objurls"]) for s in answer.values()) == 2 * sum(
        len(s["objurls"]) for s in original.values()
    )
    requests_mock.post(ELINK_URL, content=data)

    rows, stats = run_linkout(client, ids, db=dbfrom, mode=mode)

    assert rows == expected_resources(dbfrom, ids, original)
    keys = [(r.source_id, r.url, r.provider_id) for r in rows]
    assert len(keys) == len(set(keys))
    assert stats.links == len(rows)


@pytest.mark.parametrize("path", ["Provider/Id", "Url"])
def test_a_copy_with_another_provider_or_url_is_kept(client, requests_mock, path):
    file = "bioperl.elink_llinks.xml"
    dbfrom, ids, mode = request_of(LINKOUT_ENTRIES[file])
    data = doubled(fixture_bytes(file), {path: "changed-999"})
    answer = recorded(data)
    requests_mock.post(ELINK_URL, content=data)

    rows, _ = run_linkout(client, ids, db=dbfrom, mode=mode)

    assert rows == expected_resources(dbfrom, ids, answer)
    assert len(rows) == sum(len(s["objurls"]) for s in answer.values())


def test_copy_with_same_url_and_provider_id_but_other_name_collapses(client, requests_mock):
    # The provider is identified by its id: a renamed copy is the same resource.
    file = "elink6.xml"
    dbfrom, ids, mode = request_of(LINKOUT_ENTRIES[file])
    original = recorded(fixture_bytes(file))
    data = doubled(fixture_bytes(file), {"Provider/Name": "Renamed", "LinkName": "Other label"})
    requests_mock.post(ELINK_URL, content=data)

    rows, _ = run_linkout(client, ids, db=dbfrom, mode=mode)

    assert rows == expected_resources(dbfrom, ids, original)
    assert "Renamed" not in {r.provider for r in rows}


# --- <Info>No links</Info> ----------------------------------------------------------------


@pytest.mark.parametrize("file", ["bioperl.elink_llinks.xml", "bioperl.elink_llinks_corr.xml"])
def test_no_links_info_means_none_not_an_error(client, requests_mock, file):
    entry = LINKOUT_ENTRIES[file]
    dbfrom, ids, mode = request_of(entry)
    answer = recorded(fixture_bytes(file))
    none = [i for i in ids if answer[i]["info"] == "No links"]
    assert none and all(answer[i]["objurls"] == [] for i in none)
    assert "IdUrlSet <Info>: No links" in entry["edge_cases"]
    requests_mock.post(ELINK_URL, content=fixture_bytes(file))

    rows, stats = run_linkout(client, ids, db=dbfrom, mode=mode)

    assert not {r.source_id for r in rows} & set(none)
    assert {r.source_id for r in rows} == set(ids) - set(none)
    assert stats.ids_without_links == none
    assert stats.ids_failed == []
    # Only the ids with No links, never asked for alone: the answer is still not an error.
    requests_mock.post(ELINK_URL, content=fixture_bytes(file))
    rows, stats = run_linkout(client, none, db=dbfrom, mode=mode)
    assert rows == []
    assert stats.ids_without_links == none


def test_answer_order_differs_output_follows_input(client, requests_mock):
    file = "bioperl.elink_llinks_corr.xml"
    entry = LINKOUT_ENTRIES[file]
    dbfrom, ids, mode = request_of(entry)
    answer_order = list(recorded(fixture_bytes(file)))
    assert answer_order != ids
    for order in (ids, list(reversed(ids)), answer_order):
        requests_mock.post(ELINK_URL, content=fixture_bytes(file))
        rows, _ = run_linkout(client, order, db=dbfrom, mode=mode)
        got = list(dict.fromkeys(r.source_id for r in rows))
        assert got == [i for i in order if recorded(fixture_bytes(file))[i]["objurls"]]


def test_id_not_echoed_is_counted(client, requests_mock):
    file = "bioperl.elink_llinks.xml"
    dbfrom, ids, mode = request_of(LINKOUT_ENTRIES[file])
    requests_mock.post(ELINK_URL, content=fixture_bytes(file))
    asked = [*ids[:2], "999999", *ids[2:]]

    rows, stats = run_linkout(client, asked, db=dbfrom, mode=mode)

    assert rows == expected_resources(dbfrom, ids, recorded(fixture_bytes(file)))
    assert stats.ids_not_echoed == ["999999"]
    assert "999999" not in stats.ids_with_links + stats.ids_without_links
    assert stats.ids_in == len(asked)


class RecordedServer:
    """A requests-mock callback answering each request from a real answer: one LinkSet per
    id= parameter holding that id's recorded IdUrlSet."""

    def __init__(self, data: bytes) -> None:
        root = ET.fromstring(data)
        self.dbfrom = text_of(root.find("LinkSet/DbFrom")) or ""
        self.sets = {text_of(s.find("Id")): s for s in root.iter("IdUrlSet")}
        self.asked: list[list[str]] = []

    def __call__(self, request: Any, context: Any) -> str:
        ids = form_values(request, "id")
        self.asked.append(ids)
        parts = [HEAD, "<eLinkResult>"]
        for uid in ids:
            parts.append(f"<LinkSet><DbFrom>{self.dbfrom}</DbFrom><IdUrlList>")
            parts.append(ET.tostring(self.sets[uid], encoding="unicode"))
            parts.append("</IdUrlList></LinkSet>")
        parts.append("</eLinkResult>")
        return "".join(parts)


@pytest.mark.parametrize("batch", [1, 3])
def test_batches_keep_input_order(client, requests_mock, batch):
    file = "bioperl.elink_llinks_corr.xml"
    dbfrom, ids, mode = request_of(LINKOUT_ENTRIES[file])
    server = RecordedServer(fixture_bytes(file))
    requests_mock.post(ELINK_URL, text=server)

    rows, stats = run_linkout(client, ids, db=dbfrom, mode=mode, batch=batch)

    assert rows == expected_resources(dbfrom, ids, recorded(fixture_bytes(file)))
    # Batches go out concurrently: compare the set of requests, not their order.
    assert sorted(server.asked) == sorted(ids[i : i + batch] for i in range(0, len(ids), batch))
    assert stats.requests == len(server.asked)


# --- modes, holding, bad arguments ---------------------------------------------------------


def test_holding_is_sent_with_llinks(client, requests_mock):
    file = "elink6.xml"
    dbfrom, ids, _ = request_of(LINKOUT_ENTRIES[file])
    requests_mock.post(ELINK_URL, content=fixture_bytes(file))

    run_linkout(client, ids, db=dbfrom, holding="MEDPLUS")

    (request,) = requests_mock.request_history
    assert form_values(request, "holding") == ["MEDPLUS"]
    assert form_values(request, "cmd") == ["llinks"]


def test_primary_asks_prlinks(client, requests_mock):
    file = "elink5.xml"
    dbfrom, ids, _ = request_of(LINKOUT_ENTRIES[file])
    requests_mock.post(ELINK_URL, content=fixture_bytes(file))

    rows, _ = run_linkout(client, ids, db=dbfrom, mode="primary")

    assert rows == expected_resources(dbfrom, ids, recorded(fixture_bytes(file)))
    assert form_values(requests_mock.last_request, "cmd") == ["prlinks"]


LLINKSLIB_REJECTED = (
    HEAD + "<eLinkResult><ERROR>llinkslib command not supported</ERROR></eLinkResult>\n"
)


@pytest.mark.parametrize("holding", [None, "MEDPLUS"])
def test_libraries_rejected_clearly_and_not_retried(client, requests_mock, holding):
    requests_mock.post(ELINK_URL, text=LLINKSLIB_REJECTED)

    with pytest.raises(PermanentError) as info:
        run_linkout(client, ["12085856"], db="pubmed", mode="libraries", holding=holding)

    assert "llinkslib" in str(info.value)
    assert info.value.exit_status == 3
    (request,) = requests_mock.request_history  # never retried
    assert form_values(request, "cmd") == ["llinkslib"]
    assert form_values(request, "holding") == ([holding] if holding else [])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"mode": "primary", "holding": "MEDPLUS"},
        {"mode": "everything"},
        {"mode": "llinks"},
        {"batch": 0},
        {"batch": MAX_BATCH + 1},
    ],
    ids=["primary-holding", "unknown-mode", "cmd-as-mode", "batch-0", "batch-too-big"],
)
def test_bad_arguments_refused_before_any_request(client, requests_mock, kwargs):
    requests_mock.post(ELINK_URL, content=fixture_bytes("elink6.xml"))

    with pytest.raises(UsageError):
        run_linkout(client, ["12085856"], db="pubmed", **kwargs)

    assert requests_mock.call_count == 0


# --- resource() -------------------------------------------------------------------------------


def objurl(**fields: Any) -> ObjUrl:
    base: dict[str, Any] = {
        "url": "https://example.org/r",
        "url_lng": None,
        "iconurl": None,
        "linkname": None,
        "subject_types": (),
        "categories": (),
        "attributes": (),
        "provider": None,
    }
    base.update(fields)
    return ObjUrl(**base)


def test_resource_without_provider_has_empty_provider_fields():
    r = resource("pubmed", "1", objurl(categories=("Medical",)))
    assert (r.provider, r.provider_abbr, r.provider_id) == ("", "", "")
    assert (r.url, r.label, r.icon_url) == ("https://example.org/r", "", "")
    assert r.categories == ("Medical",)
    assert r.values()[3:6] == ("", "", "")


def test_resource_with_provider_and_label():
    p = Provider(name="Some Provider", name_abbr="SP", id="42", url="https://sp.example")
    r = resource("protein", "7", objurl(provider=p, linkname="A label", iconurl="/corehtml/x.gif"))
    assert (r.source_db, r.source_id) == ("protein", "7")
    assert (r.provider, r.provider_abbr, r.provider_id) == ("Some Provider", "SP", "42")
    assert r.label == "A label"
    assert r.icon_url == NCBI_SITE + "/corehtml/x.gif"


def test_recorded_objurl_without_provider(client, requests_mock):
    # A real ObjUrl with its <Provider> taken out.
    file = "elink6.xml"
    dbfrom, ids, mode = request_of(LINKOUT_ENTRIES[file])
    root = ET.fromstring(fixture_bytes(file))
    first = next(root.iter("ObjUrl"))
    first.remove(first.find("Provider"))
    data = HEAD.encode() + ET.tostring(root)
    answer = recorded(data)
    assert any(o["provider"] is None for s in answer.values() for o in s["objurls"])
    requests_mock.post(ELINK_URL, content=data)

    rows, _ = run_linkout(client, ids, db=dbfrom, mode=mode)

    assert rows == expected_resources(dbfrom, ids, answer)
    assert ("", "", "") in {(r.provider, r.provider_abbr, r.provider_id) for r in rows}


# --- ResourceFilter ----------------------------------------------------------------------------


def res(
    *,
    categories: Sequence[str] = (),
    subject_types: Sequence[str] = (),
    attributes: Sequence[str] = (),
    provider: tuple[str, str, str] = ("Provider Name", "PNAME", "1"),
) -> Resource:
    return Resource(
        "pubmed",
        "1",
        "https://example.org/x",
        *provider,
        tuple(categories),
        tuple(subject_types),
        tuple(attributes),
        "",
        "",
        "1",
    )


MEDLINE = res(
    categories=["Medical"],
    subject_types=["consumer health"],
    attributes=["free resource"],
    provider=("MedlinePlus Health Information", "MEDPLUS", "3162"),
)
JOURNAL = res(
    categories=["Full Text Sources"],
    attributes=["subscription/membership/fee required", "full-text online"],
    provider=("Silverchair Information Systems", "silverchair", "7898"),
)
MODBASE = res(
    categories=["Molecular Biology Databases"],
    subject_types=["structure"],
    attributes=["registration required"],
    provider=("MODBASE", "modbase", "5447"),
)
BARE = res(provider=("", "", ""))
ALL = [MEDLINE, JOURNAL, MODBASE, BARE]


def passing(f: ResourceFilter) -> list[Resource]:
    return [r for r in ALL if f.accepts(r)]


def test_barriers_are_the_two_attributes():
    assert frozenset(BARRIERS) == {
        "registration required",
        "subscription/membership/fee required",
    }


def test_no_filter_accepts_everything():
    assert passing(ResourceFilter()) == ALL


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (ResourceFilter(categories=("medical",)), [MEDLINE]),
        (ResourceFilter(categories=("FULL TEXT SOURCES",)), [JOURNAL]),
        (ResourceFilter(subject_types=("Consumer Health",)), [MEDLINE]),
        (ResourceFilter(subject_types=("STRUCTURE",)), [MODBASE]),
        (ResourceFilter(attributes=("Free Resource",)), [MEDLINE]),
        (ResourceFilter(attributes=("FULL-TEXT ONLINE",)), [JOURNAL]),
        (ResourceFilter(providers=("medplus",)), [MEDLINE]),
        (ResourceFilter(providers=("medlineplus health information",)), [MEDLINE]),
        (ResourceFilter(providers=("SILVERCHAIR",)), [JOURNAL]),
        (ResourceFilter(providers=("Silverchair Information Systems",)), [JOURNAL]),
        (ResourceFilter(categories=("Education",)), []),
    ],
)
def test_each_filter_case_insensitive(f, expected):
    assert passing(f) == expected


def test_values_of_one_filter_are_or_ed():
    assert passing(ResourceFilter(categories=("Medical", "full text sources"))) == [
        MEDLINE,
        JOURNAL,
    ]
    assert passing(ResourceFilter(providers=("modbase", "MedlinePlus Health Information"))) == [
        MEDLINE,
        MODBASE,
    ]
    assert passing(
        ResourceFilter(attributes=("registration required", "free resource", "nope"))
    ) == [MEDLINE, MODBASE]


def test_different_filters_are_and_ed():
    assert passing(ResourceFilter(categories=("Medical",), attributes=("free resource",))) == [
        MEDLINE
    ]
    assert passing(ResourceFilter(categories=("Medical",), providers=("silverchair",))) == []
    assert passing(
        ResourceFilter(
            categories=("Medical", "Molecular Biology Databases"),
            subject_types=("structure", "consumer health"),
            providers=("modbase",),
        )
    ) == [MODBASE]


def test_free_drops_both_barriers_any_case():
    assert passing(ResourceFilter(free=True)) == [MEDLINE, BARE]
    shouting = res(attributes=["Registration Required"])
    fee = res(attributes=["SUBSCRIPTION/MEMBERSHIP/FEE REQUIRED", "free resource"])
    assert not ResourceFilter(free=True).accepts(shouting)
    assert not ResourceFilter(free=True).accepts(fee)
    assert ResourceFilter().accepts(fee)


def test_free_and_with_other_filters():
    assert passing(ResourceFilter(free=True, categories=("Full Text Sources", "Medical"))) == [
        MEDLINE
    ]
    assert passing(ResourceFilter(free=True, attributes=("registration required",))) == []


WORDS = ["Medical", "medical", "Full Text Sources", "structure", "free resource", "x"]
WORDS += ["registration required", "subscription/membership/fee required"]
WORDS += ["Registration Required", "MEDPLUS", "medplus", ""]


@settings(max_examples=300, deadline=None)
@given(
    cats=st.lists(st.sampled_from(WORDS), max_size=3),
    subj=st.lists(st.sampled_from(WORDS), max_size=3),
    attrs=st.lists(st.sampled_from(WORDS), max_size=3),
    prov=st.tuples(st.sampled_from(WORDS), st.sampled_from(WORDS), st.just("9")),
    f_cats=st.lists(st.sampled_from(WORDS), max_size=2),
    f_subj=st.lists(st.sampled_from(WORDS), max_size=2),
    f_attrs=st.lists(st.sampled_from(WORDS), max_size=2),
    f_prov=st.lists(st.sampled_from(WORDS), max_size=2),
    free=st.booleans(),
)
def test_filter_matches_the_rules_written_out(
    cats, subj, attrs, prov, f_cats, f_subj, f_attrs, f_prov, free
):
    r = res(categories=cats, subject_types=subj, attributes=attrs, provider=prov)
    f = ResourceFilter(tuple(f_cats), tuple(f_subj), tuple(f_attrs), tuple(f_prov), free)
    assert f.accepts(r) == ref_accepts(r, f)


RECORDED_FILTERS = [
    ResourceFilter(free=True),
    ResourceFilter(categories=("full text sources",)),
    ResourceFilter(categories=("MEDICAL", "education")),
    ResourceFilter(subject_types=("Consumer Health",)),
    ResourceFilter(subject_types=("STRUCTURE",), attributes=("registration required",)),
    ResourceFilter(attributes=("Free Resource",)),
    ResourceFilter(providers=("medplus",)),
    ResourceFilter(providers=("HighWire", "medlineplus consumer health information")),
    ResourceFilter(providers=("MODBASE", "medplus"), free=True),
]


@pytest.mark.parametrize("f", RECORDED_FILTERS)
@pytest.mark.parametrize("file", LINKOUT_FILES)
def test_filters_over_a_real_answer(client, requests_mock, file, f):
    dbfrom, ids, mode = request_of(LINKOUT_ENTRIES[file])
    answer = recorded(fixture_bytes(file))
    requests_mock.post(ELINK_URL, content=fixture_bytes(file))

    rows, stats = run_linkout(client, ids, db=dbfrom, mode=mode, where=f)

    expected = [r for r in expected_resources(dbfrom, ids, answer) if ref_accepts(r, f)]
    assert rows == expected
    assert stats.links == len(expected)
    assert stats.ids_with_links == list(dict.fromkeys(r.source_id for r in expected))


def test_recorded_filters_are_not_trivial():
    # Over all the recordings together, each filter keeps something and drops something.
    everything = [
        r
        for file in LINKOUT_FILES
        for r in expected_resources(
            request_of(LINKOUT_ENTRIES[file])[0],
            request_of(LINKOUT_ENTRIES[file])[1],
            recorded(fixture_bytes(file)),
        )
    ]
    for f in RECORDED_FILTERS:
        kept = [r for r in everything if ref_accepts(r, f)]
        assert 0 < len(kept) < len(everything), f
    # Both barrier attributes occur in the recordings.
    attrs = {a.lower() for r in everything for a in r.attributes}
    assert set(BARRIERS) <= attrs
