"""A legitimate resource file near the size limit is validated in bounded memory and time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Each runs the installed elinkcli on files of tens of MB: tens of seconds apiece.
pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MAX_RSS_KIB = 200 * 1024
# CPU seconds of the elinkcli child, not wall time: the machine may be busy with other work.
MAX_CPU_SECONDS = 30.0
ELINKCLI = str(Path(sys.executable).parent / "elinkcli")

HEAD = """<!DOCTYPE LinkSet PUBLIC "-//NLM//DTD LinkOut 1.0//EN"
"http://www.ncbi.nlm.nih.gov/entrez/linkout/doc/LinkOut.dtd"
[<!ENTITY base.url "http://molbioco.com/animals/">]>
<LinkSet>
"""
LINK = """ <Link>
   <LinkId>{n}</LinkId>
   <ProviderId>{provider}</ProviderId>
   <ObjectSelector>
      <Database>taxonomy</Database>
      <ObjectList>
         <ObjId>{uid}</ObjId>
      </ObjectList>
   </ObjectSelector>
   <ObjectUrl>
      <Base>&base.url;</Base>
      <Rule>homo/h._sapiens/{n}</Rule>
      <UrlName>Homo sapiens</UrlName>
      <SubjectType>taxonomy/phylogenetic</SubjectType>
   </ObjectUrl>
 </Link>
"""
LINK_LINES = LINK.count("\n")
HEAD_LINES = HEAD.count("\n")

MEASURE = """
import json, resource, subprocess, sys, time
start = time.monotonic()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "rc": done.returncode,
    "out": done.stdout[-2000:],
    "seconds": time.monotonic() - start,
    "cpu_seconds": usage.ru_utime + usage.ru_stime,
    "rss_kib": usage.ru_maxrss,
}))
"""


def big_xml(path: Path, bad_link: int | None = None, size: int = 19_000_000) -> None:
    with path.open("w") as f:
        f.write(HEAD)
        n = 0
        while f.tell() < size:
            n += 1
            provider = "12x4" if n == bad_link else "1234"
            f.write(LINK.format(n=n, provider=provider, uid=9000 + n))
        f.write("</LinkSet>\n")


def measured(*args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, ELINKCLI, *args],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_a_legitimate_xml_file_near_the_limit_is_validated_in_bounded_memory(
    tmp_path: Path,
) -> None:
    path = tmp_path / "resources.xml"
    big_xml(path)
    child = measured("linkout", "validate", str(path))
    assert child["rc"] == 0, child["out"]
    assert "1 file checked: 0 errors, 0 warnings" in str(child["out"])
    assert int(str(child["rss_kib"])) < MAX_RSS_KIB, f"peak RSS {child['rss_kib']} KiB"
    assert float(str(child["cpu_seconds"])) < MAX_CPU_SECONDS


def test_an_error_deep_in_a_big_xml_file_is_reported_on_its_line(tmp_path: Path) -> None:
    path = tmp_path / "resources.xml"
    bad = 40_000
    big_xml(path, bad_link=bad)
    child = measured("linkout", "validate", str(path))
    line = HEAD_LINES + (bad - 1) * LINK_LINES + 3  # <ProviderId> is the Link's third line
    assert child["rc"] != 0
    out = str(child["out"])
    assert f"{path}:{line}:4: error: ProviderId '12x4' is not a number" in out
    assert "1 file checked: 1 error, 0 warnings" in out
    assert int(str(child["rss_kib"])) < MAX_RSS_KIB, f"peak RSS {child['rss_kib']} KiB"


FT_HEAD = """prid:   7777
dbase:  nucleotide
stype:  organism-specific
!base:  http://www.webdatabase.com/cgi-bin/elegans?
------
"""


def big_ft(path: Path, block: str, size: int = 9_900_000) -> int:
    """A .ft file just under its 10 MB limit, of `block` (formatted with n) repeated."""
    with path.open("w") as f:
        f.write(FT_HEAD)
        n = 0
        while f.tell() < size:
            n += 1
            f.write(block.format(n=n))
    return n


def test_a_big_ft_file_is_validated_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "links.ft"
    block = (
        "linkid: {n}\nquery:  C. elegans {n} [orgn]\nbase:   &base;\nrule:   a=&lo.pacc;\n------\n"
    )
    big_ft(path, block)
    child = measured("linkout", "validate", str(path))
    assert child["rc"] == 0, child["out"]
    assert "1 file checked: 0 errors, 0 warnings" in str(child["out"])
    assert int(str(child["rss_kib"])) < MAX_RSS_KIB, f"peak RSS {child['rss_kib']} KiB"


def test_a_big_ft_file_with_an_error_in_every_link_stays_bounded(tmp_path: Path) -> None:
    """The worst shape seen: many tiny links, one problem each (model and problems)."""
    path = tmp_path / "links.ft"
    n = big_ft(path, "linkid: {n}\nquery: x [orgn]\nbogus: {n}\nbase: &base;\n------\n")
    child = measured("linkout", "validate", str(path))
    out = str(child["out"])
    assert child["rc"] == 1
    assert f"1 file checked: {n} errors, 0 warnings" in out
    assert "error: unknown field bogus:" in out
    assert int(str(child["rss_kib"])) < MAX_RSS_KIB, f"peak RSS {child['rss_kib']} KiB"
    assert float(str(child["cpu_seconds"])) < MAX_CPU_SECONDS


def rss_kib(child: dict[str, object]) -> int:
    return int(str(child["rss_kib"]))


def test_several_big_files_are_one_at_a_time(tmp_path: Path) -> None:
    """Files are validated one after another, none kept: four files of about the same
    weight take about the memory of one of them, not of all four. Each kind near its limit
    is the tests above; here files of a sixth of that, measured against one alone (the peak
    above that of an elinkcli validating a tiny file)."""
    xml, ft, tiny = tmp_path / "resources.xml", tmp_path / "links.ft", tmp_path / "tiny.xml"
    big_xml(xml, size=3_000_000)
    big_ft(ft, "linkid: {n}\nquery:  C. elegans {n} [orgn]\nbase:   &base;\n------\n", 1_500_000)
    big_xml(tiny, size=1_000)
    base = rss_kib(measured("linkout", "validate", str(tiny)))
    one = rss_kib(measured("linkout", "validate", str(xml))) - base
    child = measured("linkout", "validate", str(xml), str(ft), str(xml), str(ft))
    assert "4 files checked: 0 errors" in str(child["out"]), child["out"]
    # Held together they would add about 4 x `one` (the .ft file weighs about as much as
    # the XML file; 3 x measured with the models kept); one at a time, `one` and some
    # fragmentation (1.3 x measured).
    several = rss_kib(child) - base
    assert one > 10 * 1024, f"{one} KiB for one file: too light to tell"
    assert several < 2 * one, f"peak RSS {several} KiB above a tiny file's for four, {one} for one"
