"""Property tests: NCBI's recorded answers, mutated, never get past elinkcli's parsers or
writers as anything but a clean refusal or safe records.

(a) In process (hypothesis, derandomized): every recording of tests/fixtures/eutils
(responses/*.xml and *.json, json/*.json) and a few invented answers of the shapes no
recording holds (built by tests/support/hostile.py: eSearchResult, eSummaryResult, efetch
uilist, iCite and Europe PMC JSON, a scored and a per-id eLinkResult), mutated (bytes
flipped, inserted, deleted, cut; hostile strings put into element text or JSON values;
an element repeated), go to every parser of elinkcli.eutils (elink_parser, parsers) and to
elinkcli.sources.citations.parse_icite / parse_europepmc. The only exception allowed is
ResponseParseError (ResponseValueError is one); what parses holds ids of their documented
form and no control, format or line-separator character. The rows of every parsed ELink
answer then go through every writer of elinkcli.output.writers.make_writer, whose output must keep
its format. Random bytes, not mutations, too.

(b) End to end: a sample of mutated recordings served by the hostile server to the
installed elinkcli (`link` in every format, `check -cmd ncheck`, `discover -id`,
`linkout`), with the API key set: `check_run`'s contract, whatever the answer.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import os
import random
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.hostile import (
    KEY,
    HostileServer,
    Reply,
    Request,
    Run,
    check_run,
    echo,
    elink_answer,
    esearch_answer,
    esummary_answer,
    europepmc_answer,
    icite_answer,
    neighbor_score_answer,
    run_concurrently,
    run_elinkcli,
    uilist_answer,
    xml_reply,
)
from support.paths import TESTS

from elinkcli.commands.ledger import Ledger
from elinkcli.commands.link import LINK_COLUMNS
from elinkcli.errors import ResponseParseError
from elinkcli.eutils import elink_parser, parsers
from elinkcli.eutils.records import ELinkResult
from elinkcli.ids.edirect import EDirectMessage
from elinkcli.inert import line as inert_line
from elinkcli.output.elink_xml import XmlSpec
from elinkcli.output.writers import FORMATS, make_writer
from elinkcli.sources.citations import parse_europepmc, parse_icite

FIXTURES = TESTS / "fixtures" / "eutils"
RECORDINGS = sorted(
    [p for p in (FIXTURES / "responses").iterdir() if p.suffix in (".xml", ".json")]
    + sorted((FIXTURES / "json").glob("*.json"))
)
MANIFEST = {entry["file"]: entry for entry in json.loads((FIXTURES / "manifest.json").read_text())}

# Answers no recording holds, in the shapes hostile.py copies (see its docstring).
INVENTED = {
    "esearch": esearch_answer(["11", "12", "13"], count="3", query_key="1", webenv="MCID_6a1b"),
    "esummary": esummary_answer(
        {
            "4502": [
                ("Caption", "String", "NM_000546"),
                ("AccessionVersion", "String", "NM_000546.6"),
            ],
            "4503": [("Title", "String", "TP53 mRNA"), ("Gi", "Integer", "4503")],
        }
    ),
    "uilist": uilist_answer(["11", "12", "13"]),
    "icite": icite_answer([{"pmid": 1, "cited_by": [11, 12], "references": [5, 6]}]),
    "europepmc": europepmc_answer(["11", "12"], hit_count=3),
    "elink-scored": neighbor_score_answer(
        "pubmed", {"1": {"pubmed_pubmed": [("11", "9"), ("12", "8")]}}, "pubmed"
    ),
    "elink-per-id": elink_answer(
        "gene",
        {"1": {"gene_protein": ["11", "12"]}, "2": {}, "3": {"gene_protein": ["31"]}},
        "protein",
    ),
}
SEEDS: list[tuple[str, bytes]] = [(p.name, p.read_bytes()) for p in RECORDINGS] + sorted(
    INVENTED.items()
)

HOSTILE = [
    "\x1b[2J",
    "\x1b]0;pwned\x07",
    "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "[link=x]",
    "[link=https://evil.example]Trusted Publisher[/link]",
    "[/]",
    "[bold red]",
    "&#10;",
    "&#x202e;",
    "&#x1b;",
    "&#x85;",
    "\u2028",
    "\u202e",
    "\u2066",
    "\u200b",
    "\ufeff",
    "\x85",
    "\x9b",
    "\x0b",
    "\x1c",
    "²",
    "１２",
    "-1",
    KEY,
    '<LinkRun n="99"/>',
    '<LinkRun n="0"/>',
    "<a>" * 40 + "</a>" * 40,
    "12345678901234567890",
    "<Score>abc</Score>",
    "<Id>999</Id>",
    "<ERROR>" + KEY + "</ERROR>",
    "\t",
    "\r\n",
    "12 34",
]
JSON_HOSTILE = [
    '"\\u001b[2J"',
    '"\\u202e"',
    '"\\u2028"',
    '"1 2"',
    '"' + KEY + '"',
    "-1",
    "1.5",
    "true",
    "null",
    "{}",
    '[1, "x"]',
    "99999999999999999999999",
    '"[link=x]y[/link]"',
    '{"ERROR": "\\u001b]0;pwned\\u0007"}',
]
OPS = (
    "flip",
    "insert",
    "delete",
    "truncate",
    "text",
    "replace-text",
    "duplicate",
    "json-value",
    "encoding",
)
# What the XML declaration's encoding may be made (an "encoding" mutation).
ENCODINGS = ["TTF-8", "utf-16", "UTF-32", "latin-1", "ebcdic-cp-us", "x-none", "", KEY, "utf-8\x00"]

Op = tuple[str, int, str]

_TEXT_AT = re.compile(rb">([^<]*)<")
_ELEMENT = re.compile(rb"<([A-Za-z][\w]*)[^>]*>[^<]*</\1>")
_DECLARATION = re.compile(rb"\s*<\?xml[^>]*\?>")
_ENCODING = re.compile(rb"""encoding\s*=\s*["'][^"']*["']""")
_JSON_VALUE = re.compile(rb'(:\s*|[\[,]\s*)("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|null)')


def _pick(matches: list[re.Match[bytes]], n: int) -> re.Match[bytes] | None:
    return matches[n % len(matches)] if matches else None


def mutate(data: bytes, ops: list[Op]) -> bytes:
    """`data` with each (operation, number, piece) applied in turn; `number` picks where."""
    out = bytearray(data)
    for op, n, piece in ops:
        raw = piece.encode("utf-8")
        at = n % (len(out) + 1)
        if op == "flip" and out:
            out[at % len(out)] ^= 1 << (n >> 20) % 8
        elif op == "insert":
            out[at:at] = raw
        elif op == "delete":
            del out[at : at + 1 + (n >> 16) % 64]
        elif op == "truncate":
            del out[at:]
        elif op == "text":
            found = _pick(list(_TEXT_AT.finditer(out))[:2000], n)
            if found:
                out[found.start(1) : found.start(1)] = raw
        elif op == "replace-text":
            found = _pick(list(_TEXT_AT.finditer(out))[:2000], n)
            if found:
                out[found.start(1) : found.end(1)] = raw
        elif op == "duplicate":
            found = _pick(list(_ELEMENT.finditer(out))[:2000], n)
            if found:
                out[found.end() : found.end()] = found.group()
        elif op == "encoding":
            named = b'encoding="%s"' % ENCODINGS[n % len(ENCODINGS)].encode()
            found = _DECLARATION.match(out)
            if found is None:
                out[0:0] = b'<?xml version="1.0" %s?>' % named
            elif _ENCODING.search(found.group()):
                out[: found.end()] = _ENCODING.sub(named, found.group(), count=1)
            else:
                out[found.end() - 2 : found.end() - 2] = b" " + named
        elif op == "json-value":
            found = _pick(list(_JSON_VALUE.finditer(out))[:2000], n)
            if found:
                value = JSON_HOSTILE[(n >> 8) % len(JSON_HOSTILE)].encode()
                out[found.start(2) : found.end(2)] = value
    return bytes(out)


def random_ops(rng: random.Random) -> list[Op]:
    """What `ops` draws, from a seeded Random (for the end-to-end sample)."""
    return [
        (rng.choice(OPS), rng.getrandbits(32), rng.choice(HOSTILE))
        for _ in range(rng.randint(1, 3))
    ]


ops = st.lists(
    st.tuples(
        st.sampled_from(OPS),
        st.integers(0, 2**32 - 1),
        st.sampled_from(HOSTILE) | st.text(max_size=6),
    ),
    min_size=1,
    max_size=4,
)
FUZZ = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- what parses is safe -------------------------------------------------------------------------

UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
UID = re.compile(r"[0-9]+", re.ASCII)
TOKEN = re.compile(r"-1|[A-Za-z0-9][A-Za-z0-9_.]*", re.ASCII)
# (record type, field) -> the form its ids must have.
ID_FIELDS = {
    ("LinkSet", "ids"): TOKEN,
    ("LinkSetDb", "ids"): UID,
    ("IdCheck", "id"): TOKEN,
    ("IdLinkSet", "id"): TOKEN,
    ("IdUrlSet", "id"): TOKEN,
    ("DocSum", "uid"): UID,
    ("ESearchResult", "ids"): UID,
    ("UidList", "ids"): UID,
    ("EPostResult", "invalid_ids"): TOKEN,
    ("EuropePmcPage", "pmids"): UID,
}


def assert_safe_text(text: str, where: str) -> None:
    bad = sorted({f"U+{ord(c):04X}" for c in text if unicodedata.category(c) in UNSAFE_CATEGORIES})
    assert not bad, f"{where} holds {bad}: {text[:200]!r}"


def assert_ids(value: Any, form: re.Pattern[str], where: str) -> None:
    for uid in value if isinstance(value, (tuple, list)) else (value,):
        assert isinstance(uid, str) and form.fullmatch(uid), f"{where}: {uid!r}"


def assert_record(value: Any, where: str = "result") -> None:
    """Every string in `value` (records, tuples, dicts) safe; every id field of its form."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        kind = type(value).__name__
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            form = ID_FIELDS.get((kind, f.name))
            if form is not None and item is not None:
                assert_ids(item, form, f"{kind}.{f.name}")
            assert_record(item, f"{where}.{f.name}")
    elif isinstance(value, (tuple, list)):
        for item in value:
            assert_record(item, where)
    elif isinstance(value, dict):
        for key, item in value.items():
            assert_record(key, where)
            assert_record(item, where)
    elif isinstance(value, str):
        assert_safe_text(value, where)
    else:
        assert value is None or isinstance(value, (int, bool)), f"{where}: {value!r}"


def _icite(data: bytes) -> dict[str, tuple[list[str], list[str]]]:
    found = parse_icite(data)
    for pmid, (cited_by, references) in found.items():
        assert_ids(pmid, UID, "an iCite pmid")
        assert_ids(cited_by, UID, "iCite cited_by")
        assert_ids(references, UID, "iCite references")
    return found


PARSERS: dict[str, Callable[[bytes], Any]] = {
    "elink": elink_parser.parse_elink,
    "einfo": parsers.parse_einfo,
    "epost": parsers.parse_epost,
    "esearch": parsers.parse_esearch,
    "esummary": parsers.parse_esummary,
    "esummary-nuccore": lambda data: parsers.parse_esummary(data, "nuccore"),
    "uilist": parsers.parse_uilist,
    "json-envelope": parsers.parse_json_envelope,
    "icite": _icite,
    "europepmc-cited": lambda data: parse_europepmc(data, "cited"),
    "europepmc-cites": lambda data: parse_europepmc(data, "cites"),
}


def parse_one(name: str, data: bytes) -> Any:
    """The parser's result of `data`, checked safe; None when it refused it cleanly."""
    try:
        result = PARSERS[name](data)
    except ResponseParseError:
        return None
    assert_record(result, name)
    return result


def parse_all(data: bytes) -> dict[str, Any]:
    """Every parser's result of `data` (those that refused it cleanly left out)."""
    results = {name: parse_one(name, data) for name in PARSERS}
    return {name: result for name, result in results.items() if result is not None}


# --- what is written keeps its format ----------------------------------------------------------

SGR = re.compile(r"\x1b\[[0-9;]*m")
TABLE_ROWS = 40


def link_rows(result: ELinkResult) -> list[tuple[Any, ...]]:
    """The rows `link` makes of an answer (per LinkSet echoing one id; several: no source)."""
    rows = []
    for ls in result.linksets:
        source = ls.ids[0] if len(ls.ids) == 1 else None
        for db in ls.linksetdbs:
            scores = db.scores if db.scores else [None] * len(db.ids)
            for target, score in zip(db.ids, scores, strict=True):
                rows.append((ls.dbfrom, source, db.linkname, db.dbto, target, score, source, None))
    return rows


def write(fmt: str, rows: list[tuple[Any, ...]], error: str | None, db: str) -> str:
    out = io.StringIO()
    sources = list(dict.fromkeys(r[1] for r in rows if r[1] is not None))
    writer = make_writer(
        fmt,
        out,
        LINK_COLUMNS,
        uid_key="target_id",
        message=EDirectMessage(db="protein", step=1),
        xml=XmlSpec(db=db, ledger=Ledger.keeping_all(sources)),
    )
    writer.write_many(rows[:TABLE_ROWS] if fmt == "table" else rows)
    writer.error = error
    writer.close()
    return out.getvalue()


def assert_written(fmt: str, text: str, rows: list[tuple[Any, ...]], error: str | None) -> None:
    shown = SGR.sub("", text) if fmt == "table" else text
    bad = sorted({f"U+{ord(c):04X}" for c in shown if c not in "\t\n" and
                  unicodedata.category(c) in UNSAFE_CATEGORIES})  # fmt: skip
    assert not bad, f"--format {fmt} writes {bad}: {text[:300]!r}"
    lines = text.split("\n")
    assert lines.pop() == "", f"--format {fmt} does not end its last line"
    assert text.splitlines() == lines, f"--format {fmt}: a line break inside a value"
    if fmt == "tsv":
        assert len(lines) == len(rows) + (1 if rows or error is None else 0), text[:300]
        assert all(line.count("\t") == len(LINK_COLUMNS) - 1 for line in lines), text[:300]
    elif fmt == "jsonl":
        records = [json.loads(line) for line in lines]
        assert len(records) == len(rows) + (error is not None)
    elif fmt == "json" and error is None:
        assert len(json.loads(text)) == len(rows)
    elif fmt == "uid":
        assert all(UID.fullmatch(line) for line in lines), text[:300]
    elif fmt in ("edirect", "xml"):
        root = ET.fromstring(text)
        errors = [e.text for e in root.iter() if e.tag in ("Error", "ERROR")]
        assert bool(errors) == (error is not None), text[-300:]
    elif fmt == "table":
        assert "\x1b]" not in text and "\x1b" not in shown, text[:300]


def write_all(result: ELinkResult, error: str | None) -> None:
    rows = link_rows(result)
    db = result.linksets[0].dbfrom if result.linksets else "gene"
    with mock.patch.dict(os.environ, {"FORCE_COLOR": "1", "COLUMNS": "200"}):
        for fmt in FORMATS:
            assert_written(fmt, write(fmt, rows, error, db), rows, error)


# --- (a) in process --------------------------------------------------------------------------


def test_the_recordings_parse_and_write_as_they_are() -> None:
    """The unmutated seeds: whatever parses of them is safe and writes well (a baseline
    that the properties below only perturb)."""
    parsed = 0
    for _name, data in SEEDS:
        results = parse_all(data)
        parsed += bool(results)
        if "elink" in results:
            write_all(results["elink"], None)
    assert parsed >= len(SEEDS) - 5


# The seeds each parser is meant for (by root element, or JSON), then any seed at all.
_MEANT = {
    "elink": b"<eLinkResult",
    "einfo": b"<eInfoResult",
    "epost": b"<ePostResult",
    "esearch": b"<eSearchResult",
    "esummary": b"<eSummaryResult",
    "esummary-nuccore": b"<eSummaryResult",
    "uilist": b"",
}


def seeds_for(parser: str) -> st.SearchStrategy[tuple[str, bytes]]:
    mark = _MEANT.get(parser)
    meant = [
        (name, data)
        for name, data in SEEDS
        if (mark in data[:400] if mark is not None else data.lstrip()[:1] in (b"{", b"["))
    ]
    assert meant, parser
    return st.sampled_from(meant) | st.sampled_from(SEEDS)


@pytest.mark.parametrize("parser", list(PARSERS))
@FUZZ
@given(data=st.data(), ops=ops, error=st.sampled_from([None, *HOSTILE[:8]]))
def test_mutated_answers_parse_cleanly_or_are_refused(
    parser: str, data: st.DataObject, ops: list[Op], error: str | None
) -> None:
    seed = data.draw(seeds_for(parser), label="seed")
    result = parse_one(parser, mutate(seed[1], ops))
    if parser == "elink" and result is not None:
        write_all(result, None if error is None else inert_line(f"NCBI error: {error}"))


@FUZZ
@given(
    data=st.binary(max_size=3000)
    | st.builds(
        lambda head, body: head + body,
        st.sampled_from(
            [
                b'<?xml version="1.0"?>\n<eLinkResult><LinkSet><DbFrom>gene</DbFrom>',
                b"<eSearchResult><Count>",
                b"<eInfoResult><DbInfo><DbName>gene</DbName>",
                b"<ePostResult>",
                b"<eSummaryResult><DocSum><Id>",
                b'{"data": [{"pmid": ',
                b'{"hitCount": 1, "citationList": {"citation": [',
                b'{"header": {"type": "elink"}, ',
            ]
        ),
        st.binary(max_size=600),
    )
)
def test_random_bytes_are_refused_cleanly(data: bytes) -> None:
    results = parse_all(data)
    if "elink" in results:
        write_all(results["elink"], None)


# --- the contract's checker catches what it must ----------------------------------------------

GOOD_TSV = "source_db\tsource_id\ttarget_id\ngene\t1\t11\n"


def _run(stdout: str = GOOD_TSV, stderr: str = "", status: int = 0) -> Run:
    return Run(["elinkcli"], status, stdout.encode(), stderr.encode(), 0.1, 30.0)


@pytest.mark.parametrize(
    ("run", "fmt"),
    [
        (_run(status=1), "tsv"),
        (_run(stderr="elinkcli: internal error: KeyError\n"), "tsv"),
        (_run(stderr="Traceback (most recent call last):\n"), "tsv"),
        (_run(stderr="elinkcli: warning: \x1b[2J\n"), "tsv"),
        (_run(stderr="elinkcli: warning: \u202e\n"), "tsv"),
        (_run(stderr="elinkcli: warning: a\u2028b\n"), "tsv"),
        (_run(stderr="elinkcli: warning: a\x85b\n"), "tsv"),
        (_run(stderr="warning without the prefix\n"), "tsv"),
        (_run(stderr="elinkcli: " + "x" * 2200 + "\n"), "tsv"),
        (_run(stderr=f"elinkcli: error: api_key={KEY[3:14]}…\n", status=3), "tsv"),
        (_run(GOOD_TSV + f"gene\t1\t{KEY[:8]}\n"), None),
        (_run(GOOD_TSV + "gene\t999\t12\n"), "tsv"),
        (_run(GOOD_TSV + "gene\t1\t1 2\n"), "tsv"),
        (_run(GOOD_TSV + "gene\t1\t12\textra\n"), "tsv"),
        (_run(GOOD_TSV + "gene\t1\t1\u20282\n"), "tsv"),
        (_run(GOOD_TSV + "gene\t1\t1\x0c2\n"), "tsv"),
        (_run("11\n1 2\n"), "uid"),
        (_run("11\n\uff11\n"), "uid"),
        (_run("<ENTREZ_DIRECT><Id>1</Id>"), "edirect"),
        (_run("<ENTREZ_DIRECT><Id>1</Id></ENTREZ_DIRECT>\n", status=4), "edirect"),
        (_run("<eLinkResult><LinkSet><IdList><Id>9</Id></IdList></LinkSet></eLinkResult>"), "xml"),
        (_run('[{"source_id": "1", "target_id": "11"},'), "json"),
        (_run('{"source_id": "1", "target_id": "x"}\n'), "jsonl"),
        (_run("\x1b]8;;https://evil.example\x1b\\x\x1b]8;;\x1b\\\n"), "table"),
        (_run("\x1b[2J\x1b[1mrow\x1b[0m\n"), "table"),
        (_run("javascript:alert(1)\n"), "urls"),
        (_run("https://a.example/x y\n"), "urls"),
        (_run("/relative\n"), "urls"),
    ],
)
def test_check_run_refuses_what_the_contract_forbids(run: Run, fmt: str | None) -> None:
    with pytest.raises(AssertionError):
        check_run(run, {0, 3, 4}, fmt, asked={"1"})


def test_check_run_passes_a_clean_run() -> None:
    check_run(_run(), 0, "tsv", asked={"1"})
    check_run(_run("\x1b[1mbold\x1b[0m\n"), 0, "table")
    check_run(_run("https://a.example/x?y=1\n"), 0, "urls")
    check_run(_run("<ENTREZ_DIRECT><Error>x</Error></ENTREZ_DIRECT>", status=4), 4, "edirect")


# --- (b) end to end ----------------------------------------------------------------------------


def _first(tag: str, name: str) -> str:
    """The first <tag> value of a recording (its DbFrom, its DbTo)."""
    data = (FIXTURES / "responses" / name).read_bytes()
    found = re.search(rb"<%s>\s*([A-Za-z0-9_]+)\s*</%s>" % (tag.encode(), tag.encode()), data)
    text = found.group(1).decode() if found else ""
    return "nuccore" if text == "nucleotide" else text


def _asked(name: str) -> list[str]:
    """The ids the recording's request asked (its manifest entry)."""
    ids = MANIFEST[name]["request"]["params"].get("ids") or []
    return [i for i in ids if i.isdigit()] or ["1"]


def _link(name: str) -> tuple[str, ...]:
    return ("link", "-db", _first("DbFrom", name), "-target", _first("DbTo", name))


def _check(name: str) -> tuple[str, ...]:
    return ("check", "-db", _first("DbFrom", name), "-cmd", "ncheck")


def _discover(name: str) -> tuple[str, ...]:
    return ("discover", "-db", _first("DbFrom", name))


def _linkout(name: str) -> tuple[str, ...]:
    return ("linkout", "-db", _first("DbFrom", name))


LINK_FILES = [
    "elink1.xml",
    "elink2.xml",
    "elink3.bp-2013.xml",
    "elink4.xml",
    "bioperl.elink_neighbor_corr.xml",
    "bioperl.elink_scores.xml",
]
CHECK_FILES = ["bioperl.elink_ncheck_corr.xml", "bioperl.elink_ncheck.xml", "elink8.xml"]
ACHECK_FILES = ["bioperl.elink_acheck_corr.xml", "elink7.xml", "elink7.bp-2008.xml"]
LLINKS_FILES = ["bioperl.elink_llinks_corr.xml", "elink6.xml", "elink5.xml"]
# name: (args for a recording, --format, the recordings served)
SAMPLE: dict[str, tuple[Callable[[str], tuple[str, ...]], str, list[str]]] = {
    **{f"link-{fmt}": (_link, fmt, LINK_FILES) for fmt in ("tsv", "uid", "edirect", "xml")},
    **{f"link-{fmt}": (_link, fmt, LINK_FILES) for fmt in ("json", "jsonl", "table")},
    "check-ncheck": (_check, "tsv", CHECK_FILES),
    "discover-id": (_discover, "tsv", ACHECK_FILES),
    "linkout-tsv": (_linkout, "tsv", LLINKS_FILES),
    "linkout-urls": (_linkout, "urls", LLINKS_FILES),
}
RUNS_PER_COMMAND = 3  # 11 commands: 33 runs
TABLE_ENV = {"FORCE_COLOR": "1", "COLUMNS": "200", "NO_COLOR": None}


def _served(case: str, n: int) -> None:
    make_args, fmt, files = SAMPLE[case]
    rng = random.Random(f"{case}-{n}")
    name = files[n % len(files)]
    answer = mutate((FIXTURES / "responses" / name).read_bytes(), random_ops(rng))
    asked = _asked(name)

    def handler(request: Request) -> Reply:
        return xml_reply(answer) if request.endpoint == "elink.fcgi" else echo(request)

    with HostileServer(handler) as server:
        run = run_elinkcli(
            *make_args(name), "-id", ",".join(asked), "--format", fmt, server=server,
            env=TABLE_ENV if fmt == "table" else None,
        )  # fmt: skip
    assert not server.handler_errors
    check_run(run, {0, 2, 3, 4}, fmt, asked=set(asked))


@pytest.mark.e2e
@pytest.mark.parametrize("case", list(SAMPLE))
def test_mutated_recordings_served_to_elinkcli(case: str) -> None:
    """RUNS_PER_COMMAND mutated recordings (seeded by case and number), run side by side."""
    run_concurrently(
        {f"{case}-{n}": functools.partial(_served, case, n) for n in range(RUNS_PER_COMMAND)}
    )
