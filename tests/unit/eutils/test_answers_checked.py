"""Answers checked where they enter: ids, names and numbers of their documented form, free
text inert, nesting and size bounded before and while parsing, compression undone in bounded
steps, a bad answer failing its request (never the run), nothing named that was not asked.

Invented answers here are the recorded shapes of tests/fixtures/eutils/responses (elink1.xml,
esearch, esummary) with one field changed to what a broken or hostile server could send."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib

import pytest
import requests

from elinkcli import validate
from elinkcli.cache.codec import decode_linkset, encode_linkset
from elinkcli.cache.store import LinkSetCache
from elinkcli.commands.batching import _split
from elinkcli.config import Settings
from elinkcli.errors import GaveUpError, ResponseParseError, ResponseValueError
from elinkcli.eutils import elink_parser, xmlstream
from elinkcli.eutils.client import EutilsClient
from elinkcli.eutils.elink_parser import parse_elink
from elinkcli.eutils.parsers import parse_esearch, parse_esummary, parse_uilist
from elinkcli.eutils.records import ELinkResult, IdCheck, IdUrlSet, LinkSet, LinkSetDb
from elinkcli.eutils.transport import AnswerBudget, BadEncoding, BodyTooLarge, read_body
from elinkcli.sources.citations import parse_europepmc, parse_icite


def elink(links: str, ids: str = "<Id>1</Id>", score: bool = False) -> bytes:
    return (
        "<?xml version='1.0'?><eLinkResult><LinkSet><DbFrom>gene</DbFrom>"
        f"<IdList>{ids}</IdList><LinkSetDb><DbTo>protein</DbTo>"
        f"<LinkName>gene_protein</LinkName>{links}</LinkSetDb></LinkSet></eLinkResult>"
    ).encode()


# --- ids, names and numbers ------------------------------------------------------------------


@pytest.mark.parametrize(
    "link_id",
    ["12&#10;34", "12 34", "abc", "1" * 21, "²", "\uff11\uff12", "-5", "1.5", "<b>1</b>"],
)
def test_a_linked_id_that_is_no_uid_is_refused(link_id: str) -> None:
    with pytest.raises(ResponseValueError, match="a linked id"):
        parse_elink(elink(f"<Link><Id>{link_id}</Id></Link>"))


@pytest.mark.parametrize("score", ["abc", "²", "1e5", "-1", "1" * 16])
def test_a_score_that_is_no_number_is_refused(score: str) -> None:
    data = elink(f"<Link><Id>5</Id><Score>{score}</Score></Link>")
    with pytest.raises(ResponseValueError, match="Score"):
        parse_elink(data)


def test_plain_links_still_take_the_quick_way_and_read_the_same() -> None:
    links = "".join(f"<Link><Id>{n}</Id><Score>{n * 3}</Score></Link>" for n in range(1, 2000))
    quick = parse_elink(elink(links))
    reduced, runs = elink_parser._set_aside_links(elink(links))
    assert runs and b"<Link>" not in reduced
    assert quick.linksets[0].linksetdbs[0].ids == tuple(str(n) for n in range(1, 2000))
    assert quick.linksets[0].linksetdbs[0].scores == tuple(n * 3 for n in range(1, 2000))


def test_our_placeholder_is_never_read_from_an_answer() -> None:
    """`<LinkRun n="k"/>` is what the quick way leaves in place of a list it read: an answer
    that names one gets no quick way at all, and the element is ignored."""
    data = elink('<Link><Id>5</Id></Link><LinkRun n="99"/><Link><Id>6</Id></Link>')
    assert elink_parser._set_aside_links(data) == (data, [])
    assert parse_elink(data).linksets[0].linksetdbs[0].ids == ("5", "6")


@pytest.mark.parametrize("name", ["gene protein", "gene&#x202e;", "[link=x]", "ġene", ""])
def test_a_link_name_must_be_a_name(name: str) -> None:
    data = elink("<Link><Id>5</Id></Link>").replace(b"gene_protein", name.encode())
    if name == "":
        assert parse_elink(data).linksets[0].linksetdbs[0].linkname == ""
        return
    with pytest.raises(ResponseValueError, match="LinkName"):
        parse_elink(data)


@pytest.mark.parametrize("echo", ["1 2", "1&#10;2", "[/]", "a" * 65])
def test_an_echoed_id_must_be_id_shaped(echo: str) -> None:
    with pytest.raises(ResponseValueError, match="echoed id"):
        parse_elink(elink("<Link><Id>5</Id></Link>", ids=f"<Id>{echo}</Id>"))


def test_ncbi_unknown_id_markers_and_accessions_are_echoes() -> None:
    for echo in ("-1", "0", "NM_000546.6", "1TUP_A"):
        parse_elink(elink("<Link><Id>5</Id></Link>", ids=f"<Id>{echo}</Id>"))


@pytest.mark.parametrize("count", ["²", "-3", "3.0", "1" * 16, "\u0663"])
def test_an_esearch_count_must_be_ascii_digits(count: str) -> None:
    data = f"<eSearchResult><Count>{count}</Count><IdList/></eSearchResult>".encode()
    with pytest.raises(ResponseValueError, match="Count"):
        parse_esearch(data)


def test_webenv_and_query_key_of_their_forms() -> None:
    good = b"<eSearchResult><Count>1</Count><QueryKey>1</QueryKey><WebEnv>MCID_1a@B-2.c</WebEnv>"
    assert parse_esearch(good + b"</eSearchResult>").webenv == "MCID_1a@B-2.c"
    for bad in (b"<WebEnv>a b</WebEnv>", b"<WebEnv>a&#10;b</WebEnv>", b"<QueryKey>x</QueryKey>"):
        with pytest.raises(ResponseValueError):
            parse_esearch(b"<eSearchResult><Count>1</Count>" + bad + b"</eSearchResult>")


def test_a_uilist_line_must_be_a_uid() -> None:
    assert parse_uilist(b"1\n2\n\n3\n").ids == ("1", "2", "3")
    with pytest.raises(ResponseValueError):
        parse_uilist(b"1\n\x1b[2J\n")
    with pytest.raises(ResponseValueError):
        parse_uilist(b"1\xe2\x80\xa82\n")  # U+2028 is no line break here: one bad id


def test_esummary_accessions_are_checked_for_their_database() -> None:
    docsum = (
        '<eSummaryResult><DocSum><Id>7</Id><Item Name="AccessionVersion" Type="String">{}'
        "</Item></DocSum></eSummaryResult>"
    )
    assert parse_esummary(docsum.format("NM_1.1").encode(), db="nuccore").docsums[0].uid == "7"
    with pytest.raises(ResponseValueError, match="accession"):
        parse_esummary(docsum.format("NM_1\u202e").encode(), db="nuccore")
    # Without a database, items are not accessions: read as they are.
    assert parse_esummary(docsum.format("any text").encode()).docsums[0].items


def test_free_text_is_inert_and_bounded() -> None:
    data = (
        "<eLinkResult><LinkSet><DbFrom>pubmed</DbFrom><IdUrlList><IdUrlSet><Id>1</Id><ObjUrl>"
        "<Url>https://x.example/\u202e\x85/</Url><LinkName>[link=evil]a[/link]</LinkName>"
        "<Provider><Name>Pub\u2028" + "x" * 5000 + "</Name><NameAbbr>P</NameAbbr><Id>9</Id>"
        "</Provider></ObjUrl></IdUrlSet></IdUrlList></LinkSet></eLinkResult>"
    ).encode()
    obj = parse_elink(data).linksets[0].id_url_sets[0].objurls[0]
    assert obj.url == "https://x.example/\\u202e\\x85/"
    assert obj.linkname == "[link=evil]a[/link]"  # markup is made inert where it is shown
    assert obj.provider is not None and obj.provider.name.startswith("Pub\\u2028x")
    assert len(obj.provider.name) == 1000


def test_icite_and_europe_pmc_values_are_checked() -> None:
    ok = parse_icite(b'{"data":[{"pmid":1,"cited_by":[2,"3"],"references":"4 5"}]}')
    assert ok == {"1": (["2", "3"], ["4", "5"])}
    for bad in (
        b'{"data":[{"pmid":1,"cited_by":[{"a":1}]}]}',
        b'{"data":[{"pmid":1,"cited_by":[1.5]}]}',
        b'{"data":[{"pmid":1,"cited_by":[true]}]}',
        b'{"data":[{"pmid":1,"cited_by":[-2]}]}',
        b'{"data":[{"pmid":"1\\u001b[2J"}]}',
        b'{"data":[{"pmid":1,"references":"1 \\u00b2"}]}',
    ):
        with pytest.raises(ResponseParseError):
            parse_icite(bad)
    with pytest.raises(ResponseParseError):
        parse_europepmc(b'{"hitCount":"\\u00b2","citationList":{"citation":[]}}', "cited")
    page = parse_europepmc(
        b'{"hitCount":2,"citationList":{"citation":[{"id":"7","source":"MED"},'
        b'{"id":"PMC1","source":"PMC"}]}}',
        "cited",
    )
    assert page.pmids == ("7",) and page.entries == 2
    with pytest.raises(ResponseValueError):
        parse_europepmc(
            b'{"hitCount":1,"citationList":{"citation":[{"id":"7x","source":"MED"}]}}', "cited"
        )


def test_deep_json_is_a_bad_answer() -> None:
    with pytest.raises(ResponseValueError, match="deeply"):
        parse_icite(b"[" * 100_000 + b"]" * 100_000)


# --- nesting and size ----------------------------------------------------------------------------


def test_nesting_past_the_bound_is_refused_as_it_is_read() -> None:
    data = b"<eLinkResult><LinkSet>" + b"<a>" * 5_000_000
    tracemalloc.start()
    try:
        with pytest.raises(ResponseValueError, match="deeper than 32"):
            parse_elink(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40 * 2**20


def test_elements_past_the_bound_in_one_linkset_are_refused(monkeypatch) -> None:
    monkeypatch.setattr(xmlstream, "MAX_ELEMENTS", 1000)
    fine = elink("<x/>" * 990)
    assert parse_elink(fine).linksets
    with pytest.raises(ResponseValueError, match="more than 1,000 elements"):
        parse_elink(elink("<x/>" * 1001))


def test_children_of_the_root_are_dropped_as_they_end() -> None:
    """200,000 unknown elements at the top (kept, they would take 16 MB): each is read and
    let go, not kept."""
    data = b"<eLinkResult>" + b"<x/>" * 200_000 + b"</eLinkResult>"
    tracemalloc.start()
    try:
        assert parse_elink(data).linksets == ()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 6 * 2**20


# --- compression, in bounded steps ------------------------------------------------------------


def zeros_gzip(size: int, layers: int = 1) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * 2**20
    data = b"".join(packer.compress(block) for _ in range(size // len(block))) + packer.flush()
    for _ in range(layers - 1):
        data = gzip.compress(data, 9)
    return data


def mocked(requests_mock, body: bytes, encoding: str) -> requests.Response:
    requests_mock.get("https://x.test/", content=body, headers={"Content-Encoding": encoding})
    return requests.get("https://x.test/", stream=True)


def test_a_double_gzip_bomb_stops_at_the_budget_without_inflating_it(requests_mock) -> None:
    bomb = zeros_gzip(256 * 2**20, layers=2)
    assert len(bomb) < 2**16
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLarge):
            read_body(mocked(requests_mock, bomb, "gzip, gzip"), AnswerBudget(8 * 2**20).hold())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 24 * 2**20


def test_gzip_members_deflate_and_identity_are_read(requests_mock) -> None:
    budget = AnswerBudget(2**20)
    members = gzip.compress(b"<a>") + gzip.compress(b"</a>")
    assert read_body(mocked(requests_mock, members, "gzip"), budget.hold()) == b"<a></a>"
    assert read_body(mocked(requests_mock, zlib.compress(b"xy"), "deflate"), budget.hold()) == b"xy"
    raw = zlib.compressobj(6, zlib.DEFLATED, -15)
    raw_body = raw.compress(b"raw") + raw.flush()
    assert read_body(mocked(requests_mock, raw_body, "deflate"), budget.hold()) == b"raw"
    assert read_body(mocked(requests_mock, b"plain", "identity"), budget.hold()) == b"plain"


@pytest.mark.parametrize("encoding", ["br", "compress", "gzip, gzip, gzip", "zstd"])
def test_an_encoding_not_asked_for_is_refused(requests_mock, encoding: str) -> None:
    with pytest.raises(BadEncoding):
        read_body(mocked(requests_mock, b"x", encoding), AnswerBudget(2**20).hold())


def test_corrupt_gzip_is_an_error_to_ask_again(requests_mock) -> None:
    with pytest.raises(zlib.error):
        read_body(mocked(requests_mock, b"\x1f\x8bnot gzip", "gzip"), AnswerBudget(2**20).hold())


# --- a bad answer fails its request; an answer speaks only for what was asked -----------------


@pytest.fixture
def client(clock, tmp_path):
    settings = Settings(
        base_url="https://eutils.test/", cache_dir=None, max_tries=4, backoff_base=0.01
    )
    with EutilsClient(settings, clock=clock) as c:
        yield c


def test_a_bad_value_is_tried_once_and_a_malformed_answer_again(client, requests_mock) -> None:
    from elinkcli.constants import ELINK

    url = client.settings.base_url + ELINK
    requests_mock.post(url, content=elink("<Link><Id>5</Id><Score>abc</Score></Link>"))
    with pytest.raises(GaveUpError, match=r"Score .*\(1 try\)"):
        client.call(ELINK, [("id", "1")], parse_elink, ids=["1"])
    assert requests_mock.call_count == 1
    requests_mock.post(url, content=b"<eLinkResult><LinkSet>")
    with pytest.raises(GaveUpError, match="not well-formed"):
        client.call(ELINK, [("id", "1")], parse_elink, ids=["1"])
    assert requests_mock.call_count == 1 + client.policy.max_tries


def test_what_a_parser_chokes_on_is_a_bad_answer(client, requests_mock) -> None:
    from elinkcli.constants import ELINK

    def choke(data: bytes) -> None:
        raise IndexError("a parser's own bug meets a hostile answer")

    requests_mock.post(client.settings.base_url + ELINK, content=b"x")
    with pytest.raises(GaveUpError, match="could not be read"):
        client.call(ELINK, [("id", "1")], choke, ids=["1"])


def test_linksets_and_entries_of_ids_never_asked_are_dropped_and_named() -> None:
    result = ELinkResult(
        (
            LinkSet("gene", ("1",), (LinkSetDb("protein", "gene_protein", ("10",)),)),
            LinkSet("gene", ("999",), (LinkSetDb("protein", "gene_protein", ("11",)),)),
            LinkSet("gene", ("2", "998"), (LinkSetDb("protein", "gene_protein", ("12",)),)),
            LinkSet(
                "gene",
                id_checks=(IdCheck("2", (("HasNeighbor", "Y"),)), IdCheck("997", ())),
                has_idchecklist=True,
            ),
            LinkSet("gene", id_url_sets=(IdUrlSet("996", ()),), has_idurllist=True),
            LinkSet("gene", ("-1",)),
        )
    )
    answers, other, unasked = _split(result, ["1", "2"])
    assert list(answers) == ["1", "2"]
    assert answers["2"][0].id_checks == (IdCheck("2", (("HasNeighbor", "Y"),)),)
    assert unasked == ["999", "998", "997", "996"]
    assert [ls.ids for ls in other] == [(), ("-1",)]


# --- the cache is checked as an answer is ------------------------------------------------------


def test_a_crafted_cache_entry_makes_the_cache_unusable_not_the_run(tmp_path) -> None:
    said: list[str] = []
    cache = LinkSetCache(tmp_path, 10**6, on_problem=said.append)
    good = LinkSet("gene", ("1",), (LinkSetDb("protein", "gene_protein", ("10", "11")),))
    assert decode_linkset(encode_linkset(good)) == good
    cache.put_values("sig", {"1": [encode_linkset(good)]})
    assert cache.get_many("sig", ["1"]) == {"1": [good]}
    bad = encode_linkset(good)
    bad["dbs"][0][2] = ["10", "\x1b[2J"]
    cache.put_values("sig", {"2": [bad]})
    assert cache.get_many("sig", ["2"]) == {}
    assert said and "unknown shape" in said[0]


def test_a_deeply_nested_cache_entry_is_no_recursion_error(tmp_path) -> None:
    said: list[str] = []
    cache = LinkSetCache(tmp_path, 10**6, on_problem=said.append)
    cache.db.execute(
        "INSERT INTO entries VALUES (?, ?, ?, ?)",
        (cache_key("sig", "1"), "[" * 100_000 + "]" * 100_000, 10**12, 1),
    )
    assert cache.get_many("sig", ["1"]) == {}
    assert said


def cache_key(signature: str, uid: str) -> str:
    from elinkcli.cache.codec import entry_key

    return entry_key(signature, uid)


def test_validate_text_escapes_and_cuts() -> None:
    assert validate.text("a\x1bb", 10) == "a\\x1bb"
    assert validate.text("x" * 50, 10) == "x" * 9 + "…"
