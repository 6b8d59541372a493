"""A loopback HTTP server that answers like a compromised or broken NCBI, the answers it
builds, a runner for the installed `elinkcli` that measures each process, and `check_run`:
the contract every run must meet, whatever the server sent.

The server (`HostileServer`) is built on raw sockets in the style of tests/support/fault_servers.py:
it binds 127.0.0.1 on an ephemeral port when made, serves each connection on a daemon
thread, is a context manager, and says nothing about clients that go away. A test hands it
a handler, ``handler(request) -> Reply``: `request` is a `Request` (method, path, params as
(name, value) pairs from the query string and the form body, headers with lower-case
names), and a `Reply` describes the raw answer: status, headers, body bytes, and how it is
framed (Content-Length, chunked, close-delimited, an HTTP/1.0 status line), dripped (`n`
bytes every `t` seconds, endless or not) and encoded (gzip, `gzip, gzip`, deflate). Every
request is recorded in `server.requests`.

Where the answers' shapes come from (tests/fixtures/eutils/responses, real NCBI output; the
values served are invented):

* `elink_answer`: elink1.xml (elink.dtd 20101123: LinkSet, DbFrom, IdList, LinkSetDb,
  DbTo, LinkName, Link/Id), one LinkSet per asked id as bioperl.elink_neighbor_corr.xml.
* `neighbor_score_answer`: bioperl.elink_scores.xml (Link/Id + Score).
* `check_answer`: bioperl.elink_ncheck_corr.xml / bioperl.elink_lcheck_corr.xml (one
  LinkSet per id= parameter, IdCheckList, `<Id HasNeighbor="Y">` / `HasLinkOut`).
* `acheck_answer`: bioperl.elink_acheck_corr.xml (IdCheckList/IdLinkSet/LinkInfo: DbTo,
  LinkName, MenuTag, HtmlTag, Url, Priority).
* `llinks_answer`: bioperl.elink_llinks_corr.xml and elink6.xml (IdUrlList/IdUrlSet/ObjUrl:
  Url, IconUrl, LinkName, SubjectType, Category, Attribute, Provider Name/NameAbbr/Id/Url).
  These three write one LinkSet per id, NCBI's answer to one `id=` per id (as elinkcli
  asks); `merged=True` writes NCBI's one LinkSet for a comma-joined `id=`.
* `einfo_answer`: einfo2.xml (DbInfo: DbName, MenuName, Description, Count, FieldList,
  LinkList/Link: Name, Menu, Description, DbTo).
* `error_answer`: klortho.einfo.error.xml and the `<ERROR>` bodies of elink8/epost2.xml.
* `esearch_answer`, `esummary_answer`, `uilist_answer`: no recording holds them; their
  shape is tests/support/fake_eutils.py's (itself from NCBI's esearch / esummary-v1 DTDs).
* `icite_answer`: tests/support/fake_citations.py's iCite shape (`{"data": [{"pmid", "cited_by",
  "references"}]}`); `europepmc_answer`: its Europe PMC shape (`hitCount`,
  `citationList.citation[]` with `id` and `source`).

Ids and scores given to the builders go into the XML as they are (so a test can put a
character reference or markup there); free text is escaped unless wrapped in `Raw`.

Import with ``from support.hostile import ...`` (pytest puts ``tests/`` on sys.path).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

from support.fault_servers import HOST, FaultServer, LoggedRequest, _Reader

__all__ = [
    "ELINK_HEAD",
    "KEY",
    "MEMORY_BOUND_MB",
    "XML_DECL",
    "Handler",
    "HostileServer",
    "Raw",
    "Reply",
    "Request",
    "Run",
    "acheck_answer",
    "big_answer",
    "check_answer",
    "check_run",
    "deep_nesting_bomb",
    "double_gzip_bomb",
    "echo",
    "echo_linkname",
    "echo_linkset",
    "echo_resource",
    "echo_targets",
    "einfo_answer",
    "elink_answer",
    "elink_with",
    "encode",
    "endless_gzip_zeros",
    "error_answer",
    "error_lines",
    "esearch_answer",
    "esummary_answer",
    "europepmc_answer",
    "icite_answer",
    "json_reply",
    "key_pieces",
    "linkset",
    "llinks_answer",
    "neighbor_score_answer",
    "objurl",
    "run_concurrently",
    "run_elinkcli",
    "tsv_rows",
    "uilist_answer",
    "unsafe",
    "visible_table",
    "xml_reply",
]

# An API key with letters, so no id or number in any output matches a piece of it by chance.
KEY = "k3y0f7e5t9a1b2c4d6e8f0a1b2c3d4e5f6a7"
# The peak RSS (MiB) an elinkcli process may reach on a memory bomb (default settings).
MEMORY_BOUND_MB = 400

EUTILS_PATH = "/entrez/eutils/"
ICITE_PATH = "/icite/api/"
EUROPEPMC_PATH = "/europepmc/webservices/rest/"


class Raw(str):
    """Text a builder puts into the XML as it is (a character reference, markup)."""


def x(text: object) -> str:
    """`text` for XML: escaped, unless it is Raw."""
    return str(text) if isinstance(text, Raw) else escape(str(text))


# --- requests and replies ------------------------------------------------------------------


class Request(NamedTuple):
    """One request as read off the wire."""

    method: str
    path: str  # without the query string
    params: list[tuple[str, str]]  # query string, then the form body
    headers: dict[str, str]  # names in lower case

    @property
    def endpoint(self) -> str:
        """The last path segment: `elink.fcgi`, `pubs`, `citations`."""
        return self.path.rstrip("/").rsplit("/", 1)[-1]

    def values(self, key: str) -> list[str]:
        return [v for k, v in self.params if k == key]

    def get(self, key: str, default: str | None = None) -> str | None:
        found = self.values(key)
        return found[0] if found else default

    @property
    def id_groups(self) -> list[list[str]]:
        """One list per `id=` parameter (a comma-joined one is a union request)."""
        return [[i for i in v.split(",") if i] for v in self.values("id")]

    @property
    def ids(self) -> list[str]:
        """Every id asked, of every `id=` (or iCite's `pmids=`) parameter, in order."""
        groups = self.id_groups or [[i for i in v.split(",") if i] for v in self.values("pmids")]
        return [i for g in groups for i in g]


@dataclass
class Reply:
    """A raw answer.

    `framing`: "length" (Content-Length: len(body), or `content_length` when given),
    "chunked" (Transfer-Encoding: chunked, each piece written a chunk), or "close" (no
    length, `Connection: close`, the body ends when the connection does). `version`
    "HTTP/1.0" writes that status line. `encoding` ("gzip", "gzip, gzip", "deflate")
    compresses `body` that many times and names it in Content-Encoding. `drip=(n, t)`
    writes the body `n` bytes every `t` seconds; `endless` writes the body again and again
    for ever. `stream`, when given, makes the body's pieces as they are sent (already
    encoded as `headers` say; `encoding` is then only the header). `raw` is written as it
    is, instead of all of the above.
    """

    status: int = 200
    body: bytes = b""
    content_type: str | None = "text/xml; charset=UTF-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    framing: str = "length"
    version: str = "HTTP/1.1"
    reason: str | None = None
    encoding: str | None = None
    drip: tuple[int, float] | None = None
    endless: bool = False
    stream: Callable[[], Iterable[bytes]] | None = None
    content_length: int | None = None
    raw: bytes | None = None

    @property
    def closes(self) -> bool:
        return (
            self.framing == "close"
            or self.endless
            or self.stream is not None
            or self.version == "HTTP/1.0"
            or any(k.lower() == "connection" and "close" in v.lower() for k, v in self.headers)
        )


Handler = Callable[[Request], Reply]


def encode(body: bytes, encoding: str | None) -> bytes:
    """`body` compressed as a Content-Encoding header names it (innermost last)."""
    if not encoding:
        return body
    layers = [c.strip().lower() for c in encoding.split(",") if c.strip()]
    for coding in reversed(layers):
        wbits = 31 if coding in ("gzip", "x-gzip") else 15
        packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
        body = packer.compress(body) + packer.flush()
    return body


class HostileServer(FaultServer):
    """Answers every request with `handler(request)` (default: `echo`); the sockets, threads
    and stopping are tests/support/fault_servers.py's.

    Attributes: `port`, `base_url` (E-utilities), `icite_url`, `europepmc_url`,
    `requests` (every request read, in order), `bytes_sent`, `handler_errors` (exceptions
    a handler raised: the connection was closed without an answer).
    """

    name = "hostile"

    def __init__(self, handler: Handler | None = None) -> None:
        super().__init__()
        self.handler: Handler = handler or echo
        self.origin = f"http://{HOST}:{self.port}"
        self.base_url = self.origin + EUTILS_PATH
        self.icite_url = self.origin + ICITE_PATH
        self.europepmc_url = self.origin + EUROPEPMC_PATH
        self.requests: list[Request] = []  # type: ignore[assignment]
        self.handler_errors: list[BaseException] = []

    def requests_to(self, endpoint: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.endpoint == endpoint]

    def _count_request(self) -> None:
        """(FaultServer counts requests; this server keeps them, in `requests`.)"""

    def handle(self, conn: socket.socket, reader: _Reader) -> None:
        while True:
            request = _request(reader.request())
            with self._lock:
                self.requests.append(request)
            try:
                reply = self.handler(request)
            except Exception as exc:  # a test's handler is broken: say so in the test
                with self._lock:
                    self.handler_errors.append(exc)
                return
            self._send_reply(conn, reply)
            if reply.raw is not None or reply.closes:
                return
            if request.headers.get("connection", "").lower() == "close":
                return

    def _send_reply(self, conn: socket.socket, reply: Reply) -> None:
        if reply.raw is not None:
            self.send(conn, reply.raw)
            return
        body = b"" if reply.stream is not None else encode(reply.body, reply.encoding)
        reason = reply.reason
        if reason is None:
            try:
                reason = HTTPStatus(reply.status).phrase
            except ValueError:
                reason = "Unknown"
        fields = list(reply.headers)
        names = {k.lower() for k, _ in fields}
        if reply.content_type and "content-type" not in names:
            fields.append(("Content-Type", reply.content_type))
        if reply.encoding and "content-encoding" not in names:
            fields.append(("Content-Encoding", reply.encoding))
        chunked = reply.framing == "chunked"
        if chunked:
            fields.append(("Transfer-Encoding", "chunked"))
        elif (
            reply.framing == "length"
            and not reply.endless
            and reply.stream is None
            and "content-length" not in names
        ):
            length = len(body) if reply.content_length is None else reply.content_length
            fields.append(("Content-Length", str(length)))
        if reply.closes and "connection" not in names:
            fields.append(("Connection", "close"))
        head = f"{reply.version} {reply.status} {reason}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in fields) + "\r\n"
        self.send(conn, head.encode("latin-1"))
        for piece in self._pieces(reply, body):
            if piece:
                self.send(conn, b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
        if chunked:
            self.send(conn, b"0\r\n\r\n")

    def _pieces(self, reply: Reply, body: bytes) -> Iterator[bytes]:
        while True:
            source: Iterable[bytes] = reply.stream() if reply.stream is not None else (body,)
            for data in source:
                if reply.drip is None:
                    yield data
                    continue
                n, every = reply.drip
                for start in range(0, len(data), max(n, 1)):
                    self.sleep(every)
                    yield data[start : start + max(n, 1)]
            if not reply.endless:
                return


def _request(logged: LoggedRequest) -> Request:
    """A request as FaultServer read it, with its parameters (query string and form body)
    and header names in lower case."""
    headers = {name.lower(): value for name, value in logged.headers.items()}
    split = urlsplit(logged.path)
    params = parse_qsl(split.query, keep_blank_values=True)
    if logged.body and "x-www-form-urlencoded" in headers.get("content-type", ""):
        params += parse_qsl(logged.body.decode("utf-8", "replace"), keep_blank_values=True)
    return Request(logged.method, split.path, params, headers)


# --- the answers -----------------------------------------------------------------------------

XML_DECL = '<?xml version="1.0" encoding="UTF-8" ?>\n'
ELINK_DOCTYPE = (
    '<!DOCTYPE eLinkResult PUBLIC "-//NLM//DTD elink 20101123//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20101123/elink.dtd">\n'
)
ELINK_HEAD = XML_DECL + ELINK_DOCTYPE


def xml_reply(text: str | bytes, status: int = 200, **options: Any) -> Reply:
    body = text.encode("utf-8") if isinstance(text, str) else text
    return Reply(status=status, body=body, **options)


def json_reply(doc: Any, status: int = 200, **options: Any) -> Reply:
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return Reply(status=status, body=body, content_type="application/json", **options)


def _linkset_head(dbfrom: str, ids: Sequence[str]) -> str:
    listed = "".join(f"\t\t<Id>{i}</Id>\n" for i in ids)
    return f"<LinkSet>\n\t<DbFrom>{x(dbfrom)}</DbFrom>\n\t<IdList>\n{listed}\t</IdList>\n"


def _linksetdb(dbto: str, linkname: str, links: Iterable[str | tuple[str, str]]) -> str:
    parts = [f"\t<LinkSetDb>\n\t\t<DbTo>{x(dbto)}</DbTo>\n\t\t<LinkName>{x(linkname)}</LinkName>\n"]
    for link in links:
        if isinstance(link, tuple):
            target, score = link
            parts.append(f"\t\t<Link>\n\t\t\t<Id>{target}</Id>\n\t\t\t<Score>{score}</Score>\n")
            parts.append("\t\t</Link>\n")
        else:
            parts.append(f"\t\t<Link>\n\t\t\t<Id>{link}</Id>\n\t\t</Link>\n")
    parts.append("\t</LinkSetDb>\n")
    return "".join(parts)


def linkset(
    dbfrom: str,
    ids: Sequence[str],
    tables: Mapping[str, Sequence[str | tuple[str, str]]],
    dbto: str,
    extra: str = "",
) -> str:
    """One LinkSet echoing `ids`, a LinkSetDb per link name (links: ids, or (id, score)
    pairs); `extra` (raw XML) goes before its end tag."""
    body = "".join(_linksetdb(dbto, name, links) for name, links in tables.items())
    return _linkset_head(dbfrom, ids) + body + extra + "</LinkSet>\n"


def elink_answer(
    dbfrom: str,
    links: Mapping[str, Mapping[str, Sequence[str]]],
    dbto: str,
    extra: str = "",
) -> bytes:
    """An eLinkResult with one LinkSet per id: {id: {linkname: [target ids]}} (an id with no
    link names gets DbFrom and IdList only, as NCBI answers an id without links). `extra`
    (raw XML) goes after the last LinkSet."""
    sets = "".join(linkset(dbfrom, [uid], tables, dbto) for uid, tables in links.items())
    return (ELINK_HEAD + "<eLinkResult>\n" + sets + extra + "</eLinkResult>\n").encode()


def neighbor_score_answer(
    dbfrom: str,
    links: Mapping[str, Mapping[str, Sequence[tuple[str, str]]]],
    dbto: str,
) -> bytes:
    """eLinkResult of `cmd=neighbor_score`: {id: {linkname: [(target, score)]}}."""
    return elink_answer(dbfrom, links, dbto)  # type: ignore[arg-type]


def error_answer(text: str, root: str = "eLinkResult") -> bytes:
    """An answer holding only a top-level <ERROR>."""
    return (XML_DECL + f"<{root}>\n\t<ERROR>{x(text)}</ERROR>\n</{root}>\n").encode()


def _sets(dbfrom: str, bodies: Sequence[str]) -> bytes:
    """An eLinkResult of one LinkSet (DbFrom, then the body) per body."""
    head = f"<LinkSet>\n\t<DbFrom>{x(dbfrom)}</DbFrom>\n"
    sets = [head + body + "</LinkSet>\n" for body in bodies]
    return (ELINK_HEAD + "<eLinkResult>\n" + "".join(sets) + "</eLinkResult>\n").encode()


def check_answer(
    dbfrom: str, answers: Mapping[str, str], attr: str = "HasNeighbor", merged: bool = False
) -> bytes:
    """ncheck (`HasNeighbor`) or lcheck (`HasLinkOut`): {id: "Y" or "N"}, one LinkSet per id
    as bioperl.elink_ncheck_corr.xml (`merged`: one LinkSet, as bioperl.elink_ncheck.xml)."""
    items = [f'\t\t<Id {attr}="{x(v)}">{i}</Id>\n' for i, v in answers.items()]
    wrap = "\t<IdCheckList>\n{}\t</IdCheckList>\n".format
    return _sets(dbfrom, [wrap("".join(items))] if merged else [wrap(i) for i in items])


# (DbTo, LinkName, MenuTag, HtmlTag, Priority)
LinkInfo = tuple[str, str, str, str, str]


def acheck_answer(
    dbfrom: str, answers: Mapping[str, Sequence[LinkInfo]], merged: bool = False
) -> bytes:
    """acheck: {id: [(dbto, linkname, menutag, htmltag, priority)]}, one LinkSet per id as
    bioperl.elink_acheck_corr.xml (`merged`: one, as bioperl.elink_acheck.xml)."""
    items = []
    for uid, infos in answers.items():
        parts = [f"\t\t<IdLinkSet>\n\t\t\t<Id>{uid}</Id>\n"]
        for dbto, name, menu, html, priority in infos:
            parts.append(
                f"\t\t\t<LinkInfo>\n\t\t\t\t<DbTo>{x(dbto)}</DbTo>\n"
                f"\t\t\t\t<LinkName>{x(name)}</LinkName>\n\t\t\t\t<MenuTag>{x(menu)}</MenuTag>\n"
                f"\t\t\t\t<HtmlTag>{x(html)}</HtmlTag>\n\t\t\t\t<Priority>{x(priority)}</Priority>\n"
                "\t\t\t</LinkInfo>\n"
            )
        parts.append("\t\t</IdLinkSet>\n")
        items.append("".join(parts))
    wrap = "\t<IdCheckList>\n{}\t</IdCheckList>\n".format
    return _sets(dbfrom, [wrap("".join(items))] if merged else [wrap(i) for i in items])


def objurl(
    url: str = "https://journal.example/article/1",
    *,
    provider: str = "Example Journal Publishing",
    abbr: str = "exjournal",
    provider_id: str = "7898",
    label: str | None = None,
    iconurl: str | None = None,
    categories: Sequence[str] = ("Full Text Sources",),
    subject_types: Sequence[str] = (),
    attributes: Sequence[str] = ("free resource",),
) -> dict[str, Any]:
    """One LinkOut resource for `llinks_answer`."""
    return {
        "url": url,
        "provider": provider,
        "abbr": abbr,
        "provider_id": provider_id,
        "label": label,
        "iconurl": iconurl,
        "categories": tuple(categories),
        "subject_types": tuple(subject_types),
        "attributes": tuple(attributes),
    }


def _objurl_xml(r: Mapping[str, Any]) -> str:
    parts = [f"\t\t\t<ObjUrl>\n\t\t\t\t<Url>{x(r['url'])}</Url>\n"]
    if r["iconurl"]:
        parts.append(f"\t\t\t\t<IconUrl>{x(r['iconurl'])}</IconUrl>\n")
    if r["label"]:
        parts.append(f"\t\t\t\t<LinkName>{x(r['label'])}</LinkName>\n")
    parts += [f"\t\t\t\t<SubjectType>{x(v)}</SubjectType>\n" for v in r["subject_types"]]
    parts += [f"\t\t\t\t<Category>{x(v)}</Category>\n" for v in r["categories"]]
    parts += [f"\t\t\t\t<Attribute>{x(v)}</Attribute>\n" for v in r["attributes"]]
    parts.append(
        f"\t\t\t\t<Provider>\n\t\t\t\t\t<Name>{x(r['provider'])}</Name>\n"
        f"\t\t\t\t\t<NameAbbr>{x(r['abbr'])}</NameAbbr>\n"
        f"\t\t\t\t\t<Id>{x(r['provider_id'])}</Id>\n\t\t\t\t</Provider>\n\t\t\t</ObjUrl>\n"
    )
    return "".join(parts)


def llinks_answer(
    dbfrom: str, answers: Mapping[str, Sequence[Mapping[str, Any]]], merged: bool = False
) -> bytes:
    """llinks / prlinks: {id: [objurl(...)]} (an id without resources: `<Info>No links`),
    one LinkSet per id as bioperl.elink_llinks_corr.xml (`merged`: one, as elink6.xml)."""
    items = []
    for uid, resources in answers.items():
        parts = [f"\t\t<IdUrlSet>\n\t\t\t<Id>{uid}</Id>\n"]
        if not resources:
            parts.append("\t\t\t<Info>No links</Info>\n")
        parts += [_objurl_xml(r) for r in resources]
        parts.append("\t\t</IdUrlSet>\n")
        items.append("".join(parts))
    wrap = "\t<IdUrlList>\n{}\t</IdUrlList>\n".format
    return _sets(dbfrom, [wrap("".join(items))] if merged else [wrap(i) for i in items])


def einfo_answer(
    db: str,
    links: Sequence[tuple[str, str, str, str]],
    menuname: str | None = None,
    description: str | None = None,
) -> bytes:
    """EInfo of one database: links are (Name, Menu, Description, DbTo)."""
    listed = "".join(
        f"\t\t\t<Link>\n\t\t\t\t<Name>{x(n)}</Name>\n\t\t\t\t<Menu>{x(m)}</Menu>\n"
        f"\t\t\t\t<Description>{x(d)}</Description>\n\t\t\t\t<DbTo>{x(t)}</DbTo>\n\t\t\t</Link>\n"
        for n, m, d, t in links
    )
    return (
        XML_DECL + '<!DOCTYPE eInfoResult PUBLIC "-//NLM//DTD einfo 20190110//EN" '
        '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20190110/einfo.dtd">\n'
        "<eInfoResult>\n\t<DbInfo>\n"
        f"\t\t<DbName>{x(db)}</DbName>\n\t\t<MenuName>{x(menuname or db.title())}</MenuName>\n"
        f"\t\t<Description>{x(description or db + ' records')}</Description>\n"
        "\t\t<DbBuild>Build-2025.11.27.06.33</DbBuild>\n\t\t<Count>39730388</Count>\n"
        "\t\t<LastUpdate>2025/11/27 06:33</LastUpdate>\n\t\t<FieldList>\n\t\t</FieldList>\n"
        f"\t\t<LinkList>\n{listed}\t\t</LinkList>\n\t</DbInfo>\n</eInfoResult>\n"
    ).encode()


def esearch_answer(
    ids: Sequence[str],
    count: str | None = None,
    query_key: str | None = None,
    webenv: str | None = None,
) -> bytes:
    """An eSearchResult: Count (default: how many ids), IdList, QueryKey/WebEnv if given."""
    history = ""
    if query_key is not None:
        history += f"<QueryKey>{query_key}</QueryKey>"
    if webenv is not None:
        history += f"<WebEnv>{webenv}</WebEnv>"
    listed = "".join(f"<Id>{i}</Id>" for i in ids)
    shown = str(len(ids)) if count is None else count
    return (
        XML_DECL + '<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
        '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
        f"<eSearchResult><Count>{shown}</Count><RetMax>{len(ids)}</RetMax>"
        f"<RetStart>0</RetStart>{history}<IdList>{listed}</IdList><TranslationSet/>"
        "</eSearchResult>\n"
    ).encode()


def esummary_answer(docsums: Mapping[str, Sequence[tuple[str, str, str]]]) -> bytes:
    """Version 1 DocSums: {uid: [(Item Name, Type, text)]}."""
    parts = [XML_DECL, "<eSummaryResult>\n"]
    for uid, items in docsums.items():
        body = "".join(f'\t<Item Name="{x(n)}" Type="{x(t)}">{x(v)}</Item>\n' for n, t, v in items)
        parts.append(f"<DocSum>\n\t<Id>{uid}</Id>\n{body}</DocSum>\n")
    parts.append("</eSummaryResult>\n")
    return "".join(parts).encode()


def uilist_answer(ids: Iterable[str]) -> bytes:
    """efetch rettype=uilist: one id a line."""
    return "".join(f"{i}\n" for i in ids).encode()


def icite_answer(records: Sequence[Mapping[str, Any]]) -> bytes:
    """iCite /pubs: {"meta": ..., "data": records}; a record is {"pmid", "cited_by",
    "references"} with any JSON values a test wants there."""
    return json.dumps({"meta": {"pmids": "", "fl": "pmid,cited_by,references"},
                       "data": list(records)}).encode()  # fmt: skip


def europepmc_answer(
    ids: Sequence[Any], hit_count: Any = None, direction: str = "cited", source: str = "MED"
) -> bytes:
    """Europe PMC MED/{pmid}/citations (or references) in JSON."""
    outer, inner = ("citationList", "citation") if direction == "cited" else (
        "referenceList", "reference")  # fmt: skip
    items = [{"id": i, "source": source, "title": "A paper"} for i in ids]
    return json.dumps(
        {
            "version": "6.9",
            "hitCount": len(ids) if hit_count is None else hit_count,
            "request": {"id": "1", "source": "MED", "page": 1, "pageSize": 1000},
            outer: {inner: items},
        }
    ).encode()


# --- the default: a well-behaved NCBI that echoes the asked ids -----------------------------


def echo_targets(uid: str) -> list[str]:
    """The ids `echo` links a numeric id to: uid*10+1 and uid*10+2 (an oracle for tests)."""
    n = int(uid)
    return [str(n * 10 + 1), str(n * 10 + 2)]


def echo_linkname(dbfrom: str, dbto: str, request: Request | None = None) -> str:
    given = request.get("linkname") if request is not None else None
    return given or f"{dbfrom}_{dbto}"


def echo_resource(uid: str) -> dict[str, Any]:
    return objurl(f"https://journal.example/article/{uid}")


def echo(request: Request) -> Reply:
    """A well-behaved answer to anything elinkcli asks, echoing exactly the asked ids; a
    test's handler answers what it wants to alter and hands the rest to this."""
    endpoint = request.endpoint
    if endpoint == "elink.fcgi":
        return xml_reply(_echo_elink(request))
    if endpoint == "einfo.fcgi":
        db = request.get("db") or "gene"
        return xml_reply(einfo_answer(db, [(f"{db}_pubmed", "PubMed Links", "PubMed", "pubmed")]))
    if endpoint == "esearch.fcgi":
        return xml_reply(esearch_answer([]))
    if endpoint == "esummary.fcgi":
        return xml_reply(esummary_answer({i: [("Title", "String", "t")] for i in request.ids}))
    if endpoint == "efetch.fcgi":
        return Reply(body=b"", content_type="text/plain")
    if endpoint == "pubs":
        pmids = [p for v in request.values("pmids") for p in v.split(",") if p]
        records = [
            {"pmid": int(p), "cited_by": [int(t) for t in echo_targets(p)], "references": []}
            for p in pmids
        ]
        return json_reply(icite_answer(records))
    if endpoint in ("citations", "references"):
        pmid = request.path.rstrip("/").split("/")[-2]
        targets = echo_targets(pmid) if endpoint == "citations" else []
        direction = "cited" if endpoint == "citations" else "cites"
        return json_reply(europepmc_answer(targets, direction=direction))
    return Reply(status=404, body=b"<html><body>Not found</body></html>", content_type="text/html")


def echo_linkset(request: Request, uid: str) -> str:
    """The LinkSet `echo` answers for one asked id (raw XML), scored under neighbor_score."""
    dbfrom = request.get("dbfrom") or "gene"
    dbto = request.get("db") or dbfrom
    targets = echo_targets(uid)
    links: list[str | tuple[str, str]] = list(targets)
    if request.get("cmd") == "neighbor_score":
        links = [(t, str(1000 - n)) for n, t in enumerate(targets)]
    return linkset(dbfrom, [uid], {echo_linkname(dbfrom, dbto, request): links}, dbto)


def elink_with(linksets: Mapping[str, str | Callable[[Request], str]], extra: str = "") -> Handler:
    """A handler: ELink neighbor answers of one LinkSet per asked id, the raw XML (or what a
    function of the request makes) in `linksets` for those ids, `echo_linkset` for the
    others, then `extra`; everything else as `echo`."""

    def handler(request: Request) -> Reply:
        if request.endpoint != "elink.fcgi" or request.get("cmd", "neighbor") not in (
            "neighbor",
            "neighbor_score",
        ):
            return echo(request)
        sets = []
        for uid in request.ids:
            made = linksets.get(uid)
            if made is None:
                sets.append(echo_linkset(request, uid))
            else:
                sets.append(made if isinstance(made, str) else made(request))
        body = ELINK_HEAD + "<eLinkResult>\n" + "".join(sets) + extra + "</eLinkResult>\n"
        return xml_reply(body)

    return handler


def _echo_elink(request: Request) -> bytes:
    dbfrom = request.get("dbfrom") or "gene"
    dbto = request.get("db") or dbfrom
    cmd = request.get("cmd") or "neighbor"
    groups = request.id_groups
    ids = [i for g in groups for i in g]
    if cmd in ("ncheck", "lcheck"):
        attr = "HasNeighbor" if cmd == "ncheck" else "HasLinkOut"
        return check_answer(dbfrom, dict.fromkeys(ids, "Y"), attr)
    if cmd == "acheck":
        info = ("pubmed", f"{dbfrom}_pubmed", "PubMed Links", "PubMed", "128")
        return acheck_answer(dbfrom, {i: [info] for i in ids})
    if cmd in ("llinks", "prlinks"):
        return llinks_answer(dbfrom, {i: [echo_resource(i)] for i in ids})
    name = echo_linkname(dbfrom, dbto, request)
    sets = []
    for group in groups:
        targets = list(dict.fromkeys(t for i in group for t in echo_targets(i)))
        links: list[str | tuple[str, str]] = list(targets)
        if cmd == "neighbor_score":
            links = [(t, str(1000 - n)) for n, t in enumerate(targets)]
        sets.append(linkset(dbfrom, group, {name: links}, dbto))
    return (ELINK_HEAD + "<eLinkResult>\n" + "".join(sets) + "</eLinkResult>\n").encode()


# --- bombs -------------------------------------------------------------------------------


def _deflate_repeat(head: bytes, unit: bytes, total: int, tail: bytes, wbits: int = 31) -> bytes:
    """gzip (wbits 31) of head + unit repeated to `total` bytes + tail, made a block at a
    time (never all of it in memory)."""
    block = unit * max(1, (1 << 20) // len(unit))
    if wbits == 31:
        return _gzip_repeat(head, block, total, tail)
    packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    out = [packer.compress(head)]
    made = 0
    while made < total:
        piece = block if total - made >= len(block) else block[: total - made]
        out.append(packer.compress(piece))
        made += len(piece)
    out.append(packer.compress(tail))
    out.append(packer.flush())
    return b"".join(out)


def _gzip_repeat(head: bytes, block: bytes, total: int, tail: bytes) -> bytes:
    """gzip of head + block repeated to `total` bytes + tail, the block compressed once.

    Each piece is raw deflate from a compressor of its own, ended by a full flush (no
    reference back into another piece, and byte-aligned), so the pieces join into one
    stream, and a block's compressed bytes are the same wherever it stands: a gigabyte of
    spaces costs a CRC pass (0.3 s), not its compression (3 s)."""

    def deflated(data: bytes, last: bool = False) -> bytes:
        packer = zlib.compressobj(6, zlib.DEFLATED, -15)
        return packer.compress(data) + packer.flush(zlib.Z_FINISH if last else zlib.Z_FULL_FLUSH)

    whole, rest = divmod(total, len(block))
    packed = deflated(block)
    out = [b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", deflated(head)]
    crc = zlib.crc32(head)
    for _ in range(whole):
        out.append(packed)
        crc = zlib.crc32(block, crc)
    if rest:
        out.append(deflated(block[:rest]))
        crc = zlib.crc32(block[:rest], crc)
    out.append(deflated(tail, last=True))
    crc = zlib.crc32(tail, crc)
    size = (len(head) + total + len(tail)) & 0xFFFFFFFF
    out.append(crc.to_bytes(4, "little") + size.to_bytes(4, "little"))
    return b"".join(out)


BOMB_HEAD = (XML_DECL + "<eLinkResult>\n<LinkSet>\n\t<DbFrom>gene</DbFrom>\n").encode()


@functools.cache
def double_gzip_bomb(size: int = 1 << 30) -> bytes:
    """~3 KB that gzip-decodes twice (`Content-Encoding: gzip, gzip`) into an eLinkResult
    head and `size` bytes of spaces (well-formed so far: a reader must stop on size)."""
    inner = _deflate_repeat(BOMB_HEAD, b" ", size, b"</LinkSet>\n</eLinkResult>\n")
    return encode(inner, "gzip")


@functools.cache
def deep_nesting_bomb(depth: int = 5_000_000) -> bytes:
    """gzip of `<eLinkResult><LinkSet>` and `<a>` `depth` times (never closed)."""
    return _deflate_repeat(b"<eLinkResult><LinkSet>", b"<a>", 3 * depth, b"")


@functools.cache
def big_answer(size: int = 400 << 20) -> bytes:
    """gzip of one LinkSet of gene 1 with `size` bytes of plain `<Link><Id>N</Id></Link>`
    (N over 500 values): the shape of a real answer, only far too large."""
    block = "".join(f"<Link><Id>{10_000_000 + n}</Id></Link>" for n in range(500)).encode()
    head = (
        XML_DECL + "<eLinkResult>\n<LinkSet>\n\t<DbFrom>gene</DbFrom>\n\t<IdList><Id>1</Id>"
        "</IdList>\n\t<LinkSetDb>\n\t\t<DbTo>protein</DbTo>\n\t\t<LinkName>gene_protein"
        "</LinkName>\n"
    ).encode()
    total = size - size % len(block)
    return _deflate_repeat(head, block, total, b"\t</LinkSetDb>\n</LinkSet>\n</eLinkResult>\n")


def endless_gzip_zeros() -> Iterator[bytes]:
    """gzip of zeros, for ever (a Reply.stream)."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    yield packer.compress(BOMB_HEAD)
    while True:
        out = packer.compress(zeros)
        if out:
            yield out


# --- running elinkcli ----------------------------------------------------------------------


@dataclass
class Run:
    """One finished elinkcli process: exit status, raw output, wall time, peak RSS."""

    argv: list[str]
    returncode: int
    stdout_bytes: bytes
    stderr_bytes: bytes
    elapsed: float
    rss_mb: float
    stdout_dropped: int = 0  # bytes of stdout past MAX_OUTPUT, counted and not kept

    @property
    def stdout(self) -> str:
        return self.stdout_bytes.decode("utf-8", "replace")

    @property
    def stderr(self) -> str:
        return self.stderr_bytes.decode("utf-8", "replace")

    def __str__(self) -> str:
        return (
            f"exit {self.returncode} in {self.elapsed:.1f} s, {self.rss_mb:.0f} MB, "
            f"{len(self.stdout_bytes) + self.stdout_dropped:,} bytes out: "
            f"{' '.join(self.argv[1:])}\n--- stderr:\n{self.stderr[:3000]}\n"
            f"--- stdout:\n{self.stdout[:3000]}"
        )


Feeder = Callable[[IO[bytes]], None]
# The stdout kept of a run (a run that writes more is wrong here, and checked to be).
MAX_OUTPUT = 16 << 20


# Runs the command given after the report file's name, with this process's stdin, stdout and
# stderr, and writes to that file the child's peak RSS (KiB) and its exit status.
LAUNCHER = """\
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as report:
    report.write(f"{usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


def run_elinkcli(
    *args: str,
    server: HostileServer | None = None,
    stdin: bytes | Feeder | None = None,
    env: Mapping[str, str | None] | None = None,
    timeout: float = 120,
    key: bool = True,
) -> Run:
    """Run the installed elinkcli with `args`, against `server` (ELINKCLI_BASE_URL), with the
    API key KEY, fast retries, a fresh cache and state dir (conftest.clean_env), then `env`.

    `stdin` is bytes, or a function given the pipe (run on a thread; a closed pipe is its
    problem). The child is reaped here with os.wait4, for its peak RSS (ru_maxrss). A run
    past `timeout` is killed and fails the test.
    """
    from conftest import clean_env, elinkcli_command

    extra: dict[str, str | None] = {"NCBI_API_KEY": KEY if key else None}
    if server is not None:
        extra["ELINKCLI_BASE_URL"] = server.base_url
    extra.update(env or {})
    argv = [*elinkcli_command(), *args]
    report = tempfile.NamedTemporaryFile(prefix="elinkcli-rusage-", delete=False)  # noqa: SIM115
    report.close()
    began = time.monotonic()
    # Through a small launcher: a child's peak RSS (ru_maxrss) starts at the RSS of the
    # process it was forked from, and this test process may hold hundreds of MB of bombs.
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, report.name, *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_env(extra),
        start_new_session=True,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    out: list[bytes] = []
    err: list[bytes] = []
    dropped = [0]

    def read_stdout(pipe: IO[bytes]) -> None:
        kept = 0
        while chunk := pipe.read(1 << 16):
            if kept < MAX_OUTPUT:
                out.append(chunk)
                kept += len(chunk)
            else:
                dropped[0] += len(chunk)

    def feed(pipe: IO[bytes]) -> None:
        with contextlib.suppress(OSError, ValueError):
            if callable(stdin):
                stdin(pipe)
            elif stdin:
                pipe.write(stdin)
        with contextlib.suppress(OSError, ValueError):
            pipe.close()

    threads = [
        threading.Thread(target=feed, args=(proc.stdin,), daemon=True),
        threading.Thread(target=read_stdout, args=(proc.stdout,), daemon=True),
        threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True),  # type: ignore[union-attr]
    ]
    for thread in threads:
        thread.start()
    killed = False
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the launcher and elinkcli
        killed = True
        proc.wait()
    elapsed = time.monotonic() - began
    try:
        maxrss, code = Path(report.name).read_text().split()
    except ValueError:  # killed before the launcher wrote it
        maxrss, code = "0", str(proc.returncode)
    finally:
        os.unlink(report.name)
    proc.returncode = int(code)
    for thread in threads[1:]:
        thread.join(30)
    threads[0].join(5)
    run = Run(
        argv,
        proc.returncode,
        b"".join(out),
        b"".join(err),
        elapsed,
        int(maxrss) / 1024,
        dropped[0],
    )
    for pipe in (proc.stdout, proc.stderr):
        pipe.close()
    assert not killed, f"elinkcli ran past {timeout} s and was killed\n{run}"
    return run


def run_concurrently(jobs: Mapping[str, Callable[[], object]], workers: int = 4) -> None:
    """Run each job (a check raising AssertionError when it fails) on a pool of threads:
    elinkcli runs spend most of their time waiting (pacing, retries), so a group of them
    runs in about the time of the slowest. Fails naming every job that failed, with why."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        failures = {name: f.exception() for name, f in futures.items() if f.exception()}
    if failures:
        raise AssertionError(
            f"{len(failures)} of {len(jobs)} failed: {', '.join(failures)}\n\n"
            + "\n\n".join(f"[{name}] {type(e).__name__}: {e}" for name, e in failures.items())
        )


# --- the contract ------------------------------------------------------------------------

STATUSES = frozenset({0, 2, 3, 4})
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
SGR = re.compile(r"\x1b\[[0-9;]*m")
CSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
STDERR_LINE_LIMIT = 2100
DIGITS = re.compile(r"[0-9]+", re.ASCII)
URL = re.compile(r"https?://[^\s/?#]+[^\s]*", re.ASCII)


def unsafe(text: str, allowed: str = "\n") -> list[str]:
    """The characters of `text` that must never reach a terminal raw (categories Cc, Cf,
    Zl, Zp; lone surrogates), less `allowed`, as escapes for a readable failure."""
    found = {c for c in text if c not in allowed and unicodedata.category(c) in UNSAFE_CATEGORIES}
    return sorted(f"U+{ord(c):04X}" for c in found)


def key_pieces(text: str, key: str = KEY) -> list[str]:
    """Every 8-character piece of `key` found in `text` (any case)."""
    low = text.lower()
    return [key[i : i + 8] for i in range(len(key) - 7) if key[i : i + 8].lower() in low]


def error_lines(run: Run) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.startswith("elinkcli: error: ")]


def check_run(
    run: Run,
    status: int | Collection[int],
    fmt: str | None = "tsv",
    asked: Collection[str] | None = None,
) -> None:
    """The contract for every run, whatever the server sent (see the test modules).

    `status`: the exit status (or statuses) the test's construction expects. `fmt`: the
    --format whose shape stdout must keep (None: no check of stdout's shape). `asked`: the
    id tokens the run asked for; every row's source_id must be one of them.
    """
    expected = {status} if isinstance(status, int) else set(status)
    assert expected <= STATUSES, expected
    stdout, stderr = run.stdout, run.stderr
    # 1. no internal error, a documented exit status
    assert "Traceback" not in stderr and "internal error" not in stderr.lower(), run
    assert run.returncode in expected, f"exit {run.returncode}, expected {expected}\n{run}"
    assert not run.stdout_dropped, f"{run.stdout_dropped:,} bytes of stdout past 16 MiB\n{run}"
    # 2. nothing raw for a terminal
    try:
        run.stdout_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AssertionError(f"stdout is not UTF-8 ({exc})\n{run}") from None
    shown = SGR.sub("", stdout) if fmt == "table" else stdout
    assert not unsafe(shown, "\n\t"), f"stdout holds {unsafe(shown, chr(10) + chr(9))}\n{run}"
    assert not unsafe(stderr), f"stderr holds {unsafe(stderr)}\n{run}"
    for line in stderr.splitlines():
        assert line.startswith("elinkcli: "), f"stray stderr line {line[:200]!r}\n{run}"
        assert len(line) <= STDERR_LINE_LIMIT, f"a stderr line of {len(line)} chars\n{run}"
    # 3. no secret
    leaked = key_pieces(stdout) + key_pieces(stderr)
    assert not leaked, f"the API key shows: {leaked}\n{run}"
    # 4, 5, 6, 8: the format's shape
    if fmt is not None:
        check_format(run, fmt, asked)


def check_format(run: Run, fmt: str, asked: Collection[str] | None) -> None:
    stdout = run.stdout
    failed = run.returncode in (3, 4)
    if fmt == "tsv":
        check_tsv(run, asked)
    elif fmt == "uid":
        for line in stdout.splitlines():
            assert DIGITS.fullmatch(line), f"--format uid line {line[:100]!r}\n{run}"
    elif fmt == "urls":
        for line in stdout.splitlines():
            assert URL.fullmatch(line), f"--format urls line {line[:100]!r}\n{run}"
            assert urlsplit(line).netloc, line
    elif fmt in ("edirect", "xml"):
        if run.returncode == 2 and not stdout:
            return
        try:
            root = ET.fromstring(stdout)
        except ET.ParseError as exc:
            raise AssertionError(f"--format {fmt} does not parse ({exc})\n{run}") from None
        errors = [e.text or "" for e in root.iter() if e.tag in ("Error", "ERROR")]
        if failed:
            assert any(t.strip() for t in errors), f"no error element in a failed run\n{run}"
        else:
            assert not errors, run
        for el in root.iter("Id"):
            assert el.text is not None and el.text.strip(), run
        if fmt == "xml" and asked is not None:
            for idlist in root.iter("IdList"):
                for el in idlist.iter("Id"):
                    assert (el.text or "").strip() in asked, f"IdList names {el.text!r}\n{run}"
            for link in root.iter("Link"):
                assert DIGITS.fullmatch((link.findtext("Id") or "").strip()), run
        if fmt == "edirect":
            for el in root.iter("Id"):
                assert DIGITS.fullmatch((el.text or "").strip()), run
    elif fmt == "json":
        if run.returncode == 0:
            rows = _json(run, stdout)
            assert isinstance(rows, list), run
            check_records(run, rows, asked)
    elif fmt == "jsonl":
        records = [_json(run, line) for line in stdout.splitlines()]
        check_records(run, [r for r in records if "error" not in r], asked)
    elif fmt == "table":
        check_table(run)
    else:
        raise AssertionError(f"no check for --format {fmt}")


def _json(run: Run, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise AssertionError(f"not JSON ({exc}): {text[:200]!r}\n{run}") from None


def check_records(run: Run, records: list[Any], asked: Collection[str] | None) -> None:
    for record in records:
        assert isinstance(record, dict), run
        source = record.get("source_id")
        if asked is not None and source not in (None, ""):
            assert source in asked, f"a row for {source!r}, never asked\n{run}"
        if "target_id" in record:
            assert DIGITS.fullmatch(str(record["target_id"])), f"target {record}\n{run}"


def tsv_rows(run: Run) -> tuple[list[str], list[list[str]]]:
    lines = run.stdout.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        return [], []
    return lines[0].split("\t"), [line.split("\t") for line in lines[1:]]


def check_tsv(run: Run, asked: Collection[str] | None) -> None:
    stdout = run.stdout
    if not stdout:
        assert run.returncode != 0, f"exit 0 without even a header\n{run}"
        return
    assert stdout.endswith("\n"), run
    lines = stdout[:-1].split("\n")
    assert stdout.splitlines() == lines, f"a line break inside a tsv field\n{run}"
    header = lines[0].split("\t")
    assert header and all(re.fullmatch(r"[a-z_0-9]+", h) for h in header), run
    tabs = len(header) - 1
    for line in lines[1:]:
        assert line.count("\t") == tabs, f"tsv row of {line.count(chr(9))} tabs: {line!r}\n{run}"
        row = dict(zip(header, line.split("\t"), strict=True))
        source = row.get("source_id")
        if asked is not None and source:
            assert source in asked, f"a row for {source!r}, never asked\n{run}"
        if "target_id" in row:
            assert DIGITS.fullmatch(row["target_id"]), f"target_id {row['target_id']!r}\n{run}"


def check_table(run: Run) -> None:
    stdout = run.stdout
    assert "\x1b]" not in stdout, f"an OSC sequence in the table\n{run}"
    moves = [m for m in CSI.findall(stdout) if not m.endswith("m")]
    assert not moves, f"cursor or screen control in the table: {moves[:5]}\n{run}"
    assert "\x1b" not in SGR.sub("", stdout), f"an ESC beside the colours\n{run}"


def visible_table(run: Run) -> str:
    """The table as a terminal shows it: colours removed."""
    return SGR.sub("", run.stdout)
