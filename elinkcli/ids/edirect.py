"""ENTREZ_DIRECT messages: what EDirect's esearch/elink write and efetch/esummary read."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from elinkcli.errors import UsageError

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

ROOT = "ENTREZ_DIRECT"


def escape(text: str) -> str:
    """&, < and > as XML entities (xml.sax.saxutils.escape, without importing urllib)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True, slots=True)
class EDirectMessage:
    db: str | None = None
    ids: tuple[str, ...] = ()
    webenv: str | None = None
    query_key: str | None = None
    count: int | None = None
    step: int | None = None
    error: str | None = None
    tool: str | None = None
    email: str | None = None
    # The <Labels> element as XML text, carried on unchanged.
    labels: str | None = None
    # A query to run again (current EDirect's PubMed messages carry no ids and no WebEnv).
    query: str | None = None
    mindate: str | None = None
    maxdate: str | None = None
    reldate: str | None = None
    datetype: str | None = None
    extra: tuple[tuple[str, str], ...] = field(default=())

    @property
    def has_history(self) -> bool:
        return bool(self.webenv and self.query_key)


_TAG = re.compile(rb"<([A-Za-z_][A-Za-z0-9_.-]*)(?:[\s>/]|$)")
_PROLOG = re.compile(rb"\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>\[]*(\[.*?\])?\s*>\s*)?", re.DOTALL)


def root_tag(data: bytes) -> str | None:
    """The name of the first element of an XML text (after its prolog and DOCTYPE)."""
    head = data[:8192].removeprefix(codecs.BOM_UTF8)
    prolog = _PROLOG.match(head)
    start = prolog.end() if prolog else 0
    tag = _TAG.match(head, start)
    return tag[1].decode("ascii") if tag else None


def looks_like_message(data: bytes) -> bool:
    return root_tag(data) == ROOT


# Elements of a query message, and the EDirectMessage fields they fill.
_QUERY_TAGS = {
    "Query": "query",
    "MinDate": "mindate",
    "MaxDate": "maxdate",
    "RelDate": "reldate",
    "DateType": "datetype",
}


def parse_message(data: bytes) -> EDirectMessage:
    """Read a message; a malformed one is bad input (UsageError)."""
    # The XML stack only for a message (ids given with -id make none).
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(data)
    except (ParseError, DefusedXmlException, LookupError, ValueError, RecursionError) as exc:
        raise UsageError(f"stdin holds a malformed ENTREZ_DIRECT message ({exc})") from None
    if root.tag != ROOT:
        raise UsageError(f"stdin holds <{root.tag}>, not an ENTREZ_DIRECT message")

    def text(tag: str) -> str | None:
        el = root.find(tag)
        return None if el is None else (el.text or "").strip()

    def number(tag: str) -> int | None:
        value = text(tag)
        if value is None or value == "":
            return None
        if not re.fullmatch(r"[0-9]{1,18}", value):
            raise UsageError(f"ENTREZ_DIRECT message has a non-numeric <{tag}>: {value[:40]!r}")
        return int(value)

    labels = root.find("Labels")
    known = {"Db", "Id", "WebEnv", "QueryKey", "Count", "Step", "Error", "Tool", "Email", "Labels"}
    known |= set(_QUERY_TAGS)
    return EDirectMessage(
        db=text("Db") or None,
        ids=tuple(t for el in root.iterfind("Id") if (t := (el.text or "").strip())),
        webenv=text("WebEnv") or None,
        query_key=text("QueryKey") or None,
        count=number("Count"),
        step=number("Step"),
        error=text("Error") or None,
        tool=text("Tool") or None,
        email=text("Email") or None,
        labels=_xml(labels) if labels is not None else None,
        **{name: text(tag) or None for tag, name in _QUERY_TAGS.items()},
        extra=tuple((el.tag, (el.text or "").strip()) for el in root if el.tag not in known),
    )


def _xml(el: Element) -> str:
    from xml.etree.ElementTree import tostring

    el.tail = None
    try:
        return tostring(el, encoding="unicode").strip()
    except RecursionError:
        raise UsageError("stdin holds an ENTREZ_DIRECT message nested too deeply") from None


def render_message(msg: EDirectMessage) -> str:
    """The message, elements in the order EDirect writes them (Db, WebEnv, QueryKey, Count,
    Step, Error, Tool, Email, Labels), then one <Id> per id."""
    lines = ["<ENTREZ_DIRECT>"]
    for tag, value in (
        ("Db", msg.db),
        ("WebEnv", msg.webenv),
        ("QueryKey", msg.query_key),
        ("Count", msg.count),
        ("Step", msg.step),
        ("Error", msg.error),
        ("Tool", msg.tool),
        ("Email", msg.email),
    ):
        if value is not None and value != "":
            lines.append(f"  <{tag}>{escape(str(value))}</{tag}>")
    if msg.labels:
        lines.append("  " + msg.labels)
    lines.extend(f"  <Id>{escape(i)}</Id>" for i in msg.ids)
    lines.append("</ENTREZ_DIRECT>")
    return "\n".join(lines) + "\n"
