"""Reading a provider file takes time linear in its size, whatever its lines hold.

Each case is a pathological input that used to take quadratic time: 8 times the input must
take well under 64 times the CPU time. Times are CPU seconds of this process (best of a
few runs), so other processes on the machine do not count, and the bound is loose.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elinkcli.providerfiles.ftfile import _GLUED_KEY, _glued_keywords, _glued_separator
from elinkcli.providerfiles.validate import validate_bytes
from elinkcli.providerfiles.xmlfile import _PRIVATE_USE

# Timing pathological inputs up to 8x their size: CPU-heavy, the same on every Python.
pytestmark = pytest.mark.slow

GROWTH = 8
MAX_RATIO = 30  # linear is about 8; quadratic would be 64

FT = "prid: 1234\ndbase: pubmed\n---\nlinkid: 1\nuids: 1\nbase: http://x.org/\n"
HEAD = '<?xml version="1.0"?>\n<!DOCTYPE LinkSet PUBLIC "-//NLM//DTD LinkOut 1.0//EN" "x.dtd">\n'


def link(rule: str) -> str:
    return (
        "<Link><LinkId>1</LinkId><ProviderId>1234</ProviderId><ObjectSelector><Database>"
        "pubmed</Database><ObjectList><ObjId>1</ObjId></ObjectList></ObjectSelector>"
        f"<ObjectUrl><Base>http://x.org/</Base><Rule>{rule}</Rule></ObjectUrl></Link>"
    )


def private_use(count: int) -> str:
    codes = (code for block in _PRIVATE_USE for code in block)
    return "".join(chr(next(codes)) for _ in range(count))


# name -> (file name, input of about n characters, n of the smaller run)
CASES: dict[str, tuple[str, Callable[[int], str], int]] = {
    # A field name after a word (not glued) many times on one line: 70 KB took 1.4 s.
    "ft field names after words": ("a.ft", lambda n: FT + "query: " + "xbase: " * (n // 7), 70_000),
    # Field names glued to URLs: each one split off by copying the rest of the line.
    "ft field names glued to urls": (
        "a.ft",
        lambda n: FT + "query: " + "x/base: " * (n // 8),
        70_000,
    ),
    # The '---' looked for at the end of a value from every white space or dash in it.
    "ft value of spaces": ("a.ft", lambda n: FT + "name: a" + " " * n + "b\n", 700_000),
    "ft value of dashes": ("a.ft", lambda n: FT + "name: a" + "-" * n + "b\n", 700_000),
    # One link continued by many blocks: all its fields read again for each block.
    "ft link continued by blocks": (
        "a.ft",
        lambda n: "prid: 1234\ndbase: pubmed\n---\nlinkid: 1\n" + "---\nname: x\n" * (n // 12),
        70_000,
    ),
    # Global stype lines merged into every link, each against all the others.
    "ft global values in every link": (
        "a.ft",
        lambda n: (
            "prid: 1234\ndbase: pubmed\n"
            + "".join(f"stype: s{i % 60}\n" for i in range(n // 24))
            + "".join(f"---\nlinkid: {i}\nuids: 1\nbase: http://x.org/\n" for i in range(n // 80))
        ),
        70_000,
    ),
    # Text pieces of a value joined by adding each to the string so far.
    "ft value of references": ("a.ft", lambda n: FT + "name: " + "a&amp;" * (n // 6), 70_000),
    "xml rule of text and elements": (
        "a.xml",
        lambda n: HEAD + "<LinkSet>" + link("?id=&lo.id;" + "a<x/>" * (n // 5)) + "</LinkSet>",
        70_000,
    ),
    # An unclosed comment or CDATA section searched to the end from each one.
    "xml unclosed comments": ("a.xml", lambda n: HEAD + "<LinkSet>" + "<!--" * (n // 4), 700_000),
    "xml unclosed cdata": ("a.xml", lambda n: HEAD + "<LinkSet>" + "<![CDATA[" * (n // 9), 700_000),
    # Private-use characters in use: the whole text searched for each (19 MB took 322 s).
    "xml private-use characters": (
        "a.xml",
        lambda n: (
            HEAD
            + "<LinkSet>"
            + link("&lo.id;")
            + f"<!--{'x' * n}{private_use(n // 50)}--></LinkSet>"
        ),
        700_000,
    ),
}


def cpu_seconds(data: bytes, name: str, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        validate_bytes(data, name)
        best = min(best, time.process_time() - start)
    return best


@pytest.mark.parametrize("case", list(CASES))
def test_time_grows_linearly_with_the_input(case: str) -> None:
    name, make, size = CASES[case]
    small = make(size).encode()
    large = make(size * GROWTH).encode()
    assert len(large) > (GROWTH - 1) * len(small)
    small_seconds = cpu_seconds(small, name)
    large_seconds = cpu_seconds(large, name, runs=2)
    # The smaller run takes a few ms at least: 30 x that is far from noise.
    assert large_seconds < MAX_RATIO * max(small_seconds, 0.001), (small_seconds, large_seconds)


def _reference_glued(value: str) -> list[tuple[str, str]]:
    """The split the former search (one rescan per field name) made."""
    pieces = []
    while True:
        glued = None
        for m in _GLUED_KEY.finditer(value):
            before = value[: m.start()]
            words = before.split()
            if not before[-1:].isalpha() or ("/" in words[-1] or "." in words[-1]):
                glued = m
                break
        if glued is None:
            return [*pieces, (value, "")]
        pieces.append((value[: glued.start()], glued.group(1)))
        value = value[glued.end() :]


def _glued(value: str) -> list[tuple[str, str]]:
    pieces, start = [], 0
    for m in _glued_keywords(value):
        pieces.append((value[start : m.start()], m.group(1)))
        start = m.end()
    return [*pieces, (value[start:], "")]


_PIECES = ["base:", "rule:", "name:", "query:", " ", "\t", "x", "/", ".", ":", "-", "\u00e9"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=20).map("".join))
def test_one_pass_splits_glued_fields_as_before(value: str) -> None:
    assert _glued(value) == _reference_glued(value)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([" ", "-", "x", "\t", "---"]), max_size=12).map("".join))
def test_the_glued_separator_is_found_as_before(value: str) -> None:
    m = re.search(r"\s*-{3,}\s*\Z", value)
    assert _glued_separator(value) == (None if m is None else m.start())
