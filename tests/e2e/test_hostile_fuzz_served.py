"""NCBI's recorded answers, mutated, served by the hostile server (tests/support/hostile.py)
to the installed elinkcli: for each command and format (`link` in every format, `check
-cmd ncheck`, `discover -id`, `linkout` as tsv and urls), a seeded sample of the
recordings meant for it, mutated as tests/support/mutations.py does, with the API key set.
Every run meets `check_run`'s contract, whatever the answer. The in-process fuzzing of the
parsers and writers is in tests/unit/eutils/test_hostile_fuzz.py.
"""

from __future__ import annotations

import functools
import json
import random
import re
from collections.abc import Callable

import pytest
from support.hostile import (
    HostileServer,
    Reply,
    Request,
    check_run,
    echo,
    run_concurrently,
    run_elinkcli,
    xml_reply,
)
from support.mutations import HOSTILE, OPS, Op, mutate
from support.paths import TESTS

FIXTURES = TESTS / "fixtures" / "eutils"
MANIFEST = {entry["file"]: entry for entry in json.loads((FIXTURES / "manifest.json").read_text())}


def random_ops(rng: random.Random) -> list[Op]:
    """What the `ops` strategy of tests/unit/eutils/test_hostile_fuzz.py draws, from a seeded
    Random (for the end-to-end sample)."""
    return [
        (rng.choice(OPS), rng.getrandbits(32), rng.choice(HOSTILE))
        for _ in range(rng.randint(1, 3))
    ]


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
