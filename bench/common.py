"""Helpers shared by the benchmark scripts (not part of the package)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))


def elinkcli() -> str:
    return str(Path(sys.executable).parent / "elinkcli")


def timed(argv: list[str], *, stdin: bytes = b"", env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(argv, input=stdin, env=env or dict(os.environ), check=True, capture_output=True)
    return time.perf_counter() - start


def median_time(argv: list[str], runs: int, **kwargs: object) -> float:
    return statistics.median(timed(argv, **kwargs) for _ in range(runs))  # type: ignore[arg-type]


def big_neighbor_score(n_links: int, source: str = "15718680") -> bytes:
    """An ELink neighbor_score answer with one LinkSet of n_links scored links, shaped like
    NCBI's (about 70 bytes a link: 160,000 links make 11 MB)."""
    head = (
        '<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eLinkResult PUBLIC '
        '"-//NLM//DTD elink 20101123//EN" '
        '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20101123/elink.dtd">\n<eLinkResult>\n'
        f"<LinkSet>\n\t<DbFrom>pubmed</DbFrom>\n\t<IdList>\n\t\t<Id>{source}</Id>\n\t</IdList>\n"
        "\t<LinkSetDb>\n\t\t<DbTo>pubmed</DbTo>\n\t\t<LinkName>pubmed_pubmed</LinkName>\n"
    )
    links = "".join(
        f"\t\t<Link>\n\t\t\t<Id>{30000000 + i * 7}</Id>\n\t\t\t<Score>{90000000 - i * 13}"
        "</Score>\n\t\t</Link>\n"
        for i in range(n_links)
    )
    return (head + links + "\t</LinkSetDb>\n</LinkSet>\n</eLinkResult>\n").encode()
