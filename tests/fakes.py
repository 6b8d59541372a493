"""Shared test doubles: a fake clock and builders of E-utilities answers.

Import with ``from fakes import FakeClock, elink_xml`` (pytest puts ``tests/`` on sys.path).
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
