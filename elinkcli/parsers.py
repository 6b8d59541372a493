"""Streaming, safe parsers for ELink, EInfo and EPost answers.

defusedxml's iterparse refuses entity declarations and external references and never
fetches the DTD named in the DOCTYPE. Each LinkSet becomes a frozen record as soon as it
ends, and its elements are cleared, so memory follows one LinkSet of the tree.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from elinkcli.errors import ResponseParseError
from elinkcli.models import (
    DbInfo,
    DocSum,
    EInfoResult,
    ELinkResult,
    EPostResult,
    ESearchResult,
    ESummaryResult,
    IdCheck,
    IdLinkSet,
    IdUrlSet,
    JsonEnvelope,
    LinkDesc,
    LinkInfo,
    LinkSet,
    LinkSetDb,
    LinkSetDbHistory,
    ObjUrl,
    Provider,
    UidList,
)


def _text(el: Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def _opt_text(el: Element, tag: str) -> str | None:
    child = el.find(tag)
    return None if child is None else _text(child)


def _texts(el: Element, tag: str) -> tuple[str, ...]:
    return tuple(_text(c) for c in el.iterfind(tag))


def _events(data: bytes, root_tag: str) -> Iterator[tuple[str, Element]]:
    """(event, element) pairs of a whole body, with its root checked; parse problems typed."""
    if not data or data.isspace():
        raise ResponseParseError("empty response body")
    try:
        yield from _checked_events(_as_utf8(data), root_tag)
    except ParseError as exc:
        raise ResponseParseError(f"response is not well-formed XML ({exc})") from None
    except DefusedXmlException as exc:
        raise ResponseParseError(f"response refused as unsafe XML ({exc})") from None


# An XML declaration naming an encoding other than UTF-8: expat decodes such a body itself.
_OTHER_ENCODING = re.compile(rb"""<\?xml[^>]*encoding\s*=\s*["'](?!utf-?8["'])""", re.I)


def _as_utf8(data: bytes) -> bytes:
    """Some old NCBI answers carry Latin-1 bytes under an XML declaration that names no
    encoding: read them as what they are. Decided before parsing, never halfway through."""
    if data.isascii() or _OTHER_ENCODING.match(data[:300].lstrip(b"\xef\xbb\xbf \t\r\n")):
        return data
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1").encode("utf-8")
    return data


def _checked_events(data: bytes, root_tag: str) -> Iterator[tuple[str, Element]]:
    it = iterparse(io.BytesIO(data), events=("start", "end"))
    event, root = next(it)
    if root.tag != root_tag:
        if root.tag.lower() == "html":
            raise ResponseParseError("NCBI answered with an HTML page, not XML")
        raise ResponseParseError(f"expected <{root_tag}>, got <{root.tag}>")
    yield event, root
    yield from it


def _errors_in(el: Element) -> Iterator[str]:
    """The text of every <ERROR> in el's subtree, el included."""
    return (_text(e) for e in el.iter("ERROR"))


# --- ELink -----------------------------------------------------------------------------


def _children(data: bytes, root_tag: str) -> Iterator[Element]:
    """Each child of the root as soon as it ends (its subtree complete), then cleared."""
    depth = 0
    for event, el in _events(data, root_tag):
        if event == "start":
            depth += 1
            continue
        depth -= 1
        if depth == 1:
            yield el
            el.clear()


# A plain <Link><Id>..</Id>[<Score>..</Score>]</Link>, as NCBI writes them.
_PLAIN_LINK = re.compile(r"<Link>\s*<Id>[^<\s]+</Id>\s*(?:<Score>[0-9]+</Score>\s*)?</Link>")
_LINK_ID = re.compile(r"<Id>([^<\s]+)</Id>")
_LINK_SCORE = re.compile(r"<Score>([0-9]+)</Score>")
# Markup inside which `<Link>` would not be an element: its presence turns the shortcut off.
_OPAQUE = re.compile(rb"<!--|<!\[CDATA\[|<\?(?!xml[\s?])")

LinkRun = tuple[list[str], list[int]]

try:  # Python 3.11+: a possessive repeat checks a long list without keeping backtrack state
    _PLAIN_LINKS = re.compile(r"(?:\s*" + _PLAIN_LINK.pattern + r")*+\s*")

    def _only_plain_links(text: str) -> bool:
        return _PLAIN_LINKS.fullmatch(text) is not None

except re.error:  # Python 3.10

    def _only_plain_links(text: str) -> bool:
        return not _PLAIN_LINK.sub("", text).strip()


def _set_aside_links(data: bytes) -> tuple[bytes, list[LinkRun]]:
    """Cut each LinkSetDb's list of plain links out of the document, leaving a placeholder
    `<LinkRun n="k"/>`, and read it with a few C-level regex passes: parsing 160,000 <Link>
    elements one by one is what makes ELink parsing slow. A list is set aside only when it is
    nothing but plain links (checked exactly); the rest, and anything unusual, still goes
    through defusedxml."""
    if _OPAQUE.search(data):
        return data, []
    runs: list[LinkRun] = []
    pieces: list[bytes] = []
    pos = 0
    view = memoryview(data)
    while (start := data.find(b"<Link>", pos)) >= 0:
        close = data.find(b"</LinkSetDb>", start)
        end = data.rfind(b"</Link>", start, close) if close >= 0 else -1
        if end < 0:
            break
        end += len("</Link>")
        text = str(view[start:end], "utf-8", "replace")
        if not _only_plain_links(text):
            pieces.append(data[pos:end])
        else:
            scores = _LINK_SCORE.findall(text)
            runs.append((_LINK_ID.findall(text), list(map(int, scores))))
            pieces += [data[pos:start], b'<LinkRun n="%d"/>' % (len(runs) - 1)]
        pos = end
    if not runs:
        return data, []
    pieces.append(data[pos:])
    return b"".join(pieces), runs


def iter_elink(data: bytes) -> Iterator[LinkSet | str]:
    """Yield each LinkSet as it ends (with the <ERROR>s anywhere inside it), and each other
    <ERROR> text, at the top level or inside any other element, as a str."""
    reduced, runs = _set_aside_links(_as_utf8(data))
    for el in _children(reduced, "eLinkResult"):
        if el.tag == "LinkSet":
            yield _linkset(el, runs)
        else:
            yield from _errors_in(el)


def parse_elink(data: bytes) -> ELinkResult:
    linksets: list[LinkSet] = []
    errors: list[str] = []
    for item in iter_elink(data):
        if isinstance(item, str):
            errors.append(item)
        else:
            linksets.append(item)
    return ELinkResult(tuple(linksets), tuple(errors))


def _linkset(el: Element, runs: list[LinkRun]) -> LinkSet:
    idlist = el.find("IdList")
    ids = _texts(idlist, "Id") if idlist is not None else ()
    linksetdbs = tuple(_linksetdb(db, runs) for db in el.iterfind("LinkSetDb"))
    histories = tuple(
        LinkSetDbHistory(
            dbto=_text(h.find("DbTo")),
            linkname=_text(h.find("LinkName")),
            query_key=_opt_text(h, "QueryKey"),
            info=_opt_text(h, "Info"),
        )
        for h in el.iterfind("LinkSetDbHistory")
    )
    checklist = el.find("IdCheckList")
    id_checks: tuple[IdCheck, ...] = ()
    id_link_sets: tuple[IdLinkSet, ...] = ()
    if checklist is not None:
        id_checks = tuple(
            IdCheck(_text(i), tuple(sorted(i.attrib.items()))) for i in checklist.iterfind("Id")
        )
        id_link_sets = tuple(
            IdLinkSet(_text(s.find("Id")), tuple(_linkinfo(li) for li in s.iterfind("LinkInfo")))
            for s in checklist.iterfind("IdLinkSet")
        )
    urllist = el.find("IdUrlList")
    id_url_sets = (
        tuple(_idurlset(s) for s in urllist.iterfind("IdUrlSet")) if urllist is not None else ()
    )
    return LinkSet(
        dbfrom=_text(el.find("DbFrom")),
        ids=ids,
        linksetdbs=linksetdbs,
        histories=histories,
        webenv=_opt_text(el, "WebEnv"),
        id_checks=id_checks,
        id_link_sets=id_link_sets,
        id_url_sets=id_url_sets,
        has_idchecklist=checklist is not None,
        has_idurllist=urllist is not None,
        errors=tuple(_text(e) for e in el.iter("ERROR")),
        infos=tuple(_text(e) for e in el.iter("Info")),
    )


def _linksetdb(el: Element, runs: list[LinkRun]) -> LinkSetDb:
    ids: list[str] = []
    scores: list[int] = []
    for link in el:
        if link.tag == "LinkRun":
            run_ids, run_scores = runs[int(link.get("n", "0"))]
            ids.extend(run_ids)
            scores.extend(run_scores)
        elif link.tag == "Link":
            ids.append(_text(link.find("Id")))
            score_el = link.find("Score")
            if score_el is not None:
                scores.append(int(_text(score_el)))
    return LinkSetDb(
        dbto=_text(el.find("DbTo")),
        linkname=_text(el.find("LinkName")),
        ids=tuple(ids),
        scores=tuple(scores) if scores and len(scores) == len(ids) else None,
        info=_opt_text(el, "Info"),
    )


def _linkinfo(el: Element) -> LinkInfo:
    return LinkInfo(
        dbto=_text(el.find("DbTo")),
        linkname=_text(el.find("LinkName")),
        menutag=_text(el.find("MenuTag")),
        htmltag=_text(el.find("HtmlTag")),
        priority=_text(el.find("Priority")),
        url=_opt_text(el, "Url"),
    )


def _idurlset(el: Element) -> IdUrlSet:
    return IdUrlSet(
        id=_text(el.find("Id")),
        objurls=tuple(_objurl(o) for o in el.iterfind("ObjUrl")),
        info=_opt_text(el, "Info"),
    )


def _objurl(el: Element) -> ObjUrl:
    url = el.find("Url")
    prov = el.find("Provider")
    provider = None
    if prov is not None:
        purl = prov.find("Url")
        provider = Provider(
            name=_text(prov.find("Name")),
            name_abbr=_text(prov.find("NameAbbr")),
            id=_text(prov.find("Id")),
            url=None if purl is None else _text(purl),
            url_lng=None if purl is None else purl.get("LNG"),
            iconurl=_opt_text(prov, "IconUrl"),
        )
    return ObjUrl(
        url=_text(url),
        url_lng=None if url is None else url.get("LNG"),
        iconurl=_opt_text(el, "IconUrl"),
        linkname=_opt_text(el, "LinkName"),
        subject_types=_texts(el, "SubjectType"),
        categories=_texts(el, "Category"),
        attributes=_texts(el, "Attribute"),
        provider=provider,
    )


# --- EInfo and EPost -------------------------------------------------------------------


def parse_einfo(data: bytes) -> EInfoResult:
    dblist: tuple[str, ...] | None = None
    dbinfo: list[DbInfo] = []
    errors: list[str] = []
    for el in _children(data, "eInfoResult"):
        if el.tag == "DbList":
            dblist = _texts(el, "DbName")
        elif el.tag == "DbInfo":
            dbinfo.append(_dbinfo(el))
        errors.extend(_errors_in(el))
    return EInfoResult(dblist=dblist, dbinfo=tuple(dbinfo), errors=tuple(errors))


def _dbinfo(el: Element) -> DbInfo:
    fieldlist = el.find("FieldList")
    linklist = el.find("LinkList")
    return DbInfo(
        dbname=_text(el.find("DbName")),
        menuname=_text(el.find("MenuName")),
        description=_text(el.find("Description")),
        dbbuild=_opt_text(el, "DbBuild"),
        count=_opt_text(el, "Count"),
        lastupdate=_opt_text(el, "LastUpdate"),
        field_names=tuple(_text(f.find("Name")) for f in fieldlist.iterfind("Field"))
        if fieldlist is not None
        else (),
        links=tuple(
            LinkDesc(
                name=_text(li.find("Name")),
                menu=_text(li.find("Menu")),
                description=_text(li.find("Description")),
                dbto=_text(li.find("DbTo")),
            )
            for li in linklist.iterfind("Link")
        )
        if linklist is not None
        else (),
        has_linklist=linklist is not None,
    )


def parse_epost(data: bytes) -> EPostResult:
    query_key = webenv = None
    invalid: tuple[str, ...] | None = None
    errors: list[str] = []
    for el in _children(data, "ePostResult"):
        if el.tag == "QueryKey":
            query_key = _text(el)
        elif el.tag == "WebEnv":
            webenv = _text(el)
        elif el.tag == "InvalidIdList":
            invalid = _texts(el, "Id")
        errors.extend(_errors_in(el))
    return EPostResult(query_key, webenv, invalid, tuple(errors))


def parse_esearch(data: bytes) -> ESearchResult:
    count = "0"
    query_key = webenv = None
    ids: tuple[str, ...] = ()
    errors: list[str] = []
    for el in _children(data, "eSearchResult"):
        if el.tag == "Count":
            count = _text(el)
        elif el.tag == "QueryKey":
            query_key = _text(el)
        elif el.tag == "WebEnv":
            webenv = _text(el)
        elif el.tag == "IdList":
            ids = _texts(el, "Id")
        errors.extend(_errors_in(el))
    if not count.isdigit():
        raise ResponseParseError(f"esearch Count is not a number: {count!r}")
    return ESearchResult(int(count), query_key, webenv, ids, tuple(errors))


def parse_esummary(data: bytes) -> ESummaryResult:
    """ESummary version 1 DocSums, each as it ends. <ERROR>s (an unknown uid is one, the
    others still answered) come back beside them."""
    docsums: list[DocSum] = []
    errors: list[str] = []
    for el in _children(data, "eSummaryResult"):
        if el.tag == "DocSum":
            items = tuple(
                (item.get("Name", ""), (item.text or "").strip())
                for item in el.iter("Item")
                if item.get("Type") != "Structure" and item.get("Type") != "List"
            )
            docsums.append(DocSum(_text(el.find("Id")), items))
        errors.extend(_errors_in(el))
    return ESummaryResult(tuple(docsums), tuple(errors))


def parse_uilist(data: bytes) -> UidList:
    """Ids one per line; an XML body (NCBI's way of saying no) is read for its <ERROR>s."""
    if data.lstrip().startswith(b"<"):
        errors = [m.decode("utf-8", "replace").strip() for m in _ERROR.findall(data)]
        if not errors:
            raise ResponseParseError("efetch uilist answered XML without ids")
        return UidList((), tuple(errors))
    text = data.decode("utf-8", "replace")
    ids = tuple(line.strip() for line in text.splitlines() if line.strip())
    return UidList(ids)


_ERROR = re.compile(rb"<ERROR>(.*?)</ERROR>", re.DOTALL)


# --- JSON --------------------------------------------------------------------------------


def parse_json_envelope(data: bytes) -> JsonEnvelope:
    """The header of a retmode=json answer, and every "ERROR" in it at any depth."""
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise ResponseParseError(f"response is not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise ResponseParseError("JSON response is not an object")
    header = doc.get("header") or {}
    return JsonEnvelope(
        header={str(k): str(v) for k, v in header.items()},
        top_level_keys=tuple(doc),
        errors=tuple(_json_errors(doc)),
    )


def _json_errors(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "ERROR" and isinstance(value, str):
                yield value
            else:
                yield from _json_errors(value)
    elif isinstance(node, list):
        for value in node:
            yield from _json_errors(value)
