"""Streaming, safe parsers for ELink, EInfo and EPost answers.

defusedxml's iterparse refuses entity declarations and external references and never
fetches the DTD named in the DOCTYPE. Each LinkSet becomes a frozen record as soon as it
ends, and its elements are dropped, so memory follows one LinkSet of the tree; nesting
deeper than MAX_DEPTH, or more than MAX_ELEMENTS elements in one LinkSet, is refused.
Every id, name and number is checked as it is read (elinkcli.validate), free text made
inert: a record holds nothing its field may not.
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

from elinkcli import validate as V
from elinkcli.errors import ResponseParseError, ResponseValueError
from elinkcli.inert import escape
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

# No real answer nests deeper than 8 elements (a DocSum's Items a few more), and none holds
# a million elements in one LinkSet once its plain links are set aside (an ELink answer
# that cannot be read the quick way has three elements a link).
MAX_DEPTH = 32
MAX_ELEMENTS = 1_000_000


def _text(el: Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def _opt_text(el: Element, tag: str) -> str | None:
    child = el.find(tag)
    return None if child is None else _text(child)


def _free(el: Element | None, limit: int = V.TEXT_LIMIT) -> str:
    """Free text of an element (a menu, a URL, a provider's name), made inert."""
    return V.text(_text(el), limit)


def _opt_free(el: Element, tag: str, limit: int = V.TEXT_LIMIT) -> str | None:
    child = el.find(tag)
    return None if child is None else _free(child, limit)


def _frees(el: Element, tag: str, limit: int = V.TEXT_LIMIT) -> tuple[str, ...]:
    return tuple(_free(c, limit) for c in el.iterfind(tag))


def _name(el: Element | None, field: str) -> str:
    """A database or link name."""
    return V.name(_text(el), field)


def _ids(el: Element, tag: str = "Id") -> tuple[str, ...]:
    """Echoed ids: UIDs, NCBI's -1 / 0 for an id it does not know, or accessions."""
    return tuple(V.token(_text(c), "an echoed id") for c in el.iterfind(tag))


def _error(el: Element) -> str:
    return V.text(_text(el), 1000)


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
    except (LookupError, ValueError) as exc:  # an encoding expat has no codec for
        raise ResponseValueError(f"response in an encoding that cannot be read ({exc})") from None


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
    return (_error(e) for e in el.iter("ERROR"))


# --- ELink -----------------------------------------------------------------------------


def _children(data: bytes, root_tag: str) -> Iterator[Element]:
    """Each child of the root as soon as it ends (its subtree complete), then dropped."""
    depth = 0
    elements = 0
    ended = 0
    root: Element | None = None
    for event, el in _events(data, root_tag):
        if event == "start":
            depth += 1
            if depth == 1:
                root = el
            elif depth > MAX_DEPTH:
                raise ResponseValueError(f"the answer nests elements deeper than {MAX_DEPTH}")
            else:
                elements += 1
                if elements > MAX_ELEMENTS:
                    raise ResponseValueError(
                        f"the answer holds more than {MAX_ELEMENTS:,} elements in one <{el.tag}>"
                        if depth > 2
                        else f"the answer holds more than {MAX_ELEMENTS:,} elements"
                    )
            continue
        depth -= 1
        if depth == 1:
            yield el
            el.clear()
            elements = 0
            # The children that ended are the first of the root's (the parser may have added
            # a few thousand after them already): let go of them a thousand at a time.
            ended += 1
            if ended >= 1000 and root is not None:
                del root[:ended]
                ended = 0


# A plain <Link><Id>UID</Id>[<Score>N</Score>]</Link>, as NCBI writes them (ASCII digits:
# any other id or score goes the slow way, where it is refused with its field named).
_PLAIN_LINK = re.compile(
    r"<Link>\s*<Id>[0-9]{1,20}</Id>\s*(?:<Score>[0-9]{1,15}</Score>\s*)?</Link>", re.ASCII
)
_LINK_ID = re.compile(r"<Id>([0-9]{1,20})</Id>", re.ASCII)
_LINK_SCORE = re.compile(r"<Score>([0-9]{1,15})</Score>", re.ASCII)
# Markup inside which `<Link>` would not be an element: its presence turns the shortcut off;
# so does the placeholder's own name (a LinkRun is then never read from an answer).
_OPAQUE = re.compile(rb"<!--|<!\[CDATA\[|<\?(?!xml[\s?])")
_PLACEHOLDER = b"LinkRun"

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
    if _PLACEHOLDER in data or _OPAQUE.search(data):
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
    ids = _ids(idlist) if idlist is not None else ()
    linksetdbs = tuple(_linksetdb(db, runs) for db in el.iterfind("LinkSetDb"))
    histories = tuple(
        LinkSetDbHistory(
            dbto=_name(h.find("DbTo"), "DbTo"),
            linkname=_name(h.find("LinkName"), "LinkName"),
            query_key=V.query_key(_opt_text(h, "QueryKey")),
            info=_opt_free(h, "Info", 1000),
        )
        for h in el.iterfind("LinkSetDbHistory")
    )
    checklist = el.find("IdCheckList")
    id_checks: tuple[IdCheck, ...] = ()
    id_link_sets: tuple[IdLinkSet, ...] = ()
    if checklist is not None:
        id_checks = tuple(
            IdCheck(
                V.token(_text(i), "a checked id"),
                tuple(sorted((V.text(k, 100), V.text(v, 100)) for k, v in i.attrib.items())),
            )
            for i in checklist.iterfind("Id")
        )
        id_link_sets = tuple(
            IdLinkSet(
                V.token(_text(s.find("Id")), "a checked id"),
                tuple(_linkinfo(li) for li in s.iterfind("LinkInfo")),
            )
            for s in checklist.iterfind("IdLinkSet")
        )
    urllist = el.find("IdUrlList")
    id_url_sets = (
        tuple(_idurlset(s) for s in urllist.iterfind("IdUrlSet")) if urllist is not None else ()
    )
    return LinkSet(
        dbfrom=_name(el.find("DbFrom"), "DbFrom"),
        ids=ids,
        linksetdbs=linksetdbs,
        histories=histories,
        webenv=V.webenv(_opt_text(el, "WebEnv")),
        id_checks=id_checks,
        id_link_sets=id_link_sets,
        id_url_sets=id_url_sets,
        has_idchecklist=checklist is not None,
        has_idurllist=urllist is not None,
        errors=tuple(_error(e) for e in el.iter("ERROR")),
        infos=tuple(_free(e, 1000) for e in el.iter("Info")),
    )


def _linksetdb(el: Element, runs: list[LinkRun]) -> LinkSetDb:
    ids: list[str] = []
    scores: list[int] = []
    for link in el:
        if link.tag == "LinkRun" and runs:  # ours: an answer naming one has no shortcut
            run_ids, run_scores = runs[int(link.get("n", "0"))]
            ids.extend(run_ids)
            scores.extend(run_scores)
        elif link.tag == "Link":
            ids.append(V.uid(_text(link.find("Id"))))
            score_el = link.find("Score")
            if score_el is not None:
                scores.append(V.count(_text(score_el), "a Score"))
    return LinkSetDb(
        dbto=_name(el.find("DbTo"), "DbTo"),
        linkname=_name(el.find("LinkName"), "LinkName"),
        ids=tuple(ids),
        scores=tuple(scores) if scores and len(scores) == len(ids) else None,
        info=_opt_free(el, "Info", 1000),
    )


def _linkinfo(el: Element) -> LinkInfo:
    return LinkInfo(
        dbto=_name(el.find("DbTo"), "DbTo"),
        linkname=_name(el.find("LinkName"), "LinkName"),
        menutag=_free(el.find("MenuTag"), 1000),
        htmltag=_free(el.find("HtmlTag"), 1000),
        priority=_free(el.find("Priority"), 20),
        url=_opt_free(el, "Url"),
    )


def _idurlset(el: Element) -> IdUrlSet:
    return IdUrlSet(
        id=V.token(_text(el.find("Id")), "a LinkOut id"),
        objurls=tuple(_objurl(o) for o in el.iterfind("ObjUrl")),
        info=_opt_free(el, "Info", 1000),
    )


def _attr(el: Element | None, name: str) -> str | None:
    value = None if el is None else el.get(name)
    return None if value is None else V.text(value, 20)


def _objurl(el: Element) -> ObjUrl:
    url = el.find("Url")
    prov = el.find("Provider")
    provider = None
    if prov is not None:
        purl = prov.find("Url")
        provider = Provider(
            name=_free(prov.find("Name"), 1000),
            name_abbr=_free(prov.find("NameAbbr"), 200),
            id=_free(prov.find("Id"), 64),
            url=None if purl is None else _free(purl),
            url_lng=_attr(purl, "LNG"),
            iconurl=_opt_free(prov, "IconUrl"),
        )
    return ObjUrl(
        url=_free(url),
        url_lng=_attr(url, "LNG"),
        iconurl=_opt_free(el, "IconUrl"),
        linkname=_opt_free(el, "LinkName", 1000),
        subject_types=_frees(el, "SubjectType", 200),
        categories=_frees(el, "Category", 200),
        attributes=_frees(el, "Attribute", 200),
        provider=provider,
    )


# --- EInfo and EPost -------------------------------------------------------------------


def parse_einfo(data: bytes) -> EInfoResult:
    dblist: tuple[str, ...] | None = None
    dbinfo: list[DbInfo] = []
    errors: list[str] = []
    for el in _children(data, "eInfoResult"):
        if el.tag == "DbList":
            dblist = tuple(_name(d, "DbName") for d in el.iterfind("DbName"))
        elif el.tag == "DbInfo":
            dbinfo.append(_dbinfo(el))
        errors.extend(_errors_in(el))
    return EInfoResult(dblist=dblist, dbinfo=tuple(dbinfo), errors=tuple(errors))


def _dbinfo(el: Element) -> DbInfo:
    fieldlist = el.find("FieldList")
    linklist = el.find("LinkList")
    return DbInfo(
        dbname=_name(el.find("DbName"), "DbName"),
        menuname=_free(el.find("MenuName"), 200),
        description=_free(el.find("Description"), 1000),
        dbbuild=_opt_free(el, "DbBuild", 200),
        count=_opt_free(el, "Count", 20),
        lastupdate=_opt_free(el, "LastUpdate", 100),
        field_names=tuple(_free(f.find("Name"), 200) for f in fieldlist.iterfind("Field"))
        if fieldlist is not None
        else (),
        links=tuple(
            LinkDesc(
                name=_name(li.find("Name"), "a link Name"),
                menu=_free(li.find("Menu"), 200),
                description=_free(li.find("Description"), 1000),
                dbto=_name(li.find("DbTo"), "DbTo"),
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
            query_key = V.query_key(_text(el))
        elif el.tag == "WebEnv":
            webenv = V.webenv(_text(el))
        elif el.tag == "InvalidIdList":
            invalid = tuple(V.token(_text(i), "an invalid id") for i in el.iterfind("Id"))
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
            query_key = V.query_key(_text(el))
        elif el.tag == "WebEnv":
            webenv = V.webenv(_text(el))
        elif el.tag == "IdList":
            ids = V.uids((_text(i) for i in el.iterfind("Id")), "a found id")
        errors.extend(_errors_in(el))
    return ESearchResult(V.count(count, "esearch Count"), query_key, webenv, ids, tuple(errors))


def parse_esummary(data: bytes, db: str | None = None) -> ESummaryResult:
    """ESummary version 1 DocSums, each as it ends. <ERROR>s (an unknown uid is one, the
    others still answered) come back beside them. With `db`, the accessions its DocSums
    name (accession_patterns.SUMMARY_ITEMS) are checked to be accessions."""
    docsums: list[DocSum] = []
    errors: list[str] = []
    for el in _children(data, "eSummaryResult"):
        if el.tag == "DocSum":
            items = tuple(
                (V.text(item.get("Name", ""), 100), escape((item.text or "").strip()))
                for item in el.iter("Item")
                if item.get("Type") != "Structure" and item.get("Type") != "List"
            )
            docsum = DocSum(V.uid(_text(el.find("Id")), "a DocSum Id"), items)
            if db is not None:
                from elinkcli.ids.patterns import summary_accessions

                for accession in summary_accessions(db, list(items)):
                    V.token(accession, "an accession")
            docsums.append(docsum)
        errors.extend(_errors_in(el))
    return ESummaryResult(tuple(docsums), tuple(errors))


def parse_uilist(data: bytes) -> UidList:
    """Ids one per line; an XML body (NCBI's way of saying no) is read for its <ERROR>s."""
    if data.lstrip().startswith(b"<"):
        errors = [V.text(m.decode("utf-8", "replace").strip(), 1000) for m in _ERROR.findall(data)]
        if not errors:
            raise ResponseParseError("efetch uilist answered XML without ids")
        return UidList((), tuple(errors))
    text = data.decode("utf-8", "replace")
    ids = V.uids((line.strip() for line in text.split("\n") if line.strip()), "a listed id")
    return UidList(ids)


_ERROR = re.compile(rb"<ERROR>(.*?)</ERROR>", re.DOTALL)


# --- JSON --------------------------------------------------------------------------------


def parse_json_envelope(data: bytes) -> JsonEnvelope:
    """The header of a retmode=json answer, and every "ERROR" in it at any depth."""
    doc = load_json(data, "response")
    if not isinstance(doc, dict):
        raise ResponseParseError("JSON response is not an object")
    header = doc.get("header") or {}
    if not isinstance(header, dict):
        raise ResponseValueError("the JSON header is not an object")
    return JsonEnvelope(
        header={V.text(str(k), 100): V.text(str(v), 1000) for k, v in header.items()},
        top_level_keys=tuple(V.text(str(k), 100) for k in doc),
        errors=tuple(V.text(e, 1000) for e in _json_errors(doc)),
    )


def load_json(data: bytes, what: str) -> Any:
    """A JSON answer; nesting past the interpreter's recursion limit is a bad answer."""
    try:
        return json.loads(data)
    except RecursionError:
        raise ResponseValueError(f"{what} nests JSON too deeply") from None
    except ValueError as exc:
        raise ResponseParseError(f"{what} is not valid JSON ({exc})") from None


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
