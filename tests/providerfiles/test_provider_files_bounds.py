"""Hostile provider files are refused fast, in little memory, with a one-line error.

Each case is run through the library (validate, as `linkout validate` calls it) and through
the installed `elinkcli linkout validate FILE` in a child whose peak RSS is measured alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from elinkcli.providerfiles.entities import (
    MAX_EXPANDED_NODES,
    MAX_EXPANSION_CHARS,
    MAX_REFERENCES,
)
from elinkcli.providerfiles.rules import MAX_XML_BYTES
from elinkcli.providerfiles.validate import SourceFile, parse_file, read_path, validate
from elinkcli.providerfiles.xmlfile import MAX_NESTING

ELINKCLI = str(Path(sys.executable).parent / "elinkcli")
MAX_RSS_KIB = 200 * 1024
# CPU seconds of the elinkcli child (user + system), not wall time: on a busy machine the
# child waits for a core, and the bound is on the work it does, not on that wait.
MAX_SECONDS = 10.0
EXIT_ERRORS = 1  # `linkout validate`: a file with errors (2 is for a file that cannot be read)

HEAD = (
    '<?xml version="1.0"?>\n'
    '<!DOCTYPE LinkSet PUBLIC "-//NLM//DTD LinkOut 1.0//EN" "LinkOut.dtd"\n[{subset}]>\n'
)

# A child that runs one command and reports its own children's peak RSS: only that one.
_MEASURE = """
import json, resource, subprocess, sys, time
start = time.monotonic()
ran = subprocess.run(sys.argv[1:], capture_output=True, text=True)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "code": ran.returncode, "stdout": ran.stdout, "stderr": ran.stderr,
    "seconds": time.monotonic() - start,
    "cpu_seconds": usage.ru_utime + usage.ru_stime,
    "rss_kib": usage.ru_maxrss,
}))
"""


def link(number: int, base: str = "http://x.org/", rule: str = "?id=&lo.id;") -> str:
    return (
        f"<Link><LinkId>{number}</LinkId><ProviderId>1234</ProviderId><ObjectSelector>"
        f"<Database>pubmed</Database><ObjectList><ObjId>{number}</ObjId></ObjectList>"
        f"</ObjectSelector><ObjectUrl><Base>{base}</Base><Rule>{rule}</Rule></ObjectUrl>"
        "</Link>\n"
    )


def laughs(unit: str, unit_chars: int, file_size: int = 65_000) -> str:
    """Entities of 16 x the one before, up to 64 KiB, referenced until the file is full."""
    subset = [f'<!ENTITY e0 "{unit}">']
    size, k = unit_chars, 0
    while size * 16 <= 64 * 1024:
        k += 1
        subset.append(f'<!ENTITY e{k} "' + f"&e{k - 1};" * 16 + '">')
        size *= 16
    top = f"&e{k};"
    rule = "?id=&lo.id;" + top * ((file_size - 2000) // len(top))
    return HEAD.format(subset="\n".join(subset)) + f"<LinkSet>{link(1, rule=rule)}</LinkSet>\n"


def deep(levels: int) -> str:
    rule = "<toupper>" * levels + "&lo.id;" + "</toupper>" * levels
    return HEAD.format(subset="") + f"<LinkSet>{link(1, rule=rule)}</LinkSet>\n"


def oversized(path: Path, size: int) -> None:
    links = "".join(link(i, base="&b;") for i in range(1000))
    body = (HEAD.format(subset='<!ENTITY b "http://x.org/">') + "<LinkSet>" + links).encode()
    with path.open("wb") as out:
        out.write(body)
        filler = b"<!--" + b"x" * (1024 * 1024 - 7) + b"-->"
        for _ in range(size // len(filler)):
            out.write(filler)
        out.write(b"</LinkSet>\n")


@dataclass(frozen=True)
class Child:
    code: int
    stdout: str
    stderr: str
    seconds: float  # wall time: printed, not asserted on
    cpu_seconds: float
    rss_kib: int


def run_validate(path: Path) -> Child:
    measured = subprocess.run(
        [sys.executable, "-c", _MEASURE, ELINKCLI, "linkout", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return Child(**json.loads(measured.stdout))


def assert_refused(child: Child, reason: str) -> None:
    output = child.stdout + child.stderr
    assert child.code == EXIT_ERRORS, output
    assert "Traceback" not in output and "internal error" not in output, output
    lines = [line for line in output.splitlines() if reason in line]
    assert len(lines) == 1, output
    assert ": error: " in lines[0]
    assert child.rss_kib < MAX_RSS_KIB, f"peak RSS {child.rss_kib} KiB"
    assert child.cpu_seconds < MAX_SECONDS, (
        f"took {child.cpu_seconds:.1f} CPU s ({child.seconds:.1f} s wall)"
    )


def library_errors(path: Path) -> list[str]:
    (report,) = validate([read_path(path)])
    return [p.format() for p in report.problems if p.severity == "error"]


@pytest.mark.parametrize(
    ("unit", "unit_chars", "reason"),
    [
        ("x", 1, "characters in all"),
        ("\u00e9", 1, "characters in all"),
        ("<toupper/>", 10, "elements and keywords in all"),
        ("&lo.id;", 8, "elements and keywords in all"),
    ],
    ids=["text", "non-ascii", "elements", "keywords"],
)
def test_entity_bomb_is_refused_at_once(
    tmp_path: Path, unit: str, unit_chars: int, reason: str
) -> None:
    path = tmp_path / "laughs.xml"
    path.write_text(laughs(unit, unit_chars), encoding="utf-8")
    assert path.stat().st_size < 70_000
    found = library_errors(path)
    assert [e for e in found if reason in e and "expansion bomb" in e] == found[:1]
    assert len(found) == 1
    assert_refused(run_validate(path), reason)


def test_too_many_references_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "refs.xml"
    rule = "?id=&lo.id;" + "&a;" * (MAX_REFERENCES + 10)
    path.write_text(
        HEAD.format(subset='<!ENTITY a "">') + f"<LinkSet>{link(1, rule=rule)}</LinkSet>\n"
    )
    found = library_errors(path)
    assert len(found) == 1 and f"number more than {MAX_REFERENCES:,}" in found[0]
    assert_refused(run_validate(path), "number more than")


def test_entity_bomb_in_a_ft_file_is_reported_once() -> None:
    subset = ["!e0: x"] + [f"!e{k}: " + f"&e{k - 1};" * 16 for k in range(1, 5)]
    lines = ["prid: 1234", "dbase: pubmed", *subset, "---", "linkid: 1", "uids: 1"]
    lines += ["base: http://x.org/", "rule: ?id=&lo.id;" + "&e4;" * 200]
    lines += [f"name: &e4;&e4; {i}" for i in range(50)]
    report = parse_file(SourceFile("bomb.ft", "\n".join(lines).encode(), "bomb.ft"))
    bomb = [p for p in report.problems if "expansion bomb" in p.message]
    assert len(bomb) == 1 and "characters in all" in bomb[0].message


def test_deep_nesting_is_refused_without_recursion(tmp_path: Path) -> None:
    path = tmp_path / "deep.xml"
    path.write_text(deep(100_000))
    found = library_errors(path)
    assert len(found) == 1 and f"nested more than {MAX_NESTING} deep" in found[0]
    assert_refused(run_validate(path), "nested more than")


def test_oversized_file_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    oversized(path, 48 * 1024 * 1024)
    size = path.stat().st_size
    source = read_path(path)
    assert len(source.data) == MAX_XML_BYTES + 1 and source.total == size
    (report,) = validate([source])
    assert [p.format() for p in report.problems] == [
        f"{path}:1: error: file is {size:,} bytes; the limit for XML files is 20 MB"
    ]
    child = run_validate(path)
    assert_refused(child, "the limit for XML files is 20 MB")
    assert f"{size:,} bytes" in child.stdout
    # CPU time: reading 48 MB to the end would cost far more than this.
    assert child.cpu_seconds < 3.0, (child.cpu_seconds, child.seconds)


def test_oversized_stream_is_refused_without_reading_it_all() -> None:
    from io import BytesIO

    from elinkcli.providerfiles.validate import read_stream

    source = read_stream(BytesIO(b"<LinkSet>" + b" " * (MAX_XML_BYTES + 100)), "<stdin>")
    assert len(source.data) == MAX_XML_BYTES + 1 and not source.complete
    (problem,) = parse_file(source).problems
    assert f"file is more than {MAX_XML_BYTES:,} bytes" in problem.message


@pytest.mark.slow
def test_files_near_the_limits_are_accepted(tmp_path: Path) -> None:
    """Entities expanding to megabytes, many references, rules nested 20 deep: all fine."""
    base = "http://www.example.org/cgi-bin/linkout/resolver/" + "x" * 50
    subset = f'<!ENTITY base "{base}">\n<!ENTITY rule "?db=pubmed&amp;id=&lo.id;">'
    count = 30_000
    links = [link(i, base="&base;", rule="&rule;") for i in range(count)]
    nested = "<toupper>" * 10 + "<strip what='spaces'>" * 10 + "&lo.id;"
    links.append(link(count, rule=nested + "</strip>" * 10 + "</toupper>" * 10))
    path = tmp_path / "resources.xml"
    path.write_text(HEAD.format(subset=subset) + "<LinkSet>" + "".join(links) + "</LinkSet>\n")
    expanded = count * (len(base) + len("?db=pubmed&amp;id=") + 8)
    assert 3 * 1024 * 1024 < expanded < MAX_EXPANSION_CHARS
    assert count * 1 < MAX_EXPANDED_NODES
    assert library_errors(path) == []
    child = run_validate(path)
    assert child.code == 0, child.stdout + child.stderr
    assert "0 errors" in child.stdout
