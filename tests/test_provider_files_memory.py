"""A legitimate resource file near the size limit is validated in bounded memory and time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

MAX_RSS_KIB = 200 * 1024
MAX_SECONDS = 30.0
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
print(json.dumps({
    "rc": done.returncode,
    "out": done.stdout[-2000:],
    "seconds": time.monotonic() - start,
    "rss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
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
    assert float(str(child["seconds"])) < MAX_SECONDS


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
