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
its format. Random bytes, not mutations, too. The mutations are tests/support/mutations.py's.

(b) `check_run`, the contract of tests/support/hostile.py, refuses what it must.

The end-to-end part, mutated recordings served by the hostile server to the installed
elinkcli, is tests/e2e/test_hostile_fuzz_served.py.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
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
    Run,
    check_run,
    elink_answer,
    esearch_answer,
    esummary_answer,
    europepmc_answer,
    icite_answer,
    neighbor_score_answer,
    uilist_answer,
)
from support.mutations import HOSTILE, OPS, Op, mutate
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

# The mutations of tests/support/mutations.py, as hypothesis draws them.
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
