"""Shared test doubles: a fake clock, builders of E-utilities answers, and small oracles.

Import with ``from support.fakes import FakeClock, elink_xml`` (tests/conftest.py puts
``tests/`` on sys.path).
Nothing here imports elinkcli: these are independent of the code under test.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

ELINK_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n'
    '<!DOCTYPE eLinkResult PUBLIC "-//NLM//DTD elink 20101123//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20101123/elink.dtd">\n'
)


class FakeClock:
    """A monotonic clock the test controls; sleep() records the wait and advances time.

    Thread-safe: several threads may read it and sleep on it at once. Every sleep moves
    the one shared time forward, so time never goes back and no real time passes.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()
        self.start = float(start)
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            if seconds > 0:
                self._now += seconds

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass without anybody sleeping (an idle gap)."""
        with self._lock:
            self._now += seconds

    @property
    def elapsed(self) -> float:
        with self._lock:
            return self._now - self.start

    @property
    def total_slept(self) -> float:
        with self._lock:
            return sum(s for s in self.sleeps if s > 0)


class CacheClock(FakeClock):
    """FakeClock with the wall-clock `time()` the cache stamps its entries with."""

    def time(self) -> float:
        return self.monotonic()


def elink_xml(
    links: Mapping[str, Sequence[str]],
    *,
    dbfrom: str = "gene",
    dbto: str = "protein",
    linkname: str | None = None,
    scores: Mapping[str, Sequence[int]] | None = None,
    errors: Mapping[str, str] | None = None,
    top_errors: Sequence[str] = (),
) -> str:
    """An eLinkResult with one LinkSet per key of `links`, in the mapping's order.

    A key is the echoed source id; a comma-joined key gives one merged LinkSet whose IdList
    holds every id (NCBI's answer to ``id=A,B``). An empty target list gives a LinkSet
    without LinkSetDb, as NCBI sends for an id with no links. `scores` adds a <Score> to each
    link of that key; `errors` puts an <ERROR> inside that key's LinkSet; `top_errors` adds
    top-level <ERROR>s.
    """
    name = linkname or f"{dbfrom}_{dbto}"
    scores = scores or {}
    errors = errors or {}
    parts = [ELINK_HEAD, "<eLinkResult>\n"]
    for key, targets in links.items():
        parts.append(f"<LinkSet>\n\t<DbFrom>{escape(dbfrom)}</DbFrom>\n\t<IdList>\n")
        parts += [f"\t\t<Id>{escape(i)}</Id>\n" for i in key.split(",")]
        parts.append("\t</IdList>\n")
        if targets:
            parts.append(
                f"\t<LinkSetDb>\n\t\t<DbTo>{escape(dbto)}</DbTo>\n"
                f"\t\t<LinkName>{escape(name)}</LinkName>\n"
            )
            key_scores = scores.get(key)
            for j, target in enumerate(targets):
                score = "" if key_scores is None else f"\n\t\t\t<Score>{key_scores[j]}</Score>"
                parts.append(f"\t\t<Link>\n\t\t\t<Id>{escape(target)}</Id>{score}\n\t\t</Link>\n")
            parts.append("\t</LinkSetDb>\n")
        if key in errors:
            parts.append(f"\t<ERROR>{escape(errors[key])}</ERROR>\n")
        parts.append("</LinkSet>\n")
    parts += [f"<ERROR>{escape(e)}</ERROR>\n" for e in top_errors]
    parts.append("</eLinkResult>\n")
    return "".join(parts)


def form_pairs(request: Any) -> list[tuple[str, str]]:
    """The (name, value) pairs of a form-encoded POST body seen by requests-mock."""
    return parse_qsl(request.text or "", keep_blank_values=True)


def form_values(request: Any, name: str) -> list[str]:
    """Every value of parameter `name` in a form-encoded POST body, in order."""
    return [v for k, v in form_pairs(request) if k == name]


def chunks(ids: Sequence[str], size: int) -> list[list[str]]:
    """`ids` cut into consecutive batches of `size` (the last may be shorter)."""
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


def edirect_message(db: str, ids: Sequence[str] = (), **tags: str | int) -> bytes:
    """An ENTREZ_DIRECT message as esearch/epost write it (built here, not by elinkcli)."""
    lines = ['<?xml version="1.0" encoding="UTF-8" ?>', "<ENTREZ_DIRECT>", f"  <Db>{db}</Db>"]
    fields = {"Count": len(ids), "Step": 1, **tags}
    lines += [f"  <{tag}>{value}</{tag}>" for tag, value in fields.items()]
    lines += [f"  <Id>{i}</Id>" for i in ids]
    lines.append("</ENTREZ_DIRECT>")
    return ("\n".join(lines) + "\n").encode()


# --- the chain oracle: FakeEutils.links walked hop by hop ---------------------------------

Path = tuple[str, ...]  # one chain path: the source id, then one id per hop
HopSpec = tuple[str, str | None]  # (target db, link name or None)


def next_ids(
    fake: Any, dbfrom: str, uid: str, db: str, name: str | None, cap: int | None = None
) -> list[str]:
    """One source's links at one hop: every link table in NCBI's order, a target reached
    through several tables counted once, at most `cap` of them.

    `fake` is a FakeEutils (only its `links` oracle is used)."""
    found = list(dict.fromkeys(t for _n, _db, ts in fake.links(dbfrom, uid, db, name) for t in ts))
    return found[:cap] if cap is not None else found


def reference_walk(
    fake: Any,
    db: str,
    ids: Sequence[str],
    hops: Sequence[HopSpec],
    max_per_hop: int | None = None,
) -> tuple[list[Path], list[list[str]]]:
    """(every complete path in order, the distinct ids each hop has to link)."""
    dbs = [db, *(target for target, _ in hops)]
    paths: list[Path] = [(s,) for s in dict.fromkeys(ids)]
    frontiers: list[list[str]] = []
    for n, (target, name) in enumerate(hops):
        frontier = list(dict.fromkeys(p[-1] for p in paths))
        frontiers.append(frontier)
        links = {i: next_ids(fake, dbs[n], i, target, name, max_per_hop) for i in frontier}
        paths = [(*p, t) for p in paths for t in links[p[-1]]]
    return paths, frontiers
