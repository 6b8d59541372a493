"""The ELink answer parser: each LinkSet a frozen record as soon as it ends, long lists of
plain links read with a few C-level regular-expression passes (checked to be nothing but
plain links), everything else through elinkcli.eutils.xmlstream."""

from __future__ import annotations

import re
from collections.abc import Iterator
from xml.etree.ElementTree import Element

from elinkcli import validate as V
from elinkcli.eutils import xmlstream as X
from elinkcli.eutils.records import (
    ELinkResult,
    IdCheck,
    IdLinkSet,
    IdUrlSet,
    LinkInfo,
    LinkSet,
    LinkSetDb,
    LinkSetDbHistory,
    ObjUrl,
    Provider,
)

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


def iter_elink(data: bytes, accessions: bool = False) -> Iterator[LinkSet | str]:
    """Yield each LinkSet as it ends (with the <ERROR>s anywhere inside it), and each other
    <ERROR> text, at the top level or inside any other element, as a str. `accessions`:
    the request asked `idtype=acc`, so a linked id may be an accession.version."""
    reduced, runs = _set_aside_links(X.as_utf8(data))
    for el in X.children(reduced, "eLinkResult"):
        if el.tag == "LinkSet":
            yield _linkset(el, runs, accessions)
        else:
            yield from X.errors_in(el)


def parse_elink_accessions(data: bytes) -> ELinkResult:
    """An answer to `idtype=acc`: linked ids are accession.version (or UIDs)."""
    return parse_elink(data, accessions=True)


def parse_elink(data: bytes, accessions: bool = False) -> ELinkResult:
    linksets: list[LinkSet] = []
    errors: list[str] = []
    for item in iter_elink(data, accessions):
        if isinstance(item, str):
            errors.append(item)
        else:
            linksets.append(item)
    return ELinkResult(tuple(linksets), tuple(errors))


def _linkset(el: Element, runs: list[LinkRun], accessions: bool = False) -> LinkSet:
    idlist = el.find("IdList")
    ids = X.ids(idlist) if idlist is not None else ()
    linksetdbs = tuple(_linksetdb(db, runs, accessions) for db in el.iterfind("LinkSetDb"))
    histories = tuple(
        LinkSetDbHistory(
            dbto=X.name(h.find("DbTo"), "DbTo"),
            linkname=X.name(h.find("LinkName"), "LinkName"),
            query_key=V.query_key(X.opt_text(h, "QueryKey")),
            info=X.opt_free(h, "Info", 1000),
        )
        for h in el.iterfind("LinkSetDbHistory")
    )
    checklist = el.find("IdCheckList")
    id_checks: tuple[IdCheck, ...] = ()
    id_link_sets: tuple[IdLinkSet, ...] = ()
    if checklist is not None:
        id_checks = tuple(
            IdCheck(
                V.token(X.text(i), "a checked id"),
                tuple(sorted((V.text(k, 100), V.text(v, 100)) for k, v in i.attrib.items())),
            )
            for i in checklist.iterfind("Id")
        )
        id_link_sets = tuple(
            IdLinkSet(
                V.token(X.text(s.find("Id")), "a checked id"),
                tuple(_linkinfo(li) for li in s.iterfind("LinkInfo")),
            )
            for s in checklist.iterfind("IdLinkSet")
        )
    urllist = el.find("IdUrlList")
    id_url_sets = (
        tuple(_idurlset(s) for s in urllist.iterfind("IdUrlSet")) if urllist is not None else ()
    )
    return LinkSet(
        dbfrom=X.name(el.find("DbFrom"), "DbFrom"),
        ids=ids,
        linksetdbs=linksetdbs,
        histories=histories,
        webenv=V.webenv(X.opt_text(el, "WebEnv")),
        id_checks=id_checks,
        id_link_sets=id_link_sets,
        id_url_sets=id_url_sets,
        has_idchecklist=checklist is not None,
        has_idurllist=urllist is not None,
        errors=tuple(X.error(e) for e in el.iter("ERROR")),
        infos=tuple(X.free(e, 1000) for e in el.iter("Info")),
    )


def _linksetdb(el: Element, runs: list[LinkRun], accessions: bool = False) -> LinkSetDb:
    ids: list[str] = []
    scores: list[int] = []
    for link in el:
        if link.tag == "LinkRun" and runs:  # ours: an answer naming one has no shortcut
            run_ids, run_scores = runs[int(link.get("n", "0"))]
            ids.extend(run_ids)
            scores.extend(run_scores)
        elif link.tag == "Link":
            text = X.text(link.find("Id"))
            ids.append(V.token(text, "a linked accession") if accessions else V.uid(text))
            score_el = link.find("Score")
            if score_el is not None:
                scores.append(V.count(X.text(score_el), "a Score"))
    return LinkSetDb(
        dbto=X.name(el.find("DbTo"), "DbTo"),
        linkname=X.name(el.find("LinkName"), "LinkName"),
        ids=tuple(ids),
        scores=tuple(scores) if scores and len(scores) == len(ids) else None,
        info=X.opt_free(el, "Info", 1000),
    )


def _linkinfo(el: Element) -> LinkInfo:
    return LinkInfo(
        dbto=X.name(el.find("DbTo"), "DbTo"),
        linkname=X.name(el.find("LinkName"), "LinkName"),
        menutag=X.free(el.find("MenuTag"), 1000),
        htmltag=X.free(el.find("HtmlTag"), 1000),
        priority=X.free(el.find("Priority"), 20),
        url=X.opt_free(el, "Url"),
    )


def _idurlset(el: Element) -> IdUrlSet:
    return IdUrlSet(
        id=V.token(X.text(el.find("Id")), "a LinkOut id"),
        objurls=tuple(_objurl(o) for o in el.iterfind("ObjUrl")),
        info=X.opt_free(el, "Info", 1000),
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
            name=X.free(prov.find("Name"), 1000),
            name_abbr=X.free(prov.find("NameAbbr"), 200),
            id=X.free(prov.find("Id"), 64),
            url=None if purl is None else X.free(purl),
            url_lng=_attr(purl, "LNG"),
            iconurl=X.opt_free(prov, "IconUrl"),
        )
    return ObjUrl(
        url=X.free(url),
        url_lng=_attr(url, "LNG"),
        iconurl=X.opt_free(el, "IconUrl"),
        linkname=X.opt_free(el, "LinkName", 1000),
        subject_types=X.frees(el, "SubjectType", 200),
        categories=X.frees(el, "Category", 200),
        attributes=X.frees(el, "Attribute", 200),
        provider=provider,
    )
